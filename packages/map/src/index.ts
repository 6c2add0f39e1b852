/**
 * @rumor/map — the stock replicated map (design §6) and its durable, offline-first storage (design §7): a
 * write-ahead log with checksummed records and atomic snapshots over a small storage port (files under the node's
 * data directory, or memory), recovery through validated merge, and the replica-driver callbacks (deltas, chunked
 * full sync, digest anti-entropy, presence pruning) that replicate it.
 */
export { createReplicatedMap } from './map.js';
export type { ReplicatedMap, MapEvent, MapListener, EntryMeta, BatchOp, MapBatch, MapSnapshot, MapStatus } from './map.js';
export type {
  ReplicatedMapOptions,
  ReplicatedMapComponents,
  PersistOptions,
  MapValidator,
  MapReplicaHandle,
  MapTimers,
} from './options.js';
export { MapError, MapErrorCode } from './errors.js';
export type { MapWarning, MapLogger } from './errors.js';
export type { MapStorage } from './storage.js';
export { createMemoryStorage } from './memory-storage.js';
export type { MemoryStorage, CrashOptions } from './memory-storage.js';
export { createFileStorage } from './file-storage.js';
export type { FileStorageInit } from './file-storage.js';
export { createWal } from './wal.js';
export type { Wal, WalInit, WalComponents, WalTimers, WalStats, FsyncPolicy, Recovered, SnapshotTicket } from './wal.js';
export type { MapDigest, MapNeed, DigestItem } from './digest-sync.js';
export type { FrontierWire, FrontierTableWire } from './stability.js';
