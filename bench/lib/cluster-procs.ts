/**
 * Process plumbing of the cluster benchmark: spawn `rumor start` (the built CLI) or the raw-ws peer on loopback
 * with free ports, read their addresses, follow their change streams (SSE) recording when each key arrived, and
 * kill them all at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to bench/dist/lib: the repository is three levels up.
export const REPO = path.resolve(here, '..', '..', '..');
export const CLI = path.join(REPO, 'packages', 'node', 'dist', 'cli.js');
const RAW_PEER = path.join(here, 'cluster-raw-peer.js');

/** A spawned process with its HTTP base URL and ws address. */
export interface Proc {
  name: string;
  child: ChildProcess;
  ws: string;
  http: string;
  /** ms since the epoch when the process printed its ready line. */
  readyAt: number;
  spawnedAt: number;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** A temporary directory removed by `killAll`. */
export function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'rumor-bench-'));
  dirs.push(d);
  return d;
}

function spawnReady(name: string, args: string[], parse: (out: string) => { ws: string; http: string } | undefined): Promise<Proc> {
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 60 s: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const a = parse(out);
      if (a !== undefined && out.length > 0) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ name, child, ...a, readyAt: Date.now(), spawnedAt });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready: ${err}`));
    });
  });
}

/** Start a Rumor node (`rumor start`) on free ports. */
export function startRumor(name: string, dataDir: string, seeds: string[], extra: string[] = []): Promise<Proc> {
  const args = [CLI, 'start', '--id', name, '--port', '0', '--data', dataDir, '--quiet', ...seeds.flatMap((s) => ['--seed', s]), ...extra];
  return spawnReady(name, args, (out) => {
    const ws = /peers dial\s+(ws:\/\/\S+)/.exec(out)?.[1];
    const http = /http api\s+(http:\/\/\S+)/.exec(out)?.[1];
    return ws && http ? { ws, http } : undefined;
  });
}

/** Start a raw-ws ceiling peer. */
export function startRaw(name: string): Promise<Proc> {
  return spawnReady(name, [RAW_PEER], (out) => {
    const m = /READY (\{.*\})/.exec(out);
    return m ? (JSON.parse(m[1]!) as { ws: string; http: string }) : undefined;
  });
}

/** Kill every spawned process and remove the temporary directories. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** JSON over HTTP. */
export async function call(method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text.length > 0 ? JSON.parse(text) : undefined;
}

/** Poll until `check` is truthy or throw after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A change-stream follower: when each key under the prefix first arrived (performance.now() ms). */
export interface Follower {
  arrivals: Map<string, number>;
  stop(): void;
}

/** Follow `GET /events` of a process, recording the arrival of every key. */
export async function follow(proc: Proc, prefix: string): Promise<Follower> {
  const controller = new AbortController();
  const res = await fetch(`${proc.http}/events?prefix=${encodeURIComponent(prefix)}`, { signal: controller.signal });
  const arrivals = new Map<string, number>();
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data === undefined) continue;
        const key = (JSON.parse(data.slice(6)) as { key: string }).key;
        if (!arrivals.has(key)) arrivals.set(key, performance.now());
      }
    }
  })().catch(() => undefined);
  return { arrivals, stop: () => controller.abort() };
}
