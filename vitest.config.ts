import { defineConfig } from 'vitest/config';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Tests import packages through their public entry (`@rumor/x`), resolved to source so a test run needs no build.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias = Object.fromEntries(
  readdirSync(`${root}packages`).map((name) => [`@rumor/${name}`, `${root}packages/${name}/src/index.ts`]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
