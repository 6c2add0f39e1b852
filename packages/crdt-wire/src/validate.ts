/**
 * Validation of untrusted OR-Map payloads (issue 2, design §3 and §9: "malformed, oversized or hostile input never
 * crashes a node or changes its state").
 *
 * Input: anything — a decoded frame body (still untrusted) or any in-process value. Output: an `ORMapData` holding
 * only the entries that satisfy every validity rule of @rumor/ormap's types.ts (which `merge` trusts), plus one
 * rejection with a stable code per refused entry or payload. Checks, cheapest first: shapes and types of every
 * field; writer indices and node ids (1..nodeIdBytesMax bytes, distinct); packed HLCs (`@rumor/hlc` `isPacked`,
 * > 0 in slots) no further than `maxDriftMs` ahead of the local wall clock; one slot per writer per entry; bounds
 * on key bytes, value bytes, entries, writers, context and siblings; last, the user's leaf validator, where a throw
 * counts as a rejection. Nothing here mutates its input or throws.
 *
 * Authority (ormap types.ts): a payload with a horizon speaks for every key it lists, and with `complete` for every
 * key of the map. Dropping an entry from a complete payload would make its key look absent at the sender, and the
 * merge would kill our live dots under the sender's horizon; so when anything of a complete payload is refused, the
 * accepted data keeps the horizon but loses `complete` (authoritative for the listed keys only — weaker, still true).
 */
import { LOGICAL_BITS, LOGICAL_MAX, WALL_MAX_MS, isPacked } from '@rumor/hlc';
import type { EntryData, HorizonData, NodeId, ORMapData, SlotData } from '@rumor/ormap';
import { IngestErrorCode, type WireErrorCode } from './errors.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from './ingest-limits.js';
import type { Result } from './result.js';
import { utf8Length } from './utf8.js';
import { NOT_WIRE, wireSize } from './value-size.js';

/** The user's check of one live value; anything but `true` (or a throw) rejects the entry. */
export type LeafValidator = (value: unknown, key: string) => boolean;

/** One refused entry (with its index in the payload and its key, when it had one) or a refused payload. */
export interface Rejection {
  readonly code: WireErrorCode;
  readonly message: string;
  /** Index of the entry in `payload.entries`; absent when the whole payload was refused. */
  readonly index?: number;
  readonly key?: string;
}

/** What `accept` keeps of a payload: valid, trusted-shape data for `merge`, and why the rest was refused. */
export interface Accepted<V = unknown> {
  readonly data: ORMapData<V>;
  readonly rejected: readonly Rejection[];
}

/** Per-payload facts the entry check needs: the writers table verdicts and the drift bound. */
interface Scope {
  readonly limits: IngestLimits;
  /** Writer index → index in the output table, or -1 if the id is invalid or repeats an earlier one. */
  readonly remap: Int32Array;
  /** Largest packed HLC accepted: local wall clock + maxDriftMs, any logical part. */
  readonly hlcMax: number;
  /** A payload with a horizon may list a key with no slot (`[key]`: nothing left at the sender). */
  authoritative: boolean;
  /** Per-writer stamp for the duplicate-slot check; `generation` changes per entry. */
  readonly stamp: Int32Array;
  generation: number;
}

type EntryVerdict = { ok: true; live: number } | { ok: false; code: WireErrorCode; message: string; key?: string };

const EMPTY: ORMapData<never> = Object.freeze({ writers: Object.freeze([]), entries: Object.freeze([]) });

const LOGICAL_SPAN = 2 ** LOGICAL_BITS;

/** Largest packed HLC accepted at wall time `nowMs` (sanitised like @rumor/hlc's clock does). */
export function hlcMaxAt(nowMs: number, maxDriftMs: number): number {
  const w = Math.floor(nowMs);
  const wall = w >= 0 ? Math.min(w + maxDriftMs, WALL_MAX_MS) : maxDriftMs;
  // pack() without building a timestamp object: this runs once per payload.
  return Math.min(wall, WALL_MAX_MS) * LOGICAL_SPAN + LOGICAL_MAX;
}


/** Whether `id` is a node id: a well-formed string of 1..`max` UTF-8 bytes. */
export function isNodeId(id: unknown, max: number = DEFAULT_INGEST_LIMITS.nodeIdBytesMax): id is NodeId {
  if (typeof id !== 'string' || id.length === 0 || id.length > max) return false;
  const n = utf8Length(id);
  return n > 0 && n <= max;
}

