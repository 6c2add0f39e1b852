/**
 * Prometheus metrics of one node (issue 10), with prom-client on a registry of the node's own (never the global
 * one, so several nodes in one process stay apart). The layers already count everything in their `stats()`; the
 * metrics are refreshed from one `status()` snapshot at scrape time — nothing is counted twice and nothing costs
 * anything between scrapes. Counters are set to the layer's running total (prom-client's `reset` + `inc`), gauges
 * to the current value. The one thing no layer measures, the latency of WAL fsyncs, is observed by wrapping the
 * map's storage (`instrumentStorage`) into a histogram.
 *
 * Label values are bounded sets: message types, stable error codes, reasons, map and instance names (the node
 * bounds maps by `mapsMax`). Peer ids are never labels. The full list is in docs/status.md.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterProbeStats } from './cluster-probe.js';
import type { Counts, StatusSnapshot } from './source.js';

/** Options of the metrics; each has a default. */
export interface MetricsInit {
  /** Prefix of every metric name. Default `'rumor_'`. */
  prefix?: string;
  /** Upper bounds of the fsync latency histogram, in seconds. Default 0.0001 … 2.5. */
  fsyncBuckets?: readonly number[];
}

/** The storage operation whose latency is measured: a map storage's `sync` (one fsync of the log). */
export interface SyncingStorage {
  sync(name: string): Promise<void>;
}

/** The metrics of one node. */
export interface NodeMetrics {
  /** The node's own registry. */
  readonly registry: Registry;
  /** The Content-Type of `text()`. */
  readonly contentType: string;
  /** Refresh every metric from `snapshot` (and the cluster probe's counters) and render the exposition text. */
  text(snapshot: StatusSnapshot, probe?: ClusterProbeStats): Promise<string>;
  /** Record one WAL fsync of `map` that took `seconds`. */
  observeFsync(map: string, seconds: number): void;
  /** A storage whose `sync` is timed into `rumor_wal_fsync_seconds{map}`; every other member is the original's. */
  instrumentStorage<S extends SyncingStorage>(map: string, storage: S): S;
}

const DEFAULT_FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Labels = Record<string, string>;
type Series = ReadonlyArray<readonly [Labels, number]>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

function entries(counts: Counts, label: string, extra: Labels = {}): Series {
  return Object.entries(counts)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [{ ...extra, [label]: k }, num(v)] as const);
}

