/**
 * A user's own replicated state: a PN-counter (Shapiro et al., "A comprehensive study of CRDTs", §3.1.3). Each node
 * counts its own increments and decrements; the value is the sum over nodes; merge is the pointwise max — a join,
 * so replicas converge whatever the network drops, duplicates or reorders.
 */

/** Per node: total increments and decrements issued by that node. */
export type PNCounter = Map<string, { p: number; n: number }>;

/** What a node broadcasts after a local change: its own totals (idempotent, unlike "+1"). */
export type PNDelta = { node: string; p: number; n: number };

/** An operation: add `by` (negative: subtract). */
export type PNOp = { by: number };

/** A local change on `node`; returns the delta to broadcast. */
export function applyOp(state: PNCounter, node: string, op: PNOp): PNDelta {
  const mine = state.get(node) ?? { p: 0, n: 0 };
  const next = op.by >= 0 ? { p: mine.p + op.by, n: mine.n } : { p: mine.p, n: mine.n - op.by };
  state.set(node, next);
  return { node, ...next };
}

/** Merge one node's totals: pointwise max. */
export function mergeDelta(state: PNCounter, d: PNDelta): void {
  const mine = state.get(d.node) ?? { p: 0, n: 0 };
  state.set(d.node, { p: Math.max(mine.p, d.p), n: Math.max(mine.n, d.n) });
}

/** The counter's value. */
export function value(state: PNCounter): number {
  let v = 0;
  for (const { p, n } of state.values()) v += p - n;
  return v;
}
