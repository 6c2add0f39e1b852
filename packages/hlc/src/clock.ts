/**
 * The hybrid logical clock (Kulkarni et al. 2014, Algorithm 3; design §4).
 *
 * Guarantees: every reading from `now`, `receive` and `pack` is strictly greater than every reading this clock issued
 * or absorbed before — also when the wall clock steps backwards (the logical part counts on) and when 1 024 readings
 * fall into one millisecond (the logical part carries into the wall part). A remote timestamp more than
 * `maxDriftMs` ahead of the local wall clock is rejected, not absorbed, so a faulty peer cannot drag the clock
 * into the future. A restarted node restores its high-water mark with `init.last` or `observe` and never reissues
 * a timestamp. The wall clock is injected; this module reads no global time.
 */
import {
  HlcErrorCode,
  LOGICAL_BITS,
  LOGICAL_MAX,
  WALL_MAX_MS,
  compare,
  fail,
  isPacked,
  unpack,
  validate,
  type PackedTimestamp,
  type Result,
  type Timestamp,
} from './timestamp.js';

/** Tunables of a clock. */
export interface HlcInit {
  /** Informational: the node whose clock this is. */
  nodeId?: string;
  /** Largest accepted lead of a remote timestamp over the local wall clock, in ms. Default 60 000. */
  maxDriftMs?: number;
  /** High-water mark restored after a restart (timestamp or packed); readings start strictly above it. Default none. */
  last?: Timestamp | PackedTimestamp;
}

/** Collaborators of a clock. */
export interface HlcComponents {
  /** Wall clock in milliseconds (e.g. `Date.now`); may step backwards, may repeat. */
  wallClock: () => number;
}

/** A hybrid logical clock. */
export interface Hlc {
  readonly nodeId: string | undefined;
  readonly maxDriftMs: number;
  /** A new timestamp for a local event, greater than every earlier one. */
  now(): Timestamp;
  /** `pack(now())`: a new monotonic safe integer, usable as a fencing token. */
  pack(): PackedTimestamp;
  /** Merge a remote timestamp (untrusted): the result is greater than both it and every earlier reading. */
  receive(remote: unknown): Result<Timestamp>;
  /**
   * Raise the high-water mark to `ts` without a drift check (restore after restart, trusted local state); `false`
   * when `ts` is malformed (nothing changes). Allocation-free: merges call it on every delta.
   */
  observe(ts: Timestamp | PackedTimestamp): boolean;
  /** The greatest timestamp issued or absorbed so far (to persist as the high-water mark). */
  last(): Timestamp;
}

/** Create a hybrid logical clock. */
export function createHlc(init: HlcInit, components: HlcComponents): Hlc {
  const maxDriftMs = init.maxDriftMs ?? 60_000;
  if (!(Number.isFinite(maxDriftMs) && maxDriftMs >= 0)) throw new RangeError('hlc: maxDriftMs must be ≥ 0');
  const { wallClock } = components;
  let lastWall = 0;
  let lastLogical = 0;

  if (init.last !== undefined) {
    const restored = toTimestamp(init.last);
    if (!restored.ok) throw new RangeError(`hlc: init.last: ${restored.error.message}`);
    lastWall = restored.value.wallMs;
    lastLogical = restored.value.logical;
  }

  // A broken wall clock (NaN, negative, fractional) must not break monotonicity: sanitise, then the logic holds.
  function wall(): number {
    const w = Math.floor(wallClock());
    if (!(w >= 0)) return 0;
    return w > WALL_MAX_MS ? WALL_MAX_MS : w;
  }

  function set(w: number, l: number): Timestamp {
    if (l > LOGICAL_MAX) {
      w += 1;
      l = 0;
    }
    if (w > WALL_MAX_MS) throw new RangeError('hlc: timestamp space exhausted (year 2248)');
    lastWall = w;
    lastLogical = l;
    return { wallMs: w, logical: l };
  }

  // Advance the state for a local event without allocating.
  function tick(): void {
    const w = wall();
    let l = 0;
    if (w > lastWall) lastWall = w;
    else l = lastLogical + 1;
    if (l > LOGICAL_MAX) {
      l = 0;
      lastWall += 1;
      if (lastWall > WALL_MAX_MS) throw new RangeError('hlc: timestamp space exhausted (year 2248)');
    }
    lastLogical = l;
  }

  function now(): Timestamp {
    tick();
    return { wallMs: lastWall, logical: lastLogical };
  }

  function receive(remote: unknown): Result<Timestamp> {
    const checked = validate(remote);
    if (!checked.ok) return checked;
    const r = checked.value;
    const w = wall();
    if (r.wallMs > w + maxDriftMs) {
      return fail(HlcErrorCode.drift, `remote timestamp ${r.wallMs - w} ms ahead of the local clock (max ${maxDriftMs})`);
    }
    const top = Math.max(w, lastWall, r.wallMs);
    let l: number;
    if (top === lastWall && top === r.wallMs) l = Math.max(lastLogical, r.logical) + 1;
    else if (top === lastWall) l = lastLogical + 1;
    else if (top === r.wallMs) l = r.logical + 1;
    else l = 0;
    return { ok: true, value: set(top, l) };
  }

  function observe(ts: Timestamp | PackedTimestamp): boolean {
    if (typeof ts === 'number') {
      if (!isPacked(ts)) return false;
      if (ts > lastWall * 2 ** LOGICAL_BITS + lastLogical) {
        lastLogical = ts % 2 ** LOGICAL_BITS;
        lastWall = (ts - lastLogical) / 2 ** LOGICAL_BITS;
      }
      return true;
    }
    const checked = toTimestamp(ts);
    if (!checked.ok) return false;
    if (compare(checked.value, { wallMs: lastWall, logical: lastLogical }) > 0) {
      lastWall = checked.value.wallMs;
      lastLogical = checked.value.logical;
    }
    return true;
  }

  return {
    nodeId: init.nodeId,
    maxDriftMs,
    now,
    pack: () => {
      tick();
      return lastWall * 2 ** LOGICAL_BITS + lastLogical;
    },
    receive,
    observe,
    last: () => ({ wallMs: lastWall, logical: lastLogical }),
  };
}

function toTimestamp(value: unknown): Result<Timestamp> {
  return typeof value === 'number' || isPacked(value) ? unpack(value) : validate(value);
}
