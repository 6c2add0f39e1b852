/**
 * The simulator's virtual clock and event loop (issue "Testkit", Simulator: "a run advances only through events").
 * Events are processed one at a time in (tick, sequence) order from the `EventQueue`; virtual time jumps to each
 * event's tick, so nothing happens between events and a run is a pure function of its seed and of what the test
 * does. Every processed event is folded into the trace hash (kind, time, endpoints): equal runs, equal hashes.
 *
 * Three kinds of events: a message delivery (handed to the `DeliverySink`, the transport — the hot path: an event
 * id with the receiving endpoint's index and the message, no allocation), a timer (a user's callback, cancellable,
 * skipped if its node crashed since), and an internal call (handshakes, failure detection: rare, a closure is fine).
 */
import { EV, EventQueue, KIND, TARGET, TICKS_PER_MS } from './event-queue.js';
import { CONTROL, DUP, type NodeState } from './network-state.js';
import type { Timers } from './ports.js';
import type { RunOptions, RunResult, SimStats } from './simulation-api.js';

// Event kinds.
const DELIVER = 0;
const TIMER = 1;
const CALL = 2;

/** A pending timer: cancelling marks it, the event skips it. */
class TimerRecord {
  cancelled = false;

  constructor(
    readonly fn: () => void,
    readonly node: NodeState | null,
    readonly incarnation: number,
  ) {}
}

/** Where delivery events go. */
export interface DeliverySink {
  /** A message for endpoint index `rep` left the queue (`flags`: wire flags). */
  deliver(rep: number, message: unknown, flags: number): void;
  /** The trace key of endpoint index `rep` (folded into the trace hash). */
  traceKey(rep: number): number;
  /** A readable `from→to` of endpoint index `rep`, for the trace. */
  describe(rep: number): string;
}

/** Programmer errors of the simulator's users: crash loudly. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`testkit: ${message}`);
}

/** The event loop of one simulation. */
export class Scheduler {
  /** Virtual time of the event being processed (ms, on the tick grid). */
  t = 0;
  /** Where deliveries go; set once by the simulation when it wires its parts. */
  sink!: DeliverySink;
  private seq = 0;
  private readonly queue = new EventQueue();
  private hash = 0x811c9dc5;
  private traceLog: string[] = [];
  /** Global timers (never cancelled by crashes). */
  readonly timers: Timers;

  constructor(
    private readonly stats: SimStats,
    /** Keep a readable trace of this many events (0: off). */
    private readonly traceMax: number,
  ) {
    this.timers = {
      now: () => this.t,
      setTimer: (delayMs, fn) => this.setTimer(null, delayMs, fn),
    };
  }

  /** Events waiting. */
  get size(): number {
    return this.queue.size;
  }

  /** The tick of virtual time `t` ms, never before the current tick. */
  tickOf(t: number): number {
    const tick = Math.round(t * TICKS_PER_MS);
    const cur = this.queue.tick;
    return tick < cur ? cur : tick;
  }

  /** Deliver `message` to endpoint index `rep` at `tick` (never before the current tick). The hot path. */
  deliverAt(tick: number, rep: number, message: unknown, flags: number): void {
    const q = this.queue;
    const ev = q.alloc();
    const b = ev * EV;
    const i32 = q.i32;
    i32[b + KIND] = DELIVER | (flags << 2);
    i32[b + TARGET] = rep;
    q.objs[ev] = message;
    const cur = q.tick;
    q.push(ev, tick < cur ? cur : tick, this.seq++);
  }

  private schedule(tick: number, kind: number, obj: unknown): void {
    const q = this.queue;
    const ev = q.alloc();
    q.i32[ev * EV + KIND] = kind;
    q.objs[ev] = obj;
    q.push(ev, tick, this.seq++);
  }

  /** Run an internal action after `delayMs` (handshakes, detection): off the hot path, a closure is fine. */
  call(delayMs: number, fn: () => void): void {
    this.schedule(this.tickOf(this.t + delayMs), CALL, fn);
  }

  /** A timer of `node` (null: global) after `delayMs` of its local clock; returns the cancel function. */
  setTimer(node: NodeState | null, delayMs: number, fn: () => void): () => void {
    assert(typeof fn === 'function', 'setTimer needs a function');
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const sim = node === null ? d : d / node.rate;
    const timer = new TimerRecord(fn, node, node === null ? 0 : node.incarnation);
    this.schedule(this.tickOf(this.t + sim), TIMER, timer);
    return () => {
      timer.cancelled = true;
    };
  }

