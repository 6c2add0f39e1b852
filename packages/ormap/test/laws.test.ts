// Property tests of the CRDT laws and the replication invariants (issue 2, "packages/ormap").
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonical, differingKeys, fresh, join, liveDots, reconcile, runHistory, runs, stableContext, type History, type Op } from './harness.js';

const KEYS = ['a', 'b', 'c', 'd'];

function opArb(opts: { collect: boolean; ttl: boolean; sync: boolean }): fc.Arbitrary<Op> {
  const arbs: fc.Arbitrary<Op>[] = [
    fc.record({ k: fc.constant('put' as const), n: fc.nat(7), key: fc.constantFrom(...KEYS), v: fc.nat(1000) }),
    fc.record({ k: fc.constant('put' as const), n: fc.nat(7), key: fc.constantFrom(...KEYS), v: fc.nat(1000) }),
    fc.record({ k: fc.constant('del' as const), n: fc.nat(7), key: fc.constantFrom(...KEYS) }),
    fc.record({ k: fc.constant('deliver' as const), to: fc.nat(7), pick: fc.nat(1000) }),
    fc.record({ k: fc.constant('deliver' as const), to: fc.nat(7), pick: fc.nat(1000) }),
    fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: -20, max: 40 }) }),
  ];
  if (opts.sync) arbs.push(fc.record({ k: fc.constant('sync' as const), from: fc.nat(7), to: fc.nat(7) }));
  if (opts.collect) arbs.push(fc.record({ k: fc.constant('sync' as const), from: fc.nat(7), to: fc.nat(7) }));
  if (opts.collect) arbs.push(fc.record({ k: fc.constant('collect' as const), n: fc.nat(7) }));
  if (opts.ttl) arbs.push(fc.record({ k: fc.constant('ttl' as const), n: fc.nat(7), ttlMs: fc.integer({ min: 1, max: 200 }) }));
  return fc.oneof(...arbs);
}

const skewsArb = fc.array(fc.integer({ min: -30, max: 30 }), { minLength: 1, maxLength: 5 });
const nodesArb = fc.integer({ min: 2, max: 5 });
const historyArb = (opts: { collect: boolean; ttl: boolean; sync: boolean }, maxLength = 60) =>
  fc.tuple(nodesArb, skewsArb, fc.array(opArb(opts), { minLength: 1, maxLength, size: 'max' }));

/** Bring every replica to the same state: every delta everywhere (given order), then full syncs around a ring twice. */
function settleAll(h: History, order: readonly number[]): void {
  if (h.deltas.length > 0) for (const r of h.replicas) for (const i of order) r.map.merge(h.deltas[i % h.deltas.length]!);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < h.replicas.length; i++) h.replicas[(i + 1) % h.replicas.length]!.map.merge(h.replicas[i]!.map.snapshot());
  }
}

