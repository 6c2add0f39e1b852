/**
 * HyParView over the testkit simulator for the benchmark, and the graph measures the paper reports (§5): flood
 * reliability over the active views, in-degree distribution, clustering coefficient, average shortest path.
 *
 * The carrier adapter is the tiny one `createStack` will replace: carrier events → HyParView inputs, sends wrapped
 * in `{ v: 1, layer: 'membership', type, body }`.
 */
import { createHyParView, type HyParView, type HyParViewInit, type NodeId } from '@rumor/membership';
import { createSimulation, type SimNode, type Simulation, type SimulationInit } from '@rumor/testkit';

/** One simulated node running HyParView. */
export interface BenchNode {
  readonly id: NodeId;
  readonly index: number;
  readonly address: string;
  readonly hv: HyParView;
}

/** Wire HyParView to a simulated node's carrier. */
export function attachHyParView(node: SimNode, index: number, init: HyParViewInit): BenchNode {
  const carrier = node.carrier;
  const hv = createHyParView(init, {
    self: node.id,
    address: node.address,
    connect: (a) => carrier.connect(a),
    disconnect: (p) => carrier.disconnect(p),
    send: (p, type, body) => carrier.send(p, { v: 1, layer: 'membership', type, body }),
    timers: node.timers,
    random: node.random,
    events: { peerUp() {}, peerDown() {} },
  });
  carrier.listen({
    up: (peer, address) => hv.onLinkUp(peer, address),
    down: (peer, reason) => hv.onLinkDown(peer, reason),
    connectFailed: (address, reason) => hv.onConnectFailed(address, reason),
    message(peer, envelope) {
      if (envelope.v === 1 && envelope.layer === 'membership') hv.onMessage(peer, envelope.type, envelope.body);
    },
    drain() {},
  });
  return { id: node.id, index, address: node.address, hv };
}

/** A simulated overlay. */
export interface Overlay {
  sim: Simulation;
  nodes: BenchNode[];
  alive: boolean[];
}

/**
 * Bootstrap `count` nodes `spacingMs` apart, then run `settleMs` more. Node i joins through node 0 and one random
 * earlier node (`seed-and-random`: a deployment with one well-known seed) or through two random earlier nodes.
 */
export function bootstrapOverlay(
  count: number,
  init: HyParViewInit,
  sim: SimulationInit,
  spacingMs: number,
  settleMs: number,
  contacts: 'seed-and-random' | 'random' = 'seed-and-random',
): Overlay {
  const s = createSimulation(sim);
  const nodes: BenchNode[] = [];
  const pick = s.fork('contacts');
  for (let i = 0; i < count; i++) {
    const node = attachHyParView(s.addNode(`n${i}`), i, init);
    const random = () => nodes[Math.floor(pick.next() * i)]!.address;
    const list = i === 0 ? [] : contacts === 'random' ? [random(), random()] : [nodes[0]!.address, random()];
    nodes.push(node);
    node.hv.join(list);
    s.run({ forMs: spacingMs });
  }
  s.run({ forMs: settleMs });
  return { sim: s, nodes, alive: nodes.map(() => true) };
}

/** Adjacency of the active overlay among live nodes, as index lists (links to dead nodes dropped). */
export function adjacency(o: Overlay): number[][] {
  const index = new Map<NodeId, number>();
  o.nodes.forEach((n) => index.set(n.id, n.index));
  return o.nodes.map((n) => {
    if (!o.alive[n.index]) return [];
    const out: number[] = [];
    for (const p of n.hv.activeView()) {
      const j = index.get(p);
      if (j !== undefined && o.alive[j]) out.push(j);
    }
    return out;
  });
}

