/**
 * A growable output buffer for the binary delta codec: unsigned LEB128 varints, 7-byte hlcs, UTF-8 and raw bytes
 * written in place, then copied out once. One instance is reused by the encoder (encoding is synchronous and never
 * re-enters itself), so a small delta costs one allocation: its own bytes.
 */
import { writeUtf8 } from './utf8.js';

const INITIAL_BYTES = 1024;
/** A sink grown beyond this by one big payload is dropped after it, so the scratch never pins a large buffer. */
const KEEP_BYTES_MAX = 1 << 20;
const TWO_32 = 2 ** 32;

/** The buffer and its write position. */
export class ByteSink {
  buf = new Uint8Array(INITIAL_BYTES);
  view = new DataView(this.buf.buffer);
  pos = 0;

  /** Make room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void {
    this.room(1);
    this.buf[this.pos++] = x;
  }

  /** Unsigned LEB128 of an integer in 0..2^32 − 1, shortest form. */
  uv(x: number): void {
    this.room(5);
    const b = this.buf;
    let p = this.pos;
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    b[p++] = x;
    this.pos = p;
  }

  /** A packed hlc (an integer in 0..2^56 − 1; callers pass safe integers) as 7 big-endian bytes. */
  hlc(t: number): void {
    this.room(7);
    const b = this.buf;
    const p = this.pos;
    const hi = Math.floor(t / TWO_32);
    const lo = t >>> 0;
    b[p] = hi >>> 16;
    b[p + 1] = hi >>> 8;
    b[p + 2] = hi;
    b[p + 3] = lo >>> 24;
    b[p + 4] = lo >>> 16;
    b[p + 5] = lo >>> 8;
    b[p + 6] = lo;
    this.pos = p + 7;
  }

  /** `s` as UTF-8, `bytes` long (measured by the caller, no lone surrogate). */
  utf8(s: string, bytes: number): void {
    this.room(bytes);
    this.pos = writeUtf8(s, this.buf, this.pos);
  }

  bytes(src: Uint8Array): void {
    this.room(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** A copy of what was written; resets the sink for the next payload. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    if (this.buf.length > KEEP_BYTES_MAX) {
      this.buf = new Uint8Array(INITIAL_BYTES);
      this.view = new DataView(this.buf.buffer);
    }
    return out;
  }
}
