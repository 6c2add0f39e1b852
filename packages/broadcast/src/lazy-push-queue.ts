/**
 * Lazy push with batching (Plumtree §3.4: "IHAVE messages … can be buffered and sent in batches").
 *
 * Announcements for one peer accumulate for at most `flushMs` and leave as one IHAVE; a queue that reaches
 * `batchMax` ids leaves at once, so a queue never holds more than `batchMax` ids (the lazy queue bound). One timer
 * serves all peers and runs only while something is queued, so an idle node has no timer pending. `flushMs = 0`
 * turns batching off: every announcement is its own IHAVE, as in the paper.
 */
import type { MessageId } from './message-id.js';
import type { NodeId, Timers } from './ports.js';

/** Per-peer IHAVE batches. */
export interface LazyPushQueue {
  add(peer: NodeId, id: MessageId, hops: number): void;
  /** Send every pending batch now. */
  flush(): void;
  /** Send `peer`'s pending batch now (it rides with a GOSSIP just sent to the same peer). */
  flushPeer(peer: NodeId): void;
  /** Forget `peer`'s pending announcements (peer down); returns how many were discarded. */
  discard(peer: NodeId): number;
  close(): void;
  /** Announcements waiting, over all peers. */
  readonly pending: number;
}

/** Creates a lazy push queue that hands each batch to `emit`. */
export function createLazyPushQueue(
  flushMs: number,
  batchMax: number,
  timers: Timers,
  emit: (peer: NodeId, ids: MessageId[], hops: number[]) => void,
): LazyPushQueue {
  const batches = new Map<NodeId, { ids: MessageId[]; hops: number[] }>();
  let pending = 0;
  let cancel: (() => void) | undefined;

  function sendBatch(peer: NodeId): void {
    const b = batches.get(peer);
    if (b === undefined) return;
    batches.delete(peer);
    pending -= b.ids.length;
    emit(peer, b.ids, b.hops);
  }

  function flush(): void {
    cancel?.();
    cancel = undefined;
    for (const peer of [...batches.keys()]) sendBatch(peer);
  }

  return {
    add(peer, id, hops) {
      if (flushMs <= 0) {
        emit(peer, [id], [hops]);
        return;
      }
      let b = batches.get(peer);
      if (b === undefined) {
        b = { ids: [], hops: [] };
        batches.set(peer, b);
      }
      b.ids.push(id);
      b.hops.push(hops);
      pending++;
      if (b.ids.length >= batchMax) sendBatch(peer);
      else if (cancel === undefined) {
        cancel = timers.setTimer(flushMs, () => {
          cancel = undefined;
          flush();
        });
      }
    },
    flush,
    flushPeer: sendBatch,
    discard(peer) {
      const b = batches.get(peer);
      if (b === undefined) return 0;
      batches.delete(peer);
      pending -= b.ids.length;
      return b.ids.length;
    },
    close() {
      cancel?.();
      cancel = undefined;
      batches.clear();
      pending = 0;
    },
    get pending() {
      return pending;
    },
  };
}
