/**
 * The broadcast checker of the Maelstrom harness: Jepsen's `set-full` analysis as Maelstrom's broadcast workload
 * uses it (broadcast = add), and Maelstrom's network statistic msgs-per-op.
 *
 * Per element: it is *known* from the earlier of its broadcast's acknowledgement and the completion of the first
 * read that returned it. Only reads invoked after that instant judge it: each one either has it (present) or not
 * (absent). An element is
 *   - *never-read* when no read was invoked after it was known,
 *   - *lost* when the last judging read (by invocation time) missed it — in particular when a final read missed
 *     an acknowledged broadcast,
 *   - *stable* otherwise: every read from some point on has it; it is *stale* as well when some judging read
 *     missed it first.
 * The stable latency of a stable element is the time from known to the invocation of the last read that missed
 * it (0 when none did): how long until it was visible in all reads from then on. Quantiles are Jepsen's: the
 * element at index ⌊n·q⌋ (capped) of the sorted latencies.
 */

/** One client operation of the history. */
export interface HistoryOp {
  f: 'broadcast' | 'read';
  /** ok: acknowledged; fail: definitely not done (an error reply); info: timed out, may or may not have happened. */
  type: 'ok' | 'fail' | 'info';
  node: string;
  invokeMs: number;
  completeMs: number;
  /** The broadcast message, or for an ok read the messages returned. */
  value: number | readonly unknown[] | undefined;
  final?: boolean;
}

/** Quantiles of the stable latencies, in ms. */
export type Quantiles = Record<'0' | '0.5' | '0.95' | '0.99' | '1', number>;

/** What the checker reports. */
export interface BroadcastCheck {
  valid: boolean;
  attemptCount: number;
  acknowledgedCount: number;
  stableCount: number;
  lostCount: number;
  lost: number[];
  staleCount: number;
  neverReadCount: number;
  /** Values returned by reads that no client ever broadcast. */
  unexpectedCount: number;
  stableLatencyMs: Quantiles | undefined;
}

/** Jepsen's quantiles over `values` (any order). */
export function quantiles(values: readonly number[]): Quantiles | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
  return { '0': at(0), '0.5': at(0.5), '0.95': at(0.95), '0.99': at(0.99), '1': at(1) };
}

/** Analyse a broadcast history. */
export function checkBroadcast(history: readonly HistoryOp[]): BroadcastCheck {
  const attempted = new Set<number>();
  const known = new Map<number, number>();
  let acknowledged = 0;
  for (const op of history) {
    if (op.f !== 'broadcast' || typeof op.value !== 'number') continue;
    attempted.add(op.value);
    if (op.type === 'ok') {
      acknowledged++;
      const k = known.get(op.value);
      if (k === undefined || op.completeMs < k) known.set(op.value, op.completeMs);
    }
  }
  const reads = history.filter((op) => op.f === 'read' && op.type === 'ok' && Array.isArray(op.value));
  const readSets = reads.map((op) => new Set((op.value as unknown[]).filter((v): v is number => typeof v === 'number')));
  let unexpected = 0;
  const unexpectedSeen = new Set<unknown>();
  for (const op of reads) {
    for (const v of op.value as unknown[]) {
      if (typeof v === 'number' && attempted.has(v)) {
        const k = known.get(v);
        if (k === undefined || op.completeMs < k) known.set(v, op.completeMs);
      } else if (!unexpectedSeen.has(v)) {
        unexpectedSeen.add(v);
        unexpected++;
      }
    }
  }

  let stable = 0;
  let stale = 0;
  let neverRead = 0;
  const lost: number[] = [];
  const latencies: number[] = [];
  for (const [element, knownAt] of known) {
    let lastPresent = -Infinity;
    let lastAbsent = -Infinity;
    let judged = false;
    for (let i = 0; i < reads.length; i++) {
      const r = reads[i]!;
      if (r.invokeMs <= knownAt) continue;
      judged = true;
      if (readSets[i]!.has(element)) lastPresent = Math.max(lastPresent, r.invokeMs);
      else lastAbsent = Math.max(lastAbsent, r.invokeMs);
    }
    if (!judged) {
      neverRead++;
      continue;
    }
    if (lastAbsent > lastPresent || lastPresent === -Infinity) {
      lost.push(element);
      continue;
    }
    stable++;
    if (lastAbsent !== -Infinity) {
      stale++;
      latencies.push(Math.max(0, lastAbsent - knownAt));
    } else latencies.push(0);
  }
  lost.sort((a, b) => a - b);
  return {
    valid: lost.length === 0 && unexpected === 0,
    attemptCount: attempted.size,
    acknowledgedCount: acknowledged,
    stableCount: stable,
    lostCount: lost.length,
    lost: lost.slice(0, 50),
    staleCount: stale,
    neverReadCount: neverRead,
    unexpectedCount: unexpected,
    stableLatencyMs: quantiles(latencies),
  };
}
