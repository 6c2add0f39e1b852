/**
 * @rumor/ormap — the observed-remove map CRDT of design §4: dotted writes, per-key contexts bounded by the number of
 * writers, tombstones with a collection horizon, join merge of states and deltas, resolution policies, digests.
 */
export type {
  NodeId,
  Hlc,
  WriterIndex,
  Dot,
  SlotData,
  EntryData,
  HorizonData,
  ORMapData,
  DeltaData,
  SnapshotData,
  Sibling,
  VersionVector,
} from './types.js';
export { createORMap, fromSnapshot } from './ormap.js';
export type {
  ORMap,
  ORMapInit,
  ORMapComponents,
  ORMapClock,
  ORMapBatch,
  ORMapDigest,
  ORMapStats,
  DigestNode,
  DigestKey,
  CollectResult,
  Horizon,
} from './ormap.js';
export { resolve, compareSiblings } from './policy.js';
export type { ResolutionPolicy, ResolveFn } from './policy.js';
export { FANOUT as DIGEST_FANOUT, MAX_LEVEL as DIGEST_MAX_LEVEL } from './digest-tree.js';
