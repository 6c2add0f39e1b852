/**
 * Encoding of OR-Map payloads in the binary form (delta-format.ts; docs/wire-format.md §5.2): what the stock map
 * broadcasts for each local write or batch.
 *
 * Any `ORMapData` encodes — delta, repair or snapshot — written field by field into one reused buffer, with no
 * intermediate object. The encoder checks only what the format must be able to represent (strings without lone
 * surrogates, non-negative integers, wire values); validity beyond that (distinct writers, indices in range, the
 * receiver's bounds) is the receiver's to check, so a payload encodes the same whatever the sender's limits.
 * Encoding is the identity's other half: validated decoding of the bytes gives back the same data.
 */
import type { ORMapData } from '@rumor/ormap';
import { ByteSink } from './byte-sink.js';
import { DELTA_VERSION, FLAG_COMPLETE, FLAG_HORIZON } from './delta-format.js';
import { CodecErrorCode } from './errors.js';
import { fail, ok, type Result } from './result.js';
import { utf8Length } from './utf8.js';
import { writeValue } from './value-bytes.js';

// Reused: encoding is synchronous and never re-enters itself (values are encoded by the msgpack codec, not here).
const sink = new ByteSink();

/** Largest writer index a slot header `writer · 2 + live` can carry in a 32-bit varint. */
const WRITER_INDEX_MAX = 2 ** 31 - 1;

/** Encodes an OR-Map payload in the binary form; fails with `codec.unencodable` for data the form cannot carry. */
export function encodeDelta<V>(data: ORMapData<V>): Result<Uint8Array> {
  sink.pos = 0;
  let reason: string | undefined;
  try {
    reason = write(data);
  } catch (e) {
    // Hostile in-process objects (throwing getters, proxies) end here rather than in the caller.
    reason = `threw while reading the payload: ${e instanceof Error ? e.message : 'unknown error'}`;
  }
  if (reason !== undefined) {
    sink.pos = 0;
    return fail(CodecErrorCode.unencodable, `OR-Map payload cannot be encoded: ${reason}`);
  }
  return ok(sink.take());
}

function isUint(x: unknown, max: number): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= max;
}

function write(data: ORMapData<unknown>): string | undefined {
  if (typeof data !== 'object' || data === null) return 'not an object';
  const { writers, entries, horizon, complete } = data;
  if (!Array.isArray(writers) || !Array.isArray(entries)) return 'writers and entries must be arrays';
  if (complete !== undefined && complete !== false && !(complete === true && horizon !== undefined)) {
    return 'complete must be a boolean, and true only with a horizon';
  }
  sink.u8(DELTA_VERSION);
  sink.u8((horizon !== undefined ? FLAG_HORIZON : 0) | (complete === true ? FLAG_COMPLETE : 0));

  sink.uv(writers.length);
  for (let i = 0; i < writers.length; i++) {
    const id: unknown = writers[i];
    if (typeof id !== 'string') return `writer ${i} is not a string`;
    const n = utf8Length(id);
    if (n < 0) return `writer ${i} has a lone surrogate`;
    sink.uv(n);
    sink.utf8(id, n);
  }

  if (horizon !== undefined) {
    if (typeof horizon !== 'object' || horizon === null) return 'horizon is not an object';
    const { floor, vv } = horizon;
    if (!isUint(floor, Number.MAX_SAFE_INTEGER)) return 'horizon floor is not a non-negative safe integer';
    if (!Array.isArray(vv)) return 'horizon vv is not an array';
    sink.hlc(floor);
    sink.uv(vv.length);
    for (const pair of vv as readonly unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) return 'horizon vv item is not [writer, hlc]';
      const [w, t] = pair as unknown[];
      if (!isUint(w, WRITER_INDEX_MAX) || !isUint(t, Number.MAX_SAFE_INTEGER)) return 'horizon vv item is not [writer, hlc] of non-negative integers';
      sink.uv(w);
      sink.hlc(t);
    }
  }

  sink.uv(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    if (!Array.isArray(entry) || entry.length < 1) return `entry ${i} is not [key, ...slots]`;
    const key: unknown = entry[0];
    if (typeof key !== 'string') return `entry ${i} key is not a string`;
    const n = utf8Length(key);
    if (n < 0) return `entry ${i} key has a lone surrogate`;
    sink.uv(n);
    sink.utf8(key, n);
    sink.uv(entry.length - 1);
    for (let j = 1; j < entry.length; j++) {
      const slot: unknown = entry[j];
      if (!Array.isArray(slot) || (slot.length !== 2 && slot.length !== 3)) return `entry ${i} slot ${j - 1} is not [writer, hlc] or [writer, hlc, value]`;
      const w: unknown = slot[0];
      const t: unknown = slot[1];
      if (!isUint(w, WRITER_INDEX_MAX)) return `entry ${i} slot ${j - 1} writer is not a non-negative integer`;
      if (!isUint(t, Number.MAX_SAFE_INTEGER)) return `entry ${i} slot ${j - 1} hlc is not a non-negative safe integer`;
      const live = slot.length === 3;
      sink.uv(w * 2 + (live ? 1 : 0));
      sink.hlc(t);
      if (live && !writeValue(sink, slot[2])) return `entry ${i} slot ${j - 1} value is not a wire value`;
    }
  }
  return undefined;
}
