/**
 * The OR-Map's plain-data shapes: what goes on the wire and into snapshots (design §4, docs/ormap.md).
 *
 * A delta and a snapshot have the same shape, `ORMapData`: an OR-Map state is itself a (small) OR-Map, and merging
 * either is the same join. Node ids appear once, in the `writers` table; everything else refers to writers by index.
 *
 * Per key, an entry holds one slot per writer that has touched the key (a dotted version vector set with at most one
 * sibling per writer, since every write covers its writer's earlier writes):
 * - `[w, hlc, value]` — a live sibling: the write with dot `(writers[w], hlc)`, not superseded by anything observed;
 * - `[w, hlc]`        — context only: every write of `writers[w]` to this key with an hlc ≤ `hlc` is observed and
 *                       superseded (by a later write or a delete). A key whose slots are all of this form is a
 *                       tombstone.
 * The per-key context is the version vector `writer → hlc` over all slots; its size is the number of writers of the
 * key, never the number of writes.
 *
 * The horizon says which dots have been collected: every dot `(n, t)` with `t ≤ max(floor, vv[n])` that is not
 * present as a live slot is dead, even where no slot remembers it (docs/ormap.md, "Tombstone collection").
 *
 * Deltas (what `put`/`delete`/`batch` return) carry no horizon: they speak only for the dots they list. A payload
 * with a horizon is *authoritative* for the keys it lists: each listed entry is the sender's whole state of that
 * key (an entry with no slot at all, `[key]`, says the sender has nothing left for the key), and with `complete`
 * also for every key it does not list (a full snapshot). Authority matters because the sender's horizon may say a
 * dot we still hold live was removed and collected there.
 *
 * Validity (checked by @rumor/crdt-wire before any of this reaches `merge`/`fromSnapshot`, which trust it):
 * - `writers`: distinct node ids (non-empty strings, 1..64 bytes of UTF-8);
 * - every writer index is an integer in `0 .. writers.length - 1`;
 * - every hlc is a packed HLC timestamp (`@rumor/hlc` `isPacked`: safe integer `0 .. PACKED_MAX`), > 0 in slots;
 * - every entry has a string key and at least one slot (zero slots only when `horizon` is present), and no two
 *   slots of one entry name the same writer;
 * - a key may appear in several entries of one payload (they are joined), though encoders never do that;
 * - `horizon.vv` names each writer at most once.
 */
import type { PackedTimestamp } from '@rumor/hlc';

/** A node's identity (docs/architecture.md, "Ports"). */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** A packed HLC timestamp (`@rumor/hlc` `pack`): integer order is time order. */
export type Hlc = PackedTimestamp;

/** Index into the `writers` table of the enclosing payload. */
export type WriterIndex = number;

/** A dot: the unique name of one write (or delete), minted by its writer. */
export interface Dot {
  readonly node: NodeId;
  readonly hlc: Hlc;
}

/** One writer's slot of an entry: context only `[w, hlc]`, or a live sibling `[w, hlc, value]`. */
export type SlotData<V = unknown> = readonly [writer: WriterIndex, hlc: Hlc] | readonly [writer: WriterIndex, hlc: Hlc, value: V];

/** One key's state: the key, then its slots (at least one). */
export type EntryData<V = unknown> = readonly [key: string, ...slots: SlotData<V>[]];

/** The collection horizon: every dot at or below `max(floor, vv[writer])` is either a live slot or dead. */
export interface HorizonData {
  /** Applies to every writer, named or not (the TTL backstop raises it). 0 = none. */
  readonly floor: Hlc;
  /** Per-writer horizon `[writer index, hlc]` (causal stability raises it). */
  readonly vv: readonly (readonly [writer: WriterIndex, hlc: Hlc])[];
}

/** An OR-Map state as plain data: a delta (the entries one write or batch changed) or a full snapshot. */
export interface ORMapData<V = unknown> {
  /** Node ids referenced by index from entries and horizon; each once. */
  readonly writers: readonly NodeId[];
  /** Key states, sorted by key in snapshots (not required of deltas). */
  readonly entries: readonly EntryData<V>[];
  /** Present: the payload is authoritative for the keys it lists (see above). Absent: a plain delta. */
  readonly horizon?: HorizonData;
  /** With `horizon`: the entries are the sender's whole map (keys not listed are absent there). */
  readonly complete?: boolean;
}

/** A delta: the entries changed by one mutation or batch (same shape as a snapshot). */
export type DeltaData<V = unknown> = ORMapData<V>;

/** A snapshot: the full state (same shape as a delta). */
export type SnapshotData<V = unknown> = ORMapData<V>;

/** A live value of a key with its dot, as `siblings(key)` reports it. */
export interface Sibling<V = unknown> {
  readonly node: NodeId;
  readonly hlc: Hlc;
  readonly value: V;
}

/** A version vector `node → hlc`, e.g. the stable context passed to `collect`. */
export type VersionVector = ReadonlyMap<NodeId, Hlc> | Readonly<Record<string, Hlc>>;
