/**
 * Validated decoding of the binary OR-Map payload (delta-format.ts; docs/wire-format.md §5.2) — the bytes path of
 * `createIngest(...).accept` / `ingest` (issue 2, design §3: untrusted input is validated before anything is absorbed).
 *
 * One forward pass over the bytes builds exactly the `ORMapData` that @rumor/ormap's `merge` trusts, applying the
 * same rules, bounds and codes as the object path (validate.ts), entry checks in its order, so a payload read as
 * bytes gives the same data and rejections as its object form. Structural faults — a length or count past the end, a bad varint,
 * an unknown version or flag, bytes after the last entry — refuse the whole payload: the layout cannot be trusted
 * beyond them, and nothing of it is merged. Every declared count and length is checked against the bytes left
 * before it is used (each item takes at least one byte), so decoding costs O(bytes) time and memory whatever the
 * input claims. Semantic faults of one entry (an invalid key, writer or dot, a drifted hlc, a bad or oversized
 * value, a refused leaf) drop that entry and keep the others, as on the object path. Nothing here throws.
 */
import { PACKED_MAX } from '@rumor/hlc';
import type { EntryData, HorizonData, NodeId, ORMapData, SlotData } from '@rumor/ormap';
import { DELTA_VERSION, ENTRY_BYTES_MIN, FLAG_COMPLETE, FLAG_HORIZON, HLC_BYTES, SLOT_BYTES_MIN } from './delta-format.js';
import { CodecErrorCode, DeltaErrorCode, IngestErrorCode, type WireErrorCode } from './errors.js';
import type { IngestLimits } from './ingest-limits.js';
import type { ResolvedCodecLimits } from './limits.js';
import type { WireError } from './result.js';
import { readUtf8Checked } from './utf8.js';
import { BAD_VALUE, readValue } from './value-bytes.js';
import { hlcMaxAt, type Accepted, type LeafValidator, type Rejection } from './validate.js';

const EMPTY: ORMapData<never> = Object.freeze({ writers: Object.freeze([]), entries: Object.freeze([]) });
const TWO_28 = 2 ** 28;
const TWO_32 = 2 ** 32;

/** A structural fault: thrown inside the reader only, caught at its entry point. */
class Malformed {
  constructor(
    readonly code: WireErrorCode,
    readonly message: string,
  ) {}
}

/** Decodes and validates a binary OR-Map payload; keeps only the valid entries, like `acceptPayload`. */
export function acceptBytes<V>(
  bytes: Uint8Array,
  limits: IngestLimits,
  valueLimits: ResolvedCodecLimits,
  nowMs: number,
  leaf: LeafValidator | undefined,
): Accepted<V> {
  const hlcMax = hlcMaxAt(nowMs, limits.maxDriftMs);
  try {
    return singleWrite<V>(bytes, limits, valueLimits, hlcMax, leaf) ?? new DeltaReader(bytes, limits, valueLimits, hlcMax, leaf).payload<V>();
  } catch (e) {
    if (e instanceof Malformed) return refuse(e.code, e.message);
    // Defence in depth: every read is bounds-checked and the leaf validator is contained, so nothing should get here.
    return refuse(CodecErrorCode.malformed, `binary payload decode failed: ${describe(e)}`);
  }
}

/**
 * The payload of one write — one writer, one entry, one slot, all lengths below 128, no horizon: the delta of
 * every `put` and `delete` — read in straight-line code. It returns only what the general reader would return for
 * the same bytes; anything unusual, invalid or out of bounds returns `undefined`, and the general reader then
 * reads the payload again and says why.
 */
