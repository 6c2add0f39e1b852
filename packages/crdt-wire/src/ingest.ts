/**
 * Validated ingest (issue 2, design §5: "every payload a callback receives has passed crdt-wire"): the one door
 * through which untrusted OR-Map state reaches a local replica.
 *
 * `ingest` validates first (validate.ts) and calls `local.merge` at most once, with only the accepted data, and not
 * at all when nothing was accepted — so no rejected byte ever touches the merge, and fuzzed input leaves the local
 * map unchanged. The drift bound is read from the injected wall clock, once per call; nothing here reads time itself.
 *
 * Two input forms, one set of rules: a `Uint8Array` is a binary OR-Map payload (delta-decode.ts, the form the stock
 * map broadcasts its deltas in), decoded and validated in one pass; anything else is a decoded msgpack value or an
 * in-process object, validated field by field (validate.ts). Both keep and refuse the same entries with the same codes.
 */
import type { EntryData, ORMapData } from '@rumor/ormap';
import { acceptBytes } from './delta-decode.js';
import { DEFAULT_INGEST_LIMITS, type IngestInit, type IngestLimits } from './ingest-limits.js';
import { DEFAULT_CODEC_LIMITS, type ResolvedCodecLimits } from './limits.js';
import { keySetOf } from './key-set.js';
import type { Result } from './result.js';
import { acceptPayload, checkOneEntry, type Accepted, type LeafValidator, type Rejection } from './validate.js';

/** The local state ingest merges into. @rumor/ormap's map is meant to satisfy it (or be wrapped to). */
export interface MergeTarget<V = unknown> {
  /**
   * Joins trusted, validated data into the state. Returning the keys whose state changed makes `accepted` exact
   * (a horizon can change keys the payload does not list); returning nothing makes it the payload's accepted keys.
   * Return a fresh array (or other iterable): ingest keeps it as the result's `accepted`.
   */
  merge(data: ORMapData<V>): Iterable<string> | void;
}

/** Collaborators of {@link createIngest}. */
export interface IngestComponents {
  /** Local wall clock in ms (e.g. `Timers.now`), the reference for the HLC drift bound. */
  readonly wallClock: () => number;
}

/** What `ingest` did. */
export interface Ingested<V = unknown> {
  /** The validated data joined into `local` (empty when nothing was accepted): log it, relay it. */
  readonly merged: ORMapData<V>;
  /** The keys that may have changed: emit change events for these keys only. */
  readonly accepted: ReadonlySet<string>;
  /** Why each refused entry (or the whole payload) was refused: count these per peer. */
  readonly rejected: readonly Rejection[];
}

/** Validated ingest bound to its limits and the local wall clock. */
export interface Ingest {
  /** The limits in force, defaults filled in. */
  readonly limits: IngestLimits;
  /** Validates one entry against the writers table its slots index into. */
  validEntry<V = unknown>(entry: unknown, writers: readonly unknown[], leaf?: LeafValidator): Result<EntryData<V>>;
  /**
   * Keeps only the valid entries of an untrusted payload — an OR-Map state object, or its binary form as bytes;
   * anything else keeps nothing.
   */
  accept<V = unknown>(payload: unknown, leaf?: LeafValidator): Accepted<V>;
  /** Validates `incoming` (object or binary form), then joins what passed into `local`; returns what was merged, changed and refused. */
  ingest<V = unknown>(local: MergeTarget<V>, incoming: unknown, leaf?: LeafValidator): Ingested<V>;
}

const NO_KEYS: readonly string[] = [];

/** Creates validated ingest with the given bounds (defaults in {@link DEFAULT_INGEST_LIMITS}). */
export function createIngest(init: IngestInit, components: IngestComponents): Ingest {
  const chosen: Record<string, number> = { ...DEFAULT_INGEST_LIMITS };
  for (const k of Object.keys(DEFAULT_INGEST_LIMITS) as (keyof IngestLimits)[]) {
    const v = init[k];
    if (v === undefined) continue;
    // A bad bound is a programmer error in the caller's configuration: fail loudly at construction.
    if (!(typeof v === 'number' && v >= 0)) throw new RangeError(`crdt-wire: ${k} must be a number ≥ 0, got ${String(v)}`);
    chosen[k] = v;
  }
  const limits = Object.freeze(chosen) as unknown as IngestLimits;
  const { wallClock } = components;
  // Bounds of one embedded value of the binary form: the value bounds, as the object path applies them.
  const valueLimits: ResolvedCodecLimits = Object.freeze({
    ...DEFAULT_CODEC_LIMITS,
    frameBytesMax: limits.valueBytesMax,
    depthMax: limits.valueDepthMax,
    stringBytesMax: limits.valueBytesMax,
    binBytesMax: limits.valueBytesMax,
  });
  const accept = <V>(payload: unknown, leaf: LeafValidator | undefined): Accepted<V> =>
    payload instanceof Uint8Array
      ? acceptBytes<V>(payload, limits, valueLimits, wallClock(), leaf)
      : acceptPayload<V>(payload, limits, wallClock(), leaf);

  return {
    limits,
    validEntry: (entry, writers, leaf) => checkOneEntry(entry, writers, limits, wallClock(), leaf),
    accept,
    ingest<V>(local: MergeTarget<V>, incoming: unknown, leaf?: LeafValidator): Ingested<V> {
      const { data, rejected } = accept<V>(incoming, leaf);
      if (data.entries.length === 0 && data.horizon === undefined) {
        return { merged: data, accepted: keySetOf(NO_KEYS), rejected };
      }
      const changed = local.merge(data);
      const accepted = keySetOf(changed === undefined || changed === null ? data.entries.map((e) => e[0]) : changed);
      return { merged: data, accepted, rejected };
    },
  };
}
