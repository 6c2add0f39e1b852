/**
 * HyParView over the testkit simulator: a tiny carrier adapter (what `createStack` will do for real: route the
 * carrier's events to membership and wrap sends in `{ v: 1, layer: 'membership', type, body }`), plus the overlay
 * checkers the simulation tests assert: per-node invariants after every input, and global symmetry and
 * connectivity once quiet.
 */
import { createHyParView, type HyParView, type HyParViewInit, type NodeId } from '@rumor/membership';
import type { SimNode, Simulation } from '@rumor/testkit';

/** One simulated node running HyParView. */
export interface OverlayNode {
  readonly id: NodeId;
  readonly address: string;
  hv: HyParView;
  /** Peers reported up and not yet down, as the layers above see them. */
  readonly up: Set<NodeId>;
  /** Peers with an open carrier link, as the carrier reported. */
  readonly linked: Set<NodeId>;
  /** Event-order violations seen (peerUp twice, peerDown without peerUp). */
  readonly errors: string[];
}

/** Wire a HyParView instance to a simulated node's carrier; `check` runs after every input it is fed. */
export function attach(node: SimNode, init: HyParViewInit, check: (n: OverlayNode) => void = checkNode): OverlayNode {
  const carrier = node.carrier;
  const on: OverlayNode = {
    id: node.id,
    address: node.address,
    hv: undefined as unknown as HyParView,
    up: new Set(),
    linked: new Set(),
    errors: [],
  };
  on.hv = createHyParView(init, {
    self: node.id,
    address: node.address,
    connect: (a) => carrier.connect(a),
    disconnect: (p) => carrier.disconnect(p),
    send: (p, type, body) => carrier.send(p, { v: 1, layer: 'membership', type, body }),
    timers: {
      now: () => node.timers.now(),
      setTimer: (ms, fn) =>
        node.timers.setTimer(ms, () => {
          fn();
          check(on);
        }),
    },
    random: node.random,
    events: {
      peerUp(peer) {
        if (on.up.has(peer)) on.errors.push(`peerUp(${peer}) twice without peerDown`);
        on.up.add(peer);
      },
      peerDown(peer) {
        if (!on.up.delete(peer)) on.errors.push(`peerDown(${peer}) without peerUp`);
      },
    },
  });
  carrier.listen({
    up(peer, address) {
      on.linked.add(peer);
      on.hv.onLinkUp(peer, address);
      check(on);
    },
    down(peer, reason) {
      on.linked.delete(peer);
      on.hv.onLinkDown(peer, reason);
      check(on);
    },
    connectFailed(address, reason) {
      on.hv.onConnectFailed(address, reason);
      check(on);
    },
    message(peer, envelope) {
      if (envelope.v !== 1 || envelope.layer !== 'membership') return;
      on.hv.onMessage(peer, envelope.type, envelope.body);
      check(on);
    },
    drain() {},
  });
  return on;
}

/** Per-node invariants (issue 4): no self, bounds, no duplicates, disjoint views, active ⊆ links, events = view. */
export function checkNode(n: OverlayNode, activeMax = 5, passiveMax = 30): void {
  const active = n.hv.activeView();
  const passive = n.hv.passiveView().map((e) => e.id);
  const fail = (what: string) => {
    throw new Error(`${n.id}: ${what} (active ${active.join(',')}; passive ${passive.join(',')})`);
  };
  if (n.errors.length > 0) fail(n.errors.join('; '));
  if (n.hv.stats().eventErrors > 0) fail('an event handler threw');
  if (active.includes(n.id) || passive.includes(n.id)) fail('a view holds self');
  if (active.length > activeMax) fail(`active view over ${activeMax}`);
  if (passive.length > passiveMax) fail(`passive view over ${passiveMax}`);
  if (new Set(active).size !== active.length || new Set(passive).size !== passive.length) fail('duplicates');
  for (const p of active) {
    if (passive.includes(p)) fail(`${p} in both views`);
    if (!n.linked.has(p)) fail(`active peer ${p} has no link`);
    if (!n.up.has(p)) fail(`active peer ${p} never reported up`);
  }
  if (n.up.size !== active.length) fail('peerUp/peerDown disagree with the active view');
}

/** Active links that only one end holds, among `nodes`. */
export function asymmetricLinks(nodes: readonly OverlayNode[]): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  for (const n of nodes) {
    for (const p of n.hv.activeView()) {
      const other = byId.get(p);
      if (!other || !other.hv.activeView().includes(n.id)) out.push(`${n.id}→${p}`);
    }
  }
  return out;
}

/** Connected components of the active overlay among `nodes` (links to nodes outside are ignored). */
export function components(nodes: readonly OverlayNode[]): NodeId[][] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<NodeId>();
  const out: NodeId[][] = [];
  for (const start of nodes) {
    if (seen.has(start.id)) continue;
    const comp: NodeId[] = [];
    const stack = [start.id];
    seen.add(start.id);
    while (stack.length) {
      const id = stack.pop()!;
      comp.push(id);
      for (const p of byId.get(id)!.hv.activeView()) {
        if (byId.has(p) && !seen.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    out.push(comp);
  }
  return out;
}

/** The seed a simulation test runs with: `SEED` from the environment, else a fresh one. */
export function testSeed(): number {
  return process.env.SEED !== undefined ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
}

/** Run `body`; on failure, print the command that replays it. */
export function replayable<T>(file: string, seed: number, body: () => T): T {
  try {
    return body();
  } catch (e) {
    console.error(`replay: SEED=${seed} npx vitest run ${file}`);
    throw e;
  }
}

/** Build `count` nodes named n0…, each joining through up to three contacts among the nodes already started. */
export function bootstrap(sim: Simulation, count: number, init: HyParViewInit, spacingMs = 50): OverlayNode[] {
  const nodes: OverlayNode[] = [];
  for (let i = 0; i < count; i++) {
    const simNode = sim.addNode(`n${i}`);
    const on = attach(simNode, init);
    const contacts = i === 0 ? [] : [nodes[0]!.address, nodes[Math.floor(sim.random.next() * i)]!.address];
    nodes.push(on);
    on.hv.join(contacts);
    if (sim.run({ forMs: spacingMs, maxEvents: 3_000_000 }).reason === 'maxEvents') throw new Error('livelock during bootstrap');
  }
  return nodes;
}
