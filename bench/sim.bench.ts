/**
 * sim benchmark (issue 3): how fast the testkit's deterministic simulator runs.
 *
 * 1. `steady`: N nodes on a ring, each keeping one message bouncing with its neighbour (every delivery triggers
 *    a reply) — simulated deliveries per second of wall time, at N = 1 000 and N = 10 000 (the working set grows
 *    with N, so the larger cluster is the harder figure).
 * 2. `random-peer`: 10 000 nodes each dial one random peer (handshake wall time), then every node sends one message
 *    to its random peer and the simulation runs until idle — the wall time of that one exchange — and then the same
 *    exchange repeated for `--rounds` rounds for a stable deliveries-per-second figure.
 * 3. `timers`: the scheduler alone, 10 000 self-rearming virtual timers (events per second).
 *
 * Target: ≥ 1 000 000 simulated message deliveries per second (the `random-peer` loop). No other simulator is
 * compared: the issue names none. Run: `npm run bench -- sim` (options `--nodes=N --rounds=N --seed=N`).
 *
 * Each figure is given per wall second and per CPU second of this process (`process.cpuUsage`): on a shared,
 * loaded machine the wall figure drops with the load while the CPU figure stays close to the simulator's cost. The
 * target is judged on the wall figure; the JSON line records the load average of the run.
 */
import { loadavg } from 'node:os';
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
  gc();
  const { value: r, wallMs, cpuMs } = timed(() => sim.run({ maxEvents: deliveries }));
  return {
    nodes: n,
    deliveries: r.delivered,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    deliveriesPerSec: perSec(r.delivered, wallMs),
    deliveriesPerCpuSec: perSec(r.delivered, cpuMs),
  };
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
  const { value: one, wallMs: oneWallMs } = timed(exchange);
  const before = received;
  let virtualMs = 0;
  const loop = timed(() => {
    for (let r = 0; r < rounds; r++) {
      const start = sim.now();
      exchange();
      virtualMs += sim.now() - start;
    }
  });
  const delivered = received - before;
  return {
    nodes: n,
    connectWallMs: Math.round(connectWallMs),
    connectEvents: c.events,
    oneExchange: { deliveries: one.delivered, wallMs: Math.round(oneWallMs * 10) / 10, virtualMs: Math.round((one.nowMs - oneStart) * 10) / 10 },
    loop: {
      rounds,
      deliveries: delivered,
      wallMs: Math.round(loop.wallMs),
      cpuMs: Math.round(loop.cpuMs),
      virtualMs: Math.round(virtualMs),
      deliveriesPerSec: perSec(delivered, loop.wallMs),
      deliveriesPerCpuSec: perSec(delivered, loop.cpuMs),
    },
  };
}

function timers(n: number, events: number) {
  const sim = createSimulation({ seed: SEED });
  const rnd = sim.fork('timers');
  for (let i = 0; i < n; i++) {
    const tick = () => void sim.timers.setTimer(5 + rnd.next() * 10, tick);
    sim.timers.setTimer(rnd.next() * 10, tick);
  }
  gc();
  const { value: r, wallMs, cpuMs } = timed(() => sim.run({ maxEvents: events }));
  return { timers: n, events: r.events, wallMs: Math.round(wallMs), cpuMs: Math.round(cpuMs), eventsPerSec: perSec(r.events, wallMs), eventsPerCpuSec: perSec(r.events, cpuMs) };
}

const steady1k = steady(1_000, 3_000_000);
const steady10k = steady(10_000, 2_000_000);
const peer = randomPeer(NODES, ROUNDS);
const timer = timers(10_000, 2_000_000);
const met = peer.loop.deliveriesPerSec >= TARGET;

console.log(JSON.stringify({ bench: 'sim', node: process.version, loadavg1m: Math.round(loadavg()[0]! * 100) / 100, seed: SEED, steady: [steady1k, steady10k], randomPeer: peer, timers: timer, target: { deliveriesPerSec: TARGET, met } }));

const rows: string[][] = [
  ['scenario', 'nodes', 'deliveries/events', 'wall ms', 'per wall second', 'per CPU second'],
  ['steady ring ping-pong', '1000', String(steady1k.deliveries), String(steady1k.wallMs), `${steady1k.deliveriesPerSec} deliveries/s`, `${steady1k.deliveriesPerCpuSec}`],
  ['steady ring ping-pong', '10000', String(steady10k.deliveries), String(steady10k.wallMs), `${steady10k.deliveriesPerSec} deliveries/s`, `${steady10k.deliveriesPerCpuSec}`],
  ['dial one random peer each', String(NODES), `${peer.connectEvents} events`, String(peer.connectWallMs), '-', '-'],
  ['one message each to a random peer', String(NODES), String(peer.oneExchange.deliveries), String(peer.oneExchange.wallMs), `(${peer.oneExchange.virtualMs} virtual ms)`, '-'],
  [`same, ${ROUNDS} rounds`, String(NODES), String(peer.loop.deliveries), String(peer.loop.wallMs), `${peer.loop.deliveriesPerSec} deliveries/s`, `${peer.loop.deliveriesPerCpuSec}`],
  ['virtual timers only', '10000', `${timer.events} events`, String(timer.wallMs), `${timer.eventsPerSec} events/s`, `${timer.eventsPerCpuSec}`],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log(`target ≥ ${TARGET} deliveries per wall second (random-peer loop): ${met ? 'met' : 'NOT met'} (load average ${loadavg()[0]!.toFixed(2)})`);
if (!met) process.exitCode = 1;
