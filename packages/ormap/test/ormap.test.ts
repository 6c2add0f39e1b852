import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHlc } from '@rumor/hlc';
import { createORMap, fromSnapshot, type ORMapData } from '@rumor/ormap';
import { canonical, createWorld, fresh, id, join, replica, runs } from './harness.js';

describe('createORMap', () => {
  it('puts, gets, overwrites and deletes locally', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    expect(a.map.get('k')).toBeUndefined();
    a.map.put('k', 1);
    w.advance(1);
    a.map.put('k', 2);
    expect(a.map.get('k')).toBe(2);
    expect(a.map.siblings('k')).toHaveLength(1);
    expect(a.map.has('k')).toBe(true);
    expect(a.map.size).toBe(1);
    expect(a.map.delete('k')).toBeDefined();
    expect(a.map.has('k')).toBe(false);
    expect(a.map.size).toBe(0);
    expect(a.map.delete('k')).toBeUndefined();
    expect(a.map.delete('never')).toBeUndefined();
  });

  it('keeps per-key metadata bounded by the number of writers, not writes', () => {
    const w = createWorld();
    const rs = ['a', 'b', 'c'].map((n) => replica(w, n));
    for (let i = 0; i < 300; i++) {
      const r = rs[i % 3]!;
      const d = i % 7 === 0 ? r.map.delete('k') : r.map.put('k', i);
      for (const o of rs) if (o !== r && d) o.map.merge(d);
      w.advance(1);
    }
    for (const r of rs) expect(r.map.stats().slots).toBeLessThanOrEqual(3);
  });

  it('ships a delta per mutation that reproduces the change elsewhere', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    const d1 = a.map.put('x', { v: 1 });
    expect(d1).toEqual({ writers: ['a'], entries: [['x', [0, expect.any(Number), { v: 1 }]]] });
    expect(b.map.merge(d1)).toEqual(['x']);
    expect(b.map.get('x')).toEqual({ v: 1 });
    expect(b.map.merge(d1)).toEqual([]);
    const d2 = b.map.delete('x')!;
    expect(a.map.merge(d2)).toEqual(['x']);
    expect(a.map.has('x')).toBe(false);
    expect(canonical(a.map)).toEqual(canonical(b.map));
  });

  it('ships a batch as one delta with the final state of each touched key', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    a.map.put('gone', 0);
    b.map.merge(a.map.snapshot());
    const d = a.map.batch((tx) => {
      tx.put('p', 1);
      tx.put('p', 2);
      tx.put('q', 3);
      tx.delete('gone');
    });
    expect(d.entries.map((e) => e[0]).sort()).toEqual(['gone', 'p', 'q']);
    expect(b.map.merge(d).sort()).toEqual(['gone', 'p', 'q']);
    expect([...b.map.entries()]).toEqual([
      ['p', 2],
      ['q', 3],
    ]);
  });

  it('rejects programmer errors loudly', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    expect(() => a.map.put('k', undefined)).toThrow(TypeError);
    expect(() => a.map.put(5 as unknown as string, 1)).toThrow(TypeError);
    expect(() => a.map.batch((tx) => a.map.batch(() => tx.put('x', 1)))).toThrow(/nest/);
  });
});

describe('concurrent writes', () => {
  it('keeps concurrent puts as siblings and resolves them by LWW (hlc, node id)', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    const da = a.map.put('k', 'from-a');
    const db = b.map.put('k', 'from-b'); // same wall ms: tie broken by node id
    a.map.merge(db);
    b.map.merge(da);
    expect(a.map.siblings('k').map((s) => s.value)).toEqual(['from-a', 'from-b']);
    expect(a.map.get('k')).toBe('from-b');
    expect(b.map.get('k')).toBe('from-b');
    // A write that observed both siblings supersedes both.
    w.advance(1);
    const d = a.map.put('k', 'after');
    b.map.merge(d);
    expect(b.map.siblings('k').map((s) => s.value)).toEqual(['after']);
  });

  it('lets a concurrent put win over a delete (add wins)', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    b.map.merge(a.map.put('k', 'v0'));
    w.advance(5);
    const del = a.map.delete('k')!;
    const put = b.map.put('k', 'v1');
    a.map.merge(put);
    b.map.merge(del);
    expect(a.map.get('k')).toBe('v1');
    expect(b.map.get('k')).toBe('v1');
    expect(canonical(a.map)).toEqual(canonical(b.map));
  });

  it('lets a delete remove exactly what its writer observed', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    const c = replica(w, 'c');
    const pa = a.map.put('k', 'a');
    const pb = b.map.put('k', 'b');
    c.map.merge(pa);
    const del = c.map.delete('k')!; // saw only a's write
    for (const r of [a, b, c]) for (const d of [pa, pb, del]) r.map.merge(d);
    for (const r of [a, b, c]) expect(r.map.siblings('k').map((s) => s.value)).toEqual(['b']);
  });
});