/** Validates a payload and keeps only its valid entries; a payload that is not an OR-Map state keeps nothing. */
export function acceptPayload<V>(
  payload: unknown,
  limits: IngestLimits,
  nowMs: number,
  leaf: LeafValidator | undefined,
): Accepted<V> {
  const refuse = (code: WireErrorCode, message: string): Accepted<V> => ({ data: EMPTY, rejected: [{ code, message }] });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return refuse(IngestErrorCode.payloadShape, 'payload is not an object');
  }
  const { writers, entries, horizon, complete } = payload as Record<string, unknown>;
  if (!Array.isArray(writers) || !Array.isArray(entries)) {
    return refuse(IngestErrorCode.payloadShape, 'payload needs the arrays `writers` and `entries`');
  }
  if (complete !== undefined && complete !== false && !(complete === true && horizon !== undefined)) {
    return refuse(IngestErrorCode.payloadShape, '`complete` is a boolean, and true only with a horizon');
  }
  if (writers.length > limits.writersPerPayloadMax) {
    return refuse(IngestErrorCode.payloadTooManyWriters, `${writers.length} writers exceed writersPerPayloadMax ${limits.writersPerPayloadMax}`);
  }
  if (entries.length > limits.entriesPerPayloadMax) {
    return refuse(IngestErrorCode.payloadTooManyEntries, `${entries.length} entries exceed entriesPerPayloadMax ${limits.entriesPerPayloadMax}`);
  }
  const scope = makeScope(writers, limits, nowMs);
  let table = writers as NodeId[];
  let reindexed = false;
  for (let i = 0; i < writers.length; i++) if (scope.remap[i] !== i) reindexed = true;
  if (reindexed) table = writers.filter((_, i) => scope.remap[i]! >= 0) as NodeId[];

  let outHorizon: HorizonData | undefined;
  if (horizon !== undefined) {
    const h = checkHorizon(horizon, scope);
    if (!h.ok) return refuse(h.error.code, h.error.message);
    outHorizon = reindexed ? { floor: h.value.floor, vv: h.value.vv.map(([w, t]) => [scope.remap[w]!, t] as const) } : h.value;
    scope.authoritative = true;
  }

  const rejected: Rejection[] = [];
  const kept: EntryData<V>[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const verdict = checkEntry(entry, scope, leaf);
    if (!verdict.ok) {
      const r: Rejection = { code: verdict.code, message: verdict.message, index: i };
      rejected.push(verdict.key === undefined ? r : { ...r, key: verdict.key });
      continue;
    }
    kept.push((reindexed ? remapEntry(entry as EntryData<V>, scope.remap) : entry) as EntryData<V>);
  }
  let data: ORMapData<V>;
  if (outHorizon === undefined) data = { writers: table, entries: kept };
  else if (complete === true && rejected.length === 0) data = { writers: table, entries: kept, horizon: outHorizon, complete: true };
  else data = { writers: table, entries: kept, horizon: outHorizon };
  return { data, rejected };
}

/** Validates one entry against the writers table it refers to. */
export function checkOneEntry<V>(
  entry: unknown,
  writers: readonly unknown[],
  limits: IngestLimits,
  nowMs: number,
  leaf: LeafValidator | undefined,
): Result<EntryData<V>> {
  if (!Array.isArray(writers) || writers.length > limits.writersPerPayloadMax) {
    return { ok: false, error: { code: IngestErrorCode.payloadShape, message: 'writers table is not a bounded array' } };
  }
  const verdict = checkEntry(entry, makeScope(writers, limits, nowMs), leaf);
  if (!verdict.ok) return { ok: false, error: { code: verdict.code, message: verdict.message } };
  return { ok: true, value: entry as EntryData<V> };
}

function makeScope(writers: readonly unknown[], limits: IngestLimits, nowMs: number): Scope {
  const n = writers.length;
  const remap = new Int32Array(n);
  const seen = new Set<string>();
  let next = 0;
  for (let i = 0; i < n; i++) {
    const id = writers[i];
    if (isNodeId(id, limits.nodeIdBytesMax) && !seen.has(id)) {
      seen.add(id);
      remap[i] = next++;
    } else {
      remap[i] = -1;
    }
  }
  return { limits, remap, hlcMax: hlcMaxAt(nowMs, limits.maxDriftMs), authoritative: false, stamp: new Int32Array(n), generation: 0 };
}

function checkHorizon(h: unknown, scope: Scope): Result<HorizonData> {
  const bad = (message: string): Result<HorizonData> => ({ ok: false, error: { code: IngestErrorCode.payloadBadHorizon, message } });
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return bad('horizon is not an object');
  const { floor, vv } = h as Record<string, unknown>;
  if (!isPacked(floor)) return bad('horizon floor is not a packed HLC');
  if (floor > scope.hlcMax) return { ok: false, error: { code: IngestErrorCode.drift, message: 'horizon floor is ahead of the local clock beyond maxDriftMs' } };
  if (!Array.isArray(vv) || vv.length > scope.remap.length) return bad('horizon vv is not an array of at most one pair per writer');
  const gen = ++scope.generation;
  for (const pair of vv as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return bad('horizon vv item is not [writer, hlc]');
    const [w, t] = pair as [unknown, unknown];
    if (!isWriterIndex(w, scope)) return bad('horizon vv names an invalid writer');
    if (scope.stamp[w] === gen) return bad('horizon vv names a writer twice');
    scope.stamp[w] = gen;
    if (!isPacked(t)) return bad('horizon vv hlc is not a packed HLC');
    if (t > scope.hlcMax) return { ok: false, error: { code: IngestErrorCode.drift, message: 'horizon vv hlc is ahead of the local clock beyond maxDriftMs' } };
  }
  return { ok: true, value: h as HorizonData };
}

