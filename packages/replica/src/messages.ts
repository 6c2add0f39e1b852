/**
 * The replica layer's messages (design §3, docs/wire-format.md `## replica`) and their shape checks.
 *
 * Gossiped through broadcast on the instance's tag: `delta` and `custom`. Direct, peer to peer: `sync-request`
 * (pull), `sync` (one chunk of a full snapshot or of an anti-entropy repair), `ae-digest` (opens a digest
 * exchange) and `ae-step` (every later step of it). Everything decoded here is still untrusted: the parsers check
 * shape and bounds only and return a result; payload contents are the instance validator's business.
 */
import type { Result } from './ports.js';
import { ReplicaErrorCode, fail } from './errors.js';

/** Gossiped on the instance's tag: a delta for `mergeDelta`. */
export interface DeltaMessage {
  type: 'delta';
  body: unknown;
}

/** Gossiped on the instance's tag: an application payload for `mergeCustom`. */
export interface CustomMessage {
  type: 'custom';
  body: unknown;
}

/** What the replica layer broadcasts. */
export type GossipMessage = DeltaMessage | CustomMessage;

/** Ask a peer for its full snapshot of an instance. */
export interface SyncRequestBody {
  name: string;
}

/** What a transfer carries: a full snapshot (to `applyFullSync`) or an anti-entropy repair (to `mergeDelta`). */
export type TransferKind = 'full' | 'repair';

/** One chunk of a transfer; chunks of a transfer arrive in order on one connection. */
export interface SyncBody {
  name: string;
  /** Transfer id, chosen by the sender, unique per sender while in flight. */
  xfer: number;
  kind: TransferKind;
  /** 0-based chunk index. */
  index: number;
  /** Number of chunks in the transfer. */
  count: number;
  /** Total encoded bytes of the transfer. */
  total: number;
  chunk: Uint8Array;
}

/** Opens a digest exchange: the initiator's top-level digest. */
export interface AeDigestBody {
  name: string;
  session: number;
  digest: unknown;
}

/** Kinds of an anti-entropy step, as the hooks return them. */
export type AeStepKind = 'equal' | 'descend' | 'done';

/** A step of a digest exchange: the sender's `compare` result (its repair travels as a `repair` transfer). */
export interface AeStepBody {
  name: string;
  session: number;
  /** 1 for the responder's answer to `ae-digest`, then +1 per step. */
  round: number;
  kind: AeStepKind;
  digest?: unknown;
  need?: unknown;
}

/** Direct message types, by name. */
export const DirectType = {
  syncRequest: 'sync-request',
  sync: 'sync',
  aeDigest: 'ae-digest',
  aeStep: 'ae-step',
} as const;

/** Bounds the parsers enforce. */
export interface ParseLimits {
  nameBytesMax: number;
  chunkBytesMax: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** UTF-8 length of a string without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Whether `name` is a valid instance name: a string of 1..`nameBytesMax` UTF-8 bytes. */
export function validName(name: unknown, nameBytesMax: number): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > nameBytesMax) return false;
  return utf8Length(name) <= nameBytesMax;
}

function malformed<T>(what: string): Result<T> {
  return fail(ReplicaErrorCode.malformed, what);
}

function parseName(body: Obj, limits: ParseLimits): string | undefined {
  return validName(body.name, limits.nameBytesMax) ? body.name : undefined;
}

/** The wire form of a gossiped payload: the two-element array `[type, body]` (a few bytes of framing per delta). */
export function gossipTuple(message: GossipMessage): [GossipMessage['type'], unknown] {
  return [message.type, message.body];
}

/** Parse a decoded gossip payload (`[type, body]`). */
export function parseGossip(payload: unknown): Result<GossipMessage> {
  if (!Array.isArray(payload) || payload.length !== 2) return malformed('gossip payload is not [type, body]');
  const [type, body] = payload as [unknown, unknown];
  if (type !== 'delta' && type !== 'custom') return malformed('gossip payload type is not delta or custom');
  return { ok: true, value: { type, body } };
}

/** Parse a `sync-request` body. */
export function parseSyncRequest(body: unknown, limits: ParseLimits): Result<SyncRequestBody> {
  if (!isObj(body)) return malformed('sync-request body is not an object');
  const name = parseName(body, limits);
  if (name === undefined) return malformed('sync-request has no valid name');
  return { ok: true, value: { name } };
}

/** Parse a `sync` chunk body (the transfer-level checks live in the reassembler). */
export function parseSync(body: unknown, limits: ParseLimits): Result<SyncBody> {
  if (!isObj(body)) return malformed('sync body is not an object');
  const name = parseName(body, limits);
  if (name === undefined) return malformed('sync has no valid name');
  const { xfer, kind, index, count, total, chunk } = body;
  if (!isUint(xfer)) return malformed('sync.xfer is not an unsigned integer');
  if (kind !== 'full' && kind !== 'repair') return malformed('sync.kind is not full or repair');
  if (!isUint(index) || !isUint(count) || !isUint(total)) return malformed('sync index/count/total are not unsigned integers');
  if (count < 1 || index >= count) return malformed('sync.index is not below sync.count');
  if (!(chunk instanceof Uint8Array)) return malformed('sync.chunk is not bytes');
  if (chunk.length > limits.chunkBytesMax) return fail(ReplicaErrorCode.transferTooLarge, `sync chunk of ${chunk.length} bytes exceeds ${limits.chunkBytesMax}`);
  return { ok: true, value: { name, xfer, kind, index, count, total, chunk } };
}

/** Parse an `ae-digest` body. */
export function parseAeDigest(body: unknown, limits: ParseLimits): Result<AeDigestBody> {
  if (!isObj(body)) return malformed('ae-digest body is not an object');
  const name = parseName(body, limits);
  if (name === undefined) return malformed('ae-digest has no valid name');
  if (!isUint(body.session)) return malformed('ae-digest.session is not an unsigned integer');
  if (!('digest' in body) || body.digest === undefined) return malformed('ae-digest has no digest');
  return { ok: true, value: { name, session: body.session, digest: body.digest } };
}

/** Parse an `ae-step` body. */
export function parseAeStep(body: unknown, limits: ParseLimits): Result<AeStepBody> {
  if (!isObj(body)) return malformed('ae-step body is not an object');
  const name = parseName(body, limits);
  if (name === undefined) return malformed('ae-step has no valid name');
  const { session, round, kind } = body;
  if (!isUint(session) || !isUint(round) || round < 1) return malformed('ae-step session/round are not valid');
  if (kind !== 'equal' && kind !== 'descend' && kind !== 'done') return malformed('ae-step.kind is not equal, descend or done');
  if (kind === 'descend' && (body.digest === undefined || body.digest === null)) return malformed('ae-step descend has no digest');
  const step: AeStepBody = { name, session, round, kind };
  if (kind === 'descend') step.digest = body.digest;
  if (kind !== 'equal' && body.need !== undefined && body.need !== null) step.need = body.need;
  return { ok: true, value: step };
}
