// Runs one benchmark (or all) from the built output: `npm run bench -- ormap`.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const all = readdirSync(dist).filter((f) => f.endsWith('.bench.js')).map((f) => f.replace(/\.bench\.js$/, ''));
const chosen = wanted.length ? wanted : all;
let failed = 0;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}"; known: ${all.join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(dist, `${name}.bench.js`), ...passThrough], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (failed) process.exitCode = 1;
