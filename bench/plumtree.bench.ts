/**
 * Plumtree against its paper (Leitão, Pereira, Rodrigues, SRDS 2007, §4) and against iroh-gossip's CI bounds.
 *
 * `npm run bench -- plumtree` (all scenarios; tens of CPU minutes) — flags: `--quick` (1 000 nodes, 3 seeds),
 * `--seeds=N` (seeds of the stable-overlay scenarios, default 20, at every size), `--heavy-seeds=N` (seeds of
 * the burst and failure scenarios, default 5: a burst simulates 10⁶–10⁷ deliveries per seed),
 * `--sizes=1000,10000`, `--svg=<path>` (write the failure plot), `--only=stable|burst|failures|batching` (one group;
 * the others print as empty), `--failures=30` (crash percentages, default 10,20,30,40,60), `--contacts=N` (contacts
 * per join of the failure scenarios' bootstrap, default 2), `--plumtree='<json>'` (options for every node, e.g. `{"originTreesMax":0}`: the
 * paper's single tree).
 *
 * Every scenario runs the real `@rumor/broadcast` state machines in a discrete-event simulator (bench/lib/
 * plumtree-sim.ts) over a random overlay of degree 5 (the paper's HyParView active view), with one-way link
 * delays fixed per link, uniform in [10, 100) ms. Metrics (paper §4.1):
 *   reliability = share of live nodes other than the origin that delivered;
 *   RMR = m / (n − 1) − 1, m = payload (GOSSIP) messages sent for the broadcast, n = nodes that have it;
 *   LDH = the largest hop count of any delivery; latency = time of the last delivery.
 * The first broadcast on a fresh overlay floods every link, so its RMR is the paper's "eager push" baseline
 * (degree − 2 = 3), measured in the same run. The stable scenarios use a static random graph of degree 5; the
 * failure scenarios run over real HyParView (bench/lib/plumtree-hyparview.ts), which heals the overlay.
 */
import { PLUMTREE_DEFAULTS, type PlumtreeInit } from '@rumor/broadcast';
import { writeFileSync } from 'node:fs';
import { attachHyParView } from './lib/plumtree-hyparview.js';
import { PlumtreeSim, type Traffic } from './lib/plumtree-sim.js';
import { failurePlotSvg } from './lib/plumtree-svg.js';

const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k as string, v ?? 'true'];
}));
const quick = args.has('quick');
const seedsStable = Number(args.get('seeds') ?? (quick ? 3 : 20));
const seedsHeavy = Number(args.get('heavy-seeds') ?? (quick ? 1 : 5));
const only = args.get('only'); // run one scenario group: stable | burst | failures | batching
const run = (group: string) => only === undefined || only === group;
const sizes = (args.get('sizes') ?? (quick ? '1000' : '1000,10000')).split(',').map(Number);
const DEGREE = 5;
const DELAY_MIN = 10;
const DELAY_MAX = 100;
const SPACING_MS = 2000;
/**
 * `--contacts=N`: contacts per join in the failure scenarios' HyParView bootstrap (default 2, as the HyParView bench
 * and a node given two seeds). With one, 10 000 sequential joins 2 ms apart can leave a group of nodes in a
 * component of its own for good (seed 204: 205 nodes, still apart 90 s later) — a membership finding, not Plumtree's.
 */
const CONTACTS = Number(args.get('contacts') ?? 2);
/** `--failures=30` (or a list): the crash percentages to run; default all of the paper's range plus the 30 % target. */
const FAILURES = (args.get('failures') ?? '10,20,30,40,60').split(',').map(Number);
/** `--plumtree='<json>'`: Plumtree options for every node (e.g. `{"originTreesMax":0}` for the paper's single tree). */
const PLUMTREE_INIT = JSON.parse(args.get('plumtree') ?? '{}') as PlumtreeInit;

interface BroadcastResult {
  reliability: number;
  rmr: number;
  ldh: number;
  latencyMs: number;
}

function newSim(seed: number, nodes: number, plumtree: PlumtreeInit = {}): PlumtreeSim {
  const sim = new PlumtreeSim({ seed, nodes, linkDelayMinMs: DELAY_MIN, linkDelayMaxMs: DELAY_MAX, plumtree: { ...PLUMTREE_INIT, ...plumtree } });
  sim.randomOverlay(DEGREE);
  return sim;
}

