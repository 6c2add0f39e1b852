/**
 * Property tests of the map: crash at any instant, convergence over a lossy channel, exact change events, and
 * validator rejections that leave state and log untouched. Replay a failure with `SEED=<n> npx vitest run <file>`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMemoryStorage, type FsyncPolicy, type MapEvent } from '@rumor/map';
import { antiEntropy, contents, fullSync, makeNode, mulberry32, runs, settle, VirtualTime, wire, type TestNode } from './helpers.js';

type Op =
  | { kind: 'put'; key: string; value: number }
  | { kind: 'delete'; key: string }
  | { kind: 'batch'; ops: ({ type: 'put'; key: string; value: number } | { type: 'delete'; key: string })[] }
  | { kind: 'snapshot' }
  | { kind: 'wait' };

const key = fc.constantFrom('a', 'b', 'c', 'd/1', 'd/2');
const value = fc.integer({ min: 0, max: 1000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      ops: fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('put' as const), key, value }),
          fc.record({ type: fc.constant('delete' as const), key }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'wait' as const }) },
);

/** The model: a plain map, applying ops in issue order. */
function applyModel(model: Map<string, number>, o: Op): void {
  if (o.kind === 'put') model.set(o.key, o.value);
  else if (o.kind === 'delete') model.delete(o.key);
  else if (o.kind === 'batch') for (const b of o.ops) b.type === 'put' ? model.set(b.key, b.value) : model.delete(b.key);
}

describe('crash at any instant (property)', () => {
  for (const fsync of ['always', 'batch'] as FsyncPolicy[]) {
    it(`${fsync}: recovery equals the state after some prefix of the issued writes that contains every acknowledged one`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), fc.nat(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (ops, crashAt, seed) => {
          const storage = createMemoryStorage();
          const time = new VirtualTime();
          // Tiny snapshot threshold: automatic snapshots happen in the middle of the run too.
          const node = await makeNode('a', { persist: { fsync, batchIntervalMs: 0, batchRecords: 3, snapshotEveryBytes: 300 } }, { storage, time });
          const writes: Op[] = [];
          // Writes resolve in issue order — those that write nothing too — so the highest one resolved bounds the prefix.
          let acked = 0;
          const crash = crashAt % (ops.length + 1);
          for (let i = 0; i < crash; i++) {
            const o = ops[i]!;
            if (o.kind === 'wait') await settle(3);
            else if (o.kind === 'snapshot') node.map.snapshot().catch(() => undefined);
            else {
              const index = writes.length;
              writes.push(o);
              const p = o.kind === 'put' ? node.map.put(o.key, o.value) : o.kind === 'delete' ? node.map.delete(o.key) : node.map.batch(o.ops);
              // A no-op (delete of a missing key, batch of such) counts too: it vouches for every earlier write.
              p.then(() => void (acked = Math.max(acked, index + 1)), () => undefined);
            }
          }
          const image = storage.crashImage(mulberry32(seed));
          const ackedAtCrash = acked;
          storage.halt();
          const recovered = await makeNode('a', {}, { storage: image, time });
          const actual = new Map(contents(recovered.map as never) as [string, number][]);
          // Some prefix p ≥ ackedAtCrash of the issued writes explains the recovered state exactly.
          const model = new Map<string, number>();
          const candidates: number[] = [];
          for (let p = 0; p <= writes.length; p++) {
            if (p > 0) applyModel(model, writes[p - 1]!);
            if (p >= ackedAtCrash && equalMaps(model, actual)) candidates.push(p);
          }
          expect(candidates.length, `recovered ${JSON.stringify([...actual])}, ${ackedAtCrash} of ${writes.length} acknowledged`).toBeGreaterThan(0);
          await recovered.map.close();
        }),
        { numRuns: runs(120) },
      );
    });
  }
});

