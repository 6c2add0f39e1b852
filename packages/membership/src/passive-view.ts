/**
 * The passive view (paper §4.2): a bounded set of (NodeId, address) backup candidates, refreshed by shuffles.
 *
 * Beyond the paper, entries carry the bookkeeping a real network needs: when they were last learned (entries not
 * re-learned within `passiveMaxAgeMs` age out, so ids of nodes long gone do not linger) and how many promotion
 * attempts failed in a row (a failed entry is skipped for an exponentially growing backoff and dropped after
 * `passiveFailuresMax` failures). Guarantees: never holds self, never more than `capacity` entries, one entry per id.
 */
import type { NodeId, Random } from './ports.js';
import type { NodeEntry } from './messages.js';
import { randomIndex, sample } from './random.js';
import { assert } from './assert.js';

/** A passive entry with its ageing and backoff state. */
export interface PassiveEntry {
  readonly id: NodeId;
  address: string;
  /** When this entry was last learned or refreshed (ms). */
  learnedAt: number;
  /** Consecutive failed promotion attempts. */
  failures: number;
  /** Not a promotion candidate before this time (ms). */
  retryAt: number;
}

/** The tunables the passive view needs. */
export interface PassiveViewConfig {
  self: NodeId;
  capacity: number;
  maxAgeMs: number;
  backoffMs: number;
  backoffMaxMs: number;
  failuresMax: number;
}

/** A bounded passive view. */
export interface PassiveView {
  readonly size: number;
  has(id: NodeId): boolean;
  get(id: NodeId): PassiveEntry | undefined;
  entries(): PassiveEntry[];
  /**
   * Learn (or refresh) `entry`. When full, first evict one of `preferEvict` still present, else a random entry.
   * Returns false (and changes nothing) for self.
   */
  add(entry: NodeEntry, now: number, preferEvict?: readonly NodeId[]): boolean;
  remove(id: NodeId): boolean;
  /** Up to `k` random entries as (id, address) pairs. */
  sample(k: number): NodeEntry[];
  /** Entries eligible for promotion now, excluding `busy` ids. */
  candidates(now: number, busy: (id: NodeId) => boolean): PassiveEntry[];
  /** The earliest time a backed-off entry becomes a candidate again, if any is backed off. */
  nextRetryAt(now: number): number | undefined;
  /** Record a failed promotion attempt; returns true when the entry was dropped for it. */
  recordFailure(id: NodeId, now: number): boolean;
  /** Skip an entry as a candidate until `until` without counting a failure (it answered, but was full). */
  defer(id: NodeId, until: number): void;
  /** Reset an entry's failure count (it answered). */
  recordSuccess(id: NodeId): void;
  /** Drop entries older than `maxAgeMs`; returns how many were dropped. */
  age(now: number): number;
}

/** Create an empty passive view. */
export function createPassiveView(config: PassiveViewConfig, random: Random): PassiveView {
  // Dense array for O(1) uniform picks and swap-removal, plus an id → slot index.
  const list: PassiveEntry[] = [];
  const slot = new Map<NodeId, number>();

  function removeAt(i: number): void {
    const last = list.pop()!;
    slot.delete(list.length === i ? last.id : list[i]!.id);
    if (i < list.length) {
      list[i] = last;
      slot.set(last.id, i);
    }
  }

  function remove(id: NodeId): boolean {
    const i = slot.get(id);
    if (i === undefined) return false;
    removeAt(i);
    return true;
  }

  function evictOne(preferEvict: readonly NodeId[]): void {
    for (const id of preferEvict) if (remove(id)) return;
    removeAt(randomIndex(random, list.length));
  }

  return {
    get size() {
      return list.length;
    },
    has: (id) => slot.has(id),
    get: (id) => {
      const i = slot.get(id);
      return i === undefined ? undefined : list[i];
    },
    entries: () => list.slice(),
    add(entry, now, preferEvict = []) {
      if (entry.id === config.self || config.capacity === 0) return false;
      const i = slot.get(entry.id);
      if (i !== undefined) {
        // Re-learning an entry refreshes its age; a new address means the node restarted elsewhere.
        const known = list[i]!;
        known.learnedAt = now;
        if (known.address !== entry.address) {
          known.address = entry.address;
          known.failures = 0;
          known.retryAt = 0;
        }
        return true;
      }
      if (list.length >= config.capacity) evictOne(preferEvict);
      slot.set(entry.id, list.length);
      list.push({ id: entry.id, address: entry.address, learnedAt: now, failures: 0, retryAt: 0 });
      assert(list.length <= config.capacity, 'passive view exceeds its capacity');
      return true;
    },
    remove,
    sample(k) {
      return sample(random, list, k).map((e) => ({ id: e.id, address: e.address }));
    },
    candidates(now, busy) {
      const out: PassiveEntry[] = [];
      for (const e of list) if (e.retryAt <= now && !busy(e.id)) out.push(e);
      return out;
    },
    nextRetryAt(now) {
      let next: number | undefined;
      for (const e of list) if (e.retryAt > now && (next === undefined || e.retryAt < next)) next = e.retryAt;
      return next;
    },
    recordFailure(id, now) {
      const i = slot.get(id);
      if (i === undefined) return false;
      const e = list[i]!;
      e.failures++;
      if (e.failures >= config.failuresMax) {
        removeAt(i);
        return true;
      }
      e.retryAt = now + Math.min(config.backoffMaxMs, config.backoffMs * 2 ** (e.failures - 1));
      return false;
    },
    defer(id, until) {
      const i = slot.get(id);
      if (i !== undefined) list[i]!.retryAt = Math.max(list[i]!.retryAt, until);
    },
    recordSuccess(id) {
      const i = slot.get(id);
      if (i !== undefined) {
        list[i]!.failures = 0;
        list[i]!.retryAt = 0;
      }
    },
    age(now) {
      let dropped = 0;
      for (let i = list.length - 1; i >= 0; i--) {
        if (now - list[i]!.learnedAt > config.maxAgeMs) {
          removeAt(i);
          dropped++;
        }
      }
      return dropped;
    },
  };
}
