// The CI-short Maelstrom run (issue 9, "Done when"): real node processes (the built packages/maelstrom/dist/bin.js —
// `npm test` runs `tsc -b` first; alone, run `npx tsc -b packages/maelstrom`), 5 nodes, a few seconds, partitions,
// asserting 0 lost. The 25-node target runs are the benchmark (`npm run bench -- maelstrom`).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runBroadcast } from '../../../bench/lib/maelstrom-harness.js';
import { checkBroadcast, quantiles, type HistoryOp } from '../../../bench/lib/maelstrom-checker.js';

const bin = path.join(repoRoot(), 'packages', 'maelstrom', 'dist', 'bin.js');

describe('harness, process mode (CI short form)', () => {
  it('5 node processes, rate 10, 6 s with partitions: 0 lost, no crash, no protocol violation', async () => {
    expect(existsSync(bin), `${bin} missing: build with npx tsc -b packages/maelstrom`).toBe(true);
    const r = await runBroadcast({
      mode: 'process',
      bin: `${process.execPath} ${bin}`,
      nodes: 5,
      rate: 10,
      timeLimitMs: 6_000,
      nemesis: 'partition',
      nemesisIntervalMs: 2_000,
      recoveryMs: 5_000,
      opTimeoutMs: 2_000,
    });
    expect(r.partitions).toBeGreaterThanOrEqual(1);
    expect(r.crashed).toEqual([]);
    expect(r.net.violations).toBe(0);
    expect(r.check.acknowledgedCount).toBeGreaterThan(10);
    expect(r.check.lost).toEqual([]);
    expect(r.ops.final).toBeGreaterThanOrEqual(5);
    expect(r.check.neverReadCount).toBe(0);
  }, 60_000);
});

describe('checkBroadcast (set-full)', () => {
  const op = (f: 'broadcast' | 'read', invokeMs: number, completeMs: number, value: number | number[], type: HistoryOp['type'] = 'ok'): HistoryOp => ({
    f,
    type,
    node: 'n1',
    invokeMs,
    completeMs,
    value,
  });

  it('stable after the last read that missed it; stale when some read missed it', () => {
    const c = checkBroadcast([op('broadcast', 0, 10, 1), op('read', 20, 25, []), op('read', 50, 55, [1]), op('read', 60, 65, [1])]);
    expect(c).toMatchObject({ stableCount: 1, staleCount: 1, lostCount: 0, neverReadCount: 0, valid: true });
    expect(c.stableLatencyMs?.['1']).toBe(10);
  });

  it('lost when the last read misses an acknowledged broadcast; never-read without later reads', () => {
    expect(checkBroadcast([op('broadcast', 0, 10, 1), op('read', 20, 25, [1]), op('read', 30, 35, [])]).lost).toEqual([1]);
    expect(checkBroadcast([op('broadcast', 0, 10, 1), op('read', 5, 25, [])]).neverReadCount).toBe(1);
  });

  it('an unacknowledged broadcast is judged only once a read returned it; invented values invalidate', () => {
    const c = checkBroadcast([op('broadcast', 0, 1000, 1, 'info'), op('read', 20, 25, [])]);
    expect(c).toMatchObject({ lostCount: 0, stableCount: 0, attemptCount: 1, acknowledgedCount: 0 });
    expect(checkBroadcast([op('read', 20, 25, [99])])).toMatchObject({ unexpectedCount: 1, valid: false });
  });

  it('quantiles are Jepsen’s (index ⌊n·q⌋)', () => {
    expect(quantiles([5, 1, 4, 2, 3])).toEqual({ '0': 1, '0.5': 3, '0.95': 5, '0.99': 5, '1': 5 });
    expect(quantiles([])).toBeUndefined();
  });
});
