/**
 * Tunables of the WebSocket carrier (style: "a bound on everything, each one an option with a default").
 *
 * `resolveInit` fills defaults and asserts the programmer-supplied values (these are configuration, not network
 * input, so bad values throw a `CarrierError`).
 */
import type { KeyObject } from 'node:crypto';
import { DEFAULT_CODEC_LIMITS, DEFAULT_ENVELOPE_LIMITS, type EnvelopeLimits } from '@rumor/crdt-wire';
import { CarrierError, CarrierErrorCode } from './errors.js';
import type { NodeId } from './types.js';

/** A key in any form node:crypto accepts: a `KeyObject`, or PEM text. */
export type KeyInput = KeyObject | string | Buffer;

/** Optional per-node keys: each node signs the handshake with its own Ed25519 key; peers must be known. */
export interface NodeKeysInit {
  /** This node's Ed25519 private key. */
  privateKey: KeyInput;
  /** The Ed25519 public key of every node allowed to connect, by node id; unknown ids are refused. */
  peers: ReadonlyMap<string, KeyInput> | ((id: NodeId) => KeyInput | undefined);
}

/** TLS (`wss`): the certificate this node serves, and what it trusts when dialling. */
export interface TlsInit {
  /** PEM certificate chain served by the listener (and presented as a client certificate when dialling). */
  cert: string | Buffer;
  /** PEM private key of `cert`. */
  key: string | Buffer;
  /** PEM CA certificates trusted when dialling (and for client certificates); default: Node's root store. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Verify the server's certificate when dialling. Default true; never turn off outside tests. */
  rejectUnauthorized?: boolean;
  /** Require and verify a client certificate from dialling nodes (mutual TLS). Default false. */
  requestClientCert?: boolean;
}

/** Configuration of one carrier. Only `id` and `secret` are required. */
export interface WsCarrierInit {
  /** This node's id: 1..64 bytes of UTF-8. */
  id: string;
  /** Cluster name; both sides of a connection must agree. Default `'rumor'`. */
  cluster?: string;
  /** The cluster secret for the challenge–response (never sent); non-empty, 32 random bytes recommended. */
  secret: string | Uint8Array;
  /** Optional per-node Ed25519 keys, checked in addition to the cluster secret. Default: none. */
  nodeKeys?: NodeKeysInit;
  /** TLS certificates; when set the listener serves `wss` and dials use `wss`. Default: plain `ws`. */
  tls?: TlsInit;
  /** Interface to bind. Default `'127.0.0.1'`. */
  host?: string;
  /** Port to bind; 0 picks a free one. Default 0. */
  port?: number;
  /** Address advertised to peers. Default `ws://<host>:<bound port>` (`wss://` with `tls`). */
  advertise?: string;
  /** Largest frame accepted or sent, in bytes (`ws` `maxPayload`). Default 1 MiB (crdt-wire's `frameBytesMax`). */
  frameBytesMax?: number;
  /** Most envelopes coalesced into one frame; 1 turns coalescing off. Default 256. */
  envelopesPerFrameMax?: number;
  /** Further decoder bounds for frames (depth, entries, string and bin bytes). Default: crdt-wire's defaults. */
  codecLimits?: Omit<EnvelopeLimits, 'frameBytesMax' | 'envelopesPerFrameMax'>;
  /** Per-peer send queue bound in bytes (queued plus written but not yet flushed to the kernel). Default 8 MiB. */
  sendQueueBytesMax?: number;
  /** Per-peer send queue bound in messages. Default 8192. */
  sendQueueMessagesMax?: number;
  /** Bytes handed to a socket but not yet flushed before the carrier stops writing and keeps queueing. Default 1 MiB. */
  socketBufferBytesMax?: number;
  /** Whole handshake deadline (HTTP upgrade plus challenge–response). Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** Largest handshake message. Default 1024 bytes. */
  handshakeBytesMax?: number;
  /** Interval between keepalive pings on an idle link. Default 5000 ms. */
  keepaliveIntervalMs?: number;
  /** A link with nothing received (frames or pongs) for this long is failed. Default 15000 ms. */
  keepaliveTimeoutMs?: number;
  /** Attempts per `connect(address)` before `connectFailed` (transport failures only). Default 4. */
  connectAttempts?: number;
  /** First retry delay; doubles per attempt, full jitter. Default 100 ms. */
  connectBackoffBaseMs?: number;
  /** Largest retry delay. Default 5000 ms. */
  connectBackoffMaxMs?: number;
  /** Open sockets (inbound and outbound, handshaking or not) above which inbound sockets are refused. Default 1024. */
  connectionsMax?: number;
  /** Open inbound sockets from one IP address above which more are refused. Default 64. */
  connectionsPerIpMax?: number;
  /** Inbound handshakes in progress above which new inbound sockets are refused. Default 64. */
  handshakesMax?: number;
  /** How long a closing socket may take to finish the WebSocket closing handshake before it is destroyed. Default 2000 ms. */
  closeTimeoutMs?: number;
}

