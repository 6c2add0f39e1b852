/**
 * Multi-process test helpers: build the CLI if its output is stale, spawn `rumor start` on loopback with free
 * ports (port 0; the addresses are read from the ready banner), talk to nodes over HTTP, poll with deadlines, and
 * kill every spawned process at the end.
 *
 * Deadlines are generous on purpose: they bound a broken run, they do not time a healthy one. A shared CI machine
 * (2 cores, a whole suite of simulations beside these processes) can be several times slower than an idle one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = path.resolve(here, '..', '..');
export const REPO_DIR = path.resolve(PACKAGE_DIR, '..', '..');
export const CLI = path.join(PACKAGE_DIR, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** packages/node and every project it references, transitively (from the tsconfig.json files `tsc -b` follows). */
function projectsOfNode(): string[] {
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const config = JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')) as { references?: { path: string }[] };
    for (const ref of config.references ?? []) visit(path.resolve(dir, ref.path));
  };
  visit(PACKAGE_DIR);
  return [...seen];
}

function cliIsFresh(): boolean {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    return false;
  }
  return built > Math.max(...projectsOfNode().map((dir) => newestMtime(path.join(dir, 'src'))));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Hold a lock shared by the test workers of this checkout while `fn` runs. Test files run in parallel workers and
 * each builds the CLI when it is stale; without the lock two `tsc -b` would write the same dist/ files at once, and
 * the one finishing first would start nodes on modules the other is still rewriting. With it, the second worker
 * waits for the first build and then finds the CLI fresh.
 */
function withBuildLock<T>(fn: () => T, waitMs = 300_000): T {
  const lock = path.join(tmpdir(), `rumor-build-${createHash('sha256').update(REPO_DIR).digest('hex').slice(0, 16)}.lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = Number.NaN;
      let stale = false;
      try {
        owner = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
        stale = Number.isSafeInteger(owner) && owner > 0 && !pidAlive(owner); // left by a dead worker
      } catch {
        // No pid yet: just created (wait), unless its creator died before writing it.
        try {
          stale = Date.now() - statSync(lock).mtimeMs > 10_000;
        } catch {
          continue; // released meanwhile
        }
      }
      if (stale) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`waited ${waitMs} ms for the build lock ${lock} (held by ${owner})`);
      else sleepSync(100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Build packages/node (and what it references) when dist/cli.js is missing or older than a source file. */
export function ensureBuilt(): void {
  if (cliIsFresh()) return;
  withBuildLock(() => {
    if (cliIsFresh()) return; // another worker built it while this one waited
    const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-b', PACKAGE_DIR], { cwd: REPO_DIR, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsc -b packages/node failed:\n${r.stdout}\n${r.stderr}`);
  });
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = 'rumor-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Default deadline of `until` and of a node becoming ready. */
export const WAIT_MS = 60_000;

/** Poll `check` until it returns a value other than undefined/false, or fail after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = WAIT_MS, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A spawned `rumor start`. */
export interface NodeProcess {
  id: string;
  dataDir: string;
  child: ChildProcess;
  /** ws:// address peers dial. */
  address: string;
  /** http:// base URL. */
  http: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const spawned = new Set<ChildProcess>();
/** The data directory each spawned `rumor start` runs on, so that a start cut short can be cleaned up. */
const dataDirOf = new Map<ChildProcess, string>();

/** Run the CLI to completion (client commands, failing starts). */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_DIR,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rumor ${args.join(' ')} did not finish in ${options.timeoutMs ?? 20_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      spawned.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The ready banner's lines (each complete: a line still being written could hold half an address). */
const BANNER = { ws: /^ {2}peers dial\s+(ws:\/\/\S+)\n/m, http: /^ {2}http api\s+(http:\/\/\S+|\(off\))\n/m };

/**
 * Spawn `rumor start` with free ports (and `--id id` unless `passId: false`); resolves once it printed its ready
 * banner. A start that exits or is not ready within `readyMs` is killed (so it cannot hold the data directory's
 * lock) and rejects with the process's output.
 */
export async function startNode(
  id: string,
  dataDir: string,
  extra: string[] = [],
  options: { env?: Record<string, string>; passId?: boolean; readyMs?: number } = {},
): Promise<NodeProcess> {
  const idArgs = options.passId === false ? [] : ['--id', id];
  const child = spawn(process.execPath, [CLI, 'start', ...idArgs, '--port', '0', '--data', dataDir, ...extra], {
    cwd: REPO_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  dataDirOf.set(child, path.resolve(dataDir));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      spawned.delete(child);
      dataDirOf.delete(child);
      resolve({ code, signal });
    }),
  );
  let gone = false;
  const died = exited.then(({ code, signal }) => {
    gone = true;
    throw new Error(`node ${id} exited (${signal ?? code}) before it was ready`);
  });
  // The poll stops as soon as the process is gone; the race then holds the exit's error.
  const ready = until(`node ${id} ready`, () => gone || (BANNER.ws.test(out) && BANNER.http.test(out)), options.readyMs ?? WAIT_MS, 20);
  try {
    await Promise.race([ready, died]);
  } catch (error) {
    if (!gone) {
      child.kill('SIGKILL');
      await exited;
    }
    throw new Error(`${(error as Error).message}\nstdout: ${out}\nstderr: ${err}`, { cause: error });
  }
  const http = BANNER.http.exec(out)![1]!;
  return {
    id,
    dataDir,
    child,
    address: BANNER.ws.exec(out)![1]!,
    http: http === '(off)' ? '' : http,
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}

/** Stop a node with `signal` and wait until the process is gone (and reaped). */
export async function stopNode(node: NodeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal);
  return node.exited;
}

/** Whether the process is still running (not exited, not killed). */
export function running(node: NodeProcess): boolean {
  return node.child.exitCode === null && node.child.signalCode === null;
}

/** Kill (SIGKILL) every spawned `rumor start` on `dataDir` — e.g. one whose start a failed test left behind. */
export async function killNodesOn(dataDir: string): Promise<void> {
  const dir = path.resolve(dataDir);
  const on = [...dataDirOf].filter(([, d]) => d === dir).map(([child]) => child);
  await Promise.all(
    on.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Kill every process still running and remove `dirs`. */
export async function killAll(dirs: string[] = []): Promise<void> {
  const waits = [...spawned].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** JSON over HTTP. */
export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
}

/** Every key/value of a node's map (all pages). */
export async function scanAll(node: { http: string }, prefix = '', map?: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  let after: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ prefix, limit: '10000', ...(after !== undefined ? { after } : {}), ...(map ? { map } : {}) });
    const r = await http('GET', `${node.http}/kv?${q}`);
    if (r.status !== 200) throw new Error(`scan failed: ${JSON.stringify(r.body)}`);
    for (const { key, value } of r.body.items as Array<{ key: string; value: unknown }>) out.set(key, value);
    if (r.body.next === undefined) return out;
    after = r.body.next;
  }
}
