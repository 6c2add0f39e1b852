import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { WIRE_ERROR_CODES } from '@rumor/crdt-wire';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
/** The `## crdt-wire` section of docs/errors.md, up to the next package section. */
const section = doc.slice(doc.indexOf('## crdt-wire')).split(/\n## (?!#)/)[0]!;

describe('WIRE_ERROR_CODES', () => {
  it('are distinct, stable-looking strings', () => {
    expect(new Set(WIRE_ERROR_CODES).size).toBe(WIRE_ERROR_CODES.length);
    for (const code of WIRE_ERROR_CODES) expect(code).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
  });

  it('match the crdt-wire section of docs/errors.md exactly', () => {
    expect(doc).toContain('## crdt-wire');
    const documented = new Set([...section.matchAll(/^\| `([a-z]+\.[a-z0-9-]+)` \|/gm)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...WIRE_ERROR_CODES].sort());
  });
});