describe('resolution policies', () => {
  /** Concurrent writes of `va` by a and `vb` by b (b's clock 5 ms ahead, so b's write is later); both converge. */
  function conflict(policy: Parameters<typeof replica>[3], va: unknown, vb: unknown) {
    const w = createWorld();
    const a = replica(w, 'a', 0, policy);
    const b = replica(w, 'b', 5, policy);
    const da = a.map.put('k', va);
    const db = b.map.put('k', vb);
    a.map.merge(db);
    b.map.merge(da);
    expect(canonical(a.map)).toEqual(canonical(b.map));
    expect(a.map.siblings('k')).toHaveLength(2);
    expect(a.map.get('k')).toEqual(b.map.get('k'));
    return a.map.get('k');
  }

  it('lww picks the later hlc, fww the earlier', () => {
    expect(conflict('lww', 1, 2)).toBe(2);
    expect(conflict('fww', 1, 2)).toBe(1);
  });

  it('merge-fields merges plain objects field by field, later writer winning per field', () => {
    expect(conflict('merge-fields', { x: 1, y: 1 }, { y: 2, z: 2 })).toEqual({ x: 1, y: 2, z: 2 });
    expect(conflict('merge-fields', { x: 1 }, 7)).toBe(7);
  });

  it('all returns every sibling in (hlc, node) order; a function sees them sorted', () => {
    expect(conflict('all', 1, 2)).toEqual([1, 2]);
    expect(conflict((s) => s.map((x) => x.value as number).reduce((p, q) => p + q, 0), 1, 2)).toBe(3);
  });

  it('chooses the longest matching key prefix', () => {
    const clock = createHlc({}, { wallClock: () => 1000 });
    const m = createORMap<unknown>(
      { nodeId: id('a'), policy: 'lww', policies: { 'c/': () => 'short', 'c/long/': () => 'long' } },
      { clock },
    );
    m.put('c/x', 1);
    m.put('c/long/x', 1);
    m.put('d', 1);
    expect([m.get('c/x'), m.get('c/long/x'), m.get('d')]).toEqual(['short', 'long', 1]);
  });
});

describe('iteration and scan', () => {
  it('iterates live keys in key order and scans by prefix with after and limit', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const keys = ['b/2', 'a', 'b/1', 'b/3', 'c', 'b/10', 'b'];
    for (const k of keys) a.map.put(k, k);
    a.map.delete('b/3');
    expect([...a.map.keys()]).toEqual(['a', 'b', 'b/1', 'b/10', 'b/2', 'c']);
    expect(a.map.scan('b/').map(([k]) => k)).toEqual(['b/1', 'b/10', 'b/2']);
    expect(a.map.scan('b/', { after: 'b/1', limit: 1 })).toEqual([['b/10', 'b/10']]);
    expect(a.map.scan('b/', { after: 'a' })).toHaveLength(3);
    expect(a.map.scan('b/', { limit: 0 })).toEqual([]);
    expect(a.map.scan('zz')).toEqual([]);
  });

  it('keeps keys in order whatever the insertion order (ascending runs append, others are placed)', () => {
    const ops = fc.array(
      fc.oneof(
        fc.record({ put: fc.nat(3000) }),
        fc.record({ run: fc.nat(3000), length: fc.integer({ min: 1, max: 700 }) }),
        fc.record({ del: fc.nat(3000) }),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(ops, (list) => {
        const w = createWorld();
        const a = replica(w, 'a');
        const model = new Set<string>();
        const k = (n: number) => `k${String(n).padStart(5, '0')}`;
        for (const op of list) {
          if ('put' in op) {
            a.map.put(k(op.put), 1);
            model.add(k(op.put));
          } else if ('run' in op) {
            for (let i = op.run; i < op.run + op.length; i++) {
              a.map.put(k(i), 1);
              model.add(k(i));
            }
          } else {
            a.map.delete(k(op.del));
            model.delete(k(op.del));
          }
        }
        expect([...a.map.keys()]).toEqual([...model].sort());
        expect(a.map.scan('k0', { limit: 3 }).map(([key]) => key)).toEqual([...model].sort().filter((x) => x.startsWith('k0')).slice(0, 3));
      }),
      { numRuns: runs(60) },
    );
  });

  it('scans a large map in order and tolerates deletes while iterating', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const n = 5000;
    for (let i = 0; i < n; i++) a.map.put(`k${(i * 7919) % n}`, i);
    const all = [...a.map.keys()];
    expect(all).toEqual([...all].sort());
    expect(all).toHaveLength(n);
    for (const k of a.map.keys()) if (k.endsWith('1')) a.map.delete(k);
    expect([...a.map.keys()]).toEqual(all.filter((k) => !k.endsWith('1')));
  });
});

describe('snapshot / fromSnapshot', () => {
  it('round-trips through JSON into an equal state', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    a.map.put('x', 1);
    b.map.put('x', 2);
    b.map.put('y', [1, 2]);
    a.map.merge(b.map.snapshot());
    a.map.delete('y');
    a.map.collect(new Map([[id('b'), b.clock.last().wallMs * 1024]]));
    const snap = JSON.parse(JSON.stringify(a.map.snapshot())) as ORMapData<unknown>;
    const c = fromSnapshot(snap, { nodeId: id('c') }, { clock: createHlc({}, { wallClock: () => 0 }) });
    expect(canonical(c)).toEqual(canonical(a.map));
    expect(c.digest()).toEqual(a.map.digest());
  });

  it('raises the clock above own dots found in a snapshot (restart without a persisted clock)', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    a.map.put('k', 'old');
    const snap = a.map.snapshot();
    w.advance(-10_000); // restarted with the wall clock behind
    const restarted = fromSnapshot(snap, { nodeId: id('a') }, { clock: createHlc({}, { wallClock: () => w.now() }) });
    const d = restarted.put('k', 'new');
    const other = fresh(snap);
    other.merge(d);
    expect(other.get('k')).toBe('new');
  });
});

