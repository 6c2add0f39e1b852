/**
 * HLC timestamps as plain values (design §4, "HLC"; Kulkarni et al., "Logical Physical Clocks", 2014).
 *
 * A timestamp is wall-clock milliseconds plus a logical counter, ordered lexicographically. It packs into one safe
 * integer, `wallMs * 2^LOGICAL_BITS + logical`, so that the integer order is the timestamp order: 43 bits of
 * milliseconds (until the year 2248) and 10 logical bits (1 024 timestamps per millisecond, ≥ 1 000 000 per second
 * before the clock runs ahead of the wall). Everything decoded here is untrusted input: the decoders never throw and
 * reject wrong types, negatives, non-integers and out-of-range values with a stable code.
 */

/** A hybrid logical clock reading: wall-clock milliseconds and a logical counter. */
export interface Timestamp {
  readonly wallMs: number;
  readonly logical: number;
}

/** A timestamp packed into one safe integer; integer order equals timestamp order. */
export type PackedTimestamp = number;

/** Result of decoding or merging untrusted input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: HlcError };

/** Stable error codes of this package (listed in docs/errors.md). */
export const HlcErrorCode = {
  malformed: 'hlc.malformed',
  drift: 'hlc.drift',
} as const;

/** One of the stable error codes. */
export type HlcErrorCode = (typeof HlcErrorCode)[keyof typeof HlcErrorCode];

/** Why an input was rejected. */
export interface HlcError {
  readonly code: HlcErrorCode;
  readonly message: string;
}

/** Number of bits of the logical counter in a packed timestamp. */
export const LOGICAL_BITS = 10;
/** Largest logical counter; one more carries into the wall part. */
export const LOGICAL_MAX = 2 ** LOGICAL_BITS - 1;
/** Largest wall-clock value in milliseconds (2^43 − 1, in the year 2248). */
export const WALL_MAX_MS = 2 ** 43 - 1;
/** Largest packed timestamp (= Number.MAX_SAFE_INTEGER). */
export const PACKED_MAX = WALL_MAX_MS * 2 ** LOGICAL_BITS + LOGICAL_MAX;
/** The smallest timestamp; every clock reading is greater. */
export const ZERO: Timestamp = Object.freeze({ wallMs: 0, logical: 0 });

const ENCODED_LENGTH = PACKED_MAX.toString(36).length;
const ENCODED_RE = /^[0-9a-z]+$/;

/** Build a failed result with a stable code. */
export function fail<T>(code: HlcErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** Total order on timestamps: wall first, then logical. */
export function compare(a: Timestamp, b: Timestamp): -1 | 0 | 1 {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

/** Whether `value` is a well-formed timestamp (integers in range). */
export function isTimestamp(value: unknown): value is Timestamp {
  if (typeof value !== 'object' || value === null) return false;
  const { wallMs, logical } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(wallMs) &&
    Number.isSafeInteger(logical) &&
    (wallMs as number) >= 0 &&
    (wallMs as number) <= WALL_MAX_MS &&
    (logical as number) >= 0 &&
    (logical as number) <= LOGICAL_MAX
  );
}

/** Check an untrusted timestamp object. */
export function validate(value: unknown): Result<Timestamp> {
  if (!isTimestamp(value)) {
    return fail(
      HlcErrorCode.malformed,
      `timestamp must be { wallMs: integer 0..${WALL_MAX_MS}, logical: integer 0..${LOGICAL_MAX} }`,
    );
  }
  return { ok: true, value: { wallMs: value.wallMs, logical: value.logical } };
}

/** Pack a timestamp into one safe integer; monotonic in the timestamp order (usable as a fencing token). */
export function pack(ts: Timestamp): PackedTimestamp {
  return ts.wallMs * 2 ** LOGICAL_BITS + ts.logical;
}

/** Whether `value` is a packed timestamp (a safe integer in 0..PACKED_MAX). */
export function isPacked(value: unknown): value is PackedTimestamp {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= PACKED_MAX;
}

/** Unpack an untrusted packed timestamp. */
export function unpack(value: unknown): Result<Timestamp> {
  if (!isPacked(value)) return fail(HlcErrorCode.malformed, `packed timestamp must be an integer 0..${PACKED_MAX}`);
  const logical = value % 2 ** LOGICAL_BITS;
  return { ok: true, value: { wallMs: (value - logical) / 2 ** LOGICAL_BITS, logical } };
}

/** Encode a timestamp as a fixed-width base-36 string whose string order is the timestamp order. */
export function encode(ts: Timestamp): string {
  return pack(ts).toString(36).padStart(ENCODED_LENGTH, '0');
}

/** Decode an untrusted string made by `encode`. */
export function decode(value: unknown): Result<Timestamp> {
  if (typeof value !== 'string' || value.length !== ENCODED_LENGTH || !ENCODED_RE.test(value)) {
    return fail(HlcErrorCode.malformed, `encoded timestamp must be ${ENCODED_LENGTH} characters of [0-9a-z]`);
  }
  // Fixed width makes the string comparison a range check on the integer.
  if (value > PACKED_MAX.toString(36)) return fail(HlcErrorCode.malformed, 'encoded timestamp beyond range');
  return unpack(parseInt(value, 36));
}
