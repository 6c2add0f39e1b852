import { describe, expect, it } from 'vitest';
import { replayCommand, simulationSeed, withSeed } from '../src/index.js';

describe('withSeed', () => {
  it('passes the seed through and returns the result', async () => {
    expect(await withSeed((seed) => seed, { seed: 5 })).toBe(process.env.SEED ? Number(process.env.SEED) : 5);
  });

  it('a failing simulation rethrows with the seed and the replay command for this file', async () => {
    const seed = simulationSeed(77);
    const err = await withSeed(() => {
      throw new Error('boom');
    }, { seed: 77 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('boom');
    expect((err as Error).message).toContain(`SEED=${seed} npx vitest run packages/testkit/test/replay.test.ts`);
  });

  it('replayCommand names the file', () => {
    expect(replayCommand(12, 'x.test.ts')).toBe('SEED=12 npx vitest run x.test.ts');
  });
});
