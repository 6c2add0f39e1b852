/**
 * The carrier handshake as a pure state machine per connection (docs/wire-format.md, `## carrier-ws`).
 *
 *   dialer   → acceptor  hello      { v, cluster, id, address, instance, nonce }
 *   acceptor → dialer    challenge  { v, cluster, id, address, instance, nonce, mac, sig? }
 *   dialer   → acceptor  response   { mac, sig? }
 *   acceptor → dialer    welcome    {}            (or a close with code `duplicate`, decided by the carrier)
 *
 * The acceptor says nothing until the dialer has named the right version and cluster, so an idle or foreign socket
 * learns nothing. Each side verifies the other's proof (auth.ts) before it treats the peer as known. Every message
 * is decoded with tight bounds and checked field by field: decoded, still untrusted. Nothing here throws on input.
 */
import { randomBytes } from 'node:crypto';
import { decode, encode, PROTOCOL_VERSION, type CodecLimits } from '@rumor/crdt-wire';
import { MAC_BYTES, SIG_BYTES, transcript, type Authenticator, type Proof, type Role, type TranscriptSide } from './auth.js';
import { CarrierErrorCode } from './errors.js';
import { NAME_BYTES_MAX } from './options.js';
import type { ErrorInfo, NodeId, Result } from './types.js';

/** Fresh random bytes per connection and side. */
export const NONCE_BYTES = 32;
/** Random id of one carrier run: tells a restarted peer from a duplicate connection of the same run. */
export const INSTANCE_BYTES = 16;
/** Longest advertised address accepted. */
export const ADDRESS_BYTES_MAX = 256;

/** The handshake messages, discriminated on `type`. */
export type HandshakeMessage =
  | { type: 'hello'; v: number; cluster: string; id: string; address: string; instance: Uint8Array; nonce: Uint8Array }
  | {
      type: 'challenge';
      v: number;
      cluster: string;
      id: string;
      address: string;
      instance: Uint8Array;
      nonce: Uint8Array;
      mac: Uint8Array;
      sig?: Uint8Array;
    }
  | { type: 'response'; mac: Uint8Array; sig?: Uint8Array }
  | { type: 'welcome' };

/** What this node states about itself. */
export interface HandshakeLocal {
  id: NodeId;
  cluster: string;
  address: string;
  instance: Uint8Array;
}

/** A peer as the handshake established it. */
export interface PeerInfo {
  id: NodeId;
  address: string;
  instance: Uint8Array;
}

/** What one step of the handshake asks the connection to do. */
export interface HandshakeStep {
  /** A message to send. */
  send?: HandshakeMessage;
  /** The peer, once its proof verified. */
  peer?: PeerInfo;
  /** The dialer received `welcome`: the link is open. */
  established?: boolean;
  /** The handshake failed: close with this code. */
  error?: ErrorInfo;
}

/** One connection's handshake. */
export interface Handshake {
  readonly role: Role;
  /** The dialer's opening message (`hello`); the acceptor waits instead. */
  start(): HandshakeMessage | undefined;
  /** Feed one decoded message from the peer. */
  receive(message: HandshakeMessage): HandshakeStep;
  /** The acceptor's final message once the carrier admits the link. */
  welcome(): HandshakeMessage;
}

