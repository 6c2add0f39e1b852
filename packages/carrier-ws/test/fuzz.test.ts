/**
 * Hostile input against a live node (issue 7, "Done when"): thousands of random, truncated, mutated, oversized and
 * adversarial frames — during the handshake, after an authenticated handshake, and below the WebSocket framing —
 * plus silent and slow handshakes. Throughout, the node keeps serving its good peer: every heartbeat is delivered
 * in order both ways, the good link never goes down, and hostile frames cause no message events (the oracle for
 * what an authenticated peer's frames may deliver is crdt-wire's own `decodeFrame`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { decodeFrame, encodeFrame, type Envelope as WireEnvelope } from '@rumor/crdt-wire';
import type { NodeId, WsCarrier } from '@rumor/carrier-ws';
import { createPool, env, type Recorded, type Recorder } from './helpers.js';
import { handshakeRaw, honestHello, openRaw } from './raw-peer.js';
import { encodeHandshake } from '../src/handshake.js';

const scale = Number(process.env.RUNS_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));

const FRAME_BYTES_MAX = 16 * 1024;
const pool = createPool();
let a: { carrier: WsCarrier; events: Recorder };
let b: { carrier: WsCarrier; events: Recorder };
let beats = 0;

beforeAll(async () => {
  a = await pool.carrier('node-a', {
    frameBytesMax: FRAME_BYTES_MAX,
    handshakeTimeoutMs: 300,
    handshakesMax: 16,
    connectionsPerIpMax: 64,
  });
  b = await pool.carrier('node-b', { connectAttempts: 20, connectBackoffBaseMs: 50, connectBackoffMaxMs: 200 });
  b.carrier.connect(a.carrier.address);
  await a.events.waitFor((e) => e.kind === 'up' && e.peer === 'node-b', 'good peer up');
  await b.events.waitFor((e) => e.kind === 'up' && e.peer === 'node-a', 'good peer up');
});
afterAll(() => pool.closeAll());

/** One heartbeat each way between the node and its good peer; resolves when both arrived. */
async function heartbeat(): Promise<void> {
  const n = ++beats;
  expect(b.carrier.send('node-a' as NodeId, env('beat', n, 'replica'))).toBe('accepted');
  expect(a.carrier.send('node-b' as NodeId, env('beat', n, 'replica'))).toBe('accepted');
  const isBeat = (from: string) => (e: Recorded) => e.kind === 'message' && e.peer === from && e.envelope.type === 'beat';
  await a.events.waitForCount(isBeat('node-b'), n, `beat ${n} at a`);
  await b.events.waitForCount(isBeat('node-a'), n, `beat ${n} at b`);
}

const messagesFrom = (events: Recorder, peer: string) =>
  events.events.flatMap((e) => (e.kind === 'message' && e.peer === peer ? [e.envelope] : []));

/** Binaries compared by content: the node decodes from a Buffer, the oracle from a Uint8Array. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bin: [...value] };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

// ---- arbitraries ----------------------------------------------------------------------------------------------

const layer = fc.constantFrom<WireEnvelope['layer']>('membership', 'broadcast', 'replica');
const msgType = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const body = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 40 }),
  fc.array(fc.integer(), { maxLength: 8 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }),
  fc.uint8Array({ maxLength: 32 }),
);
const envelope = fc.record({ v: fc.constant(1), layer, type: msgType, body });
const validFrame = fc.array(envelope, { minLength: 1, maxLength: 6 }).map((list) => {
  const r = encodeFrame(list);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
});

/** Hand-written msgpack that attacks bounds: declared lengths with nothing behind them, nesting, ext, bad keys. */
const adversarialBytes = fc.constantFrom<Uint8Array>(
  Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // array32 of 4 294 967 295 elements, none present
  Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff]), // map32, likewise
  Uint8Array.from([0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]), // str32 of 2 GiB with one byte behind it
  Uint8Array.from([0xc6, 0xff, 0xff, 0xff, 0xff]), // bin32
  Uint8Array.from([0xc9, 0x00, 0x00, 0x00, 0x04, 0x01, 1, 2, 3, 4]), // ext32
  Uint8Array.from([0xd6, 0xff, 0, 0, 0, 0]), // timestamp ext
  Uint8Array.from(Array.from({ length: 200 }, () => 0x91)), // 200 nested arrays, unterminated
  Uint8Array.from([...Array.from({ length: 100 }, () => 0x91), 0xc0]), // 100 nested arrays: too deep
  Uint8Array.from([0xc1]), // the never-used byte
  Uint8Array.from([0x94, 0x02, 0x01, 0xa1, 0x61, 0xc0]), // envelope of version 2
  Uint8Array.from([0x94, 0x01, 0x09, 0xa1, 0x61, 0xc0]), // unknown layer
  Uint8Array.from([0x94, 0x01, 0x01, 0xa1, 0x41, 0xc0]), // type "A"
  Uint8Array.from([0x94, 0x01, 0x01, 0xa1, 0x61, 0x81, 0xa9, ...Buffer.from('__proto__'), 0xc0]), // __proto__ key
  Uint8Array.from([0x94, 0x01, 0x01, 0xa1, 0x61, 0x81, 0x01, 0xc0]), // integer map key
  Uint8Array.from([0x93, 0x01, 0x01, 0xa1]), // three-element envelope, truncated
  new Uint8Array(0),
);

