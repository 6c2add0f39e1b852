import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hashHi, hashKey, hashLo, keyHash } from '../src/hash.js';
import { runs } from './harness.js';

describe('hashKey', () => {
  it('gives both lanes of hashLo / hashHi in one pass', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        hashKey(s);
        expect([keyHash.lo, keyHash.hi]).toEqual([hashLo(s), hashHi(s)]);
      }),
      { numRuns: runs(300) },
    );
  });
});