/** Create the handshake state machine for one connection. */
export function createHandshake(role: Role, local: HandshakeLocal, auth: Authenticator): Handshake {
  const own: TranscriptSide = { ...local, nonce: randomBytes(NONCE_BYTES) };
  let state: 'start' | 'await-hello' | 'await-challenge' | 'await-response' | 'await-welcome' | 'done' | 'failed' =
    role === 'dialer' ? 'start' : 'await-hello';
  let peer: TranscriptSide | undefined;

  const failWith = (code: string, message: string): HandshakeStep => {
    state = 'failed';
    return { error: { code, message } };
  };
  const unexpected = (m: HandshakeMessage): HandshakeStep =>
    failWith(CarrierErrorCode.handshakeMalformed, `unexpected ${m.type} while in state ${state}`);
  const checkIntro = (m: { v: number; cluster: string; id: string }): HandshakeStep | undefined => {
    if (m.v !== PROTOCOL_VERSION) return failWith(CarrierErrorCode.versionMismatch, `peer speaks version ${m.v}, this node ${PROTOCOL_VERSION}`);
    if (m.cluster !== local.cluster) return failWith(CarrierErrorCode.wrongCluster, `peer is in cluster ${JSON.stringify(m.cluster)}`);
    if (m.id === local.id) return failWith(CarrierErrorCode.selfConnection, 'peer claims this node\'s own id');
    return undefined;
  };
  const names = (): { dialer: TranscriptSide; acceptor: TranscriptSide } =>
    role === 'dialer' ? { dialer: own, acceptor: peer! } : { dialer: peer!, acceptor: own };
  const bytesFor = (prover: Role): Buffer => transcript(prover, { cluster: local.cluster, ...names() });
  const peerInfo = (): PeerInfo => ({ id: peer!.id as NodeId, address: peer!.address, instance: peer!.instance });
  const other: Role = role === 'dialer' ? 'acceptor' : 'dialer';

  return {
    role,
    start() {
      if (role !== 'dialer' || state !== 'start') return undefined;
      state = 'await-challenge';
      return { type: 'hello', v: PROTOCOL_VERSION, cluster: local.cluster, id: local.id, address: local.address, instance: own.instance, nonce: own.nonce };
    },
    receive(m) {
      switch (m.type) {
        case 'hello': {
          if (state !== 'await-hello') return unexpected(m);
          const bad = checkIntro(m);
          if (bad !== undefined) return bad;
          peer = { id: m.id, address: m.address, instance: m.instance, nonce: m.nonce };
          state = 'await-response';
          const proof = auth.prove(bytesFor('acceptor'));
          return {
            send: {
              type: 'challenge', v: PROTOCOL_VERSION, cluster: local.cluster, id: local.id, address: local.address,
              instance: own.instance, nonce: own.nonce, ...proofFields(proof),
            },
          };
        }
        case 'challenge': {
          if (state !== 'await-challenge') return unexpected(m);
          const bad = checkIntro(m);
          if (bad !== undefined) return bad;
          peer = { id: m.id, address: m.address, instance: m.instance, nonce: m.nonce };
          const wrong = auth.verify(m.id as NodeId, bytesFor(other), proofOf(m));
          if (wrong !== undefined) return failWith(wrong.code, wrong.message);
          state = 'await-welcome';
          return { send: { type: 'response', ...proofFields(auth.prove(bytesFor('dialer'))) }, peer: peerInfo() };
        }
        case 'response': {
          if (state !== 'await-response') return unexpected(m);
          const wrong = auth.verify(peer!.id as NodeId, bytesFor(other), proofOf(m));
          if (wrong !== undefined) return failWith(wrong.code, wrong.message);
          state = 'done';
          return { peer: peerInfo() };
        }
        case 'welcome': {
          if (state !== 'await-welcome') return unexpected(m);
          state = 'done';
          return { established: true };
        }
      }
    },
    welcome() {
      return { type: 'welcome' };
    },
  };
}

function proofFields(p: Proof): { mac: Uint8Array; sig?: Uint8Array } {
  return p.sig === undefined ? { mac: p.mac } : { mac: p.mac, sig: p.sig };
}

function proofOf(m: { mac: Uint8Array; sig?: Uint8Array }): Proof {
  return m.sig === undefined ? { mac: m.mac } : { mac: m.mac, sig: m.sig };
}

/** Tight decoder bounds for handshake messages: flat maps of a few short fields. */
export function handshakeLimits(bytesMax: number): CodecLimits {
  return { frameBytesMax: bytesMax, depthMax: 1, entriesMax: 16, stringBytesMax: ADDRESS_BYTES_MAX, binBytesMax: SIG_BYTES };
}

