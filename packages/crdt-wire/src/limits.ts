/**
 * Bounds of the msgpack decoder (design §3: "every limit is an option with a default"). They hold for any input
 * bytes, before anything is allocated for the decoded value, so a hostile frame costs at most O(frame bytes) time
 * and memory.
 */

/** Bounds applied while decoding untrusted bytes; every field is optional and defaults as documented. */
export interface CodecLimits {
  /** Largest accepted input in bytes (a frame, or a log record's payload). Default 1 MiB (1 048 576). */
  readonly frameBytesMax?: number;
  /** Deepest nesting of arrays and maps; a scalar is depth 0, `[]` depth 1, `[[]]` depth 2. Default 64. */
  readonly depthMax?: number;
  /** Most array elements plus map pairs summed over the whole input. Default 100 000. */
  readonly entriesMax?: number;
  /** Longest string (map keys included) in UTF-8 bytes. Default 262 144 (256 KiB). */
  readonly stringBytesMax?: number;
  /** Longest binary value in bytes. Default 262 144 (256 KiB). */
  readonly binBytesMax?: number;
  /** Accept msgpack ext values (returned as raw `ExtData`, timestamps included)? Default false: ext is rejected. */
  readonly extAllowed?: boolean;
}

/** {@link CodecLimits} with every default filled in. */
export type ResolvedCodecLimits = Required<CodecLimits>;

/** The default decoder bounds. */
export const DEFAULT_CODEC_LIMITS: ResolvedCodecLimits = Object.freeze({
  frameBytesMax: 1_048_576,
  depthMax: 64,
  entriesMax: 100_000,
  stringBytesMax: 262_144,
  binBytesMax: 262_144,
  extAllowed: false,
});

// Resolved once per limits object: callers pass the same object on every frame, so the hot path allocates nothing.
const resolved = new WeakMap<CodecLimits, ResolvedCodecLimits>();

/** Fills in defaults. A limits object is read once and cached: treat it as immutable after first use. */
export function resolveCodecLimits(limits: CodecLimits | undefined): ResolvedCodecLimits {
  if (limits === undefined || limits === DEFAULT_CODEC_LIMITS) return DEFAULT_CODEC_LIMITS;
  let r = resolved.get(limits);
  if (r === undefined) {
    r = Object.freeze({
      frameBytesMax: limits.frameBytesMax ?? DEFAULT_CODEC_LIMITS.frameBytesMax,
      depthMax: limits.depthMax ?? DEFAULT_CODEC_LIMITS.depthMax,
      entriesMax: limits.entriesMax ?? DEFAULT_CODEC_LIMITS.entriesMax,
      stringBytesMax: limits.stringBytesMax ?? DEFAULT_CODEC_LIMITS.stringBytesMax,
      binBytesMax: limits.binBytesMax ?? DEFAULT_CODEC_LIMITS.binBytesMax,
      extAllowed: limits.extAllowed ?? DEFAULT_CODEC_LIMITS.extAllowed,
    });
    resolved.set(limits, r);
  }
  return r;
}
