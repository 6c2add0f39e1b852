/**
 * The message path of the simulated network (docs/simulation.md, "Messages"): `send` on an open connection, the
 * link's faults applied at send time (loss, latency, duplication, reordering), delivery in FIFO order per connection
 * direction, messages held while the incoming direction is cut, and the bounded send queue (`backpressure` when
 * `sendQueueMax` messages are in flight, `drain` once half of them arrived).
 *
 * FIFO: a message's arrival tick is clamped to be no earlier than the previous FIFO message's on the same
 * connection direction; a reordered message skips the clamp. Events at one tick run in scheduling order, so equal
 * ticks keep the send order.
 *
 * This is the hot path of every simulation, written to touch little memory: endpoints are indices into the
 * `EndpointTable`; a send finds its endpoint without a map lookup when the handler answers the message it is
 * handling or the carrier sends to the same peer as last time; a delivery reads the receiving endpoint's record
 * (one state word says "open, nothing held, nobody waiting for drain") and its listener.
 */
import type { FaultSettings } from './fault-settings.js';
import type { LinkFaults } from './faults.js';
import { TICKS_PER_MS } from './event-queue.js';
import {
  CARRIER,
  CFG,
  CFG_VERSION,
  CLOSED,
  DRAIN_WANTED,
  DUPS,
  HOLDING,
  LISTENER,
  OPEN,
  PEER,
  PEER_ID,
  PINNED,
  REC,
  RECEIVED,
  REFS,
  SEEN,
  SENT,
  STATE,
  STATE_MASK,
  TRACE_KEY,
  type EndpointTable,
} from './endpoint-table.js';
import { ACCEPT, CONTROL, DUP, FIN, Held, REORDERED, type CarrierState, type Endpoint, type NodeState } from './network-state.js';
import type { CarrierEvents, Envelope, NodeId, Random, SendResult } from './ports.js';
import type { DeliverySink, Scheduler } from './scheduler.js';
import type { SimStats } from './simulation-api.js';

/** What the connection layer does with control frames that arrive. */
export interface ControlFrames {
  /** The acceptor's answer reached the dialer's endpoint `rep`. */
  onAccept(rep: Endpoint): void;
  /** The peer closed the connection after its last message; `rep` is this side. */
  onFin(rep: Endpoint): void;
  /** A message reached `rep` after this side closed (the connection may now be gone on both sides). */
  onClosedArrival(rep: Endpoint): void;
}

/** Tunables of the message path. */
export interface TransportInit {
  /** Messages in flight per connection direction before `send` answers `backpressure`. */
  sendQueueMax: number;
  /** Copies a data message (structured clone, JSON, a codec) or null to pass it by reference. */
  codec: ((message: unknown) => unknown) | null;
}

/** Sends, delivers and holds messages. */
export class Transport implements DeliverySink {
  /** Set once by the simulation when it wires its parts. */
  control!: ControlFrames;
  /** The endpoint that delivered last (a hint): a handler answering its sender skips the lookup. */
  private current = -1;
  private readonly sendQueueMax: number;
  private readonly drainAt: number;
  private readonly codec: ((message: unknown) => unknown) | null;

  constructor(
    init: TransportInit,
    private readonly table: EndpointTable,
    private readonly sched: Scheduler,
    private readonly faults: FaultSettings,
    /** The network's seeded stream. */
    private readonly net: Random,
    private readonly stats: SimStats,
  ) {
    this.sendQueueMax = init.sendQueueMax;
    this.drainAt = Math.floor(init.sendQueueMax / 2);
    this.codec = init.codec;
  }

  /** The faults of endpoint `e`'s sending direction, from its cache when the settings did not change. */
  faultsOf(e: number): LinkFaults {
    const { rec, refs } = this.table;
    const version = this.faults.version;
    if (rec[e * REC + CFG_VERSION] !== version) {
      const ep = this.table.objs[e]!;
      refs[e * REFS + CFG] = this.faults.linkFaults(ep.node, ep.peer.node);
      rec[e * REC + CFG_VERSION] = version;
    }
    return refs[e * REFS + CFG] as LinkFaults;
  }

