/** Uniform choices driven by the injected Random port (never Math.random), so that a seed replays a run. */
import type { Random } from './ports.js';

/** A uniform index in [0, n). */
export function randomIndex(random: Random, n: number): number {
  const i = Math.floor(random.next() * n);
  return i < n ? i : n - 1; // guards a port that returns exactly 1
}

/** One uniformly chosen element, or undefined when `items` is empty. */
export function pickOne<T>(random: Random, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[randomIndex(random, items.length)];
}

/** Up to `k` distinct elements chosen uniformly (`k` is small here: rejection on indices, no copy of `items`). */
export function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  const n = items.length;
  if (k >= n) {
    const all = items.slice();
    // Shuffle so that callers that keep a prefix still get a uniform subset.
    for (let i = n - 1; i > 0; i--) {
      const j = randomIndex(random, i + 1);
      const t = all[i]!;
      all[i] = all[j]!;
      all[j] = t;
    }
    return all;
  }
  if (k * 2 > n) {
    // Dense case: partial Fisher–Yates on a copy.
    const copy = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + randomIndex(random, n - i);
      const t = copy[i]!;
      copy[i] = copy[j]!;
      copy[j] = t;
    }
    copy.length = k;
    return copy;
  }
  const picked: number[] = [];
  while (picked.length < k) {
    const i = randomIndex(random, n);
    if (!picked.includes(i)) picked.push(i);
  }
  return picked.map((i) => items[i]!);
}
