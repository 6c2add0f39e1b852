/**
 * The payload cache that serves GRAFTs (Plumtree §3.3: "the node keeps the message … to answer graft requests").
 *
 * Bounded three ways — message count, payload bytes and age — and evicts oldest first. Insertion order is arrival
 * order, so the oldest entry is always the first of the Map; eviction is O(1) per evicted entry. Invariants: after
 * every `put`, `size <= countMax` and `bytes <= bytesMax`; after `sweep(now)` no entry is older than `ageMs`; `get`
 * never returns an entry older than `ageMs`.
 */
import type { MessageId } from './message-id.js';

/** A cached message: what a GRAFT needs to re-send it. */
export interface CachedMessage {
  readonly tag: string;
  readonly payload: Uint8Array;
  readonly hops: number;
  readonly at: number;
}

/** Bounds of a {@link MessageCache}. */
export interface MessageCacheLimits {
  countMax: number;
  bytesMax: number;
  ageMs: number;
}

/** Oldest-first bounded payload cache. */
export interface MessageCache {
  put(id: MessageId, message: CachedMessage): void;
  get(id: MessageId, now: number): CachedMessage | undefined;
  sweep(now: number): void;
  readonly size: number;
  readonly bytes: number;
}

/** Creates an empty cache with the given bounds. */
export function createMessageCache(limits: MessageCacheLimits): MessageCache {
  const entries = new Map<MessageId, CachedMessage>();
  let bytes = 0;
  let puts = 0;

  function evictFirst(): void {
    const first = entries.entries().next();
    if (first.done) return;
    entries.delete(first.value[0]);
    bytes -= first.value[1].payload.byteLength;
  }

  function sweep(now: number): void {
    for (;;) {
      const first = entries.values().next();
      if (first.done) return;
      const over = entries.size > limits.countMax || bytes > limits.bytesMax || first.value.at < now - limits.ageMs;
      if (!over) return;
      evictFirst();
    }
  }

  return {
    put(id, message) {
      if (entries.has(id)) return;
      // A payload larger than the whole byte budget is not cached at all rather than flushing everything else.
      if (message.payload.byteLength > limits.bytesMax) return;
      entries.set(id, message);
      bytes += message.payload.byteLength;
      // Count and bytes hold after every put; age every 64 puts, on `sweep`, and on every `get` (which refuses
      // an entry past its age), so an over-age payload is never served.
      if (entries.size > limits.countMax || bytes > limits.bytesMax || (++puts & 63) === 0) sweep(message.at);
    },
    get(id, now) {
      const m = entries.get(id);
      if (m === undefined || m.at < now - limits.ageMs) return undefined;
      return m;
    },
    sweep,
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
