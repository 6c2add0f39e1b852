/**
 * Options and components of a replicated map (design §6), with their defaults in one place.
 */
import type { NodeId, ORMapClock, ResolutionPolicy } from '@rumor/ormap';
import { MapError, MapErrorCode, type MapLogger } from './errors.js';
import type { MapStorage } from './storage.js';
import type { FsyncPolicy } from './wal.js';

/**
 * A value check: `true` (or `undefined`) accepts; `false` or a string (the reason) rejects; a throw rejects with its
 * message. Local writes are refused with `map.invalid-value`; remote entries it refuses are dropped and counted.
 * Every replica of a map must use the same validator, or they may not converge.
 */
export type MapValidator<V> = (value: V, key: string) => boolean | string | void;

/** Durability settings (design §7). */
export interface PersistOptions {
  /** When a local write's log record is fsynced. Default `'always'` (before `put` resolves). */
  fsync?: FsyncPolicy;
  /** `batch`: longest wait before the covering fsync, in ms. Default 10. */
  batchIntervalMs?: number;
  /** `batch`: fsync once this many records wait. Default 256. */
  batchRecords?: number;
  /** Write a snapshot (and truncate the log) once the log holds this many bytes. Default 8 MiB. */
  snapshotEveryBytes?: number;
  /** Keys per snapshot chunk record. Default 4 096. */
  snapshotChunkEntries?: number;
  /** Largest log record (one batch) in bytes. Default 16 MiB. */
  recordBytesMax?: number;
}

/** Options of `createReplicatedMap` / `node.map(name, options)`; every field optional. */
export interface ReplicatedMapOptions<V = unknown> {
  /** Check of every value written locally or received. Default: accept every wire value. */
  validator?: MapValidator<V>;
  /** Conflict policy of every key: `'lww'` (default), `'fww'`, `'merge-fields'`, `'all'` (keep siblings) or a function. */
  policy?: ResolutionPolicy<V>;
  /** Policies per key prefix; the longest matching prefix wins over `policy`. Default none. */
  policies?: Readonly<Record<string, ResolutionPolicy<V>>>;
  /**
   * Persistence: `true` / an object = write-ahead log + snapshots in `components.storage` (required then); `false` =
   * memory only. Default: on when `components.storage` is given, off otherwise.
   */
  persist?: boolean | PersistOptions;
  /**
   * Backstop of tombstone collection: a replica silent longer than this stops holding collection back, and a
   * tombstone older than this is collected even if some replica never confirmed it. Default 7 days (604 800 000).
   */
  tombstoneTtlMs?: number;
  /** How often stability is recomputed and tombstones collected, in ms. Default 10 000; 0 disables the timer. */
  collectIntervalMs?: number;
  /**
   * Presence map: when a peer fails or leaves (not on view eviction), delete — with ordinary, replicated
   * tombstones — every key whose values were all written by that peer. A live node re-asserts its own keys that
   * another node deleted, so entries exist exactly while their writer is up. Default false.
   */
  pruneOnPeerDown?: boolean;
  /** Longest key in UTF-8 bytes. Default 1 024. */
  keyBytesMax?: number;
  /** Largest value, msgpack-encoded, in bytes. Default 65 536. */
  valueBytesMax?: number;
  /** Largest lead of a remote timestamp over the local clock, in ms. Default 60 000. */
  maxDriftMs?: number;
  /** Most keys in one full-sync snapshot this map accepts. Default 10 000 000. */
  snapshotEntriesMax?: number;
  /** Digest descent: nodes with at most this many keys are compared key by key. Default 32. */
  digestKeysPerNode?: number;
  /** Most keys repaired per anti-entropy step. Default 1 024. */
  repairKeysMax?: number;
}

/** A handle on the replica driver instance of this map (`@rumor/replica` `Replica` satisfies it). */
export interface MapReplicaHandle {
  broadcastUpdate(delta: unknown): void;
  stats?(): { antiEntropyRounds: number };
}

