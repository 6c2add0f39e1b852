/**
 * The simulated carrier: the `Carrier` port (design §2) over the simulated network. Connection-oriented like the
 * WebSocket carrier — `up` on both ends, FIFO per connection, `down(closed)` after an orderly close,
 * `down(failed)` after the failure-detector delay when the peer crashes or the link is cut, bounded send queue
 * with `backpressure` / `drain`. Messages are passed by reference: receivers must treat them as immutable.
 */
import type { Carrier, CarrierEvents, Envelope, NodeId, SendResult } from './ports.js';
import type { CarrierState, Endpoint, NodeState } from './network-state.js';

/** What the carrier needs from the simulation engine. */
export interface CarrierEngine {
  connect(node: NodeState, carrier: CarrierState, address: string): void;
  disconnect(node: NodeState, carrier: CarrierState, peer: NodeId): void;
  send(node: NodeState, carrier: CarrierState, peer: NodeId, envelope: Envelope): SendResult;
  close(node: NodeState, carrier: CarrierState): void;
}

/** One incarnation of a node's carrier. After a crash it is silent until a state-kept restart revives it. */
// The carrier object is its own state record (one object fewer on the delivery hot path).
export class SimCarrier implements Carrier, CarrierState {
  readonly self: NodeId;
  readonly address: string;
  listener: CarrierEvents | null = null;
  incarnation: number;
  closed = false;
  live = true;
  lastPeer: NodeId | null = null;
  lastEp: Endpoint | null = null;

  constructor(
    private readonly engine: CarrierEngine,
    private readonly node: NodeState,
  ) {
    this.self = node.id;
    this.address = node.address;
    this.incarnation = node.incarnation;
  }

  connect(address: string): void {
    this.engine.connect(this.node, this, address);
  }

  disconnect(peer: NodeId): void {
    this.engine.disconnect(this.node, this, peer);
  }

  send(peer: NodeId, envelope: Envelope): SendResult {
    return this.engine.send(this.node, this, peer, envelope);
  }

  listen(events: CarrierEvents): void {
    this.listener = events;
  }

  close(): Promise<void> {
    this.engine.close(this.node, this);
    return Promise.resolve();
  }
}
