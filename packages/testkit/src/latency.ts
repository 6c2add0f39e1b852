/**
 * Latency models: how long one message takes on a link, sampled per message from the simulation's seeded
 * stream. A model is a plain object with `sample` (no closure is built per message); links may each have their own.
 */
import type { Random } from './ports.js';

/** Draws one-way delays in milliseconds. */
export interface LatencyModel {
  /** A short description for reports, e.g. `uniform(5, 15)`. */
  readonly label: string;
  /** One delay, ≥ 0 ms. */
  sample(random: Random): number;
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new RangeError(message);
}

/** Every message takes exactly `ms`. */
export function constantLatency(ms: number): LatencyModel {
  check(ms >= 0 && Number.isFinite(ms), `constant latency must be ≥ 0, got ${ms}`);
  return { label: `constant(${ms})`, sample: () => ms };
}

/** Delays uniform in [minMs, maxMs). */
export function uniformLatency(minMs: number, maxMs: number): LatencyModel {
  check(minMs >= 0 && maxMs >= minMs && Number.isFinite(maxMs), `uniform latency needs 0 ≤ min ≤ max, got ${minMs}, ${maxMs}`);
  const span = maxMs - minMs;
  return { label: `uniform(${minMs}, ${maxMs})`, sample: (r) => minMs + r.next() * span };
}

/** `minMs` plus an exponential tail with mean `meanMs` (long tails), capped at `capMs` (default 100 × mean). */
export function exponentialLatency(meanMs: number, minMs = 0, capMs = minMs + meanMs * 100): LatencyModel {
  check(meanMs > 0 && minMs >= 0 && capMs >= minMs, `exponential latency needs mean > 0, min ≥ 0, cap ≥ min`);
  return {
    label: `exponential(mean ${meanMs}, min ${minMs})`,
    sample: (r) => Math.min(capMs, minMs - meanMs * Math.log(1 - r.next())),
  };
}

/** The namespace form: `latency.uniform(5, 15)`. */
export const latency = {
  constant: constantLatency,
  uniform: uniformLatency,
  exponential: exponentialLatency,
} as const;
