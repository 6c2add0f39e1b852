/** Snapshots for unit tests: a complete `StatusSnapshot` with every counter distinct, and sources over sim stacks. */
import type { MapStatusLike, StatusSnapshot, StatusSource } from '@rumor/status';
import type { Stack } from '@rumor/replica';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A map status with the given numbers. */
export function mapStatus(name: string, n = 1, persist = true): MapStatusLike {
  return {
    name,
    keys: 10 * n,
    tombstones: 2 * n,
    writers: 3,
    pendingWrites: 0,
    durable: true,
    persist: persist
      ? { policy: 'always', recordsSinceSnapshot: 7 * n, bytesSinceSnapshot: 700 * n, pendingDurable: 0, unsyncedRecords: 1, fsyncs: 9 * n, snapshots: n, failed: undefined }
      : undefined,
    deltas: { broadcast: 5 * n, merged: 6 * n },
    fullSyncs: { applied: n, served: 2 * n },
    antiEntropy: { rounds: 4 * n, equal: 3 * n, repairsServed: n },
    rejected: { total: 0, byCode: {} },
    stability: { collectedKeys: n, pruned: 0 },
  };
}

/** A full snapshot; `over` replaces parts of it. */
export function fakeSnapshot(over: DeepPartial<StatusSnapshot> = {}): StatusSnapshot {
  const base: StatusSnapshot = {
    id: 'n1',
    cluster: 'rumor',
    address: 'ws://127.0.0.1:1',
    http: 'http://127.0.0.1:2',
    uptimeMs: 12_345,
    views: { active: ['n2', 'n3'], passive: ['n4'] },
    pending: { writes: 0, broadcastQueued: 1, broadcastMissing: 0, transfersOut: 0, sendQueueMessages: 2, sendQueueBytes: 300 },
    totals: { maps: 1, keys: 10, tombstones: 2, antiEntropyRounds: 4 },
    rejected: {
      total: 6,
      stack: { version: 1, layer: 0 },
      membership: { 'membership.malformed': 2 },
      broadcast: { 'broadcast.malformed': 1 },
      replica: {},
      carrier: { 'carrier.frame-too-large': 2 },
      maps: {},
    },
    maps: { default: mapStatus('default') },
    membership: {
      state: 'joined',
      active: 2,
      passive: 1,
      links: 2,
      pendingDials: 0,
      pendingRequests: 1,
      sent: { join: 1, neighbor: 2, shuffle: 3 },
      received: { 'forward-join': 4, 'shuffle-reply': 5 },
      rejected: { 'membership.malformed': 2 },
      sendRefused: 1,
      peerUp: 3,
      peerDown: { failed: 1, left: 0, evicted: 2 },
      evictions: 2,
      joinAttempts: 1,
      promotionAttempts: 2,
      promotionFailures: 1,
      reconnectAttempts: 0,
      shuffleRepliesDropped: 0,
    },
    broadcast: {
      eager: ['n2'],
      lazy: ['n3'],
      cacheMessages: 5,
      cacheBytes: 500,
      seen: 50,
      missing: 0,
      sent: { gossip: 11, ihave: 12, graft: 13, prune: 14 },
      received: { gossip: 21, ihave: 22, graft: 23, prune: 24 },
      ihaveIdsSent: 31,
      ihaveIdsReceived: 32,
      antiEntropySent: 3,
      broadcast: 7,
      delivered: 40,
      duplicates: 8,
      graftsServed: 4,
      graftsMissed: 1,
      graftsAbandoned: 0,
      missingOverflow: 0,
      optimizations: 2,
      backpressure: 0,
      queued: 1,
      deferred: 0,
      dropped: { full: 0, closed: 1, peerDown: 2 },
      rejected: { 'broadcast.malformed': 1 },
    },
    replica: {
      instances: 2,
      received: { 'sync-request': 2, sync: 4 },
      rejected: {},
      callbackErrors: 0,
      transfersOut: { transfersStarted: 3, transfersCompleted: 2, transfersDropped: 1, chunksSent: 6, bytesSent: 6000, backpressured: 0 },
      transfersIn: { transfersCompleted: 2, transfersRejected: 0, transfersTimedOut: 0, chunksReceived: 5, bytesReceived: 5000 },
      replicas: [
        {
          name: 'default',
          deltasSent: 5,
          customSent: 0,
          deltasMerged: 6,
          customMerged: 0,
          fullSyncsSent: 2,
          fullSyncsApplied: 1,
          repairsSent: 1,
          repairsApplied: 1,
          antiEntropyRounds: 4,
          antiEntropyEqual: 3,
          antiEntropyFallbacks: 0,
          antiEntropyTimeouts: 0,
          invalid: 0,
          callbackErrors: 0,
          queueDropped: 0,
          queued: 0,
        },
      ],
    },
    carrier: {
      links: 2,
      sockets: 2,
      handshaking: 0,
      dials: 0,
      framesIn: 100,
      framesOut: 90,
      messagesIn: 100,
      messagesOut: 90,
      bytesIn: 10_000,
      bytesOut: 9_000,
      wireBytesIn: 11_000,
      wireBytesOut: 9_900,
      backpressure: 0,
      connectFailed: 1,
      errors: { 'carrier.frame-too-large': 2 },
      peers: [
        { id: 'n2', queuedMessages: 2, queuedBytes: 200 },
        { id: 'n3', queuedMessages: 0, queuedBytes: 100 },
      ],
    },
  };
  const out = merge(base, over) as StatusSnapshot;
  if (over.maps !== undefined) out.maps = over.maps as StatusSnapshot['maps']; // a map not given is closed
  return out;
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
  return out;
}

/** A status source over a bare stack (no maps, no WebSocket carrier): what the simulator can offer. */
export function stackSource(stack: Stack, cluster = 'sim'): StatusSource {
  return {
    id: stack.self,
    status() {
      const s = stack.stats();
      const base = fakeSnapshot();
      return {
        ...base,
        id: stack.self,
        cluster,
        http: undefined,
        views: { active: stack.membership.activeView(), passive: stack.membership.passiveView().map((e) => e.id) },
        totals: { maps: 0, keys: 0, tombstones: 0, antiEntropyRounds: 0 },
        rejected: { total: 0, stack: s.rejected, membership: s.membership.rejected, broadcast: s.broadcast.rejected as Record<string, number>, replica: s.replica.rejected, carrier: {}, maps: {} },
        pending: { ...base.pending, sendQueueBytes: 0 },
        maps: {},
        membership: s.membership,
        broadcast: s.broadcast,
        replica: s.replica,
        carrier: { ...base.carrier, backpressure: 0, peers: [] },
      };
    },
  };
}
