/**
 * Seeds and replay commands. One environment variable, `SEED`, replays a simulation test and every fast-check
 * property in the run (the root vitest.setup.ts feeds it to fast-check). A failing simulation wrapped in
 * `withSeed` rethrows its error with the seed and the exact command that replays it appended.
 */
import { expect } from 'vitest';
import path from 'node:path';

/** The seed to use: `SEED` from the environment when set, else `fallback`, else a fresh random one. */
export function simulationSeed(fallback?: number): number {
  const env = process.env.SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`SEED must be an integer, got ${env}`);
    return n;
  }
  // Choosing a seed is the one place randomness from outside the simulation is allowed: the seed is printed.
  return fallback ?? Math.floor(Math.random() * 2 ** 31);
}

/** The test file vitest is running, relative to the working directory (undefined outside vitest). */
export function currentTestFile(): string | undefined {
  try {
    const p = expect.getState().testPath;
    return p ? path.relative(process.cwd(), p) || p : undefined;
  } catch {
    return undefined;
  }
}

/** The command that replays `seed`: `SEED=<n> npx vitest run <file>`. */
export function replayCommand(seed: number, file: string | undefined = currentTestFile()): string {
  return `SEED=${seed} npx vitest run ${file ?? '<test file>'}`;
}

/**
 * Run `fn` with a seed (`SEED` or a fresh one, see `simulationSeed`); if it throws, rethrow with the seed and the
 * replay command added to the message (and printed), so every failing simulation says how to replay it.
 */
export async function withSeed<T>(fn: (seed: number) => T | Promise<T>, opts: { seed?: number; file?: string } = {}): Promise<T> {
  const seed = simulationSeed(opts.seed);
  const file = opts.file ?? currentTestFile();
  try {
    return await fn(seed);
  } catch (err) {
    const line = `simulation failed with seed ${seed}; replay: ${replayCommand(seed, file)}`;
    console.error(line);
    if (err instanceof Error) {
      err.message = `${err.message}\n${line}`;
      throw err;
    }
    throw new Error(`${String(err)}\n${line}`, { cause: err });
  }
}
