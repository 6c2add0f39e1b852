/**
 * HyParView tunables, each with the paper's default where the paper gives one (Leitão, Pereira, Rodrigues, DSN 2007,
 * §4 and §5: active view 5, passive view 30, ARWL 6, PRWL 3, shuffle ka 3 / kp 4) and a documented engineering
 * default everywhere else (timings, backoff, bounds on untrusted input).
 */
import { assert } from './assert.js';

/** Every HyParView tunable; all optional, defaults in {@link DEFAULT_HYPARVIEW_INIT}. */
export interface HyParViewInit {
  /** Maximum active view size (symmetric links used for broadcast). Paper: log(n)+c; default 5. */
  activeViewSize?: number;
  /** Maximum passive view size (backup candidates). Paper: k·(log(n)+c); default 30. */
  passiveViewSize?: number;
  /** Active random walk length: the TTL a `forward-join` starts with. Default 6. */
  arwl?: number;
  /** Passive random walk length: at this remaining TTL a `forward-join` also lands in a passive view. Default 3. */
  prwl?: number;
  /** Number of active-view entries a `shuffle` carries (ka). Default 3. */
  shuffleActive?: number;
  /** Number of passive-view entries a `shuffle` carries (kp). Default 4. */
  shufflePassive?: number;
  /** TTL of a `shuffle` random walk. The paper walks shuffles like joins; default 6 (= ARWL). */
  shuffleTtl?: number;
  /** Period of the membership round (shuffle, fill of a short active view, passive ageing). Default 10 000 ms. */
  shuffleIntervalMs?: number;
  /** Each round's period is drawn from interval·(1 ± jitter) so that nodes do not synchronise. Default 0.1. */
  shuffleJitter?: number;
  /** How long a dial, a `join` or a `neighbor` request may stay unanswered. Default 5 000 ms. */
  requestTimeoutMs?: number;
  /** First delay before retrying `join` while the active view is empty; doubles per attempt. Default 1 000 ms. */
  joinRetryMs?: number;
  /** Cap on the join retry delay. Default 60 000 ms. */
  joinRetryMaxMs?: number;
  /** A passive entry not refreshed (re-learned) for this long is dropped. Default 600 000 ms (10 min). */
  passiveMaxAgeMs?: number;
  /** After a failed promotion attempt a passive entry is skipped for base·2^(failures−1). Default 5 000 ms. */
  passiveBackoffMs?: number;
  /** Cap on the passive failure backoff. Default 300 000 ms. */
  passiveBackoffMaxMs?: number;
  /** A passive entry that failed this many promotion attempts in a row is dropped. Default 3. */
  passiveFailuresMax?: number;
  /**
   * Candidates dialled in parallel per free active slot. Right after a mass failure most passive entries are dead;
   * dialling several at once finds live ones sooner, and only as many requests as free slots are sent. Default 3.
   */
  fillParallelism?: number;
  /**
   * A node with a free slot that meets this many full candidates (low-priority rejections) in a round waits for the
   * next round; below that it asks the next candidate at once, so that nodes with free slots find each other
   * sooner. Default 4.
   */
  fillRejectionsPerRound?: number;
  /**
   * Rounds a node's active view may stay short (not empty, not full) before it asks one passive candidate with high
   * priority (beyond the paper: merges small groups cut off from the rest). 0 disables. Default 5.
   */
  escalateAfterRounds?: number;
  /** Probability per round of retrying one peer lost to failure (partition repair, beyond the paper). Default 0.05. */
  reconnectProbability?: number;
  /** How many peers lost to failure are remembered for reconnection. Default 8. */
  lostPeersMax?: number;
  /** How long a peer lost to failure is remembered. Default 3 600 000 ms (1 h). */
  lostPeerMaxAgeMs?: number;
  /** A carrier link that carries no active peer nor pending request is closed after this idle time. Default 10 000 ms. */
  linkIdleMs?: number;
  /** Bound on dials in flight (promotions, forward-join ends, shuffle replies). Default 32. */
  pendingDialsMax?: number;
  /** Longest accepted node id, in UTF-8 bytes. Default 64. */
  nodeIdBytesMax?: number;
  /** Longest accepted address, in UTF-8 bytes. Default 256. */
  addressBytesMax?: number;
  /** Most node entries accepted in one `shuffle` or `shuffle-reply`. Default 64. */
  shuffleNodesMax?: number;
  /** Largest accepted TTL in `forward-join` and `shuffle`. Default 32. */
  ttlMax?: number;
}

