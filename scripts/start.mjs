// `npm start`: build the node package if needed (tsc -b is incremental: a no-op when dist is fresh), then run
// `rumor demo` — a local cluster of 3 nodes with no configuration. Arguments after `npm start --` go to the demo
// (e.g. `npm start -- --nodes 5`).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const built = spawnSync(process.execPath, [tsc, '-b', path.join(root, 'packages', 'node')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  console.error('npm start: building packages/node failed (see above)');
  process.exit(built.status ?? 1);
}

const cli = path.join(root, 'packages', 'node', 'dist', 'cli.js');
const child = spawn(process.execPath, [cli, 'demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the demo directly (same process group): ignore it here, or the demo would get it twice and cut
// its graceful stop short. A SIGTERM sent to this process alone is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
