/**
 * Mutual authentication of the handshake: challenge–response over a transcript (docs/wire-format.md, `## carrier-ws`).
 *
 * Each side proves knowledge of the cluster secret with HMAC-SHA256 over a transcript that binds the prover's role,
 * the cluster, both node ids, both advertised addresses, both instance ids and both fresh 32-byte nonces. The secret
 * never crosses the wire. Replay-safe: the verifier's own nonce is fresh for every connection, so a recorded proof
 * never matches again; binding the role stops a node's proof as acceptor being reflected as a dialer's proof.
 * With per-node keys each side also signs the same transcript with its Ed25519 key, so a holder of the cluster
 * secret still cannot claim another node's id.
 */
import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { CarrierErrorCode } from './errors.js';
import type { KeyInput, NodeKeysInit } from './options.js';
import type { ErrorInfo, NodeId } from './types.js';

/** Which end of a connection: the side that dialled, or the side that accepted. */
export type Role = 'dialer' | 'acceptor';

/** One side's contribution to the transcript. */
export interface TranscriptSide {
  id: string;
  address: string;
  instance: Uint8Array;
  nonce: Uint8Array;
}

/** Everything the proofs bind. */
export interface TranscriptInit {
  cluster: string;
  dialer: TranscriptSide;
  acceptor: TranscriptSide;
}

/** Domain-separation label; a new handshake version gets a new label. */
const LABEL = Buffer.from('rumor-carrier-auth-v1', 'utf8');
const ROLE_BYTE: Readonly<Record<Role, number>> = { dialer: 1, acceptor: 2 };

/**
 * The bytes a `prover` authenticates: LABEL, one role byte (1 dialer, 2 acceptor), then each field as a 4-byte
 * big-endian length and its bytes (strings UTF-8): cluster, dialer id, address, instance, nonce, then the acceptor's.
 */
export function transcript(prover: Role, t: TranscriptInit): Buffer {
  const parts: Buffer[] = [LABEL, Buffer.from([ROLE_BYTE[prover]])];
  const field = (b: Uint8Array | string): void => {
    const bytes = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  };
  field(t.cluster);
  for (const side of [t.dialer, t.acceptor]) {
    field(side.id);
    field(side.address);
    field(side.instance);
    field(side.nonce);
  }
  return Buffer.concat(parts);
}

/** A proof: the HMAC, and the Ed25519 signature when per-node keys are configured. */
export interface Proof {
  mac: Uint8Array;
  sig?: Uint8Array;
}

/** Proves and verifies transcripts with the cluster secret and optional node keys. */
export interface Authenticator {
  /** Proof over `data` by this node. */
  prove(data: Uint8Array): Proof;
  /** Undefined when `proof` is `peer`'s valid proof over `data`, else why not. */
  verify(peer: NodeId, data: Uint8Array, proof: Proof): ErrorInfo | undefined;
}

/** HMAC-SHA256 output length; a proof of any other length fails before comparison. */
export const MAC_BYTES = 32;
/** Ed25519 signature length. */
export const SIG_BYTES = 64;

/** Build the authenticator for a cluster secret and optional per-node keys. */
export function createAuthenticator(secret: Uint8Array, nodeKeys?: NodeKeysInit): Authenticator {
  const privateKey = nodeKeys === undefined ? undefined : toPrivateKey(nodeKeys.privateKey);
  const peerKey = (id: NodeId): KeyObject | undefined => {
    if (nodeKeys === undefined) return undefined;
    const raw = typeof nodeKeys.peers === 'function' ? nodeKeys.peers(id) : nodeKeys.peers.get(id);
    return raw === undefined ? undefined : toPublicKey(raw);
  };
  return {
    prove(data) {
      const mac = createHmac('sha256', secret).update(data).digest();
      return privateKey === undefined ? { mac } : { mac, sig: sign(null, data, privateKey) };
    },
    verify(peer, data, proof) {
      const expected = createHmac('sha256', secret).update(data).digest();
      if (proof.mac.length !== MAC_BYTES || !timingSafeEqual(expected, proof.mac)) {
        return { code: CarrierErrorCode.authFailed, message: 'cluster secret proof does not verify' };
      }
      if (nodeKeys === undefined) return undefined;
      const key = peerKey(peer);
      if (key === undefined) return { code: CarrierErrorCode.unknownNode, message: `no node key known for ${JSON.stringify(peer)}` };
      if (proof.sig === undefined || proof.sig.length !== SIG_BYTES) {
        return { code: CarrierErrorCode.authFailed, message: 'node-key signature missing' };
      }
      let good = false;
      try {
        good = verify(null, data, key, proof.sig);
      } catch {
        good = false; // a key of the wrong type is a configuration problem, but still a failed proof for this peer
      }
      return good ? undefined : { code: CarrierErrorCode.authFailed, message: 'node-key signature does not verify' };
    },
  };
}

function toPrivateKey(k: KeyInput): KeyObject {
  return typeof k === 'string' || Buffer.isBuffer(k) ? createPrivateKey(k) : k;
}

function toPublicKey(k: KeyInput): KeyObject {
  if (typeof k === 'string' || Buffer.isBuffer(k)) return createPublicKey(k);
  return k.type === 'private' ? createPublicKey(k) : k;
}
