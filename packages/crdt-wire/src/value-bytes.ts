/**
 * Sibling values inside the binary delta codec: each is one msgpack value (wire-format §1), embedded with its length.
 *
 * Scalars — the common case of small updates — are written and read here directly, byte-identical to what the
 * bounded codec (`encode`/`decode`, i.e. @msgpack/msgpack) would produce and accept; everything else (arrays,
 * maps, binaries, and any unusual encoding) goes through that codec, whose pre-scan enforces every bound. Either
 * way a value is accepted only if it is exactly one msgpack value filling its embedded length, so what a reader
 * keeps re-encodes to a value equal to what the writer sent.
 */
import type { ByteSink } from './byte-sink.js';
import { decode, encode } from './codec.js';
import type { ResolvedCodecLimits } from './limits.js';
import { isUtf8, readUtf8, utf8Length } from './utf8.js';
import { NOT_WIRE, wireSize } from './value-size.js';

/** Returned by {@link readValue} for bytes that are not one acceptable msgpack value. */
export const BAD_VALUE: unique symbol = Symbol('bad value');

/** Nesting a container value may have before the encoder refuses it (cycles end there too). */
const ENCODE_DEPTH_MAX = 512;
const TWO_32 = 2 ** 32;

/**
 * Writes `v` as `uv(length) ‖ msgpack bytes` into `sink`; false (nothing usable written) when `v` is not a wire
 * value — it would not come back equal.
 */
export function writeValue(sink: ByteSink, v: unknown): boolean {
  switch (typeof v) {
    case 'number':
      writeNumber(sink, v);
      return true;
    case 'string': {
      const n = utf8Length(v);
      if (n < 0) return false;
      const head = n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
      sink.uv(head + n);
      sink.room(head);
      const b = sink.buf;
      let p = sink.pos;
      if (n < 32) b[p++] = 0xa0 | n;
      else if (n < 0x100) {
        b[p++] = 0xd9;
        b[p++] = n;
      } else if (n < 0x10000) {
        b[p++] = 0xda;
        b[p++] = n >>> 8;
        b[p++] = n;
      } else {
        b[p++] = 0xdb;
        b[p++] = n >>> 24;
        b[p++] = n >>> 16;
        b[p++] = n >>> 8;
        b[p++] = n;
      }
      sink.pos = p;
      sink.utf8(v, n);
      return true;
    }
    case 'boolean':
      sink.uv(1);
      sink.u8(v ? 0xc3 : 0xc2);
      return true;
    case 'object': {
      if (v === null) {
        sink.uv(1);
        sink.u8(0xc0);
        return true;
      }
      // Containers and binaries: the same check ingest applies to in-process values, then the bounded codec.
      if (wireSize(v, Number.MAX_SAFE_INTEGER, ENCODE_DEPTH_MAX) === NOT_WIRE) return false;
      const r = encode(v, UNBOUNDED);
      if (!r.ok) return false;
      sink.uv(r.value.length);
      sink.bytes(r.value);
      return true;
    }
    default: // undefined, bigint, symbol, function
      return false;
  }
}

// The encoder checks frame size only; a value's own bound is the receiver's `valueBytesMax`.
const UNBOUNDED = { frameBytesMax: Number.MAX_SAFE_INTEGER };

