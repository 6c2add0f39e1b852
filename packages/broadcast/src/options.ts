/**
 * Every tunable of Plumtree, with its default (style guide: "a bound on everything, each one an option with a
 * default"). The defaults suit a WAN overlay of up to tens of thousands of nodes with one-way link delays of
 * 10–100 ms; docs/broadcast.md explains each choice and how the bench measured it.
 */
import type { MessageLimits } from './messages.js';

/** Tunables of {@link createPlumtree}; every field is optional and documents its default. */
export interface PlumtreeInit {
  /** IHAVE batching: announcements to one peer are held this long and sent as one message; 0 sends each at once. Default 50. */
  ihaveFlushMs?: number;
  /** Lazy queue bound: at most this many ids per IHAVE and per peer queue; a full queue is flushed at once. Default 512. */
  ihaveBatchMax?: number;
  /** Paper's first timer: how long an announced, missing message may stay missing before a GRAFT. Default 400. */
  graftTimeoutMs?: number;
  /** Paper's second timer: how long a GRAFT may go unanswered before the next announcer is tried. Default 200. */
  graftRetryMs?: number;
  /** GRAFTs sent for one missing message before giving up (anti-entropy may announce it again). Default 6. */
  graftAttemptsMax?: number;
  /** Announcers remembered per missing message. Default 8. */
  graftSourcesMax?: number;
  /** Missing announced messages tracked at once (pending grafts); further announcements are counted and dropped. Default 16384. */
  missingMax?: number;
  /** Ids accepted in one GRAFT. Default 512. */
  graftIdsMax?: number;
  /** Optimisation (§3.8): swap an eager link for a lazy one whose announcement is more than this many hops shorter. 0 disables. Default 7. */
  optimizationThreshold?: number;
  /**
   * Origin trees (docs/broadcast.md): a tree is kept for each of this many most recently active origins; others use
   * the shared tree. 0 keeps one shared tree for all origins, as in the paper. Default 128.
   */
  originTreesMax?: number;
  /**
   * Origin trees that may start by flooding, per minute: a token bucket holding as many, refilled at that rate, and
   * refunded when a flooded origin sends again. A flooded first message leaves the lowest-latency tree for its origin
   * behind; without a token a tree starts as a copy of the shared tree. 0 never floods. Default 4.
   */
  originFloodsPerMinute?: number;
  /** Payload cache (graft service): most messages kept. Default 10000. */
  cacheCountMax?: number;
  /** Payload cache: most payload bytes kept. Default 32 MiB. */
  cacheBytesMax?: number;
  /** Payload cache: oldest message kept, in ms. Default 60000. */
  cacheAgeMs?: number;
  /** Dedup horizon: most message ids remembered. Default 100000. */
  seenCountMax?: number;
  /** Dedup horizon: how long an id is remembered, in ms. Default 600000 (10 min). */
  seenAgeMs?: number;
  /** Largest payload accepted or broadcast, in bytes. Default 512 KiB. */
  payloadBytesMax?: number;
  /** Longest tag, in UTF-8 bytes. Default 128. */
  tagBytesMax?: number;
  /** Largest hop count accepted; a message is not forwarded past it. Default 1024. */
  hopsMax?: number;
  /** Messages queued per peer while its carrier reports backpressure. Default 1024. */
  sendQueueMax?: number;
  /** Anti-entropy of recent ids: every this many ms (±25 % jitter) re-announce recent ids to one random peer. 0 disables. Default 2000. */
  antiEntropyIntervalMs?: number;
  /** Anti-entropy window: ids received within this many ms are re-announced. Default 10000. */
  antiEntropyWindowMs?: number;
}

/** {@link PlumtreeInit} with every default applied. */
export type PlumtreeOptions = Required<PlumtreeInit>;

/** The defaults, for docs and tests. */
export const PLUMTREE_DEFAULTS: PlumtreeOptions = Object.freeze({
  ihaveFlushMs: 50,
  ihaveBatchMax: 512,
  graftTimeoutMs: 400,
  graftRetryMs: 200,
  graftAttemptsMax: 6,
  graftSourcesMax: 8,
  missingMax: 16_384,
  graftIdsMax: 512,
  optimizationThreshold: 7,
  originTreesMax: 128,
  originFloodsPerMinute: 4,
  cacheCountMax: 10_000,
  cacheBytesMax: 32 * 1024 * 1024,
  cacheAgeMs: 60_000,
  seenCountMax: 100_000,
  seenAgeMs: 600_000,
  payloadBytesMax: 512 * 1024,
  tagBytesMax: 128,
  hopsMax: 1024,
  sendQueueMax: 1024,
  antiEntropyIntervalMs: 2000,
  antiEntropyWindowMs: 10_000,
});

/** Applies defaults and checks each option (programmer error: throws a RangeError naming the option). */
export function resolveOptions(init: PlumtreeInit): PlumtreeOptions {
  const o: PlumtreeOptions = { ...PLUMTREE_DEFAULTS };
  for (const [key, value] of Object.entries(init) as [keyof PlumtreeOptions, unknown][]) {
    if (value === undefined) continue;
    if (!(key in PLUMTREE_DEFAULTS)) throw new RangeError(`unknown Plumtree option ${key}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`Plumtree option ${key} must be a finite number >= 0, got ${String(value)}`);
    }
    o[key] = value;
  }
  for (const key of ['ihaveBatchMax', 'graftAttemptsMax', 'graftSourcesMax', 'graftIdsMax', 'cacheCountMax', 'seenCountMax', 'tagBytesMax', 'hopsMax'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`Plumtree option ${key} must be an integer >= 1`);
  }
  if (!Number.isInteger(o.originTreesMax)) throw new RangeError('Plumtree option originTreesMax must be an integer >= 0');
  if (o.graftTimeoutMs <= 0 || o.graftRetryMs <= 0) throw new RangeError('Plumtree graft timers must be > 0 ms');
  return o;
}

/** The decoder bounds taken from resolved options. */
export function messageLimits(o: PlumtreeOptions): MessageLimits {
  return {
    tagBytesMax: o.tagBytesMax,
    payloadBytesMax: o.payloadBytesMax,
    hopsMax: o.hopsMax,
    ihaveBatchMax: o.ihaveBatchMax,
    graftIdsMax: o.graftIdsMax,
  };
}
