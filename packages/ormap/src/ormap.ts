/**
 * The OR-Map (design §4; docs/ormap.md): observed-remove semantics with dotted version vector sets per key
 * (Almeida et al., "Scalable and Accurate Causality Tracking for Eventually Consistent Stores", 2014), reduced to one
 * slot per writer because every write covers its writer's earlier writes of the same key.
 *
 * Invariants:
 * - per key, at most one slot per writer; a live slot is a sibling, a dead slot is context only — metadata is bounded
 *   by the number of writers of the key, never by the number of writes;
 * - merge is a join (per writer: the greater hlc wins, at equal hlc dead wins; the horizon marks every unlisted
 *   dot under it dead), hence commutative, associative and idempotent on the whole state;
 * - the state is canonical: no dead slot at or below the horizon survives any operation, so equal abstract states
 *   have equal representations and equal digests;
 * - no delete is undone: a dot at or below the horizon that is not held live is dead, whatever arrives later.
 * Payloads reaching `merge` are trusted: @rumor/crdt-wire validates network input first.
 */
import { LOGICAL_MAX, WALL_MAX_MS, pack, type PackedTimestamp, type Timestamp } from '@rumor/hlc';
import { createDigestTree, FANOUT, MAX_LEVEL, type DigestTree, type TreeMember } from './digest-tree.js';
import { fmix32, hashHi, hashKey, hashLo, hex64, keyHash, slotHi, slotLo } from './hash.js';
import { compareSiblings, createPolicyTable, resolve, type PolicyTable, type ResolutionPolicy } from './policy.js';
import { createSortedKeys } from './sorted-keys.js';
import { createWriters } from './writers.js';
import type { EntryData, Hlc, NodeId, ORMapData, Sibling, SlotData, VersionVector, DeltaData, SnapshotData } from './types.js';

/** The clock port: a hybrid logical clock (`@rumor/hlc` `createHlc` satisfies it). */
export interface ORMapClock {
  now(): Timestamp;
  /** `pack(now())` without allocating, when the clock offers it. */
  pack?(): PackedTimestamp;
  /** Raise the clock to at least this packed timestamp (called before a local dot that would not be above every hlc merged). */
  observe?(ts: PackedTimestamp): unknown;
}

/** Tunables of a map. */
export interface ORMapInit<V> {
  /** This replica's node id: the writer of every local dot. */
  nodeId: NodeId;
  /** Default resolution policy. Default `'lww'`. */
  policy?: ResolutionPolicy<V>;
  /** Per key-prefix policies; the longest matching prefix wins. Default none. */
  policies?: Readonly<Record<string, ResolutionPolicy<V>>>;
  /** Stored levels of the digest tree (1..6; 16^depth leaves). Default 3. Deeper levels are computed on demand. */
  digestDepth?: number;
}

/** Collaborators of a map. */
export interface ORMapComponents {
  clock: ORMapClock;
}

/** What a collection removed. */
export interface CollectResult {
  /** Dead slots dropped (tombstone context at or below the horizon). */
  readonly slots: number;
  /** Keys removed entirely (their last slot was dropped). */
  readonly keys: number;
}

/** The collection horizon: dots at or below `max(floor, vv[node])` are live only where a live slot holds them. */
export interface Horizon {
  readonly floor: Hlc;
  readonly vv: ReadonlyMap<NodeId, Hlc>;
}

/** Root summary of a map for anti-entropy: constant size. */
export interface ORMapDigest {
  /** XOR of all entry hashes, 16 hex digits. */
  readonly hash: string;
  /** Number of keys with an entry (live or tombstone). */
  readonly count: number;
  /** Hash of the canonical horizon, 16 hex digits. */
  readonly horizon: string;
}

/** Summary of one digest-tree node. */
export interface DigestNode {
  readonly hash: string;
  readonly count: number;
}

/** A key with its entry hash, as listed at the bottom of a digest descent. */
export type DigestKey = readonly [key: string, hash: string];

/** Counters of the state, computed on demand (O(n)). */
export interface ORMapStats {
  readonly keys: number;
  readonly liveKeys: number;
  readonly tombstones: number;
  readonly slots: number;
  readonly writers: number;
}

/** The operations a batch callback may perform. */
export interface ORMapBatch<V> {
  put(key: string, value: V): void;
  delete(key: string): void;
}

