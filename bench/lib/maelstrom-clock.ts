/**
 * Time for the Maelstrom harness: the real clock (process mode: node processes run in real time) or a virtual one
 * (sim mode: in-process nodes on the same virtual clock, so a run measures the protocol, not the machine's load,
 * and a seed replays it exactly). Both have the `Timers` shape the protocol layers take.
 */

/** `now()` in ms and one-shot timers (a cancel function back). */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Wall-clock time. */
export function realClock(): Clock {
  return {
    now: () => performance.now(),
    setTimer(delayMs, fn) {
      const t = setTimeout(fn, Math.max(0, delayMs));
      return () => clearTimeout(t);
    },
  };
}

interface Entry {
  at: number;
  seq: number;
  fn: (() => void) | undefined;
}

const before = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** A virtual clock: timers fire in (time, creation) order when `run` advances time. */
export interface VirtualClock extends Clock {
  /** Fire timers in order until none is left, `stop()` is called, or time would pass `untilMs` (then time is `untilMs`). */
  run(untilMs?: number): void;
  stop(): void;
  readonly pending: number;
}

/** Create a virtual clock starting at 0. */
export function virtualClock(): VirtualClock {
  const heap: Entry[] = [];
  let now = 0;
  let seq = 0;
  let stopped = false;
  const push = (e: Entry) => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = (): Entry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  return {
    now: () => now,
    setTimer(delayMs, fn) {
      const e: Entry = { at: now + Math.max(0, delayMs), seq: seq++, fn };
      push(e);
      return () => {
        e.fn = undefined;
      };
    },
    run(untilMs = Infinity) {
      stopped = false;
      while (!stopped && heap.length > 0 && heap[0]!.at <= untilMs) {
        const e = pop()!;
        now = e.at;
        const fn = e.fn;
        e.fn = undefined;
        fn?.();
      }
      if (!stopped && untilMs !== Infinity && untilMs > now) now = untilMs;
    },
    stop() {
      stopped = true;
    },
    get pending() {
      return heap.length;
    },
  };
}
