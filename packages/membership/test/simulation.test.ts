/**
 * HyParView in the testkit simulator: bootstrap, mass failure, and fast-check schedules of churn and partitions.
 * Every input a node is fed is followed by its invariant check (support/sim-overlay.ts); once churn stops and the
 * network heals, the overlay must be one component with symmetric active views. Failures print the replay command.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSimulation, type Simulation } from '@rumor/testkit';
import type { HyParViewInit } from '@rumor/membership';
import {
  asymmetricLinks,
  attach,
  bootstrap,
  components,
  replayable,
  testSeed,
  type OverlayNode,
} from './support/sim-overlay.js';

const FILE = 'packages/membership/test/simulation.test.ts';
const ROUND = 10_000;
const init: HyParViewInit = { shuffleIntervalMs: ROUND };
/** `RUNS_SCALE=10` soaks the churn property longer (vitest.setup.ts). */
const SCALE = Number(process.env.RUNS_SCALE ?? 1);

/** Run the simulation; a run that hits the event cap is a livelock (e.g. a timer spinning at one instant). */
function runFor(sim: Simulation, opts: { forMs: number }): void {
  const r = sim.run({ ...opts, maxEvents: 3_000_000 });
  if (r.reason === 'maxEvents') throw new Error(`livelock: 3 000 000 events without reaching t=${sim.now() + opts.forMs}`);
}

function live(nodes: readonly OverlayNode[], sim: Simulation): OverlayNode[] {
  return nodes.filter((n) => sim.node(n.id).alive && n.hv.stats().state === 'running');
}

function expectHealthy(nodes: readonly OverlayNode[]): void {
  const comps = components(nodes);
  expect(comps.map((c) => c.length).sort((a, b) => b - a), 'one component').toEqual([nodes.length]);
  expect(asymmetricLinks(nodes), 'symmetric active views').toEqual([]);
  expect(nodes.filter((n) => n.hv.activeView().length === 0).map((n) => n.id), 'no empty active view').toEqual([]);
}