/** A replica of an OR-Map. */
export interface ORMap<V> extends Iterable<[string, V]> {
  readonly nodeId: NodeId;
  /** Number of keys with a value. */
  readonly size: number;
  /** Write `value` at `key`, superseding every value observed here; returns the delta to ship. */
  put(key: string, value: V): DeltaData<V>;
  /** Remove `key` (a tombstone superseding what was observed); `undefined` when there was nothing to remove. */
  delete(key: string): DeltaData<V> | undefined;
  /** Several mutations shipped as one delta (the final state of every touched key). */
  batch(fn: (tx: ORMapBatch<V>) => void): DeltaData<V>;
  /** The value of `key` resolved by its policy, or `undefined`. */
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** The live values of `key` with their dots, sorted by (hlc, node id). */
  siblings(key: string): Sibling<V>[];
  /** Keys with a value, in key order. */
  keys(): IterableIterator<string>;
  /** `[key, resolved value]` in key order. */
  entries(): IterableIterator<[string, V]>;
  /** Keys starting with `prefix` and after `after` (exclusive), in key order, at most `limit`. */
  scan(prefix: string, opts?: { after?: string; limit?: number }): Array<[string, V]>;
  /** Join a delta, repair or snapshot into this replica; returns the keys whose live values changed. */
  merge(data: ORMapData<V>): string[];
  /** The whole state, authoritative and complete, keys sorted. */
  snapshot(): SnapshotData<V>;
  /** Raise the horizon to the causally stable context and drop the tombstone context it makes redundant. */
  collect(stable: VersionVector): CollectResult;
  /** TTL backstop: raise the horizon floor to `nowMs - ttlMs` for every writer (docs/ormap.md). */
  collectExpired(nowMs: number, ttlMs: number): CollectResult;
  horizon(): Horizon;
  /** Greatest hlc ever seen per writer (for the stability computation of the layer above). */
  observed(): Map<NodeId, Hlc>;
  digest(): ORMapDigest;
  /** The 16 children of node (level, index), i.e. the nodes (level + 1, index·16 + i). */
  digestChildren(level: number, index: number): DigestNode[];
  /** The keys and entry hashes under node (level, index), sorted by key. */
  digestKeys(level: number, index: number): DigestKey[];
  /** Indices at level + 1 of the children of (level, index) that differ from a peer's `digestChildren`. */
  diffChildren(level: number, index: number, remote: readonly DigestNode[]): number[];
  /** Keys under (level, index) whose entries differ from a peer's `digestKeys` (missing on either side included). */
  diffKeys(level: number, index: number, remote: readonly DigestKey[]): string[];
  /** An authoritative payload with the entries of `keys` (`[key]` for keys this replica has none of). */
  repair(keys: Iterable<string>): ORMapData<V>;
  stats(): ORMapStats;
}

const DEAD: unique symbol = Symbol('dead');
/** Stale digest entries tolerated beyond twice the map's size before they are folded in without a digest read. */
const STALE_SLACK = 1024;
type Dead = typeof DEAD;

interface Slot<V> {
  w: number;
  t: number;
  v: V | Dead;
  mark: number;
}

interface Entry<V> extends TreeMember {
  readonly key: string;
  readonly klo: number;
  slots: Slot<V>[];
  live: number;
  epoch: number;
  /** Its hash in the digest tree is out of date: it is listed in `stale`, to be folded in before the next digest read. */
  stale: boolean;
}

// A class, not closures: every map shares one set of method code, so code optimised for one instance keeps working
// for the next (fresh replicas loading snapshots do not deoptimise the hot paths).
class ORMapImpl<V> implements ORMap<V> {
  readonly nodeId: NodeId;
  private readonly clock: ORMapClock;
  private readonly policies: PolicyTable<V>;
  private readonly writers = createWriters();
  private readonly self: number;
  private readonly byKey = new Map<string, Entry<V>>();
  private readonly keyIndex = createSortedKeys();
  private readonly tree: DigestTree;
  private readonly observedMax: number[] = [];
  private liveKeys = 0;
  private floor = 0;
  private readonly hvv: number[] = [];
  private hasHorizon = false;
  private epoch = 0;
  private stamp = 0;
  private batchKeys: Set<string> | undefined = undefined;
  /** Greatest hlc merged so far: the next local dot goes above it. */
  private seenMax = 0;
  /** Entries whose digest hash is out of date (see `hashEntry`). */
  private readonly stale: Entry<V>[] = [];
  /** Scratch: payload writer index → local writer index (merge is not re-entrant). */
  private readonly wmap: number[] = [];

