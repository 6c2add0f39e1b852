/**
 * The stable error codes of crdt-wire, one const object per concern. Codes are part of the public contract
 * (counted per peer, logged, matched by other implementations); docs/errors.md lists each with its meaning, and a
 * test keeps that page and this file in step.
 */

/** Codes of the bounded msgpack codec (`encode` / `decode`). */
export const CodecErrorCode = {
  frameTooLarge: 'codec.frame-too-large',
  truncated: 'codec.truncated',
  trailingBytes: 'codec.trailing-bytes',
  invalidByte: 'codec.invalid-byte',
  depth: 'codec.depth',
  entries: 'codec.entries',
  stringTooLong: 'codec.string-too-long',
  badUtf8: 'codec.bad-utf8',
  binTooLong: 'codec.bin-too-long',
  ext: 'codec.ext',
  keyType: 'codec.key-type',
  protoKey: 'codec.proto-key',
  tooManyValues: 'codec.too-many-values',
  malformed: 'codec.malformed',
  unencodable: 'codec.unencodable',
} as const;

/** Codes of the envelope and frame codec. */
export const EnvelopeErrorCode = {
  shape: 'wire.shape',
  version: 'wire.version',
  layer: 'wire.layer',
  type: 'wire.type',
  empty: 'wire.empty-frame',
} as const;

/** Codes of the checksummed record framing of the write-ahead log. */
export const RecordErrorCode = {
  truncated: 'record.truncated',
  length: 'record.length',
  checksum: 'record.checksum',
  payload: 'record.payload',
} as const;

/**
 * Codes of validated ingest of OR-Map payloads and entries. `hlc.drift` is @rumor/hlc's own code: a dot whose
 * HLC is too far ahead is rejected for the same reason the clock would refuse it.
 */
export const IngestErrorCode = {
  payloadShape: 'payload.shape',
  payloadTooManyEntries: 'payload.too-many-entries',
  payloadTooManyWriters: 'payload.too-many-writers',
  payloadBadHorizon: 'payload.bad-horizon',
  entryShape: 'entry.shape',
  keyType: 'entry.key-type',
  keyTooLong: 'entry.key-too-long',
  badSlot: 'entry.bad-slot',
  badNode: 'entry.bad-node',
  badDot: 'entry.bad-dot',
  duplicateWriter: 'entry.duplicate-writer',
  contextTooLarge: 'entry.context-too-large',
  tooManySiblings: 'entry.too-many-siblings',
  valueTooLarge: 'entry.value-too-large',
  valueUnencodable: 'entry.value-unencodable',
  leafRejected: 'entry.leaf-rejected',
  leafThrew: 'entry.leaf-threw',
  drift: 'hlc.drift',
} as const;

/**
 * Codes of the binary OR-Map payload (`encodeDelta`; bytes given to `accept` / `ingest`): structural faults that
 * refuse the whole payload. Faults of single entries use the ingest codes, as on the object path.
 */
export const DeltaErrorCode = {
  truncated: 'delta.truncated',
  version: 'delta.version',
  flags: 'delta.flags',
  varint: 'delta.varint',
  trailingBytes: 'delta.trailing-bytes',
} as const;

type ValueOf<T> = T[keyof T];

/** Every error code crdt-wire emits. */
export type WireErrorCode =
  | ValueOf<typeof CodecErrorCode>
  | ValueOf<typeof EnvelopeErrorCode>
  | ValueOf<typeof RecordErrorCode>
  | ValueOf<typeof IngestErrorCode>
  | ValueOf<typeof DeltaErrorCode>;

/** All codes, for documentation checks and per-code counters. */
export const WIRE_ERROR_CODES: readonly WireErrorCode[] = [
  ...Object.values(CodecErrorCode),
  ...Object.values(EnvelopeErrorCode),
  ...Object.values(RecordErrorCode),
  ...Object.values(IngestErrorCode),
  ...Object.values(DeltaErrorCode),
];
