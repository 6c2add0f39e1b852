/**
 * The four Plumtree messages (§3, Algorithm 1 and 2), with the paper's names, and the validation of their bodies.
 *
 * - `gossip`  (paper GOSSIP(m, mID, round)): the payload, pushed eagerly along the tree.
 * - `ihave`   (paper IHAVE(mID, round)): announcements, batched: parallel lists of ids and the announcer's hops.
 * - `graft`   (paper GRAFT(mID, round)): "make me eager and send me these"; an empty list with an origin only
 *             re-grafts the link for that origin (the optimisation step, §3.8).
 * - `prune`   (paper PRUNE): "stop pushing to me eagerly" — for one origin's tree when it names one (origin-trees.ts).
 *
 * Bodies arrive decoded but untrusted: every field is checked for kind and bound before use, and a bad body is a
 * `Result` failure with a stable code (errors.ts), never a throw.
 */
import { BroadcastErrorCode as E, fail, ok, type Result } from './errors.js';
import { NODE_ID_BYTES_MAX, parseMessageId, type MessageId } from './message-id.js';
import type { NodeId } from './ports.js';
import { utf8Length } from './utf8.js';

/** Message type names on the wire (envelope `type` under layer `broadcast`). */
export const MessageType = {
  gossip: 'gossip',
  ihave: 'ihave',
  graft: 'graft',
  prune: 'prune',
} as const;

/** One of the four Plumtree message types. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * GOSSIP: a payload on `tag`, `hops` links away from its origin at the receiver. `own` marks a copy that travelled
 * at least one link outside the shared tree, along an origin's own tree (origin-trees.ts); absent otherwise.
 */
export interface GossipBody {
  id: MessageId;
  tag: string;
  hops: number;
  payload: Uint8Array;
  own?: true;
}

/** IHAVE: ids the sender has, with the hops at which the sender received each. */
export interface IHaveBody {
  ids: MessageId[];
  hops: number[];
}

/**
 * GRAFT: ids the sender misses; also turns the link eager in the tree of each id's origin and of `origin` (the
 * optimisation step names the origin with no id) — that origin's own tree where the receiver keeps one, the shared
 * tree where it does not. With no id and no origin, in the shared tree.
 */
export interface GraftBody {
  ids: MessageId[];
  origin?: NodeId;
}

/**
 * PRUNE: the link turns lazy in `origin`'s own tree, and in the shared tree if `shared` is set; with no origin, in
 * the shared tree only (the paper's PRUNE).
 */
export interface PruneBody {
  origin?: NodeId;
  shared?: true;
}

/** A validated message, discriminated on `type`. */
export type PlumtreeMessage =
  | { type: 'gossip'; body: GossipBody; origin: NodeId }
  | { type: 'ihave'; body: IHaveBody }
  | { type: 'graft'; body: GraftBody }
  | { type: 'prune'; body: PruneBody };

/** The bounds a decoder enforces; each is a `PlumtreeInit` option. */
export interface MessageLimits {
  tagBytesMax: number;
  payloadBytesMax: number;
  hopsMax: number;
  ihaveBatchMax: number;
  graftIdsMax: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function checkIds(value: unknown, max: number, what: string): Result<MessageId[]> {
  if (!Array.isArray(value)) return fail(E.malformed, `${what}: ids is not a list`);
  if (value.length > max) return fail(E.batchTooLarge, `${what}: ${value.length} ids, at most ${max}`);
  for (const id of value) {
    if (parseMessageId(id) === undefined) return fail(E.badId, `${what}: malformed message id`);
  }
  return ok(value as MessageId[]);
}

/** An optional `origin` field: absent, or a node id within bounds. */
function checkOrigin(value: unknown, what: string): Result<NodeId | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== 'string') return fail(E.malformed, `${what}: origin is not a string`);
  const bytes = utf8Length(value);
  if (bytes < 1 || bytes > NODE_ID_BYTES_MAX) return fail(E.badId, `${what}: origin must be 1..${NODE_ID_BYTES_MAX} UTF-8 bytes`);
  return ok(value as NodeId);
}