  constructor(init: ORMapInit<V>, components: ORMapComponents) {
    if (typeof init.nodeId !== 'string' || init.nodeId.length === 0) throw new TypeError('ormap: nodeId must be a non-empty string');
    this.nodeId = init.nodeId;
    this.clock = components.clock;
    this.policies = createPolicyTable<V>(init.policy ?? 'lww', init.policies);
    this.self = this.writers.intern(init.nodeId);
    this.tree = createDigestTree(init.digestDepth ?? 3);
  }

  get size(): number {
    return this.liveKeys;
  }

  private horizonOf(w: number): number {
    const h = this.hvv[w];
    return h === undefined || h < this.floor ? this.floor : h;
  }

  /**
   * The entry's slots changed: its digest hash is recomputed lazily, when a digest is next read. A key written many
   * times between two anti-entropy rounds is hashed once, and a write costs no tree update.
   */
  private hashEntry(e: Entry<V>): void {
    if (e.stale) return;
    e.stale = true;
    const stale = this.stale;
    stale.push(e);
    // Removed entries wait in the list too: bound it by the map's size, so churn without digests cannot grow it.
    if (stale.length > STALE_SLACK + 2 * this.byKey.size) this.syncDigest();
  }

  /** Bring the digest tree up to date: O(depth) per entry changed since the last call, never a rescan. */
  private syncDigest(): void {
    const stale = this.stale;
    if (stale.length === 0) return;
    for (let i = 0; i < stale.length; i++) {
      const e = stale[i]!;
      if (!e.stale) continue; // removed since
      e.stale = false;
      this.rehashEntry(e);
    }
    stale.length = 0;
  }

  private rehashEntry(e: Entry<V>): void {
    let lo = e.klo;
    let hi = e.bucket;
    for (const s of e.slots) {
      const live = s.v !== DEAD;
      lo ^= slotLo(this.writers.lo[s.w]!, s.t, live);
      hi ^= slotHi(this.writers.hi[s.w]!, s.t, live);
    }
    this.tree.rehash(e, fmix32(lo ^ 0x6a09e667), fmix32(hi ^ 0xbb67ae85));
  }

  private addEntry(key: string, slots: Slot<V>[], live: number): Entry<V> {
    hashKey(key);
    const e: Entry<V> = { key, klo: keyHash.lo, bucket: keyHash.hi, lo: 0, hi: 0, leafPos: 0, slots, live, epoch: 0, stale: false };
    this.byKey.set(key, e);
    this.keyIndex.insert(key);
    this.tree.add(e);
    this.hashEntry(e);
    if (live > 0) this.liveKeys++;
    return e;
  }

  private removeEntry(e: Entry<V>): void {
    this.byKey.delete(e.key);
    this.keyIndex.remove(e.key);
    // The tree holds e.lo/e.hi (stale or not): removing XORs out exactly that.
    this.tree.remove(e);
    e.stale = false;
    if (e.live > 0) this.liveKeys--;
  }

  /** Drop dead slots at or below the horizon (canonical form); returns how many. */
  private canonicalize(e: Entry<V>): number {
    let dropped = 0;
    const slots = e.slots;
    for (let i = slots.length - 1; i >= 0; i--) {
      const s = slots[i]!;
      if (s.v === DEAD && s.t <= this.horizonOf(s.w)) {
        slots.splice(i, 1);
        dropped++;
      }
    }
    return dropped;
  }

  /** After slots changed: live count, canonical form, hash, removal when empty. */
  private settle(e: Entry<V>): void {
    if (this.hasHorizon) this.canonicalize(e);
    let live = 0;
    for (const s of e.slots) if (s.v !== DEAD) live++;
    if (live > 0 && e.live === 0) this.liveKeys++;
    else if (live === 0 && e.live > 0) this.liveKeys--;
    e.live = live;
    if (e.slots.length === 0) {
      // removeEntry must not adjust this.liveKeys again.
      e.live = 0;
      this.removeEntry(e);
    } else this.hashEntry(e);
  }

