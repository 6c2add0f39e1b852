/**
 * Connection lifecycle of the simulated network (docs/simulation.md, "Connections"; design §2, the carrier port):
 * dials and their outcomes, the simultaneous-dial rule, replacement of a stale connection, orderly close
 * (`disconnect`, `close`), the failure detector that reports `down(failed)` when a peer crashed or a cut outlasted
 * `failureDetectionMs`, and the teardown of a crashed node's connections.
 *
 * - `connect(address)`: the dial takes one link latency; the acceptor sees `up` on arrival and answers (an ACCEPT
 *   frame), the dialer sees `up` when the answer lands. Unknown or closed address → `connectFailed(…, 'refused')`
 *   after a round trip; crashed or unreachable target → `connectFailed(…, 'timeout')` after `connectTimeoutMs`.
 * - Simultaneous dials end as one connection: the dial of the smaller node id wins.
 * - A close sends a FIN frame after everything already accepted (FIFO), so the peer's `down(closed)` follows them.
 */
import type { EndpointTable } from './endpoint-table.js';
import type { FaultSettings } from './fault-settings.js';
import { ACCEPT, CLOSED, CONTROL, Conn, Dial, Endpoint, FIN, NodeState, OPEN, PENDING, type CarrierState } from './network-state.js';
import type { LinkDownReason, NodeId, Random } from './ports.js';
import type { Scheduler } from './scheduler.js';
import type { SimStats } from './simulation-api.js';
import type { ControlFrames, Transport } from './transport.js';

/** Tunables of the connection layer. */
export interface ConnectionsInit {
  /** Delay after which a silent connection is reported `down(failed)`. */
  failureDetectionMs: number;
  /** Delay after which a dial to a crashed or unreachable node reports `connectFailed(…, 'timeout')`. */
  connectTimeoutMs: number;
}