/** Component sizes of the live part of the overlay (directed edges followed as given). */
export function componentSizes(adj: number[][], alive: boolean[]): number[] {
  const seen = new Uint8Array(adj.length);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let s = 0; s < adj.length; s++) {
    if (!alive[s] || seen[s]) continue;
    let size = 0;
    seen[s] = 1;
    stack.push(s);
    while (stack.length) {
      const v = stack.pop()!;
      size++;
      for (const w of adj[v]!) {
        if (!seen[w]) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
    sizes.push(size);
  }
  return sizes.sort((a, b) => b - a);
}

/** Nodes a flood from `source` over the live active views reaches (the source included). */
export function floodReach(adj: number[][], source: number): number {
  const seen = new Uint8Array(adj.length);
  const queue = [source];
  seen[source] = 1;
  for (let i = 0; i < queue.length; i++) {
    for (const w of adj[queue[i]!]!) {
      if (!seen[w]) {
        seen[w] = 1;
        queue.push(w);
      }
    }
  }
  return queue.length;
}

/** Flood reliability: mean and minimum fraction of live nodes reached, over `sources` random live sources. */
export function reliability(o: Overlay, sources: number, random: { next(): number }): { mean: number; min: number } {
  const adj = adjacency(o);
  const live = o.nodes.filter((n) => o.alive[n.index]).map((n) => n.index);
  let sum = 0;
  let min = 1;
  for (let k = 0; k < sources; k++) {
    const s = live[Math.floor(random.next() * live.length)]!;
    const r = floodReach(adj, s) / live.length;
    sum += r;
    if (r < min) min = r;
  }
  return { mean: sum / sources, min };
}

/** Directed active links whose reverse is missing, among live nodes. */
export function asymmetric(adj: number[][]): number {
  let count = 0;
  for (let v = 0; v < adj.length; v++) for (const w of adj[v]!) if (!adj[w]!.includes(v)) count++;
  return count;
}

/** In-degree histogram: entry d = number of live nodes that d live nodes hold in their active view. */
export function inDegreeHistogram(adj: number[][], alive: boolean[]): number[] {
  const inDeg = new Array<number>(adj.length).fill(0);
  for (const out of adj) for (const w of out) inDeg[w]!++;
  const hist: number[] = [];
  inDeg.forEach((d, v) => {
    if (!alive[v]) return;
    while (hist.length <= d) hist.push(0);
    hist[d]!++;
  });
  return hist;
}

/** Average local clustering coefficient of the undirected active overlay (nodes with degree < 2 count as 0). */
export function clusteringCoefficient(adj: number[][], alive: boolean[]): number {
  const und = adj.map((out) => new Set(out));
  adj.forEach((out, v) => out.forEach((w) => und[w]!.add(v)));
  let sum = 0;
  let n = 0;
  und.forEach((nb, v) => {
    if (!alive[v]) return;
    n++;
    const ns = [...nb];
    const k = ns.length;
    if (k < 2) return;
    let links = 0;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) if (und[ns[i]!]!.has(ns[j]!)) links++;
    sum += (2 * links) / (k * (k - 1));
  });
  return n === 0 ? 0 : sum / n;
}

/** Average shortest path over BFS from `sources` random live nodes (pairs in one component only). */
export function averageShortestPath(adj: number[][], alive: boolean[], sources: number, random: { next(): number }): number {
  const live = alive.flatMap((a, i) => (a ? [i] : []));
  const dist = new Int32Array(adj.length);
  let total = 0;
  let pairs = 0;
  for (let k = 0; k < sources; k++) {
    const s = live[Math.floor(random.next() * live.length)]!;
    dist.fill(-1);
    dist[s] = 0;
    const queue = [s];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      for (const w of adj[v]!) {
        if (dist[w] === -1) {
          dist[w] = dist[v]! + 1;
          total += dist[w]!;
          pairs++;
          queue.push(w);
        }
      }
    }
  }
  return pairs === 0 ? 0 : total / pairs;
}

/** Crash a random `fraction` of the live nodes at once; returns how many crashed. */
export function crashFraction(o: Overlay, fraction: number, random: { next(): number }, detectAfterMs: number): number {
  const live = o.nodes.filter((n) => o.alive[n.index]);
  // Exactly round(fraction × n) victims, chosen uniformly (partial Fisher–Yates).
  const k = Math.round(fraction * live.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random.next() * (live.length - i));
    [live[i], live[j]] = [live[j]!, live[i]!];
    const victim = live[i]!;
    o.alive[victim.index] = false;
    o.sim.crash(victim.id, { detectAfterMs });
  }
  return k;
}

/** Survivors whose active view is not full. */
export function shortViews(o: Overlay, size: number): number {
  let short = 0;
  for (const n of o.nodes) if (o.alive[n.index] && n.hv.activeView().length < size) short++;
  return short;
}
