/**
 * Resolution policies (design §4 "Resolution"): a deterministic function from a key's converged sibling set to one
 * value. Siblings reach a policy sorted by (hlc, node id) ascending, so any function of that list converges when the
 * sibling sets do. Chosen per map, or per key prefix (the longest matching prefix wins).
 */
import type { Sibling } from './types.js';

/** A user resolution function: gets the siblings sorted by (hlc, node id) ascending, at least one. */
export type ResolveFn<V> = (siblings: readonly Sibling<V>[]) => V;

/**
 * How siblings resolve to the value `get` returns:
 * - `lww` last writer wins by (hlc, node id) — the default;
 * - `fww` first writer wins by (hlc, node id);
 * - `merge-fields` plain objects merge field by field, later (hlc, node id) winning per field; any non-object sibling
 *   falls back to `lww`;
 * - `all` the array of sibling values in (hlc, node id) order;
 * - a function of the sorted siblings.
 */
export type ResolutionPolicy<V> = 'lww' | 'fww' | 'merge-fields' | 'all' | ResolveFn<V>;

/** Order of siblings: hlc, then node id. */
export function compareSiblings<V>(a: Sibling<V>, b: Sibling<V>): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Resolve sorted siblings (at least one) under a policy. */
export function resolve<V>(policy: ResolutionPolicy<V>, sorted: readonly Sibling<V>[]): V {
  switch (policy) {
    case 'lww':
      return sorted[sorted.length - 1]!.value;
    case 'fww':
      return sorted[0]!.value;
    case 'all':
      return sorted.map((s) => s.value) as V;
    case 'merge-fields': {
      if (!sorted.every((s) => isPlainObject(s.value))) return sorted[sorted.length - 1]!.value;
      const out: Record<string, unknown> = {};
      for (const s of sorted) Object.assign(out, s.value);
      return out as V;
    }
    default:
      return policy(sorted);
  }
}

/** Picks the policy of a key: the longest matching prefix, else the map's default. */
export interface PolicyTable<V> {
  policyFor(key: string): ResolutionPolicy<V>;
}

/** Build a policy table from a default and per-prefix overrides. */
export function createPolicyTable<V>(
  fallback: ResolutionPolicy<V>,
  byPrefix: Readonly<Record<string, ResolutionPolicy<V>>> = {},
): PolicyTable<V> {
  const prefixes = Object.keys(byPrefix).sort((a, b) => b.length - a.length);
  return {
    policyFor(key) {
      for (const p of prefixes) if (key.startsWith(p)) return byPrefix[p]!;
      return fallback;
    },
  };
}
