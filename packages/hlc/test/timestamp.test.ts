import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compare, decode, encode, pack, unpack, validate, LOGICAL_MAX, WALL_MAX_MS, PACKED_MAX } from '@rumor/hlc';

const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.RUNS_SCALE ?? 1)));
const tsArb = fc.record({ wallMs: fc.integer({ min: 0, max: WALL_MAX_MS }), logical: fc.integer({ min: 0, max: LOGICAL_MAX }) });

describe('compare', () => {
  it('is a total order (antisymmetric, transitive, total, reflexive)', () => {
    fc.assert(
      fc.property(tsArb, tsArb, tsArb, (a, b, c) => {
        expect(compare(a, a)).toBe(0);
        expect(compare(a, b)).toBe(-compare(b, a) || 0);
        if (compare(a, b) === 0) expect(a).toEqual(b);
        if (compare(a, b) <= 0 && compare(b, c) <= 0) expect(compare(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('pack / unpack', () => {
  it('is an order-preserving bijection onto safe integers', () => {
    fc.assert(
      fc.property(tsArb, tsArb, (a, b) => {
        expect(unpack(pack(a))).toEqual({ ok: true, value: a });
        expect(Math.sign(pack(a) - pack(b))).toBe(compare(a, b));
        expect(Number.isSafeInteger(pack(a))).toBe(true);
      }),
      { numRuns: runs(500) },
    );
    expect(PACKED_MAX).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects anything that is not a packed timestamp without throwing', () => {
    for (const bad of [-1, 1.5, PACKED_MAX + 1, Number.NaN, '5', null, 2 ** 60]) {
      expect(unpack(bad)).toMatchObject({ ok: false, error: { code: 'hlc.malformed' } });
    }
    fc.assert(
      fc.property(fc.anything(), (x) => {
        expect(typeof unpack(x).ok).toBe('boolean');
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('encode / decode', () => {
  it('round-trips and sorts like the timestamps', () => {
    fc.assert(
      fc.property(tsArb, tsArb, (a, b) => {
        expect(decode(encode(a))).toEqual({ ok: true, value: a });
        const sa = encode(a);
        const sb = encode(b);
        expect(Math.sign(sa < sb ? -1 : sa > sb ? 1 : 0)).toBe(compare(a, b));
      }),
      { numRuns: runs(500) },
    );
  });

  it('never throws on arbitrary input and rejects malformed strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[0-9a-z]{11}$/)), (x) => {
        const r = decode(x);
        if (r.ok) expect(encode(r.value)).toBe(x);
        else expect(r.error.code).toBe('hlc.malformed');
      }),
      { numRuns: runs(500) },
    );
    for (const bad of ['', 'zzzzzzzzzzz', '0000000000A', '00000000000 ', 7]) expect(decode(bad).ok).toBe(false);
  });
});

describe('validate', () => {
  it('accepts exactly the in-range integer timestamps', () => {
    fc.assert(
      fc.property(tsArb, (a) => {
        expect(validate(a)).toEqual({ ok: true, value: a });
      }),
      { numRuns: runs(200) },
    );
    expect(validate({ wallMs: 1, logical: 1024 }).ok).toBe(false);
  });
});
