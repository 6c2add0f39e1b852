/**
 * The `rumor` CLI as a user runs it (spawned processes): client commands against a running node, and the errors
 * and exit codes documented in docs/node.md.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, REPO_DIR, ensureBuilt, http, killAll, runCli, startNode, tempDir, until, type NodeProcess } from './helpers/processes.js';

const root = tempDir('rumor-cli-');

/** A loopback port nothing listens on: bound once by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
const TOKEN = 'test-token-123';
let node: NodeProcess;

beforeAll(async () => {
  ensureBuilt();
  node = await startNode('cli', path.join(root, 'cli'), ['--token', TOKEN, '--quiet']);
}, 60_000);

afterAll(async () => {
  await killAll([root]);
});

describe('client commands', () => {
  it('put, get, scan, delete and peers against a running node', async () => {
    const env = { RUMOR_NODE: node.http, RUMOR_TOKEN: TOKEN };
    expect(await runCli(['put', 'users/1', '{"name":"Ada"}'], { env })).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(await runCli(['put', 'users/2', 'Grace', '--string'], { env })).toMatchObject({ code: 0 });
    expect(await runCli(['get', 'users/1'], { env })).toMatchObject({ code: 0, stdout: '{"name":"Ada"}\n' });
    const scan = await runCli(['scan', 'users/'], { env });
    expect(scan).toMatchObject({ code: 0, stdout: 'users/1\t{"name":"Ada"}\nusers/2\t"Grace"\n' });
    const page = await runCli(['scan', 'users/', '--limit', '1', '--json'], { env });
    expect(JSON.parse(page.stdout)).toMatchObject({ items: [{ key: 'users/1' }], next: 'users/1' });
    expect(await runCli(['delete', 'users/2'], { env })).toMatchObject({ code: 0, stdout: 'deleted\n' });
    expect(await runCli(['delete', 'users/2'], { env })).toMatchObject({ code: 1, stdout: 'not found\n' });
    const get = await runCli(['get', 'users/2'], { env });
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('kv.not-found');
    const peers = await runCli(['peers', '--node', node.http]);
    expect(peers).toMatchObject({ code: 0 });
    expect(peers.stdout).toContain('self     cli');
    const status = await runCli(['status', '--node', node.http]);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: 'cli', totals: { keys: 1 } });
  });
});

describe('rumor demo', () => {
  it('starts a chained local cluster with no configuration, replicates, and cleans up on Ctrl-C', async () => {
    // A base port away from the defaults (a developer's own demo may run); taken ports fall back to free ones.
    const basePort = 30_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, [CLI, 'demo', '--nodes', '3', '--base-port', String(basePort)], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until('the demo banner', () => out.includes('Try, in another terminal'));
      const https = [...out.matchAll(/^ {2}[abc] +ws:\/\/\S+ +(http:\/\/\S+)$/gm)].map((m) => m[1]!);
      expect(https).toHaveLength(3);
      const dataDir = /data: (\S+) \(removed on exit\)/.exec(out)![1]!;
      expect((await http('PUT', `${https[0]}/kv/greeting`, 'hello')).status).toBe(200);
      await until('c to have a\'s write', async () => (await http('GET', `${https[2]}/kv/greeting`)).body === 'hello');
      await until('the demo to print the replicated change', () => out.includes('[c] greeting = "hello"'));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('errors and exit codes', () => {
  it('2 for an unknown command, an unknown flag, a missing argument or a value that is not JSON', async () => {
    const cases = [['frobnicate'], ['get', 'k', '--bogus'], ['put', 'k'], ['put', 'k', 'not json'], []];
    const results = await Promise.all(cases.map((args) => runCli(args, { env: { RUMOR_NODE: node.http } })));
    results.forEach((r, i) => expect(r.code, cases[i]!.join(' ')).toBe(2));
    const r = await runCli(['put', 'k', 'not json', '--node', node.http]);
    expect(r.stderr).toContain('cli.usage');
    expect(r.stderr).toContain('--string');
  });

  it('2 for bad start flags, environment variables and config files', async () => {
    const bad = path.join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ port: 4001, colour: 'blue' }));
    const cases: Array<{ args: string[]; env?: Record<string, string>; says: string }> = [
      { args: ['start', '--port', 'abc'], says: 'port' },
      { args: ['start', '--port', '70000'], says: 'port' },
      { args: ['start', '--seed', 'http://x'], says: 'seed' },
      { args: ['start', 'extra'], says: 'unexpected argument' },
      { args: ['start'], env: { RUMOR_PORT: 'nope' }, says: 'RUMOR_PORT' },
      { args: ['start', '--config', bad], says: 'unknown field "colour"' },
      { args: ['start', '--config', path.join(root, 'missing.json')], says: 'cannot read config file' },
      { args: ['start', '--fsync', 'sometimes'], says: 'fsync' },
    ];
    const results = await Promise.all(cases.map((c) => runCli(c.args, c.env ? { env: c.env } : {})));
    results.forEach((r, i) => {
      expect(r.code, cases[i]!.args.join(' ')).toBe(2);
      expect(r.stderr, cases[i]!.args.join(' ')).toContain(cases[i]!.says);
    });
  });

  it('3 when no node answers', async () => {
    const port = await closedPort();
    const r = await runCli(['get', 'k', '--node', `http://127.0.0.1:${port}`, '--timeout', '2000']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cli.unreachable');
  });

  it('4 when the node refuses: a write without the token', async () => {
    const r = await runCli(['put', 'k', '1', '--node', node.http]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('http.unauthorized');
    const wrong = await runCli(['put', 'k', '1', '--node', node.http, '--token', 'wrong']);
    expect(wrong.code).toBe(4);
  });

  it('5 when a node cannot start: its data directory is in use, or belongs to another id', async () => {
    const locked = await runCli(['start', '--port', '0', '--data', node.dataDir]);
    expect(locked.code).toBe(5);
    expect(locked.stderr).toContain('node.data-dir-locked');
    const dir = path.join(root, 'owned');
    const first = await startNode('owner', dir, ['--quiet', '--no-http']);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const other = await runCli(['start', '--id', 'intruder', '--port', '0', '--data', dir]);
    expect(other.code).toBe(5);
    expect(other.stderr).toContain('node.id-mismatch');
  });
});