function singleWrite<V>(
  b: Uint8Array,
  limits: IngestLimits,
  valueLimits: ResolvedCodecLimits,
  hlcMax: number,
  leaf: LeafValidator | undefined,
): Accepted<V> | undefined {
  // 01 00 | 01 idLen id | 01 keyLen key | 01 head hlc(7) | [valueLen value]
  const n = b.length;
  if (n < 16 || b[0] !== DELTA_VERSION || b[1] !== 0 || b[2] !== 1) return undefined;
  const idLen = b[3]!;
  if (idLen === 0 || idLen >= 0x80 || idLen > limits.nodeIdBytesMax) return undefined;
  const keyAt = 4 + idLen + 2;
  if (keyAt > n || b[keyAt - 2] !== 1) return undefined;
  const keyLen = b[keyAt - 1]!;
  if (keyLen >= 0x80 || keyLen > limits.keyBytesMax) return undefined;
  let p = keyAt + keyLen;
  if (p + 2 + HLC_BYTES > n || b[p] !== 1) return undefined;
  const head = b[p + 1]!;
  if (head > 1) return undefined;
  p += 2;
  const t = (((b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!) * TWO_32) + (((b[p + 3]! << 24) | (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!) >>> 0);
  if (t === 0 || t > hlcMax) return undefined;
  p += HLC_BYTES;
  let value: unknown;
  if (head === 1) {
    if (p >= n) return undefined;
    const valueLen = b[p++]!;
    if (valueLen === 0 || valueLen >= 0x80 || valueLen > limits.valueBytesMax || p + valueLen !== n) return undefined;
    value = readValue(b, p, n, valueLimits);
    if (value === BAD_VALUE) return undefined;
  } else if (p !== n) return undefined;
  const id = nodeIdAt(b, 4, idLen);
  const key = readUtf8Checked(b, keyAt, keyAt + keyLen);
  if (id === undefined || key === undefined) return undefined;
  if (head === 0) return { data: { writers: [id], entries: [[key, [0, t]]] }, rejected: NO_REJECTIONS };
  if (leaf !== undefined) {
    let verdict: unknown;
    try {
      verdict = leaf(value, key);
    } catch (e) {
      return { data: { writers: [id], entries: [] }, rejected: [{ code: IngestErrorCode.leafThrew, message: `leaf validator threw: ${describe(e)}`, index: 0, key }] };
    }
    if (verdict !== true) {
      return { data: { writers: [id], entries: [] }, rejected: [{ code: IngestErrorCode.leafRejected, message: 'leaf validator refused slot 0', index: 0, key }] };
    }
  }
  return { data: { writers: [id], entries: [[key, [0, t, value as V]]] }, rejected: NO_REJECTIONS };
}

function refuse<V>(code: WireErrorCode, message: string): Accepted<V> {
  return { data: EMPTY as ORMapData<V>, rejected: [{ code, message } satisfies WireError] };
}

function describe(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return 'unprintable error';
  }
}

// A class with fields, not closures: one allocation per payload, and monomorphic reads on the hot path.
class DeltaReader {
  private pos = 0;
  private readonly end: number;
  /** Payload writer index → index in the output table, or -1 for an invalid or repeated node id. */
  private remap: number[] = [];
  /** Per-writer stamp for the duplicate checks (made on first need); `generation` changes per check. */
  private stamp: number[] | undefined = undefined;
  private generation = 0;

  constructor(
    private readonly b: Uint8Array,
    private readonly limits: IngestLimits,
    private readonly valueLimits: ResolvedCodecLimits,
    private readonly hlcMax: number,
    private readonly leaf: LeafValidator | undefined,
  ) {
    this.end = b.length;
  }

  payload<V>(): Accepted<V> {
    const b = this.b;
    const limits = this.limits;
    if (this.end < 2) throw new Malformed(DeltaErrorCode.truncated, 'binary payload shorter than its 2-byte header');
    if (b[0] !== DELTA_VERSION) throw new Malformed(DeltaErrorCode.version, `binary payload version ${b[0]}, expected ${DELTA_VERSION}`);
    const flags = b[1]!;
    if ((flags & ~(FLAG_HORIZON | FLAG_COMPLETE)) !== 0 || flags === FLAG_COMPLETE) {
      throw new Malformed(DeltaErrorCode.flags, `flags 0x${flags.toString(16)}: unknown bits, or complete without a horizon`);
    }
    this.pos = 2;

    // Writers table.
    const count = this.uv();
    if (count > limits.writersPerPayloadMax) {
      return refuse(IngestErrorCode.payloadTooManyWriters, `${count} writers exceed writersPerPayloadMax ${limits.writersPerPayloadMax}`);
    }
    this.fits(count, 1, 'writers table');
    const remap = this.remap;
    const table: NodeId[] = [];
    // Repeats are found by scanning the (usually one or two) ids so far; a big table gets a set, so a hostile one
    // of writersPerPayloadMax ids costs linear time, not quadratic.
    const seen = count > 8 ? new Set<string>() : undefined;
    for (let i = 0; i < count; i++) {
      const len = this.uv();
      this.fits(len, 1, 'node id');
      const at = this.pos;
      this.pos += len;
      const id = len >= 1 && len <= limits.nodeIdBytesMax ? nodeIdAt(b, at, len) : undefined;
      if (id !== undefined && !(seen !== undefined ? seen.has(id) : repeats(table, id))) {
        remap.push(table.length);
        table.push(id);
        seen?.add(id);
      } else remap.push(-1);
    }

    // Horizon: every check of validate.ts checkHorizon, in its order.
    let horizon: HorizonData | undefined;
    if ((flags & FLAG_HORIZON) !== 0) {
      const floor = this.hlc();
      if (floor > PACKED_MAX) return refuse(IngestErrorCode.payloadBadHorizon, 'horizon floor is not a packed HLC');
      if (floor > this.hlcMax) return refuse(IngestErrorCode.drift, 'horizon floor is ahead of the local clock beyond maxDriftMs');
      const pairs = this.uv();
      if (pairs > count) return refuse(IngestErrorCode.payloadBadHorizon, 'horizon vv has more pairs than there are writers');
      this.fits(pairs, 1 + HLC_BYTES, 'horizon vv');
      const gen = ++this.generation;
      const stamp = (this.stamp ??= new Array<number>(this.remap.length).fill(0));
      const vv: (readonly [number, number])[] = [];
      for (let i = 0; i < pairs; i++) {
        const w = this.uv();
        const t = this.hlc();
        if (!(w < count && remap[w]! >= 0)) return refuse(IngestErrorCode.payloadBadHorizon, 'horizon vv names an invalid writer');
        if (stamp[w] === gen) return refuse(IngestErrorCode.payloadBadHorizon, 'horizon vv names a writer twice');
        stamp[w] = gen;
        if (t > PACKED_MAX) return refuse(IngestErrorCode.payloadBadHorizon, 'horizon vv hlc is not a packed HLC');
        if (t > this.hlcMax) return refuse(IngestErrorCode.drift, 'horizon vv hlc is ahead of the local clock beyond maxDriftMs');
        vv.push([remap[w]!, t]);
      }
      horizon = { floor, vv };
    }

    // Entries.
    const n = this.uv();
    if (n > limits.entriesPerPayloadMax) {
      return refuse(IngestErrorCode.payloadTooManyEntries, `${n} entries exceed entriesPerPayloadMax ${limits.entriesPerPayloadMax}`);
    }
    this.fits(n, ENTRY_BYTES_MIN, 'entries');
    const kept: EntryData<V>[] = [];
    let rejected: Rejection[] | undefined;
    for (let i = 0; i < n; i++) {
      const r = this.entry<V>(horizon !== undefined, kept);
      if (r !== undefined) (rejected ??= []).push({ ...r, index: i });
    }
    if (this.pos !== this.end) throw new Malformed(DeltaErrorCode.trailingBytes, `${this.end - this.pos} bytes after the last entry`);

    let data: ORMapData<V>;
    if (horizon === undefined) data = { writers: table, entries: kept };
    else if ((flags & FLAG_COMPLETE) !== 0 && rejected === undefined) data = { writers: table, entries: kept, horizon, complete: true };
    // A complete payload missing an entry would make that key look absent at the sender: keep it authoritative
    // for the listed keys only (validate.ts, "Authority").
    else data = { writers: table, entries: kept, horizon };
    return { data, rejected: rejected ?? NO_REJECTIONS };
  }

  /** Reads one entry; pushes it to `kept` if valid, else returns why not (the caller adds the index). */
  private entry<V>(authoritative: boolean, kept: EntryData<V>[]): Omit<Rejection, 'index'> | undefined {
    const b = this.b;
    const limits = this.limits;
    const keyLen = this.uv();
    this.fits(keyLen, 1, 'key');
    const keyAt = this.pos;
    this.pos += keyLen;
    const slotCount = this.uv();
    this.fits(slotCount, SLOT_BYTES_MIN, 'slots');
    const key = keyLen <= limits.keyBytesMax ? readUtf8Checked(b, keyAt, keyAt + keyLen) : undefined;
    const keyOk = key !== undefined;

    // Entry-level checks, in validate.ts checkEntry's order; the slots are read through regardless.
    let code: WireErrorCode | undefined;
    let message = '';
    if (slotCount === 0 && !authoritative) {
      code = IngestErrorCode.entryShape;
      message = 'entry has no slot (allowed only with a horizon)';
    } else if (keyLen <= limits.keyBytesMax && !keyOk) {
      code = IngestErrorCode.keyType;
      message = 'key is not valid UTF-8';
    } else if (keyLen > limits.keyBytesMax) {
      code = IngestErrorCode.keyTooLong;
      message = `key exceeds keyBytesMax ${limits.keyBytesMax}`;
    } else if (slotCount > limits.contextPerEntryMax) {
      code = IngestErrorCode.contextTooLarge;
      message = `${slotCount} slots exceed contextPerEntryMax ${limits.contextPerEntryMax}`;
    }

    const remap = this.remap;
    // One slot cannot repeat a writer: the stamps are needed only from two slots on.
    const stamp = slotCount > 1 ? (this.stamp ??= new Array<number>(this.remap.length).fill(0)) : undefined;
    const writers = remap.length;
    const gen = ++this.generation;
    let live = 0;
    let valueCode: WireErrorCode | undefined;
    let valueMessage = '';
    let row: SlotData<V>[] | undefined;
    let only: SlotData<V> | undefined;
    for (let j = 0; j < slotCount; j++) {
      const head = this.uv();
      const t = this.hlc();
      const isLive = (head & 1) === 1;
      let valueAt = 0;
      let valueLen = 0;
      if (isLive) {
        valueLen = this.uv();
        this.fits(valueLen, 1, 'value');
        valueAt = this.pos;
        this.pos += valueLen;
      }
      if (code !== undefined) continue;
      const w = head >>> 1;
      if (!(w < writers && remap[w]! >= 0)) {
        code = IngestErrorCode.badNode;
        message = `slot ${j} names no valid writer`;
      } else if (stamp !== undefined && stamp[w] === gen) {
        code = IngestErrorCode.duplicateWriter;
        message = `two slots name writer ${w}`;
      } else if (t === 0 || t > PACKED_MAX) {
        code = IngestErrorCode.badDot;
        message = `slot ${j} hlc is not a packed HLC > 0`;
      } else if (t > this.hlcMax) {
        code = IngestErrorCode.drift;
        message = `slot ${j} dot is ahead of the local clock beyond maxDriftMs`;
      }
      if (code !== undefined) continue;
      if (stamp !== undefined) stamp[w] = gen;
      let slot: SlotData<V>;
      if (isLive) {
        live++;
        let value: unknown = undefined;
        if (valueCode === undefined) {
          if (valueLen > limits.valueBytesMax) {
            valueCode = IngestErrorCode.valueTooLarge;
            valueMessage = `slot ${j} value exceeds valueBytesMax ${limits.valueBytesMax}`;
          } else {
            value = readValue(b, valueAt, valueAt + valueLen, this.valueLimits);
            if (value === BAD_VALUE) {
              valueCode = IngestErrorCode.valueUnencodable;
              valueMessage = `slot ${j} value is not one msgpack wire value within the bounds`;
            }
          }
        }
        slot = [remap[w]!, t, value as V];
      } else slot = [remap[w]!, t];
      if (j === 0) only = slot;
      else (row ??= [only!]).push(slot);
    }
    if (code === undefined && live > limits.siblingsPerEntryMax) {
      code = IngestErrorCode.tooManySiblings;
      message = `${live} siblings exceed siblingsPerEntryMax ${limits.siblingsPerEntryMax}`;
    }
    if (code === undefined && valueCode !== undefined) {
      code = valueCode;
      message = valueMessage;
    }
    const k = key as string;
    if (code === undefined && live > 0 && this.leaf !== undefined) {
      const refusal = this.checkLeaf(k, only!, row);
      if (refusal !== undefined) return refusal;
    }
    if (code !== undefined) {
      // As on the object path, a key that failed its own checks is not reported.
      return code === IngestErrorCode.keyType || code === IngestErrorCode.keyTooLong || key === undefined ? { code, message } : { code, message, key };
    }
    if (row !== undefined) kept.push([k, ...row] as unknown as EntryData<V>);
    else if (only !== undefined) kept.push([k, only] as unknown as EntryData<V>);
    else kept.push([k] as unknown as EntryData<V>);
    return undefined;
  }

  /** The user's validator over every live value of an otherwise valid entry; a throw counts as a refusal. */
  private checkLeaf(key: string, only: SlotData, row: SlotData[] | undefined): Omit<Rejection, 'index'> | undefined {
    const slots = row ?? [only];
    for (let j = 0; j < slots.length; j++) {
      const s = slots[j]!;
      if (s.length !== 3) continue;
      let verdict: unknown;
      try {
        verdict = this.leaf!(s[2], key);
      } catch (e) {
        return { code: IngestErrorCode.leafThrew, message: `leaf validator threw: ${describe(e)}`, key };
      }
      if (verdict !== true) return { code: IngestErrorCode.leafRejected, message: `leaf validator refused slot ${j}`, key };
    }
    return undefined;
  }

  /** Unsigned LEB128, shortest form, below 2^32. */
  private uv(): number {
    const b = this.b;
    let p = this.pos;
    if (p >= this.end) throw new Malformed(DeltaErrorCode.truncated, `payload ends at offset ${p}, inside a varint`);
    let c = b[p++]!;
    if (c < 0x80) {
      this.pos = p;
      return c;
    }
    let x = c & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (p >= this.end) throw new Malformed(DeltaErrorCode.truncated, `payload ends at offset ${p}, inside a varint`);
      c = b[p++]!;
      if (shift === 28) {
        // The fifth byte holds bits 28..31 and ends the varint.
        if (c === 0 || c > 0x0f) throw new Malformed(DeltaErrorCode.varint, `varint at offset ${this.pos} is not a shortest-form value below 2^32`);
        x += c * TWO_28;
        break;
      }
      x |= (c & 0x7f) << shift;
      if (c < 0x80) {
        if (c === 0) throw new Malformed(DeltaErrorCode.varint, `varint at offset ${this.pos} is not in shortest form`);
        break;
      }
    }
    this.pos = p;
    return x;
  }

  /** A 7-byte big-endian hlc (any value below 2^56; the callers check the range). */
  private hlc(): number {
    const p = this.pos;
    if (p + HLC_BYTES > this.end) throw new Malformed(DeltaErrorCode.truncated, `payload ends at offset ${this.end}, inside an hlc`);
    const b = this.b;
    this.pos = p + HLC_BYTES;
    const hi = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
    const lo = ((b[p + 3]! << 24) | (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!) >>> 0;
    return hi * TWO_32 + lo;
  }

  /** A declared count of items of at least `bytesEach` bytes must fit in what is left: else it is a lie or cut. */
  private fits(count: number, bytesEach: number, what: string): void {
    if (count * bytesEach > this.end - this.pos) {
      throw new Malformed(DeltaErrorCode.truncated, `${what} at offset ${this.pos} declares ${count} items or bytes, ${this.end - this.pos} bytes left`);
    }
  }
}

const NO_REJECTIONS: readonly Rejection[] = Object.freeze([]);

function repeats(table: readonly string[], id: string): boolean {
  for (let i = 0; i < table.length; i++) if (table[i] === id) return true;
  return false;
}

// Node ids repeat in every payload from the same writer: a small direct-mapped cache of their decoded strings saves
// the string allocation, and hands the map an id whose hash is already computed.
const ID_CACHE_SIZE = 64;
const idBytes: (Uint8Array | undefined)[] = new Array(ID_CACHE_SIZE).fill(undefined);
const idStrings: string[] = new Array(ID_CACHE_SIZE).fill('');

/** The node id held by `b[at, at + len)` (1..nodeIdBytesMax bytes), or undefined if they are not valid UTF-8. */
function nodeIdAt(b: Uint8Array, at: number, len: number): NodeId | undefined {
  let h = len;
  for (let i = at; i < at + len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h >>> 26) & (ID_CACHE_SIZE - 1);
  const cached = idBytes[slot];
  if (cached !== undefined && cached.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (cached[i] !== b[at + i]) {
        same = false;
        break;
      }
    }
    // Cached bytes were validated when they were cached.
    if (same) return idStrings[slot] as NodeId;
  }
  const id = readUtf8Checked(b, at, at + len);
  if (id === undefined) return undefined;
  idBytes[slot] = b.slice(at, at + len);
  idStrings[slot] = id;
  return id as NodeId;
}
