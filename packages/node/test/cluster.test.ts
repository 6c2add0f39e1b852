/**
 * Multi-process tests (issue 8 "Done when"): real `rumor start` processes on loopback, talking over WebSockets,
 * driven through the HTTP API. Every wait polls with a deadline; afterAll kills whatever still runs.
 *
 * The tests share a three-node cluster (a, b, c) and stay independent of each other: before each test every node
 * that is not running — one a failed test killed and did not bring back — is started again on its data directory
 * (after killing any start of it a failed test left behind), and the test waits until every node has a peer. The
 * deadlines are generous (see helpers/processes.ts) so that a loaded machine slows a test down rather than fails it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, http, killAll, killNodesOn, running, scanAll, startNode, stopNode, tempDir, until, type NodeProcess } from './helpers/processes.js';

const root = tempDir('rumor-cluster-');
// Every node: fww under `fww/`, lww elsewhere; fast anti-entropy so the test does not wait 30 s for a round.
const configFile = path.join(root, 'rumor.json');
writeFileSync(configFile, JSON.stringify({ maps: { default: { policies: { 'fww/': 'fww' } } }, antiEntropyIntervalMs: 2000 }));
const cfg = ['--config', configFile, '--quiet'];

let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;

/** Bound on one test or hook: several node starts and convergence waits, each with its own (60 s) deadline. */
const TEST_MS = 240_000;

/** Every node of the shared cluster has an active peer (three nodes each with a peer: one connected overlay). */
async function clusterUp(): Promise<void> {
  for (const node of [a, b, c]) {
    await until(`node ${node.id} to have an active peer`, async () => (await http('GET', `${node.http}/peers`)).body.active.length > 0);
  }
}

/** Start again, on its data directory, every node of the shared cluster that is not running; then wait for peers. */
async function restoreCluster(): Promise<void> {
  const slots: [get: () => NodeProcess, set: (n: NodeProcess) => void][] = [
    [() => a, (n) => (a = n)],
    [() => b, (n) => (b = n)],
    [() => c, (n) => (c = n)],
  ];
  for (const [get, set] of slots) {
    const node = get();
    if (running(node)) continue;
    await killNodesOn(node.dataDir); // a start that a failed test left behind holds the directory's lock
    const seeds = [a, b, c].filter((n) => n !== node && running(n)).flatMap((n) => ['--seed', n.address]);
    set(await startNode(node.id, node.dataDir, [...cfg, ...seeds]));
  }
  await clusterUp();
}

async function hasAll(node: NodeProcess, expected: ReadonlyMap<string, unknown>, prefix: string): Promise<boolean> {
  const got = await scanAll(node, prefix);
  if (got.size !== expected.size) return false;
  for (const [k, v] of expected) if (JSON.stringify(got.get(k)) !== JSON.stringify(v)) return false;
  return true;
}

beforeAll(async () => {
  ensureBuilt();
  a = await startNode('a', path.join(root, 'a'), cfg);
  // A chain: b joins through a, c through b.
  b = await startNode('b', path.join(root, 'b'), [...cfg, '--seed', a.address]);
  c = await startNode('c', path.join(root, 'c'), [...cfg, '--seed', b.address]);
  await clusterUp();
}, TEST_MS);

beforeEach(restoreCluster, TEST_MS);

afterAll(async () => {
  await killAll([root]);
});