  private noteObserved(w: number, t: number): void {
    const m = this.observedMax[w];
    if (m === undefined || t > m) this.observedMax[w] = t;
  }

  /** A fresh dot for a local write: above everything this writer ever did or the horizon covers. */
  private mint(): number {
    const clock = this.clock;
    // Above this writer's own dots (also from before a restart) and the horizon — required — and above every hlc
    // merged so far (HLC causality; the clock is raised lazily here rather than on every merge).
    const above = Math.max(this.horizonOf(this.self), this.observedMax[this.self] ?? 0);
    let t = clock.pack !== undefined ? clock.pack() : pack(clock.now());
    if (t <= above || t <= this.seenMax) {
      clock.observe?.(Math.max(above, this.seenMax));
      t = clock.pack !== undefined ? clock.pack() : pack(clock.now());
      if (t <= above) throw new Error('ormap: the clock cannot move above this writer’s earlier dots (clock.observe missing?)');
    }
    this.noteObserved(this.self, t);
    return t;
  }

  private dataOf(list: readonly (Entry<V> | string)[], authoritative: boolean, complete: boolean): ORMapData<V> {
    const ids: NodeId[] = [];
    const remap = new Map<number, number>();
    const wi = (w: number): number => {
      let r = remap.get(w);
      if (r === undefined) {
        r = ids.length;
        remap.set(w, r);
        ids.push(this.writers.id(w));
      }
      return r;
    };
    const out: EntryData<V>[] = [];
    for (const item of list) {
      if (typeof item === 'string') {
        out.push([item]);
        continue;
      }
      const row: [string, ...SlotData<V>[]] = [item.key];
      for (const s of item.slots) row.push(s.v === DEAD ? [wi(s.w), s.t] : [wi(s.w), s.t, s.v]);
      out.push(row);
    }
    if (!authoritative) return { writers: ids, entries: out };
    const vv: [number, number][] = [];
    this.hvv.forEach((t, w) => {
      if (t > this.floor) vv.push([wi(w), t]);
    });
    return complete ? { writers: ids, entries: out, horizon: { floor: this.floor, vv }, complete: true } : { writers: ids, entries: out, horizon: { floor: this.floor, vv } };
  }

  private deltaOf(e: Entry<V>): DeltaData<V> {
    if (this.batchKeys !== undefined) {
      this.batchKeys.add(e.key);
      return EMPTY_DELTA as DeltaData<V>;
    }
    if (e.slots.length === 1) {
      const s = e.slots[0]!;
      return { writers: [this.writers.id(s.w)], entries: [s.v === DEAD ? [e.key, [0, s.t]] : [e.key, [0, s.t, s.v]]] };
    }
    return this.dataOf([e], false, false);
  }

  put(key: string, value: V): DeltaData<V> {
    if (typeof key !== 'string') throw new TypeError('ormap: key must be a string');
    if (value === undefined) throw new TypeError('ormap: value must not be undefined (use delete)');
    const t = this.mint();
    const e = this.byKey.get(key);
    if (e === undefined) return this.deltaOf(this.addEntry(key, [{ w: this.self, t, v: value, mark: 0 }], 1));
    const only = e.slots.length === 1 ? e.slots[0]! : undefined;
    if (only !== undefined && only.w === this.self) {
      // Fast path: this writer's own key — no other slot to supersede, nothing to canonicalize.
      only.t = t;
      only.v = value;
      if (e.live === 0) {
        e.live = 1;
        this.liveKeys++;
      }
      this.hashEntry(e);
      return this.deltaOf(e);
    }
    let mine: Slot<V> | undefined;
    for (const s of e.slots) {
      if (s.w === this.self) mine = s;
      else s.v = DEAD; // observed, hence superseded
    }
    if (mine === undefined) e.slots.push({ w: this.self, t, v: value, mark: 0 });
    else {
      mine.t = t;
      mine.v = value;
    }
    this.settle(e);
    return this.deltaOf(e);
  }

