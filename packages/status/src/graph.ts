/**
 * The cluster graph the page draws: nodes coloured by state, and links of the active overlay classified by the
 * broadcast tree (Plumtree's eager links form the tree, lazy links carry IHAVEs only). Positions come from
 * layout.ts; the page only draws what comes out.
 *
 * Edges: one per unordered pair that either side lists in its active view. `eager`/`lazy` when the sides that
 * report a broadcast role agree, `mixed` when they disagree (a PRUNE or GRAFT in flight), `one-way` when both
 * cards arrived but only one lists the link (HyParView links are symmetric once quiet), `link` when nobody
 * reported a role yet.
 */
import type { ClusterView } from './cluster-probe.js';
import type { Health } from './card.js';
import { layoutGraph, type LayoutInit, type Point } from './layout.js';

/** How a node is drawn: its own health, `stale` (no answer to the latest ask), `unknown` (named, never answered). */
export type NodeState = Health | 'stale' | 'unknown';

/** How a link is drawn (see the module comment). */
export type EdgeKind = 'eager' | 'lazy' | 'mixed' | 'one-way' | 'link';

/** A node of the graph. */
export interface GraphNode {
  id: string;
  state: NodeState;
  self: boolean;
  x: number;
  y: number;
}

/** A link of the graph; `a < b`. */
export interface GraphEdge {
  a: string;
  b: string;
  kind: EdgeKind;
}

/** Nodes and classified edges of a cluster view, without positions. */
export function graphOf(view: ClusterView): { nodes: Omit<GraphNode, 'x' | 'y'>[]; edges: GraphEdge[] } {
  const byId = new Map(view.members.map((m) => [m.id, m]));
  const nodes = view.members.map((m) => ({
    id: m.id,
    self: m.id === view.self,
    state: (m.card === undefined ? 'unknown' : m.fresh ? m.card.health : 'stale') as NodeState,
  }));
  const pairs = new Map<string, GraphEdge>();
  for (const m of view.members) {
    for (const peer of m.card?.active ?? []) {
      if (peer === m.id) continue;
      const [a, b] = m.id < peer ? [m.id, peer] : [peer, m.id];
      const key = JSON.stringify([a, b]);
      if (pairs.has(key)) continue;
      pairs.set(key, { a, b, kind: classify(byId.get(a)?.card, byId.get(b)?.card, a, b) });
    }
  }
  const edges = [...pairs.values()].sort((p, q) => (p.a === q.a ? cmp(p.b, q.b) : cmp(p.a, q.a)));
  return { nodes, edges };
}

interface CardLinks {
  active: readonly string[];
  eager: readonly string[];
  lazy: readonly string[];
}

function classify(ca: CardLinks | undefined, cb: CardLinks | undefined, a: string, b: string): EdgeKind {
  const aLists = ca?.active.includes(b) ?? false;
  const bLists = cb?.active.includes(a) ?? false;
  if (ca !== undefined && cb !== undefined && aLists !== bLists) return 'one-way';
  const roles = new Set<'eager' | 'lazy'>();
  const role = (c: CardLinks | undefined, peer: string): void => {
    if (c?.eager.includes(peer)) roles.add('eager');
    else if (c?.lazy.includes(peer)) roles.add('lazy');
  };
  role(ca, b);
  role(cb, a);
  if (roles.size === 2) return 'mixed';
  return roles.size === 1 ? [...roles][0]! : 'link';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The graph of a view, laid out (warm-started from `previous`). */
export function clusterGraph(view: ClusterView, init: LayoutInit = {}, previous?: ReadonlyMap<string, Point>): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const g = graphOf(view);
  const pos = layoutGraph(
    g.nodes.map((n) => n.id),
    g.edges,
    init,
    previous,
  );
  return { nodes: g.nodes.map((n) => ({ ...n, ...pos.get(n.id)! })), edges: g.edges };
}
