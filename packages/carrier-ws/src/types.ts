/**
 * The carrier port (design §2, docs/architecture.md "Ports"), declared here because this package implements it.
 *
 * The shapes are exactly the ones docs/architecture.md fixes; TypeScript is structural, so they are the same types
 * membership, replica and the testkit declare.
 */

/** A node's identity: 1..64 bytes of UTF-8, chosen by the operator or generated once and persisted. */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** Outcome of handing a message to a carrier: taken, refused for now (queue full), or no connection. */
export type SendResult = 'accepted' | 'backpressure' | 'closed';

/** Why a carrier connection ended: `closed` = orderly close by either side, `failed` = error, timeout, reset. */
export type LinkDownReason = 'closed' | 'failed';

/** What crosses the carrier: one envelope per message (design §3). Decoded envelopes are still untrusted. */
export interface Envelope {
  v: number;
  layer: 'membership' | 'broadcast' | 'replica';
  type: string;
  body: unknown;
}

/** The events a carrier reports to its single listener. */
export interface CarrierEvents {
  /** A connection with `peer` is open (dialled by either side); `address` is the peer's advertised address. */
  up(peer: NodeId, address: string): void;
  /** The connection with `peer` ended. Queued messages may be lost. */
  down(peer: NodeId, reason: LinkDownReason): void;
  /** A message arrived from `peer`, in order per connection; decoded, still untrusted. */
  message(peer: NodeId, envelope: Envelope): void;
  /** A `connect(address)` did not produce a connection. */
  connectFailed(address: string, reason: string): void;
  /** The send queue to `peer` has room again after a `backpressure` result. */
  drain(peer: NodeId): void;
}

/** The carrier port: connection-oriented, like TCP under HyParView. */
export interface Carrier {
  readonly self: NodeId;
  /** The advertised address others dial. */
  readonly address: string;
  /** Dial an address; the outcome is `up` or `connectFailed`. Dialling a connected peer is a no-op. */
  connect(address: string): void;
  /** Close the connection after flushing what was already accepted; `down(peer, 'closed')` follows. */
  disconnect(peer: NodeId): void;
  /** Queue one envelope for `peer`. */
  send(peer: NodeId, envelope: Envelope): SendResult;
  /** Register the single listener (the stack mux). */
  listen(events: CarrierEvents): void;
  /** Close every connection and the listening socket. */
  close(): Promise<void>;
}

/** A failed operating result's detail: a stable code (docs/errors.md) and a human message. */
export interface ErrorInfo {
  code: string;
  message: string;
}

/** Result of an operation on untrusted input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** An optional structured logger; the carrier logs rare events only (rejections, closes), never per message. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
}
