/**
 * The bounded msgpack codec: one codec for the wire (carrier frames) and the write-ahead log (design §3, §7).
 *
 * `decode` never throws, for any bytes: a structural pre-scan (scan.ts) enforces every bound first, then one shared
 * @msgpack/msgpack Decoder materialises the value. `encode` never throws either: values outside the wire domain
 * (bigint, functions, symbols, Date, Map, Set, cycles) come back as `codec.unencodable`.
 *
 * Wire value domain: null, boolean, number, string, Uint8Array (any ArrayBufferView encodes as bin), arrays and
 * plain objects with string keys. `undefined` object properties are omitted; `undefined` elsewhere encodes as nil.
 * Decoded maps are plain objects; their keys never include `__proto__` (rejected), so decoding cannot pollute
 * prototypes. Decoded binaries are views into the input bytes: copy them to keep them beyond the input's lifetime.
 */
import { Decoder, Encoder, ExtData, ExtensionCodec } from '@msgpack/msgpack';
import { CodecErrorCode } from './errors.js';
import { resolveCodecLimits, type CodecLimits } from './limits.js';
import { fail, ok, type Result } from './result.js';
import { scanValues } from './scan.js';

/** Bytes, or a view on them (a Node Buffer is a Uint8Array). */
export type Bytes = Uint8Array;

// Dates, Maps and Sets are not wire values: refuse them rather than silently encoding `{}` or a timestamp ext.
// The timestamp ext (-1) decodes as raw ExtData when ext is allowed at all, so nothing decodes to a Date.
const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: -1,
  encode: (input: unknown) => {
    if (input instanceof Date || input instanceof Map || input instanceof Set) {
      throw new TypeError(`${Object.prototype.toString.call(input)} is not a wire value`);
    }
    return null;
  },
  decode: (data: Uint8Array, type: number) => new ExtData(type, data),
});

/** Nesting the encoder follows before giving up; catches cycles (which would otherwise recurse forever). */
const ENCODE_DEPTH_MAX = 512;

// One instance each, reused: construction and buffer growth are the costs worth avoiding on the hot path.
// Both clone themselves if re-entered, so sharing is safe.
const encoder = new Encoder({ extensionCodec, ignoreUndefined: true, maxDepth: ENCODE_DEPTH_MAX });
// All bounds are enforced by the pre-scan; the decoder's own limits stay at their (unbounded) defaults.
const decoder = new Decoder({ extensionCodec });

/** Encodes a wire value to msgpack; fails with `codec.unencodable`, or `codec.frame-too-large` past `frameBytesMax`. */
export function encode(value: unknown, limits?: CodecLimits): Result<Bytes> {
  let bytes: Bytes;
  try {
    bytes = encoder.encode(value);
  } catch (e) {
    return fail(CodecErrorCode.unencodable, `value cannot be encoded: ${describe(e)}`);
  }
  const max = resolveCodecLimits(limits).frameBytesMax;
  if (bytes.length > max) return fail(CodecErrorCode.frameTooLarge, `encoded ${bytes.length} bytes, frameBytesMax is ${max}`);
  return ok(bytes);
}

/** Decodes exactly one msgpack value from untrusted bytes within `limits`; never throws. */
export function decode(bytes: Bytes, limits?: CodecLimits): Result<unknown> {
  const resolved = resolveCodecLimits(limits);
  const bad = scanValues(bytes, resolved, 1);
  if (bad !== undefined) return { ok: false, error: bad };
  return decodeScanned(bytes);
}

/**
 * Decodes up to `valuesMax` concatenated msgpack values (a msgpack stream) within `limits`, which apply to the input
 * as a whole; never throws.
 */
export function decodeMany(bytes: Bytes, valuesMax: number, limits?: CodecLimits): Result<unknown[]> {
  const ends = scratchEnds;
  ends.length = 0;
  const bad = scanValues(bytes, resolveCodecLimits(limits), valuesMax, ends);
  if (bad !== undefined) return { ok: false, error: bad };
  const count = ends.length;
  if (count === 1) {
    const one = decodeScanned(bytes);
    return one.ok ? ok([one.value]) : one;
  }
  // One decoder pass over the whole stream; the scan already proved it holds exactly `count` bounded values.
  const out: unknown[] = new Array(count);
  let i = 0;
  try {
    for (const value of decoder.decodeMulti(bytes)) out[i++] = value;
  } catch (e) {
    return fail(CodecErrorCode.malformed, `msgpack decode failed: ${describe(e)}`);
  }
  if (i !== count) return fail(CodecErrorCode.malformed, `decoded ${i} values where the scan found ${count}`);
  return ok(out);
}

// Value boundaries of the current `decodeMany` call; reused (decoding is synchronous and never re-enters it).
const scratchEnds: number[] = [];

/** Decodes bytes that `scanValues` accepted as one value. The catch is defence in depth: the scan leaves nothing to throw. */
function decodeScanned(bytes: Bytes): Result<unknown> {
  try {
    return ok(decoder.decode(bytes));
  } catch (e) {
    return fail(CodecErrorCode.malformed, `msgpack decode failed: ${describe(e)}`);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