/** A frame an authenticated hostile peer sends: raw bytes, or text. */
type Hostile = { text: string } | { bytes: Uint8Array };
const hostileFrame: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ bytes })) },
  { weight: 3, arbitrary: fc.tuple(validFrame, fc.nat()).map(([f, cut]) => ({ bytes: f.subarray(0, cut % f.length) })) },
  {
    weight: 3,
    arbitrary: fc.tuple(validFrame, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([f, at, byte]) => {
      const copy = Uint8Array.from(f);
      copy[at % copy.length] = byte;
      return { bytes: copy };
    }),
  },
  { weight: 2, arbitrary: adversarialBytes.map((bytes) => ({ bytes })) },
  { weight: 1, arbitrary: fc.integer({ min: FRAME_BYTES_MAX + 1, max: FRAME_BYTES_MAX + 4096 }).map((n) => ({ bytes: new Uint8Array(n) })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((text) => ({ text })) },
  { weight: 4, arbitrary: validFrame.map((bytes) => ({ bytes })) },
);

/** The envelopes a frame may deliver, per crdt-wire's decoder with the node's limits; undefined = must close. */
function oracle(f: Hostile): WireEnvelope[] | undefined {
  if ('text' in f) return undefined;
  if (f.bytes.length > FRAME_BYTES_MAX) return undefined;
  const r = decodeFrame(f.bytes, { frameBytesMax: FRAME_BYTES_MAX });
  return r.ok ? r.value : undefined;
}

// ---- the suite ------------------------------------------------------------------------------------------------

