/**
 * The port the status service reads a node through: one `status()` snapshot with the stats of every layer, taken
 * at request or scrape time. Declared here, structurally, so that `@rumor/node`'s `RumorNode` satisfies it as is
 * (its `status()` returns a superset) and tests can hand in a fake; this package imports no layer but the replica.
 *
 * Every field is what the layer's own `stats()` reports (carrier-ws `WsCarrierStats`, membership `HyParViewStats`,
 * broadcast `PlumtreeStats`, replica `ReplicaDriverStats`, map `MapStatus` with `WalStats`); only what the page and
 * the metrics read is named.
 */

/** Counts keyed by a message type, a stable error code or a reason. */
export type Counts = Readonly<Record<string, number | undefined>>;

/** Per message type counts of Plumtree. */
export interface PlumtreeTypeCountsLike {
  gossip: number;
  ihave: number;
  graft: number;
  prune: number;
}

/** `HyParViewStats`, the part read here. */
export interface MembershipStatsLike {
  state: string;
  active: number;
  passive: number;
  links: number;
  pendingDials: number;
  pendingRequests: number;
  sent: Counts;
  received: Counts;
  rejected: Counts;
  sendRefused: number;
  peerUp: number;
  peerDown: Counts;
  evictions: number;
  joinAttempts: number;
  promotionAttempts: number;
  promotionFailures: number;
  reconnectAttempts: number;
  shuffleRepliesDropped: number;
}

/** `PlumtreeStats`, the part read here. */
export interface BroadcastStatsLike {
  eager: readonly string[];
  lazy: readonly string[];
  cacheMessages: number;
  cacheBytes: number;
  seen: number;
  missing: number;
  sent: PlumtreeTypeCountsLike;
  received: PlumtreeTypeCountsLike;
  ihaveIdsSent: number;
  ihaveIdsReceived: number;
  antiEntropySent: number;
  broadcast: number;
  delivered: number;
  duplicates: number;
  graftsServed: number;
  graftsMissed: number;
  graftsAbandoned: number;
  missingOverflow: number;
  optimizations: number;
  backpressure: number;
  queued: number;
  deferred: number;
  dropped: { full: number; closed: number; peerDown: number };
  rejected: Counts;
}

/** `ReplicaStats` of one instance, the part read here. */
export interface ReplicaInstanceStatsLike {
  name: string;
  deltasSent: number;
  customSent: number;
  deltasMerged: number;
  customMerged: number;
  fullSyncsSent: number;
  fullSyncsApplied: number;
  repairsSent: number;
  repairsApplied: number;
  antiEntropyRounds: number;
  antiEntropyEqual: number;
  antiEntropyFallbacks: number;
  antiEntropyTimeouts: number;
  invalid: number;
  callbackErrors: number;
  queueDropped: number;
  queued: number;
}

/** `ReplicaDriverStats`, the part read here. */
export interface ReplicaStatsLike {
  instances: number;
  received: Counts;
  rejected: Counts;
  callbackErrors: number;
  transfersOut: {
    transfersStarted: number;
    transfersCompleted: number;
    transfersDropped: number;
    chunksSent: number;
    bytesSent: number;
    backpressured: number;
  };
  transfersIn: {
    transfersCompleted: number;
    transfersRejected: number;
    transfersTimedOut: number;
    chunksReceived: number;
    bytesReceived: number;
  };
  replicas: readonly ReplicaInstanceStatsLike[];
}

/** `WsCarrierStats`, the part read here. */
export interface CarrierStatsLike {
  links: number;
  sockets: number;
  handshaking: number;
  dials: number;
  framesIn: number;
  framesOut: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  wireBytesIn: number;
  wireBytesOut: number;
  backpressure: number;
  connectFailed: number;
  errors: Counts;
  peers: readonly { id: string; queuedMessages: number; queuedBytes: number }[];
}

/** `WalStats` of a persisted map, the part read here. */
export interface WalStatsLike {
  policy: string;
  recordsSinceSnapshot: number;
  bytesSinceSnapshot: number;
  pendingDurable: number;
  unsyncedRecords: number;
  fsyncs: number;
  snapshots: number;
  failed: string | undefined;
}

/** `MapStatus`, the part read here. */
export interface MapStatusLike {
  name: string;
  keys: number;
  tombstones: number;
  writers: number;
  pendingWrites: number;
  durable: boolean;
  persist: WalStatsLike | undefined;
  deltas: { broadcast: number; merged: number };
  fullSyncs: { applied: number; served: number };
  antiEntropy: { rounds: number; equal: number; repairsServed: number };
  rejected: { total: number; byCode: Counts };
  stability: { collectedKeys: number; pruned: number };
}

/** A node's `status()`: identity, views, totals, and every layer's stats. */
export interface StatusSnapshot {
  id: string;
  cluster: string;
  /** The carrier address peers dial. */
  address: string;
  /** The HTTP base URL, when the HTTP API runs. */
  http: string | undefined;
  uptimeMs: number;
  views: { active: readonly string[]; passive: readonly string[] };
  pending: {
    writes: number;
    broadcastQueued: number;
    broadcastMissing: number;
    transfersOut: number;
    sendQueueMessages: number;
    sendQueueBytes: number;
  };
  totals: { maps: number; keys: number; tombstones: number; antiEntropyRounds: number };
  rejected: {
    total: number;
    stack: { version: number; layer: number };
    membership: Counts;
    broadcast: Counts;
    replica: Counts;
    carrier: Counts;
    maps: Counts;
  };
  maps: Readonly<Record<string, MapStatusLike>>;
  membership: MembershipStatsLike;
  broadcast: BroadcastStatsLike;
  replica: ReplicaStatsLike;
  carrier: CarrierStatsLike;
}

/** What the status service reads: the node's id and its `status()` (`RumorNode` fits). */
export interface StatusSource {
  readonly id: string;
  status(): StatusSnapshot;
}