/** Opens, closes and fails connections. */
export class Connections implements ControlFrames {
  /** Connections with at least one side not yet closed. */
  private readonly conns = new Set<Conn>();
  private connSeq = 0;
  private readonly failureDetectionMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    init: ConnectionsInit,
    private readonly table: EndpointTable,
    private readonly sched: Scheduler,
    private readonly faults: FaultSettings,
    private readonly transport: Transport,
    /** The network's seeded stream. */
    private readonly net: Random,
    private readonly stats: SimStats,
    private readonly byAddress: ReadonlyMap<string, NodeState>,
  ) {
    this.failureDetectionMs = init.failureDetectionMs;
    this.connectTimeoutMs = init.connectTimeoutMs;
  }

  // ---- dialing ---------------------------------------------------------------------------------------------

  /** `carrier.connect(address)` of `node`. */
  connect(node: NodeState, carrier: CarrierState, address: string): void {
    if (!node.reachable(carrier)) return;
    const target = this.byAddress.get(address);
    if (target !== undefined && node.endpoints.get(target.id)?.state === OPEN) return;
    if (node.dials.has(address)) return;
    const dial = new Dial(node, node.incarnation, address, this.sched.t);
    node.dials.set(address, dial);
    if (target === undefined || target === node) {
      const rtt = 2 * this.faults.global.latency.sample(this.net);
      this.sched.call(rtt, () => this.dialFailed(dial, 'refused'));
      return;
    }
    const lat = this.faults.linkFaults(node, target).latency.sample(this.net);
    this.sched.call(lat, () => this.dialArrived(dial, target));
  }

  private timeoutDial(dial: Dial): void {
    const left = Math.max(0, dial.startedAt + this.connectTimeoutMs - this.sched.t);
    this.sched.call(left, () => this.dialFailed(dial, 'timeout'));
  }

  private dialArrived(dial: Dial, target: NodeState): void {
    const from = dial.from;
    if (dial.cancelled || dial.done || !from.alive || from.incarnation !== dial.fromIncarnation) return;
    if (!target.alive || (this.faults.cuts && this.faults.isCut(from, target))) {
      this.timeoutDial(dial);
      return;
    }
    if (target.carrier.closed) {
      this.sched.call(this.faults.linkFaults(target, from).latency.sample(this.net), () => this.dialFailed(dial, 'refused'));
      return;
    }
    const existing = target.endpoints.get(from.id);
    const crossing = target.dials.get(from.address);
    if (existing === undefined && crossing !== undefined && !crossing.cancelled) {
      // Simultaneous dials: the dial of the smaller id wins, the other side's dial is withdrawn.
      if (from.id < target.id) {
        crossing.cancelled = true;
        target.dials.delete(from.address);
      } else {
        // Superseded: the dialer waits for the crossing dial to land, or times out.
        this.timeoutDial(dial);
        return;
      }
    }
    if (existing !== undefined) this.closeEndpoint(existing, 'failed', true); // a fresh dial replaces a stale link
    const conn = new Conn(this.connSeq++, dial);
    const a = new Endpoint(this.table, from, conn, dial.fromIncarnation, from.carrier, target.id);
    const b = new Endpoint(this.table, target, conn, target.incarnation, target.carrier, from.id);
    a.peer = b;
    b.peer = a;
    this.table.pair(a, b, from.index * 31 + target.index, target.index * 31 + from.index);
    conn.a = a;
    conn.b = b;
    this.open(b);
    this.conns.add(conn);
    this.emitUp(b);
    this.transport.transmit(b.index, ACCEPT, CONTROL);
    this.checkCut(conn);
  }

  private dialFailed(dial: Dial, reason: string): void {
    if (dial.cancelled || dial.done) return;
    dial.done = true;
    const node = dial.from;
    if (node.dials.get(dial.address) === dial) node.dials.delete(dial.address);
    if (!node.alive || node.incarnation !== dial.fromIncarnation) return;
    const l = node.carrier.listener;
    if (l === null || node.carrier.closed) return;
    this.stats.connectFailed++;
    l.connectFailed(dial.address, reason);
  }

  onAccept(rep: Endpoint): void {
    const node = rep.node;
    const dial = rep.conn.dial;
    if (rep.state !== PENDING) return;
    if (!node.alive || node.incarnation !== rep.incarnation || dial.cancelled || node.carrier.closed) {
      // The dialer is gone: the acceptor's side dangles until its failure detector (or a reset) notices.
      rep.state = CLOSED;
      const peer = rep.peer;
      if (!node.alive || node.incarnation !== rep.incarnation) this.sched.call(this.failureDetectionMs, () => this.failEndpoint(peer));
      else this.transport.transmit(rep.index, FIN, CONTROL);
      this.table.recycleIfDone(rep);
      return;
    }
    const existing = node.endpoints.get(rep.peer.node.id);
    if (existing !== undefined) this.closeEndpoint(existing, 'failed', true);
    this.open(rep);
    dial.done = true;
    if (node.dials.get(dial.address) === dial) node.dials.delete(dial.address);
    this.emitUp(rep);
  }

  /** `ep` becomes its node's connection to the peer. */
  private open(ep: Endpoint): void {
    ep.state = OPEN;
    this.table.setListener(ep, ep.carrier.listener);
    ep.node.endpoints.set(ep.peerId, ep);
  }

  private emitUp(ep: Endpoint): void {
    this.stats.ups++;
    const l = ep.node.carrier.listener;
    if (l !== null) l.up(ep.peer.node.id, ep.peer.node.address);
  }

  /** `carrier.listen` replaced the listener: the open endpoints deliver to the new one. */
  listenerChanged(node: NodeState, carrier: CarrierState): void {
    for (const ep of node.endpoints.values()) if (ep.carrier === carrier) this.table.setListener(ep, carrier.listener);
  }

  // ---- closing ---------------------------------------------------------------------------------------------

  /** Close one side; report `down` to its owner if `emit` and it is still listening. */
  private closeEndpoint(ep: Endpoint, reason: LinkDownReason, emit: boolean): void {
    if (ep.state === CLOSED) return;
    const wasOpen = ep.state === OPEN;
    ep.state = CLOSED;
    this.transport.dropHeld(ep);
    const node = ep.node;
    if (node.endpoints.get(ep.peer.node.id) === ep) node.endpoints.delete(ep.peer.node.id);
    if (ep.peer.state === CLOSED) this.conns.delete(ep.conn);
    this.table.recycleIfDone(ep);
    if (!wasOpen) {
      // A dialer whose accept never landed: its dial failed.
      this.dialFailed(ep.conn.dial, 'timeout');
      return;
    }
    if (emit && node.alive && node.incarnation === ep.incarnation && !node.carrier.closed) {
      this.stats.downs++;
      const l = node.carrier.listener;
      if (l !== null) l.down(ep.peer.node.id, reason);
    }
  }

  onFin(rep: Endpoint): void {
    this.closeEndpoint(rep, 'closed', true);
  }

  onClosedArrival(rep: Endpoint): void {
    if (rep.peer.state === CLOSED) this.conns.delete(rep.conn);
  }

  /** The failure detector of one side fired: the peer is gone. */
  private failEndpoint(ep: Endpoint): void {
    this.closeEndpoint(ep, 'failed', true);
  }

  private failConn(conn: Conn): void {
    this.closeEndpoint(conn.a, 'failed', true);
    this.closeEndpoint(conn.b, 'failed', true);
    this.conns.delete(conn);
  }

  /** `carrier.disconnect(peer)` of `node`. */
  disconnect(node: NodeState, carrier: CarrierState, peer: NodeId): void {
    if (!node.reachable(carrier)) return;
    const ep = node.endpoints.get(peer);
    if (ep === undefined || ep.state !== OPEN) return;
    ep.state = CLOSED;
    node.endpoints.delete(peer);
    this.transport.dropHeld(ep);
    this.transport.transmit(ep.index, FIN, CONTROL); // after everything already accepted: FIFO
    this.table.recycleIfDone(ep);
    const inc = node.incarnation;
    this.sched.call(0, () => {
      if (!node.alive || node.incarnation !== inc || carrier.closed) return;
      this.stats.downs++;
      carrier.listener?.down(peer, 'closed');
    });
  }

  /** `carrier.close()` of `node`. */
  close(node: NodeState, carrier: CarrierState): void {
    if (carrier.closed) return;
    if (node.reachable(carrier)) {
      for (const ep of [...node.endpoints.values()]) {
        ep.state = CLOSED;
        this.transport.dropHeld(ep);
        this.transport.transmit(ep.index, FIN, CONTROL);
        this.table.recycleIfDone(ep);
      }
      node.endpoints.clear();
      this.cancelDials(node);
    }
    carrier.closed = true;
    carrier.live = false;
    carrier.listener = null;
  }

  /** `node` crashed: its side of every connection is gone; each peer notices after `detectAfterMs`. */
  crashed(node: NodeState, detectAfterMs: number): void {
    for (const ep of node.endpoints.values()) {
      ep.state = CLOSED;
      this.transport.dropHeld(ep);
      const peer = ep.peer;
      this.sched.call(detectAfterMs, () => this.failEndpoint(peer));
      this.table.recycleIfDone(ep);
    }
    node.endpoints.clear();
    this.cancelDials(node);
  }

  private cancelDials(node: NodeState): void {
    for (const dial of node.dials.values()) dial.cancelled = true;
    node.dials.clear();
  }

  // ---- cuts ------------------------------------------------------------------------------------------------

  /** The fault settings changed: re-evaluate the failure detector and held messages of every live connection. */
  faultsChanged(): void {
    for (const conn of this.conns) this.checkCut(conn);
  }

  private checkCut(conn: Conn): void {
    const cuts = this.faults.cuts;
    const ab = cuts && this.faults.isCut(conn.a.node, conn.b.node);
    const ba = cuts && this.faults.isCut(conn.b.node, conn.a.node);
    if (ab || ba) {
      if (conn.cutSince < 0) {
        const since = (conn.cutSince = this.sched.t);
        this.sched.call(this.failureDetectionMs, () => {
          if (conn.cutSince === since) this.failConn(conn);
        });
      }
    } else {
      conn.cutSince = -1;
    }
    if (!ba) this.transport.scheduleFlush(conn.a);
    if (!ab) this.transport.scheduleFlush(conn.b);
  }
}
