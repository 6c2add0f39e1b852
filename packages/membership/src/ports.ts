/**
 * The ports HyParView is driven through (design §2, docs/architecture.md "Ports").
 *
 * Membership is a pure state machine: it never reads a clock, draws randomness or touches a socket itself. The
 * shapes below are exactly the ones docs/architecture.md fixes; TypeScript is structural, so they are the same types
 * as those the carriers, broadcast and replica declare.
 */

/** A node's identity: 1..64 bytes of UTF-8, chosen by the operator or generated once and persisted. */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** Outcome of handing a message to a carrier: taken, refused for now (queue full), or no connection. */
export type SendResult = 'accepted' | 'backpressure' | 'closed';

/** Why a carrier connection ended: `closed` = orderly close by either side, `failed` = error, timeout, reset. */
export type LinkDownReason = 'closed' | 'failed';

/** Why a peer left the active view, as membership reports it to the layers above. */
export type PeerDownReason = 'failed' | 'left' | 'evicted';

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

/** An optional structured logger; membership logs rare events only (never per message). */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
}
