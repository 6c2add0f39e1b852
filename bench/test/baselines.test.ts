// The HyParView benchmark's comparison baselines (bench/lib/cyclon-sim.ts, bench/lib/scamp-sim.ts): the overlay
// properties their papers state, and the gossip broadcast they are measured with.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '@rumor/testkit';
import {
  crashAtRandom,
  createCyclonOverlay,
  cyclonRound,
  defaultFanout,
  gossipReach,
  gossipReliability,
  type CyclonOverlay,
} from '../lib/cyclon-sim.js';
import { createScampOverlay } from '../lib/scamp-sim.js';

const FILE = 'bench/test/baselines.test.ts';
const SEED = Number(process.env.SEED ?? 20070625);
const replay = `replay: SEED=${SEED} npx vitest run ${FILE}`;
const N = 500;

function cyclonViewsValid(o: CyclonOverlay): string | null {
  for (let v = 0; v < o.ids.length; v++) {
    const ids = o.ids[v]!;
    if (ids.length > o.viewSize) return `node ${v} holds ${ids.length} > c = ${o.viewSize}`;
    if (ids.length !== o.ages[v]!.length) return `node ${v}: ids and ages differ in length`;
    if (ids.includes(v)) return `node ${v} holds itself`;
    if (new Set(ids).size !== ids.length) return `node ${v} holds a duplicate`;
  }
  return null;
}

const inDegrees = (views: number[][]) => {
  const d = new Array<number>(views.length).fill(0);
  for (const out of views) for (const w of out) d[w]!++;
  return d;
};

describe('createCyclonOverlay', () => {
  const o = createCyclonOverlay(N, {}, SEED);

  it('converges to full views of c distinct peers, never self', () => {
    expect(cyclonViewsValid(o), replay).toBeNull();
    const mean = o.ids.reduce((a, v) => a + v.length, 0) / N;
    expect(mean, replay).toBeGreaterThanOrEqual(0.95 * o.viewSize);
  });

  it('spreads in-degrees narrowly around c (the shuffle replaces what it sends)', () => {
    const d = inDegrees(o.ids);
    const mean = d.reduce((a, x) => a + x, 0) / N;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / N);
    expect(sd, replay).toBeLessThan(0.25 * o.viewSize);
    expect(Math.min(...d), replay).toBeGreaterThanOrEqual(o.viewSize / 3);
  });

  it('is deterministic in its seed', () => {
    expect(createCyclonOverlay(200, {}, SEED).ids).toEqual(createCyclonOverlay(200, {}, SEED).ids);
    expect(createCyclonOverlay(200, {}, SEED).ids).not.toEqual(createCyclonOverlay(200, {}, SEED + 1).ids);
  });
});

describe('cyclonRound', () => {
  it('keeps views bounded, self-free and duplicate-free through crashes and shuffles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        (seed, n, viewSize, shuffleLength, fraction) => {
          const o = createCyclonOverlay(n, { viewSize, shuffleLength, bootstrapRounds: 3 }, seed);
          expect(cyclonViewsValid(o)).toBeNull();
          const random = createRandom(seed).fork('test');
          crashAtRandom(o.alive, fraction, random);
          for (let r = 0; r < 4; r++) {
            cyclonRound(o, random);
            expect(cyclonViewsValid(o)).toBeNull();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('purges crashed peers from the survivors views round after round', () => {
    const o = createCyclonOverlay(N, {}, SEED);
    const random = createRandom(SEED).fork('heal');
    crashAtRandom(o.alive, 0.5, random);
    const deadShare = () => {
      let dead = 0;
      let all = 0;
      o.ids.forEach((ids, v) => {
        if (!o.alive[v]) return;
        all += ids.length;
        for (const w of ids) if (!o.alive[w]) dead++;
      });
      return dead / all;
    };
    const before = deadShare();
    for (let r = 0; r < 20; r++) cyclonRound(o, random);
    expect(deadShare(), replay).toBeLessThan(0.75 * before);
  });
});

describe('createScampOverlay', () => {
  const o = createScampOverlay(N, {}, SEED);

  it('grows partial views to about (c + 1) ln n, between ln n and (c + 2) ln n', () => {
    const mean = o.partial.reduce((a, v) => a + v.length, 0) / N;
    expect(mean, replay).toBeGreaterThan(Math.log(N));
    expect(mean, replay).toBeLessThan(3 * Math.log(N));
  });

  it('keeps in-views the exact mirror of partial views, without self or duplicates', () => {
    const mirrored = o.inView.map(() => [] as number[]);
    o.partial.forEach((out, v) => {
      expect(out.includes(v)).toBe(false);
      expect(new Set(out).size).toBe(out.length);
      for (const w of out) mirrored[w]!.push(v);
    });
    expect(mirrored.map((x) => x.sort((a, b) => a - b))).toEqual(o.inView.map((x) => x.slice().sort((a, b) => a - b)));
    expect(o.partial.every((v) => v.length > 0) && o.inView.every((v) => v.length > 0)).toBe(true);
  });
});

describe('gossipReach', () => {
  const ring = (n: number) => Array.from({ length: n }, (_, i) => [(i + 1) % n]);

  it('reaches everybody along a ring with fanout 1 and stops at a crashed node', () => {
    const random = createRandom(SEED);
    const alive = new Array<boolean>(10).fill(true);
    expect(gossipReach(ring(10), alive, 0, 1, random)).toBe(10);
    alive[4] = false;
    expect(gossipReach(ring(10), alive, 0, 3, random)).toBe(4);
  });
});

describe('gossipReliability', () => {
  const fanout = defaultFanout(N);
  const cyclon = createCyclonOverlay(N, {}, SEED);
  const scamp = createScampOverlay(N, {}, SEED);

  it('is atomic in practice on an intact overlay with fanout ceil(ln n) + 1', () => {
    expect(fanout).toBe(8);
    expect(gossipReliability(cyclon.ids, cyclon.alive, fanout, 30, createRandom(SEED)).mean, replay).toBeGreaterThanOrEqual(0.99);
    expect(gossipReliability(scamp.partial, scamp.alive, fanout, 30, createRandom(SEED)).mean, replay).toBeGreaterThanOrEqual(0.99);
  });

  it('falls clearly below 100 % once 80 % of the nodes crash at once', () => {
    for (const [views, alive] of [
      [cyclon.ids, cyclon.alive.slice()],
      [scamp.partial, scamp.alive.slice()],
    ] as const) {
      const random = createRandom(SEED).fork('crash');
      crashAtRandom(alive, 0.8, random);
      expect(alive.filter(Boolean).length).toBe(N - 0.8 * N);
      expect(gossipReliability(views, alive, fanout, 30, random).mean, replay).toBeLessThan(0.9);
    }
  });
});
