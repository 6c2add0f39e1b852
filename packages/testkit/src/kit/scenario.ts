/**
 * Random scenarios for the convergence kit: a cluster size, a simulation seed, and a schedule of local
 * operations interleaved with waits and faults (loss, duplication, reordering, latency, partitions, crashes with or
 * without state, restarts, clock drift and steps). Node references are indices taken modulo the cluster size, so
 * every schedule stays valid while fast-check shrinks the cluster, the schedule and each step.
 */
import fc from 'fast-check';

/** The fault kinds a scenario may contain. */
export type FaultKind = 'loss' | 'duplicate' | 'reorder' | 'latency' | 'partition' | 'crash' | 'clock';

/** One step of a schedule. */
export type Step<Op> =
  | { kind: 'op'; node: number; op: Op }
  | { kind: 'wait'; ms: number }
  | { kind: 'loss'; p: number }
  | { kind: 'duplicate'; p: number }
  | { kind: 'reorder'; p: number }
  | { kind: 'latency'; node: number; maxMs: number }
  | { kind: 'partition'; mask: number; oneWay: boolean }
  | { kind: 'heal' }
  | { kind: 'crash'; node: number; keepState: boolean }
  | { kind: 'restart'; node: number }
  | { kind: 'clock'; node: number; stepMs: number; driftPpm: number };

/** A whole scenario. */
export interface Scenario<Op> {
  nodes: number;
  seed: number;
  steps: Step<Op>[];
}

/** Shape of the generated scenarios. */
export interface ScenarioShape {
  minNodes: number;
  maxNodes: number;
  maxSteps: number;
  faults: Record<FaultKind, boolean>;
}

/** The fast-check arbitrary of scenarios over the user's operations. */
export function scenarioArbitrary<Op>(ops: fc.Arbitrary<Op>, shape: ScenarioShape): fc.Arbitrary<Scenario<Op>> {
  const node = fc.nat({ max: shape.maxNodes - 1 });
  const prob = fc.integer({ min: 1, max: 10 }).map((x) => x / 10);
  const f = shape.faults;
  const arbs: fc.WeightedArbitrary<Step<Op>>[] = [
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('op' as const), node, op: ops }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 3000 }) }) },
  ];
  const add = (on: boolean, arbitrary: fc.Arbitrary<Step<Op>>) => on && arbs.push({ weight: 1, arbitrary });
  add(f.loss, fc.record({ kind: fc.constant('loss' as const), p: prob }));
  add(f.duplicate, fc.record({ kind: fc.constant('duplicate' as const), p: prob }));
  add(f.reorder, fc.record({ kind: fc.constant('reorder' as const), p: prob }));
  add(f.latency, fc.record({ kind: fc.constant('latency' as const), node, maxMs: fc.integer({ min: 1, max: 2000 }) }));
  add(f.partition, fc.record({ kind: fc.constant('partition' as const), mask: fc.nat({ max: 2 ** shape.maxNodes - 1 }), oneWay: fc.boolean() }));
  add(f.partition, fc.constant({ kind: 'heal' as const }));
  add(f.crash, fc.record({ kind: fc.constant('crash' as const), node, keepState: fc.boolean() }));
  add(f.crash, fc.record({ kind: fc.constant('restart' as const), node }));
  add(
    f.clock,
    fc.record({
      kind: fc.constant('clock' as const),
      node,
      stepMs: fc.integer({ min: -60_000, max: 60_000 }),
      driftPpm: fc.integer({ min: -100_000, max: 100_000 }),
    }),
  );
  return fc.record({
    nodes: fc.integer({ min: shape.minNodes, max: shape.maxNodes }),
    seed: fc.nat({ max: 2 ** 31 - 1 }),
    steps: fc.array(fc.oneof(...arbs), { maxLength: shape.maxSteps }),
  });
}
