/**
 * The hot state of every connection endpoint, struct-of-arrays. At 10 000 nodes the simulator's working set no
 * longer fits in the CPU caches, and a delivery that chases objects spread over a 20 MB heap pays a cache (and
 * TLB) miss per object; here one endpoint is an integer index into a few dense arrays (a 32-byte integer record,
 * its last arrival tick, and four references), so the send and delivery paths stay inside about a megabyte.
 *
 * The cold side of an endpoint (its node, connection, held messages) is an `Endpoint` object (network-state.ts)
 * whose `index` points here. Indices are recycled once both sides of a connection are closed and no delivery
 * towards either is still queued or held; the `Endpoint` objects are then detached (index -1) and read as closed forever,
 * so a closure that still holds one (a failure detector, a flush) sees a closed endpoint, never a new tenant.
 */
import type { LinkFaults } from './faults.js';
import type { CarrierEvents, NodeId } from './ports.js';
import type { CarrierState, Endpoint } from './network-state.js';

/** Endpoint states (the low two bits of the `STATE` word). */
export const PENDING = 0;
export const OPEN = 1;
export const CLOSED = 2;
export const STATE_MASK = 3;
/**
 * Flag bits of the `STATE` word: the peer waits for `drain`; messages are held at this side; a loop over this
 * side's held messages is running (the record must not be recycled under it).
 */
export const DRAIN_WANTED = 4;
export const HOLDING = 8;
export const PINNED = 16;

// Integer record, `REC` words per endpoint.
/** State and flags. An open endpoint with no flag has `STATE` exactly `OPEN` (the fast path's one test). */
export const STATE = 0;
/** The peer endpoint's index. */
export const PEER = 1;
/**
 * The send queue of this side is `sent - peer.received` (messages on the wire). The sender compares against a
 * stale snapshot of `peer.received` (`SEEN`) and reads the peer only when the queue looks full, and the receiver
 * checks `DRAIN_WANTED` on itself: a delivery touches only the receiving endpoint. Differences are taken `| 0`
 * (the counters wrap at 2^32).
 */
export const SENT = 2;
/** Messages from the peer that left the wire at this side (received or dropped), duplicates not counted. */
export const RECEIVED = 3;
export const SEEN = 4;
/** The fault-settings version `CFG` was read at. */
export const CFG_VERSION = 5;
/** Folded into the trace hash for each delivery to this side. */
export const TRACE_KEY = 6;
/**
 * Duplicate copies queued towards this side. With them, nothing is queued towards a side when its `RECEIVED` equals
 * the peer's `SENT` and `DUPS` is zero — counted on records a send and a delivery touch anyway.
 */
export const DUPS = 7;
export const REC = 8;

// References, `REFS` slots per endpoint.
/** The listener of this side's carrier while the endpoint is open (kept in step by `listen`). */
export const LISTENER = 0;
/** The peer's node id (what the listener is told). */
export const PEER_ID = 1;
/** The carrier of the node incarnation this endpoint belongs to. */
export const CARRIER = 2;
/** The faults of the direction node → peer, cached. */
export const CFG = 3;
export const REFS = 4;

/** A copy of `a` in a new array of `length` slots, the rest null (a filled array stays packed: no hole checks). */
export function copyPacked<T>(a: readonly T[], length: number): (T | null)[] {
  const b = new Array<T | null>(length).fill(null);
  for (let i = 0; i < a.length; i++) b[i] = a[i]!;
  return b;
}

/** The endpoint arrays. Grows by doubling; read the arrays again after `alloc`. */
export class EndpointTable {
  rec: Int32Array;
  /** Arrival tick of the last FIFO message sent from this side: later ones never arrive earlier. */
  lastArrival: Float64Array;
  refs: (CarrierEvents | NodeId | CarrierState | LinkFaults | null)[];
  /** The cold-side object of each index (null when free). */
  objs: (Endpoint | null)[];
  private free: number[] = [];
  private used = 0;

  constructor(capacity = 256) {
    this.rec = new Int32Array(capacity * REC);
    this.lastArrival = new Float64Array(capacity);
    this.refs = new Array(capacity * REFS).fill(null);
    this.objs = new Array(capacity).fill(null);
  }

  /** Endpoints in use (for tests: recycling keeps this bounded under churn). */
  get live(): number {
    return this.used - this.free.length;
  }

  /** Give the two sides of a new connection their records (state PENDING, counters zero), linked to each other. */
  pair(a: Endpoint, b: Endpoint, traceKeyA: number, traceKeyB: number): void {
    a.index = this.alloc(a, a.carrier, a.peerId, traceKeyA);
    b.index = this.alloc(b, b.carrier, b.peerId, traceKeyB);
    this.rec[a.index * REC + PEER] = b.index;
    this.rec[b.index * REC + PEER] = a.index;
  }

  /** The listener that endpoint `ep` (open) delivers to. */
  setListener(ep: Endpoint, listener: CarrierEvents | null): void {
    this.refs[ep.index * REFS + LISTENER] = listener;
  }

  private alloc(ep: Endpoint, carrier: CarrierState, peerId: NodeId, traceKey: number): number {
    let e = this.free.pop();
    if (e === undefined) {
      if (this.used === this.lastArrival.length) this.grow();
      e = this.used++;
    }
    const b = e * REC;
    const rec = this.rec;
    for (let k = 0; k < REC; k++) rec[b + k] = 0;
    rec[b + STATE] = PENDING;
    rec[b + CFG_VERSION] = -1;
    rec[b + TRACE_KEY] = traceKey;
    this.lastArrival[e] = 0;
    const r = e * REFS;
    this.refs[r + LISTENER] = null;
    this.refs[r + PEER_ID] = peerId;
    this.refs[r + CARRIER] = carrier;
    this.refs[r + CFG] = null;
    this.objs[e] = ep;
    return e;
  }

  private grow(): void {
    const cap = this.lastArrival.length * 2;
    const rec = new Int32Array(cap * REC);
    rec.set(this.rec);
    this.rec = rec;
    const last = new Float64Array(cap);
    last.set(this.lastArrival);
    this.lastArrival = last;
    this.refs = copyPacked(this.refs, cap * REFS);
    this.objs = copyPacked(this.objs, cap);
  }

  /** Recycle both sides of `ep`'s connection if both are closed and nothing is queued towards either. */
  recycleIfDone(ep: Endpoint): void {
    const e = ep.index;
    if (e < 0) return;
    const rec = this.rec;
    const p = rec[e * REC + PEER]!;
    const be = e * REC;
    const bp = p * REC;
    const se = rec[be + STATE]!;
    const sp = rec[bp + STATE]!;
    if ((se & (STATE_MASK | PINNED)) !== CLOSED || (sp & (STATE_MASK | PINNED)) !== CLOSED) return;
    if (rec[be + SENT] !== rec[bp + RECEIVED] || rec[bp + SENT] !== rec[be + RECEIVED]) return; // messages queued or held
    if (rec[be + DUPS] !== 0 || rec[bp + DUPS] !== 0) return;
    const peer = this.objs[p]!;
    this.release(e);
    this.release(p);
    ep.index = -1;
    peer.index = -1;
  }

  private release(e: number): void {
    const r = e * REFS;
    this.refs[r + LISTENER] = null;
    this.refs[r + PEER_ID] = null;
    this.refs[r + CARRIER] = null;
    this.refs[r + CFG] = null;
    this.objs[e] = null;
    this.rec[e * REC + STATE] = CLOSED;
    this.free.push(e);
  }
}
