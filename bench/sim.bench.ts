/**
 * sim benchmark (issue 3): how fast the testkit's deterministic simulator runs.
 *
 * 1. `steady`: N nodes on a ring, each keeping one message bouncing with its neighbour (every delivery triggers
 *    a reply through the carrier) — simulated deliveries per second, at N = 1 000 and N = 10 000 (the working set
 *    grows with N, so the larger cluster is the harder figure).
 * 2. `random-peer`: 10 000 nodes each dial one random peer (handshake wall time), then every node sends one message
 *    to its random peer and the simulation runs until idle — the wall time of that one exchange, cold (first run,
 *    JIT included) — and then the same exchange repeated for `--rounds` rounds for a stable figure.
 * 3. `timers`: the scheduler alone, 10 000 self-rearming virtual timers (events per second).
 *
 * Target: ≥ 1 000 000 simulated message deliveries per second (the `random-peer` loop). No other simulator is
 * compared: the issue names none. Run: `npm run bench -- sim` (options `--nodes=N --rounds=N --seed=N`).
 *
 * Each throughput is measured in `REPS` batches after a warm-up and given as the median batch, per wall second and
 * per CPU second of this process (`process.cpuUsage`): on a shared, loaded machine the wall figure drops with the
 * load (the process gets a fraction of a core) while the CPU figure stays close to the simulator's own cost, so the
 * target verdict is printed for both and the exit code follows the CPU figure; the JSON line records the load.
 */
import { availableParallelism, loadavg } from 'node:os';
import { createSimulation, type Envelope, type NodeId, type SimNode } from '@rumor/testkit';

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
};
const NODES = arg('nodes', 10_000);
const ROUNDS = arg('rounds', 100);
const SEED = arg('seed', 1);
const TARGET = 1_000_000;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const env: Envelope = { v: 1, layer: 'broadcast', type: 'gossip', body: null };
const noop = () => {};

/** Wall and CPU milliseconds of `fn`. */
function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}
const perSec = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const REPS = 5;

/** Runs `batch` (which returns how many items it did) `REPS` times; median and best rates, wall and CPU. */
function measure(batch: () => number) {
  let items = 0;
  let wallMs = 0;
  let cpuMs = 0;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPS; i++) {
    gc();
    const r = timed(batch);
    items += r.value;
    wallMs += r.wallMs;
    cpuMs += r.cpuMs;
    wall.push(perSec(r.value, r.wallMs));
    cpu.push(perSec(r.value, r.cpuMs));
  }
  return { items, wallMs: Math.round(wallMs), cpuMs: Math.round(cpuMs), perWallSec: median(wall), perCpuSec: median(cpu), bestPerWallSec: Math.max(...wall), bestPerCpuSec: Math.max(...cpu) };
}

function steady(n: number, deliveries: number) {
  const sim = createSimulation({ seed: SEED });
  const nodes: SimNode[] = Array.from({ length: n }, (_, i) => sim.addNode(`n${i}`));
  for (const node of nodes) {
    const c = node.carrier;
    c.listen({ up: noop, down: noop, connectFailed: noop, drain: noop, message: (peer) => void c.send(peer, env) });
  }
  for (let i = 0; i < n; i++) nodes[i]!.carrier.connect(nodes[(i + 1) % n]!.address);
  sim.run();
  for (let i = 0; i < n; i++) nodes[i]!.carrier.send(nodes[(i + 1) % n]!.id, env);
  sim.run({ maxEvents: 200_000 }); // warm-up
  return { nodes: n, ...measure(() => sim.run({ maxEvents: Math.round(deliveries / REPS) }).delivered) };
}

