/**
 * The seam between the convergence kit and the network stack that carries replica traffic. The kit only ever
 * drives a `Dissemination`: the direct all-to-all model (`createDirectDissemination`, `stack: 'direct'`) or the
 * real stack — HyParView + Plumtree + the replica driver on every simulated node (`createStackDissemination` of
 * @rumor/replica, `stack: 'real'`) — with no change to the kit's API.
 */
import { createStackDissemination, type ReplicaCallbacks } from '@rumor/replica';
import type { SimNode } from '../simulation.js';
import { createDirectDissemination } from './direct.js';

/** What the kit gives a dissemination model when it starts a node. */
export interface DisseminationContext {
  /** The instance name (the broadcast tag) the callbacks are registered under. */
  instance: string;
  /** Addresses of every node of the cluster (the seeds), including this one. */
  addresses: readonly string[];
  /**
   * Hand every callback result here: the kit awaits promises before the next simulated event, so async callbacks
   * stay deterministic.
   */
  track(result: unknown): void;
}

/** A started node: how the kit broadcasts the deltas of local operations. */
export interface DisseminationNode {
  /** Gossip a delta on the instance's tag (`broadcastUpdate(name, delta)` of the replica driver). */
  broadcastUpdate(delta: unknown): void;
}

/** A network stack the kit runs replicas over. */
export interface Dissemination {
  /** Shown in reports. */
  readonly name: string;
  /**
   * Start the stack of one node on its current carrier and timers: at cluster start, and after every restart
   * (state kept: the same callbacks again; state lost: the callbacks of a freshly built replica).
   */
  start(node: SimNode, callbacks: ReplicaCallbacks<unknown, unknown, unknown>, ctx: DisseminationContext): DisseminationNode;
}

/** Which stack a convergence run uses: `direct` (default), `real` (membership + broadcast + replica), or your own. */
export type StackChoice = 'direct' | 'real' | Dissemination;

/** Anti-entropy period of the real stack in kit runs (the driver's default, 30 s, is longer than a settle). */
const REAL_ANTI_ENTROPY_MS = 2000;

/** Resolves a `StackChoice` to a fresh model. */
export function resolveDissemination(stack: StackChoice = 'direct'): Dissemination {
  if (stack === 'direct') return createDirectDissemination();
  if (stack === 'real') return createStackDissemination({ replica: { antiEntropyIntervalMs: REAL_ANTI_ENTROPY_MS } });
  return stack;
}