  run(opts: RunOptions = {}): RunResult {
    const timed = opts.untilMs !== undefined || opts.forMs !== undefined;
    const until = opts.untilMs ?? (opts.forMs !== undefined ? this.t + opts.forMs : Infinity);
    assert(until >= this.t, `run until ${until} is in the past (now ${this.t})`);
    const maxEvents = opts.maxEvents ?? (timed ? Infinity : 10_000_000);
    const untilIdle = opts.untilIdle ?? !timed;
    const stats = this.stats;
    const startEvents = stats.events;
    const startDelivered = stats.delivered;
    let reason: RunResult['reason'] = 'idle';
    const q = this.queue;
    const limit = until === Infinity ? Infinity : Math.floor(until * TICKS_PER_MS + 1e-6);
    for (;;) {
      if (stats.events - startEvents >= maxEvents && q.size > 0) {
        reason = 'maxEvents';
        break;
      }
      const next = q.pop(limit);
      if (next < 0) {
        reason = q.size === 0 && (untilIdle || !timed) ? 'idle' : 'until';
        break;
      }
      this.process(next);
    }
    if (reason === 'until' || (reason === 'idle' && timed && !untilIdle)) this.t = until;
    return { reason, events: stats.events - startEvents, delivered: stats.delivered - startDelivered, nowMs: this.t };
  }

  step(): boolean {
    const ev = this.queue.pop(Infinity);
    if (ev < 0) return false;
    this.process(ev);
    return true;
  }

  private process(ev: number): void {
    const q = this.queue;
    const b = ev * EV;
    const kindFlags = q.i32[b + KIND]!;
    const kind = kindFlags & 3;
    const obj = q.objs[ev];
    if (kind === TIMER && (obj as TimerRecord).cancelled) {
      q.release(ev);
      return;
    }
    const t = (this.t = q.tick / TICKS_PER_MS);
    this.stats.events++;
    if (kind === DELIVER) {
      const rep = q.i32[b + TARGET]!;
      const flags = kindFlags >> 2;
      this.mix(this.sink.traceKey(rep) + (flags << 24));
      this.mix((t * 1000) | 0);
      if (this.traceMax > 0) this.logDelivery(rep, obj, flags);
      // Recycled before the delivery: a reply sent from the handler reuses this (cache-hot) event.
      q.release(ev);
      this.sink.deliver(rep, obj, flags);
    } else if (kind === TIMER) {
      q.release(ev);
      const timer = obj as TimerRecord;
      const node = timer.node;
      this.mix(0x7100 + (node === null ? 0xffff : node.index));
      this.mix((t * 1000) | 0);
      if (this.traceMax > 0) this.log(`${t.toFixed(3)} timer ${node === null ? 'global' : node.id}`);
      if (node !== null && (!node.alive || node.incarnation !== timer.incarnation)) return;
      this.stats.timersFired++;
      timer.fn();
    } else {
      this.mix(0xca11);
      this.mix((t * 1000) | 0);
      q.release(ev);
      (obj as () => void)();
    }
  }

  private mix(x: number): void {
    let h = Math.imul(this.hash ^ x, 0x01000193);
    h ^= h >>> 15;
    this.hash = h;
  }

  traceHash(): string {
    return `${(this.hash >>> 0).toString(16).padStart(8, '0')}:${this.stats.events}`;
  }

  private logDelivery(rep: number, message: unknown, flags: number): void {
    const m = message as { type?: unknown; control?: unknown };
    const what = (flags & CONTROL) !== 0 ? String(m.control) : String(m?.type ?? '?');
    this.log(`${this.t.toFixed(3)} deliver ${this.sink.describe(rep)} ${what}${flags & DUP ? ' (dup)' : ''}`);
  }

  private log(line: string): void {
    this.traceLog.push(line);
    if (this.traceLog.length > this.traceMax * 2) this.traceLog = this.traceLog.slice(-this.traceMax);
  }

  /** The readable trace (the last `traceMax` events). */
  trace(): string[] {
    return this.traceLog.slice(-this.traceMax);
  }
}
