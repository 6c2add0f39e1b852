/**
 * The contract between the replica driver and the owner of a piece of replicated state (design §5).
 *
 * The driver never looks inside deltas, snapshots or custom payloads: it moves them, validates them with the
 * instance's validator, and hands them to these callbacks. One callbacks object may back many instances; every
 * callback receives the instance name. Callbacks may be sync or async; a throw or a rejected promise is contained,
 * counted and reported — it never stops the driver.
 */

/** A node's identity (see docs/architecture.md, "Ports"). */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** Why a peer left the active view: failed (crashed or unreachable), left (said goodbye), evicted (view churn). */
export type PeerDownReason = 'failed' | 'left' | 'evicted';

/** A callback's result: nothing, or a promise of nothing. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Digest hooks for state-size-independent anti-entropy. A round starts with `digest(name)` at one side; the
 * other side answers with `differences`, and so on, until one side can name the `keys` (or ranges) it needs; the
 * driver then ships `repair(name, need)` as a delta. The driver treats every value here as opaque but bounded.
 */
export interface AntiEntropyHooks<Digest = unknown, Need = unknown, Delta = unknown> {
  /** A summary of the whole state, small and independent of its size (e.g. the root of a hash tree). */
  digest(name: string): MaybePromise<Digest>;
  /**
   * Compare a peer's digest with local state. Return `equal`, or a finer digest to send back (`descend`), and/or
   * the part the peer should send us (`need`) and the part we can push (`repair`).
   */
  compare(name: string, remote: Digest, from: NodeId): MaybePromise<AntiEntropyStep<Digest, Need, Delta>>;
  /** The delta that satisfies a peer's `need`. */
  repair(name: string, need: Need, to: NodeId): MaybePromise<Delta | undefined>;
}

/** One step of a digest exchange. */
export type AntiEntropyStep<Digest, Need, Delta> =
  | { kind: 'equal' }
  | { kind: 'descend'; digest: Digest; need?: Need; repair?: Delta }
  | { kind: 'done'; need?: Need; repair?: Delta };

/** What an owner implements to replicate its own state through Rumor. */
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