function measure(sim: PlumtreeSim, id: string): BroadcastResult {
  const r = sim.records.get(id);
  if (r === undefined) throw new Error(`no record for ${id}`);
  let live = 0;
  let got = 0;
  for (let i = 0; i < sim.n; i++) {
    if (!sim.alive[i] || i === r.origin) continue;
    live++;
    got += r.deliveredBy[i] as number;
  }
  const holders = r.delivered + 1;
  return {
    reliability: live === 0 ? 1 : got / live,
    rmr: holders <= 1 ? 0 : r.payloadMessages / (holders - 1) - 1,
    ldh: r.maxHops,
    latencyMs: r.lastDeliveryAt - r.at,
  };
}

function one(sim: PlumtreeSim, origin: number): BroadcastResult {
  const id = sim.broadcast(origin);
  sim.runFor(SPACING_MS);
  return measure(sim, id);
}

function randomLive(sim: PlumtreeSim): number {
  for (;;) {
    const i = Math.floor(sim.random.next() * sim.n);
    if (sim.alive[i]) return i;
  }
}

function trafficDelta(sim: PlumtreeSim, before: Traffic): Traffic {
  const t = sim.traffic;
  return { gossip: t.gossip - before.gossip, ihave: t.ihave - before.ihave, graft: t.graft - before.graft, prune: t.prune - before.prune };
}

