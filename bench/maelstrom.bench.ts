/**
 * Maelstrom mode against fly.io's Gossip Glomers broadcast targets (challenges 3c, 3d and 3e, taken together):
 * `rumor-maelstrom` node processes under the harness in bench/lib/maelstrom-*.ts (our own Maelstrom: routing with
 * latency, partitions, the broadcast workload, Jepsen's set-full checker, msgs-per-op).
 *
 * `npm run bench -- maelstrom` runs the three target scenarios, each in both harness modes — `sim` (in-process nodes on
 * a virtual clock: the protocol's own figures, independent of machine load, replayable by `--seed`) and `process`
 * (one `rumor-maelstrom` process per node in real time, as Maelstrom runs them; `--mode=sim|process` picks one):
 *   efficiency   25 nodes, 100 ms latency, rate 100, 20 s: msgs-per-op < 20, median stable latency < 400 ms,
 *                max < 600 ms, 0 lost;
 *   partition-5  5 nodes, rate 10, 20 s, partitions: 0 lost;
 *   partition-25 25 nodes, 100 ms latency, rate 100, 20 s, partitions: 0 lost.
 * Any scenario flag (`--nodes=…`, `--rate=…`, `--time-limit=…` s, `--latency=…` ms, `--latency-dist=constant|uniform|
 * exponential`, `--nemesis=partition`, `--nemesis-interval=…` s, `--recovery=…` s, `--concurrency=…`, `--seed=…`,
 * `--bin="node …"`, `--node-config='<json>'`, `--log-stderr=<file>`) runs one custom scenario instead. `--quick`
 * shortens the target scenarios (10 s, recovery 5 s). Use `--k=v` through `npm run bench` (it drops bare values).
 */
import { formatTable, parseHarnessArgs, runBroadcast, type HarnessOptions, type HarnessResult } from './lib/maelstrom-harness.js';

interface Scenario {
  name: string;
  options: Partial<HarnessOptions>;
  targets: (r: HarnessResult) => Record<string, boolean>;
}

const { options: flags, extra } = parseHarnessArgs(process.argv.slice(2));
const quick = extra.has('quick');
const custom = Object.keys(flags).some((k) => !['bin', 'seed', 'nodeConfig', 'stderrPath', 'mode'].includes(k));
const modes: ('sim' | 'process')[] = flags.mode !== undefined ? [flags.mode] : ['sim', 'process'];
const time = quick ? 10_000 : 20_000;
const recovery = quick ? 5_000 : 10_000;

const zeroLost = (r: HarnessResult) => ({ 'lost = 0': r.check.lostCount === 0, 'no crash': r.crashed.length === 0 });
const scenarios: Scenario[] = custom
  ? [{ name: 'custom', options: flags, targets: zeroLost }]
  : [
      {
        name: 'efficiency',
        options: { ...flags, nodes: 25, latencyMs: 100, rate: 100, timeLimitMs: time, recoveryMs: recovery },
        targets: (r) => ({
          ...zeroLost(r),
          'msgs-per-op < 20': r.msgsPerOp < 20,
          'median < 400 ms': (r.check.stableLatencyMs?.['0.5'] ?? Infinity) < 400,
          'max < 600 ms': (r.check.stableLatencyMs?.['1'] ?? Infinity) < 600,
        }),
      },
      { name: 'partition-5', options: { ...flags, nodes: 5, rate: 10, timeLimitMs: time, recoveryMs: recovery, nemesis: 'partition' }, targets: zeroLost },
      {
        name: 'partition-25',
        options: { ...flags, nodes: 25, latencyMs: 100, rate: 100, timeLimitMs: time, recoveryMs: recovery, nemesis: 'partition' },
        targets: zeroLost,
      },
    ];

const rows: { name: string; result: HarnessResult; targets: Record<string, boolean> }[] = [];
for (const s of scenarios) {
  for (const mode of modes) {
    const name = `${s.name}/${mode}`;
    process.stderr.write(`maelstrom: running ${name}…\n`);
    const result = await runBroadcast({ ...s.options, mode });
    rows.push({ name, result, targets: s.targets(result) });
  }
}

const allMet = rows.every((r) => Object.values(r.targets).every(Boolean));
console.log(
  JSON.stringify({
    bench: 'maelstrom',
    node: process.version,
    runs: rows.map(({ name, result: r, targets }) => ({
      scenario: name,
      options: r.options,
      lost: r.check.lostCount,
      lostSample: r.check.lost.slice(0, 10),
      stale: r.check.staleCount,
      neverRead: r.check.neverReadCount,
      unexpected: r.check.unexpectedCount,
      stable: r.check.stableCount,
      acknowledged: r.check.acknowledgedCount,
      stableLatencyMs: r.check.stableLatencyMs,
      msgsPerOp: Number(r.msgsPerOp.toFixed(3)),
      serverMsgs: r.net.serverMsgs,
      bytesPerServerMsg: r.net.serverMsgs > 0 ? Math.round(r.net.serverBytes / r.net.serverMsgs) : 0,
      serverMsgsByType: r.net.serverMsgsByType,
      droppedByPartition: r.net.droppedByPartition,
      violations: r.net.violations,
      ops: r.ops,
      partitions: r.partitions,
      crashed: r.crashed,
      targets,
    })),
    allMet,
  }),
);
console.log(formatTable(rows));
for (const r of rows) {
  const missed = Object.entries(r.targets).filter(([, met]) => !met).map(([t]) => t);
  console.log(`${r.name}: ${missed.length === 0 ? 'all targets met' : `MISSED ${missed.join(', ')}`}`);
  if (r.result.net.violations > 0) console.log(`  protocol violations: ${r.result.net.violations} ${r.result.net.violationSamples.join(' | ')}`);
}
if (!allMet) process.exitCode = 1;
