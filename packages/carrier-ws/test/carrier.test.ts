import { afterEach, describe, expect, it } from 'vitest';
import { CarrierError, createWsCarrier, type NodeId } from '@rumor/carrier-ws';
import { createPool, deadPort, env, type Recorded } from './helpers.js';
import { handshakeRaw, openRaw } from './raw-peer.js';

const pool = createPool();
afterEach(() => pool.closeAll());

const isUp = (peer: string) => (e: Recorded) => e.kind === 'up' && e.peer === peer;
const isDown = (peer: string) => (e: Recorded) => e.kind === 'down' && e.peer === peer;
const messages = (events: Recorded[]) => events.filter((e) => e.kind === 'message').map((e) => (e.kind === 'message' ? e.envelope : undefined));

describe('createWsCarrier', () => {
  it('binds 127.0.0.1 port 0 and advertises the bound port', async () => {
    const a = await pool.carrier('a');
    expect(a.carrier.listening).toBe(true);
    expect(a.carrier.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(a.carrier.address).not.toBe('ws://127.0.0.1:0');
  });

  it('refuses use before start and bad configuration', () => {
    const c = createWsCarrier({ id: 'x', secret: 's' });
    expect(() => c.address).toThrow(CarrierError);
    expect(() => c.connect('ws://127.0.0.1:1')).toThrow(/before start/);
    expect(() => createWsCarrier({ id: '', secret: 's' })).toThrow(/id must be/);
    expect(() => createWsCarrier({ id: 'x', secret: '' })).toThrow(/secret/);
    expect(() => createWsCarrier({ id: 'x'.repeat(65), secret: 's' })).toThrow(/id must be/);
  });
});

describe('connect', () => {
  it('reports up on both sides with the advertised addresses, and messages in order', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    const upA = await a.events.waitFor(isUp('b'), 'a sees b up');
    const upB = await b.events.waitFor(isUp('a'), 'b sees a up');
    expect(upA).toEqual({ kind: 'up', peer: 'b', address: b.carrier.address });
    expect(upB).toEqual({ kind: 'up', peer: 'a', address: a.carrier.address });
    const sent = Array.from({ length: 500 }, (_, i) => env('gossip', { i, s: 'x'.repeat(i % 50) }, 'broadcast'));
    for (const e of sent) expect(a.carrier.send('b' as NodeId, e)).toBe('accepted');
    for (const e of sent.slice(0, 100)) expect(b.carrier.send('a' as NodeId, e)).toBe('accepted');
    await b.events.waitForCount((e) => e.kind === 'message', 500, '500 messages at b');
    await a.events.waitForCount((e) => e.kind === 'message', 100, '100 messages at a');
    expect(messages(b.events.events)).toEqual(sent);
    expect(messages(a.events.events)).toEqual(sent.slice(0, 100));
    // Sent in one turn, they were coalesced into far fewer frames than messages.
    const stats = a.carrier.stats();
    expect(stats.messagesOut).toBe(500);
    expect(stats.framesOut).toBeLessThan(50);
    expect(b.carrier.stats().messagesIn).toBe(500);
  });

  it('is a no-op for a connected peer and for a dial in progress', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    a.carrier.connect(b.carrier.address);
    // Round trip a message so anything the extra connects caused would have surfaced.
    a.carrier.send('b' as NodeId, env('ping', 1));
    await b.events.waitFor((e) => e.kind === 'message', 'message');
    b.carrier.send('a' as NodeId, env('pong', 1));
    await a.events.waitFor((e) => e.kind === 'message', 'message back');
    expect(a.events.of('up')).toHaveLength(1);
    expect(b.events.of('up')).toHaveLength(1);
    expect(a.carrier.stats().sockets).toBe(1);
  });

  it('reports connectFailed after bounded retries when nothing listens', async () => {
    const a = await pool.carrier('a', { connectAttempts: 3 });
    const address = `ws://127.0.0.1:${await deadPort()}`;
    a.carrier.connect(address);
    const failed = await a.events.waitFor((e) => e.kind === 'connectFailed', 'connectFailed');
    expect(failed).toMatchObject({ address });
    expect((failed as { reason: string }).reason).toMatch(/^carrier\.dial-failed: 3 attempts/);
    expect(a.carrier.stats().dials).toBe(0);
  });

  it('retries until the peer starts listening', async () => {
    const port = await deadPort();
    const a = await pool.carrier('a', { connectAttempts: 50, connectBackoffBaseMs: 20, connectBackoffMaxMs: 40 });
    a.carrier.connect(`ws://127.0.0.1:${port}`);
    // Start b on that port once a's first attempt has been refused.
    await until(() => (a.carrier.stats().errors['carrier.socket-error'] ?? 0) >= 1, 'a refused attempt');
    const b = await pool.carrier('b', { port });
    await a.events.waitFor(isUp('b'), 'up after retries');
    expect(b.carrier.address).toBe(`ws://127.0.0.1:${port}`);
  });

  it('refuses its own address and malformed addresses without dialling', async () => {
    const a = await pool.carrier('a');
    a.carrier.connect(a.carrier.address);
    a.carrier.connect('http://example.com');
    await a.events.waitForCount((e) => e.kind === 'connectFailed', 2, 'two failures');
    const reasons = a.events.of('connectFailed').map((e) => (e.kind === 'connectFailed' ? e.reason : ''));
    expect(reasons[0]).toMatch(/^carrier\.self-connection/);
    expect(reasons[1]).toMatch(/^carrier\.bad-address/);
  });

  it('detects a dial to itself through an alias of its address', async () => {
    const a = await pool.carrier('a');
    const alias = a.carrier.address.replace('127.0.0.1', 'localhost');
    a.carrier.connect(alias);
    const failed = await a.events.waitFor((e) => e.kind === 'connectFailed', 'self via alias');
    expect((failed as { reason: string }).reason).toMatch(/^carrier\.self-connection/);
    expect(a.events.of('up')).toHaveLength(0);
  });
});

