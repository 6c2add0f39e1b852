/**
 * Map names and their directories (src/names.ts): the encoding is injective, reversible and yields one safe path
 * component for any valid name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkName, dirOfName, nameOfDir } from '../src/names.js';

const validName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => {
  try {
    checkName(s);
    return true;
  } catch {
    return false;
  }
});

describe('dirOfName / nameOfDir', () => {
  it('round-trips every valid name to a single safe path component (property)', () => {
    fc.assert(
      fc.property(validName, (name) => {
        const dir = dirOfName(name);
        expect(dir).toMatch(/^([A-Za-z0-9._-]|%[0-9A-F]{2})+$/);
        expect(dir).not.toMatch(/^\.+$/);
        expect(nameOfDir(dir)).toBe(name);
      }),
    );
  });

  it('is injective (property)', () => {
    fc.assert(fc.property(validName, validName, (a, b) => (a === b) === (dirOfName(a) === dirOfName(b))));
  });

  it('ignores directories it did not produce', () => {
    for (const d of ['%2f', 'a b', '%ZZ', '%C3']) expect(nameOfDir(d)).toBeUndefined();
  });
});

describe('checkName', () => {
  it('refuses empty, oversized, dot-only, reserved and control-character names', () => {
    for (const n of ['', 'x'.repeat(129), '.', '..', 'rumor.node', 'a\nb', '\uD800']) {
      expect(() => checkName(n), JSON.stringify(n)).toThrow(expect.objectContaining({ code: 'node.bad-name' }));
    }
    expect(() => checkName('users/2024 ü')).not.toThrow();
  });
});
