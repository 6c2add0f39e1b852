import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROADCAST_ERROR_CODES } from '@rumor/broadcast';

function section(file: string, heading: RegExp): string {
  const text = readFileSync(fileURLToPath(new URL(`../../../docs/${file}`, import.meta.url)), 'utf8');
  const start = text.search(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = text.slice(start + 1);
  const end = rest.search(/\n##? /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('BROADCAST_ERROR_CODES', () => {
  it('is exactly the list of codes in docs/errors.md, section broadcast', () => {
    const documented = [...section('errors.md', /^## broadcast$/m).matchAll(/^\| `(broadcast\.[a-z-]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...BROADCAST_ERROR_CODES].sort());
  });

  it('each code names its layer and is unique', () => {
    expect(new Set(BROADCAST_ERROR_CODES).size).toBe(BROADCAST_ERROR_CODES.length);
    for (const code of BROADCAST_ERROR_CODES) expect(code).toMatch(/^broadcast\.[a-z-]+$/);
  });
});
