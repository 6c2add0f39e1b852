import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkConverged, checkOverlay, createDeliveryRecorder, stableStringify } from '../src/index.js';

describe('checkConverged', () => {
  it('passes equal states (Maps and Sets in any order), skips dead nodes, reports divergence', () => {
    const nodes = [
      { id: 'a', s: new Set([1, 2]) },
      { id: 'b', s: new Set([2, 1]) },
      { id: 'c', s: new Set([3]), alive: false },
    ];
    expect(checkConverged(nodes, (n) => n.s)).toEqual({ ok: true, violations: [] });
    const bad = checkConverged([...nodes, { id: 'd', s: new Set([9]) }], (n) => n.s);
    expect(bad.ok).toBe(false);
    expect(bad.violations.join('\n')).toContain('d: Set{9}');
  });
});

describe('stableStringify', () => {
  it('is insensitive to key and insertion order, sensitive to content', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (d) => {
        const reversed = Object.fromEntries(Object.entries(d).reverse());
        expect(stableStringify(reversed)).toBe(stableStringify(d));
        expect(stableStringify(new Map(Object.entries(d).reverse()))).toBe(stableStringify(new Map(Object.entries(d))));
        expect(stableStringify({ ...d, ['\u0000extra']: 1 })).not.toBe(stableStringify(d));
      }),
    );
  });
});

describe('checkOverlay', () => {
  const views: Record<string, string[]> = { a: ['b'], b: ['a', 'c'], c: ['b'] };
  it('accepts a connected, symmetric, bounded overlay', () => {
    expect(checkOverlay({ nodes: ['a', 'b', 'c'], activeView: (n) => views[n]!, maxSize: 2 })).toMatchObject({ ok: true, components: 1 });
  });
  it('reports asymmetry, self, bounds, dead peers and partitions', () => {
    const r = checkOverlay({
      nodes: ['a', 'b', 'c', 'd', 'e'],
      activeView: (n) => ({ a: ['b', 'a'], b: ['c', 'x'], c: ['b'], d: ['e'], e: ['d'] })[n]!,
      maxSize: 1,
    });
    expect(r.ok).toBe(false);
    expect(r.components).toBe(2);
    const text = r.violations.join('\n');
    for (const s of ['a: view contains itself', 'a: view size 2 > max 1', 'b: view contains x', 'asymmetric link: a → b', 'overlay has 2 components']) {
      expect(text).toContain(s);
    }
  });
});

describe('createDeliveryRecorder', () => {
  it('flags duplicates and missing deliveries', () => {
    const r = createDeliveryRecorder();
    expect(r.record('a', 'm1')).toBe(true);
    expect(r.record('a', 'm1')).toBe(false);
    r.record('b', 'm1');
    expect(r.violations()).toEqual(['a delivered m1 2 times']);
    const c = r.check({ nodes: ['a', 'b'], messages: ['m1', 'm2'] });
    expect(c.ok).toBe(false);
    expect(c.violations).toEqual(['a delivered m1 2 times', 'a never delivered 1 message(s): m2', 'b never delivered 1 message(s): m2']);
    const ok = createDeliveryRecorder();
    ok.record('a', 'm');
    expect(ok.check({ nodes: ['a'], messages: ['m'] }).ok).toBe(true);
  });
});
