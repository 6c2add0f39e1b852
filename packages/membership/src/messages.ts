/**
 * HyParView's messages (paper §4, Algorithms 1–3) as a union discriminated on `type`, and their validation.
 *
 * Bodies arrive decoded but untrusted: `parseMessage` checks every field's type and bound and returns a stable
 * error code instead of throwing. Node entries that name the receiver itself are legal on the wire (a shuffle may
 * carry them); the state machine filters them.
 */
import type { NodeId } from './ports.js';

/** A node as carried in messages and kept in the passive view: its id and the address others dial. */
export interface NodeEntry {
  id: NodeId;
  address: string;
}

/** Priority of a `neighbor` request: `high` when the requester's active view is empty (always accepted). */
export type NeighborPriority = 'high' | 'low';

/** Why a `disconnect` is sent: the sender evicted the receiver to make room, or the sender is leaving. */
export type DisconnectReason = 'evicted' | 'left';

/** A new node asks its contact to take it in; the node's address is the one its carrier advertised. */
export interface JoinMessage {
  type: 'join';
}
/** A random walk that introduces `node` to the overlay; it lands in active views at its end. */
export interface ForwardJoinMessage {
  type: 'forward-join';
  node: NodeEntry;
  ttl: number;
}
/** Ask the receiver to add the sender to its active view. */
export interface NeighborMessage {
  type: 'neighbor';
  priority: NeighborPriority;
}
/** Answer to `join` or `neighbor`: `accepted` means the sender now holds the receiver in its active view. */
export interface NeighborReplyMessage {
  type: 'neighbor-reply';
  accepted: boolean;
}
/** The sender dropped the receiver from its active view. */
export interface DisconnectMessage {
  type: 'disconnect';
  reason: DisconnectReason;
}
/** A random walk carrying a sample of the origin's views, answered at its end with `shuffle-reply`. */
export interface ShuffleMessage {
  type: 'shuffle';
  id: number;
  origin: NodeEntry;
  ttl: number;
  nodes: NodeEntry[];
}
/** A sample of the accepting node's passive view, sent straight to the shuffle's origin. */
export interface ShuffleReplyMessage {
  type: 'shuffle-reply';
  id: number;
  nodes: NodeEntry[];
}

/** Every membership message. */
export type MembershipMessage =
  | JoinMessage
  | ForwardJoinMessage
  | NeighborMessage
  | NeighborReplyMessage
  | DisconnectMessage
  | ShuffleMessage
  | ShuffleReplyMessage;

/** A membership message type name. */
export type MembershipMessageType = MembershipMessage['type'];

/** Every message type, in the order docs/wire-format.md lists them. */
export const MESSAGE_TYPES: readonly MembershipMessageType[] = Object.freeze([
  'join', 'forward-join', 'neighbor', 'neighbor-reply', 'disconnect', 'shuffle', 'shuffle-reply',
]);

/** Stable codes for rejected input, listed in docs/errors.md under `## membership`. */
export const MembershipErrorCode = Object.freeze({
  UnknownType: 'membership.unknown-type',
  MalformedBody: 'membership.malformed-body',
  BadNodeId: 'membership.bad-node-id',
  BadAddress: 'membership.bad-address',
  BadTtl: 'membership.bad-ttl',
  BadShuffleId: 'membership.bad-shuffle-id',
  TooManyNodes: 'membership.too-many-nodes',
  NotLinked: 'membership.not-linked',
  Unsolicited: 'membership.unsolicited',
} as const);

/** One of {@link MembershipErrorCode}'s values. */
export type MembershipErrorCode = (typeof MembershipErrorCode)[keyof typeof MembershipErrorCode];

/** A rejection: stable code plus a human message. */
export interface MembershipError {
  code: MembershipErrorCode;
  message: string;
}

/** The result of parsing untrusted input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: MembershipError };

/** The bounds parsing enforces (a subset of the options). */
export interface MessageLimits {
  nodeIdBytesMax: number;
  addressBytesMax: number;
  shuffleNodesMax: number;
  ttlMax: number;
}

/** Largest shuffle id: ids are unsigned 32-bit nonces. */
export const SHUFFLE_ID_MAX = 0xffff_ffff;

class Reject {
  constructor(readonly code: MembershipErrorCode, readonly message: string) {}
}

function fail(code: MembershipErrorCode, message: string): never {
  throw new Reject(code, message);
}

/** UTF-8 byte length without allocating; lone surrogates count as the 3 bytes of U+FFFD. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

function body(x: unknown, type: string): Record<string, unknown> {
  if (!isRecord(x)) fail(MembershipErrorCode.MalformedBody, `${type}: body must be an object`);
  return x;
}

/** Check a node id taken from the wire (or handed in by the carrier). */
export function isValidNodeId(x: unknown, limits: Pick<MessageLimits, 'nodeIdBytesMax'>): x is NodeId {
  return typeof x === 'string' && x.length > 0 && fitsUtf8(x, limits.nodeIdBytesMax);
}

