/**
 * The scheduler's queue. Virtual time is kept in integer ticks of 1 µs; events run in (tick, sequence) order, and
 * since the sequence number is global and increasing, events due at the same tick run in the order they were
 * scheduled — the tie-break that makes per-connection FIFO and whole runs deterministic.
 *
 * Near events (within 2^15 ticks ≈ 32.8 ms of the current tick: every network delivery with the default latencies)
 * sit in a timing wheel — one FIFO slot per tick and an occupancy bitmap to skip empty slots — so scheduling and
 * taking the next event cost O(1). Far events (timers) wait in a binary min-heap and move into the wheel when its
 * window reaches them; moving them before any direct insertion into the same slot keeps the sequence order.
 */

/** Ticks per virtual millisecond. */
export const TICKS_PER_MS = 1000;

/** One scheduled event. Reused from a pool on the delivery hot path: never keep a reference after it ran. */
export class SimEvent {
  /** Virtual time in ms (`tick / TICKS_PER_MS`). */
  t = 0;
  tick = 0;
  seq = 0;
  kind = 0;
  flags = 0;
  aux = 0;
  target: unknown = null;
  payload: unknown = null;
}

/** A binary min-heap on (t, seq): the far-event store of `TimeWheel`. */
export class EventQueue {
  private ts = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private evs: (SimEvent | undefined)[] = new Array(1024);
  private n = 0;

  get size(): number {
    return this.n;
  }

  peek(): SimEvent | undefined {
    return this.n === 0 ? undefined : this.evs[0];
  }

  private grow(): void {
    const cap = this.ts.length * 2;
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.ts = ts;
    this.seqs = seqs;
    this.evs.length = cap;
  }

  push(ev: SimEvent): void {
    if (this.n === this.ts.length) this.grow();
    const ts = this.ts;
    const seqs = this.seqs;
    const evs = this.evs;
    const t = ev.t;
    const seq = ev.seq;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = ts[parent]!;
      if (pt < t || (pt === t && seqs[parent]! < seq)) break;
      ts[i] = pt;
      seqs[i] = seqs[parent]!;
      evs[i] = evs[parent];
      i = parent;
    }
    ts[i] = t;
    seqs[i] = seq;
    evs[i] = ev;
  }

  pop(): SimEvent | undefined {
    if (this.n === 0) return undefined;
    const ts = this.ts;
    const seqs = this.seqs;
    const evs = this.evs;
    const top = evs[0];
    const n = --this.n;
    if (n === 0) {
      evs[0] = undefined;
      return top;
    }
    const t = ts[n]!;
    const seq = seqs[n]!;
    const last = evs[n];
    evs[n] = undefined;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = ts[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = ts[r]!;
        if (rt < ct || (rt === ct && seqs[r]! < seqs[c]!)) {
          c = r;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && seq < seqs[c]!)) break;
      ts[i] = ct;
      seqs[i] = seqs[c]!;
      evs[i] = evs[c];
      i = c;
    }
    ts[i] = t;
    seqs[i] = seq;
    evs[i] = last;
    return top;
  }
}

const SLOTS = 1 << 15;
const MASK = SLOTS - 1;
const WORDS = SLOTS >>> 5;

/** The scheduler's queue: a timing wheel for near events plus a heap for far ones (see the module comment). */
export class TimeWheel {
  private readonly slots: (SimEvent | null)[][] = Array.from({ length: SLOTS }, () => []);
  /** Events in each slot (slot arrays never shrink: no reallocation on the hot path). */
  private readonly lens = new Int32Array(SLOTS);
  private readonly bits = new Uint32Array(WORDS);
  private readonly far = new EventQueue();
  /** The current tick: no pending event is earlier. */
  private cur = 0;
  /** Read position in the current tick's slot. */
  private pos = 0;
  private near = 0;

  get size(): number {
    return this.near + this.far.size;
  }

  /** The current tick (never after the simulation's `now`). */
  get tick(): number {
    return this.cur;
  }

  /** Schedule `ev` (its `tick` ≥ the current tick; `t` and `seq` set). */
  push(ev: SimEvent): void {
    const k = ev.tick;
    if (k - this.cur < SLOTS) {
      const i = k & MASK;
      this.slots[i]![this.lens[i]!++] = ev;
      this.bits[i >>> 5]! |= 1 << (i & 31);
      this.near++;
    } else {
      this.far.push(ev);
    }
  }

  /** The next event if its tick is ≤ `limit`; otherwise undefined (and every pending event is after `limit`). */
  pop(limit: number): SimEvent | undefined {
    for (;;) {
      const i = this.cur & MASK;
      const len = this.lens[i]!;
      if (this.pos < len) {
        if (this.cur > limit) return undefined;
        this.near--;
        const slot = this.slots[i]!;
        const ev = slot[this.pos]!;
        slot[this.pos++] = null;
        return ev;
      }
      if (len > 0) {
        this.lens[i] = 0;
        this.bits[i >>> 5]! &= ~(1 << (i & 31));
      }
      this.pos = 0;
      let next: number;
      if (this.near > 0) next = this.nextNear();
      else if (this.far.size > 0) next = this.far.peek()!.tick;
      else return undefined;
      if (next > limit) {
        if (limit > this.cur && limit !== Infinity) this.advance(limit);
        return undefined;
      }
      this.advance(next);
    }
  }

  private advance(tick: number): void {
    this.cur = tick;
    this.pos = 0;
    const far = this.far;
    while (far.size > 0 && far.peek()!.tick - tick < SLOTS) this.push(far.pop()!);
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