/** Create the metrics of one node. */
export function createMetrics(init: MetricsInit = {}): NodeMetrics {
  const prefix = init.prefix ?? 'rumor_';
  const registry = new Registry();
  const updates: Array<(s: StatusSnapshot, p: ClusterProbeStats | undefined) => void> = [];

  /** A counter set from a running total in the snapshot. */
  function counter(name: string, help: string, labelNames: readonly string[], read: (s: StatusSnapshot, p: ClusterProbeStats | undefined) => Series | number): void {
    const c = new Counter({ name: prefix + name, help, labelNames: [...labelNames], registers: [registry] });
    updates.push((s, p) => {
      const v = read(s, p);
      c.reset();
      if (typeof v === 'number') c.inc(num(v));
      else for (const [labels, value] of v) c.inc(labels, num(value));
    });
  }

  /** A gauge set from a current value in the snapshot. */
  function gauge(name: string, help: string, labelNames: readonly string[], read: (s: StatusSnapshot, p: ClusterProbeStats | undefined) => Series | number): void {
    const g = new Gauge({ name: prefix + name, help, labelNames: [...labelNames], registers: [registry] });
    updates.push((s, p) => {
      const v = read(s, p);
      g.reset();
      if (typeof v === 'number') g.set(Number.isFinite(v) ? v : 0);
      else for (const [labels, value] of v) g.set(labels, Number.isFinite(value) ? value : 0);
    });
  }

  const dir = (i: number, o: number): Series => [
    [{ direction: 'in' }, i],
    [{ direction: 'out' }, o],
  ];
  const maps = (s: StatusSnapshot) => Object.entries(s.maps);
  const perMap = (s: StatusSnapshot, read: (m: StatusSnapshot['maps'][string]) => number): Series => maps(s).map(([map, m]) => [{ map }, read(m)] as const);
  const perWal = (s: StatusSnapshot, read: (w: NonNullable<StatusSnapshot['maps'][string]['persist']>) => number): Series =>
    maps(s).flatMap(([map, m]) => (m.persist === undefined ? [] : [[{ map }, read(m.persist)] as const]));
  const instances = (s: StatusSnapshot) => s.replica.replicas;

  // ---- node ---------------------------------------------------------------------------------------------------
  gauge('node_info', 'The node: 1, labelled with its id and cluster.', ['id', 'cluster'], (s) => [[{ id: s.id, cluster: s.cluster }, 1]]);
  gauge('node_uptime_seconds', 'Seconds since the node started.', [], (s) => s.uptimeMs / 1000);
  gauge('pending', 'Work not done yet, by kind.', ['kind'], (s) => [
    [{ kind: 'writes' }, s.pending.writes],
    [{ kind: 'broadcast_queued' }, s.pending.broadcastQueued],
    [{ kind: 'broadcast_missing' }, s.pending.broadcastMissing],
    [{ kind: 'transfers_out' }, s.pending.transfersOut],
  ]);
  counter('rejected_total', 'Inputs refused, by layer and stable error code (docs/errors.md).', ['layer', 'code'], (s, p) => [
    [{ layer: 'stack', code: 'stack.version' }, s.rejected.stack.version],
    [{ layer: 'stack', code: 'stack.layer' }, s.rejected.stack.layer],
    ...entries(s.rejected.carrier, 'code', { layer: 'carrier' }),
    ...entries(s.rejected.membership, 'code', { layer: 'membership' }),
    ...entries(s.rejected.broadcast, 'code', { layer: 'broadcast' }),
    ...entries(s.rejected.replica, 'code', { layer: 'replica' }),
    ...entries(s.rejected.maps, 'code', { layer: 'map' }),
    ...entries(p?.rejected ?? {}, 'code', { layer: 'status' }),
  ]);

  // ---- carrier ------------------------------------------------------------------------------------------------
  gauge('carrier_links', 'Established peer links.', [], (s) => s.carrier.links);
  gauge('carrier_sockets', 'Open sockets, handshaking or not.', [], (s) => s.carrier.sockets);
  gauge('carrier_handshaking', 'Inbound handshakes in progress.', [], (s) => s.carrier.handshaking);
  gauge('carrier_dials', 'Dials waiting for an outcome.', [], (s) => s.carrier.dials);
  counter('carrier_frames_total', 'WebSocket frames, by direction.', ['direction'], (s) => dir(s.carrier.framesIn, s.carrier.framesOut));
  counter('carrier_messages_total', 'Envelopes, by direction.', ['direction'], (s) => dir(s.carrier.messagesIn, s.carrier.messagesOut));
  counter('carrier_bytes_total', 'Frame payload bytes, by direction.', ['direction'], (s) => dir(s.carrier.bytesIn, s.carrier.bytesOut));
  counter('carrier_wire_bytes_total', 'Bytes on the sockets (WebSocket and TLS framing, handshakes), by direction.', ['direction'], (s) =>
    dir(s.carrier.wireBytesIn, s.carrier.wireBytesOut),
  );
  counter('carrier_backpressure_total', 'Sends the carrier answered with backpressure (send queue full).', [], (s) => s.carrier.backpressure);
  counter('carrier_connect_failed_total', 'Dials that produced no connection.', [], (s) => s.carrier.connectFailed);
  gauge('carrier_send_queue_messages', 'Messages waiting in the send queues of all links.', [], (s) => s.carrier.peers.reduce((a, p) => a + num(p.queuedMessages), 0));
  gauge('carrier_send_queue_bytes', 'Bytes waiting in the send queues of all links.', [], (s) => s.carrier.peers.reduce((a, p) => a + num(p.queuedBytes), 0));
  gauge('carrier_send_queue_bytes_max', 'Bytes waiting in the fullest send queue.', [], (s) => s.carrier.peers.reduce((a, p) => Math.max(a, num(p.queuedBytes)), 0));

  // ---- membership (HyParView) ---------------------------------------------------------------------------------
  gauge('membership_view_size', 'Peers in the active and passive views.', ['view'], (s) => [
    [{ view: 'active' }, s.views.active.length],
    [{ view: 'passive' }, s.views.passive.length],
  ]);
  gauge('membership_state', 'The membership state: 1 for the current one.', ['state'], (s) => [[{ state: s.membership.state }, 1]]);
  gauge('membership_pending', 'Dials and requests awaiting an answer.', ['kind'], (s) => [
    [{ kind: 'dials' }, s.membership.pendingDials],
    [{ kind: 'requests' }, s.membership.pendingRequests],
  ]);
  counter('membership_messages_total', 'HyParView messages, by direction and type.', ['direction', 'type'], (s) => [
    ...entries(s.membership.received, 'type', { direction: 'in' }),
    ...entries(s.membership.sent, 'type', { direction: 'out' }),
  ]);
  counter('membership_send_refused_total', 'Membership sends refused by the carrier (backpressure or closed).', [], (s) => s.membership.sendRefused);
  counter('membership_peer_up_total', 'Peers reported up (entered the active view).', [], (s) => s.membership.peerUp);
  counter('membership_peer_down_total', 'Peers reported down, by reason.', ['reason'], (s) => entries(s.membership.peerDown, 'reason'));
  counter('membership_evictions_total', 'Active peers evicted to make room.', [], (s) => s.membership.evictions);
  counter('membership_join_attempts_total', 'Join attempts.', [], (s) => s.membership.joinAttempts);
  counter('membership_promotions_total', 'Promotions of passive peers to the active view, by outcome.', ['outcome'], (s) => [
    [{ outcome: 'attempted' }, s.membership.promotionAttempts],
    [{ outcome: 'failed' }, s.membership.promotionFailures],
  ]);
  counter('membership_reconnect_attempts_total', 'Retries of peers lost to failure (partition repair).', [], (s) => s.membership.reconnectAttempts);
  counter('membership_shuffle_replies_dropped_total', 'Shuffle replies that arrived too late or unasked.', [], (s) => s.membership.shuffleRepliesDropped);

  // ---- broadcast (Plumtree) -----------------------------------------------------------------------------------
  gauge('broadcast_peers', 'Broadcast peers: eager (tree) and lazy (IHAVE only).', ['set'], (s) => [
    [{ set: 'eager' }, s.broadcast.eager.length],
    [{ set: 'lazy' }, s.broadcast.lazy.length],
  ]);
  counter('broadcast_messages_total', 'Plumtree messages by direction and type (gossip, ihave, graft, prune).', ['direction', 'type'], (s) => [
    ...entries({ ...s.broadcast.received }, 'type', { direction: 'in' }),
    ...entries({ ...s.broadcast.sent }, 'type', { direction: 'out' }),
  ]);
  counter('broadcast_originated_total', 'Messages broadcast by this node.', [], (s) => s.broadcast.broadcast);
  counter('broadcast_delivered_total', 'Messages delivered to the application (exactly once each).', [], (s) => s.broadcast.delivered);
  counter('broadcast_duplicates_total', 'GOSSIPs for an id already delivered (each answered with a PRUNE).', [], (s) => s.broadcast.duplicates);
  counter('broadcast_ihave_ids_total', 'Message ids announced in IHAVEs, by direction.', ['direction'], (s) => dir(s.broadcast.ihaveIdsReceived, s.broadcast.ihaveIdsSent));
  counter('broadcast_anti_entropy_ihave_total', 'IHAVEs sent by broadcast anti-entropy.', [], (s) => s.broadcast.antiEntropySent);
  counter('broadcast_grafts_total', 'GRAFTed ids by outcome: served, missed (unknown here), abandoned (own missing messages given up).', ['outcome'], (s) => [
    [{ outcome: 'served' }, s.broadcast.graftsServed],
    [{ outcome: 'missed' }, s.broadcast.graftsMissed],
    [{ outcome: 'abandoned' }, s.broadcast.graftsAbandoned],
  ]);
  counter('broadcast_optimizations_total', 'Eager links swapped for shorter lazy ones.', [], (s) => s.broadcast.optimizations);
  counter('broadcast_backpressure_total', 'Broadcast sends answered with backpressure.', [], (s) => s.broadcast.backpressure);
  counter('broadcast_deferred_total', 'GOSSIPs that could not be queued and became announcements.', [], (s) => s.broadcast.deferred);
  counter('broadcast_dropped_total', 'Broadcast messages dropped, by reason.', ['reason'], (s) => entries({ ...s.broadcast.dropped }, 'reason'));
  counter('broadcast_missing_overflow_total', 'Announcements ignored because too many messages were already missing.', [], (s) => s.broadcast.missingOverflow);
  gauge('broadcast_queued', 'Broadcast messages waiting in per-peer queues.', [], (s) => s.broadcast.queued);
  gauge('broadcast_missing', 'Announced messages not received yet (pending grafts).', [], (s) => s.broadcast.missing);
  gauge('broadcast_cache_messages', 'Payloads cached for graft service.', [], (s) => s.broadcast.cacheMessages);
  gauge('broadcast_cache_bytes', 'Bytes of payloads cached for graft service.', [], (s) => s.broadcast.cacheBytes);
  gauge('broadcast_seen', 'Message ids in the dedup set.', [], (s) => s.broadcast.seen);

  // ---- replica driver -----------------------------------------------------------------------------------------
  gauge('replica_instances', 'Replica instances running.', [], (s) => s.replica.instances);
  counter('replica_direct_messages_total', 'Direct replica messages received, by type (sync-request, sync, ae-digest, ae-step).', ['type'], (s) =>
    entries(s.replica.received, 'type'),
  );
  counter('replica_transfer_bytes_total', 'Bytes of full syncs and anti-entropy repairs, by direction.', ['direction'], (s) =>
    dir(s.replica.transfersIn.bytesReceived, s.replica.transfersOut.bytesSent),
  );
  counter('replica_transfer_chunks_total', 'Chunks of full syncs and anti-entropy repairs, by direction.', ['direction'], (s) =>
    dir(s.replica.transfersIn.chunksReceived, s.replica.transfersOut.chunksSent),
  );
  counter('replica_transfers_total', 'Transfers by direction and outcome.', ['direction', 'outcome'], (s) => [
    [{ direction: 'out', outcome: 'started' }, s.replica.transfersOut.transfersStarted],
    [{ direction: 'out', outcome: 'completed' }, s.replica.transfersOut.transfersCompleted],
    [{ direction: 'out', outcome: 'dropped' }, s.replica.transfersOut.transfersDropped],
    [{ direction: 'in', outcome: 'completed' }, s.replica.transfersIn.transfersCompleted],
    [{ direction: 'in', outcome: 'rejected' }, s.replica.transfersIn.transfersRejected],
    [{ direction: 'in', outcome: 'timed_out' }, s.replica.transfersIn.transfersTimedOut],
  ]);
  counter('replica_transfer_backpressure_total', 'Transfer chunks held back by carrier backpressure.', [], (s) => s.replica.transfersOut.backpressured);
  counter('replica_callback_errors_total', 'User callbacks that threw, rejected or timed out.', [], (s) => s.replica.callbackErrors);
  counter('replica_deltas_total', 'Deltas per instance: sent (broadcast) and merged.', ['instance', 'direction'], (s) =>
    instances(s).flatMap((r) => [[{ instance: r.name, direction: 'out' }, r.deltasSent] as const, [{ instance: r.name, direction: 'in' }, r.deltasMerged] as const]),
  );
  counter('replica_custom_total', 'Custom payloads per instance: sent and merged.', ['instance', 'direction'], (s) =>
    instances(s).flatMap((r) => [[{ instance: r.name, direction: 'out' }, r.customSent] as const, [{ instance: r.name, direction: 'in' }, r.customMerged] as const]),
  );
  counter('replica_full_syncs_total', 'Full syncs per instance: sent and applied.', ['instance', 'direction'], (s) =>
    instances(s).flatMap((r) => [[{ instance: r.name, direction: 'out' }, r.fullSyncsSent] as const, [{ instance: r.name, direction: 'in' }, r.fullSyncsApplied] as const]),
  );
  counter('replica_repairs_total', 'Anti-entropy repairs per instance: sent and applied.', ['instance', 'direction'], (s) =>
    instances(s).flatMap((r) => [[{ instance: r.name, direction: 'out' }, r.repairsSent] as const, [{ instance: r.name, direction: 'in' }, r.repairsApplied] as const]),
  );
  counter('replica_anti_entropy_rounds_total', 'Anti-entropy rounds started per instance.', ['instance'], (s) => instances(s).map((r) => [{ instance: r.name }, r.antiEntropyRounds] as const));
  counter('replica_anti_entropy_outcomes_total', 'Anti-entropy outcomes per instance: equal at once, fallback to full pull, timeout.', ['instance', 'outcome'], (s) =>
    instances(s).flatMap((r) => [
      [{ instance: r.name, outcome: 'equal' }, r.antiEntropyEqual] as const,
      [{ instance: r.name, outcome: 'fallback' }, r.antiEntropyFallbacks] as const,
      [{ instance: r.name, outcome: 'timeout' }, r.antiEntropyTimeouts] as const,
    ]),
  );
  counter('replica_invalid_total', 'Payloads refused per instance (shape, codec or validator).', ['instance'], (s) => instances(s).map((r) => [{ instance: r.name }, r.invalid] as const));
  counter('replica_queue_dropped_total', 'Callback tasks dropped per instance because its queue was full.', ['instance'], (s) =>
    instances(s).map((r) => [{ instance: r.name }, r.queueDropped] as const),
  );
  gauge('replica_queued', 'Callback invocations waiting or running per instance.', ['instance'], (s) => instances(s).map((r) => [{ instance: r.name }, r.queued] as const));

  // ---- maps ---------------------------------------------------------------------------------------------------
  gauge('map_keys', 'Keys with a value.', ['map'], (s) => perMap(s, (m) => m.keys));
  gauge('map_tombstones', 'Keys whose values were all removed, kept until collected.', ['map'], (s) => perMap(s, (m) => m.tombstones));
  gauge('map_writers', 'Writers the map has seen.', ['map'], (s) => perMap(s, (m) => m.writers));
  gauge('map_pending_writes', 'Local writes logged and awaiting their fsync.', ['map'], (s) => perMap(s, (m) => m.pendingWrites));
  counter('map_deltas_total', 'Deltas per map: broadcast (local writes) and merged (from peers).', ['map', 'direction'], (s) =>
    maps(s).flatMap(([map, m]) => [[{ map, direction: 'out' }, m.deltas.broadcast] as const, [{ map, direction: 'in' }, m.deltas.merged] as const]),
  );
  counter('map_full_syncs_total', 'Full syncs per map: served and applied.', ['map', 'direction'], (s) =>
    maps(s).flatMap(([map, m]) => [[{ map, direction: 'out' }, m.fullSyncs.served] as const, [{ map, direction: 'in' }, m.fullSyncs.applied] as const]),
  );
  counter('map_anti_entropy_rounds_total', 'Digest anti-entropy rounds per map.', ['map'], (s) => perMap(s, (m) => m.antiEntropy.rounds));
  counter('map_anti_entropy_equal_total', 'Anti-entropy rounds that found the replicas equal.', ['map'], (s) => perMap(s, (m) => m.antiEntropy.equal));
  counter('map_anti_entropy_repairs_total', 'Repairs served to peers by anti-entropy.', ['map'], (s) => perMap(s, (m) => m.antiEntropy.repairsServed));
  counter('map_tombstones_collected_total', 'Tombstones collected once causally stable.', ['map'], (s) => perMap(s, (m) => m.stability.collectedKeys));

  // ---- write-ahead log ----------------------------------------------------------------------------------------
  counter('wal_fsyncs_total', 'fsyncs of the write-ahead log.', ['map'], (s) => perWal(s, (w) => w.fsyncs));
  counter('wal_snapshots_total', 'Snapshots written (each truncates the log).', ['map'], (s) => perWal(s, (w) => w.snapshots));
  gauge('wal_records_since_snapshot', 'Log records since the last snapshot.', ['map'], (s) => perWal(s, (w) => w.recordsSinceSnapshot));
  gauge('wal_bytes_since_snapshot', 'Log bytes since the last snapshot.', ['map'], (s) => perWal(s, (w) => w.bytesSinceSnapshot));
  gauge('wal_unsynced_records', 'Records written but not yet fsynced.', ['map'], (s) => perWal(s, (w) => w.unsyncedRecords));
  gauge('wal_pending_durable', 'Durable appends not yet acknowledged.', ['map'], (s) => perWal(s, (w) => w.pendingDurable));
  gauge('wal_failed', '1 when the log failed and refuses appends.', ['map'], (s) => perWal(s, (w) => (w.failed === undefined ? 0 : 1)));
  const fsyncSeconds = new Histogram({
    name: `${prefix}wal_fsync_seconds`,
    help: 'Latency of WAL fsyncs (storage sync of the log), in seconds.',
    labelNames: ['map'],
    buckets: [...(init.fsyncBuckets ?? DEFAULT_FSYNC_BUCKETS)],
    registers: [registry],
  });

  // ---- the status instance ------------------------------------------------------------------------------------
  counter('status_messages_total', 'Status instance messages by direction and type (ask, card).', ['direction', 'type'], (_s, p) => [
    [{ direction: 'out', type: 'ask' }, p?.asksSent ?? 0],
    [{ direction: 'in', type: 'ask' }, p?.asksReceived ?? 0],
    [{ direction: 'out', type: 'card' }, p?.cardsSent ?? 0],
    [{ direction: 'in', type: 'card' }, p?.cardsReceived ?? 0],
  ]);
  counter('status_gathers_total', 'Cluster views asked for, by outcome.', ['outcome'], (_s, p) => [
    [{ outcome: 'complete' }, p?.gathersComplete ?? 0],
    [{ outcome: 'timeout' }, p?.gathersTimedOut ?? 0],
  ]);
  gauge('status_cards', 'Cards of other nodes known.', [], (_s, p) => p?.cards ?? 0);

  const observeFsync = (map: string, seconds: number): void => {
    if (Number.isFinite(seconds) && seconds >= 0) fsyncSeconds.observe({ map }, seconds);
  };

  return {
    registry,
    contentType: registry.contentType,
    async text(snapshot, probe) {
      for (const update of updates) update(snapshot, probe);
      return registry.metrics();
    },
    observeFsync,
    instrumentStorage(map, storage) {
      const sync = async (name: string): Promise<void> => {
        const start = performance.now();
        try {
          await storage.sync(name);
        } finally {
          observeFsync(map, (performance.now() - start) / 1000);
        }
      };
      // A proxy rather than a copy: methods still run on the original (closures, classes with private fields).
      return new Proxy(storage, {
        get(target, prop) {
          if (prop === 'sync') return sync;
          const v: unknown = Reflect.get(target, prop, target);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}
