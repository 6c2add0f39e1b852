/**
 * The ports the replica driver is driven through (design §2, docs/architecture.md "Ports").
 *
 * The driver is a pure state machine: it never reads a clock, never draws randomness and never touches a socket
 * itself. Everything it needs from the outside is declared here, small, so that the same code runs in the
 * simulator under virtual time and over real sockets. TypeScript is structural: these shapes are the same types as
 * the ones membership, broadcast and the carriers declare.
 */
import type { NodeId, PeerDownReason } from './callbacks.js';

export type { NodeId, PeerDownReason } from './callbacks.js';

/** Outcome of handing a message to a carrier: taken, refused for now (queue full), or no connection. */
export type SendResult = 'accepted' | 'backpressure' | 'closed';

/** Virtual or real time. Timers never fire re-entrantly inside the call that set them. */
export interface Timers {
  /** Milliseconds. */
  now(): number;
  /** Run `fn` after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** A source of uniform numbers in [0, 1); seeded in tests. */
export interface Random {
  next(): number;
}

/** An optional structured logger; the driver logs rare events only (never per message). */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
}

/** A stable error: a code listed in docs/errors.md (`replica/…`) and a human message. */
export interface ErrorInfo {
  code: string;
  message: string;
}

/** The result of anything that crosses an ingest boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/**
 * Turns gossip payloads, snapshots and repairs into bytes and back (broadcast carries bytes; snapshots travel in
 * bounded chunks). The default is the bounded msgpack codec of `@rumor/crdt-wire`. Neither side may throw:
 * decoding untrusted bytes returns a failed result.
 */
export interface Codec {
  encode(value: unknown): Result<Uint8Array>;
  decode(bytes: Uint8Array): Result<unknown>;
}

/** Events the driver reports; every member optional. Handlers must not throw (a throw is swallowed). */
export interface ReplicaEvents {
  /** A user callback threw, rejected or timed out; the driver went on. */
  callbackError?(event: CallbackErrorEvent): void;
  /** A peer sent something that failed validation (shape, bounds, codec or the instance's validator). */
  invalid?(event: InvalidPayloadEvent): void;
}

/** Which user callback failed. */
export type CallbackName =
  | 'mergeDelta'
  | 'applyFullSync'
  | 'fullSyncSnapshot'
  | 'removeNode'
  | 'mergeCustom'
  | 'digest'
  | 'compare'
  | 'repair';

/** A contained callback failure. */
export interface CallbackErrorEvent {
  name: string;
  callback: CallbackName;
  error: ErrorInfo;
  cause: unknown;
}

/** A rejected payload and the peer that sent it. */
export interface InvalidPayloadEvent {
  /** The instance, when the message named a known one. */
  name: string | undefined;
  from: NodeId;
  /** The message type or payload kind that was rejected: `delta`, `snapshot`, `sync`, `ae-step`, … */
  kind: string;
  error: ErrorInfo;
}

/** What the driver needs from the node it runs on. */
export interface ReplicaComponents {
  /** This node. */
  self: NodeId;
  /** Gossip `payload` on `tag` (the instance name) through the broadcast layer; the origin does not get it back. */
  broadcast(tag: string, payload: Uint8Array): unknown;
  /** Send a direct replica-layer message to a peer membership reported up. */
  send(peer: NodeId, type: string, body: unknown): SendResult;
  timers: Timers;
  random: Random;
  /** The current active view (peers membership reported up and not yet down), never containing self. */
  activePeers(): readonly NodeId[];
  /** Snapshot and repair codec; defaults to the bounded msgpack codec of `@rumor/crdt-wire`. */
  codec?: Codec;
  log?: Logger;
  events?: ReplicaEvents;
}

/** Why a carrier connection ended: `closed` = orderly close by either side, `failed` = error, timeout, reset. */
export type LinkDownReason = 'closed' | 'failed';

/** What crosses the carrier: one envelope per message (design §3). Decoded envelopes are still untrusted. */
export interface Envelope {
  v: number;
  layer: 'membership' | 'broadcast' | 'replica';
  type: string;
  body: unknown;
}

/** The single listener a carrier reports to (the stack). */
export interface CarrierEvents {
  up(peer: NodeId, address: string): void;
  down(peer: NodeId, reason: LinkDownReason): void;
  message(peer: NodeId, envelope: Envelope): void;
  connectFailed(address: string, reason: string): void;
  drain(peer: NodeId): void;
}

/** A connection-oriented transport (docs/architecture.md "Ports"): WebSocket or the simulator's. */
export interface Carrier {
  readonly self: NodeId;
  readonly address: string;
  connect(address: string): void;
  disconnect(peer: NodeId): void;
  send(peer: NodeId, envelope: Envelope): SendResult;
  listen(events: CarrierEvents): void;
  close(): Promise<void>;
}
