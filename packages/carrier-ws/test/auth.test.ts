import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import type { NodeId } from '@rumor/carrier-ws';
import { createPool, env, type Recorded } from './helpers.js';
import { handshakeRaw, honestHello, openRaw, responseFor } from './raw-peer.js';
import { decodeHandshake, encodeHandshake } from '../src/handshake.js';

const pool = createPool();
afterEach(() => pool.closeAll());

const isUp = (e: Recorded) => e.kind === 'up';
const failedWith = async (events: { waitFor: (m: (e: Recorded) => boolean, w: string) => Promise<Recorded> }) =>
  ((await events.waitFor((e) => e.kind === 'connectFailed', 'connectFailed')) as { reason: string }).reason;

describe('cluster secret', () => {
  it('a dialer with the wrong secret rejects the acceptor, and gets connectFailed without retrying', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b', { secret: 'another-secret', connectAttempts: 5 });
    b.carrier.connect(a.carrier.address);
    expect(await failedWith(b.events)).toMatch(/^carrier\.auth-failed/);
    expect(b.carrier.stats().errors['carrier.auth-failed']).toBe(1); // one attempt: auth failures are final
    expect(a.events.of('up')).toHaveLength(0);
    expect(b.events.of('up')).toHaveLength(0);
  });

  it('an acceptor closes a dialer whose response does not verify with 4003 and counts it', async () => {
    const a = await pool.carrier('a');
    const { outcome } = await handshakeRaw(a.carrier.address, { secret: 'wrong', forceResponse: true });
    expect(outcome).toMatchObject({ code: 4003 });
    expect((outcome as { reason: string }).reason).toMatch(/^carrier\.auth-failed/);
    expect(a.carrier.stats().errors['carrier.auth-failed']).toBe(1);
    expect(a.events.of('up')).toHaveLength(0);
  });

  it('a reflected proof (the acceptor\'s own MAC sent back as the response) fails', async () => {
    const a = await pool.carrier('a');
    const raw = openRaw(a.carrier.address);
    await raw.opened;
    const hello = honestHello('mirror');
    raw.send(encodeHandshake(hello));
    const challenge = decodeHandshake(await raw.nextFrame(), 4096);
    expect(challenge.ok && challenge.value.type).toBe('challenge');
    if (!challenge.ok || challenge.value.type !== 'challenge') return;
    raw.send(encodeHandshake({ type: 'response', mac: challenge.value.mac }));
    expect(await raw.closed).toMatchObject({ code: 4003 });
    expect(a.events.of('up')).toHaveLength(0);
  });
});

describe('replay', () => {
  it('a recorded dialer transcript replayed on a new connection fails', async () => {
    const a = await pool.carrier('a');
    // An eavesdropper records an honest dialer's two frames (hello, response) of a successful handshake.
    const honest = openRaw(a.carrier.address);
    await honest.opened;
    const hello = honestHello('victim');
    const recorded: Uint8Array[] = [encodeHandshake(hello)];
    honest.send(recorded[0]!);
    const challenge = decodeHandshake(await honest.nextFrame(), 4096);
    if (!challenge.ok || challenge.value.type !== 'challenge') throw new Error('no challenge');
    recorded.push(encodeHandshake(responseFor('test-cluster-secret', hello, challenge.value)));
    honest.send(recorded[1]!);
    await a.events.waitFor((e) => e.kind === 'up' && e.peer === 'victim', 'the recorded run succeeded');
    honest.ws.close();
    await a.events.waitFor((e) => e.kind === 'down' && e.peer === 'victim', 'victim down');

    // Replaying the exact frames on a new connection fails: the acceptor's nonce is fresh.
    const replay = openRaw(a.carrier.address);
    await replay.opened;
    replay.send(recorded[0]!);
    await replay.nextFrame();
    replay.send(recorded[1]!);
    const closed = await replay.closed;
    expect(closed.code).toBe(4003);
    expect(closed.reason).toMatch(/^carrier\.auth-failed/);
    expect(a.events.events.filter(isUp)).toHaveLength(1);
    expect(a.carrier.stats().errors['carrier.auth-failed']).toBe(1);
  });

  it('a recorded challenge replayed to a dialing carrier fails', async () => {
    const a = await pool.carrier('a');
    const raw = openRaw(a.carrier.address);
    await raw.opened;
    raw.send(encodeHandshake(honestHello('someone')));
    const recordedChallenge = await raw.nextFrame();
    raw.ws.close();
    // A fake acceptor that answers every hello with the recorded challenge of the real node a.
    const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => fake.once('listening', () => r()));
    fake.on('connection', (ws) => ws.on('message', () => ws.send(recordedChallenge)));
    try {
      const b = await pool.carrier('b');
      b.carrier.connect(`ws://127.0.0.1:${(fake.address() as { port: number }).port}`);
      expect(await failedWith(b.events)).toMatch(/^carrier\.auth-failed/);
      expect(b.events.of('up')).toHaveLength(0);
    } finally {
      for (const c of fake.clients) c.terminate();
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });
});