describe('join', () => {
  it('is the same whether states or deltas are merged', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    const deltas = [a.map.put('x', 1), b.map.put('x', 2), a.map.put('y', 3)];
    const viaDeltas = fresh();
    for (const d of deltas) viaDeltas.merge(d);
    expect(canonical(viaDeltas)).toEqual(canonical(join(a.map, b.map)));
  });
});

describe('collect', () => {
  function deletedAndCollected() {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    const put = a.map.put('k', 'v');
    b.map.merge(put);
    w.advance(10);
    const del = b.map.delete('k')!;
    a.map.merge(del);
    const stable = new Map([
      [a.id, a.clock.pack()],
      [b.id, b.clock.pack()],
    ]);
    expect(a.map.collect(stable)).toEqual({ slots: 2, keys: 1 });
    expect(b.map.collect(stable)).toEqual({ slots: 2, keys: 1 });
    return { w, a, b, put, del };
  }

  it('drops a tombstone everyone has seen, and a replayed older write stays deleted', () => {
    const { a, b, put, del } = deletedAndCollected();
    expect(a.map.stats()).toMatchObject({ keys: 0, slots: 0 });
    for (let i = 0; i < 3; i++) {
      expect(a.map.merge(put)).toEqual([]);
      expect(a.map.merge(del)).toEqual([]);
    }
    expect(a.map.has('k')).toBe(false);
    // A fresh replica that got the old write first, then a's state: the write dies there too.
    const late = fresh(put);
    expect(late.get('k')).toBe('v');
    expect(late.merge(a.map.snapshot())).toEqual(['k']);
    expect(late.has('k')).toBe(false);
    expect(canonical(late)).toEqual(canonical(b.map));
  });

  it('lets a new write after collection live', () => {
    const { w, a, b } = deletedAndCollected();
    w.advance(1);
    b.map.merge(a.map.put('k', 'again'));
    expect(b.map.get('k')).toBe('again');
  });

  it('TTL: dots older than the TTL are final; a write that arrives later than that is dropped, never half-applied', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    const b = replica(w, 'b');
    const old = a.map.put('k', 'old');
    b.map.merge(old);
    w.advance(10);
    const del = b.map.delete('k')!;
    w.advance(1000);
    const stranded = a.map.put('x', 'stranded'); // never reaches b before b's TTL collection
    w.advance(1000);
    expect(b.map.collectExpired(w.now(), 500)).toEqual({ slots: 2, keys: 1 });
    expect(b.map.merge(old)).toEqual([]); // replayed: stays deleted
    expect(b.map.merge(stranded)).toEqual([]); // older than the floor and unknown here: dropped
    a.map.merge(del);
    a.map.merge(b.map.snapshot()); // a learns b's floor: the stranded write dies at its writer too
    expect(a.map.has('x')).toBe(false);
    expect(canonical(a.map)).toEqual(canonical(b.map));
  });

  it('does nothing for an empty or lower stable context and rejects a bad one', () => {
    const { a } = deletedAndCollected();
    expect(a.map.collect({})).toEqual({ slots: 0, keys: 0 });
    expect(a.map.collect({ a: 1 })).toEqual({ slots: 0, keys: 0 });
    expect(() => a.map.collect({ a: -1 })).toThrow(RangeError);
    expect(() => a.map.collectExpired(0, 0)).toThrow(RangeError);
  });
});

describe('digest', () => {
  it('has a constant size whatever the state size', () => {
    const w = createWorld();
    const a = replica(w, 'a');
    for (const n of [0, 10, 1000, 20_000]) {
      while (a.map.size < n) a.map.put(`k${a.map.size}`, a.map.size);
      const d = a.map.digest();
      expect(Object.keys(d).sort()).toEqual(['count', 'hash', 'horizon']);
      expect([d.hash.length, d.horizon.length, d.count]).toEqual([16, 16, n]);
    }
  });

  it('finds one differing key among 20 000 with few node summaries', async () => {
    const { reconcile } = await import('./harness.js');
    const w = createWorld();
    const a = replica(w, 'a');
    for (let i = 0; i < 20_000; i++) a.map.put(`k${i}`, i);
    const b = fresh(a.map.snapshot());
    expect(reconcile(a.map, b)).toMatchObject({ keys: [], nodes: 1 });
    w.advance(1);
    a.map.put('k777', 'changed');
    const r = reconcile(a.map, b);
    expect(r.keys).toEqual(['k777']);
    expect(r.nodes).toBeLessThanOrEqual(16 * 4 + 1);
  });
});
