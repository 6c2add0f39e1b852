/**
 * The scheduler's queue. Virtual time is kept in integer ticks of 1 µs; events run in (tick, sequence) order, and
 * since the sequence number is global and increasing, events due at the same tick run in the order they were
 * scheduled — the tie-break that makes per-connection FIFO and whole runs deterministic.
 *
 * Events are integer ids into dense arrays (an integer record and one reference), recycled through a free list, so a run allocates nothing per event and the queue of 10 000 in-flight messages is a few hundred KiB. An
 * event's tick is its wheel slot's (the queue's `tick` when it is popped); only the heap stores ticks.
 * Near events (within 2^15 ticks ≈ 32.8 ms of the current tick: every network delivery with the default latencies)
 * sit in a timing wheel — one FIFO slot per tick, kept as an intrusive singly linked list through the events'
 * `NEXT` words, and an occupancy bitmap to skip empty slots — so scheduling and taking the next event cost O(1).
 * Far events (timers) wait in a binary min-heap on (tick, sequence) and move into the wheel when its window
 * reaches them; moving them before any direct insertion into the same slot keeps the sequence order.
 */

/** Ticks per virtual millisecond. */
export const TICKS_PER_MS = 1000;

// Integer record of an event, `EV` words each.
/** The next event of the same wheel slot, or of the free list (-1: none). */
export const NEXT = 0;
/** The event's kind (low 2 bits) and its flags (`<< 2`). */
export const KIND = 1;
/** An integer argument (the receiving endpoint of a delivery). */
export const TARGET = 2;
/** A second integer argument. */
export const AUX = 3;
export const EV = 4;

const SLOTS = 1 << 15;
const MASK = SLOTS - 1;
const WORDS = SLOTS >>> 5;

/** A binary min-heap of event ids on (tick, seq): the far-event store of `EventQueue`. */
class FarHeap {
  private ticks = new Float64Array(256);
  private seqs = new Float64Array(256);
  private ids = new Int32Array(256);
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** The smallest tick (requires size > 0). */
  peekTick(): number {
    return this.ticks[0]!;
  }

  private grow(): void {
    const cap = this.ticks.length * 2;
    const ticks = new Float64Array(cap);
    ticks.set(this.ticks);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    const ids = new Int32Array(cap);
    ids.set(this.ids);
    this.ticks = ticks;
    this.seqs = seqs;
    this.ids = ids;
  }

  push(id: number, t: number, seq: number): void {
    if (this.n === this.ticks.length) this.grow();
    const { ticks, seqs, ids } = this;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = ticks[parent]!;
      if (pt < t || (pt === t && seqs[parent]! < seq)) break;
      ticks[i] = pt;
      seqs[i] = seqs[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    ticks[i] = t;
    seqs[i] = seq;
    ids[i] = id;
  }

  /** The id of the smallest (tick, seq) (requires size > 0). */
  pop(): number {
    const { ticks, seqs, ids } = this;
    const top = ids[0]!;
    const n = --this.n;
    if (n === 0) return top;
    const t = ticks[n]!;
    const seq = seqs[n]!;
    const last = ids[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = ticks[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = ticks[r]!;
        if (rt < ct || (rt === ct && seqs[r]! < seqs[c]!)) {
          c = r;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && seq < seqs[c]!)) break;
      ticks[i] = ct;
      seqs[i] = seqs[c]!;
      ids[i] = ids[c]!;
      i = c;
    }
    ticks[i] = t;
    seqs[i] = seq;
    ids[i] = last;
    return top;
  }
}

/** Event storage plus the (tick, seq)-ordered queue over it (see the module comment). */
export class EventQueue {
  /** Integer records, `EV` words per event. Replaced when the store grows: read it again after `alloc`. */
  i32: Int32Array;
  /** Each event's reference argument (a message, a callback). Replaced when the store grows. */
  objs: unknown[];
  private freeHead = -1;
  private used = 0;
  /** Slot i's first event at `ends[2i]`, its last at `ends[2i + 1]` (-1: empty). */
  private readonly ends = new Int32Array(2 * SLOTS).fill(-1);
  private readonly bits = new Uint32Array(WORDS);
  private readonly far = new FarHeap();
  /** The current tick: no pending event is earlier. */
  private cur = 0;
  private near = 0;