/** Encode a handshake message (a msgpack map through crdt-wire's codec). */
export function encodeHandshake(m: HandshakeMessage): Uint8Array {
  const r = encode(m);
  // Our own handshake messages are a few hundred bytes of strings and binaries: failing to encode is a bug.
  if (!r.ok) throw new Error(`handshake message failed to encode: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** Decode and validate one handshake message from untrusted bytes; never throws. */
export function decodeHandshake(bytes: Uint8Array, bytesMax: number): Result<HandshakeMessage> {
  const r = decode(bytes, handshakeLimits(bytesMax));
  if (!r.ok) return malformed(`${r.error.code}: ${r.error.message}`);
  return validateHandshake(r.value);
}

/** Check the shape and bounds of a decoded handshake message; copies binaries out of the frame. */
export function validateHandshake(value: unknown): Result<HandshakeMessage> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return malformed('a handshake message is a map');
  }
  const o = value as Record<string, unknown>;
  switch (o.type) {
    case 'hello':
    case 'challenge': {
      if (typeof o.v !== 'number' || !Number.isSafeInteger(o.v)) return malformed('v is not an integer');
      const cluster = name(o.cluster, 'cluster');
      if (!cluster.ok) return cluster;
      const id = name(o.id, 'id');
      if (!id.ok) return id;
      if (typeof o.address !== 'string' || Buffer.byteLength(o.address, 'utf8') > ADDRESS_BYTES_MAX || !/^wss?:\/\/\S+$/.test(o.address)) {
        return malformed(`address is not a ws:// or wss:// URL of at most ${ADDRESS_BYTES_MAX} bytes`);
      }
      const instance = bin(o.instance, 'instance', INSTANCE_BYTES);
      if (!instance.ok) return instance;
      const nonce = bin(o.nonce, 'nonce', NONCE_BYTES);
      if (!nonce.ok) return nonce;
      const intro = { v: o.v, cluster: cluster.value, id: id.value, address: o.address, instance: instance.value, nonce: nonce.value };
      if (o.type === 'hello') return { ok: true, value: { type: 'hello', ...intro } };
      const proof = proofOfFields(o);
      if (!proof.ok) return proof;
      return { ok: true, value: { type: 'challenge', ...intro, ...proof.value } };
    }
    case 'response': {
      const proof = proofOfFields(o);
      if (!proof.ok) return proof;
      return { ok: true, value: { type: 'response', ...proof.value } };
    }
    case 'welcome':
      return { ok: true, value: { type: 'welcome' } };
    default:
      return malformed(`unknown handshake message type ${JSON.stringify(String(o.type)).slice(0, 40)}`);
  }
}

function proofOfFields(o: Record<string, unknown>): Result<{ mac: Uint8Array; sig?: Uint8Array }> {
  const mac = bin(o.mac, 'mac', MAC_BYTES);
  if (!mac.ok) return mac;
  if (o.sig === undefined || o.sig === null) return { ok: true, value: { mac: mac.value } };
  const sig = bin(o.sig, 'sig', SIG_BYTES);
  if (!sig.ok) return sig;
  return { ok: true, value: { mac: mac.value, sig: sig.value } };
}

function name(v: unknown, field: string): Result<string> {
  if (typeof v !== 'string') return malformed(`${field} is not a string`);
  const n = Buffer.byteLength(v, 'utf8');
  if (n < 1 || n > NAME_BYTES_MAX) return malformed(`${field} is ${n} bytes, not 1..${NAME_BYTES_MAX}`);
  return { ok: true, value: v };
}

function bin(v: unknown, field: string, length: number): Result<Uint8Array> {
  if (!(v instanceof Uint8Array) || v.length !== length) return malformed(`${field} is not ${length} bytes`);
  return { ok: true, value: Uint8Array.from(v) }; // decoded binaries are views into the frame: copy
}

function malformed(message: string): Result<never> {
  return { ok: false, error: { code: CarrierErrorCode.handshakeMalformed, message } };
}