/** A number as @msgpack/msgpack encodes it: the shortest integer form for safe integers, else float 64. */
function writeNumber(sink: ByteSink, v: number): void {
  sink.room(10);
  const b = sink.buf;
  let p = sink.pos;
  if (Number.isSafeInteger(v)) {
    if (v >= 0) {
      if (v < 0x80) {
        b[p++] = 1;
        b[p++] = v;
      } else if (v < 0x100) {
        b[p++] = 2;
        b[p++] = 0xcc;
        b[p++] = v;
      } else if (v < 0x10000) {
        b[p++] = 3;
        b[p++] = 0xcd;
        b[p++] = v >>> 8;
        b[p++] = v;
      } else if (v < TWO_32) {
        b[p++] = 5;
        b[p++] = 0xce;
        sink.view.setUint32(p, v);
        p += 4;
      } else {
        b[p++] = 9;
        b[p++] = 0xcf;
        sink.view.setUint32(p, Math.floor(v / TWO_32));
        sink.view.setUint32(p + 4, v >>> 0);
        p += 8;
      }
    } else if (v >= -0x20) {
      b[p++] = 1;
      b[p++] = v & 0xff;
    } else if (v >= -0x80) {
      b[p++] = 2;
      b[p++] = 0xd0;
      b[p++] = v & 0xff;
    } else if (v >= -0x8000) {
      b[p++] = 3;
      b[p++] = 0xd1;
      sink.view.setInt16(p, v);
      p += 2;
    } else if (v >= -0x80000000) {
      b[p++] = 5;
      b[p++] = 0xd2;
      sink.view.setInt32(p, v);
      p += 4;
    } else {
      b[p++] = 9;
      b[p++] = 0xd3;
      sink.view.setInt32(p, Math.floor(v / TWO_32));
      sink.view.setUint32(p + 4, v >>> 0);
      p += 8;
    }
  } else {
    b[p++] = 9;
    b[p++] = 0xcb;
    sink.view.setFloat64(p, v);
    p += 8;
  }
  sink.pos = p;
}

/** The value held by `b[start, end)` — exactly one msgpack value within `limits` — or {@link BAD_VALUE}. */
export function readValue(b: Uint8Array, start: number, end: number, limits: ResolvedCodecLimits): unknown {
  const len = end - start;
  if (len <= 0) return BAD_VALUE;
  const h = b[start]!;
  if (h < 0x80) return len === 1 ? h : BAD_VALUE;
  if (h >= 0xe0) return len === 1 ? h - 0x100 : BAD_VALUE;
  if (h >= 0xa0 && h <= 0xbf) return len === 1 + (h & 0x1f) ? readString(b, start + 1, end) : BAD_VALUE;
  const p = start + 1;
  switch (h) {
    case 0xc0: return len === 1 ? null : BAD_VALUE;
    case 0xc2: return len === 1 ? false : BAD_VALUE;
    case 0xc3: return len === 1 ? true : BAD_VALUE;
    case 0xcc: return len === 2 ? b[p]! : BAD_VALUE;
    case 0xcd: return len === 3 ? (b[p]! << 8) | b[p + 1]! : BAD_VALUE;
    case 0xce: return len === 5 ? u32(b, p) : BAD_VALUE;
    case 0xcf: return len === 9 ? u32(b, p) * TWO_32 + u32(b, p + 4) : BAD_VALUE;
    case 0xd0: return len === 2 ? (b[p]! << 24) >> 24 : BAD_VALUE;
    case 0xd1: return len === 3 ? (((b[p]! << 8) | b[p + 1]!) << 16) >> 16 : BAD_VALUE;
    case 0xd2: return len === 5 ? u32(b, p) | 0 : BAD_VALUE;
    case 0xd3: return len === 9 ? (u32(b, p) | 0) * TWO_32 + u32(b, p + 4) : BAD_VALUE;
    case 0xca: return len === 5 ? new DataView(b.buffer, b.byteOffset + p, 4).getFloat32(0) : BAD_VALUE;
    case 0xcb: return len === 9 ? new DataView(b.buffer, b.byteOffset + p, 8).getFloat64(0) : BAD_VALUE;
    case 0xd9: return len >= 2 && len === 2 + b[p]! ? readString(b, p + 1, end) : BAD_VALUE;
    default: {
      // Containers, binaries, long strings, and whatever the bounded codec refuses (ext, c1, …).
      const r = decode(b.subarray(start, end), limits);
      return r.ok ? r.value : BAD_VALUE;
    }
  }
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function readString(b: Uint8Array, start: number, end: number): unknown {
  return isUtf8(b, start, end) ? readUtf8(b, start, end) : BAD_VALUE;
}