describe('HyParView in the simulator', () => {
  it('bootstraps 200 nodes into one symmetric component with full active views', () => {
    const seed = testSeed();
    replayable(FILE, seed, () => {
      const sim = createSimulation({ seed });
      const nodes = bootstrap(sim, 200, init);
      runFor(sim, { forMs: 20 * ROUND });
      expectHealthy(nodes);
      const full = nodes.filter((n) => n.hv.activeView().length === 5).length;
      expect(full / nodes.length).toBeGreaterThan(0.95);
      const passive = nodes.reduce((s, n) => s + n.hv.passiveView().length, 0) / nodes.length;
      expect(passive).toBeGreaterThan(20);
    });
  });

  it('heals after half of the nodes crash at once', () => {
    const seed = testSeed();
    replayable(FILE, seed, () => {
      const sim = createSimulation({ seed });
      const nodes = bootstrap(sim, 150, init);
      runFor(sim, { forMs: 10 * ROUND });
      const rnd = sim.fork('crash');
      const victims = new Set(nodes.filter(() => rnd.next() < 0.5).map((n) => n.id));
      for (const id of victims) sim.crash(id);
      runFor(sim, { forMs: 5 * ROUND });
      const survivors = live(nodes, sim);
      expectHealthy(survivors);
      for (const n of survivors) for (const p of n.hv.activeView()) expect(victims.has(p)).toBe(false);
    });
  });

  it('a graceful leave is reported as left on the other end and the overlay closes over the gap', () => {
    const seed = testSeed();
    replayable(FILE, seed, () => {
      const sim = createSimulation({ seed });
      const nodes = bootstrap(sim, 40, init);
      runFor(sim, { forMs: 5 * ROUND });
      const leaver = nodes[7]!;
      const neighbours = leaver.hv.activeView();
      const downs = neighbours.map((p) => nodes.find((n) => n.id === p)!.hv.stats().peerDown.left);
      leaver.hv.leave();
      runFor(sim, { forMs: 2 * ROUND });
      neighbours.forEach((p, i) => expect(nodes.find((n) => n.id === p)!.hv.stats().peerDown.left).toBe(downs[i]! + 1));
      expectHealthy(live(nodes, sim));
    });
  });

  type Action =
    | { kind: 'crash'; fraction: number }
    | { kind: 'restart' }
    | { kind: 'join'; count: number }
    | { kind: 'leave'; count: number }
    | { kind: 'partition'; fraction: number; rounds: number }
    | { kind: 'wait'; rounds: number };

  const action: fc.Arbitrary<Action> = fc.oneof(
    fc.record({ kind: fc.constant('crash' as const), fraction: fc.double({ min: 0.05, max: 0.4, noNaN: true }) }),
    fc.record({ kind: fc.constant('restart' as const) }),
    fc.record({ kind: fc.constant('join' as const), count: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ kind: fc.constant('leave' as const), count: fc.integer({ min: 1, max: 5 }) }),
    fc.record({
      kind: fc.constant('partition' as const),
      fraction: fc.double({ min: 0.1, max: 0.5, noNaN: true }),
      rounds: fc.integer({ min: 0, max: 6 }),
    }),
    fc.record({ kind: fc.constant('wait' as const), rounds: fc.integer({ min: 0, max: 3 }) }),
  );

  it('keeps its invariants through churn and partitions, and is one symmetric component once they stop', () => {
    const seed = testSeed();
    replayable(FILE, seed, () =>
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(action, { minLength: 1, maxLength: 8 }), (simSeed, actions) => {
          const sim = createSimulation({ seed: simSeed });
          const nodes = bootstrap(sim, 40, init, 20);
          runFor(sim, { forMs: 3 * ROUND });
          const rnd = sim.fork('churn');
          const pick = <T>(xs: T[]) => xs[Math.floor(rnd.next() * xs.length)]!;
          let next = nodes.length;
          // n0…n2 are the deployment's seeds: listed by every joining node, never crashed nor made to leave (a node
          // whose every contact and every known peer is gone has no way back, with any protocol).
          const seeds = nodes.slice(0, 3).map((n) => n.address);
          const isSeed = (n: OverlayNode) => seeds.includes(n.address);
          const contactsFor = () => {
            const alive = live(nodes, sim);
            return [...seeds, ...(alive.length ? [pick(alive).address] : [])];
          };
          for (const a of actions) {
            switch (a.kind) {
              case 'crash':
                for (const n of live(nodes, sim)) if (!isSeed(n) && rnd.next() < a.fraction) sim.crash(n.id);
                break;
              case 'restart':
                for (let i = 0; i < nodes.length; i++) {
                  const n = nodes[i]!;
                  if (sim.node(n.id).alive) continue;
                  const restarted = attach(sim.restart(n.id), init);
                  nodes[i] = restarted;
                  restarted.hv.join(contactsFor());
                }
                break;
              case 'join':
                for (let i = 0; i < a.count; i++) {
                  const n = attach(sim.addNode(`n${next++}`), init);
                  nodes.push(n);
                  n.hv.join(contactsFor());
                }
                break;
              case 'leave':
                for (let i = 0; i < a.count; i++) {
                  const candidates = live(nodes, sim).filter((n) => !isSeed(n));
                  if (candidates.length > 0) pick(candidates).hv.leave();
                }
                break;
              case 'partition': {
                const side = live(nodes, sim).filter(() => rnd.next() < a.fraction).map((n) => n.id);
                if (side.length === 0) break;
                const cut = sim.partition(side);
                runFor(sim, { forMs: a.rounds * ROUND + rnd.next() * ROUND });
                cut.heal();
                break;
              }
              case 'wait':
                runFor(sim, { forMs: a.rounds * ROUND });
                break;
            }
            runFor(sim, { forMs: rnd.next() * ROUND });
          }
          // Churn stops: heal, let the overlay repair itself.
          sim.heal();
          runFor(sim, { forMs: 40 * ROUND });
          const alive = live(nodes, sim);
          if (alive.length < 2) return;
          expectHealthy(alive);
        }),
        { seed, numRuns: Math.max(1, Math.round(15 * SCALE)) },
      ),
    );
  }, 60_000 * Math.max(1, SCALE));
});
