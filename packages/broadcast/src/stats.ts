/** The counters Plumtree keeps (issue 5, "Stats"); `stats()` returns a fresh copy. */
import type { BroadcastErrorCode } from './errors.js';
import type { NodeId } from './ports.js';

/** Per message type counts. */
export interface TypeCounts {
  gossip: number;
  ihave: number;
  graft: number;
  prune: number;
}

/** A snapshot of one Plumtree node's state and counters. */
export interface PlumtreeStats {
  /** Peers on the tree (eager push). */
  eager: NodeId[];
  /** Peers off the tree (lazy push: IHAVE only). */
  lazy: NodeId[];
  /** Payloads cached for graft service, and their bytes. */
  cacheMessages: number;
  cacheBytes: number;
  /** Origins with a tree of their own (at most `originTreesMax`). */
  originTrees: number;
  /** Ids in the dedup set. */
  seen: number;
  /** Announced messages not yet received (pending grafts). */
  missing: number;
  /** Messages the carrier accepted, per type (IHAVE includes anti-entropy IHAVEs). */
  sent: TypeCounts;
  /** Messages received and valid, per type. */
  received: TypeCounts;
  /** Ids announced in IHAVEs sent / received. */
  ihaveIdsSent: number;
  ihaveIdsReceived: number;
  /** IHAVEs sent by anti-entropy (also counted in `sent.ihave`). */
  antiEntropySent: number;
  /** Messages broadcast by this node. */
  broadcast: number;
  /** Messages delivered to the application (exactly once each). */
  delivered: number;
  /** GOSSIPs for an id already delivered (each answered with a PRUNE). */
  duplicates: number;
  /** GRAFT ids answered with the payload / not answerable (evicted and unknown to the application). */
  graftsServed: number;
  graftsMissed: number;
  /** Missing messages given up after `graftAttemptsMax` GRAFTs or with no announcer left. */
  graftsAbandoned: number;
  /** Announcements ignored because `missingMax` messages were already missing. */
  missingOverflow: number;
  /** Eager links swapped for shorter lazy ones (§3.8). */
  optimizations: number;
  /** PRUNEs from our parent in an origin's tree answered with a GRAFT so that it keeps pushing to us (plumtree.ts `onPrune`). */
  parentsKept: number;
  /** Times the carrier answered `backpressure`. */
  backpressure: number;
  /** Messages waiting in per-peer queues now. */
  queued: number;
  /** GOSSIPs that could not be queued and were turned into announcements (lazy repair). */
  deferred: number;
  /** Messages dropped, by why: queue full (IHAVE/GRAFT/PRUNE), connection closed, peer down while queued. */
  dropped: { full: number; closed: number; peerDown: number };
  /** Refused inputs, by stable code (docs/errors.md `## broadcast`). */
  rejected: Partial<Record<BroadcastErrorCode, number>>;
}
