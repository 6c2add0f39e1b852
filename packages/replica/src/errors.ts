/**
 * Stable error codes of the replica layer (listed in docs/errors.md, `## replica`) and the one thrown error class,
 * used for programmer errors only (a duplicate instance name, use after close). Operating errors — anything a peer
 * sent — never throw: they become results, counters and `invalid` events.
 */
import type { ErrorInfo, Result } from './ports.js';

/** Every code the replica layer reports. */
export const ReplicaErrorCode = {
  /** A direct message whose type the replica layer does not know. */
  unknownType: 'replica.unknown-type',
  /** A message or delivery naming an instance not running on this node. */
  unknownInstance: 'replica.unknown-instance',
  /** A message body of the wrong shape or out of bounds. */
  malformed: 'replica.malformed',
  /** The instance's validator rejected a payload. */
  invalidPayload: 'replica.invalid-payload',
  /** The instance's validator threw; counted as a rejection. */
  validatorThrew: 'replica.validator-threw',
  /** Reassembled snapshot or repair bytes did not decode. */
  undecodable: 'replica.undecodable',
  /** A transfer would exceed `syncBytesMax` or its chunk count bound. */
  transferTooLarge: 'replica.transfer-too-large',
  /** Too many incoming transfers in flight (`syncTransfersMax`, `syncTransfersPerPeerMax`). */
  transferBusy: 'replica.transfer-busy',
  /** A chunk that does not fit the transfer it claims to belong to. */
  chunkMismatch: 'replica.chunk-mismatch',
  /** An incoming transfer stalled for `syncTimeoutMs` and was dropped. */
  transferTimeout: 'replica.transfer-timeout',
  /** A digest exchange went over `antiEntropyRoundsMax` rounds; the driver fell back to a full-state pull. */
  antiEntropyRounds: 'replica.anti-entropy-rounds',
  /** A user callback threw or rejected. */
  callbackFailed: 'replica.callback-failed',
  /** A user callback's promise did not settle within `callbackTimeoutMs`. */
  callbackTimeout: 'replica.callback-timeout',
  /** The instance is closed. */
  closed: 'replica.closed',
  /** Two instances with one name on one driver. */
  duplicateName: 'replica.duplicate-name',
  /** An instance name that is not 1..`nameBytesMax` bytes of UTF-8. */
  badName: 'replica.bad-name',
  /** A local value the codec could not encode (a snapshot or repair the owner produced). */
  unencodable: 'replica.unencodable',
} as const;

/** One of the stable replica error codes. */
export type ReplicaErrorCode = (typeof ReplicaErrorCode)[keyof typeof ReplicaErrorCode];

/** A programmer error raised by the replica layer. */
export class ReplicaError extends Error {
  /** Stable code from `ReplicaErrorCode`. */
  readonly code: ReplicaErrorCode;

  constructor(code: ReplicaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicaError';
    this.code = code;
  }
}

/** Build a failed result. */
export function fail<T = never>(code: ReplicaErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** Describe anything thrown as an `ErrorInfo`. */
export function describeThrown(code: ReplicaErrorCode, thrown: unknown): ErrorInfo {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code, message };
}
