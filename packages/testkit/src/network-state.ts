/**
 * The simulated network's internal records: nodes, the cold side of connection endpoints, connections and dials.
 * Plain classes with fixed shapes. Internal to the testkit; the public view is `SimNode`. The hot state of an
 * endpoint (counters, state word, listener) lives in the `EndpointTable` (endpoint-table.ts), where a delivery
 * finds it without chasing objects; an `Endpoint` here carries what the connection lifecycle needs.
 */
import { CLOSED, STATE, STATE_MASK, REC, type EndpointTable } from './endpoint-table.js';
import type { CarrierEvents, NodeId, Timers } from './ports.js';
import type { SeededRandom } from './random.js';

export { PENDING, OPEN, CLOSED } from './endpoint-table.js';

/** Flags of a message on the wire: a duplicate copy, a reordered message, a control frame. */
export const DUP = 1;
export const REORDERED = 2;
export const CONTROL = 4;
/** Control frames: the acceptor's answer to a dial, and the orderly close that follows the last message. */
export const ACCEPT = { control: 'accept' } as const;
export const FIN = { control: 'fin' } as const;

/** A carrier's mutable state; the `SimCarrier` object is a thin facade over it. */
export interface CarrierState {
  listener: CarrierEvents | null;
  /** Alive, current and open: `send` checks this one flag (kept by crash, restart and close). */
  live: boolean;
  /** The endpoint index this carrier sent on last (a hint, validated before use): skips the map lookup. */
  sendEp: number;
  /** The node incarnation this carrier belongs to; a crash makes it stale until a state-kept restart revives it. */
  incarnation: number;
  closed: boolean;
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

/** Messages that reached an endpoint while its incoming direction was cut (held, as TCP would retransmit). */
export class Held {
  readonly messages: unknown[] = [];
  readonly flags: number[] = [];
  flushScheduled = false;
}

/**
 * One side of a connection (also the sending direction `node → peer.node`), as the cold paths see it: its hot
 * state lives in the `EndpointTable` at `index` (-1 once recycled: then it reads as closed).
 */
export class Endpoint {
  index = -1;
  peer!: Endpoint;
  held: Held | null = null;

  constructor(
    readonly table: EndpointTable,
    readonly node: NodeState,
    readonly conn: Conn,
    readonly incarnation: number,
    /** The carrier of the node's incarnation this endpoint belongs to (fixed: a crash closes every endpoint). */
    readonly carrier: CarrierState,
    /** The peer's node id. */
    readonly peerId: NodeId,
  ) {}

  get state(): number {
    return this.index < 0 ? CLOSED : this.table.rec[this.index * REC + STATE]! & STATE_MASK;
  }

  set state(s: number) {
    if (this.index < 0) throw new Error('testkit: state change of a recycled endpoint');
    const i = this.index * REC + STATE;
    const rec = this.table.rec;
    rec[i] = (rec[i]! & ~STATE_MASK) | s;
  }
}

/** A connection between a dialer and an acceptor. */
export class Conn {
  a!: Endpoint;
  b!: Endpoint;
  /** When a cut started to affect this connection (-1: not cut); the failure detector fires after a delay. */
  cutSince = -1;

  constructor(
    readonly id: number,
    readonly dial: Dial,
  ) {}
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