  delete(key: string): DeltaData<V> | undefined {
    const e = this.byKey.get(key);
    if (e === undefined || e.live === 0) return undefined;
    const t = this.mint();
    let mine: Slot<V> | undefined;
    for (const s of e.slots) {
      if (s.w === this.self) mine = s;
      s.v = DEAD;
    }
    // The delete's own dot: the tombstone's age (TTL) and part of its digest.
    if (mine === undefined) e.slots.push({ w: this.self, t, v: DEAD, mark: 0 });
    else mine.t = t;
    this.settle(e);
    return this.deltaOf(e);
  }

  /**
   * The fast path of `joinEntry`: one incoming slot of writer `w`, above our horizon, for a key we hold nothing of
   * (`local` undefined) or only `w`'s slot — the shape of every single-write delta. Nothing can be canonicalized or
   * removed here (the slot is above the horizon), so the entry settles without the general bookkeeping.
   */
  private joinOne(key: string, e: Entry<V> | undefined, local: Slot<V> | undefined, w: number, t: number, s: SlotData<V>, changed: string[]): void {
    this.noteObserved(w, t);
    const live = s.length > 2;
    if (local === undefined) {
      this.addEntry(key, [{ w, t, v: live ? (s[2] as V) : DEAD, mark: 0 }], live ? 1 : 0).epoch = this.epoch;
      if (live) changed.push(key);
    } else if (t > local.t) {
      const wasLive = local.v !== DEAD;
      local.t = t;
      local.v = live ? (s[2] as V) : DEAD;
      e!.epoch = this.epoch;
      this.settleOne(e!, live);
      if (wasLive || live) changed.push(key);
    } else if (t === local.t && !live && local.v !== DEAD) {
      local.v = DEAD;
      this.settleOne(e!, false);
      changed.push(key);
    }
  }

  /** `settle` of an entry whose only slot is above the horizon: just the live count and the hash. */
  private settleOne(e: Entry<V>, live: boolean): void {
    if (live) {
      if (e.live === 0) this.liveKeys++;
      e.live = 1;
    } else {
      if (e.live > 0) this.liveKeys--;
      e.live = 0;
    }
    this.hashEntry(e);
  }

  /** Join one incoming entry; `hb` is the sender's horizon when the payload is authoritative. */
  private joinEntry(ed: EntryData<V>, wmap: number[], hb: number[] | undefined, hbFloor: number, changed: string[]): number {
    const key = ed[0];
    const n = ed.length;
    let maxT = 0;
    let e = this.byKey.get(key);
    if (n === 2 && (hb === undefined || e === undefined)) {
      // Fast path for the common delta (and snapshot rows): one writer's slot, locally at most that writer's slot.
      // A sender's horizon only matters for local slots, so a new key takes this path from snapshots too.
      const s = ed[1] as SlotData<V>;
      const w = wmap[s[0]]!;
      const t = s[1];
      const local = e === undefined ? undefined : e.slots.length === 1 ? e.slots[0]! : null;
      if (local !== null && t > this.horizonOf(w) && (local === undefined || local.w === w)) {
        this.joinOne(key, e, local, w, t, s, changed);
        return t;
      }
    }
    if (e === undefined) {
      const slots: Slot<V>[] = [];
      let live = 0;
      for (let i = 1; i < n; i++) {
        const s = ed[i] as SlotData<V>;
        const w = wmap[s[0]]!;
        const t = s[1];
        if (t > maxT) maxT = t;
        this.noteObserved(w, t);
        // At or below our horizon and not held here: we saw it and it was removed (or it is dead context).
        if (t <= this.horizonOf(w)) continue;
        const dup = slots.find((x) => x.w === w);
        if (dup !== undefined) {
          // Malformed duplicate writer: join it like a second payload would.
          if (t > dup.t) {
            dup.t = t;
            dup.v = s.length > 2 ? (s[2] as V) : DEAD;
          } else if (t === dup.t && s.length === 2) dup.v = DEAD;
          continue;
        }
        slots.push({ w, t, v: s.length > 2 ? (s[2] as V) : DEAD, mark: 0 });
      }
      for (const s of slots) if (s.v !== DEAD) live++;
      if (slots.length === 0) return maxT;
      const created = this.addEntry(key, slots, live);
      created.epoch = this.epoch;
      if (live > 0) changed.push(key);
      return maxT;
    }
    e.epoch = this.epoch;
    const mk = ++this.stamp;
    let modified = false;
    let liveChanged = false;
    const slots = e.slots;
    for (let i = 1; i < n; i++) {
      const s = ed[i] as SlotData<V>;
      const w = wmap[s[0]]!;
      const t = s[1];
      const live = s.length > 2;
      if (t > maxT) maxT = t;
      this.noteObserved(w, t);
      let local: Slot<V> | undefined;
      for (const x of slots) if (x.w === w) local = x;
      if (local === undefined) {
        if (t <= this.horizonOf(w)) continue;
        slots.push({ w, t, v: live ? (s[2] as V) : DEAD, mark: mk });
        modified = true;
        if (live) liveChanged = true;
      } else if (t > local.t) {
        const wasLive = local.v !== DEAD;
        // A newer dot of w covers ours; under our horizon and not held here it is dead (and dropped by settle).
        const nowLive = live && t > this.horizonOf(w);
        local.t = t;
        local.v = nowLive ? (s[2] as V) : DEAD;
        local.mark = mk;
        modified = true;
        if (wasLive || nowLive) liveChanged = true;
      } else if (t === local.t) {
        local.mark = mk;
        if (!live && local.v !== DEAD) {
          local.v = DEAD;
          modified = true;
          liveChanged = true;
        }
      }
      // t < local.t: our slot already covers the incoming dot.
    }
    if (hb !== undefined) {
      // The sender speaks for its whole entry: a live dot of ours under its horizon that it does not hold is dead there.
      for (const x of slots) {
        if (x.mark !== mk && x.v !== DEAD) {
          const h = hb[x.w];
          if (x.t <= (h === undefined || h < hbFloor ? hbFloor : h)) {
            x.v = DEAD;
            modified = true;
            liveChanged = true;
          }
        }
      }
    }
    if (modified) this.settle(e);
    if (liveChanged) changed.push(key);
    return maxT;
  }

