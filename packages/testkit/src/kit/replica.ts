/**
 * What the convergence kit drives on every node: the user's replica callbacks (`ReplicaCallbacks` of
 * @rumor/replica, design §5), a way to perform a local operation that yields the delta to broadcast, and the
 * canonical state compared across nodes. `stateReplica` builds one from plain state functions.
 */
import type { MaybePromise, ReplicaCallbacks } from '@rumor/replica';
import type { NodeId, Random, Timers } from '../ports.js';

/** What a replica factory is given for one node (one incarnation of it). */
export interface ReplicaContext {
  /** The node's id. */
  node: NodeId;
  /** The node's virtual clock (drift and steps apply): use it for HLCs, never `Date.now`. */
  timers: Timers;
  /** The node's seeded stream: use it instead of `Math.random`. */
  random: Random;
}

/** One node's replica as the kit drives it. */
export interface KitReplica<Op, Delta = unknown, Snapshot = unknown> {
  /** The callbacks the dissemination model calls (the same object a user registers with the replica driver). */
  callbacks: ReplicaCallbacks<Delta, Snapshot, unknown>;
  /** Perform one local operation; return the delta to broadcast, or undefined when there is nothing to send. */
  apply(op: Op): MaybePromise<Delta | undefined>;
  /** The state compared across nodes: plain data (Maps, Sets allowed), compared by its stable text form. */
  canonical(): unknown;
}

/** Builds a node's replica: at cluster start and again after a crash that lost state. */
export type ReplicaFactory<Op, Delta = unknown, Snapshot = unknown> = (ctx: ReplicaContext) => KitReplica<Op, Delta, Snapshot>;

/** A replicated state given as plain functions over a mutable state object. */
export interface StateModel<S, Op, Delta, Snapshot = S> {
  /** The initial state of a node. */
  init(ctx: ReplicaContext): S;
  /** Perform `op` on `state` (mutate it) and return the delta to broadcast (undefined: nothing). */
  apply(state: S, op: Op, ctx: ReplicaContext): Delta | undefined;
  /** Merge a delta from a peer into `state` (mutate it). Must be a join. */
  merge(state: S, delta: Delta, from: NodeId): void;
  /** The snapshot sent on full sync. Default: the state itself. */
  snapshot?(state: S): Snapshot;
  /** Merge a full snapshot. Default: `merge` (when a snapshot has the shape of a delta). */
  mergeSnapshot?(state: S, snapshot: Snapshot, from: NodeId): void;
  /** The state to compare. Default: the state itself. */
  canonical?(state: S): unknown;
}

/** A `ReplicaFactory` from plain state functions; anti-entropy is on (periodic full-state pull). */
export function stateReplica<S, Op, Delta, Snapshot = S>(model: StateModel<S, Op, Delta, Snapshot>): ReplicaFactory<Op, Delta, Snapshot> {
  return (ctx) => {
    const state = model.init(ctx);
    const mergeSnapshot = model.mergeSnapshot ?? ((s: S, snap: Snapshot, from: NodeId) => model.merge(s, snap as unknown as Delta, from));
    return {
      callbacks: {
        mergeDelta: (_name, delta, from) => model.merge(state, delta, from),
        applyFullSync: (_name, snap, from) => mergeSnapshot(state, snap, from),
        fullSyncSnapshot: () => (model.snapshot ? model.snapshot(state) : (state as unknown as Snapshot)),
        removeNode: () => {},
        antiEntropy: true,
      },
      apply: (op) => model.apply(state, op, ctx),
      canonical: () => (model.canonical ? model.canonical(state) : state),
    };
  };
}
