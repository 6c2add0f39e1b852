/**
 * A PN-Counter (Shapiro et al., "A comprehensive study of CRDTs", 2011, §3.1.2): per writer node, the total of its
 * increments `p` and of its decrements `n`; the value is Σp − Σn. Merge takes the maximum of each component per
 * node — commutative, associative, idempotent — so a delta (the writer's new totals) and a snapshot (every
 * writer's totals) merge the same way. With only increments it is a G-Counter (§3.1.1): Maelstrom's `g-counter`
 * and `pn-counter` workloads share it.
 *
 * Totals stay safe integers: a local add that would leave them is refused, and so is a peer's entry beyond them.
 */
import type { Result } from '@rumor/replica';

/** One writer's totals: `[node, p, n]`. */
export type CounterEntry = [node: string, p: number, n: number];

/** A PN-Counter. */
export interface PnCounter {
  /** Add `delta` (any sign) as node `self`; returns the entry to gossip, or undefined when a total would leave the safe integers. */
  add(self: string, delta: number): CounterEntry | undefined;
  /** Merge entries (a delta or a snapshot); returns how many raised a total. */
  merge(entries: readonly CounterEntry[]): number;
  /** Σp − Σn. */
  value(): number;
  /** Every writer's totals. */
  entries(): CounterEntry[];
  readonly writers: number;
}

/** Create a zero counter. */
export function createPnCounter(): PnCounter {
  const totals = new Map<string, { p: number; n: number }>();
  return {
    add(self, delta) {
      const t = totals.get(self) ?? { p: 0, n: 0 };
      const p = delta > 0 ? t.p + delta : t.p;
      const n = delta < 0 ? t.n - delta : t.n;
      if (!Number.isSafeInteger(p) || !Number.isSafeInteger(n)) return undefined;
      totals.set(self, { p, n });
      return [self, p, n];
    },
    merge(entries) {
      let raised = 0;
      for (const [node, p, n] of entries) {
        const t = totals.get(node);
        if (t === undefined) {
          totals.set(node, { p, n });
          if (p > 0 || n > 0) raised++;
          continue;
        }
        if (p > t.p || n > t.n) raised++;
        t.p = Math.max(t.p, p);
        t.n = Math.max(t.n, n);
      }
      return raised;
    },
    value() {
      let v = 0;
      for (const t of totals.values()) v += t.p - t.n;
      return v;
    },
    entries: () => [...totals].map(([node, t]) => [node, t.p, t.n] as CounterEntry),
    get writers() {
      return totals.size;
    },
  };
}

/** Bounds on counter entries from a peer. */
export interface CounterLimits {
  /** Most entries (writers) in one delta or snapshot. */
  entriesMax: number;
  /** Longest writer id. */
  nodeCharsMax: number;
}

/** Defaults: 10 000 writers, 64-character ids. */
export const DEFAULT_COUNTER_LIMITS: CounterLimits = Object.freeze({ entriesMax: 10_000, nodeCharsMax: 64 });

const isTotal = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Validate a delta or snapshot from a peer: an array of `[node, p, n]` with non-negative safe integer totals. */
export function validateEntries(value: unknown, limits: CounterLimits = DEFAULT_COUNTER_LIMITS): Result<CounterEntry[]> {
  const bad = (message: string): Result<CounterEntry[]> => ({ ok: false, error: { code: 'maelstrom.bad-counter', message } });
  if (!Array.isArray(value)) return bad('counter entries are an array');
  if (value.length > limits.entriesMax) return bad(`${value.length} entries exceed ${limits.entriesMax}`);
  for (const e of value) {
    if (!Array.isArray(e) || e.length !== 3) return bad('a counter entry is [node, p, n]');
    const [node, p, n] = e as unknown[];
    if (typeof node !== 'string' || node.length === 0 || node.length > limits.nodeCharsMax) return bad('entry node must be a non-empty string id');
    if (!isTotal(p) || !isTotal(n)) return bad('entry totals must be non-negative safe integers');
  }
  return { ok: true, value: value as CounterEntry[] };
}