  private raiseHorizon(newFloor: number, vv: Iterable<readonly [number, number]>): boolean {
    let raised = false;
    if (newFloor > this.floor) {
      this.floor = newFloor;
      raised = true;
    }
    for (const [w, t] of vv) {
      if (t > this.horizonOf(w)) {
        this.hvv[w] = t;
        raised = true;
      }
    }
    if (raised) this.hasHorizon = true;
    return raised;
  }

  /** Canonicalize every entry (after the horizon rose); with `hb`, also apply a complete sender's horizon. */
  private sweep(hb: number[] | undefined, hbFloor: number, changed: string[] | undefined): CollectResult {
    let slots = 0;
    let keys = 0;
    for (const e of this.byKey.values()) {
      let killed = false;
      if (hb !== undefined && e.epoch !== this.epoch) {
        // A complete sender has no entry for this key: our live dots under its horizon were removed there.
        for (const s of e.slots) {
          if (s.v === DEAD) continue;
          const h = hb[s.w];
          if (s.t <= (h === undefined || h < hbFloor ? hbFloor : h)) {
            s.v = DEAD;
            killed = true;
          }
        }
      }
      const dropped = this.hasHorizon ? this.canonicalize(e) : 0;
      if (!killed && dropped === 0) continue;
      slots += dropped;
      const wasLive = e.live > 0;
      this.settle(e);
      if (e.slots.length === 0) keys++;
      if (killed && changed !== undefined && (wasLive || e.live > 0)) changed.push(e.key);
    }
    return { slots, keys };
  }

  merge(data: ORMapData<V>): string[] {
    const ids = data.writers;
    const wmap = this.wmap;
    // Only indices below ids.length are read; stale ones above are harmless (and truncating costs more than the merge).
    for (let i = 0; i < ids.length; i++) wmap[i] = this.writers.intern(ids[i]!);
    const changed: string[] = [];
    this.epoch++;
    let hb: number[] | undefined;
    let hbFloor = 0;
    if (data.horizon !== undefined) {
      hb = [];
      hbFloor = data.horizon.floor;
      for (const [rw, t] of data.horizon.vv) hb[wmap[rw]!] = t;
    }
    let maxT = 0;
    for (const ed of data.entries) {
      const t = this.joinEntry(ed, wmap, hb, hbFloor, changed);
      if (t > maxT) maxT = t;
    }
    if (hb !== undefined) {
      const pairs: [number, number][] = [];
      hb.forEach((t, w) => pairs.push([w, t]));
      const raised = this.raiseHorizon(hbFloor, pairs);
      if (raised || data.complete === true) this.sweep(data.complete === true ? hb : undefined, hbFloor, changed);
      if (hbFloor > maxT) maxT = hbFloor;
      for (const [, t] of pairs) if (t > maxT) maxT = t;
    }
    if (maxT > this.seenMax) this.seenMax = maxT;
    return changed;
  }