function isWriterIndex(w: unknown, scope: Scope): w is number {
  return typeof w === 'number' && Number.isInteger(w) && w >= 0 && w < scope.remap.length && scope.remap[w]! >= 0;
}

function checkEntry(entry: unknown, scope: Scope, leaf: LeafValidator | undefined): EntryVerdict {
  const { limits } = scope;
  if (!Array.isArray(entry) || entry.length < 1) return no(IngestErrorCode.entryShape, 'entry is not [key, ...slots]');
  const key: unknown = entry[0];
  if (typeof key !== 'string') return no(IngestErrorCode.keyType, 'key is not a string');
  if (entry.length === 1 && !scope.authoritative) return no(IngestErrorCode.entryShape, 'entry has no slot (allowed only with a horizon)', key);
  const keyBytes = key.length > limits.keyBytesMax ? key.length : utf8Length(key);
  if (keyBytes < 0) return no(IngestErrorCode.keyType, 'key is not well-formed UTF-16 (lone surrogate)');
  if (keyBytes > limits.keyBytesMax) return no(IngestErrorCode.keyTooLong, `key exceeds keyBytesMax ${limits.keyBytesMax}`);
  const slots = entry.length - 1;
  if (slots > limits.contextPerEntryMax) {
    return no(IngestErrorCode.contextTooLarge, `${slots} slots exceed contextPerEntryMax ${limits.contextPerEntryMax}`, key);
  }
  const gen = ++scope.generation;
  let live = 0;
  for (let i = 1; i <= slots; i++) {
    const slot: unknown = entry[i];
    if (!Array.isArray(slot) || (slot.length !== 2 && slot.length !== 3)) {
      return no(IngestErrorCode.badSlot, `slot ${i - 1} is not [writer, hlc] or [writer, hlc, value]`, key);
    }
    const w: unknown = slot[0];
    const t: unknown = slot[1];
    if (!isWriterIndex(w, scope)) return no(IngestErrorCode.badNode, `slot ${i - 1} names no valid writer`, key);
    if (scope.stamp[w] === gen) return no(IngestErrorCode.duplicateWriter, `two slots name writer ${w}`, key);
    scope.stamp[w] = gen;
    if (!isPacked(t) || t === 0) return no(IngestErrorCode.badDot, `slot ${i - 1} hlc is not a packed HLC > 0`, key);
    if (t > scope.hlcMax) return no(IngestErrorCode.drift, `slot ${i - 1} dot is ahead of the local clock beyond maxDriftMs`, key);
    if (slot.length === 3) live++;
  }
  if (live > limits.siblingsPerEntryMax) {
    return no(IngestErrorCode.tooManySiblings, `${live} siblings exceed siblingsPerEntryMax ${limits.siblingsPerEntryMax}`, key);
  }
  if (live === 0) return { ok: true, live };
  for (let i = 1; i <= slots; i++) {
    const slot = entry[i] as SlotData;
    if (slot.length !== 3) continue;
    const size = wireSize(slot[2], limits.valueBytesMax, limits.valueDepthMax);
    if (size === NOT_WIRE) return no(IngestErrorCode.valueUnencodable, `slot ${i - 1} value is not a wire value`, key);
    if (size > limits.valueBytesMax) return no(IngestErrorCode.valueTooLarge, `slot ${i - 1} value exceeds valueBytesMax ${limits.valueBytesMax}`, key);
  }
  if (leaf !== undefined) {
    for (let i = 1; i <= slots; i++) {
      const slot = entry[i] as SlotData;
      if (slot.length !== 3) continue;
      let verdict: unknown;
      try {
        verdict = leaf(slot[2], key);
      } catch (e) {
        return no(IngestErrorCode.leafThrew, `leaf validator threw: ${describeThrown(e)}`, key);
      }
      if (verdict !== true) return no(IngestErrorCode.leafRejected, `leaf validator refused slot ${i - 1}`, key);
    }
  }
  return { ok: true, live };
}

/** A thrown value's text; even a hostile one (throwing getters, no toString) cannot make ingest throw. */
function describeThrown(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return 'unprintable error';
  }
}

function no(code: WireErrorCode, message: string, key?: string): EntryVerdict {
  return key === undefined ? { ok: false, code, message } : { ok: false, code, message, key };
}

function remapEntry<V>(entry: EntryData<V>, remap: Int32Array): EntryData<V> {
  const out: unknown[] = [entry[0]];
  for (let i = 1; i < entry.length; i++) {
    const s = entry[i] as SlotData<V>;
    out.push(s.length === 3 ? [remap[s[0]]!, s[1], s[2]] : [remap[s[0]]!, s[1]]);
  }
  return out as unknown as EntryData<V>;
}
