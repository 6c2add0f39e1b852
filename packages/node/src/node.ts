/**
 * The node: the composition root of design §8 — the one place with real I/O. It owns the data directory (lock,
 * persisted id, clock lease), the WebSocket carrier, the protocol stack (HyParView → Plumtree → replica driver),
 * the replicated maps (files under `<dataDir>/maps/<name>/`) and, when asked, the HTTP API.
 *
 * Guarantees: a restarted node keeps its id (node.json) and never reissues a timestamp (hlc-lease.ts); a map
 * opened once is reopened at every start (its directory is the record), so its state keeps replicating; `close()`
 * is graceful: the HTTP API stops taking requests, membership says goodbye to its peers (`left`, not `failed`), the
 * maps finish their pending writes and fsync, the exact clock high-water mark is written, the lock released.
 */
import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type * as TypedEmitterModule from 'typed-emitter';
import { createWsCarrier, type WsCarrier, type WsCarrierStats } from '@rumor/carrier-ws';
import { createFileStorage, createReplicatedMap, type MapStatus, type ReplicatedMap, type ReplicatedMapOptions } from '@rumor/map';
import {
  createStack,
  type NodeId,
  type PeerDownReason,
  type Replica,
  type ReplicaCallbacks,
  type ReplicaInit,
  type Stack,
  type StackStats,
  type Timers,
} from '@rumor/replica';
import type { Timestamp } from '@rumor/hlc';
import { NodeError, NodeErrorCode, toErrorInfo } from './errors.js';
import { loadNodeId, lockDataDir, readJsonSync, writeJsonQuietly } from './data-dir.js';
import { createLeasedClock, type LeasedClock } from './hlc-lease.js';
import { checkName, dirOfName, nameOfDir } from './names.js';
import { resolveNodeInit, type NodeComponents, type NodeInit, type NodeLogger, type ResolvedNodeInit } from './options.js';
import { watchPeers } from './peer-watch.js';
import { startHttpApi, type HttpApi } from './http/server.js';
import { createStatusService } from '@rumor/status';

// typed-emitter is CommonJS typings: under NodeNext its default export is reached through the namespace.
type TypedEmitter<E extends TypedEmitterModule.EventMap> = TypedEmitterModule.default<E>;

/** Events of a node. */
export type NodeEvents = {
  /** Membership reported `peer` up (it is in the active view). */
  'peer:up': (peer: NodeId, address: string | undefined) => void;
  /** Membership reported `peer` down, with why (failed, left, evicted). */
  'peer:down': (peer: NodeId, reason: PeerDownReason) => void;
  /** Something the operator should know (e.g. the insecure default secret on a public interface, a map warning). */
  warning: (warning: { code: string; message: string }) => void;
  /** `close()` finished. */
  closed: () => void;
};

/** A peer as `peers()` reports it. */
export interface PeerInfo {
  id: NodeId;
  address: string | undefined;
}

/** `peers()`: the membership views. */
export interface PeersReport {
  self: NodeId;
  address: string;
  /** Active view: the peers this node gossips with. */
  active: PeerInfo[];
  /** Passive view: backups membership promotes when an active peer fails. */
  passive: PeerInfo[];
}

/** `status()` of a node (the HTTP `GET /status`). */
export interface NodeStatus {
  id: NodeId;
  cluster: string;
  address: string;
  http: string | undefined;
  dataDir: string;
  uptimeMs: number;
  /** Membership views (ids). */
  views: { active: NodeId[]; passive: NodeId[] };
  /** Work not done yet: writes awaiting fsync, queued broadcast messages, missing broadcasts, transfers, send queues. */
  pending: {
    writes: number;
    broadcastQueued: number;
    broadcastMissing: number;
    transfersOut: number;
    sendQueueMessages: number;
    sendQueueBytes: number;
  };
  /** Sums over the maps. */
  totals: { maps: number; keys: number; tombstones: number; antiEntropyRounds: number };
  /** Inputs refused, by layer and stable code. */
  rejected: {
    total: number;
    stack: StackStats['rejected'];
    membership: Record<string, number>;
    broadcast: Record<string, number>;
    replica: Record<string, number>;
    carrier: Record<string, number>;
    maps: Record<string, number>;
  };
  clock: { last: Timestamp; lease: number; leaseRenewals: number };
  maps: Record<string, MapStatus>;
  membership: StackStats['membership'];
  broadcast: StackStats['broadcast'];
  replica: StackStats['replica'];
  carrier: WsCarrierStats;
}