function antiEntropySent(sim: PlumtreeSim): number {
  let k = 0;
  for (let i = 0; i < sim.n; i++) if (sim.alive[i]) k += sim.nodes[i]?.stats().antiEntropySent ?? 0;
  return k;
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const max = (xs: number[]) => Math.max(...xs);
const min = (xs: number[]) => Math.min(...xs);

interface Control {
  ihave: number;
  antiEntropy: number;
  graft: number;
  prune: number;
}

/** Single source on a stable overlay, then random sources: the paper's §4.2 and Figure 2. */
function stable(seed: number, nodes: number) {
  const sim = newSim(seed, nodes);
  const source = Math.floor(sim.random.next() * nodes);
  const warm: BroadcastResult[] = [];
  for (let k = 0; k < 3; k++) warm.push(one(sim, source));
  const t0 = { ...sim.traffic };
  const ae0 = antiEntropySent(sim);
  const single: BroadcastResult[] = [];
  const SINGLE = 10;
  for (let k = 0; k < SINGLE; k++) single.push(one(sim, source));
  const dt = trafficDelta(sim, t0);
  const ae = antiEntropySent(sim) - ae0;
  const singleControl: Control = { ihave: (dt.ihave - ae) / SINGLE, antiEntropy: ae / SINGLE, graft: dt.graft / SINGLE, prune: dt.prune / SINGLE };
  const t1 = { ...sim.traffic };
  const ae1 = antiEntropySent(sim);
  const RANDOM = 10;
  const random: BroadcastResult[] = [];
  for (let k = 0; k < RANDOM; k++) random.push(one(sim, randomLive(sim)));
  const dr = trafficDelta(sim, t1);
  const aer = antiEntropySent(sim) - ae1;
  const randomControl: Control = { ihave: (dr.ihave - aer) / RANDOM, antiEntropy: aer / RANDOM, graft: dr.graft / RANDOM, prune: dr.prune / RANDOM };
  return { flood: warm[0] as BroadcastResult, single, singleControl, random, randomControl };
}

/** Every sender at once (iroh-gossip's `big_burst`): a shared tree under concurrent trees' worth of traffic. */
function burst(seed: number, nodes: number, senders: number) {
  const sim = newSim(seed, nodes);
  for (let k = 0; k < 3; k++) one(sim, randomLive(sim));
  const order = Array.from({ length: nodes }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(sim.random.next() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const t0 = { ...sim.traffic };
  const ids = order.slice(0, senders).map((o) => sim.broadcast(o));
  sim.runFor(10_000);
  let pairs = 0;
  let got = 0;
  let m = 0;
  let holders = 0;
  let ldh = 0;
  for (const id of ids) {
    const r = sim.records.get(id);
    if (r === undefined) continue;
    pairs += nodes - 1;
    got += r.delivered;
    m += r.payloadMessages;
    holders += r.delivered;
    ldh = Math.max(ldh, r.maxHops);
  }
  const dt = trafficDelta(sim, t0);
  return { reliability: got / pairs, rmr: m / holders - 1, ldh, control: { ihave: dt.ihave / senders, graft: dt.graft / senders, prune: dt.prune / senders } };
}

/**
 * §4.4: a fraction of nodes crash at once; broadcasts right after, while real HyParView (`@rumor/membership`,
 * active view 5, passive view 30) heals the overlay from its passive views.
 */
function failure(seed: number, nodes: number, percent: number) {
  const sim = new PlumtreeSim({ seed, nodes, linkDelayMinMs: DELAY_MIN, linkDelayMaxMs: DELAY_MAX, plumtree: PLUMTREE_INIT });
  const membership = attachHyParView(sim);
  membership.bootstrap(nodes <= 1000 ? 10 : 2, 30_000, CONTACTS);
  // Survivors the origin can reach over active views: broadcast cannot deliver across a membership partition.
  const reachable = (from: number): Uint8Array => {
    const seen = new Uint8Array(nodes);
    const queue = [from];
    seen[from] = 1;
    for (let k = 0; k < queue.length; k++) {
      for (const p of membership.hv[queue[k] as number]?.activeView() ?? []) {
        const j = sim.indexOf(p) as number;
        if (!seen[j] && sim.alive[j]) {
          seen[j] = 1;
          queue.push(j);
        }
      }
    }
    return seen;
  };
  const source = Math.floor(sim.random.next() * nodes);
  let before: BroadcastResult | undefined;
  for (let k = 0; k < 4; k++) before = one(sim, source);
  const victims = Array.from({ length: nodes }, (_, i) => i).filter((i) => i !== source);
  for (let i = victims.length - 1; i > 0; i--) {
    const j = Math.floor(sim.random.next() * (i + 1));
    [victims[i], victims[j]] = [victims[j] as number, victims[i] as number];
  }
  for (const v of victims.slice(0, Math.round((nodes * percent) / 100))) sim.crash(v);
  // First broadcast right after the crash, from the same source as before: compare latencies.
  const t0 = sim.now;
  const firstId = sim.broadcast(source);
  sim.runFor(SPACING_MS);
  const first = measure(sim, firstId);
  // Issue 5: survivors deliver within one graft timeout plus one round trip (2 × the largest link delay) of the
  // time the settled tree took before the crash.
  const boundMs = (before as BroadcastResult).latencyMs + PLUMTREE_DEFAULTS.graftTimeoutMs + 2 * DELAY_MAX;
  const rec = sim.records.get(firstId);
  const connected = reachable(source);
  let survivors = 0;
  let inTime = 0;
  let reach = 0;
  let reachGot = 0;
  let reachInTime = 0;
  for (let i = 0; i < nodes; i++) {
    if (!sim.alive[i] || i === source) continue;
    survivors++;
    const at = rec?.deliveredAt[i] ?? -1;
    if (at >= 0 && at - t0 <= boundMs) inTime++;
    if (connected[i]) {
      reach++;
      if (at >= 0) reachGot++;
      if (at >= 0 && at - t0 <= boundMs) reachInTime++;
    }
  }
  const rest: BroadcastResult[] = [];
  const restConnected: number[] = [];
  for (let k = 0; k < 9; k++) {
    const o = randomLive(sim);
    const id = sim.broadcast(o);
    sim.runFor(SPACING_MS);
    rest.push(measure(sim, id));
    const c = reachable(o);
    const r = sim.records.get(id);
    let n = 0;
    let g = 0;
    for (let i = 0; i < nodes; i++) {
      if (i === o || !c[i]) continue;
      n++;
      g += r?.deliveredBy[i] ?? 0;
    }
    restConnected.push(n === 0 ? 1 : g / n);
  }
  return { before: before as BroadcastResult, first, rest, survivors, inTime, reach, reachInTime, boundMs, firstConnected: reach === 0 ? 1 : reachGot / reach, unreachable: survivors - reach, restConnected };
}

/** IHAVE batching on and off at a sustained rate (a broadcast every 10 ms from random sources). */
function batching(seed: number, nodes: number, flushMs: number) {
  const sim = newSim(seed, nodes, { ihaveFlushMs: flushMs });
  for (let k = 0; k < 3; k++) one(sim, randomLive(sim));
  const t0 = { ...sim.traffic };
  const ae0 = antiEntropySent(sim);
  const COUNT = 50;
  const ids: string[] = [];
  for (let k = 0; k < COUNT; k++) {
    ids.push(sim.broadcast(randomLive(sim)));
    sim.runFor(10);
  }
  sim.runFor(SPACING_MS);
  const dt = trafficDelta(sim, t0);
  const ae = antiEntropySent(sim) - ae0;
  const res = ids.map((id) => measure(sim, id));
  return { rmr: mean(res.map((r) => r.rmr)), reliability: min(res.map((r) => r.reliability)), ihave: (dt.ihave - ae) / COUNT, antiEntropy: ae / COUNT, graft: dt.graft / COUNT, prune: dt.prune / COUNT };
}

// ---- run ------------------------------------------------------------------------------------------------------

const started = performance.now();
const out: Record<string, unknown> = { bench: 'plumtree', degree: DEGREE, linkDelayMs: [DELAY_MIN, DELAY_MAX], defaults: PLUMTREE_DEFAULTS };
const tables: string[] = [];
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const pct = (x: number) => `${(x * 100).toFixed(x === 1 ? 0 : 2)} %`;
const plot: { nodes: number; percent: number; first: number; mean: number }[] = [];

for (const nodes of sizes) {
  const seedsAll = seedsHeavy;
  const log2 = Math.log2(nodes);
  const t = performance.now();

  const lap = (what: string) => process.stderr.write(`plumtree ${nodes}: ${what} done at ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  const st = Array.from({ length: run('stable') ? seedsStable : 0 }, (_, s) => stable(s + 1, nodes));
  lap('stable');
  const single = st.flatMap((x) => x.single);
  const random = st.flatMap((x) => x.random);
  const sc = (k: keyof Control, which: 'singleControl' | 'randomControl') => mean(st.map((x) => x[which][k]));
  const stableRow = {
    seeds: seedsStable,
    floodRmr: mean(st.map((x) => x.flood.rmr)),
    single: { reliabilityMin: min(single.map((r) => r.reliability)), rmrMean: mean(single.map((r) => r.rmr)), rmrMax: max(single.map((r) => r.rmr)), ldhMean: mean(single.map((r) => r.ldh)), ldhMax: max(single.map((r) => r.ldh)), latencyMsMean: mean(single.map((r) => r.latencyMs)) },
    singleControl: { ihave: sc('ihave', 'singleControl'), antiEntropy: sc('antiEntropy', 'singleControl'), graft: sc('graft', 'singleControl'), prune: sc('prune', 'singleControl') },
    random: { reliabilityMin: min(random.map((r) => r.reliability)), rmrMean: mean(random.map((r) => r.rmr)), rmrMax: max(random.map((r) => r.rmr)), ldhMean: mean(random.map((r) => r.ldh)), ldhMax: max(random.map((r) => r.ldh)), latencyMsMean: mean(random.map((r) => r.latencyMs)) },
    randomControl: { ihave: sc('ihave', 'randomControl'), antiEntropy: sc('antiEntropy', 'randomControl'), graft: sc('graft', 'randomControl'), prune: sc('prune', 'randomControl') },
  };

  // Every node at 1 000; 200 at 10 000, where each node would otherwise hold 10⁴ dedup and cache entries and the
  // simulated network ~10⁸ (see docs/broadcast.md).
  const senders = nodes <= 1000 ? nodes : 200;
  const bu = Array.from({ length: run('burst') ? seedsAll : 0 }, (_, s) => burst(s + 101, nodes, senders));
  lap('burst');
  const burstRow = { seeds: seedsAll, senders, reliabilityMin: min(bu.map((b) => b.reliability)), rmrMean: mean(bu.map((b) => b.rmr)), rmrMax: max(bu.map((b) => b.rmr)), ldhMax: max(bu.map((b) => b.ldh)), control: { ihave: mean(bu.map((b) => b.control.ihave)), graft: mean(bu.map((b) => b.control.graft)), prune: mean(bu.map((b) => b.control.prune)) } };

  const failRows = FAILURES.map((percent) => {
    const fs = Array.from({ length: run('failures') ? seedsAll : 0 }, (_, s) => failure(s + 201, nodes, percent));
    const all = fs.flatMap((f) => [f.first, ...f.rest]);
    const row = {
      percent,
      seeds: seedsAll,
      firstReliabilityMean: mean(fs.map((f) => f.first.reliability)),
      firstReliabilityMin: min(fs.map((f) => f.first.reliability)),
      firstConnectedMin: min(fs.map((f) => f.firstConnected)),
      connectedMin: min(fs.flatMap((f) => [f.firstConnected, ...f.restConnected])),
      unreachableMax: max(fs.map((f) => f.unreachable)),
      reliabilityMean: mean(all.map((r) => r.reliability)),
      rmrFirstMean: mean(fs.map((f) => f.first.rmr)),
      rmrAfterMean: mean(fs.flatMap((f) => f.rest.slice(-5).map((r) => r.rmr))),
      ldhMax: max(all.map((r) => r.ldh)),
      firstLatencyMs: mean(fs.map((f) => f.first.latencyMs)),
      latencyBeforeMs: mean(fs.map((f) => f.before.latencyMs)),
      withinGraftTimeoutPlusRtt: fs.reduce((a, f) => a + f.inTime, 0) / fs.reduce((a, f) => a + f.survivors, 0),
      connectedWithinBound: fs.reduce((a, f) => a + f.reachInTime, 0) / fs.reduce((a, f) => a + f.reach, 0),
      extraLatencyMsMax: max(fs.map((f) => f.first.latencyMs - f.before.latencyMs)),
    };
    plot.push({ nodes, percent, first: row.firstReliabilityMean, mean: row.reliabilityMean });
    return row;
  });

  lap('failures');
  const batchSeeds = run('batching') ? Math.max(1, Math.min(seedsAll, 3)) : 0;
  const bOn = Array.from({ length: batchSeeds }, (_, s) => batching(s + 301, nodes, PLUMTREE_DEFAULTS.ihaveFlushMs));
  const bOff = Array.from({ length: batchSeeds }, (_, s) => batching(s + 301, nodes, 0));
  const agg = (xs: ReturnType<typeof batching>[]) => ({ rmr: mean(xs.map((x) => x.rmr)), reliabilityMin: min(xs.map((x) => x.reliability)), ihave: mean(xs.map((x) => x.ihave)), antiEntropy: mean(xs.map((x) => x.antiEntropy)), graft: mean(xs.map((x) => x.graft)), prune: mean(xs.map((x) => x.prune)) });
  const batchRow = { seeds: batchSeeds, on: agg(bOn), off: agg(bOff) };

  lap('batching');
  const wallS = (performance.now() - t) / 1000;
  out[`n${nodes}`] = { stable: stableRow, burst: burstRow, failures: failRows, batching: batchRow, wallSeconds: wallS };

  const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
  const s1 = stableRow.single;
  const r1 = stableRow.random;
  tables.push(
    [
      `## Plumtree, ${nodes} nodes (degree ${DEGREE}, link delay ${DELAY_MIN}–${DELAY_MAX} ms; ${wallS.toFixed(0)} s wall)`,
      '',
      `| stable overlay, ${seedsStable} seeds | reliability (min) | RMR mean (max) | LDH mean (max) | last delivery ms | target | paper (10 000 nodes) | iroh-gossip CI (100 peers) |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| first broadcast (floods: eager-push baseline) | — | ${fmt(stableRow.floodRmr)} | — | — | — | eager push RMR ≈ 3 (Fig. 2a) | — |`,
      `| single source, settled tree | ${pct(s1.reliabilityMin)} | ${fmt(s1.rmrMean)} (${fmt(s1.rmrMax)}) | ${fmt(s1.ldhMean, 1)} (${s1.ldhMax}) | ${fmt(s1.latencyMsMean, 0)} | 100 %, RMR ≤ 0.05, LDH ≤ ${fmt(2 * log2, 1)}: ${ok(s1.reliabilityMin === 1 && s1.rmrMean <= 0.05 && s1.ldhMax <= 2 * log2)} | 100 %, RMR 0 (Table 1: 9 999 payload msgs) | RMR < 0.2, LDH < 15, 0 missed |`,
      `| random sources, shared tree | ${pct(r1.reliabilityMin)} | ${fmt(r1.rmrMean)} (${fmt(r1.rmrMax)}) | ${fmt(r1.ldhMean, 1)} (${r1.ldhMax}) | ${fmt(r1.latencyMsMean, 0)} | — | 100 %, RMR 0; LDH ≈ 2× single (§4.5) | RMR < 1.0, LDH < 18, 0 missed |`,
      `| burst: ${senders} senders at once (${seedsAll} seeds) | ${pct(burstRow.reliabilityMin)} | ${fmt(burstRow.rmrMean)} (${fmt(burstRow.rmrMax)}) | (${burstRow.ldhMax}) | — | 100 %, RMR ≤ 0.3: ${ok(burstRow.reliabilityMin === 1 && burstRow.rmrMean <= 0.3)} | — | RMR < 3, LDH < 30, 0 missed |`,
      '',
      '| control messages per broadcast | IHAVE (lazy push) | IHAVE (anti-entropy) | GRAFT | PRUNE |',
      '| --- | --- | --- | --- | --- |',
      `| single source, settled (1 broadcast / 2 s) | ${fmt(stableRow.singleControl.ihave, 1)} | ${fmt(stableRow.singleControl.antiEntropy, 1)} | ${fmt(stableRow.singleControl.graft, 2)} | ${fmt(stableRow.singleControl.prune, 2)} |`,
      `| random sources (1 broadcast / 2 s) | ${fmt(stableRow.randomControl.ihave, 1)} | ${fmt(stableRow.randomControl.antiEntropy, 1)} | ${fmt(stableRow.randomControl.graft, 2)} | ${fmt(stableRow.randomControl.prune, 2)} |`,
      `| 100 broadcasts/s, batching on (${PLUMTREE_DEFAULTS.ihaveFlushMs} ms), RMR ${fmt(batchRow.on.rmr)} | ${fmt(batchRow.on.ihave, 1)} | ${fmt(batchRow.on.antiEntropy, 1)} | ${fmt(batchRow.on.graft, 2)} | ${fmt(batchRow.on.prune, 2)} |`,
      `| 100 broadcasts/s, batching off, RMR ${fmt(batchRow.off.rmr)} | ${fmt(batchRow.off.ihave, 1)} | ${fmt(batchRow.off.antiEntropy, 1)} | ${fmt(batchRow.off.graft, 2)} | ${fmt(batchRow.off.prune, 2)} |`,
      `| burst (${senders} at once) | ${fmt(burstRow.control.ihave, 1)} | — | ${fmt(burstRow.control.graft, 2)} | ${fmt(burstRow.control.prune, 2)} |`,
      '',
      `| crash at once, ${seedsAll} seeds | 1st broadcast reliability mean (min) | mean over 10 | reliability among survivors connected to the origin, min | survivors cut off by membership, max | RMR 1st → last 5 | LDH max | last delivery ms before → 1st after | survivors within graft timeout + RTT | of them connected to the origin |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...failRows.map((f) => `| ${f.percent} % | ${pct(f.firstReliabilityMean)} (${pct(f.firstReliabilityMin)}) | ${pct(f.reliabilityMean)} | ${pct(f.connectedMin)} | ${f.unreachableMax} | ${fmt(f.rmrFirstMean)} → ${fmt(f.rmrAfterMean)} | ${f.ldhMax} | ${fmt(f.latencyBeforeMs, 0)} → ${fmt(f.firstLatencyMs, 0)} | ${pct(f.withinGraftTimeoutPlusRtt)}${f.percent === 30 ? (f.withinGraftTimeoutPlusRtt === 1 ? ' ok' : ' MISSED') : ''} | ${pct(f.connectedWithinBound)}${f.percent === 30 ? (f.connectedWithinBound === 1 ? ' ok' : ' MISSED') : ''} |`),
      '',
    ].join('\n'),
  );
}

out.wallSeconds = (performance.now() - started) / 1000;
console.log(JSON.stringify(out));
console.log();
console.log(tables.join('\n'));
console.log('Paper: Leitão, Pereira, Rodrigues, SRDS 2007, §4 (PeerSim, 10 000 nodes, HyParView active view 5). Plumtree keeps 100 % reliability in a stable network and under failures up to 80 %, with RMR 0 once the tree is built (Table 1) and RMR back to its pre-failure level within a couple of broadcasts (Fig. 5).');
console.log('iroh-gossip: tests/sim.rs big_single_sender / big_multiple_sender / big_burst at 100 peers, link delay 10–100 ms (bounds asserted in CI, not measurements).');
const svg = args.get('svg');
if (svg !== undefined) writeFileSync(svg, failurePlotSvg(plot));
