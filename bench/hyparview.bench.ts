/**
 * HyParView reproduced against the paper (Leitão, Pereira, Rodrigues, DSN 2007, §5) in the testkit simulator.
 *
 * `npm run bench -- hyparview [--sizes=1000,10000] [--seed=N] [--fractions=0.5,0.8] [--svg=path]`
 *
 * Setup: active 5, passive 30, ARWL 6, PRWL 3, shuffle ka 3 / kp 4, one membership round = one shuffle period
 * (10 s virtual). Links: uniform 5–15 ms one-way. Failure detection: a crashed node's links are reported
 * `down(failed)` by the carrier `detectMs` after the crash (default 1 s: a crashed process on a live host, like the
 * TCP resets the paper relies on), and a dial to a crashed node fails after `connectTimeoutMs` (1 s).
 *
 * For every failure fraction f the overlay is bootstrapped afresh (node i joins through two random earlier nodes;
 * then 5 rounds to settle), f·n random nodes crash at once, and a flood over the survivors' active
 * views (computed on the graph: it measures the overlay, not Plumtree) is issued from random survivors: at the
 * crash (before any detection or repair), at the first broadcast after detection (crash + detectMs + 1 s), and 1, 2
 * and 5 rounds after the crash. Healing time is the time until the survivors' overlay is one component and every
 * survivor's active view is full again.
 *
 * Baselines in the same run (the paper's §5 comparison): Cyclon (view c = 30, shuffle length 5, 30 rounds after
 * the joins; bench/lib/cyclon-sim.ts) and Scamp (c = 1; bench/lib/scamp-sim.ts), each bootstrapped once per size
 * with the same seed, then for every f: crash f·n at once and gossip from random survivors to
 * min(ceil(ln n) + 1, |view|) random view members per node — at the crash, and for Cyclon after 1 and 5 rounds.
 */
import { writeFileSync } from 'node:fs';
import type { HyParViewInit } from '@rumor/membership';
import { createRandom } from '@rumor/testkit';
import {
  adjacency,
  asymmetric,
  averageShortestPath,
  bootstrapOverlay,
  clusteringCoefficient,
  componentSizes,
  crashFraction,
  inDegreeHistogram,
  reliability,
  shortViews,
  type Overlay,
} from './lib/hyparview-sim.js';
import { reliabilitySvg } from './lib/hyparview-svg.js';
import { cyclonFailureCurve, defaultFanout, type BaselineRow } from './lib/cyclon-sim.js';
import { scampFailureCurve } from './lib/scamp-sim.js';

const ROUND_MS = 10_000;
const DETECT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 1_000;
/** The first broadcast: once failures are reported (DETECT_MS) and the repair they trigger had two dial timeouts. */
const FIRST_BROADCAST_MS = DETECT_MS + 2 * CONNECT_TIMEOUT_MS;
const SETTLE_ROUNDS = 5;
const HEAL_LIMIT_ROUNDS = 20;
const init: HyParViewInit = { shuffleIntervalMs: ROUND_MS };

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const sizes = (args.get('sizes') ?? '1000,10000').split(',').map(Number);
const seed = Number(args.get('seed') ?? 20070625);
const fractions = (args.get('fractions') ?? '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95').split(',').map(Number);
const svgPath = args.get('svg');

/**
 * The paper's HyParView curve, as read off its reliability-after-failures figure (first message after the failure;
 * PeerSim, 10 000 nodes). Approximate, from the published figure and text: the PDF could not be fetched from this
 * machine, so treat these as "≈" values — the shape (≈100 % up to 90 %, a drop at 95 %) is what the paper states.
 */
const PAPER_HYPARVIEW: Record<string, string> = {
  '0.1': '≈100', '0.2': '≈100', '0.3': '≈100', '0.4': '≈100', '0.5': '≈100',
  '0.6': '≈100', '0.7': '≈100', '0.8': '≈100', '0.9': '≈98', '0.95': '≈90',
};

