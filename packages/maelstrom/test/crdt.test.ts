import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createGSet, validateValues, isJsonValue } from '../src/gset.js';
import { createPnCounter, validateEntries, type CounterEntry } from '../src/pn-counter.js';

const values = fc.array(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom('a', 'b', null, true), fc.array(fc.nat(3), { maxLength: 2 })), { maxLength: 12 });
const setOf = (...deltas: unknown[][]) => {
  const s = createGSet();
  for (const d of deltas) s.merge(d);
  return new Set(s.values().map((v) => JSON.stringify(v)));
};

describe('createGSet', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        expect(setOf(a, b)).toEqual(setOf(b, a));
        expect(setOf(a, b, c)).toEqual(setOf(c, b, a));
        expect(setOf(a, a, b, b)).toEqual(setOf(a, b));
      }),
    );
  });

  it('add reports only new values; values keep insertion order', () => {
    const s = createGSet();
    expect([s.add(3), s.add('x'), s.add(3)]).toEqual([true, true, false]);
    expect(s.merge([3, 4, 'x', 5])).toBe(2);
    expect(s.values()).toEqual([3, 'x', 4, 5]);
    expect(s.size).toBe(4);
  });
});

describe('validateValues', () => {
  it('accepts arrays of bounded JSON values and refuses everything else', () => {
    expect(validateValues([1, 'a', null, { x: [1] }]).ok).toBe(true);
    for (const bad of [5, 'x', null, {}, [new Uint8Array(2)], [Number.NaN], [Infinity], [undefined], [() => 1], [new Map()]]) expect(validateValues(bad).ok).toBe(false);
    expect(validateValues([1, 2, 3], { valuesMax: 2, depthMax: 4, valueCharsMax: 100 }).ok).toBe(false);
    expect(isJsonValue([[[[1]]]], 3)).toBe(false);
    expect(isJsonValue([[[1]]], 3)).toBe(true);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (v) => void validateValues(v)));
  });
});

const entries = fc.array(fc.tuple(fc.constantFrom('n1', 'n2', 'n3'), fc.nat(1000), fc.nat(1000)), { maxLength: 6 }) as fc.Arbitrary<CounterEntry[]>;
const counterOf = (...deltas: CounterEntry[][]) => {
  const c = createPnCounter();
  for (const d of deltas) c.merge(d);
  return { value: c.value(), entries: c.entries().sort((x, y) => x[0].localeCompare(y[0])) };
};

describe('createPnCounter', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(entries, entries, entries, (a, b, c) => {
        expect(counterOf(a, b)).toEqual(counterOf(b, a));
        expect(counterOf(a, b, c)).toEqual(counterOf(c, a, b));
        expect(counterOf(a, b, a, b)).toEqual(counterOf(a, b));
      }),
    );
  });

  it('the value of replicas that exchanged their entries is the sum of every add', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('n1', 'n2', 'n3'), fc.integer({ min: -50, max: 50 })), { maxLength: 30 }), (adds) => {
        const replicas = new Map(['n1', 'n2', 'n3'].map((id) => [id, createPnCounter()]));
        for (const [node, delta] of adds) replicas.get(node)!.add(node, delta);
        const merged = createPnCounter();
        for (const r of replicas.values()) merged.merge(r.entries());
        expect(merged.value()).toBe(adds.reduce((s, [, d]) => s + d, 0));
      }),
    );
  });

  it('refuses a local add that would leave the safe integers', () => {
    const c = createPnCounter();
    expect(c.add('n1', Number.MAX_SAFE_INTEGER)).toBeDefined();
    expect(c.add('n1', 1)).toBeUndefined();
    expect(c.value()).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('validateEntries', () => {
  it('accepts [node, p, n] with non-negative safe integers only', () => {
    expect(validateEntries([['n1', 1, 0]]).ok).toBe(true);
    for (const bad of [{}, [['n1', -1, 0]], [['n1', 1.5, 0]], [['', 1, 0]], [[1, 1, 0]], [['n1', 1]], [['n1', 2 ** 60, 0]]]) expect(validateEntries(bad).ok).toBe(false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (v) => void validateEntries(v)));
  });
});