function equalMaps(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

describe('convergence over a lossy channel (property)', () => {
  it('two maps exchanging deltas that are dropped, duplicated and reordered agree after a final sync', async () => {
    const action = fc.oneof(
      fc.record({ node: fc.integer({ min: 0, max: 1 }), op: fc.oneof(fc.record({ kind: fc.constant('put' as const), key, value }), fc.record({ kind: fc.constant('delete' as const), key })) }),
      fc.record({ deliver: fc.integer({ min: 0, max: 1 }), drop: fc.double({ min: 0, max: 0.7, noNaN: true }), dup: fc.boolean(), reverse: fc.boolean() }),
      fc.record({ tick: fc.integer({ min: 0, max: 50 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 40 }), fc.constantFrom('lww', 'fww', 'all' as const), fc.boolean(), fc.integer(), async (actions, policy, digest, seed) => {
        const time = new VirtualTime();
        const rng = mulberry32(seed);
        const nodes = [await makeNode('a', { policy }, { time }), await makeNode('b', { policy }, { time })];
        const queues: unknown[][] = [[], []];
        const cursors = [0, 0];
        for (const a of actions) {
          if ('node' in a) {
            const n = nodes[a.node]!;
            if (a.op.kind === 'put') await n.map.put(a.op.key, a.op.value);
            else await n.map.delete(a.op.key);
            // Every broadcast goes into the channel towards the other node.
            queues[1 - a.node]!.push(...n.sent.slice(cursors[a.node]));
            cursors[a.node] = n.sent.length;
          } else if ('deliver' in a) {
            const queue = queues[a.deliver]!.splice(0);
            if (a.reverse) queue.reverse();
            for (const d of queue) {
              if (rng() < a.drop) continue;
              const to = nodes[a.deliver]!;
              await to.map.callbacks.mergeDelta('m', wire(d) as never, nodes[1 - a.deliver]!.id);
              if (a.dup) await to.map.callbacks.mergeDelta('m', wire(d) as never, nodes[1 - a.deliver]!.id);
            }
          } else time.advance(a.tick);
        }
        const [a, b] = nodes as [TestNode, TestNode];
        if (digest) {
          await antiEntropy(a, b);
          await antiEntropy(b, a);
        } else {
          await fullSync(a, b);
          await fullSync(b, a);
        }
        expect(contents(a.map)).toEqual(contents(b.map));
        expect((await antiEntropy(a, b)).result).toBe('equal');
      }),
      { numRuns: runs(80) },
    );
  });
});

describe('subscribe fires exactly for real changes (property)', () => {
  it('each event matches a change of the resolved value, and every change has its event', async () => {
    const action = fc.oneof(
      fc.record({ node: fc.integer({ min: 0, max: 1 }), op: fc.oneof(fc.record({ kind: fc.constant('put' as const), key, value: fc.integer({ min: 0, max: 2 }) }), fc.record({ kind: fc.constant('delete' as const), key })) }),
      fc.record({ sync: fc.integer({ min: 0, max: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 30 }), fc.constantFrom('', 'd/'), async (actions, prefix) => {
        const nodes = [await makeNode('a', { policy: 'all' }), await makeNode('b', { policy: 'all' })];
        for (const n of nodes) {
          // The listener's view of the map, maintained from events only, must always equal the map itself.
          const view = new Map<string, unknown>();
          n.map.subscribe(prefix, (e: MapEvent<unknown>) => {
            expect(e.previous).toEqual(view.get(e.key));
            expect(e.value).not.toEqual(e.previous);
            if (e.value === undefined) view.delete(e.key);
            else view.set(e.key, e.value);
          });
          (n as TestNode & { view?: Map<string, unknown> }).view = view;
        }
        for (const a of actions) {
          if ('node' in a) {
            const n = nodes[a.node]!;
            if (a.op.kind === 'put') await n.map.put(a.op.key, a.op.value);
            else await n.map.delete(a.op.key);
          } else {
            await fullSync(nodes[1 - a.sync]!, nodes[a.sync]!);
          }
          for (const n of nodes) {
            const view = (n as TestNode & { view?: Map<string, unknown> }).view!;
            expect([...view].sort(([x], [y]) => (x < y ? -1 : 1))).toEqual(contents(n.map).filter(([k]) => k.startsWith(prefix)));
          }
        }
      }),
      { numRuns: runs(80) },
    );
  });
});

describe('validator rejections leave state and log unchanged (property)', () => {
  it('a rejected put or batch changes nothing anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ key, value: fc.integer({ min: -5, max: 5 }), batch: fc.boolean() }), { maxLength: 25 }), async (writes) => {
        const storage = createMemoryStorage();
        const node = await makeNode('a', { validator: (v) => (v as number) >= 0 || 'negative' }, { storage });
        for (const w of writes) {
          const files = storage.dump();
          const before = contents(node.map);
          const sent = node.sent.length;
          const p = w.batch ? node.map.batch([{ type: 'put', key: 'other', value: 1 }, { type: 'put', key: w.key, value: w.value }]) : node.map.put(w.key, w.value);
          if (w.value < 0) {
            await expect(p).rejects.toMatchObject({ code: 'map.invalid-value' });
            expect(storage.dump()).toEqual(files);
            expect(contents(node.map)).toEqual(before);
            expect(node.sent).toHaveLength(sent);
          } else {
            await p;
            expect(node.map.get(w.key)).toBe(w.value);
          }
        }
      }),
      { numRuns: runs(60) },
    );
  });
});
