/**
 * The ports Plumtree is driven through (design §2, docs/architecture.md "Ports").
 *
 * Broadcast is a pure state machine: it never reads a clock, never draws randomness and never touches a socket.
 * Everything it needs from outside is declared here, in the shapes every Rumor package agrees on; TypeScript is
 * structural, so these are the same types membership, replica and the carriers declare.
 */

/** A node's identity: 1..64 bytes of UTF-8, chosen by the operator or generated once and persisted. */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** Outcome of handing a message to a carrier: taken, refused for now (queue full), or no connection. */
export type SendResult = 'accepted' | 'backpressure' | 'closed';

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

/** An optional structured logger; Plumtree logs rare events only (never per message). */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
}
