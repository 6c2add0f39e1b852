import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sameValue } from '../src/same-value.js';

describe('sameValue', () => {
  it('is structural equality, independent of object key order', () => {
    expect(sameValue({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue([1, 2], [1, 2, 3])).toBe(false);
    expect(sameValue(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(sameValue(new Uint8Array([1, 2]), [1, 2])).toBe(false);
    expect(sameValue(null, undefined)).toBe(false);
    expect(sameValue('1', 1)).toBe(false);
  });

  it('agrees with equality of JSON encodings for JSON values with sorted keys (property)', () => {
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)])) : v;
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(sameValue(a, b)).toBe(JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b)));
        expect(sameValue(a, structuredClone(a))).toBe(true);
      }),
    );
  });
});
