/**
 * Cyclon (Voulgaris, Gavidia, van Steen, JNSM 2005, §3 "enhanced shuffling" and §4 join by random walks), round
 * based, as a comparison baseline for the HyParView benchmark (HyParView paper, DSN 2007 §5, compares against it),
 * plus the random-gossip broadcast both baselines (Cyclon, Scamp) are measured with.
 *
 * Model: cycle driven like PeerSim. Nodes are indices 0..n-1; one round = every live node, in a fresh random
 * order, initiates one shuffle that completes at once (request and reply are instantaneous). A crashed node
 * neither initiates nor answers; the initiator has already dropped the oldest entry it shuffled with, which is how
 * Cyclon forgets dead peers — there is no failure detector.
 *
 * Defaults (each an option): view c = 30 (the size HyParView's passive view has in the bench, the order the paper's
 * comparison used), shuffle length l = 5, join by c random walks of 5 hops from a random earlier node (the
 * introducer), then 30 rounds to converge.
 *
 * Broadcast (both baselines): gossip, not flood — the source and every node on first receipt send to
 * min(fanout, |view|) distinct random members of their view; sends to crashed nodes are lost. Default fanout
 * ceil(ln n) + 1 (8 at 1 000 nodes, 11 at 10 000): the usual "log n + 1" that makes a gossip atomic with high
 * probability on an intact overlay. Reliability = share of survivors a broadcast from a random survivor reaches.
 */
import { createRandom, type SeededRandom } from '@rumor/testkit';

/** Tunables of the Cyclon baseline; every one has a documented default. */
export interface CyclonInit {
  /** Entries per view, c. Default 30. */
  viewSize?: number;
  /** Entries exchanged per shuffle, l. Default 5. */
  shuffleLength?: number;
  /** Hops of each join random walk. Default 5. */
  joinWalkLength?: number;
  /** Shuffle rounds after the last join, before any measurement. Default 30. */
  bootstrapRounds?: number;
}

/** A Cyclon overlay: per node, parallel arrays of neighbour ids and their ages. */
export interface CyclonOverlay {
  readonly viewSize: number;
  readonly shuffleLength: number;
  ids: number[][];
  ages: number[][];
  alive: boolean[];
}

