/**
 * @rumor/crdt-wire — the bounded msgpack codec shared by the wire and the write-ahead log, the envelope codec,
 * checksummed log records, the binary OR-Map payload (deltas), and validated ingest of untrusted OR-Map entries.
 * Pure: no I/O, no clocks, no randomness.
 */
export type { WireError, Result } from './result.js';
export { ok, fail } from './result.js';
export { CodecErrorCode, EnvelopeErrorCode, RecordErrorCode, IngestErrorCode, DeltaErrorCode, WIRE_ERROR_CODES } from './errors.js';
export type { WireErrorCode } from './errors.js';
export type { CodecLimits, ResolvedCodecLimits } from './limits.js';
export { DEFAULT_CODEC_LIMITS, resolveCodecLimits } from './limits.js';
export type { Bytes } from './codec.js';
export { encode, decode, decodeMany } from './codec.js';
export type { Envelope, Layer, EnvelopeLimits } from './envelope.js';
export {
  PROTOCOL_VERSION,
  LAYER_CODES,
  DEFAULT_ENVELOPE_LIMITS,
  encodeEnvelope,
  decodeEnvelope,
  encodeFrame,
  decodeFrame,
} from './envelope.js';
export type { DecodedRecords } from './record.js';
export { RECORD_HEADER_BYTES, encodeRecord, frameRecord, decodeRecords } from './record.js';
export { crc32c } from './crc32c.js';
export type { IngestInit, IngestLimits } from './ingest-limits.js';
export { DEFAULT_INGEST_LIMITS } from './ingest-limits.js';
export type { LeafValidator, Rejection, Accepted } from './validate.js';
export { isNodeId } from './validate.js';
export type { MergeTarget, IngestComponents, Ingested, Ingest } from './ingest.js';
export { createIngest } from './ingest.js';
export { encodeDelta } from './delta-encode.js';
export { DELTA_VERSION } from './delta-format.js';
export { wireSize, NOT_WIRE } from './value-size.js';
export { utf8Length } from './utf8.js';
