/**
 * The real stack as a dissemination model for the testkit's convergence kit (its `Dissemination` seam): every
 * simulated node runs `createStack` — HyParView, Plumtree and the replica driver — and the kit's replica is one
 * instance on it. Declared here structurally (replica must not depend on the testkit), so that
 * `convergenceProperty({ stack: createStackDissemination(), … })` runs a user's callbacks over the real protocols.
 */
import type { NodeId, ReplicaCallbacks } from './callbacks.js';
import type { Carrier, Random, Timers } from './ports.js';
import type { ReplicaInit } from './instance.js';
import { createStack, type Stack, type StackOptions } from './stack.js';

/** What the kit hands over for one simulated node (the testkit's `SimNode` fits). */
export interface DisseminationHost {
  readonly id: NodeId;
  readonly address: string;
  readonly carrier: Carrier;
  readonly timers: Timers;
  readonly random: Random;
}

/** The kit's per-node context (the testkit's `DisseminationContext` fits). */
export interface DisseminationHostContext {
  instance: string;
  addresses: readonly string[];
  /** Every callback result goes here, so that the kit can await async callbacks deterministically. */
  track(result: unknown): void;
}

/** Tunables: the stack's layers and the instance's options (e.g. a shorter anti-entropy period for tests). */
export interface StackDisseminationInit {
  stack?: Omit<StackOptions, 'carrier' | 'timers' | 'random'>;
  replica?: Omit<ReplicaInit, 'name' | 'callbacks'>;
  /** Seeds each node joins through. Default: the first two addresses of the cluster (the others join through them). */
  seeds?(addresses: readonly string[]): readonly string[];
}

/** A dissemination model running the real stack (structurally the testkit's `Dissemination`). */
export interface StackDissemination {
  readonly name: string;
  start(
    node: DisseminationHost,
    callbacks: ReplicaCallbacks<unknown, unknown, unknown>,
    ctx: DisseminationHostContext,
  ): { broadcastUpdate(delta: unknown): void };
  /** The stack of each node's current incarnation, by node id (for inspection in tests). */
  stacks(): ReadonlyMap<NodeId, Stack>;
}

const CALLBACKS = ['mergeDelta', 'applyFullSync', 'fullSyncSnapshot', 'removeNode', 'mergeCustom'] as const;

/** Create the real-stack dissemination model. */
export function createStackDissemination(init: StackDisseminationInit = {}): StackDissemination {
  const stacks = new Map<NodeId, Stack>();
  const seedsOf = init.seeds ?? ((addresses: readonly string[]) => addresses.slice(0, 2));
  return {
    name: 'real',
    start(node, callbacks, ctx) {
      const stack = createStack({ ...init.stack, carrier: node.carrier, timers: node.timers, random: node.random });
      stacks.set(node.id, stack);
      // Hand every callback result to the kit (it awaits promises between simulated events).
      const tracked = { ...callbacks } as Record<string, unknown>;
      for (const key of CALLBACKS) {
        const fn = callbacks[key] as ((...args: unknown[]) => unknown) | undefined;
        if (fn === undefined) continue;
        tracked[key] = (...args: unknown[]) => {
          const result = fn.apply(callbacks, args);
          ctx.track(result);
          return result;
        };
      }
      const replica = stack.replicas.createReplica({
        ...init.replica,
        name: ctx.instance,
        callbacks: tracked as unknown as ReplicaCallbacks<unknown, unknown, unknown>,
      });
      stack.join(seedsOf(ctx.addresses).filter((a) => a !== node.address));
      return { broadcastUpdate: (delta) => replica.broadcastUpdate(delta) };
    },
    stacks: () => stacks,
  };
}