/** Uniform pick of up to `k` distinct elements of `xs` (partial Fisher–Yates on a copy). */
export function sample<T>(xs: readonly T[], k: number, random: SeededRandom): T[] {
  const a = xs.slice();
  const m = Math.min(k, a.length);
  for (let i = 0; i < m; i++) {
    const j = i + random.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  a.length = m;
  return a;
}

/** Build an n-node Cyclon overlay: sequential joins by random walks, then `bootstrapRounds` shuffle rounds. */
export function createCyclonOverlay(n: number, init: CyclonInit, seed: number): CyclonOverlay {
  const c = init.viewSize ?? 30;
  const o: CyclonOverlay = {
    viewSize: c,
    shuffleLength: init.shuffleLength ?? 5,
    ids: Array.from({ length: n }, () => []),
    ages: Array.from({ length: n }, () => []),
    alive: new Array<boolean>(n).fill(true),
  };
  const random = createRandom(seed).fork('cyclon');
  const joins = random.fork('join');
  for (let j = 1; j < n; j++) join(o, j, joins.int(j), init.joinWalkLength ?? 5, joins);
  const rounds = random.fork('rounds');
  for (let r = 0; r < (init.bootstrapRounds ?? 30); r++) cyclonRound(o, rounds);
  return o;
}

/**
 * Cyclon join (§4): the introducer starts c random walks; the node where a walk ends replaces a random entry of its
 * full view by the joiner and hands the evicted entry to the joiner, so in-degrees of old nodes are unchanged. A
 * node whose view is not full yet simply adds the joiner and is added by it.
 */
function join(o: CyclonOverlay, j: number, introducer: number, walk: number, random: SeededRandom): void {
  for (let w = 0; w < o.viewSize; w++) {
    let q = introducer;
    for (let h = 0; h < walk && o.ids[q]!.length > 0; h++) q = o.ids[q]![random.int(o.ids[q]!.length)]!;
    if (q === j || o.ids[q]!.includes(j)) continue;
    if (o.ids[q]!.length < o.viewSize) {
      o.ids[q]!.push(j);
      o.ages[q]!.push(0);
      if (!o.ids[j]!.includes(q)) add(o, j, q, 0);
      continue;
    }
    const slot = random.int(o.viewSize);
    const e = o.ids[q]![slot]!;
    if (e === j || o.ids[j]!.includes(e)) continue;
    add(o, j, e, o.ages[q]![slot]!);
    o.ids[q]![slot] = j;
    o.ages[q]![slot] = 0;
  }
}

function add(o: CyclonOverlay, v: number, id: number, age: number): void {
  o.ids[v]!.push(id);
  o.ages[v]!.push(age);
}

function remove(o: CyclonOverlay, v: number, slot: number): void {
  const ids = o.ids[v]!;
  const ages = o.ages[v]!;
  ids[slot] = ids[ids.length - 1]!;
  ages[slot] = ages[ages.length - 1]!;
  ids.pop();
  ages.pop();
}

/**
 * Merge received entries into v's view (§3 steps 6–7): drop self and known ids, fill empty slots first, then
 * overwrite the entries v itself sent in this shuffle; what still does not fit is discarded.
 */
function merge(o: CyclonOverlay, v: number, received: readonly [number, number][], sent: readonly number[]): void {
  const ids = o.ids[v]!;
  let k = 0;
  for (const [id, age] of received) {
    if (id === v || ids.includes(id)) continue;
    if (ids.length < o.viewSize) {
      add(o, v, id, age);
      continue;
    }
    let slot = -1;
    while (k < sent.length && slot < 0) slot = ids.indexOf(sent[k++]!);
    if (slot < 0) return;
    ids[slot] = id;
    o.ages[v]![slot] = age;
  }
}

/** One shuffle initiated by p (§3 steps 1–7); a crashed partner does not answer and stays dropped. */
export function shuffle(o: CyclonOverlay, p: number, random: SeededRandom): void {
  const ids = o.ids[p]!;
  const ages = o.ages[p]!;
  if (ids.length === 0) return;
  let oldest = 0;
  for (let i = 0; i < ages.length; i++) ages[i]!++;
  for (let i = 1; i < ages.length; i++) if (ages[i]! > ages[oldest]!) oldest = i;
  const q = ids[oldest]!;
  remove(o, p, oldest);
  const others = sample(ids.map((_, i) => i), o.shuffleLength - 1, random);
  const sentByP = others.map((i) => ids[i]!);
  const request: [number, number][] = [[p, 0], ...others.map((i) => [ids[i]!, ages[i]!] as [number, number])];
  if (!o.alive[q]) return;
  const replySlots = sample(o.ids[q]!.map((_, i) => i), o.shuffleLength, random);
  const sentByQ = replySlots.map((i) => o.ids[q]![i]!);
  const reply = replySlots.map((i) => [o.ids[q]![i]!, o.ages[q]![i]!] as [number, number]);
  merge(o, q, request, sentByQ);
  merge(o, p, reply, sentByP);
}

/** One round: every live node, in random order, initiates one shuffle. */
export function cyclonRound(o: CyclonOverlay, random: SeededRandom): void {
  const order = sample(
    o.alive.flatMap((a, i) => (a ? [i] : [])),
    o.alive.length,
    random,
  );
  for (const p of order) if (o.alive[p]) shuffle(o, p, random);
}

/** A deep copy, so several failure runs can start from one bootstrap. */
export function cloneCyclon(o: CyclonOverlay): CyclonOverlay {
  return { ...o, ids: o.ids.map((v) => v.slice()), ages: o.ages.map((v) => v.slice()), alive: o.alive.slice() };
}

/** Default gossip fanout for n nodes: ceil(ln n) + 1. */
export function defaultFanout(n: number): number {
  return Math.ceil(Math.log(n)) + 1;
}

/** Crash exactly round(fraction × live) uniformly chosen live nodes; returns how many crashed. */
export function crashAtRandom(alive: boolean[], fraction: number, random: SeededRandom): number {
  const live = alive.flatMap((a, i) => (a ? [i] : []));
  const victims = sample(live, Math.round(fraction * live.length), random);
  for (const v of victims) alive[v] = false;
  return victims.length;
}

/** Live nodes a gossip from `source` reaches (source included) when each forwards to `fanout` random view members. */
export function gossipReach(
  views: readonly (readonly number[])[],
  alive: readonly boolean[],
  source: number,
  fanout: number,
  random: SeededRandom,
): number {
  const seen = new Uint8Array(views.length);
  const queue = [source];
  const targets: number[] = [];
  seen[source] = 1;
  for (let i = 0; i < queue.length; i++) {
    // `sample` inlined on a reused buffer: this loop is the whole cost of a measurement.
    const view = views[queue[i]!]!;
    targets.length = 0;
    for (const x of view) targets.push(x);
    const m = Math.min(fanout, targets.length);
    for (let t = 0; t < m; t++) {
      const r = t + random.int(targets.length - t);
      const w = targets[r]!;
      targets[r] = targets[t]!;
      // A send to a crashed node is lost; it never forwards.
      if (!seen[w] && alive[w]) {
        seen[w] = 1;
        queue.push(w);
      }
    }
  }
  return queue.length;
}

/** Gossip reliability: mean and minimum share of live nodes reached over `sources` random live sources. */
export function gossipReliability(
  views: readonly (readonly number[])[],
  alive: readonly boolean[],
  fanout: number,
  sources: number,
  random: SeededRandom,
): { mean: number; min: number } {
  const live = alive.flatMap((a, i) => (a ? [i] : []));
  let sum = 0;
  let min = 1;
  for (let k = 0; k < sources; k++) {
    const r = gossipReach(views, alive, live[random.int(live.length)]!, fanout, random) / live.length;
    sum += r;
    min = Math.min(min, r);
  }
  return { mean: sum / sources, min };
}

/** One row of a baseline's failure curve; shares of survivors reached. */
export interface BaselineRow {
  fraction: number;
  survivors: number;
  atCrash: number;
  atCrashMin: number;
  /** After that many healing rounds (Cyclon only; keys are round counts). */
  afterRounds: Record<number, number>;
}

/** Options shared by the baselines' failure curves. */
export interface CurveOptions {
  /** Gossip fanout. Default `defaultFanout(n)`. */
  fanout?: number;
  /** Random broadcast sources per measurement. Default 50. */
  sources?: number;
  /** Cyclon rounds after the crash at which reliability is measured again. Default [1, 5]. */
  healRounds?: number[];
}

/**
 * Cyclon's reliability after crashing each fraction at once: one bootstrap per size, copied for every fraction;
 * measured at the crash, then after `healRounds` shuffle rounds among the survivors.
 */
export function cyclonFailureCurve(
  n: number,
  fractions: readonly number[],
  seed: number,
  init: CyclonInit = {},
  options: CurveOptions = {},
): BaselineRow[] {
  const base = createCyclonOverlay(n, init, seed);
  const fanout = options.fanout ?? defaultFanout(n);
  const sources = options.sources ?? 50;
  const heal = [...(options.healRounds ?? [1, 5])].sort((a, b) => a - b);
  return fractions.map((fraction, k) => {
    const o = cloneCyclon(base);
    const random = createRandom(seed + 7919 * (k + 1)).fork('cyclon-failure');
    const crashed = crashAtRandom(o.alive, fraction, random);
    const at = gossipReliability(o.ids, o.alive, fanout, sources, random);
    const afterRounds: Record<number, number> = {};
    let done = 0;
    for (const r of heal) {
      for (; done < r; done++) cyclonRound(o, random);
      afterRounds[r] = gossipReliability(o.ids, o.alive, fanout, sources, random).mean;
    }
    return { fraction, survivors: n - crashed, atCrash: at.mean, atCrashMin: at.min, afterRounds };
  });
}