function randomPeer(n: number, rounds: number) {
  const sim = createSimulation({ seed: SEED });
  const nodes: SimNode[] = Array.from({ length: n }, (_, i) => sim.addNode(`n${i}`));
  const peerOf: NodeId[] = [];
  let received = 0;
  for (const node of nodes) node.carrier.listen({ up: noop, down: noop, connectFailed: noop, drain: noop, message: () => void received++ });
  const rnd = sim.fork('bench');
  for (let i = 0; i < n; i++) {
    let j = rnd.int(n - 1);
    if (j >= i) j++;
    peerOf.push(nodes[j]!.id);
    nodes[i]!.carrier.connect(nodes[j]!.address);
  }
  gc();
  const { value: c, wallMs: connectWallMs } = timed(() => sim.run());
  const carriers = nodes.map((x) => x.carrier);
  const exchange = () => {
    for (let i = 0; i < n; i++) carriers[i]!.send(peerOf[i]!, env);
    return sim.run();
  };
  gc();
  const oneStart = sim.now();
  const { value: one, wallMs: oneWallMs, cpuMs: oneCpuMs } = timed(exchange);
  const before = received;
  const virtualStart = sim.now();
  const perBatch = Math.max(1, Math.round(rounds / REPS));
  const loop = measure(() => {
    const r0 = received;
    for (let r = 0; r < perBatch; r++) exchange();
    return received - r0;
  });
  return {
    nodes: n,
    connectWallMs: Math.round(connectWallMs),
    connectEvents: c.events,
    oneExchange: {
      deliveries: one.delivered,
      wallMs: Math.round(oneWallMs * 10) / 10,
      cpuMs: Math.round(oneCpuMs * 10) / 10,
      virtualMs: Math.round((one.nowMs - oneStart) * 10) / 10,
    },
    loop: { rounds: perBatch * REPS, deliveries: received - before, virtualMs: Math.round(sim.now() - virtualStart), ...loop },
  };
}

function timers(n: number, events: number) {
  const sim = createSimulation({ seed: SEED });
  const rnd = sim.fork('timers');
  for (let i = 0; i < n; i++) {
    const tick = () => void sim.timers.setTimer(5 + rnd.next() * 10, tick);
    sim.timers.setTimer(rnd.next() * 10, tick);
  }
  sim.run({ maxEvents: 200_000 }); // warm-up
  return { timers: n, ...measure(() => sim.run({ maxEvents: Math.round(events / REPS) }).events) };
}

const steady1k = steady(1_000, 3_000_000);
const steady10k = steady(10_000, 2_000_000);
const peer = randomPeer(NODES, ROUNDS);
const timer = timers(10_000, 2_000_000);
const load = Math.round(loadavg()[0]! * 100) / 100;
const metCpu = peer.loop.perCpuSec >= TARGET;
const metWall = peer.loop.perWallSec >= TARGET;

console.log(JSON.stringify({ bench: 'sim', node: process.version, loadavg1m: load, seed: SEED, reps: REPS, steady: [steady1k, steady10k], randomPeer: peer, timers: timer, target: { deliveriesPerSec: TARGET, metPerCpuSecond: metCpu, metPerWallSecond: metWall } }));

const M = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
const rows: string[][] = [
  ['scenario', 'nodes', 'deliveries/events', 'wall ms', 'CPU ms', 'per wall second (median, best)', 'per CPU second (median, best)'],
  ...[steady1k, steady10k].map((s) => ['steady ring ping-pong', String(s.nodes), String(s.items), String(s.wallMs), String(s.cpuMs), `${M(s.perWallSec)}, ${M(s.bestPerWallSec)} deliveries/s`, `${M(s.perCpuSec)}, ${M(s.bestPerCpuSec)}`]),
  ['dial one random peer each', String(NODES), `${peer.connectEvents} events`, String(peer.connectWallMs), '-', '-', '-'],
  ['one message each to a random peer (cold)', String(NODES), String(peer.oneExchange.deliveries), String(peer.oneExchange.wallMs), String(peer.oneExchange.cpuMs), `(${peer.oneExchange.virtualMs} virtual ms)`, '-'],
  [`same, ${peer.loop.rounds} rounds`, String(NODES), String(peer.loop.items), String(peer.loop.wallMs), String(peer.loop.cpuMs), `${M(peer.loop.perWallSec)}, ${M(peer.loop.bestPerWallSec)} deliveries/s`, `${M(peer.loop.perCpuSec)}, ${M(peer.loop.bestPerCpuSec)}`],
  ['virtual timers only', '10000', `${timer.items} events`, String(timer.wallMs), String(timer.cpuMs), `${M(timer.perWallSec)}, ${M(timer.bestPerWallSec)} events/s`, `${M(timer.perCpuSec)}, ${M(timer.bestPerCpuSec)}`],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log(
  `target ≥ ${TARGET} deliveries/s (random-peer loop, median batch): per CPU second ${metCpu ? 'met' : 'NOT met'}, ` +
    `per wall second ${metWall ? 'met' : 'NOT met'} (load average ${load} on ${availableParallelism()} cores)`,
);
if (!metCpu) process.exitCode = 1;