/** `WsCarrierInit` with every default filled in. */
export interface ResolvedInit {
  id: NodeId;
  cluster: string;
  secret: Buffer;
  nodeKeys: NodeKeysInit | undefined;
  tls: TlsInit | undefined;
  host: string;
  port: number;
  advertise: string | undefined;
  frameBytesMax: number;
  envelopesPerFrameMax: number;
  /** Frame limits for crdt-wire; undefined when every bound is the default (its allocation-free fast path). */
  limits: EnvelopeLimits | undefined;
  sendQueueBytesMax: number;
  sendQueueMessagesMax: number;
  socketBufferBytesMax: number;
  handshakeTimeoutMs: number;
  handshakeBytesMax: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  connectAttempts: number;
  connectBackoffBaseMs: number;
  connectBackoffMaxMs: number;
  connectionsMax: number;
  connectionsPerIpMax: number;
  handshakesMax: number;
  closeTimeoutMs: number;
}

/** Node ids and cluster names are 1..64 bytes of UTF-8. */
export const NAME_BYTES_MAX = 64;

/** Fill in defaults and check the configuration. */
export function resolveInit(init: WsCarrierInit): ResolvedInit {
  const idBytes = Buffer.byteLength(init.id ?? '', 'utf8');
  check(typeof init.id === 'string' && idBytes >= 1 && idBytes <= NAME_BYTES_MAX, `id must be 1..${NAME_BYTES_MAX} bytes of UTF-8`);
  const cluster = init.cluster ?? 'rumor';
  const clusterBytes = Buffer.byteLength(cluster, 'utf8');
  check(clusterBytes >= 1 && clusterBytes <= NAME_BYTES_MAX, `cluster must be 1..${NAME_BYTES_MAX} bytes of UTF-8`);
  const secret = typeof init.secret === 'string' ? Buffer.from(init.secret, 'utf8') : Buffer.from(init.secret ?? []);
  check(secret.length > 0, 'secret must be non-empty');
  const frameBytesMax = init.frameBytesMax ?? DEFAULT_CODEC_LIMITS.frameBytesMax;
  const envelopesPerFrameMax = init.envelopesPerFrameMax ?? DEFAULT_ENVELOPE_LIMITS.envelopesPerFrameMax;
  const r: ResolvedInit = {
    id: init.id as NodeId,
    cluster,
    secret,
    nodeKeys: init.nodeKeys,
    tls: init.tls,
    host: init.host ?? '127.0.0.1',
    port: init.port ?? 0,
    advertise: init.advertise,
    frameBytesMax,
    envelopesPerFrameMax,
    limits: frameLimits({ ...init.codecLimits, frameBytesMax, envelopesPerFrameMax }),
    sendQueueBytesMax: init.sendQueueBytesMax ?? 8 * 1024 * 1024,
    sendQueueMessagesMax: init.sendQueueMessagesMax ?? 8192,
    socketBufferBytesMax: init.socketBufferBytesMax ?? 1024 * 1024,
    handshakeTimeoutMs: init.handshakeTimeoutMs ?? 5000,
    handshakeBytesMax: init.handshakeBytesMax ?? 1024,
    keepaliveIntervalMs: init.keepaliveIntervalMs ?? 5000,
    keepaliveTimeoutMs: init.keepaliveTimeoutMs ?? 15_000,
    connectAttempts: init.connectAttempts ?? 4,
    connectBackoffBaseMs: init.connectBackoffBaseMs ?? 100,
    connectBackoffMaxMs: init.connectBackoffMaxMs ?? 5000,
    connectionsMax: init.connectionsMax ?? 1024,
    connectionsPerIpMax: init.connectionsPerIpMax ?? 64,
    handshakesMax: init.handshakesMax ?? 64,
    closeTimeoutMs: init.closeTimeoutMs ?? 2000,
  };
  for (const key of [
    'frameBytesMax', 'envelopesPerFrameMax', 'sendQueueBytesMax', 'sendQueueMessagesMax', 'socketBufferBytesMax',
    'handshakeTimeoutMs', 'handshakeBytesMax', 'keepaliveIntervalMs', 'keepaliveTimeoutMs', 'connectAttempts',
    'connectionsMax', 'connectionsPerIpMax', 'handshakesMax', 'closeTimeoutMs',
  ] as const) {
    check(Number.isSafeInteger(r[key]) && r[key] >= 1, `${key} must be a positive integer`);
  }
  check(r.connectBackoffBaseMs >= 0 && r.connectBackoffMaxMs >= r.connectBackoffBaseMs, 'connect backoff bounds are inconsistent');
  check(r.keepaliveTimeoutMs > r.keepaliveIntervalMs, 'keepaliveTimeoutMs must exceed keepaliveIntervalMs');
  check(r.sendQueueBytesMax >= r.frameBytesMax, 'sendQueueBytesMax must hold at least one largest frame');
  check(Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535, 'port must be 0..65535');
  if (r.advertise !== undefined) check(/^wss?:\/\/\S+$/.test(r.advertise), 'advertise must be a ws:// or wss:// URL');
  return r;
}

/** The limits object to hand to crdt-wire: undefined when it equals the defaults, so no per-frame merge happens. */
function frameLimits(limits: EnvelopeLimits): EnvelopeLimits | undefined {
  const defaults: Record<string, unknown> = { ...DEFAULT_CODEC_LIMITS, ...DEFAULT_ENVELOPE_LIMITS };
  for (const [k, v] of Object.entries(limits)) if (v !== undefined && defaults[k] !== v) return limits;
  return undefined;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CarrierError(CarrierErrorCode.badConfig, message);
}
