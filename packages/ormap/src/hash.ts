/**
 * A fast non-cryptographic 64-bit hash for digests, computed as two independent 32-bit lanes (murmur3-style
 * multiply–xorshift mixing over UTF-16 code units). Digests only need equal states to hash equal and unequal
 * states to collide rarely; an adversary who can forge colliding entries can also just send bad values, which the
 * validators bound. Entry hashes combine by XOR so a change costs O(1) per tree level.
 */

const SEED_LO = 0x9747b28c;
const SEED_HI = 0x2c1b3c6d;

/** Final avalanche of murmur3. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashLane(s: string, seed: number): number {
  let h = seed ^ s.length;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h);
}

/** Both lanes of a string's hash in one pass, as `hashLo`/`hashHi` would give them; written to `keyHash`. */
export const keyHash = { lo: 0, hi: 0 };

/** Fill `keyHash` with the two lanes of `s`. */
export function hashKey(s: string): void {
  let a = SEED_LO ^ s.length;
  let b = SEED_HI ^ s.length;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    a ^= k;
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    b ^= k;
    b = (b << 13) | (b >>> 19);
    b = (Math.imul(b, 5) + 0xe6546b64) | 0;
  }
  keyHash.lo = fmix32(a);
  keyHash.hi = fmix32(b);
}

/** Low lane of a string's hash. */
export function hashLo(s: string): number {
  return hashLane(s, SEED_LO);
}

/** High lane of a string's hash (independent seed). */
export function hashHi(s: string): number {
  return hashLane(s, SEED_HI);
}

const TWO_32 = 2 ** 32;

/** Low lane of a slot's hash: writer, hlc and liveness (one avalanche; entries mix again). */
export function slotLo(writerLo: number, hlc: number, live: boolean): number {
  const tHi = (hlc / TWO_32) | 0;
  return fmix32(writerLo ^ Math.imul(hlc >>> 0, 0x9e3779b1) ^ Math.imul(tHi ^ (live ? 0x51ed27 : 0), 0x85ebca77));
}

/** High lane of a slot's hash. */
export function slotHi(writerHi: number, hlc: number, live: boolean): number {
  const tHi = (hlc / TWO_32) | 0;
  return fmix32(writerHi ^ Math.imul(hlc >>> 0, 0xc2b2ae3d) ^ Math.imul(tHi ^ (live ? 0x27d4eb2f : 0), 0x165667b1));
}

/** The 16-hex-digit form of a 64-bit hash given as two lanes. */
export function hex64(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