interface FailureRow {
  fraction: number;
  survivors: number;
  atCrash: number;
  firstBroadcast: number;
  firstBroadcastMin: number;
  round1: number;
  round2: number;
  round2Min: number;
  round5: number;
  componentsAfter2: number;
  connectedAfterS: number | null;
  /** Connected and no survivor more than one slot short. */
  nearlyFullAfterS: number | null;
  healedAfterS: number | null;
  shortAtEnd: number;
  /** Membership messages per survivor per round over the timeline after the crash. */
  msgsPerNodePerRound: number;
}

const pct = (x: number, digits = 2) => (100 * x).toFixed(digits);
const simInit = (s: number) => ({ seed: s, failureDetectionMs: DETECT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS });
const spacing = (n: number) => (n >= 5_000 ? 2 : 10);

function bootstrap(n: number, s: number, contacts: 'random' | 'seed-and-random' = 'random'): Overlay {
  return bootstrapOverlay(n, init, simInit(s), spacing(n), SETTLE_ROUNDS * ROUND_MS, contacts);
}

function overlayMetrics(o: Overlay, n: number) {
  const adj = adjacency(o);
  const rnd = createRandom(seed ^ n);
  const comps = componentSizes(adj, o.alive);
  let sent = 0;
  for (const node of o.nodes) for (const v of Object.values(node.hv.stats().sent)) sent += v;
  const passiveAvg = o.nodes.reduce((a, node) => a + node.hv.passiveView().length, 0) / n;
  return {
    components: comps.length,
    largest: comps[0] ?? 0,
    asymmetric: asymmetric(adj),
    emptyActive: o.nodes.filter((node) => node.hv.activeView().length === 0).length,
    fullActive: o.nodes.filter((node) => node.hv.activeView().length === 5).length,
    inDegree: inDegreeHistogram(adj, o.alive),
    clustering: clusteringCoefficient(adj, o.alive),
    avgShortestPath: averageShortestPath(adj, o.alive, Math.min(n, 500), rnd),
    passiveAvg,
    messagesPerNodePerRound: sent / n / (o.sim.now() / ROUND_MS),
    simEvents: o.sim.stats.events,
  };
}

function failureRun(o: Overlay, n: number, fraction: number, s: number): FailureRow {
  const rnd = createRandom(s ^ 0x5eed);
  const sources = Math.min(200, n);
  const crashed = crashFraction(o, fraction, rnd, DETECT_MS);
  const t0 = o.sim.now();
  const sentBefore = sentBy(o);
  const atCrash = reliability(o, sources, rnd).mean;
  // One timeline, sampled every second: floods at the named instants, connectivity and full views throughout.
  const firstAt = FIRST_BROADCAST_MS;
  const sec = (ms: number) => Math.round(ms / 1000);
  const samples = new Map<number, { mean: number; min: number }>();
  const wanted = [sec(firstAt), sec(ROUND_MS), sec(2 * ROUND_MS), sec(5 * ROUND_MS)];
  let connectedAfterS: number | null = null;
  let healedAfterS: number | null = null;
  let nearlyFullAfterS: number | null = null;
  let componentsAfter2 = 0;
  const last = Math.max(...wanted);
  for (let t = 1; t <= sec(HEAL_LIMIT_ROUNDS * ROUND_MS); t++) {
    // Past 5 rounds only the healing times are still open: sample every 5 s to save work.
    if (t > last && t % 5 !== 0) continue;
    o.sim.run({ untilMs: t0 + t * 1000 });
    if (wanted.includes(t)) samples.set(t, reliability(o, sources, rnd));
    const components = componentSizes(adjacency(o), o.alive).length;
    if (t === sec(2 * ROUND_MS)) componentsAfter2 = components;
    if (components === 1 && connectedAfterS === null) connectedAfterS = t;
    if (components === 1 && nearlyFullAfterS === null && shortViews(o, 4) === 0) nearlyFullAfterS = t;
    if (components === 1 && healedAfterS === null && shortViews(o, 5) === 0) healedAfterS = t;
    if (t >= last && healedAfterS !== null) break;
  }
  const at = (t: number) => samples.get(t)!;
  return {
    fraction,
    survivors: n - crashed,
    atCrash,
    firstBroadcast: at(wanted[0]!).mean,
    firstBroadcastMin: at(wanted[0]!).min,
    round1: at(wanted[1]!).mean,
    round2: at(wanted[2]!).mean,
    round2Min: at(wanted[2]!).min,
    round5: at(wanted[3]!).mean,
    componentsAfter2,
    connectedAfterS,
    nearlyFullAfterS,
    healedAfterS,
    shortAtEnd: shortViews(o, 5),
    msgsPerNodePerRound: (sentBy(o) - sentBefore) / (n - crashed) / ((o.sim.now() - t0) / ROUND_MS),
  };
}