  collect(stable: VersionVector): CollectResult {
    const pairs: [number, number][] = [];
    const it = stable instanceof Map ? stable.entries() : Object.entries(stable);
    for (const [id, t] of it as Iterable<[string, number]>) {
      if (!(Number.isSafeInteger(t) && t >= 0)) throw new RangeError(`ormap.collect: bad hlc for ${id}`);
      pairs.push([this.writers.intern(id as NodeId), t]);
    }
    return this.raiseHorizon(0, pairs) ? this.sweep(undefined, 0, undefined) : { slots: 0, keys: 0 };
  }

  collectExpired(nowMs: number, ttlMs: number): CollectResult {
    if (!(Number.isFinite(nowMs) && Number.isFinite(ttlMs) && ttlMs > 0)) throw new RangeError('ormap.collectExpired: nowMs finite, ttlMs > 0');
    const wallMs = Math.min(WALL_MAX_MS, Math.floor(nowMs - ttlMs));
    if (wallMs < 0) return { slots: 0, keys: 0 };
    return this.raiseHorizon(pack({ wallMs, logical: LOGICAL_MAX }), []) ? this.sweep(undefined, 0, undefined) : { slots: 0, keys: 0 };
  }

  private siblingsOf(e: Entry<V>): Sibling<V>[] {
    const out: Sibling<V>[] = [];
    for (const s of e.slots) if (s.v !== DEAD) out.push({ node: this.writers.id(s.w), hlc: s.t, value: s.v });
    return out.sort(compareSiblings);
  }

  private resolved(e: Entry<V>): V {
    const policy = this.policies.policyFor(e.key);
    if (e.live === 1 && (policy === 'lww' || policy === 'fww' || policy === 'merge-fields')) {
      for (const s of e.slots) if (s.v !== DEAD) return s.v;
    }
    return resolve(policy, this.siblingsOf(e));
  }

  private *liveEntries(from: string, exclusive: boolean, prefix: string): IterableIterator<Entry<V>> {
    for (const key of this.keyIndex.from(from, exclusive)) {
      if (!key.startsWith(prefix)) return;
      const e = this.byKey.get(key);
      if (e !== undefined && e.live > 0) yield e;
    }
  }

  private horizonHash(): string {
    const named: [string, number][] = [];
    this.hvv.forEach((t, w) => {
      if (t > this.floor) named.push([this.writers.id(w), t]);
    });
    named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let lo = hashLo(String(this.floor));
    let hi = hashHi(String(this.floor));
    for (const [id, t] of named) {
      lo = fmix32(lo ^ slotLo(hashLo(id), t, false));
      hi = fmix32(hi ^ slotHi(hashHi(id), t, false));
    }
    return hex64(hi, lo);
  }

  private nodeOf(level: number, idx: number): DigestNode {
    this.syncDigest();
    const n = this.tree.node(level, idx);
    return { hash: hex64(n.hi, n.lo), count: n.count };
  }

  digestChildren(level: number, idx: number): DigestNode[] {
    if (!(Number.isInteger(level) && level >= 0 && level < MAX_LEVEL)) throw new RangeError(`digest level ${level} has no children`);
    const out: DigestNode[] = [];
    for (let i = 0; i < FANOUT; i++) out.push(this.nodeOf(level + 1, idx * FANOUT + i));
    return out;
  }

