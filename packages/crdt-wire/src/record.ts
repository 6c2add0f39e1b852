/**
 * Checksummed record framing for the write-ahead log (design §7: "torn or corrupt log tails are detected
 * (checksums) and cut, never applied"). Pure functions over bytes; the map's WAL does the I/O.
 *
 * A record is `length (u32 big-endian) ‖ crc (u32 big-endian) ‖ payload`, where `payload` is one msgpack value of
 * `length` bytes (1 ≤ length ≤ frameBytesMax) and `crc` is the CRC-32C of the four length bytes followed by the
 * payload, so a corrupted length is caught like a corrupted payload. A log is records back to back.
 *
 * `decodeRecords` returns the longest prefix of whole, intact records and stops at the first record that is torn
 * (runs past the end), has an impossible length, fails its checksum, or whose payload does not decode within the
 * limits. The caller truncates the log to `validBytes`: what follows the first bad record is never applied, since a
 * write-ahead log is only meaningful as a prefix.
 */
import { encode, decode, type Bytes } from './codec.js';
import { crc32c } from './crc32c.js';
import { RecordErrorCode } from './errors.js';
import { resolveCodecLimits, type CodecLimits } from './limits.js';
import type { Result, WireError } from './result.js';

/** Bytes of the record header: length and checksum. */
export const RECORD_HEADER_BYTES = 8;

/** What `decodeRecords` recovered from a log buffer. */
export interface DecodedRecords {
  /** The payloads of the intact prefix, in order; decoded, still to be validated by the caller. */
  readonly records: unknown[];
  /** Length of the intact prefix in bytes: truncate the log here. */
  readonly validBytes: number;
  /** Why decoding stopped before the end of the buffer; absent when the whole buffer is intact. */
  readonly torn?: WireError;
}

/** Encodes a value as one log record; fails like `encode` (the payload is bounded by `frameBytesMax`). */
export function encodeRecord(value: unknown, limits?: CodecLimits): Result<Bytes> {
  const payload = encode(value, limits);
  if (!payload.ok) return payload;
  return { ok: true, value: frameRecord(payload.value) };
}

/** Frames an already msgpack-encoded payload as one record (to log bytes that were encoded for the wire). */
export function frameRecord(payload: Bytes): Bytes {
  const n = payload.length;
  const out = new Uint8Array(RECORD_HEADER_BYTES + n);
  const view = new DataView(out.buffer);
  view.setUint32(0, n);
  out.set(payload, RECORD_HEADER_BYTES);
  view.setUint32(4, crc32c(out, RECORD_HEADER_BYTES, out.length, crc32c(out, 0, 4)));
  return out;
}

/** Decodes the intact prefix of a log buffer; never throws. */
export function decodeRecords(buffer: Bytes, limits?: CodecLimits): DecodedRecords {
  const resolved = resolveCodecLimits(limits);
  const records: unknown[] = [];
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const end = buffer.length;
  let pos = 0;
  const stop = (code: WireError['code'], message: string): DecodedRecords => ({
    records,
    validBytes: pos,
    torn: { code, message: `record at offset ${pos}: ${message}` },
  });
  while (pos < end) {
    if (end - pos < RECORD_HEADER_BYTES) return stop(RecordErrorCode.truncated, `header cut after ${end - pos} bytes`);
    const length = view.getUint32(pos);
    if (length === 0 || length > resolved.frameBytesMax) {
      return stop(RecordErrorCode.length, `length ${length} outside 1..${resolved.frameBytesMax}`);
    }
    const bodyStart = pos + RECORD_HEADER_BYTES;
    if (length > end - bodyStart) return stop(RecordErrorCode.truncated, `payload of ${length} bytes cut after ${end - bodyStart}`);
    const expected = view.getUint32(pos + 4);
    const actual = crc32c(buffer, bodyStart, bodyStart + length, crc32c(buffer, pos, pos + 4));
    if (actual !== expected) return stop(RecordErrorCode.checksum, 'checksum mismatch');
    const value = decode(buffer.subarray(bodyStart, bodyStart + length), resolved);
    if (!value.ok) return stop(RecordErrorCode.payload, `payload does not decode (${value.error.code}: ${value.error.message})`);
    records.push(value.value);
    pos = bodyStart + length;
  }
  return { records, validBytes: pos };
}
