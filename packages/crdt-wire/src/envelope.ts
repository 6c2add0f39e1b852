/**
 * The envelope codec (design §3, docs/architecture.md `Envelope`): what crosses the carrier.
 *
 * An envelope travels as the msgpack array `[v, layer, type, body]` — protocol version, layer code (1 membership,
 * 2 broadcast, 3 replica), message type string, body — so a small message costs a few bytes of framing, not a map
 * with long keys. A frame holds one or more envelopes concatenated with no separator (a msgpack stream): a frame of
 * one envelope is exactly that envelope's bytes, and coalescing costs nothing per message.
 *
 * Decoding checks the version, layer and type; the body stays `unknown` — decoded, still untrusted — for the
 * receiving layer to validate. Any failure rejects the whole frame (the carrier closes the connection).
 */
import { decodeMany, encode, type Bytes } from './codec.js';
import { CodecErrorCode, EnvelopeErrorCode } from './errors.js';
import { resolveCodecLimits, type CodecLimits } from './limits.js';
import { fail, ok, type Result } from './result.js';

/** The protocol version this codec speaks. */
export const PROTOCOL_VERSION = 1;

/** The layers an envelope can address. */
export type Layer = 'membership' | 'broadcast' | 'replica';

/** Wire code of each layer. */
export const LAYER_CODES: Readonly<Record<Layer, number>> = Object.freeze({ membership: 1, broadcast: 2, replica: 3 });

const LAYER_BY_CODE: readonly (Layer | undefined)[] = [undefined, 'membership', 'broadcast', 'replica'];

/** What crosses the carrier: one envelope per message. Decoded envelopes are still untrusted. */
export interface Envelope {
  v: number;
  layer: Layer;
  type: string;
  body: unknown;
}

/** Envelope bounds on top of the {@link CodecLimits} of the frame as a whole. */
export interface EnvelopeLimits extends CodecLimits {
  /** Longest message type in bytes; types are `[a-z][a-z0-9-]*`. Default 32. */
  readonly typeBytesMax?: number;
  /** Most envelopes coalesced in one frame. Default 256. */
  readonly envelopesPerFrameMax?: number;
}

/** Default envelope bounds (the codec bounds are {@link DEFAULT_CODEC_LIMITS}). */
export const DEFAULT_ENVELOPE_LIMITS = Object.freeze({ typeBytesMax: 32, envelopesPerFrameMax: 256 });

/** Encodes one envelope as a frame of one; fails on a bad version, layer or type, or an unencodable body. */
export function encodeEnvelope(envelope: Envelope, limits?: EnvelopeLimits): Result<Bytes> {
  const tuple = toTuple(envelope, limits);
  if (!tuple.ok) return tuple;
  return encode(tuple.value, limits);
}

/** Encodes several envelopes into one frame (coalescing); the frame is their encodings concatenated. */
export function encodeFrame(envelopes: readonly Envelope[], limits?: EnvelopeLimits): Result<Bytes> {
  const n = envelopes.length;
  if (n === 0) return fail(EnvelopeErrorCode.empty, 'a frame holds at least one envelope');
  if (n === 1) return encodeEnvelope(envelopes[0]!, limits);
  const max = limits?.envelopesPerFrameMax ?? DEFAULT_ENVELOPE_LIMITS.envelopesPerFrameMax;
  if (n > max) return fail(CodecErrorCode.tooManyValues, `${n} envelopes exceed envelopesPerFrameMax ${max}`);
  const tuples: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = toTuple(envelopes[i]!, limits);
    if (!t.ok) return t;
    tuples[i] = t.value;
  }
  // One encoder pass over the array of tuples, minus the array header, is exactly the concatenation.
  const all = encode(tuples, { frameBytesMax: Number.MAX_SAFE_INTEGER });
  if (!all.ok) return all;
  const header = n < 16 ? 1 : n < 0x10000 ? 3 : 5;
  const bytes = all.value.subarray(header);
  const frameMax = resolveCodecLimits(limits).frameBytesMax;
  if (bytes.length > frameMax) {
    return fail(CodecErrorCode.frameTooLarge, `frame of ${bytes.length} bytes exceeds frameBytesMax ${frameMax}`);
  }
  return ok(bytes);
}

/** Decodes a frame that must hold exactly one envelope; never throws. */
export function decodeEnvelope(bytes: Bytes, limits?: EnvelopeLimits): Result<Envelope> {
  const values = decodeMany(bytes, 1, limits);
  if (!values.ok) return values;
  return fromTuple(values.value[0], limits);
}

/** Decodes a frame of one or more envelopes; never throws; any bad envelope rejects the frame. */
export function decodeFrame(bytes: Bytes, limits?: EnvelopeLimits): Result<Envelope[]> {
  const max = limits?.envelopesPerFrameMax ?? DEFAULT_ENVELOPE_LIMITS.envelopesPerFrameMax;
  const values = decodeMany(bytes, max, limits);
  if (!values.ok) return values;
  const list = values.value;
  const out: Envelope[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = fromTuple(list[i], limits);
    if (!e.ok) return e;
    out[i] = e.value;
  }
  return ok(out);
}

function toTuple(e: Envelope, limits: EnvelopeLimits | undefined): Result<unknown[]> {
  if (e.v !== PROTOCOL_VERSION) return fail(EnvelopeErrorCode.version, `unsupported protocol version ${String(e.v)}`);
  const code = typeof e.layer === 'string' && Object.hasOwn(LAYER_CODES, e.layer) ? LAYER_CODES[e.layer] : undefined;
  if (code === undefined) return fail(EnvelopeErrorCode.layer, `unknown layer ${String(e.layer)}`);
  const bad = checkType(e.type, limits);
  if (bad !== undefined) return fail(EnvelopeErrorCode.type, bad);
  return ok([e.v, code, e.type, e.body]);
}

function fromTuple(t: unknown, limits: EnvelopeLimits | undefined): Result<Envelope> {
  if (!Array.isArray(t) || t.length !== 4) return fail(EnvelopeErrorCode.shape, 'an envelope is the array [v, layer, type, body]');
  const [v, layerCode, type, body] = t as [unknown, unknown, unknown, unknown];
  if (v !== PROTOCOL_VERSION) {
    return typeof v === 'number'
      ? fail(EnvelopeErrorCode.version, `unsupported protocol version ${v}`)
      : fail(EnvelopeErrorCode.shape, 'envelope version is not a number');
  }
  const layer = typeof layerCode === 'number' ? LAYER_BY_CODE[layerCode] : undefined;
  if (layer === undefined) return fail(EnvelopeErrorCode.layer, `unknown layer code ${String(layerCode)}`);
  const bad = checkType(type, limits);
  if (bad !== undefined) return fail(EnvelopeErrorCode.type, bad);
  return ok({ v, layer, type: type as string, body });
}

/** Message types are short lowercase names, `[a-z][a-z0-9-]*` (ASCII, so characters = bytes). */
function checkType(type: unknown, limits: EnvelopeLimits | undefined): string | undefined {
  if (typeof type !== 'string') return 'message type is not a string';
  const max = limits?.typeBytesMax ?? DEFAULT_ENVELOPE_LIMITS.typeBytesMax;
  const n = type.length;
  if (n === 0 || n > max) return `message type length ${n} outside 1..${max}`;
  for (let i = 0; i < n; i++) {
    const c = type.charCodeAt(i);
    const lower = c >= 0x61 && c <= 0x7a;
    if (!(lower || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2d)))) return `message type ${JSON.stringify(type)} is not [a-z][a-z0-9-]*`;
  }
  return undefined;
}
