/**
 * A hand-driven peer for hostile and protocol-level tests: a bare `ws` client that runs the handshake (or any
 * corruption of it) message by message, records what the carrier sends back, and exposes how the socket closed.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket, type ClientOptions } from 'ws';
import { createAuthenticator, transcript } from '../src/auth.js';
import { createHandshake, decodeHandshake, encodeHandshake, INSTANCE_BYTES, type HandshakeMessage } from '../src/handshake.js';
import type { NodeKeysInit } from '../src/options.js';
import type { NodeId } from '../src/types.js';

export interface RawPeerInit {
  id?: string;
  secret?: string;
  cluster?: string;
  address?: string;
  nodeKeys?: NodeKeysInit;
  ws?: ClientOptions;
  /** Answer the challenge even when the acceptor's proof does not verify (to test the acceptor's check). */
  forceResponse?: boolean;
}

export interface RawPeer {
  ws: WebSocket;
  /** Handshake messages received, decoded. */
  received: HandshakeMessage[];
  /** Raw binary frames received. */
  frames: Buffer[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
  /** Resolves with the next frame received. */
  nextFrame(): Promise<Buffer>;
  send(bytes: Uint8Array | string): void;
}

/** Open a bare WebSocket to `address`. */
export function openRaw(address: string, options: ClientOptions = {}): RawPeer {
  const ws = new WebSocket(address, { perMessageDeflate: false, ...options });
  const frames: Buffer[] = [];
  const received: HandshakeMessage[] = [];
  let waiting: ((b: Buffer) => void)[] = [];
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => {
    frames.push(data);
    const d = decodeHandshake(data, 4096);
    if (d.ok) received.push(d.value);
    const w = waiting;
    waiting = [];
    for (const f of w) f(data);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  opened.catch(() => {});
  return {
    ws,
    received,
    frames,
    closed,
    opened,
    nextFrame: () => new Promise((resolve) => waiting.push(resolve)),
    send: (bytes) => ws.send(bytes),
  };
}

/**
 * Dial `address` and run an honest dialer handshake (with the given secret, cluster, id); resolves once `welcome`
 * arrived, or with the close if the carrier refused.
 */
export async function handshakeRaw(
  address: string,
  init: RawPeerInit = {},
): Promise<{ peer: RawPeer; outcome: 'welcome' | { code: number; reason: string } }> {
  const peer = openRaw(address, init.ws);
  const auth = createAuthenticator(Buffer.from(init.secret ?? 'test-cluster-secret'), init.nodeKeys);
  const hs = createHandshake(
    'dialer',
    {
      id: (init.id ?? `raw-${randomBytes(4).toString('hex')}`) as NodeId,
      cluster: init.cluster ?? 'rumor',
      address: init.address ?? 'ws://127.0.0.1:9',
      instance: randomBytes(INSTANCE_BYTES),
    },
    auth,
  );
  const hello = hs.start() as Extract<HandshakeMessage, { type: 'hello' }>;
  const outcome = new Promise<'welcome' | { code: number; reason: string }>((resolve) => {
    void peer.closed.then(resolve);
    peer.ws.on('message', (data: Buffer) => {
      const d = decodeHandshake(data, 4096);
      if (!d.ok) return;
      const step = hs.receive(d.value);
      if (step.error !== undefined && init.forceResponse === true && d.value.type === 'challenge') {
        peer.send(encodeHandshake(responseFor(init.secret ?? 'test-cluster-secret', hello, d.value)));
        return;
      }
      if (step.send !== undefined) peer.send(encodeHandshake(step.send));
      if (step.established === true) resolve('welcome');
    });
  });
  await peer.opened.catch(() => {});
  if (peer.ws.readyState === WebSocket.OPEN) peer.send(encodeHandshake(hello));
  return { peer, outcome: await outcome };
}

type Hello = Extract<HandshakeMessage, { type: 'hello' }>;
type Challenge = Extract<HandshakeMessage, { type: 'challenge' }>;

/** A well-formed hello with fixed nonce and instance, as an attacker would craft or record it. */
export function honestHello(id: string, cluster = 'rumor'): Hello {
  return {
    type: 'hello',
    v: 1,
    cluster,
    id,
    address: 'ws://127.0.0.1:9',
    instance: new Uint8Array(INSTANCE_BYTES).fill(7),
    nonce: new Uint8Array(32).map((_, i) => i),
  };
}

/** The dialer's response to `challenge` computed with `secret` (what an honest dialer with that secret sends). */
export function responseFor(secret: string, hello: Hello, challenge: Challenge): HandshakeMessage {
  const auth = createAuthenticator(Buffer.from(secret));
  const proof = auth.prove(
    transcript('dialer', {
      cluster: hello.cluster,
      dialer: { id: hello.id, address: hello.address, instance: hello.instance, nonce: hello.nonce },
      acceptor: { id: challenge.id, address: challenge.address, instance: challenge.instance, nonce: challenge.nonce },
    }),
  );
  return { type: 'response', mac: proof.mac };
}