/** {@link HyParViewInit} with every field present. */
export type HyParViewOptions = Required<HyParViewInit>;

/** The defaults: the paper's parameters and this implementation's bounds. */
export const DEFAULT_HYPARVIEW_INIT: Readonly<HyParViewOptions> = Object.freeze({
  activeViewSize: 5,
  passiveViewSize: 30,
  arwl: 6,
  prwl: 3,
  shuffleActive: 3,
  shufflePassive: 4,
  shuffleTtl: 6,
  shuffleIntervalMs: 10_000,
  shuffleJitter: 0.1,
  requestTimeoutMs: 5_000,
  joinRetryMs: 1_000,
  joinRetryMaxMs: 60_000,
  passiveMaxAgeMs: 600_000,
  passiveBackoffMs: 5_000,
  passiveBackoffMaxMs: 300_000,
  passiveFailuresMax: 3,
  fillParallelism: 3,
  fillRejectionsPerRound: 4,
  escalateAfterRounds: 5,
  reconnectProbability: 0.05,
  lostPeersMax: 8,
  lostPeerMaxAgeMs: 3_600_000,
  linkIdleMs: 10_000,
  pendingDialsMax: 32,
  nodeIdBytesMax: 64,
  addressBytesMax: 256,
  shuffleNodesMax: 64,
  ttlMax: 32,
});

/** Fill in defaults and assert that the combination is coherent (programmer errors crash loudly). */
export function resolveOptions(init: HyParViewInit = {}): HyParViewOptions {
  const o: HyParViewOptions = { ...DEFAULT_HYPARVIEW_INIT };
  for (const [key, value] of Object.entries(init)) {
    if (value !== undefined) (o as Record<string, number>)[key] = value as number;
  }
  const ints: (keyof HyParViewOptions)[] = [
    'activeViewSize', 'passiveViewSize', 'arwl', 'prwl', 'shuffleActive', 'shufflePassive', 'shuffleTtl',
    'passiveFailuresMax', 'fillParallelism', 'fillRejectionsPerRound', 'escalateAfterRounds', 'lostPeersMax', 'pendingDialsMax', 'nodeIdBytesMax', 'addressBytesMax', 'shuffleNodesMax', 'ttlMax',
  ];
  for (const key of ints) assert(Number.isInteger(o[key]) && o[key] >= 0, `${key} must be a non-negative integer`);
  for (const key of Object.keys(o) as (keyof HyParViewOptions)[]) {
    assert(Number.isFinite(o[key]) && o[key] >= 0, `${key} must be a finite non-negative number`);
  }
  assert(o.activeViewSize >= 1, 'activeViewSize must be at least 1');
  assert(o.prwl <= o.arwl, 'prwl must not exceed arwl');
  assert(o.arwl <= o.ttlMax && o.shuffleTtl <= o.ttlMax, 'arwl and shuffleTtl must not exceed ttlMax');
  assert(o.shuffleActive + o.shufflePassive + 1 <= o.shuffleNodesMax, 'a shuffle must fit shuffleNodesMax');
  assert(o.shuffleIntervalMs > 0 && o.requestTimeoutMs > 0 && o.joinRetryMs > 0, 'periods must be positive');
  assert(o.shuffleJitter < 1, 'shuffleJitter must be below 1');
  assert(o.reconnectProbability <= 1, 'reconnectProbability must be a probability');
  assert(o.passiveFailuresMax >= 1 && o.pendingDialsMax >= 1, 'passiveFailuresMax and pendingDialsMax must be ≥ 1');
  assert(o.fillParallelism >= 1, 'fillParallelism must be ≥ 1');
  return o;
}
