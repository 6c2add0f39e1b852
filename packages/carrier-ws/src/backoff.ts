/**
 * Reconnect delays: exponential backoff with full jitter (a uniform draw below the capped exponential), which
 * spreads the retries of many nodes that lost the same peer at once instead of synchronising them.
 */

/** Backoff bounds. */
export interface BackoffInit {
  /** Cap of the first retry's delay. */
  baseMs: number;
  /** Largest delay. */
  maxMs: number;
}

/** Delay before retry number `retry` (0 for the first retry), drawn with `random()` in [0, 1). */
export function backoffDelayMs(retry: number, init: BackoffInit, random: () => number): number {
  const cap = Math.min(init.maxMs, init.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * cap);
}
