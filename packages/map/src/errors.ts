/**
 * Errors of the stock map and its storage. Codes are stable strings listed in docs/errors.md (`## map`).
 *
 * Local API calls (`put`, `delete`, `batch`) reject with a `MapError`; nothing crosses an ingest boundary as a
 * throw — remote input is counted and dropped with its code (see `status().rejected`).
 */

/** Stable error codes of @rumor/map. */
export const MapErrorCode = {
  /** The validator refused a value (or threw); nothing was written. */
  invalidValue: 'map.invalid-value',
  /** A key is not a non-empty string within `keyBytesMax`. */
  invalidKey: 'map.invalid-key',
  /** A value cannot be encoded (not msgpack-able, or larger than `valueBytesMax`). */
  valueTooLarge: 'map.value-too-large',
  /** The map was closed; the call did nothing. */
  closed: 'map.closed',
  /** The storage failed (I/O error); the write was not acknowledged. The map stops accepting writes. */
  storageFailed: 'map.storage-failed',
  /** A snapshot file is unreadable (checksum or framing); recovery refuses to guess. */
  snapshotCorrupt: 'map.snapshot-corrupt',
  /** A log segment had a torn or corrupt tail, which was cut (a warning, not a failure). */
  logTailCut: 'map.log-tail-cut',
  /** A log record passed the checksum but its content was rejected by validation; it was skipped. */
  logRecordRejected: 'map.log-record-rejected',
  /** A conflict policy or custom resolver threw; the map fell back to last-writer-wins for that read. */
  policyFailed: 'map.policy-failed',
  /** A `subscribe` listener threw; the map went on (a warning). */
  listenerThrew: 'map.listener-threw',
  /** A remote payload (delta, snapshot, digest, need) was refused by validation; counted in `status().rejected`. */
  remoteRejected: 'map.remote-rejected',
  /** Programmer error: bad options or arguments. */
  badOption: 'map.bad-option',
} as const;

/** One of the stable error codes. */
export type MapErrorCode = (typeof MapErrorCode)[keyof typeof MapErrorCode];

/** A thrown or rejected map error: a stable `code`, a readable message, the underlying `cause` if any. */
export class MapError extends Error {
  readonly code: MapErrorCode;
  constructor(code: MapErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MapError';
    this.code = code;
  }
}

/** A warning the map or its log reports through `components.log` (never thrown). */
export interface MapWarning {
  code: MapErrorCode;
  message: string;
}

/** The optional logger component; defaults to silence. */
export interface MapLogger {
  warn(warning: MapWarning): void;
}