/** A running Rumor node. */
export interface RumorNode {
  readonly id: NodeId;
  /** The WebSocket address peers dial. */
  readonly address: string;
  /** The HTTP API's base URL, when it runs. */
  readonly httpAddress: string | undefined;
  /** The running HTTP API (add routes with `http.route(method, path, handler)`), when it runs. */
  readonly http: HttpApi | undefined;
  readonly dataDir: string;
  /** `peer:up`, `peer:down`, `warning`, `closed`. */
  readonly events: TypedEmitter<NodeEvents>;
  /** The node's clock: timestamps for custom state, never reissued across restarts. */
  readonly clock: { now(): Timestamp };
  /** The protocol stack (membership, broadcast, replica driver), for inspection and advanced use. */
  readonly stack: Stack;
  /** Open (create or recover) the replicated map `name`; the same promise for the same name. */
  map<V = unknown>(name: string, options?: ReplicatedMapOptions<V>): Promise<ReplicatedMap<V>>;
  /** Names of the open maps. */
  maps(): string[];
  /** Start a replica instance with your own callbacks (design §5) on the node's bus. */
  replica<D = unknown, S = unknown, C = unknown>(
    name: string,
    callbacks: ReplicaCallbacks<D, S, C>,
    options?: Omit<ReplicaInit<D, S, C>, 'name' | 'callbacks'>,
  ): Replica<D, C>;
  peers(): PeersReport;
  status(): NodeStatus;
  /** Graceful stop: HTTP off, leave the overlay, finish and fsync pending writes, persist the clock, unlock. */
  close(): Promise<void>;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
};

const unrefTimer = (delayMs: number, fn: () => void): (() => void) => {
  const t = setTimeout(fn, delayMs);
  t.unref();
  return () => clearTimeout(t);
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Start a node: lock the data directory, restore id and clock, listen, open maps, join the seeds. */
export async function createNode(init: NodeInit, components: NodeComponents = {}): Promise<RumorNode> {
  const opts = resolveNodeInit(init);
  const log: NodeLogger = components.log ?? {};
  const wallClock = components.wallClock ?? Date.now;
  const random = components.random ?? { next: Math.random };
  const events = new EventEmitter() as unknown as TypedEmitter<NodeEvents>;
  const dataDir = path.resolve(opts.dataDir);
  const cleanups: Array<() => unknown> = [];
  const undo = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // Best effort: the start already failed; report that error, not this one.
      }
    }
  };

  try {
    const release = lockDataDir(dataDir);
    cleanups.push(release);
    const id = loadNodeId(dataDir, opts.id) as NodeId;
    const clock = createLeasedClock(dataDir, opts.hlc, { wallClock, setTimer: unrefTimer });
    cleanups.push(() => clock.close());

    if (!opts.secretConfigured && !LOOPBACK.has(opts.host)) {
      const message = `no cluster secret configured and listening on ${opts.host}: anyone who can reach the port can join; set --secret`;
      log.warn?.(message);
      queueMicrotask(() => events.emit('warning', { code: NodeErrorCode.badConfig, message }));
    }

    const carrier = createWsCarrier(
      {
        ...opts.carrier,
        id,
        secret: opts.secret,
        cluster: opts.cluster,
        host: opts.host,
        port: opts.port,
        ...(opts.advertise !== undefined ? { advertise: opts.advertise } : {}),
      },
      { random, logger: log },
    );
    try {
      await carrier.start();
    } catch (error) {
      throw new NodeError(NodeErrorCode.listenFailed, `cannot listen on ${opts.host}:${opts.port}: ${(error as Error).message}`, { cause: error });
    }
    cleanups.push(() => carrier.close());

    const stack = createStack({
      carrier,
      timers: realTimers,
      random,
      membership: opts.membership,
      broadcast: opts.broadcast,
      replica: opts.replica,
      log,
    });
    cleanups.push(() => stack.close());

    const node = assemble(opts, { id, dataDir, clock, carrier, stack, events, log });
    cleanups.push(() => node.closeMaps());
    node.setRelease(release);
    node.watch();

    // Maps this directory already holds keep replicating after a restart, whether or not anyone asks for them.
    const names = new Set<string>(opts.openMaps);
    for (const name of Object.keys(opts.maps)) names.add(name);
    for (const name of mapDirsIn(dataDir)) names.add(name);
    for (const name of names) await node.api.map(name);

    node.join();
    if (opts.http !== undefined) {
      try {
        node.attachHttp(await startHttpApi(node.api, opts.http, { secret: opts.secretConfigured ? opts.secret : undefined, log }));
      } catch (error) {
        throw new NodeError(NodeErrorCode.listenFailed, `cannot start the HTTP API: ${(error as Error).message}`, { cause: error });
      }
    }
    log.info?.(`node ${id} up`, { address: carrier.address, http: node.api.httpAddress, dataDir });
    return node.api;
  } catch (error) {
    await undo();
    throw error;
  }
}

