/**
 * The contract between the replica driver and the owner of a piece of replicated state (design §5).
 *
 * The driver never looks inside deltas, snapshots or custom payloads: it moves them, validates them with the
 * instance's validator, and hands them to these callbacks. One callbacks object may back many instances; every
 * callback receives the instance name. Callbacks may be sync or async; a throw or a rejected promise is contained,
 * counted and reported — it never stops the driver.
 */

import type { Result } from './ports.js';

/** A node's identity (see docs/architecture.md, "Ports"). */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** Why a peer left the active view: failed (crashed or unreachable), left (said goodbye), evicted (view churn). */
export type PeerDownReason = 'failed' | 'left' | 'evicted';

/** A callback's result: nothing, or a promise of nothing. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Digest hooks for state-size-independent anti-entropy. An exchange starts with `digest(name)` at the initiator;
 * each side answers the other's digest with `compare`, descending level by level, until one side can name what it
 * `need`s (keys or ranges) and push what it can `repair`; the driver ships `repair(name, need)` back as a delta that
 * reaches the peer's `mergeDelta`. The driver treats every value here as opaque; what comes from a peer reaches a
 * hook only after the instance's `validate.digest` / `validate.need` accepted it. Every value must be encodable by
 * the codec (plain data: objects, arrays, strings, numbers, booleans, null, Uint8Array).
 */
export interface AntiEntropyHooks<Digest = unknown, Need = unknown, Delta = unknown> {
  /** A summary of the whole state, small and independent of its size (e.g. the root of a hash tree). */
  digest(name: string): MaybePromise<Digest>;
  /**
   * Compare a peer's digest with local state: `equal`; or `descend` with a finer digest for the peer to compare in
   * turn; or `done`. Both of the latter may say what the peer should send us (`need`) and carry a delta to push to
   * the peer (`repair`). The driver bounds the number of rounds (`antiEntropyRoundsMax`).
   */
  compare(name: string, remote: Digest, from: NodeId): MaybePromise<AntiEntropyStep<Digest, Need, Delta>>;
  /** The delta that satisfies a peer's `need`. */
  repair(name: string, need: Need, to: NodeId): MaybePromise<Delta | undefined>;
  /** Check a peer's digest before `compare` sees it; the instance's `validate.digest` takes precedence. */
  validateDigest?(value: unknown, from: NodeId): Result<Digest>;
  /** Check a peer's need before `repair` sees it; the instance's `validate.need` takes precedence. */
  validateNeed?(value: unknown, from: NodeId): Result<Need>;
}

/** One step of a digest exchange. */
export type AntiEntropyStep<Digest, Need, Delta> =
  | { kind: 'equal' }
  | { kind: 'descend'; digest: Digest; need?: Need; repair?: Delta }
  | { kind: 'done'; need?: Need; repair?: Delta };

/**
 * What an owner implements to replicate its own state through Rumor.
 *
 * Local delivery: the owner applies its own writes before calling `broadcastUpdate`/`broadcastCustom`; the driver
 * never hands a node its own delta or custom payload back, so `mergeDelta`/`mergeCustom` only ever see peers' data.
 * Callbacks of one instance are serialised: an async callback finishes before the next one of that instance starts.
 */
export interface ReplicaCallbacks<Delta = unknown, Snapshot = unknown, Custom = unknown> {
  /** Merge a delta a peer broadcast. Must be a join: commutative, associative, idempotent. */
  mergeDelta(name: string, delta: Delta, from: NodeId): MaybePromise<void>;
  /** Merge a full snapshot a peer sent (on peer up, on pull at start, or as anti-entropy). Also a join. */
  applyFullSync(name: string, snapshot: Snapshot, from: NodeId): MaybePromise<void>;
  /** The snapshot to send to `to`, or `undefined` when there is nothing to send. */
  fullSyncSnapshot(name: string, to: NodeId): MaybePromise<Snapshot | undefined>;
  /** A peer left the active view. Evictions are view churn, not deaths. */
  removeNode(name: string, node: NodeId, reason: PeerDownReason): MaybePromise<void>;
  /** Receive an application message sent with `broadcastCustom`. */
  mergeCustom?(name: string, payload: Custom, from: NodeId): MaybePromise<void>;
  /** `true`: periodic full-state pull from one random peer. Hooks: digest rounds. Absent/false: none. */
  antiEntropy?: boolean | AntiEntropyHooks<unknown, unknown, Delta>;
}