  digestKeys(level: number, idx: number): DigestKey[] {
    this.syncDigest();
    const out = (this.tree.members(level, idx) as Entry<V>[]).map((e): DigestKey => [e.key, hex64(e.hi, e.lo)]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }


  batch(fn: (tx: ORMapBatch<V>) => void): DeltaData<V> {
    if (this.batchKeys !== undefined) throw new Error('ormap: batches do not nest');
    const touched = new Set<string>();
    this.batchKeys = touched;
    try {
      fn({ put: (k, v) => void this.put(k, v), delete: (k) => void this.delete(k) });
    } finally {
      this.batchKeys = undefined;
    }
    const list: Entry<V>[] = [];
    for (const k of touched) {
      const e = this.byKey.get(k);
      if (e !== undefined) list.push(e);
    }
    return this.dataOf(list, false, false);
  }

  get(key: string): V | undefined {
    const e = this.byKey.get(key);
    return e === undefined || e.live === 0 ? undefined : this.resolved(e);
  }

  has(key: string): boolean {
    const e = this.byKey.get(key);
    return e !== undefined && e.live > 0;
  }

  siblings(key: string): Sibling<V>[] {
    const e = this.byKey.get(key);
    return e === undefined ? [] : this.siblingsOf(e);
  }

  *keys(): IterableIterator<string> {
    for (const e of this.liveEntries('', false, '')) yield e.key;
  }

  *entries(): IterableIterator<[string, V]> {
    for (const e of this.liveEntries('', false, '')) yield [e.key, this.resolved(e)];
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  scan(prefix: string, opts: { after?: string; limit?: number } = {}): Array<[string, V]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const out: Array<[string, V]> = [];
    if (limit <= 0) return out;
    const after = opts.after;
    const fromAfter = after !== undefined && after >= prefix;
    for (const e of this.liveEntries(fromAfter ? after : prefix, fromAfter, prefix)) {
      out.push([e.key, this.resolved(e)]);
      if (out.length >= limit) break;
    }
    return out;
  }

  snapshot(): SnapshotData<V> {
    const list: Entry<V>[] = [];
    for (const key of this.keyIndex.from('', false)) list.push(this.byKey.get(key)!);
    return this.dataOf(list, true, true);
  }

  horizon(): Horizon {
    const vv = new Map<NodeId, Hlc>();
    this.hvv.forEach((t, w) => {
      if (t > this.floor) vv.set(this.writers.id(w), t);
    });
    return { floor: this.floor, vv };
  }

  observed(): Map<NodeId, Hlc> {
    const out = new Map<NodeId, Hlc>();
    this.observedMax.forEach((t, w) => out.set(this.writers.id(w), t));
    return out;
  }

  digest(): ORMapDigest {
    this.syncDigest();
    const root = this.tree.node(0, 0);
    return { hash: hex64(root.hi, root.lo), count: root.count, horizon: this.horizonHash() };
  }

  diffChildren(level: number, idx: number, remote: readonly DigestNode[]): number[] {
    const mine = this.digestChildren(level, idx);
    const out: number[] = [];
    for (let i = 0; i < FANOUT; i++) {
      const r = remote[i];
      if (r === undefined || r.hash !== mine[i]!.hash || r.count !== mine[i]!.count) out.push(idx * FANOUT + i);
    }
    return out;
  }

  diffKeys(level: number, idx: number, remote: readonly DigestKey[]): string[] {
    const mine = new Map(this.digestKeys(level, idx));
    const out = new Set<string>();
    for (const [k, h] of remote) {
      if (mine.get(k) !== h) out.add(k);
      mine.delete(k);
    }
    for (const k of mine.keys()) out.add(k);
    return [...out].sort();
  }

  repair(keys: Iterable<string>): ORMapData<V> {
    const list: (Entry<V> | string)[] = [];
    for (const k of new Set(keys)) list.push(this.byKey.get(k) ?? k);
    return this.dataOf(list, true, false);
  }

  stats(): ORMapStats {
    let slots = 0;
    for (const e of this.byKey.values()) slots += e.slots.length;
    const keys = this.byKey.size;
    return { keys, liveKeys: this.liveKeys, tombstones: keys - this.liveKeys, slots, writers: this.writers.size };
  }
}

/** Create an empty map. */
export function createORMap<V>(init: ORMapInit<V>, components: ORMapComponents): ORMap<V> {
  return new ORMapImpl<V>(init, components);
}

const EMPTY_DELTA: DeltaData<never> = Object.freeze({ writers: [], entries: [] });

/** Create a map holding a snapshot (equivalent to `createORMap` then `merge`). */
export function fromSnapshot<V>(data: SnapshotData<V>, init: ORMapInit<V>, components: ORMapComponents): ORMap<V> {
  const m = createORMap(init, components);
  m.merge(data);
  return m;
}
