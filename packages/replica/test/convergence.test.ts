/**
 * Simulator property tests over the real stack (design §9): any schedule of writes, partitions, crashes (state
 * lost) and restarts, once the network heals and every node is back, ends with all replicas equal; no value is
 * invented; no write is lost that a node still holding it made. Replay a failure with the printed command.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { withSeed } from '@rumor/testkit';
import { createSimCluster, divergence } from './sim-cluster.js';

type Op =
  | { kind: 'write'; node: number; key: string; value: number; silent: boolean }
  | { kind: 'partition'; mask: number }
  | { kind: 'heal' }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number }
  | { kind: 'wait'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), node: fc.nat(15), key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), value: fc.integer({ min: 1, max: 9 }), silent: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), mask: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), node: fc.nat(15) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 100, max: 20_000 }) }) },
);

describe('convergence over the real stack', () => {
  it('all replicas converge after partitions, crashes and restarts heal', async () => {
    await withSeed((seed) =>
      fc.assert(
        fc.property(fc.integer({ min: 3, max: 6 }), fc.array(op, { maxLength: 14 }), fc.nat(1_000_000), (n, ops, simSeed) => {
          // Membership rounds every 2 s with a 30 % chance of retrying a lost peer: overlay partitions heal quickly,
          // so the time budget below is about the replica layer, not about waiting for the overlay.
          const c = createSimCluster({ seed: simSeed, nodes: n, antiEntropyIntervalMs: 5_000, shuffleIntervalMs: 2_000, reconnectProbability: 0.3 });
          c.sim.run({ forMs: 10_000 });
          // What each live incarnation wrote (key → value); cleared when its state is lost.
          const kept = c.members.map(() => new Map<string, number>());
          const written = new Set<string>();
          for (const o of ops) {
            switch (o.kind) {
              case 'write': {
                const m = c.members[o.node % n]!;
                if (!m.alive) break;
                if (o.silent) c.writeSilently(m, o.key, o.value);
                else c.write(m, o.key, o.value);
                kept[o.node % n]!.set(o.key, Math.max(kept[o.node % n]!.get(o.key) ?? 0, o.value));
                written.add(`${o.key}=${o.value}`);
                break;
              }
              case 'partition': {
                const side = c.members.filter((_, i) => (o.mask >> i) & 1).map((m) => m.id);
                if (side.length > 0 && side.length < n) c.sim.partition(side);
                break;
              }
              case 'heal':
                c.sim.heal();
                break;
              case 'crash': {
                const m = c.members[o.node % n]!;
                if (m.alive) {
                  c.crash(m);
                  kept[o.node % n]!.clear();
                }
                break;
              }
              case 'restart': {
                const m = c.members[o.node % n]!;
                if (!m.alive) c.restart(m);
                break;
              }
              case 'wait':
                c.sim.run({ forMs: o.ms });
            }
          }
          c.sim.heal();
          for (const m of c.members) if (!m.alive) c.restart(m);
          c.sim.run({ forMs: 90_000 });
          expect(divergence(c)).toEqual([]);
          const final = c.members[0]!.store.view('m');
          for (const [k, v] of Object.entries(final)) expect(written.has(`${k}=${v}`)).toBe(true);
          kept.forEach((writes) => {
            for (const [k, v] of writes) expect(final[k]).toBeGreaterThanOrEqual(v);
          });
        }),
        { seed, numRuns: 60 },
      ),
    );
  });
});
