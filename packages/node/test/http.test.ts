/**
 * The HTTP API of an in-process node (real sockets on 127.0.0.1): routes, JSON errors with stable codes, limits,
 * bearer auth, and the Server-Sent Events change stream with local and remote changes.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNode, type RumorNode } from '@rumor/node';
import { http, tempDir, until } from './helpers/processes.js';

const root = tempDir('rumor-http-');
const SECRET = 'cluster-secret-for-tests';
const TOKEN = 'http-token';
let a: RumorNode;
let b: RumorNode;

beforeAll(async () => {
  a = await createNode({ id: 'a', dataDir: `${root}/a`, secret: SECRET, http: { token: TOKEN, bodyBytesMax: 4096, streamsMax: 2 } });
  b = await createNode({ id: 'b', dataDir: `${root}/b`, secret: SECRET, seeds: [a.address], http: {} });
  await until('a and b to be peers', () => a.peers().active.length === 1 && b.peers().active.length === 1);
});

afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
  rmSync(root, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('kv routes', () => {
  it('writes, reads with and without metadata, scans in key order with pages, deletes', async () => {
    const put = await http('PUT', `${a.httpAddress}/kv/users/2`, { name: 'Grace' }, auth);
    expect(put).toMatchObject({ status: 200, body: { map: 'default', key: 'users/2', writer: 'a' } });
    expect(typeof put.body.hlc).toBe('number');
    await http('PUT', `${a.httpAddress}/kv/users/1`, { name: 'Ada' }, auth);
    await http('PUT', `${a.httpAddress}/kv/other`, 1, auth);
    expect(await http('GET', `${a.httpAddress}/kv/users/1`)).toEqual({ status: 200, body: { name: 'Ada' } });
    const meta = await http('GET', `${a.httpAddress}/kv/users/1?meta=1`);
    expect(meta.body).toMatchObject({ value: { name: 'Ada' }, writer: 'a', siblings: [{ node: 'a', value: { name: 'Ada' } }] });
    const page1 = await http('GET', `${a.httpAddress}/kv?prefix=users/&limit=1`);
    expect(page1.body).toEqual({ map: 'default', prefix: 'users/', items: [{ key: 'users/1', value: { name: 'Ada' } }], next: 'users/1' });
    const page2 = await http('GET', `${a.httpAddress}/kv?prefix=users/&limit=1&after=users/1`);
    expect(page2.body).toEqual({ map: 'default', prefix: 'users/', items: [{ key: 'users/2', value: { name: 'Grace' } }] });
    expect((await http('DELETE', `${a.httpAddress}/kv/users/2`, undefined, auth)).body).toMatchObject({ deleted: true });
    expect((await http('DELETE', `${a.httpAddress}/kv/users/2`, undefined, auth)).body).toMatchObject({ deleted: false });
    expect((await http('GET', `${a.httpAddress}/kv/users/2`)).body.error.code).toBe('kv.not-found');
  });

  it('keeps maps apart with ?map= and opens them on first use', async () => {
    expect((await http('PUT', `${a.httpAddress}/kv/k?map=inventory`, 5, auth)).status).toBe(200);
    expect((await http('GET', `${a.httpAddress}/kv/k?map=inventory`)).body).toBe(5);
    expect((await http('GET', `${a.httpAddress}/kv/k`)).status).toBe(404);
    expect(a.maps()).toContain('inventory');
    // A map opened on b later pulls what a holds.
    await until('b to pull the inventory map', async () => (await http('GET', `${b.httpAddress}/kv/k?map=inventory`)).body === 5);
  });

  it('applies POST /kv batches all or nothing', async () => {
    const ops = [
      { type: 'put', key: 'batch/1', value: 1 },
      { type: 'put', key: 'batch/2', value: 2 },
      { type: 'delete', key: 'batch/1' },
    ];
    expect(await http('POST', `${a.httpAddress}/kv`, { ops }, auth)).toMatchObject({ status: 200, body: { ops: 3 } });
    expect((await http('GET', `${a.httpAddress}/kv?prefix=batch/`)).body.items).toEqual([{ key: 'batch/2', value: 2 }]);
    const refused = await http('POST', `${a.httpAddress}/kv`, { ops: [{ type: 'put', key: 'batch/3', value: 3 }, { type: 'put', key: '', value: 1 }] }, auth);
    expect(refused.status).toBe(400);
    expect((await http('GET', `${a.httpAddress}/kv/batch/3`)).status).toBe(404);
    expect((await http('POST', `${a.httpAddress}/kv`, { ops: [{ type: 'merge', key: 'x' }] }, auth)).body.error.code).toBe('http.bad-request');
    expect((await http('POST', `${a.httpAddress}/kv`, [1, 2], auth)).body.error.code).toBe('http.bad-request');
    expect((await http('POST', `${a.httpAddress}/kv`, { ops })).status).toBe(401);
  });

  it('percent-decodes keys from the path', async () => {
    await http('PUT', `${a.httpAddress}/kv/${encodeURIComponent('a key/with ünïcode?')}`, 'v', auth);
    expect((await http('GET', `${a.httpAddress}/kv?prefix=a%20key`)).body.items).toEqual([{ key: 'a key/with ünïcode?', value: 'v' }]);
  });
});

describe('errors', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, string]> = [
    ['unknown route', () => http('GET', `${a.httpAddress}/nope`), 404, 'http.not-found'],
    ['wrong method', () => http('POST', `${a.httpAddress}/status`), 405, 'http.method-not-allowed'],
    ['empty key', () => http('GET', `${a.httpAddress}/kv/`), 400, 'http.bad-request'],
    ['bad percent-encoding', () => http('GET', `${a.httpAddress}/kv/%E0%A4%A`), 400, 'http.bad-request'],
    ['bad limit', () => http('GET', `${a.httpAddress}/kv?limit=-3`), 400, 'http.bad-request'],
    ['bad map name', () => http('GET', `${a.httpAddress}/kv/x?map=rumor.node`), 400, 'node.bad-name'],
    ['write without token', () => http('PUT', `${a.httpAddress}/kv/x`, 1), 401, 'http.unauthorized'],
    ['write with a wrong token', () => http('PUT', `${a.httpAddress}/kv/x`, 1, { authorization: 'Bearer nope' }), 401, 'http.unauthorized'],
    ['body over bodyBytesMax', () => http('PUT', `${a.httpAddress}/kv/x`, 'z'.repeat(5000), auth), 413, 'http.body-too-large'],
    ['key over keyBytesMax', () => http('PUT', `${a.httpAddress}/kv/${'k'.repeat(2000)}`, 1, auth), 400, 'map.invalid-key'],
  ];
  for (const [name, call, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const r = await call();
      expect(r.status).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(typeof r.body.error.message).toBe('string');
    });
  }

  it('a body that is not JSON → 400 http.bad-json, nothing written', async () => {
    const res = await fetch(`${a.httpAddress}/kv/notjson`, { method: 'PUT', body: '{nope', headers: auth });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('http.bad-json');
    expect((await http('GET', `${a.httpAddress}/kv/notjson`)).status).toBe(404);
  });

  it('accepts the cluster secret as a bearer token for writes', async () => {
    expect((await http('PUT', `${a.httpAddress}/kv/by-secret`, true, { authorization: `Bearer ${SECRET}` })).status).toBe(200);
  });
});

describe('extension', () => {
  it('lets later modules add routes to the running API', async () => {
    a.http!.route('GET', '/hello', ({ res }) => void res.end('hi'));
    expect(await (await fetch(`${a.httpAddress}/hello`)).text()).toBe('hi');
    expect(() => a.http!.route('GET', '/hello', () => undefined)).toThrow(/already/);
  });
});

describe('status and peers', () => {
  it('reports views, pending work, keys, tombstones, anti-entropy and rejections', async () => {
    const s = (await http('GET', `${a.httpAddress}/status`)).body;
    expect(s).toMatchObject({ id: 'a', cluster: 'rumor', views: { active: ['b'] } });
    expect(s.pending).toMatchObject({ writes: 0 });
    expect(s.totals.keys).toBeGreaterThan(0);
    expect(s.maps.default).toMatchObject({ name: 'default', durable: true });
    expect(s.maps.default.tombstones).toBeGreaterThanOrEqual(1); // users/2 was deleted
    expect(typeof s.rejected.total).toBe('number');
    expect(typeof s.totals.antiEntropyRounds).toBe('number');
    const p = (await http('GET', `${b.httpAddress}/peers`)).body;
    expect(p).toMatchObject({ self: 'b', active: [{ id: 'a', address: a.address }] });
  });
});

describe('GET /events', () => {
  it('streams local and remote changes under a prefix as Server-Sent Events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${b.httpAddress}/events?prefix=feed/`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);
    // b has no token of its own: the cluster secret guards its writes.
    expect((await http('PUT', `${b.httpAddress}/kv/feed/local`, 'here')).status).toBe(401);
    expect((await http('PUT', `${b.httpAddress}/kv/feed/local`, 'here', { authorization: `Bearer ${SECRET}` })).status).toBe(200);
    await http('PUT', `${a.httpAddress}/kv/feed/remote`, 'there', auth);
    await http('PUT', `${a.httpAddress}/kv/elsewhere`, 'ignored', auth);
    await until('both changes on the stream', () => text.includes('"feed/remote"') && text.includes('"feed/local"'));
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('event: change'))
      .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
    expect(events).toContainEqual({ map: 'default', key: 'feed/local', value: 'here', origin: 'local' });
    expect(events).toContainEqual({ map: 'default', key: 'feed/remote', value: 'there', origin: 'remote' });
    expect(events.some((e) => e.key === 'elsewhere')).toBe(false);
    controller.abort();
    await read;
  });

  it('refuses streams beyond streamsMax with 503 http.too-many-streams', async () => {
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(controllers.map((c) => fetch(`${a.httpAddress}/events`, { signal: c.signal })));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await http('GET', `${a.httpAddress}/events`);
    expect(third.status).toBe(503);
    expect(third.body.error.code).toBe('http.too-many-streams');
    for (const c of controllers) c.abort();
    await until('streams to be released', async () => {
      const c = new AbortController();
      const r = await fetch(`${a.httpAddress}/events`, { signal: c.signal });
      c.abort();
      return r.status === 200;
    });
  });
});
