/**
 * A node's health as it judges itself from its own `status()` snapshots, and its status card.
 *
 * `failing` when a map's write-ahead log failed (local writes are refused); `degraded` when the active view is
 * empty (`isolated`: nothing replicates), work piles up (`backlog`: send queues, missing broadcasts or unsynced
 * writes above their bounds), or counters that should stay nearly flat rose by more than their allowance within
 * the last one to two windows (`rejecting`: inputs refused; `backpressure`: sends refused by a full queue); `ok`
 * otherwise. The allowances exist because a healthy cluster has a few of both: two peers dialling each other at
 * once close one connection as a duplicate, a burst of writes fills a queue for a moment.
 */
import { CARD_VERSION, isHttpUrl, type Health, type StatusCard } from './card.js';
import type { StatusSnapshot } from './source.js';

/** Thresholds of the health judgement; each has a default. */
export interface HealthInit {
  /** Window over which rising rejection and backpressure counters count. Default 60 000 ms. */
  windowMs?: number;
  /** Bytes waiting in send queues above which the node is `backlog`. Default 8 MiB. */
  sendQueueBytesMax?: number;
  /** Broadcasts announced but not received above which the node is `backlog`. Default 1 000. */
  missingMax?: number;
  /** Local writes waiting for their fsync above which the node is `backlog`. Default 10 000. */
  pendingWritesMax?: number;
  /** Inputs refused within a window above which the node is `rejecting`. Default 10. */
  rejectedPerWindowMax?: number;
  /** Backpressure events within a window above which the node is `backpressure`. Default 100. */
  backpressurePerWindowMax?: number;
}

/** A health verdict with its reasons. */
export interface HealthReport {
  health: Health;
  reasons: string[];
}

/** Judges health from successive snapshots. */
export interface HealthTracker {
  evaluate(s: StatusSnapshot, nowMs: number): HealthReport;
}

interface Sample {
  at: number;
  rejected: number;
  backpressure: number;
}

/** Create a health tracker. */
export function createHealthTracker(init: HealthInit = {}): HealthTracker {
  const windowMs = init.windowMs ?? 60_000;
  const queueMax = init.sendQueueBytesMax ?? 8 * 1024 * 1024;
  const missingMax = init.missingMax ?? 1000;
  const writesMax = init.pendingWritesMax ?? 10_000;
  const rejectedMax = init.rejectedPerWindowMax ?? 10;
  const backpressureMax = init.backpressurePerWindowMax ?? 100;
  // Two windows of samples: "rose" means above the value at the start of the previous window (or the current
  // one, before a window has passed), so a burst stays visible for one to two windows, then clears.
  let previous: Sample | undefined;
  let current: Sample | undefined;
  return {
    evaluate(s, nowMs) {
      const sample: Sample = { at: nowMs, rejected: s.rejected.total, backpressure: s.carrier.backpressure + s.broadcast.backpressure };
      current ??= sample;
      if (nowMs - current.at >= windowMs) {
        previous = current;
        current = sample;
      }
      const base = previous ?? current;
      const reasons: string[] = [];
      const walFailed = Object.values(s.maps).some((m) => m.persist?.failed !== undefined);
      if (walFailed) reasons.push('wal-failed');
      if (s.views.active.length === 0) reasons.push('isolated');
      if (s.pending.sendQueueBytes > queueMax || s.pending.broadcastMissing > missingMax || s.pending.writes > writesMax) reasons.push('backlog');
      if (sample.rejected - base.rejected > rejectedMax) reasons.push('rejecting');
      if (sample.backpressure - base.backpressure > backpressureMax) reasons.push('backpressure');
      const health: Health = walFailed ? 'failing' : reasons.length > 0 ? 'degraded' : 'ok';
      return { health, reasons };
    },
  };
}

/** The card a node gossips about itself. */
export function cardOf(s: StatusSnapshot, report: HealthReport): StatusCard {
  const card: StatusCard = {
    v: CARD_VERSION,
    id: s.id,
    cluster: s.cluster,
    health: report.health,
    reasons: report.reasons,
    uptimeMs: Math.max(0, Math.floor(s.uptimeMs)),
    active: [...s.views.active],
    passiveCount: s.views.passive.length,
    eager: [...s.broadcast.eager],
    lazy: [...s.broadcast.lazy],
    maps: s.totals.maps,
    keys: s.totals.keys,
    tombstones: s.totals.tombstones,
    antiEntropyRounds: s.totals.antiEntropyRounds,
    rejected: s.rejected.total,
  };
  if (isHttpUrl(s.http)) card.http = s.http;
  return card;
}
