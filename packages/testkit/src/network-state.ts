/**
 * The simulated network's internal records: nodes, connection endpoints, connections and dials. Plain classes with
 * fixed shapes so the delivery hot path stays monomorphic. Internal to the testkit; the public view is `SimNode`.
 */
import type { CarrierEvents, NodeId, Timers } from './ports.js';
import type { SeededRandom } from './random.js';
import type { LinkFaults } from './faults.js';

/** Endpoint states. */
export const PENDING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** A carrier's mutable state; the `SimCarrier` object is a thin facade over it. */
export interface CarrierState {
  listener: CarrierEvents | null;
  /** The node incarnation this carrier belongs to; a crash makes it stale until a state-kept restart revives it. */
  incarnation: number;
  closed: boolean;
  /** Alive, current and open: `send` checks this one flag (kept by crash, restart and close). */
  live: boolean;
  /** The endpoint that delivered last, for replies: saves the map lookup when a handler answers its sender. */
  lastPeer: NodeId | null;
  lastEp: Endpoint | null;
}

/** One simulated process. */
export class NodeState {
  alive = true;
  incarnation = 0;
  /** Whether the last crash kept the process's objects (restart revives the same carrier). */
  keepState = false;
  /** Open endpoints by peer id: at most one connection per peer pair. */
  readonly endpoints = new Map<NodeId, Endpoint>();
  /** Dials in progress by address. */
  readonly dials = new Map<string, Dial>();
  /** The current incarnation's carrier (the `SimCarrier`, which is its own state record). */
  carrier!: CarrierState;
  timers!: Timers;
  // Local clock: local = anchorLocal + (sim - anchorSim) × rate.
  anchorSim = 0;
  anchorLocal = 0;
  rate = 1;

  constructor(
    readonly index: number,
    readonly id: NodeId,
    readonly address: string,
    readonly random: SeededRandom,
  ) {}

  localNow(simNow: number): number {
    return this.anchorLocal + (simNow - this.anchorSim) * this.rate;
  }

  /** True when events may be reported to the listener of `carrier`. */
  reachable(carrier: CarrierState): boolean {
    return this.alive && carrier === this.carrier && carrier.incarnation === this.incarnation && !carrier.closed;
  }
}

/** One side of a connection; also the sending direction `node → peer.node`. */
export class Endpoint {
  state = PENDING;
  peer!: Endpoint;
  /**
   * The send queue of this side is `sent - peer.received` (messages on the wire). The sender compares against a
   * stale snapshot of `peer.received` and reads the peer only when the queue looks full, and the receiver checks
   * `drainWanted` on itself: a delivery then touches only the receiving endpoint.
   */
  sent = 0;
  /** Messages from the peer that left the wire at this side (received or dropped), duplicates not counted. */
  received = 0;
  /** Last value of `peer.received` this side read. */
  peerReceivedSeen = 0;
  /** The peer got `backpressure` from its queue toward this side and waits for `drain`. */
  drainWanted = false;
  /** Arrival time of the last FIFO message sent from this side: later ones never arrive earlier. */
  lastArrival = 0;
  /** Messages that reached this side while its incoming direction was cut (held, as TCP would retransmit). */
  held: unknown[] | null = null;
  heldFlags: number[] | null = null;
  flushScheduled = false;
  /** Faults of the direction `node → peer.node`, cached until the fault settings change. */
  cfg: LinkFaults | null = null;
  cfgVersion = -1;
  /** The peer's id and a trace key, copied here so a delivery touches as few objects as possible. */
  peerId: NodeId = '' as NodeId;
  traceKey = 0;
  /** The carrier of the node's incarnation this endpoint belongs to (fixed: a crash closes every endpoint). */
  readonly carrier: CarrierState;

  constructor(
    readonly node: NodeState,
    readonly conn: Conn,
    readonly incarnation: number,
  ) {
    this.carrier = node.carrier;
  }
}

/** A connection between a dialer and an acceptor. */
export class Conn {
  a!: Endpoint;
  b!: Endpoint;
  /** When a cut started to affect this connection (-1: not cut); the failure detector fires after a delay. */
  cutSince = -1;

  constructor(readonly id: number, readonly dial: Dial) {}
}

/** One `connect(address)` in progress. */
export class Dial {
  cancelled = false;
  done = false;

  constructor(
    readonly from: NodeState,
    readonly fromIncarnation: number,
    readonly address: string,
    readonly startedAt: number,
  ) {}
}