function isHops(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Validates an untrusted `(type, body)` pair from the network. */
export function decodeMessage(type: unknown, body: unknown, limits: MessageLimits): Result<PlumtreeMessage> {
  switch (type) {
    case MessageType.gossip: {
      if (!isRecord(body)) return fail(E.malformed, 'gossip: body is not a map');
      const parsed = parseMessageId(body.id);
      if (parsed === undefined) return fail(E.badId, 'gossip: malformed message id');
      const tag = body.tag;
      if (typeof tag !== 'string' || tag.length === 0 || tag.length > limits.tagBytesMax || utf8Length(tag) > limits.tagBytesMax) {
        return fail(E.badTag, `gossip: tag must be 1..${limits.tagBytesMax} UTF-8 bytes`);
      }
      if (!isHops(body.hops, 1, limits.hopsMax)) return fail(E.badHops, `gossip: hops must be an integer in 1..${limits.hopsMax}`);
      const payload = body.payload;
      if (!(payload instanceof Uint8Array)) return fail(E.malformed, 'gossip: payload is not bytes');
      if (payload.byteLength > limits.payloadBytesMax) {
        return fail(E.payloadTooLarge, `gossip: payload of ${payload.byteLength} bytes, at most ${limits.payloadBytesMax}`);
      }
      if (body.own !== undefined && body.own !== null && body.own !== true) return fail(E.malformed, 'gossip: own must be true or absent');
      const gossip: GossipBody = { id: body.id as MessageId, tag, hops: body.hops, payload };
      if (body.own === true) gossip.own = true;
      return ok({ type: 'gossip', origin: parsed.origin, body: gossip });
    }
    case MessageType.ihave: {
      if (!isRecord(body)) return fail(E.malformed, 'ihave: body is not a map');
      const ids = checkIds(body.ids, limits.ihaveBatchMax, 'ihave');
      if (!ids.ok) return ids;
      const hops = body.hops;
      if (!Array.isArray(hops) || hops.length !== ids.value.length) return fail(E.malformed, 'ihave: hops must parallel ids');
      for (const h of hops) if (!isHops(h, 0, limits.hopsMax)) return fail(E.badHops, `ihave: hops must be integers in 0..${limits.hopsMax}`);
      if (ids.value.length === 0) return fail(E.malformed, 'ihave: empty announcement');
      return ok({ type: 'ihave', body: { ids: ids.value, hops: hops as number[] } });
    }
    case MessageType.graft: {
      if (!isRecord(body)) return fail(E.malformed, 'graft: body is not a map');
      const ids = checkIds(body.ids, limits.graftIdsMax, 'graft');
      if (!ids.ok) return ids;
      const origin = checkOrigin(body.origin, 'graft');
      if (!origin.ok) return origin;
      return ok({ type: 'graft', body: origin.value === undefined ? { ids: ids.value } : { ids: ids.value, origin: origin.value } });
    }
    case MessageType.prune: {
      // msgpack turns an empty map into {} and `undefined` into nil; both mean "no fields".
      if (body === null || body === undefined) return ok({ type: 'prune', body: {} });
      if (!isRecord(body)) return fail(E.malformed, 'prune: body is not a map');
      const origin = checkOrigin(body.origin, 'prune');
      if (!origin.ok) return origin;
      if (body.shared !== undefined && body.shared !== null && body.shared !== true) return fail(E.malformed, 'prune: shared must be true or absent');
      if (origin.value === undefined) return ok({ type: 'prune', body: {} });
      return ok({ type: 'prune', body: body.shared === true ? { origin: origin.value, shared: true } : { origin: origin.value } });
    }
    default:
      return fail(E.unknownType, `unknown broadcast message type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : typeof type}`);
  }
}
