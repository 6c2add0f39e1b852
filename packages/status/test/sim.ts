/** A simulated cluster of real stacks (HyParView, Plumtree, replica driver) each running a status service. */
import { createSimulation, type Simulation } from '@rumor/testkit';
import { createStack, type Stack } from '@rumor/replica';
import { createStatusService, type StatusService, type StatusServiceInit } from '@rumor/status';
import type { StatusSnapshot } from '@rumor/status';
import { stackSource } from './fixtures.js';

export interface SimStatusNode {
  id: string;
  stack: Stack;
  service: StatusService;
  /**
   * Every snapshot the node's source produced, oldest first, with the simulation's time: each card the node built
   * (an answer, a full sync to a new peer, its own view) comes from one of them, and each holds the node's real
   * active view and Plumtree roles at that moment. The overlay keeps changing on an idle cluster (HyParView fills
   * short views every round), so "the real view" of a card is the one at the time it was made, not at the end.
   */
  made(): { at: number; snapshot: StatusSnapshot }[];
}

export interface SimStatusCluster {
  sim: Simulation;
  nodes: SimStatusNode[];
  /** Undirected links of the real active views, as sorted "a|b" strings. */
  realLinks(): string[];
  /** Run the simulation until `p` settles (at most `forMs` virtual ms) and return its value. */
  settle<T>(p: Promise<T>, forMs?: number): Promise<T>;
}

/** Start `n` nodes joining through n0 and run until the overlay is quiet. */
export function simStatusCluster(n: number, seed: number, init: StatusServiceInit = {}, ids: (i: number) => string = (i) => `n${i}`): SimStatusCluster {
  const sim = createSimulation({ seed });
  const nodes: SimStatusNode[] = [];
  for (let i = 0; i < n; i++) {
    const node = sim.addNode(ids(i));
    const stack = createStack({ carrier: node.carrier, timers: node.timers, random: node.random });
    const made: { at: number; snapshot: StatusSnapshot }[] = [];
    const inner = stackSource(stack);
    const source = {
      id: inner.id,
      status(): StatusSnapshot {
        const snapshot = inner.status();
        made.push({ at: sim.now(), snapshot });
        return snapshot;
      },
    };
    const service = createStatusService(init, { source, driver: stack.replicas, timers: node.timers });
    nodes.push({ id: ids(i), stack, service, made: () => [...made] });
  }
  for (let i = 1; i < n; i++) nodes[i]!.stack.join([sim.node(ids(0)).address]);
  sim.run({ forMs: 40_000 });
  return {
    sim,
    nodes,
    realLinks() {
      const links = new Set<string>();
      for (const m of nodes) for (const p of m.stack.membership.activeView()) links.add([m.id, p].sort().join('|'));
      return [...links].sort();
    },
    async settle(p, forMs = 5000) {
      let done = false;
      const q = p.finally(() => void (done = true));
      for (let t = 0; t < forMs && !done; t += 50) {
        sim.run({ forMs: 50 });
        await new Promise((r) => setImmediate(r));
      }
      return q;
    },
  };
}
