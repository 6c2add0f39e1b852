/**
 * Bounds of validated ingest (design §3: "every limit is an option with a default"). Bounds on what is legitimate
 * state must exceed any state a correct cluster can produce: an entry every replica rejects is never repaired.
 */

/** Tunables of {@link createIngest}; every field is optional and defaults as documented. */
export interface IngestInit {
  /** Longest key in UTF-8 bytes. Default 1 024. */
  readonly keyBytesMax?: number;
  /** Largest sibling value, as msgpack-encoded bytes. Default 65 536 (64 KiB). */
  readonly valueBytesMax?: number;
  /** Deepest nesting inside a value (arrays and maps). Default 32. */
  readonly valueDepthMax?: number;
  /** Longest node id in UTF-8 bytes (ids are 1..this). Default 64, as docs/architecture.md fixes. */
  readonly nodeIdBytesMax?: number;
  /** Most entries in one payload (delta or snapshot chunk). Default 10 000. */
  readonly entriesPerPayloadMax?: number;
  /** Most node ids in one payload's writers table. Default 4 096. */
  readonly writersPerPayloadMax?: number;
  /** Most slots of one entry: its per-key causal context, one slot per writer of the key. Default 4 096. */
  readonly contextPerEntryMax?: number;
  /** Most live siblings (slots with a value) of one entry. Default 256. */
  readonly siblingsPerEntryMax?: number;
  /** Largest lead of a dot's HLC wall time over the local wall clock, in ms; beyond it: `hlc.drift`. Default 60 000. */
  readonly maxDriftMs?: number;
}

/** {@link IngestInit} with every default filled in. */
export type IngestLimits = Required<IngestInit>;

/** The default ingest bounds. */
export const DEFAULT_INGEST_LIMITS: IngestLimits = Object.freeze({
  keyBytesMax: 1_024,
  valueBytesMax: 65_536,
  valueDepthMax: 32,
  nodeIdBytesMax: 64,
  entriesPerPayloadMax: 10_000,
  writersPerPayloadMax: 4_096,
  contextPerEntryMax: 4_096,
  siblingsPerEntryMax: 256,
  maxDriftMs: 60_000,
});