describe('cluster and version', () => {
  it('refuses another cluster with 4002 on both paths', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b', { cluster: 'other' });
    b.carrier.connect(a.carrier.address);
    expect(await failedWith(b.events)).toMatch(/^carrier\.wrong-cluster/);
    expect(a.carrier.stats().errors['carrier.wrong-cluster']).toBe(1);
    const { outcome } = await handshakeRaw(a.carrier.address, { cluster: 'other' });
    expect(outcome).toMatchObject({ code: 4002 });
    expect(a.events.of('up')).toHaveLength(0);
  });

  it('refuses another protocol version with 4001, before revealing anything', async () => {
    const a = await pool.carrier('a');
    const raw = openRaw(a.carrier.address);
    await raw.opened;
    raw.send(encodeHandshake({ ...honestHello('future'), v: 2 }));
    const closed = await raw.closed;
    expect(closed.code).toBe(4001);
    expect(closed.reason).toMatch(/^carrier\.version-mismatch/);
    expect(raw.frames).toHaveLength(0); // no challenge was sent
  });
});

describe('per-node keys', () => {
  const keys = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ed25519');
  const ka = keys();
  const kb = keys();
  const kc = keys();
  const directory = new Map<string, KeyObject>([['a', ka.publicKey], ['b', kb.publicKey]]);

  it('connects nodes whose keys are known', async () => {
    const a = await pool.carrier('a', { nodeKeys: { privateKey: ka.privateKey, peers: directory } });
    const b = await pool.carrier('b', { nodeKeys: { privateKey: kb.privateKey, peers: (id) => directory.get(id) } });
    b.carrier.connect(a.carrier.address);
    await a.events.waitFor(isUp, 'up at a');
    await b.events.waitFor(isUp, 'up at b');
    b.carrier.send('a' as NodeId, env('join', 1));
    await a.events.waitFor((e) => e.kind === 'message', 'message');
  });

  it('refuses an unknown node even with the cluster secret', async () => {
    const a = await pool.carrier('a', { nodeKeys: { privateKey: ka.privateKey, peers: directory } });
    const c = await pool.carrier('c', { nodeKeys: { privateKey: kc.privateKey, peers: directory } });
    c.carrier.connect(a.carrier.address);
    expect(await failedWith(c.events)).toMatch(/^carrier\.unknown-node/);
    expect(a.carrier.stats().errors['carrier.unknown-node']).toBe(1);
  });

  it('refuses a node claiming another node\'s id with its own key', async () => {
    const a = await pool.carrier('a', { nodeKeys: { privateKey: ka.privateKey, peers: directory } });
    const impostor = await pool.carrier('b', { nodeKeys: { privateKey: kc.privateKey, peers: directory } });
    impostor.carrier.connect(a.carrier.address);
    expect(await failedWith(impostor.events)).toMatch(/^carrier\.auth-failed/);
    expect(a.carrier.stats().errors['carrier.auth-failed']).toBe(1);
    expect(a.events.of('up')).toHaveLength(0);
  });

  it('refuses a node that sends no signature', async () => {
    const a = await pool.carrier('a', { nodeKeys: { privateKey: ka.privateKey, peers: directory } });
    const b = await pool.carrier('b'); // cluster secret only
    b.carrier.connect(a.carrier.address);
    await failedWith(b.events);
    expect(a.carrier.stats().errors['carrier.auth-failed']).toBe(1);
  });
});

describe('TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    // A throwaway self-signed certificate for 127.0.0.1, generated per run: no key material is committed.
    dir = mkdtempSync(path.join(tmpdir(), 'rumor-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=rumor-test', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves and dials wss with a configured certificate', async () => {
    const a = await pool.carrier('a', { tls: { cert, key, ca: cert } });
    const b = await pool.carrier('b', { tls: { cert, key, ca: cert } });
    expect(a.carrier.address).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    b.carrier.connect(a.carrier.address);
    await a.events.waitFor(isUp, 'up at a');
    await b.events.waitFor(isUp, 'up at b');
    a.carrier.send('b' as NodeId, env('join', 'over tls'));
    const m = await b.events.waitFor((e) => e.kind === 'message', 'message');
    expect(m).toMatchObject({ envelope: { body: 'over tls' } });
  });

  it('refuses a server certificate it does not trust', async () => {
    const a = await pool.carrier('a', { tls: { cert, key, ca: cert } });
    const b = await pool.carrier('b', { tls: { cert, key }, connectAttempts: 1 }); // Node's root store only
    b.carrier.connect(a.carrier.address);
    expect(await failedWith(b.events)).toMatch(/^carrier\.dial-failed.*(self[- ]signed|certificate)/i);
    expect(a.events.of('up')).toHaveLength(0);
  });

  it('mutual TLS refuses a dialler without a trusted client certificate', async () => {
    const a = await pool.carrier('a', { tls: { cert, key, ca: cert, requestClientCert: true } });
    const b = await pool.carrier('b', { tls: { cert, key, ca: cert } });
    b.carrier.connect(a.carrier.address);
    await a.events.waitFor(isUp, 'trusted client connects');
    const raw = openRaw(a.carrier.address, { ca: cert });
    await expect(raw.opened).rejects.toThrow();
  });
});

