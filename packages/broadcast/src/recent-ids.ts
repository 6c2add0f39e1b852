/**
 * The anti-entropy window: ids delivered or broadcast in the last `windowMs`, in arrival order.
 *
 * The paper sends each IHAVE once; on a lossy network a lost IHAVE (or a lost GRAFT reply after all retries) would
 * leave a node missing a message for good. Rumor therefore re-announces recent ids to one random peer per interval
 * (docs/broadcast.md, "Repair under loss"). This ring holds what to announce; it is bounded by the window and by
 * the dedup bound, and trimming is amortised O(1).
 */
import type { MessageId } from './message-id.js';

/** Arrival-ordered ids within a time window. */
export interface RecentIds {
  push(id: MessageId, hops: number, at: number): void;
  /** Drops ids older than the window. */
  trim(now: number): void;
  /** Up to `max` consecutive entries starting at a position chosen by `pick` in [0, 1). */
  slice(max: number, pick: number): { ids: MessageId[]; hops: number[] };
  readonly size: number;
}

/** Creates an empty window of `windowMs`, holding at most `countMax` ids. */
export function createRecentIds(windowMs: number, countMax: number): RecentIds {
  let ids: MessageId[] = [];
  let hops: number[] = [];
  let at: number[] = [];
  let head = 0;
  function compact(): void {
    if (head > 1024 && head * 2 > ids.length) {
      ids = ids.slice(head);
      hops = hops.slice(head);
      at = at.slice(head);
      head = 0;
    }
  }
  return {
    push(id, h, t) {
      ids.push(id);
      hops.push(h);
      at.push(t);
      if (ids.length - head > countMax) head++;
      compact();
    },
    trim(now) {
      while (head < ids.length && (at[head] as number) < now - windowMs) head++;
      compact();
    },
    slice(max, pick) {
      const n = ids.length - head;
      const start = n <= max ? head : head + Math.floor(pick * (n - max + 1));
      const end = Math.min(ids.length, start + max);
      return { ids: ids.slice(start, end), hops: hops.slice(start, end) };
    },
    get size() {
      return ids.length - head;
    },
  };
}
