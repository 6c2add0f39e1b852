/**
 * Scamp (Ganesh, Kermarrec, Massoulié, IEEE ToC 2003, §2 subscription), as a comparison baseline for the HyParView
 * benchmark (HyParView paper, DSN 2007 §5, compares against it).
 *
 * Subscription only — no unsubscription, lease, re-subscription or indirection, since the benchmark measures the
 * overlay a sequence of joins builds and what a mass crash does to it before any repair. Node j joins through a
 * uniformly chosen earlier node (the contact): j's partial view starts as {contact}; the contact forwards j's id to
 * every member of its partial view plus c = 1 (default) extra copies to random members. A node receiving a forwarded
 * subscription keeps it with probability 1/(1 + |partial view|) if it is not j and does not hold j yet, else forwards
 * it to a random member of its partial view. Keeping adds j to the keeper's partial view and the keeper to j's in-view.
 * The expected partial view is (c + 1)·ln n. Two guards the paper leaves implicit: a contact with an empty partial
 * view (only the very first join) keeps j itself, and a forwarded copy is dropped after `forwardHopsMax` hops (it
 * only loops that long in a tiny system where everybody already holds j).
 *
 * Broadcast: the random gossip of ./cyclon-sim.ts over the partial views (fanout ceil(ln n) + 1 by default).
 */
import { createRandom, type SeededRandom } from '@rumor/testkit';
import { crashAtRandom, defaultFanout, gossipReliability, type BaselineRow, type CurveOptions } from './cyclon-sim.js';

/** Tunables of the Scamp baseline; every one has a documented default. */
export interface ScampInit {
  /** Extra copies of a subscription the contact forwards, c. Default 1. */
  extraCopies?: number;
  /** Hops after which a forwarded subscription is dropped. Default 1 000. */
  forwardHopsMax?: number;
}

/** A Scamp overlay: partial views (gossip targets) and in-views (who holds the node). */
export interface ScampOverlay {
  partial: number[][];
  inView: number[][];
  alive: boolean[];
  /** Forwarded subscriptions dropped at `forwardHopsMax`. */
  dropped: number;
}

/** Build an n-node Scamp overlay by n − 1 sequential subscriptions through random earlier contacts. */
export function createScampOverlay(n: number, init: ScampInit, seed: number): ScampOverlay {
  const o: ScampOverlay = {
    partial: Array.from({ length: n }, () => []),
    inView: Array.from({ length: n }, () => []),
    alive: new Array<boolean>(n).fill(true),
    dropped: 0,
  };
  const random = createRandom(seed).fork('scamp');
  for (let j = 1; j < n; j++) subscribe(o, j, random.int(j), init, random);
  return o;
}

function keep(o: ScampOverlay, holder: number, j: number): void {
  o.partial[holder]!.push(j);
  o.inView[j]!.push(holder);
}

/** Subscription of j through `contact` (§2.2). */
function subscribe(o: ScampOverlay, j: number, contact: number, init: ScampInit, random: SeededRandom): void {
  keep(o, j, contact);
  const view = o.partial[contact]!.filter((x) => x !== j);
  if (view.length === 0) {
    keep(o, contact, j);
    return;
  }
  for (const x of view) forwardedSubscription(o, x, j, init, random);
  for (let k = 0; k < (init.extraCopies ?? 1); k++) forwardedSubscription(o, view[random.int(view.length)]!, j, init, random);
}

/** Handling of one forwarded subscription for j arriving at x (§2.2), followed hop by hop until kept or dropped. */
function forwardedSubscription(o: ScampOverlay, x: number, j: number, init: ScampInit, random: SeededRandom): void {
  const hopsMax = init.forwardHopsMax ?? 1000;
  for (let hops = 0; ; hops++) {
    const view = o.partial[x]!;
    if (x !== j && !view.includes(j) && random.next() < 1 / (1 + view.length)) {
      keep(o, x, j);
      return;
    }
    if (hops >= hopsMax || view.length === 0) {
      o.dropped++;
      return;
    }
    x = view[random.int(view.length)]!;
  }
}

/** A deep copy, so several failure runs can start from one bootstrap. */
export function cloneScamp(o: ScampOverlay): ScampOverlay {
  return { partial: o.partial.map((v) => v.slice()), inView: o.inView.map((v) => v.slice()), alive: o.alive.slice(), dropped: o.dropped };
}

/** Scamp's reliability at the crash of each fraction (no repair modelled): one bootstrap per size, copied per fraction. */
export function scampFailureCurve(
  n: number,
  fractions: readonly number[],
  seed: number,
  init: ScampInit = {},
  options: CurveOptions = {},
): BaselineRow[] {
  const base = createScampOverlay(n, init, seed);
  const fanout = options.fanout ?? defaultFanout(n);
  return fractions.map((fraction, k) => {
    const o = cloneScamp(base);
    const random = createRandom(seed + 7919 * (k + 1)).fork('scamp-failure');
    const crashed = crashAtRandom(o.alive, fraction, random);
    const at = gossipReliability(o.partial, o.alive, fanout, options.sources ?? 50, random);
    return { fraction, survivors: n - crashed, atCrash: at.mean, atCrashMin: at.min, afterRounds: {} };
  });
}
