/**
 * The convergence kit (issue "Testkit", Convergence kit): a fast-check property over random clusters and
 * schedules of operations interleaved with faults; after the network heals, all replicas must hold the same
 * canonical state. A failure is shrunk by fast-check (fewer nodes, steps, smaller faults) and reported readably
 * with the command that replays it.
 */
import fc from 'fast-check';
import { TestkitError, TestkitErrorCode } from '../errors.js';
import type { MessageMode } from '../simulation.js';
import { currentTestFile, replayCommand } from '../replay.js';
import { resolveDissemination, type StackChoice } from './dissemination.js';
import type { ReplicaFactory } from './replica.js';
import { formatReport } from './report.js';
import { runScenario, type RunScenarioOptions, type ScenarioOutcome } from './run-scenario.js';
import { scenarioArbitrary, type FaultKind, type Scenario } from './scenario.js';

/** Options of a convergence run. */
export interface ConvergenceInit<Op> {
  /** Builds a node's replica (see `stateReplica` for plain state functions). */
  replica: ReplicaFactory<Op>;
  /** The user's operations. */
  ops: fc.Arbitrary<Op>;
  /** The network stack: `direct` (default) all-to-all model, `real` (not yet available), or your own. */
  stack?: StackChoice;
  /** Cluster sizes. Default 2..5 (at most 16). */
  nodes?: { min?: number; max?: number };
  /** Longest schedule. Default 30 steps. */
  maxSteps?: number;
  /** Fault kinds to generate; each defaults to on. */
  faults?: Partial<Record<FaultKind, boolean>>;
  /** Scenarios to try. Default: fast-check's global `numRuns` (100 in this repo, scaled by RUNS_SCALE). */
  numRuns?: number;
  /** fast-check seed. Default: `SEED` from the environment, else random (printed on failure). */
  seed?: number;
  /** fast-check path, to jump straight to a reported counterexample. */
  path?: string;
  /** Virtual time after healing before states are compared. Default 20 000 ms. */
  settleMs?: number;
  /** Virtual time between two steps. Default 10 ms. */
  stepGapMs?: number;
  /** Failure-detection and connect timeouts of the simulated network. Default 2000 ms. */
  failureDetectionMs?: number;
  /** How messages cross the network. Default `clone` (so replicas never share objects). */
  messages?: MessageMode;
  /** Instance name (broadcast tag) handed to the callbacks. Default `kit`. */
  instance?: string;
  /**
   * Also check strong eventual consistency directly: fresh replicas merging all broadcast deltas in different
   * orders (and with duplicates) must agree. Default true.
   */
  checkDeltaOrder?: boolean;
}

/** A failing scenario, shrunk. */
export interface ConvergenceCounterexample<Op> {
  scenario: Scenario<Op>;
  outcome: ScenarioOutcome;
}

/** The result of `checkConvergence`. */
export type ConvergenceResult<Op> =
  | { ok: true; runs: number; seed: number }
  | {
      ok: false;
      runs: number;
      seed: number;
      path: string | undefined;
      shrinks: number;
      counterexample: ConvergenceCounterexample<Op>;
      /** Readable: cluster, schedule, replica states, replay command. */
      report: string;
    };

const HEADLINES = {
  diverged: 'replicas diverged after healing',
  'delta-order': 'merging the same deltas in different orders gave different states',
  error: 'the run threw',
} as const;

class DivergedError extends Error {
  constructor(readonly outcome: ScenarioOutcome) {
    super(outcome.failure === 'error' ? `run failed: ${String(outcome.error)}` : HEADLINES[outcome.failure ?? 'diverged']);
  }
}

function options<Op>(init: ConvergenceInit<Op>) {
  const min = init.nodes?.min ?? 2;
  const max = init.nodes?.max ?? 5;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max >= min && max <= 16)) {
    throw new TestkitError(TestkitErrorCode.BadOptions, `nodes must satisfy 1 ≤ min ≤ max ≤ 16, got ${min}..${max}`);
  }
  const f = init.faults ?? {};
  const faults: Record<FaultKind, boolean> = {
    loss: f.loss ?? true,
    duplicate: f.duplicate ?? true,
    reorder: f.reorder ?? true,
    latency: f.latency ?? true,
    partition: f.partition ?? true,
    crash: f.crash ?? true,
    clock: f.clock ?? true,
  };
  const dissemination = resolveDissemination(init.stack);
  const run: RunScenarioOptions<Op> = {
    replica: init.replica,
    dissemination,
    instance: init.instance ?? 'kit',
    settleMs: init.settleMs ?? 20_000,
    stepGapMs: init.stepGapMs ?? 10,
    messages: init.messages ?? 'clone',
    failureDetectionMs: init.failureDetectionMs ?? 2000,
    checkDeltaOrder: init.checkDeltaOrder ?? true,
  };
  const arb = scenarioArbitrary(init.ops, { minNodes: min, maxNodes: max, maxSteps: init.maxSteps ?? 30, faults });
  return { run, arb, dissemination };
}

/** The kit as a fast-check async property, for users who drive `fc.assert` themselves. */
export function convergenceProperty<Op>(init: ConvergenceInit<Op>): fc.IAsyncPropertyWithHooks<[Scenario<Op>]> {
  const { run, arb } = options(init);
  return fc.asyncProperty(arb, async (scenario) => {
    const outcome = await runScenario(scenario, run);
    if (!outcome.converged) throw new DivergedError(outcome);
  });
}

function envSeed(): number | undefined {
  const s = process.env.SEED;
  return s !== undefined && s !== '' && Number.isInteger(Number(s)) ? Number(s) : undefined;
}

/** Run the kit; never throws for a divergence — returns it, shrunk, with a readable report. */
export async function checkConvergence<Op>(init: ConvergenceInit<Op>): Promise<ConvergenceResult<Op>> {
  const { run, dissemination } = options(init);
  const seed = init.seed ?? envSeed();
  const details = await fc.check(convergenceProperty(init), {
    ...(init.numRuns !== undefined ? { numRuns: init.numRuns } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(init.path !== undefined ? { path: init.path } : {}),
  });
  if (!details.failed) return { ok: true, runs: details.numRuns, seed: details.seed };
  const scenario = details.counterexample?.[0];
  if (scenario === undefined) {
    throw new Error(`convergence kit: the property failed without a counterexample: ${String(details.errorInstance)}`);
  }
  // Re-run the shrunk scenario (deterministic) to report the states it ends in.
  const outcome = await runScenario(scenario, run);
  const report = formatReport({
    headline: `Convergence failed: ${HEADLINES[outcome.failure ?? 'diverged']} (after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)).`,
    replay: `${replayCommand(details.seed, currentTestFile())}   (or { seed: ${details.seed}, path: '${details.counterexamplePath}' })`,
    scenario,
    outcome,
    stack: dissemination.name,
    settleMs: run.settleMs,
  });
  return {
    ok: false,
    runs: details.numRuns,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    shrinks: details.numShrinks,
    counterexample: { scenario, outcome },
    report,
  };
}

/** Run the kit and throw an Error carrying the readable report if replicas do not converge. */
export async function assertConvergence<Op>(init: ConvergenceInit<Op>): Promise<void> {
  const r = await checkConvergence(init);
  if (!r.ok) {
    console.error(r.report);
    throw new Error(r.report);
  }
}