/** Timers port: the node passes real ones, tests may pass virtual ones. */
export interface MapTimers {
  now(): number;
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Collaborators of a map. */
export interface ReplicatedMapComponents {
  /** This replica's node id (the writer of every local dot). */
  nodeId: NodeId;
  /** The node's hybrid logical clock (`@rumor/hlc` `createHlc`). */
  clock: ORMapClock & { observe?(ts: number): unknown };
  /** Where the log and snapshots live (the node passes `createFileStorage` under its data dir). The map owns it. */
  storage?: MapStorage;
  /** Real timers by default. */
  timers?: MapTimers;
  /** The replica driver instance, if already created; or call `map.attach(handle)` later. */
  replica?: MapReplicaHandle;
  /** Warnings (torn log tail cut, rejected records); default silent. */
  log?: MapLogger;
}

/** Options with defaults filled in. */
export interface ResolvedMapOptions<V> {
  validator: MapValidator<V> | undefined;
  policy: ResolutionPolicy<V>;
  policies: Readonly<Record<string, ResolutionPolicy<V>>>;
  persist: Required<PersistOptions> | undefined;
  tombstoneTtlMs: number;
  collectIntervalMs: number;
  pruneOnPeerDown: boolean;
  keyBytesMax: number;
  valueBytesMax: number;
  maxDriftMs: number;
  snapshotEntriesMax: number;
  digestKeysPerNode: number;
  repairKeysMax: number;
}

const DAY_MS = 86_400_000;

/** Fill in defaults and check ranges (a bad option is a programmer error: thrown). */
export function resolveOptions<V>(options: ReplicatedMapOptions<V>, hasStorage: boolean): ResolvedMapOptions<V> {
  const persistOn = options.persist === undefined ? hasStorage : options.persist !== false;
  if (persistOn && !hasStorage) {
    throw new MapError(MapErrorCode.badOption, 'persist needs components.storage (e.g. createFileStorage({ dir }))');
  }
  const p: PersistOptions = typeof options.persist === 'object' ? options.persist : {};
  const resolved: ResolvedMapOptions<V> = {
    validator: options.validator,
    policy: options.policy ?? 'lww',
    policies: options.policies ?? {},
    persist: persistOn
      ? {
          fsync: p.fsync ?? 'always',
          batchIntervalMs: p.batchIntervalMs ?? 10,
          batchRecords: p.batchRecords ?? 256,
          snapshotEveryBytes: p.snapshotEveryBytes ?? 8 * 1024 * 1024,
          snapshotChunkEntries: p.snapshotChunkEntries ?? 4096,
          recordBytesMax: p.recordBytesMax ?? 16 * 1024 * 1024,
        }
      : undefined,
    tombstoneTtlMs: options.tombstoneTtlMs ?? 7 * DAY_MS,
    collectIntervalMs: options.collectIntervalMs ?? 10_000,
    pruneOnPeerDown: options.pruneOnPeerDown ?? false,
    keyBytesMax: options.keyBytesMax ?? 1024,
    valueBytesMax: options.valueBytesMax ?? 65_536,
    maxDriftMs: options.maxDriftMs ?? 60_000,
    snapshotEntriesMax: options.snapshotEntriesMax ?? 10_000_000,
    digestKeysPerNode: options.digestKeysPerNode ?? 32,
    repairKeysMax: options.repairKeysMax ?? 1024,
  };
  const positive: (keyof ResolvedMapOptions<V>)[] = ['tombstoneTtlMs', 'keyBytesMax', 'valueBytesMax', 'snapshotEntriesMax', 'digestKeysPerNode', 'repairKeysMax'];
  for (const k of positive) {
    const v = resolved[k];
    if (!(typeof v === 'number' && v > 0)) throw new MapError(MapErrorCode.badOption, `${k} must be a positive number, got ${String(v)}`);
  }
  if (!(resolved.collectIntervalMs >= 0) || !(resolved.maxDriftMs >= 0)) {
    throw new MapError(MapErrorCode.badOption, 'collectIntervalMs and maxDriftMs must be ≥ 0');
  }
  if (resolved.persist !== undefined && !(resolved.persist.snapshotChunkEntries >= 1 && resolved.persist.snapshotEveryBytes >= 1)) {
    throw new MapError(MapErrorCode.badOption, 'snapshotChunkEntries and snapshotEveryBytes must be ≥ 1');
  }
  return resolved;
}