describe('merge', () => {
  it('is commutative, associative and idempotent on the full state (contexts, tombstones, horizon)', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: true, sync: true }), ([nodes, skews, ops]) => {
        const h = runHistory(Math.max(3, nodes), skews, ops);
        const [a, b, c] = h.replicas.map((r) => r.map) as [ReturnType<typeof fresh>, ReturnType<typeof fresh>, ReturnType<typeof fresh>];
        expect(canonical(join(a, b))).toEqual(canonical(join(b, a)));
        expect(canonical(join(join(a, b), c))).toEqual(canonical(join(a, join(b, c))));
        expect(canonical(join(a, a))).toEqual(canonical(a));
        const ab = join(a, b);
        expect(canonical(join(ab, b))).toEqual(canonical(ab));
      }),
      { numRuns: runs(300) },
    );
  });

  it('converges from any delivery order of deltas with duplicates to the join of the full states', () => {
    fc.assert(
      fc.property(historyArb({ collect: false, ttl: false, sync: false }), fc.array(fc.nat(10_000), { maxLength: 80 }), ([nodes, skews, ops], extra) => {
        const h = runHistory(nodes, skews, ops);
        const full = h.replicas.map((r) => r.map).reduce((x, y) => join(x, y), fresh());
        // every delta at least once, in a shuffled order, plus duplicates
        const order = [...h.deltas.keys(), ...extra].sort((x, y) => ((x * 7919) % 101) - ((y * 7919) % 101));
        for (const r of h.replicas) {
          for (const i of order) r.map.merge(h.deltas[i % Math.max(1, h.deltas.length)] ?? { writers: [], entries: [] });
          expect(canonical(r.map)).toEqual(canonical(full));
        }
      }),
      { numRuns: runs(300) },
    );
  });

  it('converges after any history with collection and TTL once everything is delivered and synced', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: true, sync: true }), fc.array(fc.nat(10_000), { maxLength: 40 }), ([nodes, skews, ops], extra) => {
        const h = runHistory(nodes, skews, ops);
        settleAll(h, [...h.deltas.keys(), ...extra]);
        const first = canonical(h.replicas[0]!.map);
        for (const r of h.replicas) {
          expect(canonical(r.map)).toEqual(first);
          expect(r.map.digest()).toEqual(h.replicas[0]!.map.digest());
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('collection', () => {
  it('never resurrects: a dot that left a replica\u2019s live set never returns, whatever is replayed', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: true, sync: true }, 80), ([nodes, skews, ops]) => {
        const everLive = new Map<number, Set<string>>();
        const gone = new Map<number, Set<string>>();
        const minted = new Set<string>();
        const check = (h: History) => {
          for (const d of h.minted) minted.add(`${d.key}:${d.node}@${d.hlc}`);
          h.replicas.forEach((r, i) => {
            const live = liveDots(r.map);
            const ever = everLive.get(i) ?? new Set<string>();
            const out = gone.get(i) ?? new Set<string>();
            for (const d of live) {
              expect(out.has(d), `resurrected ${d} at replica ${i}`).toBe(false);
              expect(minted.has(d), `invented ${d}`).toBe(true);
              ever.add(d);
            }
            for (const d of ever) if (!live.has(d)) out.add(d);
            everLive.set(i, ever);
            gone.set(i, out);
          });
        };
        const h = runHistory(nodes, skews, ops, check);
        // Replay everything ever produced, twice, then full states: still nothing comes back.
        for (let round = 0; round < 2; round++) {
          for (const r of h.replicas) for (const d of h.deltas) r.map.merge(d);
          check(h);
        }
        settleAll(h, [...h.deltas.keys()]);
        check(h);
      }),
      { numRuns: runs(300) },
    );
  });

  it('with a causally stable context drops tombstones and loses no live write', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: false, sync: true }), ([nodes, skews, ops]) => {
        const h = runHistory(nodes, skews, ops);
        settleAll(h, [...h.deltas.keys()]);
        const before = canonical(h.replicas[0]!.map).entries.filter(([, s]) => s.some((x) => x[2] === 'live'));
        const stable = stableContext(h);
        for (const r of h.replicas) r.map.collect(stable);
        for (const r of h.replicas) {
          const c = canonical(r.map);
          // every live sibling survives; no dead slot at or below the stable context remains
          expect(c.entries.filter(([, s]) => s.some((x) => x[2] === 'live')).map(([k, s]) => [k, s.filter((x) => x[2] === 'live')])).toEqual(
            before.map(([k, s]) => [k, s.filter((x) => x[2] === 'live')]),
          );
          for (const [, s] of c.entries) for (const x of s) if (x[2] === 'dead') expect(x[1]).toBeGreaterThan(stable.get(x[0]) ?? 0);
        }
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('snapshot', () => {
  it('fromSnapshot(snapshot()) is the identity on the full state', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: true, sync: true }), ([nodes, skews, ops]) => {
        const h = runHistory(nodes, skews, ops);
        for (const r of h.replicas) {
          const copy = fresh(JSON.parse(JSON.stringify(r.map.snapshot())));
          expect(canonical(copy)).toEqual(canonical(r.map));
          expect(copy.digest()).toEqual(r.map.digest());
          expect([...copy.entries()]).toEqual([...r.map.entries()]);
        }
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('digest', () => {
  it('is the same whenever it is read: entry hashes folded in lazily equal hashes kept up to date', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: true, sync: true }), fc.array(fc.boolean(), { minLength: 1 }), ([nodes, skews, ops], reads) => {
        let step = 0;
        // Eager: every replica's digest (root, children, keys) read after random steps; lazy: read only at the end.
        const read = (h: History) => h.replicas.map((r) => [r.map.digest(), r.map.digestChildren(0, 0), r.map.digestKeys(1, step % 16)]);
        const eager = runHistory(nodes, skews, ops, (h) => void (reads[step++ % reads.length] && read(h)));
        const lazy = runHistory(nodes, skews, ops);
        for (let i = 0; i < nodes; i++) {
          const a = eager.replicas[i]!.map;
          const b = lazy.replicas[i]!.map;
          const rebuilt = fresh(b.snapshot());
          expect(b.digest()).toEqual(a.digest());
          for (let c = 0; c < 16; c++) {
            expect(b.digestKeys(1, c)).toEqual(a.digestKeys(1, c));
            expect(rebuilt.digestKeys(1, c)).toEqual(a.digestKeys(1, c));
          }
          expect(b.digestChildren(0, 0)).toEqual(a.digestChildren(0, 0));
          expect(rebuilt.digest().hash).toBe(a.digest().hash);
        }
      }),
      { numRuns: runs(200) },
    );
  });

  it('is equal iff the states are equal, and the descent finds exactly the differing keys', () => {
    fc.assert(
      fc.property(historyArb({ collect: true, ttl: true, sync: true }), fc.nat(3), fc.nat(3), ([nodes, skews, ops], i, j) => {
        const h = runHistory(nodes, skews, ops);
        const a = h.replicas[i % nodes]!.map;
        const b = h.replicas[j % nodes]!.map;
        const same = JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
        const da = a.digest();
        const db = b.digest();
        expect(da.hash === db.hash && da.count === db.count && da.horizon === db.horizon).toBe(same);
        expect(reconcile(a, b).keys).toEqual(differingKeys(a, b));
        // Repairing the differing keys both ways makes the states equal.
        const keys = reconcile(a, b).keys;
        const ra = a.repair(keys);
        const rb = b.repair(keys);
        a.merge(rb);
        b.merge(ra);
        expect(differingKeys(a, b)).toEqual([]);
      }),
      { numRuns: runs(300) },
    );
  });
});