  /** Whether endpoint hint `e` is `carrier`'s open endpoint towards `peer`. */
  private isOpenTo(e: number, carrier: CarrierState, peer: NodeId): boolean {
    if (e < 0) return false;
    const refs = this.table.refs;
    const r = e * REFS;
    return refs[r + CARRIER] === carrier && refs[r + PEER_ID] === peer && (this.table.rec[e * REC + STATE]! & STATE_MASK) === OPEN;
  }

  /** `carrier.send(peer, envelope)` of `node`. */
  send(node: NodeState, carrier: CarrierState, peer: NodeId, envelope: Envelope): SendResult {
    if (!carrier.live) return 'closed';
    // A hint that is this carrier's open endpoint to `peer` is the one the map holds: replacing a connection
    // closes the old endpoint first, and a recycled index reads closed with no carrier.
    let e = this.current;
    if (!this.isOpenTo(e, carrier, peer)) {
      e = carrier.sendEp;
      if (!this.isOpenTo(e, carrier, peer)) {
        const ep = node.endpoints.get(peer);
        if (ep === undefined || ep.state !== OPEN) return 'closed';
        e = ep.index;
        carrier.sendEp = e;
      }
    }
    const rec = this.table.rec;
    const b = e * REC;
    if (((rec[b + SENT]! - rec[b + SEEN]!) | 0) >= this.sendQueueMax) {
      const p = rec[b + PEER]! * REC;
      rec[b + SEEN] = rec[p + RECEIVED]!;
      if (((rec[b + SENT]! - rec[b + SEEN]!) | 0) >= this.sendQueueMax) {
        rec[p + STATE]! |= DRAIN_WANTED;
        this.stats.backpressure++;
        return 'backpressure';
      }
    }
    this.transmit(e, envelope, 0);
    return 'accepted';
  }

  /** Put one message (or control frame) on the wire from endpoint `e` to its peer. */
  transmit(e: number, message: unknown, flags: number): void {
    const table = this.table;
    const b = e * REC;
    const cfg = table.rec[b + CFG_VERSION] === this.faults.version ? (table.refs[e * REFS + CFG] as LinkFaults) : this.faultsOf(e);
    const r = this.net;
    const data = (flags & CONTROL) === 0;
    let msg = message;
    if (data && this.codec !== null) msg = this.codec(msg);
    if (data && cfg.loss > 0 && r.next() < cfg.loss) {
      this.stats.dropped++;
      this.stats.lost++;
      return;
    }
    const t = this.sched.t + cfg.latency.sample(r);
    let tick: number;
    if (data && cfg.reorder > 0 && r.next() < cfg.reorder) {
      tick = Math.round((t + r.next() * cfg.reorderDelayMs) * TICKS_PER_MS);
      flags |= REORDERED;
      this.stats.reordered++;
    } else {
      tick = Math.round(t * TICKS_PER_MS);
      const last = table.lastArrival[e]!;
      if (tick < last) tick = last;
      else table.lastArrival[e] = tick;
    }
    const rec = table.rec;
    rec[b + SENT]!++;
    const rep = rec[b + PEER]!;
    this.sched.deliverAt(tick, rep, msg, flags);
    if (data && cfg.duplicate > 0 && r.next() < cfg.duplicate) {
      this.stats.duplicated++;
      rec[rep * REC + DUPS]!++;
      this.sched.deliverAt(tick, rep, this.codec === null ? msg : this.codec(message), flags | DUP);
    }
  }

  traceKey(rep: number): number {
    return this.table.rec[rep * REC + TRACE_KEY]!;
  }

  describe(rep: number): string {
    const ep = this.table.objs[rep]!;
    return `${ep.peer.node.id}→${ep.node.id}`;
  }