describe('rumor start cluster', () => {
  it('replicates writes on one node to every other node', async () => {
    const expected = new Map<string, unknown>();
    const writes: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 20; i++) {
      const [node, key, value] = i % 2 === 0 ? [a, `spread/a-${i}`, { i, from: 'a' }] : [c, `spread/c-${i}`, [i, 'c']];
      expected.set(key, value);
      writes.push(http('PUT', `${node.http}/kv/${key}`, value));
    }
    for (const w of await Promise.all(writes)) expect(w.status).toBe(200);
    for (const node of [a, b, c]) await until(`node ${node.id} to hold every write`, () => hasAll(node, expected, 'spread/'));
    // A delete propagates too.
    expect((await http('DELETE', `${b.http}/kv/spread/a-0`)).body.deleted).toBe(true);
    expected.delete('spread/a-0');
    for (const node of [a, b, c]) await until(`node ${node.id} to see the delete`, () => hasAll(node, expected, 'spread/'));
  }, TEST_MS);

  it('keeps every acknowledged write of a node killed with SIGKILL, its id and a clock that never goes back', async () => {
    const dir = path.join(root, 'solo');
    let solo = await startNode('solo', dir, cfg);
    try {
      const acked = new Map<string, unknown>();
      const hlcs: number[] = [];
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const r = await http('PUT', `${solo.http}/kv/durable/${String(i).padStart(3, '0')}`, { i });
          expect(r.status).toBe(200);
          acked.set(`durable/${String(i).padStart(3, '0')}`, { i });
          hlcs.push(r.body.hlc);
        }),
      );
      const exit = await stopNode(solo, 'SIGKILL'); // right after the last acknowledgement
      expect(exit.signal).toBe('SIGKILL');
      solo = await startNode('solo', dir, cfg);
      expect(await hasAll(solo, acked, 'durable/')).toBe(true);
      const status = (await http('GET', `${solo.http}/status`)).body;
      expect(status.id).toBe('solo');
      // The next write is stamped above every timestamp issued before the crash.
      const after = await http('PUT', `${solo.http}/kv/durable-after`, 'x');
      expect(after.body.hlc).toBeGreaterThan(Math.max(...hlcs));
      expect((await stopNode(solo, 'SIGTERM')).code).toBe(0);
      // Without --id the data directory's stored id is used: the same node, not a new one.
      solo = await startNode('solo', dir, cfg, { passId: false });
      expect((await http('GET', `${solo.http}/status`)).body.id).toBe('solo');
    } finally {
      await stopNode(solo, 'SIGTERM');
    }
  }, TEST_MS);

  it('brings a node that was offline during writes up to date when it returns', async () => {
    const exit = await stopNode(c, 'SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const expected = new Map<string, unknown>();
    for (let i = 0; i < 30; i++) {
      const key = `offline/${i}`;
      expect((await http('PUT', `${i % 2 ? a.http : b.http}/kv/${key}`, i)).status).toBe(200);
      expected.set(key, i);
    }
    // A delete removes the writes its node has seen (observed-remove): a deletes b's write only once it holds it.
    // Usually it arrives within milliseconds, but when the broadcast tree ran a–c–b, b's first write after c's
    // death reaches a only by Plumtree's lazy repair (IHAVE, then GRAFT after `graftTimeoutMs`): ~0.5 s, longer
    // than the 29 writes above take.
    await until('a to hold the write on b it deletes', async () => (await http('GET', `${a.http}/kv/offline/0`)).body === 0);
    expect((await http('DELETE', `${a.http}/kv/offline/0`)).body.deleted).toBe(true);
    expected.delete('offline/0');
    c = await startNode('c', path.join(root, 'c'), [...cfg, '--seed', a.address]);
    await until('the returning node to catch up', () => hasAll(c, expected, 'offline/'));
  }, TEST_MS);

  it('converges concurrent writes to one key to the conflict policy of the key everywhere', async () => {
    // Writes at the same instant on two connected nodes: last writer wins (by hlc, then node id).
    const [ra, rc] = await Promise.all([http('PUT', `${a.http}/kv/race`, 'from-a'), http('PUT', `${c.http}/kv/race`, 'from-c')]);
    expect(ra.status).toBe(200);
    expect(rc.status).toBe(200);
    // Each answer names the newest write its node had: the newer of the two is the write that must win.
    const newest = [ra.body, rc.body].sort((x, y) => (x.hlc !== y.hlc ? x.hlc - y.hlc : x.writer < y.writer ? -1 : 1)).at(-1);
    const winner = newest.writer === 'a' ? 'from-a' : 'from-c';
    for (const node of [a, b, c]) await until(`node ${node.id} to resolve the race`, async () => (await http('GET', `${node.http}/kv/race`)).body === winner);

    // Truly concurrent writes: a node partitioned away (not joined) writes the same keys, then joins. Both writes
    // survive as siblings; every node must resolve them by the key's policy: lww → the newest by (hlc, node id),
    // fww (keys under fww/) → the oldest.
    const dDir = path.join(root, 'd');
    let d = await startNode('d', dDir, cfg);
    try {
      // One batch per node, so both keys see the two writers in the same (hlc, node) order.
      const both = (value: string) => ({ ops: ['fww/k', 'lww/k'].map((key) => ({ type: 'put', key, value })) });
      expect((await http('POST', `${a.http}/kv`, both('from-a'))).status).toBe(200);
      expect((await http('POST', `${d.http}/kv`, both('from-d'))).status).toBe(200);
      await stopNode(d, 'SIGTERM');
      d = await startNode('d', dDir, [...cfg, '--seed', b.address]);
      const order = (x: { hlc: number; node: string }, y: { hlc: number; node: string }): number =>
        x.hlc !== y.hlc ? x.hlc - y.hlc : x.node < y.node ? -1 : 1;
      const resolved: Record<string, string[]> = { 'fww/k': [], 'lww/k': [] };
      for (const node of [a, b, c, d]) {
        for (const key of ['fww/k', 'lww/k']) {
          const meta = await until(`node ${node.id} to hold both writes of ${key}`, async () => {
            const m = (await http('GET', `${node.http}/kv/${key}?meta=1`)).body;
            return m.siblings?.length === 2 ? m : undefined;
          });
          const sorted = [...meta.siblings].sort(order);
          expect(meta.value).toBe(key.startsWith('fww/') ? sorted[0].value : sorted[1].value);
          resolved[key]!.push(meta.value);
        }
      }
      // Everywhere the same value, and the two policies picked different writes of the same pair.
      expect(new Set(resolved['lww/k']).size).toBe(1);
      expect(new Set(resolved['fww/k']).size).toBe(1);
      expect(resolved['lww/k']![0]).not.toBe(resolved['fww/k']![0]);
    } finally {
      await stopNode(d, 'SIGTERM');
    }
  }, TEST_MS);
});
