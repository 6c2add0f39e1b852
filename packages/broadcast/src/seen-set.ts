/**
 * The dedup set (Plumtree §3.2, the `received` set): every message id this node delivered or broadcast, with the
 * hop count and the peer it first came from — the optimisation step (§3.8) compares announced hops against them.
 *
 * Bounded by count and by age, oldest first. Delivery is exactly once for as long as an id stays here; beyond
 * that horizon the application's `isKnown` (partisan's `is_stale`) is asked before a message is delivered again.
 */
import type { MessageId } from './message-id.js';
import type { NodeId } from './ports.js';

/** What is remembered about a delivered id. */
export interface SeenEntry {
  at: number;
  /** Hops from the origin at which this node got it (0 at the origin). */
  hops: number;
  /** The peer it first came from; `undefined` at the origin. */
  from: NodeId | undefined;
  /** The first copy travelled a link of the shared tree (origin-trees.ts: only such copies teach the shared tree). */
  viaShared?: boolean;
}

/** Oldest-first bounded set of delivered ids. */
export interface SeenSet {
  add(id: MessageId, entry: SeenEntry): void;
  get(id: MessageId): SeenEntry | undefined;
  has(id: MessageId): boolean;
  sweep(now: number): void;
  readonly size: number;
}

/** Creates an empty dedup set bounded by `countMax` ids and `ageMs`. */
export function createSeenSet(countMax: number, ageMs: number): SeenSet {
  const entries = new Map<MessageId, SeenEntry>();
  function sweep(now: number): void {
    for (;;) {
      const first = entries.entries().next();
      if (first.done) return;
      if (entries.size <= countMax && first.value[1].at >= now - ageMs) return;
      entries.delete(first.value[0]);
    }
  }
  let adds = 0;
  return {
    add(id, entry) {
      entries.set(id, entry);
      // The count bound holds after every add; the age bound is enforced every 64 adds and on `sweep`.
      if (entries.size > countMax || (++adds & 63) === 0) sweep(entry.at);
    },
    get: (id) => entries.get(id),
    has: (id) => entries.has(id),
    sweep,
    get size() {
      return entries.size;
    },
  };
}