  constructor(capacity = 1024) {
    this.i32 = new Int32Array(capacity * EV);
    this.objs = new Array(capacity).fill(null);
  }

  /** Events waiting. */
  get size(): number {
    return this.near + this.far.size;
  }

  /** The current tick (never after the simulation's `now`). */
  get tick(): number {
    return this.cur;
  }

  /** A free event id (its fields are stale: set them all). */
  alloc(): number {
    const id = this.freeHead;
    if (id >= 0) {
      this.freeHead = this.i32[id * EV + NEXT]!;
      return id;
    }
    if (this.used === this.objs.length) this.grow();
    return this.used++;
  }

  /** Give `id` back (it must not be queued). */
  release(id: number): void {
    this.objs[id] = null;
    this.i32[id * EV + NEXT] = this.freeHead;
    this.freeHead = id;
  }

  private grow(): void {
    const cap = this.objs.length * 2;
    const i32 = new Int32Array(cap * EV);
    i32.set(this.i32);
    this.i32 = i32;
    const objs = new Array<unknown>(cap).fill(null);
    for (let i = 0; i < this.objs.length; i++) objs[i] = this.objs[i];
    this.objs = objs;
  }

  /** Schedule event `id` at `tick` (≥ the current tick) with sequence number `seq`. */
  push(id: number, tick: number, seq: number): void {
    if (tick - this.cur < SLOTS) this.pushNear(id, tick);
    else this.far.push(id, tick, seq);
  }

  private pushNear(id: number, tick: number): void {
    const i = (tick & MASK) << 1;
    const ends = this.ends;
    const i32 = this.i32;
    const last = ends[i + 1]!;
    i32[id * EV + NEXT] = -1;
    if (last < 0) {
      ends[i] = id;
      this.bits[i >>> 6]! |= 1 << ((i >>> 1) & 31);
    } else {
      i32[last * EV + NEXT] = id;
    }
    ends[i + 1] = id;
    this.near++;
  }

  /**
   * The next event's id if its tick is ≤ `limit` (its tick is then `tick`); otherwise -1 (and every pending event
   * is after `limit`).
   */
  pop(limit: number): number {
    for (;;) {
      const i = (this.cur & MASK) << 1;
      const ends = this.ends;
      const id = ends[i]!;
      if (id >= 0) {
        if (this.cur > limit) return -1;
        this.near--;
        const next = this.i32[id * EV + NEXT]!;
        ends[i] = next;
        if (next < 0) {
          ends[i + 1] = -1;
          this.bits[i >>> 6]! &= ~(1 << ((i >>> 1) & 31));
        }
        return id;
      }
      let next: number;
      if (this.near > 0) next = this.nextNear();
      else if (this.far.size > 0) next = this.far.peekTick();
      else return -1;
      if (next > limit) {
        if (limit > this.cur && limit !== Infinity) this.advance(limit);
        return -1;
      }
      this.advance(next);
    }
  }

  private advance(tick: number): void {
    this.cur = tick;
    const far = this.far;
    while (far.size > 0 && far.peekTick() - tick < SLOTS) {
      const t = far.peekTick();
      this.pushNear(far.pop(), t);
    }
  }

  /** The tick of the first non-empty slot after the current one (requires near > 0). */
  private nextNear(): number {
    const base = this.cur & MASK;
    const start = (base + 1) & MASK;
    let word = start >>> 5;
    let w = this.bits[word]! & (-1 << (start & 31));
    for (let n = 0; n <= WORDS; n++) {
      if (w !== 0) {
        const slot = (word << 5) | (31 - Math.clz32(w & -w));
        return this.cur + ((slot - base) & MASK);
      }
      word = (word + 1) & (WORDS - 1);
      w = this.bits[word]!;
    }
    throw new Error('testkit: time wheel lost track of its events');
  }
}