/** Membership messages sent so far by the live nodes. */
function sentBy(o: Overlay): number {
  let sent = 0;
  for (const node of o.nodes) if (o.alive[node.index]) for (const v of Object.values(node.hv.stats().sent)) sent += v;
  return sent;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

const results: Record<string, unknown> = {};
/** Per size: HyParView's failure rows and the baselines' of the same run (the plot draws the largest size's baselines). */
const curves: { n: number; rows: FailureRow[]; cyclon: BaselineRow[]; scamp: BaselineRow[] }[] = [];
for (const n of sizes) {
  const started = performance.now();
  const base = bootstrap(n, seed);
  const bootMs = performance.now() - started;
  const m = overlayMetrics(base, n);
  console.log(`\n## HyParView, ${n} nodes — after bootstrap and ${SETTLE_ROUNDS} rounds (${(bootMs / 1000).toFixed(1)} s wall)`);
  console.log(
    table(
      ['components', 'asymmetric links', 'empty active', 'full active', 'passive avg', 'clustering coeff.', 'avg shortest path', 'msgs/node/round (joins incl.)'],
      [[m.components, m.asymmetric, m.emptyActive, `${pct(m.fullActive / n, 1)} %`, m.passiveAvg.toFixed(1), m.clustering.toFixed(5), m.avgShortestPath.toFixed(2), m.messagesPerNodePerRound.toFixed(1)]],
    ),
  );
  console.log('\nin-degree distribution (active overlay):');
  console.log(table(['in-degree', ...m.inDegree.map((_, d) => String(d))], [['nodes', ...m.inDegree]]));
  // The same bootstrap where every node also lists one well-known seed (node 0): a typical small deployment.
  const seeded = overlayMetrics(bootstrap(n, seed, 'seed-and-random'), n);
  console.log(`\nbootstrap through one well-known seed plus a random node (${n} nodes):`);
  console.log(
    table(
      ['components', 'asymmetric links', 'empty active', 'full active', 'clustering coeff.', 'avg shortest path'],
      [[seeded.components, seeded.asymmetric, seeded.emptyActive, `${pct(seeded.fullActive / n, 1)} %`, seeded.clustering.toFixed(5), seeded.avgShortestPath.toFixed(2)]],
    ),
  );

  const rows: FailureRow[] = [];
  let reuse: Overlay | undefined = base;
  for (const [k, fraction] of fractions.entries()) {
    // The undisturbed overlay (f = 0) runs on the bootstrap measured above; every other f on a fresh one.
    const s = fraction === 0 ? seed : seed + 7919 * (k + 1);
    const o: Overlay = fraction === 0 ? base : bootstrap(n, s);
    const t = performance.now();
    rows.push(failureRun(o, n, fraction, s));
    const row = rows.at(-1)!;
    process.stderr.write(`  n=${n} f=${fraction}: first ${pct(row.firstBroadcast)} % · 2 rounds ${pct(row.round2)} % (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
  }
  const baselineStarted = performance.now();
  const baselineOptions = { sources: Math.min(200, n), healRounds: [1, 5] };
  const cyclon: BaselineRow[] = cyclonFailureCurve(n, fractions, seed, {}, baselineOptions);
  const scamp: BaselineRow[] = scampFailureCurve(n, fractions, seed, {}, baselineOptions);
  const baselineMs = performance.now() - baselineStarted;
  curves.push({ n, rows, cyclon, scamp });
  process.stderr.write(`  n=${n} baselines (Cyclon, Scamp): ${(baselineMs / 1000).toFixed(1)} s\n`);
  console.log(`\n## Reliability of a flood over the active views after f·n nodes crash at once (${n} nodes, % of survivors reached; mean over 200 sources)`);
  console.log(`baselines: gossip to ${defaultFanout(n)} random view members per node (Cyclon c = 30, Scamp c = 1), mean over ${baselineOptions.sources} sources`);
  console.log(
    table(
      ['failed', 'paper (first msg)', 'at crash', 'cyclon: at crash', 'cyclon: 1 round', 'cyclon: 5 rounds', 'scamp: at crash', `first broadcast (${FIRST_BROADCAST_MS / 1000} s)`, '(min)', '1 round', '2 rounds', '(min)', '5 rounds', 'components @2', 'connected after', 'all ≥ 4 after', 'all full after', 'msgs/node/round'],
      rows.map((r, k) => [
        `${Math.round(r.fraction * 100)} %`,
        PAPER_HYPARVIEW[String(r.fraction)] ?? '—',
        pct(r.atCrash),
        pct(cyclon[k]!.atCrash),
        pct(cyclon[k]!.afterRounds[1]!),
        pct(cyclon[k]!.afterRounds[5]!),
        pct(scamp[k]!.atCrash),
        pct(r.firstBroadcast),
        pct(r.firstBroadcastMin),
        pct(r.round1),
        pct(r.round2),
        pct(r.round2Min),
        pct(r.round5),
        r.componentsAfter2,
        r.connectedAfterS === null ? `> ${HEAL_LIMIT_ROUNDS} rounds` : `${r.connectedAfterS} s`,
        r.nearlyFullAfterS === null ? `> ${HEAL_LIMIT_ROUNDS} rounds` : `${r.nearlyFullAfterS} s`,
        r.healedAfterS === null ? `> ${HEAL_LIMIT_ROUNDS} rounds (${r.shortAtEnd} short)` : `${r.healedAfterS} s (${(r.healedAfterS / (ROUND_MS / 1000)).toFixed(1)} rounds)`,
        r.msgsPerNodePerRound.toFixed(1),
      ]),
    ),
  );
  results[String(n)] = {
    bootstrap: { ...m, wallMs: Math.round(bootMs) },
    bootstrapOneSeed: seeded,
    failures: rows,
    baselines: { fanout: defaultFanout(n), sources: baselineOptions.sources, wallMs: Math.round(baselineMs), cyclon, scamp },
  };
}

if (svgPath) {
  const paper = Object.entries(PAPER_HYPARVIEW).map(([f, r]) => [Number(f), Number(r.replace('≈', '')) / 100] as [number, number]);
  // The baselines of the largest size, measured in the same run (the tables hold both sizes).
  const b = curves.reduce((x, y) => (y.n > x.n ? y : x));
  const baselines = [
    { label: `${b.n}: Cyclon at crash`, points: b.cyclon.map((r) => [r.fraction, r.atCrash] as [number, number]) },
    { label: `${b.n}: Cyclon 5 rounds`, points: b.cyclon.map((r) => [r.fraction, r.afterRounds[5] ?? r.atCrash] as [number, number]) },
    { label: `${b.n}: Scamp at crash`, points: b.scamp.map((r) => [r.fraction, r.atCrash] as [number, number]) },
  ];
  writeFileSync(svgPath, reliabilitySvg(curves, paper, baselines));
  console.log(`\nplot written to ${svgPath}`);
}
console.log(
  JSON.stringify({
    bench: 'hyparview',
    seed,
    roundMs: ROUND_MS,
    detectMs: DETECT_MS,
    params: { activeViewSize: 5, passiveViewSize: 30, arwl: 6, prwl: 3, ka: 3, kp: 4 },
    baselineParams: { cyclon: { viewSize: 30, shuffleLength: 5, joinWalkLength: 5, bootstrapRounds: 30 }, scamp: { extraCopies: 1 }, fanout: 'ceil(ln n) + 1' },
    results,
  }),
);
