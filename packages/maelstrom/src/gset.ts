/**
 * A grow-only set (G-Set, Shapiro et al., "A comprehensive study of CRDTs", 2011, §3.3.1) of JSON values: the state
 * of Maelstrom's `broadcast` and `g-set` workloads. Merge is set union — commutative, associative, idempotent — so
 * deltas (the values one write or one batch added) and full snapshots (every value) merge the same way.
 *
 * Values are identified by their JSON text, so `1` and `1.0` are one element and two objects with the same fields
 * in another order are two. Everything from a peer passes `validateValues` first (bounded count, depth and size,
 * JSON values only).
 */
import type { Result } from '@rumor/replica';

/** A grow-only set of JSON values. */
export interface GSet {
  /** Add one value; true when it was new. */
  add(value: unknown): boolean;
  has(value: unknown): boolean;
  /** Merge values (a delta or a snapshot); returns how many were new. */
  merge(values: readonly unknown[]): number;
  /** Every value, in insertion order. */
  values(): unknown[];
  readonly size: number;
}

/** Create an empty G-Set. */
export function createGSet(): GSet {
  const byKey = new Map<string, unknown>();
  const add = (value: unknown): boolean => {
    const key = JSON.stringify(value);
    if (byKey.has(key)) return false;
    byKey.set(key, value);
    return true;
  };
  return {
    add,
    has: (value) => byKey.has(JSON.stringify(value)),
    merge(values) {
      let added = 0;
      for (const v of values) if (add(v)) added++;
      return added;
    },
    values: () => [...byKey.values()],
    get size() {
      return byKey.size;
    },
  };
}

/** Bounds on a set delta or snapshot from a peer. */
export interface GSetLimits {
  /** Most values in one delta or snapshot. */
  valuesMax: number;
  /** Deepest nesting inside one value (a scalar is 0). */
  depthMax: number;
  /** Largest JSON text of one value, in characters. */
  valueCharsMax: number;
}

/** Defaults: 10⁷ values, depth 16, 64 KiB per value. */
export const DEFAULT_GSET_LIMITS: GSetLimits = Object.freeze({ valuesMax: 10_000_000, depthMax: 16, valueCharsMax: 65_536 });

/** Whether `value` is plain JSON data (finite numbers, strings, booleans, null, arrays, plain objects) within `depthMax`. */
export function isJsonValue(value: unknown, depthMax: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (depthMax <= 0 || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depthMax - 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
  return Object.values(value as Record<string, unknown>).every((v) => isJsonValue(v, depthMax - 1));
}

/** Validate a delta or snapshot from a peer: an array of bounded JSON values. */
export function validateValues(value: unknown, limits: GSetLimits = DEFAULT_GSET_LIMITS): Result<unknown[]> {
  const bad = (message: string): Result<unknown[]> => ({ ok: false, error: { code: 'maelstrom.bad-set', message } });
  if (!Array.isArray(value)) return bad('a set delta is an array of values');
  if (value.length > limits.valuesMax) return bad(`${value.length} values exceed ${limits.valuesMax}`);
  for (const v of value) {
    if (!isJsonValue(v, limits.depthMax)) return bad('a set value must be JSON data within the depth bound');
    if (typeof v === 'object' && v !== null && JSON.stringify(v).length > limits.valueCharsMax) return bad(`a set value exceeds ${limits.valueCharsMax} characters`);
  }
  return { ok: true, value };
}