describe('simultaneous dials', () => {
  it('resolve to one connection, dialled by the lower id, with no down', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await pool.carrier(`a${round}`);
      const b = await pool.carrier(`b${round}`);
      a.carrier.connect(b.carrier.address);
      b.carrier.connect(a.carrier.address);
      await a.events.waitFor(isUp(`b${round}`), 'a up');
      await b.events.waitFor(isUp(`a${round}`), 'b up');
      // Exchange messages both ways: the surviving link carries them and nothing went down.
      a.carrier.send(`b${round}` as NodeId, env('one', round));
      b.carrier.send(`a${round}` as NodeId, env('two', round));
      await b.events.waitFor((e) => e.kind === 'message', 'message at b');
      await a.events.waitFor((e) => e.kind === 'message', 'message at a');
      // Wait until the losing socket is gone on both sides.
      await until(() => a.carrier.stats().sockets === 1 && b.carrier.stats().sockets === 1, 'one socket each');
      expect(a.events.of('up')).toHaveLength(1);
      expect(b.events.of('up')).toHaveLength(1);
      expect(a.events.of('down')).toHaveLength(0);
      expect(b.events.of('down')).toHaveLength(0);
      expect(a.events.of('connectFailed')).toHaveLength(0);
      expect(b.events.of('connectFailed')).toHaveLength(0);
      expect(a.carrier.stats().dials).toBe(0);
      expect(b.carrier.stats().dials).toBe(0);
      // The lower id (a…) dialled the survivor, as both sides see it.
      expect(a.carrier.stats().peers).toMatchObject([{ id: `b${round}`, dialled: 'out' }]);
      expect(b.carrier.stats().peers).toMatchObject([{ id: `a${round}`, dialled: 'in' }]);
      // b's dial existed and was refused or abandoned as a duplicate by one side or the other.
      const duplicates = (a.carrier.stats().errors['carrier.duplicate'] ?? 0) + (b.carrier.stats().errors['carrier.duplicate'] ?? 0);
      expect(duplicates).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('disconnect', () => {
  it('flushes accepted messages, then reports down closed on both sides', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    await b.events.waitFor(isUp('a'), 'up');
    await a.events.waitFor(isUp('b'), 'up');
    for (let i = 0; i < 100; i++) a.carrier.send('b' as NodeId, env('gossip', i, 'broadcast'));
    a.carrier.disconnect('b' as NodeId);
    expect(a.carrier.send('b' as NodeId, env('late', 0))).toBe('closed');
    expect(a.events.of('down')).toHaveLength(0); // never inside the call
    await a.events.waitFor(isDown('b'), 'down at a');
    await b.events.waitFor(isDown('a'), 'down at b');
    expect(a.events.of('down')[0]).toEqual({ kind: 'down', peer: 'b', reason: 'closed' });
    expect(b.events.of('down')[0]).toEqual({ kind: 'down', peer: 'a', reason: 'closed' });
    expect(messages(b.events.events).map((e) => e!.body)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // And the pair can connect again.
    b.carrier.connect(a.carrier.address);
    await a.events.waitForCount(isUp('b'), 2, 'second up');
  });

  it('answers closed for unknown peers and ignores disconnect of unknown peers', async () => {
    const a = await pool.carrier('a');
    expect(a.carrier.send('nobody' as NodeId, env('x', 1))).toBe('closed');
    a.carrier.disconnect('nobody' as NodeId);
    expect(a.carrier.stats().links).toBe(0);
  });
});

describe('failure detection', () => {
  it('reports down failed when the peer process goes away', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    await b.events.waitFor(isUp('a'), 'up');
    await b.carrier.close(); // b's close is orderly (1001): a sees closed
    const down = await a.events.waitFor(isDown('b'), 'down');
    expect(down).toEqual({ kind: 'down', peer: 'b', reason: 'closed' });
  });

  it('a restarted peer (new instance) replaces its old link: down failed, then up', async () => {
    const a = await pool.carrier('a');
    const b1 = await pool.carrier('b', { keepaliveIntervalMs: 60_000, keepaliveTimeoutMs: 120_000 });
    b1.carrier.connect(a.carrier.address);
    await a.events.waitFor(isUp('b'), 'first up');
    // A second carrier with the same id dials while the first link is still open (as after a crash whose socket
    // a has not yet noticed).
    const b2 = await pool.carrier('b');
    b2.carrier.connect(a.carrier.address);
    await b2.events.waitFor(isUp('a'), 'b2 up');
    await a.events.waitForCount(isUp('b'), 2, 'second up');
    const kinds = a.events.events.filter((e) => e.kind !== 'message').map((e) => e.kind);
    expect(kinds).toEqual(['up', 'down', 'up']);
    expect(a.events.of('down')[0]).toEqual({ kind: 'down', peer: 'b', reason: 'failed' });
    a.carrier.send('b' as NodeId, env('hello', 2));
    await b2.events.waitFor((e) => e.kind === 'message', 'message reaches the new instance');
    await b1.events.waitFor(isDown('a'), 'old instance sees its link go');
  });
});

describe('send', () => {
  it('returns backpressure past the queue bound and emits drain once it empties', async () => {
    const a = await pool.carrier('a', { sendQueueMessagesMax: 64, sendQueueBytesMax: 2 * 1024 * 1024, frameBytesMax: 1024 * 1024 });
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    const results: string[] = [];
    for (let i = 0; i < 100; i++) results.push(a.carrier.send('b' as NodeId, env('gossip', i, 'broadcast')));
    expect(results.slice(0, 64).every((r) => r === 'accepted')).toBe(true);
    expect(results.slice(64).every((r) => r === 'backpressure')).toBe(true);
    expect(a.carrier.stats().backpressure).toBe(36);
    await a.events.waitFor((e) => e.kind === 'drain' && e.peer === 'b', 'drain');
    await b.events.waitForCount((e) => e.kind === 'message', 64, '64 delivered');
    expect(a.carrier.send('b' as NodeId, env('gossip', 100, 'broadcast'))).toBe('accepted');
  });

  it('bounds bytes as well as messages', async () => {
    const a = await pool.carrier('a', { sendQueueBytesMax: 64 * 1024, frameBytesMax: 64 * 1024 });
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    const big = 'x'.repeat(10_000);
    const results = Array.from({ length: 10 }, () => a.carrier.send('b' as NodeId, env('delta', big, 'replica')));
    expect(results.filter((r) => r === 'accepted')).toHaveLength(6);
    expect(results.slice(6).every((r) => r === 'backpressure')).toBe(true);
    await a.events.waitFor((e) => e.kind === 'drain', 'drain');
  });

  it('sends one envelope per frame when coalescing is off', async () => {
    const a = await pool.carrier('a', { envelopesPerFrameMax: 1 });
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    for (let i = 0; i < 50; i++) a.carrier.send('b' as NodeId, env('ihave', i, 'broadcast'));
    await b.events.waitForCount((e) => e.kind === 'message', 50, '50 delivered');
    expect(a.carrier.stats().framesOut).toBe(50);
  });

  it('throws on an envelope that can never be sent (programmer error)', async () => {
    const a = await pool.carrier('a', { frameBytesMax: 1024 });
    const b = await pool.carrier('b');
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    expect(() => a.carrier.send('b' as NodeId, env('delta', 'x'.repeat(2000), 'replica'))).toThrow(/carrier\.unencodable|frame-too-large/);
    expect(() => a.carrier.send('b' as NodeId, { v: 1, layer: 'nope' as 'replica', type: 'x', body: 1 })).toThrow(CarrierError);
  });
});

describe('close', () => {
  it('closes every socket, emits nothing afterwards, and frees the port', async () => {
    const a = await pool.carrier('a');
    const b = await pool.carrier('b');
    const c = await pool.carrier('c');
    b.carrier.connect(a.carrier.address);
    c.carrier.connect(a.carrier.address);
    await a.events.waitForCount((e) => e.kind === 'up', 2, 'two ups');
    const before = a.events.events.length;
    await a.carrier.close();
    expect(a.carrier.listening).toBe(false);
    expect(a.carrier.stats().sockets).toBe(0);
    expect(a.events.events.length).toBe(before);
    await b.events.waitFor(isDown('a'), 'b sees a down');
    await c.events.waitFor(isDown('a'), 'c sees a down');
    // The port is free again.
    const port = Number(new URL(a.carrier.address).port);
    const again = await pool.carrier('a2', { port });
    expect(again.carrier.address).toBe(a.carrier.address);
  });
});

/** Poll a condition on the event loop (for state that has no event of its own, like a socket finishing its close). */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('keepalive', () => {
  it('fails a link whose peer stops answering pings', async () => {
    const a = await pool.carrier('a', { keepaliveIntervalMs: 40, keepaliveTimeoutMs: 150 });
    // A peer that completes the handshake and then goes silent: no pongs, no frames.
    const { peer, outcome } = await handshakeRaw(a.carrier.address, { id: 'silent', ws: { autoPong: false } });
    expect(outcome).toBe('welcome');
    await a.events.waitFor(isUp('silent'), 'up');
    const down = await a.events.waitFor(isDown('silent'), 'down after keepalive timeout');
    expect(down).toEqual({ kind: 'down', peer: 'silent', reason: 'failed' });
    expect(a.carrier.stats().errors['carrier.keepalive-timeout']).toBe(1);
    await peer.closed;
  });

  it('keeps a quiet but answering link up', async () => {
    const a = await pool.carrier('a', { keepaliveIntervalMs: 20, keepaliveTimeoutMs: 80 });
    const b = await pool.carrier('b', { keepaliveIntervalMs: 20, keepaliveTimeoutMs: 80 });
    a.carrier.connect(b.carrier.address);
    await a.events.waitFor(isUp('b'), 'up');
    // Idle for several keepalive timeouts, measured in control frames received (each ping or pong from b is
    // 2 bytes on the wire) rather than in wall time: 20 of them span at least ten ping intervals.
    const baseline = a.carrier.stats().wireBytesIn;
    await until(() => a.carrier.stats().wireBytesIn >= baseline + 40, 'pings and pongs flowing');
    expect(a.events.of('down')).toHaveLength(0);
    expect(a.carrier.send('b' as NodeId, env('still', 1))).toBe('accepted');
    await b.events.waitFor((e) => e.kind === 'message', 'message after idle');
  });
});

describe('connection limits', () => {
  it('refuses inbound sockets over the per-IP and total limits with 503, and counts them', async () => {
    const a = await pool.carrier('a', { connectionsPerIpMax: 3, handshakesMax: 100 });
    const raws = Array.from({ length: 5 }, () => openRaw(a.carrier.address));
    const settled = await Promise.allSettled(raws.map((r) => r.opened));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    expect(a.carrier.stats().errors['carrier.limit-per-ip']).toBe(2);
    for (const r of raws) r.ws.terminate();
    await Promise.all(raws.map((r) => r.closed));
    await until(() => a.carrier.stats().sockets === 0, 'sockets released');
    // Slots come back once the sockets are gone.
    const again = openRaw(a.carrier.address);
    await again.opened;
    again.ws.terminate();

    const t = await pool.carrier('t', { connectionsMax: 2, connectionsPerIpMax: 100, handshakesMax: 100 });
    const more = Array.from({ length: 4 }, () => openRaw(t.carrier.address));
    const results = await Promise.allSettled(more.map((r) => r.opened));
    expect(results.filter((s) => s.status === 'fulfilled')).toHaveLength(2);
    expect(t.carrier.stats().errors['carrier.limit-connections']).toBe(2);
    for (const r of more) r.ws.terminate();
  });
});
