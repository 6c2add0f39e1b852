/**
 * A tiny stack for simulation tests: the testkit's simulated carrier → HyParView (`@rumor/membership`) →
 * Plumtree, routed by envelope layer exactly as `createStack` will do it (docs/architecture.md, "How the layers
 * plug together"). Broadcast sends only to peers membership reports active; `peerUp`/`peerDown` feed Plumtree.
 */
import { createPlumtree, type DeliveryMeta, type NodeId, type Plumtree, type PlumtreeInit } from '@rumor/broadcast';
import { createHyParView, type HyParView, type HyParViewInit } from '@rumor/membership';
import type { Simulation, SimNode } from '@rumor/testkit';

/** One node of the stack. */
export interface StackNode {
  readonly id: NodeId;
  sim: SimNode;
  hv: HyParView;
  pt: Plumtree;
  /** Which incarnation of the node this is (bumps on restart with fresh state). */
  incarnation: number;
}

/** Deliveries seen by the test, per node incarnation. */
export type OnDeliver = (node: StackNode, tag: string, payload: Uint8Array, meta: DeliveryMeta) => void;

/** Builds (or rebuilds after a restart) the layers of `simNode`. */
export function buildStackNode(
  simNode: SimNode,
  incarnation: number,
  init: { plumtree?: PlumtreeInit; membership?: HyParViewInit },
  onDeliver: OnDeliver,
): StackNode {
  const carrier = simNode.carrier;
  const self = simNode.id as NodeId;
  // Late-bound: HyParView's events reach Plumtree, which is created right after.
  let pt: Plumtree | undefined;
  const node = { id: self, sim: simNode, incarnation } as StackNode;
  const hv = createHyParView(init.membership ?? {}, {
    self,
    address: simNode.address,
    connect: (a) => carrier.connect(a),
    disconnect: (p) => carrier.disconnect(p),
    send: (peer, type, body) => carrier.send(peer, { v: 1, layer: 'membership', type, body }),
    timers: simNode.timers,
    random: simNode.random.fork('membership'),
    events: {
      peerUp: (peer) => pt?.onPeerUp(peer as NodeId),
      peerDown: (peer) => pt?.onPeerDown(peer as NodeId),
    },
  });
  pt = createPlumtree(init.plumtree ?? {}, {
    self,
    send: (peer, type, body) => (hv.isActive(peer) ? carrier.send(peer, { v: 1, layer: 'broadcast', type, body }) : 'closed'),
    timers: simNode.timers,
    random: simNode.random.fork('broadcast'),
    deliver: (tag, payload, meta) => onDeliver(node, tag, payload, meta),
  });
  carrier.listen({
    up: (peer, address) => hv.onLinkUp(peer as NodeId, address),
    down: (peer, reason) => hv.onLinkDown(peer as NodeId, reason),
    connectFailed: (address, reason) => hv.onConnectFailed(address, reason),
    drain: (peer) => pt?.onDrain(peer as NodeId),
    message: (peer, env) => {
      if (env.v !== 1) return;
      if (env.layer === 'membership') hv.onMessage(peer as NodeId, env.type, env.body);
      else if (env.layer === 'broadcast') pt?.onMessage(peer as NodeId, env.type, env.body);
    },
  });
  node.hv = hv;
  node.pt = pt;
  return node;
}

/** Adds `count` nodes `n0…` to `sim`, each joining through up to three earlier nodes. */
export function buildStack(
  sim: Simulation,
  count: number,
  init: { plumtree?: PlumtreeInit; membership?: HyParViewInit },
  onDeliver: OnDeliver,
): StackNode[] {
  const nodes: StackNode[] = [];
  for (let i = 0; i < count; i++) {
    const node = buildStackNode(sim.addNode(`n${i}`), 0, init, onDeliver);
    nodes.push(node);
    if (i > 0) node.hv.join(contacts(nodes, i, sim));
  }
  return nodes;
}

/** Up to three addresses of other nodes, for joining. */
export function contacts(nodes: StackNode[], self: number, sim: Simulation): string[] {
  const others = nodes.filter((_, j) => j !== self);
  const out: string[] = [];
  for (let k = 0; k < 3 && others.length > 0; k++) out.push((others[sim.random.int(others.length)] as StackNode).sim.address);
  return [...new Set(out)];
}
