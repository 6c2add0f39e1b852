/**
 * Seeded pseudo-random numbers: sfc32 (Doty-Humphrey's small fast counting generator, 128-bit state) seeded
 * through splitmix32. One integer seed drives a whole simulation; `fork(label)` derives an independent stream
 * from the seed and a label only, so adding a consumer never shifts the numbers another consumer sees.
 */
import type { Random } from './ports.js';

/** A seeded `Random` with a few conveniences. */
export interface SeededRandom extends Random {
  /** The seed this stream was derived from. */
  readonly seed: number;
  /** An integer uniform in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A new independent stream determined by this stream's seed and `label` (not by how far this one has run). */
  fork(label: string): SeededRandom;
}

function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a of a string, for deriving fork seeds from labels. */
export function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

class Sfc32 implements SeededRandom {
  readonly seed: number;
  private readonly state0: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: number, seed: number) {
    this.seed = seed;
    this.state0 = state | 0;
    const init = splitmix32(state | 0);
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
    for (let i = 0; i < 12; i++) this.u32();
  }

  private u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.u32() / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  fork(label: string): SeededRandom {
    const derived = hashString(label, (this.state0 ^ 0x5bd1e995) >>> 0) | 0;
    return new Sfc32(derived, derived);
  }
}

/** A seeded random stream; the same seed always yields the same numbers. */
export function createRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const t = Math.trunc(seed);
  // Fold seeds beyond 32 bits in, so that 2^32 + 1 and 1 are different simulations.
  const hi = Math.floor(t / 4294967296);
  return new Sfc32(hi === 0 ? t | 0 : (t | 0) ^ Math.imul(hi | 0, 0x9e3779b1), t);
}