  /** A message reached endpoint `rep`'s side of the wire. */
  deliver(rep: number, msg: unknown, flags: number): void {
    const rec = this.table.rec;
    const b = rep * REC;
    const state = rec[b + STATE]!;
    if (state === OPEN && flags === 0 && !this.faults.cuts) {
      // The common case: open, nothing held, nobody waiting for drain, a plain data message, no cut anywhere.
      rec[b + RECEIVED]!++;
      this.stats.delivered++;
      this.current = rep;
      const l = this.table.refs[rep * REFS + LISTENER] as CarrierEvents | null;
      if (l !== null) l.message(this.table.refs[rep * REFS + PEER_ID] as NodeId, msg as Envelope);
      return;
    }
    if ((flags & DUP) !== 0) rec[b + DUPS]!--;
    const ep = this.table.objs[rep]!;
    if ((state & STATE_MASK) === CLOSED) {
      this.arrived(rep, flags);
      if ((flags & CONTROL) === 0) this.stats.dropped++;
      this.control.onClosedArrival(ep);
      this.table.recycleIfDone(ep);
      return;
    }
    if ((state & HOLDING) !== 0 || (this.faults.cuts && this.faults.isCut(ep.peer.node, ep.node))) {
      let held = ep.held;
      if (held === null) {
        held = ep.held = new Held();
        rec[b + STATE]! |= HOLDING;
      }
      held.messages.push(msg);
      held.flags.push(flags);
      this.stats.held++;
      return;
    }
    this.receive(rep, msg, flags);
  }

  /** Bookkeeping of the sender's queue when one of its messages left the wire at endpoint `rep`. */
  private arrived(rep: number, flags: number): void {
    if ((flags & DUP) !== 0) return;
    const rec = this.table.rec;
    const b = rep * REC;
    const received = ++rec[b + RECEIVED]!;
    if ((rec[b + STATE]! & DRAIN_WANTED) !== 0 && ((rec[rec[b + PEER]! * REC + SENT]! - received) | 0) <= this.drainAt) {
      rec[b + STATE]! &= ~DRAIN_WANTED;
      const sender = this.table.objs[rep]!.peer;
      const inc = sender.node.incarnation;
      this.sched.call(0, () => {
        const n = sender.node;
        if (sender.state !== OPEN || !n.alive || n.incarnation !== inc || n.carrier.closed) return;
        n.carrier.listener?.drain(sender.peer.node.id);
      });
    }
  }

  private receive(rep: number, msg: unknown, flags: number): void {
    this.arrived(rep, flags);
    if ((flags & CONTROL) !== 0) {
      const ep = this.table.objs[rep]!;
      if (msg === ACCEPT) this.control.onAccept(ep);
      else if (msg === FIN) this.control.onFin(ep);
      return;
    }
    if ((this.table.rec[rep * REC + STATE]! & STATE_MASK) !== OPEN) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    this.current = rep;
    const l = this.table.refs[rep * REFS + LISTENER] as CarrierEvents | null;
    if (l !== null) l.message(this.table.refs[rep * REFS + PEER_ID] as NodeId, msg as Envelope);
  }

  /** The cut into `ep` may have healed: deliver its held messages one latency from now, unless cut again. */
  scheduleFlush(ep: Endpoint): void {
    const held = ep.held;
    if (held === null || held.flushScheduled || ep.state === CLOSED) return;
    held.flushScheduled = true;
    const lat = this.faultsOf(ep.peer.index).latency.sample(this.net);
    this.sched.call(lat, () => {
      held.flushScheduled = false;
      if (ep.held !== held || ep.state === CLOSED) return;
      if (this.faults.cuts && this.faults.isCut(ep.peer.node, ep.node)) return; // cut again: keep holding
      this.unhold(ep);
      const rep = ep.index;
      // Pinned while the listener runs: a close inside it must not recycle the index under this loop.
      this.table.rec[rep * REC + STATE]! |= PINNED;
      const { messages, flags } = held;
      for (let i = 0; i < messages.length; i++) {
        if (ep.state === CLOSED) {
          this.arrived(rep, flags[i]!);
          this.stats.dropped++;
        } else {
          this.receive(rep, messages[i], flags[i]!);
        }
      }
      this.table.rec[rep * REC + STATE]! &= ~PINNED;
      this.table.recycleIfDone(ep);
    });
  }

  private unhold(ep: Endpoint): void {
    ep.held = null;
    this.table.rec[ep.index * REC + STATE]! &= ~HOLDING;
  }

  /** `ep` closed: its held messages are lost (they still leave the sender's queue). */
  dropHeld(ep: Endpoint): void {
    const held = ep.held;
    if (held === null) return;
    this.unhold(ep);
    this.stats.dropped += held.messages.length;
    for (const f of held.flags) this.arrived(ep.index, f);
  }
}