describe('a live node under hostile input', () => {
  let evil = 0;

  it('authenticated peers sending random, truncated, mutated, oversized and adversarial frames change nothing', async () => {
    let framesSent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hostileFrame, { minLength: 1, maxLength: 8 }), async (frames) => {
        const id = `evil-${++evil}`;
        const { peer, outcome } = await handshakeRaw(a.carrier.address, { id });
        expect(outcome).toBe('welcome');
        await a.events.waitFor((e) => e.kind === 'up' && e.peer === id, `${id} up`);
        const expected: WireEnvelope[] = [];
        let survives = true;
        for (const f of frames) {
          framesSent++;
          peer.send('text' in f ? f.text : f.bytes);
          const delivered = oracle(f);
          if (delivered === undefined) {
            survives = false;
            break; // the node closes on this frame; anything after it is never read
          }
          expected.push(...delivered);
        }
        if (survives) {
          const marker = encodeFrame([{ v: 1, layer: 'membership', type: 'marker', body: id }]);
          if (!marker.ok) throw new Error('marker');
          peer.send(marker.value);
          expected.push({ v: 1, layer: 'membership', type: 'marker', body: id });
          await a.events.waitFor((e) => e.kind === 'message' && e.peer === id && e.envelope.type === 'marker', `${id} marker`);
          peer.ws.terminate();
        } else {
          const closed = await peer.closed;
          expect([4008, 1009]).toContain(closed.code);
        }
        await a.events.waitFor((e) => e.kind === 'down' && e.peer === id, `${id} down`);
        expect(plain(messagesFrom(a.events, id))).toEqual(plain(expected));
        await heartbeat();
      }),
      { numRuns: runs(250) },
    );
    expect(framesSent).toBeGreaterThan(runs(250));
    const errors = a.carrier.stats().errors;
    expect(errors['carrier.frame-invalid']).toBeGreaterThan(0);
    expect(errors['carrier.frame-too-large']).toBeGreaterThan(0);
  });

  it('garbage during the handshake closes the socket with a reason and never brings a peer up', async () => {
    const upsBefore = a.events.of('up').length;
    const hello = honestHello('hs-fuzz');
    const helloBytes = encodeHandshake(hello);
    const garbage: fc.Arbitrary<Hostile> = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes })),
      fc.nat().map((cut) => ({ bytes: helloBytes.subarray(0, cut % helloBytes.length) })),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        const copy = Uint8Array.from(helloBytes);
        copy[at % copy.length] = byte;
        return { bytes: copy };
      }),
      adversarialBytes.map((bytes) => ({ bytes })),
      fc.integer({ min: 1025, max: 4000 }).map((n) => ({ bytes: randomBytes(n) })), // over handshakeBytesMax
      fc.string({ maxLength: 20 }).map((text) => ({ text })),
      fc.constantFrom<Hostile>(
        { bytes: encodeHandshake({ type: 'welcome' }) }, // out of order
        { bytes: encodeHandshake({ type: 'response', mac: new Uint8Array(32) }) },
        { bytes: encodeHandshake({ ...hello, id: 'node-a' }) }, // claims the node's own id
        { bytes: encodeHandshake({ ...hello, cluster: 'elsewhere' }) },
      ),
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(garbage, async (f) => {
        const raw = openRaw(a.carrier.address);
        await raw.opened;
        raw.send('text' in f ? f.text : f.bytes);
        // Whatever the frame did, a text frame is never valid in the handshake: the socket must close either way.
        raw.send('end');
        sent++;
        const closed = await raw.closed;
        expect([4000, 4001, 4002, 4005, 1009]).toContain(closed.code);
        expect(closed.reason === '' || closed.reason.startsWith('carrier.')).toBe(true);
      }),
      { numRuns: runs(600) },
    );
    expect(sent).toBe(runs(600));
    expect(a.events.of('up').length).toBe(upsBefore);
    await heartbeat();
  });

  it('bytes that break the WebSocket framing itself close the socket', async () => {
    const upsBefore = a.events.of('up').length;
    const port = Number(new URL(a.carrier.address).port);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
        const socket = await rawUpgrade(port);
        socket.write(bytes);
        socket.end();
        await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      }),
      { numRuns: runs(300) },
    );
    expect(a.events.of('up').length).toBe(upsBefore);
    await heartbeat();
  });

  it('silent handshakes are cut at the timeout, a flood is refused before the upgrade, and slots come back', async () => {
    const refusedBefore = a.carrier.stats().errors['carrier.limit-handshakes'] ?? 0;
    const silent = Array.from({ length: 40 }, () => openRaw(a.carrier.address));
    const opened = await Promise.allSettled(silent.map((s) => s.opened));
    const admitted = silent.filter((_, i) => opened[i]!.status === 'fulfilled');
    expect(admitted.length).toBeLessThanOrEqual(16);
    expect(admitted.length).toBeGreaterThan(0);
    expect((a.carrier.stats().errors['carrier.limit-handshakes'] ?? 0) - refusedBefore).toBe(40 - admitted.length);
    // The good peer is served while the handshake slots are full.
    await heartbeat();
    // Slowloris: HTTP requests that never finish their headers.
    const port = Number(new URL(a.carrier.address).port);
    const slow = await Promise.all(Array.from({ length: 10 }, () => partialRequest(port)));
    // A new honest node dialling now is refused (503) until slots free up, and retries its way in.
    const c = await pool.carrier('node-c', { connectAttempts: 30, connectBackoffBaseMs: 50, connectBackoffMaxMs: 100 });
    c.carrier.connect(a.carrier.address);
    for (const s of admitted) expect((await s.closed).code).toBe(4007);
    await Promise.all(slow.map((s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())))));
    await c.events.waitFor((e) => e.kind === 'up' && e.peer === 'node-a', 'c gets in after the flood');
    expect(a.carrier.stats().errors['carrier.handshake-timeout']).toBeGreaterThanOrEqual(admitted.length);
    await heartbeat();
  });

  it('kept serving the good peer throughout: no down, every heartbeat in order', async () => {
    expect(a.events.events.filter((e) => e.kind === 'down' && e.peer === 'node-b')).toHaveLength(0);
    expect(b.events.of('down')).toHaveLength(0);
    expect(messagesFrom(a.events, 'node-b').map((e) => e.body)).toEqual(Array.from({ length: beats }, (_, i) => i + 1));
    expect(messagesFrom(b.events, 'node-a').map((e) => e.body)).toEqual(Array.from({ length: beats }, (_, i) => i + 1));
    const stats = a.carrier.stats();
    expect(stats.peers.map((p) => p.id).sort()).toEqual(['node-b', 'node-c']);
    expect(stats.handshaking).toBe(0);
  });
});

/** A TCP socket that completed a WebSocket upgrade by hand (so the test can write bytes below the framing). */
function rawUpgrade(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    let head = '';
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume();
      if (head.startsWith('HTTP/1.1 101') && head.includes(accept)) resolve(socket);
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
  });
}

/** A socket that sends the start of an HTTP request and then nothing. */
function partialRequest(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
      resolve(socket);
    });
    socket.on('error', () => {});
    socket.resume();
  });
}
