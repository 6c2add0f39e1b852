/**
 * Options of `createNode` (design §8) with their defaults in one place. Protocol tunables are passed through to
 * the layer that owns them (membership, broadcast, replica driver, carrier, maps); this module only adds the
 * node's own and checks what the node itself relies on.
 */
import type { WsCarrierInit } from '@rumor/carrier-ws';
import type { PlumtreeInit } from '@rumor/broadcast';
import type { HyParViewInit } from '@rumor/membership';
import type { ReplicatedMapOptions, FsyncPolicy } from '@rumor/map';
import type { ReplicaDriverInit } from '@rumor/replica';
import { NodeError, NodeErrorCode } from './errors.js';
import { validNodeId } from './data-dir.js';
import type { HlcLeaseInit } from './hlc-lease.js';

/** The secret used when none is configured: fine on loopback, never on a network (the node warns). */
export const INSECURE_DEFAULT_SECRET = 'rumor-insecure-default-secret';

/** Options of the HTTP API (http/server.ts). */
export interface HttpInit {
  /** Interface to bind. Default `'127.0.0.1'`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /**
   * Bearer token required by the write endpoints (PUT, DELETE). The cluster secret, when one is configured, is
   * accepted as well. Default: none — writes are open unless a secret is configured.
   */
  token?: string;
  /** Require the token for reads too (GET, event streams). Default false. */
  authReads?: boolean;
  /** Largest request body in bytes. Default 1 MiB (1 048 576). */
  bodyBytesMax?: number;
  /** Open event streams (`GET /events`) at most. Default 64. */
  streamsMax?: number;
  /** Bytes an event stream may lag behind (unsent) before it is closed. Default 4 MiB. */
  streamLagBytesMax?: number;
  /** Interval of keepalive comments on event streams, in ms. Default 15 000. */
  streamHeartbeatMs?: number;
  /** Most operations in one `POST /kv` batch. Default 10 000. */
  batchOpsMax?: number;
  /** Most items one `GET /kv` returns. Default 10 000 (default `limit` 100). */
  scanLimitMax?: number;
}

/** What the node logs: rare events (start, peers, warnings), never per message. */
export interface NodeLogger {
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  debug?(message: string, fields?: Record<string, unknown>): void;
}

/** Carrier tunables the node passes through (identity, secret and addresses come from the node's own options). */
export type CarrierTunables = Omit<WsCarrierInit, 'id' | 'secret' | 'cluster' | 'host' | 'port' | 'advertise'>;

/** Options of `createNode`; only `dataDir` is required. */
export interface NodeInit {
  /** This node's id (1..64 bytes of UTF-8). Default: the id stored in `dataDir`, else a generated `node-<hex>`. */
  id?: string;
  /** Directory of the node's durable state (id, clock lease, maps). Required. */
  dataDir: string;
  /** Where the WebSocket carrier listens. Default `{ host: '127.0.0.1', port: 0 }`. */
  listen?: { host?: string; port?: number };
  /** Address peers dial (`ws://host:port`). Default `ws://<listen host>:<bound port>`. */
  advertise?: string;
  /** Addresses to join through (`ws://…`). Default none (the first node of a cluster). */
  seeds?: readonly string[];
  /** Cluster secret (challenge–response, never sent). Default: a fixed insecure secret, for loopback only. */
  secret?: string;
  /** Cluster name; nodes of different clusters refuse each other. Default `'rumor'`. */
  cluster?: string;
  /** Start the HTTP API. Default: off (the CLI turns it on). */
  http?: HttpInit | false;
  /** Options of maps by name, used when a map is opened without options (HTTP, start-up). Default none. */
  maps?: Readonly<Record<string, ReplicatedMapOptions>>;
  /** Maps opened at start besides those found in `dataDir`. Default `['default']`. */
  openMaps?: readonly string[];
  /** Most maps open at once. Default 64. */
  mapsMax?: number;
  /** fsync policy of maps whose options do not set `persist`. Default `'always'`. */
  fsync?: FsyncPolicy;
  /** Anti-entropy period of maps, in ms (0 = off). Default 30 000. */
  antiEntropyIntervalMs?: number;
  /** Addresses of peers seen up kept in `peers.json` to rejoin through after a restart. Default 16. */
  rejoinPeersMax?: number;
  /** The clock lease (hlc-lease.ts). */
  hlc?: HlcLeaseInit;
  membership?: HyParViewInit;
  broadcast?: PlumtreeInit;
  replica?: ReplicaDriverInit;
  carrier?: CarrierTunables;
}

