import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, NOT_WIRE, utf8Length, wireSize } from '@rumor/crdt-wire';
import { runs, wireValue } from './arbitraries.js';

/** -0 crosses the wire as 0 (msgpack integers have no sign of zero); compare modulo that. */
const noNegZero = (v: unknown): unknown =>
  typeof v === 'number' && Object.is(v, -0)
    ? 0
    : Array.isArray(v)
      ? v.map(noNegZero)
      : v !== null && typeof v === 'object' && !(v instanceof Uint8Array)
        ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, noNegZero(x)]))
        : v;

describe('wireSize', () => {
  it('equals the encoded length of every wire value', () => {
    fc.assert(
      fc.property(wireValue(), (v) => {
        const bytes = encode(v);
        expect(bytes.ok).toBe(true);
        if (bytes.ok) expect(wireSize(v, Infinity, 64)).toBe(bytes.value.length);
      }),
      { numRuns: runs(500) },
    );
  });

  it('admits only values that cross the wire unchanged', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true }), (v) => {
        const size = wireSize(v, Infinity, 64);
        if (size === NOT_WIRE) return;
        const bytes = encode(v);
        expect(bytes.ok).toBe(true);
        if (!bytes.ok) return;
        expect(bytes.value.length).toBe(size);
        const back = decode(bytes.value);
        expect(back.ok && noNegZero(back.value)).toEqual(noNegZero(v));
      }),
      { numRuns: runs(500) },
    );
  });

  it('refuses what is not a wire value', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const v of [undefined, 1n, Symbol('s'), () => 1, new Date(0), new Map(), new Set(), new Int32Array(2), [undefined], 'a\udc00', { ['b\ud800']: 1 }, cyclic, JSON.parse('{"__proto__": 1}')]) {
      expect(wireSize(v, Infinity, 64)).toBe(NOT_WIRE);
    }
  });

  it('stops early past the budget', () => {
    expect(wireSize('x'.repeat(1000), 10, 64)).toBeGreaterThan(10);
    expect(wireSize(new Array(1_000_000).fill('abc'), 100, 64)).toBeLessThan(200);
  });
});

describe('utf8Length', () => {
  it('equals the UTF-8 length of well-formed strings and is -1 for lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        const wellFormed = !/\p{Surrogate}/u.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
        expect(utf8Length(s)).toBe(wellFormed ? new TextEncoder().encode(s).length : -1);
      }),
      { numRuns: runs(500) },
    );
  });
});
