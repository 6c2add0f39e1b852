/**
 * Invariant checkers for simulations (design §9): replicas converged, the overlay is connected with symmetric,
 * bounded views (HyParView), and every broadcast was delivered exactly once (Plumtree). Each returns the list of
 * violations, readable, rather than throwing, so a test can assert on it and print it.
 */
import { stableStringify } from './canonical.js';

/** The outcome of a check: `ok` iff `violations` is empty. */
export interface CheckResult {
  ok: boolean;
  violations: string[];
}

function result(violations: string[]): CheckResult {
  return { ok: violations.length === 0, violations };
}

/** Something with an id that may be down (`SimNode` fits). */
export interface CheckedNode {
  readonly id: string;
  readonly alive?: boolean;
}

/**
 * All live nodes have the same canonical state. `canonical(node)` returns plain data (Maps and Sets allowed);
 * states are compared by their stable text form. Dead nodes (`alive === false`) are skipped.
 */
export function checkConverged<N extends CheckedNode>(nodes: Iterable<N>, canonical: (node: N) => unknown): CheckResult {
  const groups = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.alive === false) continue;
    const key = stableStringify(canonical(n));
    const g = groups.get(key);
    if (g) g.push(n.id);
    else groups.set(key, [n.id]);
  }
  if (groups.size <= 1) return result([]);
  const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);
  return result([
    `replicas diverge into ${groups.size} states:`,
    ...[...groups].map(([state, ids]) => `  ${ids.join(', ')}: ${clip(state)}`),
  ]);
}

/** What `checkOverlay` checks; views are read through `activeView`. */
export interface OverlayCheck {
  /** The live nodes of the overlay. */
  nodes: readonly string[];
  /** The active view of a node. */
  activeView(node: string): Iterable<string>;
  /** Minimum view size (default 1 when there are ≥ 2 nodes). */
  minSize?: number;
  /** Maximum view size (default: unbounded). */
  maxSize?: number;
  /** Require symmetric links (default true: HyParView's active views are symmetric once quiet). */
  symmetric?: boolean;
  /** Require one connected component (default true). */
  connected?: boolean;
}

/** The overlay over `nodes` is one connected component, views are symmetric, within bounds, without self or dead peers. */
export function checkOverlay(check: OverlayCheck): CheckResult & { components: number } {
  const v: string[] = [];
  const live = new Set(check.nodes);
  const min = check.minSize ?? (live.size >= 2 ? 1 : 0);
  const max = check.maxSize ?? Infinity;
  const views = new Map<string, Set<string>>();
  for (const n of check.nodes) {
    const list = [...check.activeView(n)];
    const set = new Set(list);
    if (set.size !== list.length) v.push(`${n}: duplicate entries in view [${list.join(', ')}]`);
    if (set.has(n)) v.push(`${n}: view contains itself`);
    if (set.size > max) v.push(`${n}: view size ${set.size} > max ${max}`);
    if (set.size < min) v.push(`${n}: view size ${set.size} < min ${min}`);
    for (const p of set) if (!live.has(p)) v.push(`${n}: view contains ${p}, which is not a live node`);
    views.set(n, set);
  }
  if (check.symmetric ?? true) {
    for (const [n, set] of views) {
      for (const p of set) if (live.has(p) && !views.get(p)!.has(n)) v.push(`asymmetric link: ${n} → ${p} but not ${p} → ${n}`);
    }
  }
  // Components over the undirected link graph.
  const seen = new Set<string>();
  let components = 0;
  const adj = new Map<string, Set<string>>([...live].map((n) => [n, new Set<string>()]));
  for (const [n, set] of views) for (const p of set) if (live.has(p)) {
    adj.get(n)!.add(p);
    adj.get(p)!.add(n);
  }
  const sizes: number[] = [];
  for (const start of live) {
    if (seen.has(start)) continue;
    components++;
    let size = 0;
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      const x = stack.pop()!;
      size++;
      for (const y of adj.get(x)!) if (!seen.has(y)) {
        seen.add(y);
        stack.push(y);
      }
    }
    sizes.push(size);
  }
  if ((check.connected ?? true) && components > 1) v.push(`overlay has ${components} components (sizes ${sizes.join(', ')})`);
  return { ...result(v), components };
}

/** Records deliveries to check exactly-once delivery. */
export interface DeliveryRecorder {
  /** Record that `node` delivered `messageId` to its application; false (and a violation) if it already had. */
  record(node: string, messageId: string): boolean;
  /** Times `node` delivered `messageId`. */
  count(node: string, messageId: string): number;
  /** Duplicate deliveries so far. */
  violations(): string[];
  /** Duplicates, plus every (node, message) of `expected` that was not delivered. */
  check(expected: { nodes: Iterable<string>; messages: Iterable<string> }): CheckResult;
}

/** A recorder for the exactly-once invariant (every correct node delivers every broadcast once). */
export function createDeliveryRecorder(): DeliveryRecorder {
  const counts = new Map<string, Map<string, number>>();
  const dups: string[] = [];
  return {
    record(node, messageId) {
      let m = counts.get(node);
      if (!m) counts.set(node, (m = new Map()));
      const c = (m.get(messageId) ?? 0) + 1;
      m.set(messageId, c);
      if (c > 1) dups.push(`${node} delivered ${messageId} ${c} times`);
      return c === 1;
    },
    count: (node, messageId) => counts.get(node)?.get(messageId) ?? 0,
    violations: () => [...dups],
    check(expected) {
      const v = [...dups];
      const messages = [...expected.messages];
      for (const node of expected.nodes) {
        const m = counts.get(node);
        const missing = messages.filter((id) => !m?.has(id));
        if (missing.length) v.push(`${node} never delivered ${missing.length} message(s): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
      }
      return result(v);
    },
  };
}
