/**
 * The port shapes every Rumor package agrees on (docs/architecture.md, "Ports"; design §2), declared here because
 * the testkit implements them (the simulated carrier, virtual timers, seeded random). TypeScript is structural,
 * so these are the same types as the ones membership, broadcast, replica and carrier-ws declare.
 */

/** A node's identity: 1..64 bytes of UTF-8. */
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

/** The single listener a carrier reports to. */
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

/** A connection-oriented transport, like TCP under HyParView. */
export interface Carrier {
  readonly self: NodeId;
  readonly address: string;
  /** Dial an address; the outcome is `up` or `connectFailed`. Dialling a connected peer is a no-op. */
  connect(address: string): void;
  /** Close the connection after flushing what was already accepted; `down(peer, 'closed')` follows. */
  disconnect(peer: NodeId): void;
  /** Queue one message to a connected peer. */
  send(peer: NodeId, envelope: Envelope): SendResult;
  /** Register the single listener (the stack mux). */
  listen(events: CarrierEvents): void;
  /** Close every connection and stop; peers see `down`. */
  close(): Promise<void>;
}

/** Virtual or real time. Timers never fire re-entrantly inside the call that set them. */
export interface Timers {
  /** Milliseconds. */
  now(): number;
  /** Run `fn` after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** A source of uniform numbers in [0, 1); seeded in tests. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}
