/**
 * A cluster of real stacks (carrier → HyParView → Plumtree → replica driver) in the testkit's simulator, each node
 * owning a test store behind instance `m`. Crash/restart rebuild a node the way a process restart would: a fresh
 * carrier, a fresh stack, and (with `keepState: false`) an empty store.
 */
import { createSimulation, type Simulation } from '@rumor/testkit';
import { createStack, type NodeId, type PeerDownReason, type Replica, type Stack, type ReplicaInit } from '@rumor/replica';
import { createStore, validCounters, type TestStore } from './store.js';
import type { Counters } from './fakes.js';

export interface SimMember {
  id: string;
  stack: Stack;
  store: TestStore;
  replica: Replica<Counters> | undefined;
  alive: boolean;
  /** Every removeNode reason this node's instance reported, over all its incarnations. */
  removals: PeerDownReason[];
}

export interface SimCluster {
  sim: Simulation;
  members: SimMember[];
  /** Start instance `m` on a member (a late start, when called after the overlay formed). */
  start(m: SimMember): Replica<Counters>;
  /** The owner writes and broadcasts (the owner applies first, as the contract says). */
  write(m: SimMember, key: string, value: number): void;
  /** The owner writes without broadcasting: a write only anti-entropy can spread. */
  writeSilently(m: SimMember, key: string, value: number): void;
  crash(m: SimMember, keepState?: boolean): void;
  restart(m: SimMember): void;
  /** Views of the live members' stores. */
  views(): Record<string, Counters>;
}

export interface SimClusterOptions {
  seed: number;
  nodes: number;
  antiEntropy?: boolean | 'digest';
  antiEntropyIntervalMs?: number;
  /** Start instance `m` on every node at once. Default true. */
  startInstances?: boolean;
  activeViewSize?: number;
  passiveViewSize?: number;
  shuffleIntervalMs?: number;
  /** Membership's per-round chance of retrying a peer lost to failure (partition repair). */
  reconnectProbability?: number;
}

export function createSimCluster(o: SimClusterOptions): SimCluster {
  const sim = createSimulation({ seed: o.seed });
  const members: SimMember[] = [];
  // Every node is configured with two seeds, n0 and n1, as a deployment would be: all join through them (so the
  // overlay forms as one component), and a node whose active view empties (a partition failed all its links)
  // rejoins through them.
  const contact = (i: number): string[] => ['sim://n0', 'sim://n1'].filter((a) => a !== `sim://n${i}`);

  function build(m: SimMember, node: { carrier: Parameters<typeof createStack>[0]['carrier']; timers: Parameters<typeof createStack>[0]['timers']; random: Parameters<typeof createStack>[0]['random'] }): void {
    m.stack = createStack({
      carrier: node.carrier,
      timers: node.timers,
      random: node.random,
      membership: {
        ...(o.activeViewSize === undefined ? {} : { activeViewSize: o.activeViewSize }),
        ...(o.passiveViewSize === undefined ? {} : { passiveViewSize: o.passiveViewSize }),
        ...(o.shuffleIntervalMs === undefined ? {} : { shuffleIntervalMs: o.shuffleIntervalMs }),
        ...(o.reconnectProbability === undefined ? {} : { reconnectProbability: o.reconnectProbability }),
      },
    });
  }

  const cluster: SimCluster = {
    sim,
    members,
    start(m) {
      const cb = m.store.callbacks;
      const callbacks = {
        ...cb,
        removeNode(name: string, node: NodeId, reason: PeerDownReason) {
          m.removals.push(reason);
          return cb.removeNode(name, node, reason);
        },
      };
      const init: ReplicaInit<Counters, Counters> = {
        name: 'm',
        callbacks,
        validate: { delta: validCounters, snapshot: validCounters },
        ...(o.antiEntropyIntervalMs === undefined ? {} : { antiEntropyIntervalMs: o.antiEntropyIntervalMs }),
      };
      m.replica = m.stack.replicas.createReplica(init);
      return m.replica;
    },
    write(m, key, value) {
      const s = m.store.state('m');
      if ((s.get(key) ?? -Infinity) >= value) return;
      s.set(key, value);
      m.replica!.broadcastUpdate({ [key]: value });
    },
    writeSilently(m, key, value) {
      const s = m.store.state('m');
      if ((s.get(key) ?? -Infinity) < value) s.set(key, value);
    },
    crash(m, keepState = false) {
      sim.crash(m.id, { keepState: false });
      m.alive = false;
      if (!keepState) m.store = createStore(o.antiEntropy ?? 'digest');
      m.replica = undefined;
    },
    restart(m) {
      const node = sim.restart(m.id);
      m.alive = true;
      build(m, node);
      cluster.start(m);
      m.stack.join(contact(members.indexOf(m)));
    },
    views() {
      return Object.fromEntries(members.filter((m) => m.alive).map((m) => [m.id, m.store.view('m')]));
    },
  };

  for (let i = 0; i < o.nodes; i++) {
    const node = sim.addNode(`n${i}`);
    const m: SimMember = { id: `n${i}`, stack: undefined as unknown as Stack, store: createStore(o.antiEntropy ?? 'digest'), replica: undefined, alive: true, removals: [] };
    build(m, node);
    members.push(m);
    if (o.startInstances ?? true) cluster.start(m);
  }
  members.forEach((m, i) => m.stack.join(contact(i)));
  return cluster;
}

/** Group live members by their state: one group when converged. */
export function divergence(c: SimCluster): string[] {
  const groups = new Map<string, string[]>();
  for (const [idv, view] of Object.entries(c.views())) {
    const k = JSON.stringify(view);
    groups.set(k, [...(groups.get(k) ?? []), idv]);
  }
  if (groups.size <= 1) return [];
  return [...groups].map(([state, ids]) => `${ids.join(',')}: ${state.slice(0, 200)}`);
}
