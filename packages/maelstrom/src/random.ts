/**
 * A small seeded pseudo-random generator for the Maelstrom node (the protocol layers take a `Random` port; this is
 * the one a node process plugs in). mulberry32 seeded from a 32-bit FNV-1a hash of a string, so `--seed` plus the
 * node id give every node its own reproducible stream.
 */
import type { Random } from '@rumor/replica';

/** FNV-1a of a string: 32 bits, for deriving seeds from labels. */
export function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A `Random` whose stream is fixed by `seed` (any integer) and `label`. */
export function createSeededRandom(seed: number, label = ''): Random {
  let a = hashString(label, (hashString(String(seed)) ^ 0x9e3779b9) >>> 0) | 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