interface Parts {
  id: NodeId;
  dataDir: string;
  clock: LeasedClock;
  carrier: WsCarrier;
  stack: Stack;
  events: TypedEmitter<NodeEvents>;
  log: NodeLogger;
}

function mapDirsIn(dataDir: string): string[] {
  try {
    return readdirSync(path.join(dataDir, 'maps'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => nameOfDir(d.name))
      .filter((n): n is string => n !== undefined)
      .sort();
  } catch {
    return [];
  }
}

/** Everything after start-up I/O: the API object and its internals. */
function assemble(opts: ResolvedNodeInit, parts: Parts) {
  const { id, dataDir, clock, carrier, stack, events, log } = parts;
  const started = Date.now();
  const maps = new Map<string, Promise<ReplicatedMap<any>>>();
  const opened = new Map<string, ReplicatedMap<any>>();
  const replicas = new Map<string, Replica<any, any>>();
  const addressOf = new Map<NodeId, string>();
  let http: HttpApi | undefined;
  let closing: Promise<void> | undefined;
  let peerWatch: Replica | undefined;

  // ---- rejoin addresses --------------------------------------------------------------------------------------
  const peersFile = path.join(dataDir, 'peers.json');
  const known: string[] = (() => {
    try {
      const stored = readJsonSync(peersFile) as { addresses?: unknown } | undefined;
      const list = Array.isArray(stored?.addresses) ? stored.addresses : [];
      return list.filter((a): a is string => typeof a === 'string' && /^wss?:\/\/\S+$/.test(a)).slice(0, opts.rejoinPeersMax);
    } catch {
      return []; // a lost peers.json only costs the rejoin shortcut
    }
  })();
  let saveTimer: (() => void) | undefined;
  function remember(address: string): void {
    if (opts.rejoinPeersMax === 0 || address === carrier.address) return;
    const i = known.indexOf(address);
    if (i === 0) return;
    if (i > 0) known.splice(i, 1);
    known.unshift(address);
    known.length = Math.min(known.length, opts.rejoinPeersMax);
    saveTimer ??= unrefTimer(1000, () => {
      saveTimer = undefined;
      writeJsonQuietly(peersFile, { addresses: known });
    });
  }

  function lookupAddress(peer: NodeId): string | undefined {
    const a = carrier.stats().peers.find((p) => p.id === peer)?.address;
    if (a !== undefined) addressOf.set(peer, a);
    return a ?? addressOf.get(peer);
  }

  function assertOpen(): void {
    if (closing !== undefined) throw new NodeError(NodeErrorCode.closed, `node ${id} is closed`);
  }

  function takenName(name: string): boolean {
    return maps.has(name) || replicas.has(name);
  }

  const api: RumorNode = {
    id,
    get address() {
      return carrier.address;
    },
    get httpAddress() {
      return http?.address;
    },
    get http() {
      return http;
    },
    dataDir,
    events,
    clock: { now: () => clock.now() },
    stack,
    map<V = unknown>(name: string, options?: ReplicatedMapOptions<V>): Promise<ReplicatedMap<V>> {
      try {
        assertOpen();
        checkName(name);
      } catch (error) {
        return Promise.reject(error);
      }
      const existing = maps.get(name);
      if (existing !== undefined) return existing as Promise<ReplicatedMap<V>>;
      if (replicas.has(name)) return Promise.reject(new NodeError(NodeErrorCode.nameTaken, `a replica named ${JSON.stringify(name)} already runs`));
      if (maps.size >= opts.mapsMax) {
        return Promise.reject(new NodeError(NodeErrorCode.tooManyMaps, `${opts.mapsMax} maps are open (mapsMax); not opening ${JSON.stringify(name)}`));
      }
      const mapOptions: ReplicatedMapOptions<V> = { persist: { fsync: opts.fsync }, ...(opts.maps[name] as ReplicatedMapOptions<V>), ...options };
      const p = (async () => {
        const map = await createReplicatedMap<V>(name, mapOptions, {
          nodeId: id,
          clock,
          // WAL fsyncs are timed for /metrics.
          storage: status.instrumentStorage(name, createFileStorage({ dir: path.join(dataDir, 'maps', dirOfName(name)) })),
          timers: realTimers,
          log: {
            warn(w) {
              log.warn?.(`map ${name}: ${w.message}`, { code: w.code });
              events.emit('warning', w);
            },
          },
        });
        if (closing !== undefined) {
          await map.close();
          throw new NodeError(NodeErrorCode.closed, `node ${id} closed while opening map ${name}`);
        }
        const replica = stack.replicas.createReplica({
          name,
          callbacks: map.callbacks,
          antiEntropyIntervalMs: opts.antiEntropyIntervalMs,
        });
        map.attach(replica);
        opened.set(name, map);
        return map;
      })();
      maps.set(name, p);
      p.catch(() => maps.delete(name));
      return p;
    },
    maps: () => [...opened.keys()].sort(),
    replica(name, callbacks, options = {}) {
      assertOpen();
      checkName(name);
      if (takenName(name)) throw new NodeError(NodeErrorCode.nameTaken, `${JSON.stringify(name)} is already a map or replica on this node`);
      const r = stack.replicas.createReplica({ ...options, name, callbacks });
      replicas.set(name, r);
      return r;
    },
    peers() {
      return {
        self: id,
        address: carrier.address,
        active: stack.membership.activeView().map((p) => ({ id: p, address: lookupAddress(p) })),
        passive: stack.membership.passiveView().map((e) => ({ id: e.id as NodeId, address: e.address })),
      };
    },
    status() {
      const s = stack.stats();
      const c = carrier.stats();
      const mapStatus: Record<string, MapStatus> = {};
      const totals = { maps: 0, keys: 0, tombstones: 0, antiEntropyRounds: 0 };
      const mapRejected: Record<string, number> = {};
      let pendingWrites = 0;
      for (const [name, map] of opened) {
        const m = map.status();
        mapStatus[name] = m;
        totals.maps++;
        totals.keys += m.keys;
        totals.tombstones += m.tombstones;
        totals.antiEntropyRounds += m.antiEntropy.rounds;
        pendingWrites += m.pendingWrites;
        for (const [code, n] of Object.entries(m.rejected.byCode)) mapRejected[code] = (mapRejected[code] ?? 0) + n;
      }
      const sum = (r: Record<string, number | undefined>): number => Object.values(r).reduce<number>((a, b) => a + (b ?? 0), 0);
      const broadcastRejected = s.broadcast.rejected as Record<string, number>;
      const t = s.replica.transfersOut;
      return {
        id,
        cluster: opts.cluster,
        address: carrier.address,
        http: http?.address,
        dataDir,
        uptimeMs: Date.now() - started,
        views: { active: stack.membership.activeView(), passive: stack.membership.passiveView().map((e) => e.id as NodeId) },
        pending: {
          writes: pendingWrites,
          broadcastQueued: s.broadcast.queued,
          broadcastMissing: s.broadcast.missing,
          transfersOut: Math.max(0, t.transfersStarted - t.transfersCompleted - t.transfersDropped),
          sendQueueMessages: c.peers.reduce((a, p) => a + p.queuedMessages, 0),
          sendQueueBytes: c.peers.reduce((a, p) => a + p.queuedBytes, 0),
        },
        totals,
        rejected: {
          total:
            s.rejected.version + s.rejected.layer + sum(s.membership.rejected) + sum(broadcastRejected) + sum(s.replica.rejected) + sum(c.errors) + sum(mapRejected),
          stack: s.rejected,
          membership: s.membership.rejected,
          broadcast: broadcastRejected,
          replica: s.replica.rejected,
          carrier: c.errors,
          maps: mapRejected,
        },
        clock: { last: clock.hlc.last(), lease: clock.lease(), leaseRenewals: clock.renewals() },
        maps: mapStatus,
        membership: s.membership,
        broadcast: s.broadcast,
        replica: s.replica,
        carrier: c,
      };
    },
    close() {
      closing ??= (async () => {
        const failures: unknown[] = [];
        const step = async (fn: () => unknown): Promise<void> => {
          try {
            await fn();
          } catch (error) {
            failures.push(error);
          }
        };
        await step(() => http?.close());
        // Pending map opens finish first, so that every map that exists is closed below.
        await Promise.allSettled(maps.values());
        await step(() => status.close());
        await step(() => stack.close()); // membership leaves (peers see `left`), then the carrier closes
        await step(() => closeMaps());
        saveTimer?.();
        if (saveTimer !== undefined) writeJsonQuietly(peersFile, { addresses: known });
        await step(() => clock.close());
        releaseLock();
        events.emit('closed');
        if (failures.length > 0) {
          const info = toErrorInfo(failures[0]);
          throw new NodeError(info.code, `close: ${info.message}`, { cause: failures[0] });
        }
      })();
      return closing;
    },
  };

  // The status page, the cluster view (asked through the cluster) and /metrics (docs/status.md).
  const status = createStatusService({}, { source: api, driver: stack.replicas, log });

  let releaseLock: () => void = () => {};

  async function closeMaps(): Promise<void> {
    const all = [...opened.values()];
    opened.clear();
    await Promise.all(all.map((m) => m.close()));
  }

  return {
    api,
    closeMaps,
    watch() {
      peerWatch = watchPeers(stack.replicas, {
        up(peer) {
          const address = lookupAddress(peer);
          if (address !== undefined) remember(address);
          log.info?.(`peer ${peer} up`, { address });
          events.emit('peer:up', peer, address);
        },
        down(peer, reason) {
          log.info?.(`peer ${peer} down (${reason})`);
          events.emit('peer:down', peer, reason);
        },
      });
      void peerWatch;
    },
    join() {
      const contacts = [...new Set([...opts.seeds, ...known])].filter((a) => a !== carrier.address);
      if (contacts.length > 0) stack.join(contacts);
    },
    attachHttp(api: HttpApi) {
      http = api;
      status.mount(api);
    },
    setRelease(fn: () => void) {
      releaseLock = fn;
    },
  };
}