/** `utf8Length(s) <= max`, skipping the scan when even 3 bytes per UTF-16 unit would fit. */
function fitsUtf8(s: string, max: number): boolean {
  return s.length * 3 <= max || (s.length <= max && utf8Length(s) <= max);
}

/** Check an address taken from the wire (or handed in by the carrier). */
export function isValidAddress(x: unknown, limits: Pick<MessageLimits, 'addressBytesMax'>): x is string {
  return typeof x === 'string' && x.length > 0 && fitsUtf8(x, limits.addressBytesMax);
}

function nodeEntry(x: unknown, limits: MessageLimits, what: string | (() => string)): NodeEntry {
  // `what` is lazy so that valid entries (the common case) cost no string building.
  const name = () => (typeof what === 'string' ? what : what());
  if (!isRecord(x)) fail(MembershipErrorCode.MalformedBody, `${name()} must be an object`);
  const { id, address } = x;
  if (!isValidNodeId(id, limits)) fail(MembershipErrorCode.BadNodeId, `${name()}.id must be 1..${limits.nodeIdBytesMax} UTF-8 bytes`);
  if (!isValidAddress(address, limits)) {
    fail(MembershipErrorCode.BadAddress, `${name()}.address must be 1..${limits.addressBytesMax} UTF-8 bytes`);
  }
  return { id, address };
}

function nodeList(x: unknown, limits: MessageLimits, type: string): NodeEntry[] {
  if (!Array.isArray(x)) fail(MembershipErrorCode.MalformedBody, `${type}.nodes must be an array`);
  if (x.length > limits.shuffleNodesMax) {
    fail(MembershipErrorCode.TooManyNodes, `${type}.nodes has ${x.length} entries, limit ${limits.shuffleNodesMax}`);
  }
  const out: NodeEntry[] = new Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = nodeEntry(x[i], limits, () => `${type}.nodes[${i}]`);
  return out;
}

function ttl(x: unknown, limits: MessageLimits, type: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > limits.ttlMax) {
    fail(MembershipErrorCode.BadTtl, `${type}.ttl must be an integer in 0..${limits.ttlMax}`);
  }
  return x;
}

function shuffleId(x: unknown, type: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > SHUFFLE_ID_MAX) {
    fail(MembershipErrorCode.BadShuffleId, `${type}.id must be an integer in 0..${SHUFFLE_ID_MAX}`);
  }
  return x;
}

function parseUnchecked(type: unknown, raw: unknown, limits: MessageLimits): MembershipMessage {
  switch (type) {
    case 'join':
      body(raw, type);
      return { type };
    case 'forward-join': {
      const b = body(raw, type);
      return { type, node: nodeEntry(b.node, limits, 'forward-join.node'), ttl: ttl(b.ttl, limits, type) };
    }
    case 'neighbor': {
      const b = body(raw, type);
      if (b.priority !== 'high' && b.priority !== 'low') fail(MembershipErrorCode.MalformedBody, 'neighbor.priority must be "high" or "low"');
      return { type, priority: b.priority };
    }
    case 'neighbor-reply': {
      const b = body(raw, type);
      if (typeof b.accepted !== 'boolean') fail(MembershipErrorCode.MalformedBody, 'neighbor-reply.accepted must be a boolean');
      return { type, accepted: b.accepted };
    }
    case 'disconnect': {
      const b = body(raw, type);
      if (b.reason !== 'evicted' && b.reason !== 'left') fail(MembershipErrorCode.MalformedBody, 'disconnect.reason must be "evicted" or "left"');
      return { type, reason: b.reason };
    }
    case 'shuffle': {
      const b = body(raw, type);
      return {
        type,
        id: shuffleId(b.id, type),
        origin: nodeEntry(b.origin, limits, 'shuffle.origin'),
        ttl: ttl(b.ttl, limits, type),
        nodes: nodeList(b.nodes, limits, type),
      };
    }
    case 'shuffle-reply': {
      const b = body(raw, type);
      return { type, id: shuffleId(b.id, type), nodes: nodeList(b.nodes, limits, type) };
    }
    default:
      return fail(MembershipErrorCode.UnknownType, `unknown membership message type ${describe(type)}`);
  }
}

function describe(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  return typeof x;
}

/** Validate a decoded, untrusted `(type, body)` pair. Never throws. */
export function parseMessage(type: unknown, raw: unknown, limits: MessageLimits): Result<MembershipMessage> {
  try {
    return { ok: true, value: parseUnchecked(type, raw, limits) };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, error: { code: e.code, message: e.message } };
    // Only a hostile getter or proxy could get here; it is still a rejection, never a crash.
    return { ok: false, error: { code: MembershipErrorCode.MalformedBody, message: `${describe(type)}: unreadable body` } };
  }
}

/** The wire body of a message: everything but `type`, as docs/wire-format.md specifies. */
export function messageBody(message: MembershipMessage): Record<string, unknown> {
  const { type: _type, ...rest } = message;
  return rest;
}
