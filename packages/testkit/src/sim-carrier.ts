/**
 * The simulated carrier: the `Carrier` port (design §2) over the simulated network. Connection-oriented like the
 * WebSocket carrier — `up` on both ends, FIFO per connection, `down(closed)` after an orderly close,
 * `down(failed)` after the failure-detector delay when the peer crashes or the link is cut, bounded send queue
 * with `backpressure` / `drain`. Messages are passed by reference: receivers must treat them as immutable.
 */
import type { Connections } from './connections.js';
import type { CarrierState, NodeState } from './network-state.js';
import type { Carrier, CarrierEvents, Envelope, NodeId, SendResult } from './ports.js';
import type { Transport } from './transport.js';

/** One incarnation of a node's carrier. After a crash it is silent until a state-kept restart revives it. */
// The carrier object is its own state record (one object fewer on the hot path); fields `send` reads come first.
export class SimCarrier implements Carrier, CarrierState {
  live = true;
  sendEp = -1;
  listener: CarrierEvents | null = null;
  readonly self: NodeId;
  readonly address: string;
  incarnation: number;
  closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly connections: Connections,
    private readonly node: NodeState,
  ) {
    this.self = node.id;
    this.address = node.address;
    this.incarnation = node.incarnation;
  }

  connect(address: string): void {
    this.connections.connect(this.node, this, address);
  }

  disconnect(peer: NodeId): void {
    this.connections.disconnect(this.node, this, peer);
  }

  send(peer: NodeId, envelope: Envelope): SendResult {
    return this.transport.send(this.node, this, peer, envelope);
  }

  listen(events: CarrierEvents): void {
    this.listener = events;
    this.connections.listenerChanged(this.node, this);
  }

  close(): Promise<void> {
    this.connections.close(this.node, this);
    return Promise.resolve();
  }
}
