// Property tests replay: `SEED=123 npx vitest run <file>` fixes fast-check's seed for every property in the run;
// `RUNS_SCALE=10` multiplies every property's run count (longer soak, same code). fast-check prints the seed and
// the counterexample path of any failure.
import fc from 'fast-check';

const seed = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`SEED must be an integer, got ${process.env.SEED}`);
fc.configureGlobal({
  ...(seed === undefined ? {} : { seed }),
  numRuns: Math.max(1, Math.round(100 * Number(process.env.RUNS_SCALE ?? 1))),
});
