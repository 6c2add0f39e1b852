/**
 * Multi-process test helpers: build the CLI if its output is stale, spawn `rumor start` on loopback with free
 * ports (port 0; the addresses are read from the ready banner), talk to nodes over HTTP, poll with deadlines, and
 * kill every spawned process at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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

/** Build packages/node (and what it references) when dist/cli.js is missing or older than a source file. */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    built = 0;
  }
  const sources = ['node', 'map', 'replica', 'carrier-ws', 'membership', 'broadcast', 'ormap', 'crdt-wire', 'hlc'].map((p) =>
    newestMtime(path.join(REPO_DIR, 'packages', p, 'src')),
  );
  if (built > Math.max(...sources)) return;
  const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-b', path.join(REPO_DIR, 'packages', 'node')], { cwd: REPO_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -b packages/node failed:\n${r.stdout}\n${r.stderr}`);
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = 'rumor-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Poll `check` until it returns a value other than undefined/false, or fail after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
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

/** Spawn `rumor start` with free ports (and `--id id` unless `passId: false`); resolves once it is ready. */
export async function startNode(
  id: string,
  dataDir: string,
  extra: string[] = [],
  options: { env?: Record<string, string>; passId?: boolean } = {},
): Promise<NodeProcess> {
  const idArgs = options.passId === false ? [] : ['--id', id];
  const child = spawn(process.execPath, [CLI, 'start', ...idArgs, '--port', '0', '--data', dataDir, ...extra], {
    cwd: REPO_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      spawned.delete(child);
      resolve({ code, signal });
    }),
  );
  const ready = await Promise.race([
    until(`node ${id} ready`, () => /http api\s+\S+/.test(out) && /peers dial\s+(ws:\/\/\S+)/.test(out), 30_000, 20),
    exited.then(({ code }) => {
      throw new Error(`node ${id} exited with ${code} before it was ready: ${err}`);
    }),
  ]);
  void ready;
  return {
    id,
    dataDir,
    child,
    address: /peers dial\s+(ws:\/\/\S+)/.exec(out)![1]!,
    http: /http api\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '',
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
