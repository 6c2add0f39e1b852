/**
 * Stable error codes of the broadcast layer. Codes are part of the public contract: `stats().rejected` counts every
 * refused input by code, logs carry them, docs/errors.md (`## broadcast`) lists each with its meaning, and a test
 * keeps that page and this object in step. Messages are for humans and may change; codes never do.
 */

/** Why an input from the network (or the application's verdict on it) was refused. */
export const BroadcastErrorCode = {
  /** The message type is not one of `gossip`, `ihave`, `graft`, `prune`. */
  unknownType: 'broadcast.unknown-type',
  /** The body does not have the shape of its type (missing field, wrong kind, unequal lists). */
  malformed: 'broadcast.malformed',
  /** A message id is not `<seq base36>@<origin>` with a safe-integer seq and a 1..64-byte origin. */
  badId: 'broadcast.bad-id',
  /** A tag is not a string of 1..`tagBytesMax` UTF-8 bytes. */
  badTag: 'broadcast.bad-tag',
  /** A hop count is not an integer in 0..`hopsMax` (1..`hopsMax` for gossip). */
  badHops: 'broadcast.bad-hops',
  /** A gossip payload is not bytes, or is longer than `payloadBytesMax`. */
  payloadTooLarge: 'broadcast.payload-too-large',
  /** An IHAVE or GRAFT lists more ids than `ihaveBatchMax` / `graftIdsMax`. */
  batchTooLarge: 'broadcast.batch-too-large',
  /** A GRAFT or PRUNE came from a node membership has not reported up (ignored; GOSSIP and IHAVE are still used). */
  notAPeer: 'broadcast.not-a-peer',
  /** The application's `deliver` returned `false`: the payload is not forwarded. */
  appRefused: 'broadcast.app-refused',
  /** The application's `deliver` threw; the message counts as refused. */
  appThrew: 'broadcast.app-threw',
  /** Input arrived after `close()`. */
  closed: 'broadcast.closed',
} as const;

/** Every code the broadcast layer counts. */
export type BroadcastErrorCode = (typeof BroadcastErrorCode)[keyof typeof BroadcastErrorCode];

/** All codes, for documentation checks and per-code counters. */
export const BROADCAST_ERROR_CODES: readonly BroadcastErrorCode[] = Object.values(BroadcastErrorCode);

/** An operating error: a stable `code` to count and branch on, and a human-readable `message`. */
export interface BroadcastError {
  readonly code: BroadcastErrorCode;
  readonly message: string;
}

/** Success with a value, or failure with a {@link BroadcastError}. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BroadcastError };

/** Thrown for programmer errors at the local API (`broadcast` with a bad tag or an oversized payload). */
export class RumorBroadcastError extends Error {
  /** The stable code, as listed in docs/errors.md. */
  readonly code: BroadcastErrorCode;
  constructor(code: BroadcastErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RumorBroadcastError';
    this.code = code;
  }
}

/** Builds a success result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failure result. */
export function fail<T = never>(code: BroadcastErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}
