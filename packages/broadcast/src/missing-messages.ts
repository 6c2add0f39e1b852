/**
 * Announced but missing messages and their graft timers (Plumtree Algorithm 2: "missing" and the two timers).
 *
 * An IHAVE for an unknown id starts the first timer (`graftTimeoutMs`); when it expires the owner grafts one
 * announcer and the second timer (`graftRetryMs`) starts; each expiry tries the next announcer. Both delays are
 * constants and time only moves forward, so each kind of timer expires in the order it was set: two FIFO queues
 * and a single platform timer serve every missing message, instead of one timer per id (a burst of thousands of
 * messages would otherwise arm thousands of timers per node). A resolved or rescheduled entry leaves a stale
 * queue item behind, recognised by its generation and skipped.
 */
import type { MessageId } from './message-id.js';
import type { NodeId, Timers } from './ports.js';

/** One missing message. */
export interface MissingEntry {
  /** Peers that announced it, in arrival order. */
  sources: NodeId[];
  /** Index of the next announcer to graft. */
  next: number;
  /** GRAFTs sent so far. */
  attempts: number;
  gen: number;
}

interface Due {
  id: MessageId;
  at: number;
  gen: number;
}

/** The missing set with its timers. */
export interface MissingMessages {
  /** Records that `from` announced `id`; starts the first timer for a new id. Returns false when full. */
  announce(id: MessageId, from: NodeId, sourcesMax: number, countMax: number): boolean;
  /** The message arrived: stop its timers. */
  resolve(id: MessageId): void;
  /** Forgets `peer` as an announcer; an entry that has not been grafted yet and has no announcer left is dropped. */
  removeSource(peer: NodeId): void;
  /** Runs the first expiry of `id` now instead of after `graftTimeoutMs` (no GRAFT sent for it yet). */
  expireNow(id: MessageId): void;
  /** Starts the retry timer of `id` after a GRAFT. */
  retryLater(id: MessageId): void;
  /** Drops `id` (given up). */
  drop(id: MessageId): void;
  close(): void;
  readonly size: number;
}

/** Creates an empty missing set; `expire(id, entry)` runs when a timer of `id` expires. */
export function createMissingMessages(
  timers: Timers,
  firstMs: number,
  retryMs: number,
  expire: (id: MessageId, entry: MissingEntry) => void,
): MissingMessages {
  const entries = new Map<MessageId, MissingEntry>();
  const first: Due[] = [];
  const retry: Due[] = [];
  let firstHead = 0;
  let retryHead = 0;
  let armedAt = Infinity;
  let cancel: (() => void) | undefined;
  let closed = false;
  // Generations are unique across entries, so a stale queue item never matches a later entry for the same id.
  let generation = 0;

  function headAt(q: Due[], head: number): number {
    return head < q.length ? (q[head] as Due).at : Infinity;
  }

  function arm(): void {
    const at = Math.min(headAt(first, firstHead), headAt(retry, retryHead));
    if (at === Infinity || at >= armedAt || closed) return;
    cancel?.();
    armedAt = at;
    cancel = timers.setTimer(Math.max(0, at - timers.now()), fire);
  }

  function fire(): void {
    // Items up to the time this timer was armed for are due even if the clock reads a hair earlier (float
    // arithmetic, or a local clock that drifts): comparing with `now()` alone could re-arm at 0 ms forever.
    const now = Math.max(timers.now(), armedAt);
    cancel = undefined;
    armedAt = Infinity;
    const due: Due[] = [];
    while (firstHead < first.length && (first[firstHead] as Due).at <= now) due.push(first[firstHead++] as Due);
    while (retryHead < retry.length && (retry[retryHead] as Due).at <= now) due.push(retry[retryHead++] as Due);
    if (firstHead > 1024 && firstHead * 2 > first.length) first.splice(0, firstHead), (firstHead = 0);
    if (retryHead > 1024 && retryHead * 2 > retry.length) retry.splice(0, retryHead), (retryHead = 0);
    for (const d of due) {
      const e = entries.get(d.id);
      if (e !== undefined && e.gen === d.gen && !closed) expire(d.id, e);
    }
    arm();
  }

  return {
    announce(id, from, sourcesMax, countMax) {
      const e = entries.get(id);
      if (e !== undefined) {
        if (!e.sources.includes(from) && e.sources.length < sourcesMax) e.sources.push(from);
        return true;
      }
      if (entries.size >= countMax) return false;
      const gen = ++generation;
      entries.set(id, { sources: [from], next: 0, attempts: 0, gen });
      first.push({ id, at: timers.now() + firstMs, gen });
      arm();
      return true;
    },
    resolve(id) {
      entries.delete(id);
    },
    removeSource(peer) {
      for (const [id, e] of entries) {
        const i = e.sources.indexOf(peer);
        if (i < 0) continue;
        e.sources.splice(i, 1);
        if (e.next > i) e.next--;
        if (e.sources.length === 0 && e.attempts === 0) entries.delete(id);
      }
    },
    expireNow(id) {
      const e = entries.get(id);
      // The entry's queue item goes stale (new generation); `expire` re-queues it on the retry timer.
      if (e === undefined || e.attempts > 0 || closed) return;
      e.gen = ++generation;
      expire(id, e);
    },
    retryLater(id) {
      const e = entries.get(id);
      if (e === undefined) return;
      e.gen = ++generation;
      retry.push({ id, at: timers.now() + retryMs, gen: e.gen });
      arm();
    },
    drop(id) {
      entries.delete(id);
    },
    close() {
      closed = true;
      cancel?.();
      cancel = undefined;
      entries.clear();
      first.length = 0;
      retry.length = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