/** What the node needs from outside; all optional. */
export interface NodeComponents {
  /** Rare events; default silent. */
  log?: NodeLogger;
  /** Wall clock; default `Date.now`. */
  wallClock?: () => number;
  /** Randomness of the protocol layers; default `Math.random`. */
  random?: { next(): number };
}

/** `NodeInit` with defaults filled in. */
export interface ResolvedNodeInit {
  id: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  advertise: string | undefined;
  seeds: string[];
  secret: string;
  secretConfigured: boolean;
  cluster: string;
  http: HttpInit | undefined;
  maps: Readonly<Record<string, ReplicatedMapOptions>>;
  openMaps: string[];
  mapsMax: number;
  fsync: FsyncPolicy;
  antiEntropyIntervalMs: number;
  rejoinPeersMax: number;
  hlc: HlcLeaseInit;
  membership: HyParViewInit;
  broadcast: PlumtreeInit;
  replica: ReplicaDriverInit;
  carrier: CarrierTunables;
}

const WS_URL = /^wss?:\/\/[^\s/]+(\/\S*)?$/;

function bad(message: string): never {
  throw new NodeError(NodeErrorCode.badConfig, message);
}

function port(value: unknown, what: string): number {
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535)) bad(`${what} must be an integer 0..65535, got ${String(value)}`);
  return value as number;
}

/** Fill in defaults and check the node's options (a bad option throws `node.bad-config`). */
export function resolveNodeInit(init: NodeInit): ResolvedNodeInit {
  if (typeof init !== 'object' || init === null) bad('createNode needs an options object');
  if (typeof init.dataDir !== 'string' || init.dataDir.length === 0) bad('dataDir is required (the directory of the node\'s durable state)');
  if (init.id !== undefined && !validNodeId(init.id)) bad('id must be 1..64 bytes of UTF-8 without control characters');
  const seeds = [...(init.seeds ?? [])];
  for (const s of seeds) if (typeof s !== 'string' || !WS_URL.test(s)) bad(`seed ${JSON.stringify(s)} is not a ws:// or wss:// address`);
  if (init.advertise !== undefined && !WS_URL.test(init.advertise)) bad(`advertise ${JSON.stringify(init.advertise)} is not a ws:// or wss:// address`);
  if (init.secret !== undefined && (typeof init.secret !== 'string' || init.secret.length === 0)) bad('secret must be a non-empty string');
  const http = init.http === undefined || init.http === false ? undefined : { ...init.http };
  if (http !== undefined) {
    if (http.port !== undefined) port(http.port, 'http.port');
    if (http.token !== undefined && (typeof http.token !== 'string' || http.token.length === 0)) bad('http.token must be a non-empty string');
  }
  const positive = (v: number | undefined, d: number, what: string): number => {
    const n = v ?? d;
    if (!(Number.isSafeInteger(n) && n >= 0)) bad(`${what} must be a non-negative integer`);
    return n;
  };
  const fsync = init.fsync ?? 'always';
  if (!['always', 'batch', 'never'].includes(fsync)) bad(`fsync must be always, batch or never, got ${String(fsync)}`);
  return {
    id: init.id,
    dataDir: init.dataDir,
    host: init.listen?.host ?? '127.0.0.1',
    port: port(init.listen?.port ?? 0, 'listen.port'),
    advertise: init.advertise,
    seeds,
    secret: init.secret ?? INSECURE_DEFAULT_SECRET,
    secretConfigured: init.secret !== undefined,
    cluster: init.cluster ?? 'rumor',
    http,
    maps: init.maps ?? {},
    openMaps: [...(init.openMaps ?? ['default'])],
    mapsMax: Math.max(1, positive(init.mapsMax, 64, 'mapsMax')),
    fsync,
    antiEntropyIntervalMs: positive(init.antiEntropyIntervalMs, 30_000, 'antiEntropyIntervalMs'),
    rejoinPeersMax: positive(init.rejoinPeersMax, 16, 'rejoinPeersMax'),
    hlc: init.hlc ?? {},
    membership: init.membership ?? {},
    broadcast: init.broadcast ?? {},
    replica: init.replica ?? {},
    carrier: init.carrier ?? {},
  };
}
