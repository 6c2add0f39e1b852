/**
 * The deterministic network simulator (issue "Testkit", Simulator). Virtual time advances only through events
 * kept in one (time, sequence)-ordered queue, so a run is a pure function of its seed and of what the test does:
 * same seed, same trace. One seeded stream drives the network (latency, loss, duplication, reordering); nodes and
 * users get their own forks so that adding a draw in one place never shifts another.
 *
 * Network model (what a test may rely on):
 * - Connections are FIFO per direction, like TCP/WebSocket. Reordering, loss and duplication are explicit faults.
 * - `connect(address)`: the dial takes one link latency; the acceptor sees `up` on arrival, the dialer one return
 *   latency later. Unknown or closed address → `connectFailed(…, 'refused')` after a round trip; crashed or
 *   unreachable target → `connectFailed(…, 'timeout')` after `connectTimeoutMs`. Simultaneous dials end as one
 *   connection (the dial of the smaller node id wins). A fresh dial from a peer replaces a stale connection.
 * - A cut link (partition, one-way or two-way) holds the messages of the connections crossing it; if the cut
 *   heals before `failureDetectionMs` they flow on in order, otherwise both ends see `down(failed)` (the real
 *   carrier's keepalive) and the held messages are lost.
 * - A crashed node goes silent: its timers are cancelled, its peers see `down(failed)` after the detection delay,
 *   dials to it time out. `restart` revives it with its carrier (state kept) or a fresh one (state lost).
 * - The send queue of a connection direction is bounded (`sendQueueMax` messages in flight): `send` returns
 *   `backpressure` when full and `drain` fires once it is half empty.
 * - Messages are passed by reference (no copy) unless `messages` says otherwise: receivers must treat them as
 *   immutable.
 */
import { SimEvent, TICKS_PER_MS, TimeWheel } from './event-queue.js';
import { checkLinkFaults, defaultLinkFaults, type LinkFaults } from './faults.js';
import { CLOSED, Conn, Dial, Endpoint, NodeState, OPEN, PENDING, type CarrierState } from './network-state.js';
import type { Carrier, Envelope, LinkDownReason, NodeId, SendResult, Timers } from './ports.js';
import { createRandom, type SeededRandom } from './random.js';
import { SimCarrier } from './sim-carrier.js';
import type {
  CrashOptions,
  MessageMode,
  PartitionHandle,
  RunOptions,
  RunResult,
  SimNode,
  SimStats,
  Simulation,
  SimulationInit,
} from './simulation-api.js';

export type * from './simulation-api.js';

// Event kinds.
const DELIVER = 0;
const TIMER = 1;
const CALL = 2;
const DEAD = 3;
// Delivery flags.
const DUP = 1;
const REORDERED = 2;
const CONTROL = 4;
// Control payloads.
const ACCEPT = { control: 'accept' } as const;
const FIN = { control: 'fin' } as const;

interface Partition {
  side: Set<NodeState>;
  other: Set<NodeState> | null;
  oneWay: boolean;
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`testkit: ${message}`);
}

/** The public view of a node: getters on a class prototype keep `node.carrier` monomorphic on hot paths. */
class SimNodeView implements SimNode {
  readonly id: NodeId;
  readonly address: string;
  readonly timers: Timers;
  readonly random: SeededRandom;

  constructor(private readonly node: NodeState) {
    this.id = node.id;
    this.address = node.address;
    this.timers = node.timers;
    this.random = node.random;
  }

  get carrier(): Carrier {
    return this.node.carrier as unknown as Carrier;
  }

  get alive(): boolean {
    return this.node.alive;
  }

  get incarnation(): number {
    return this.node.incarnation;
  }
}

class Engine implements Simulation {
  readonly seed: number;
  readonly random: SeededRandom;
  readonly timers: Timers;
  readonly stats: SimStats = {
    events: 0, delivered: 0, dropped: 0, lost: 0, duplicated: 0, reordered: 0, held: 0, backpressure: 0,
    ups: 0, downs: 0, connectFailed: 0, timersFired: 0, bytes: 0,
  };

  private t = 0;
  private seq = 0;
  private readonly queue = new TimeWheel();
  private readonly pool: SimEvent[] = [];
  private readonly net: SeededRandom;
  private readonly byId = new Map<string, NodeState>();
  private readonly byAddress = new Map<string, NodeState>();
  private readonly facades = new Map<NodeState, SimNode>();
  private readonly order: NodeState[] = [];
  private readonly conns = new Set<Conn>();
  private connSeq = 0;
  private global: LinkFaults;
  private readonly overrides = new Map<NodeState, Map<NodeState, Partial<LinkFaults>>>();
  private cfgVersion = 0;
  private partitions: Partition[] = [];
  /** True when any cut (partition or blocked link) exists: the delivery path checks cuts only then. */
  private cuts = false;
  private readonly failureDetectionMs: number;
  private readonly connectTimeoutMs: number;
  private readonly sendQueueMax: number;
  private readonly drainAt: number;
  private readonly codec: ((m: unknown) => unknown) | null;
  private hash = 0x811c9dc5;
  private readonly traceMax: number;
  private traceLog: string[] = [];

  constructor(init: SimulationInit) {
    this.seed = init.seed;
    this.random = createRandom(init.seed);
    this.net = this.random.fork('network');
    this.global = { ...defaultLinkFaults(), ...(init.latency ? { latency: init.latency } : {}), ...init.faults };
    checkLinkFaults(this.global);
    this.failureDetectionMs = init.failureDetectionMs ?? 5000;
    this.connectTimeoutMs = init.connectTimeoutMs ?? 5000;
    this.sendQueueMax = init.sendQueueMax ?? 1024;
    assert(this.sendQueueMax >= 1, 'sendQueueMax must be ≥ 1');
    this.drainAt = Math.floor(this.sendQueueMax / 2);
    this.codec = this.makeCodec(init.messages ?? 'reference');
    this.traceMax = init.trace === true ? 10_000 : typeof init.trace === 'number' ? init.trace : 0;
    this.timers = {
      now: () => this.t,
      setTimer: (delayMs, fn) => this.setTimer(null, delayMs, fn),
    };
  }

  private makeCodec(mode: MessageMode): ((m: unknown) => unknown) | null {
    if (mode === 'reference') return null;
    if (mode === 'clone') return (m) => structuredClone(m);
    if (mode === 'json') {
      return (m) => {
        const s = JSON.stringify(m);
        this.stats.bytes += s.length;
        return JSON.parse(s);
      };
    }
    return (m) => {
      const bytes = mode.encode(m);
      this.stats.bytes += bytes.length;
      return mode.decode(bytes);
    };
  }

  // ---- time and events -------------------------------------------------------------------------------------

  now(): number {
    return this.t;
  }

  fork(label: string): SeededRandom {
    return this.random.fork(label);
  }

  pending(): number {
    return this.queue.size;
  }

  /** Quantize a time to the tick grid, never before the current tick. */
  private at(ev: SimEvent, t: number): void {
    let tick = Math.round(t * TICKS_PER_MS);
    const cur = this.queue.tick;
    if (tick < cur) tick = cur;
    ev.tick = tick;
    ev.t = tick / TICKS_PER_MS;
  }

  private event(t: number, kind: number, target: unknown, payload: unknown, flags: number): SimEvent {
    const ev = this.pool.pop() ?? new SimEvent();
    this.at(ev, t);
    ev.seq = this.seq++;
    ev.kind = kind;
    ev.target = target;
    ev.payload = payload;
    ev.flags = flags;
    this.queue.push(ev);
    return ev;
  }

  /** Schedule a rare internal action (handshakes, detection): a closure is fine off the hot path. */
  private call(delayMs: number, fn: () => void): void {
    this.event(this.t + delayMs, CALL, fn, null, 0);
  }

  private setTimer(node: NodeState | null, delayMs: number, fn: () => void): () => void {
    assert(typeof fn === 'function', 'setTimer needs a function');
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const sim = node === null ? d : d / node.rate;
    // Timer events are not pooled: the cancel closure keeps a reference.
    const ev = new SimEvent();
    this.at(ev, this.t + sim);
    ev.seq = this.seq++;
    ev.kind = TIMER;
    ev.target = fn;
    ev.payload = node;
    ev.aux = node === null ? 0 : node.incarnation;
    this.queue.push(ev);
    return () => {
      if (ev.kind === TIMER) ev.kind = DEAD;
    };
  }

  run(opts: RunOptions = {}): RunResult {
    const timed = opts.untilMs !== undefined || opts.forMs !== undefined;
    const until = opts.untilMs ?? (opts.forMs !== undefined ? this.t + opts.forMs : Infinity);
    assert(until >= this.t, `run until ${until} is in the past (now ${this.t})`);
    const maxEvents = opts.maxEvents ?? (timed ? Infinity : 10_000_000);
    const untilIdle = opts.untilIdle ?? !timed;
    const startEvents = this.stats.events;
    const startDelivered = this.stats.delivered;
    let reason: RunResult['reason'] = 'idle';
    const q = this.queue;
    const limit = until === Infinity ? Infinity : Math.floor(until * TICKS_PER_MS + 1e-6);
    for (;;) {
      if (this.stats.events - startEvents >= maxEvents && q.size > 0) {
        reason = 'maxEvents';
        break;
      }
      const next = q.pop(limit);
      if (next === undefined) {
        reason = q.size === 0 && (untilIdle || !timed) ? 'idle' : 'until';
        break;
      }
      this.process(next);
    }
    if (reason === 'until' || (reason === 'idle' && timed && !untilIdle)) this.t = until;
    return {
      reason,
      events: this.stats.events - startEvents,
      delivered: this.stats.delivered - startDelivered,
      nowMs: this.t,
    };
  }

  step(): boolean {
    const ev = this.queue.pop(Infinity);
    if (ev === undefined) return false;
    this.process(ev);
    return true;
  }

  private process(ev: SimEvent): void {
    const kind = ev.kind;
    if (kind === DEAD) return;
    this.t = ev.t;
    this.stats.events++;
    if (kind === DELIVER) {
      const rep = ev.target as Endpoint;
      this.mix(rep.traceKey + (ev.flags << 24));
      this.mix((ev.t * 1000) | 0);
      if (this.traceMax > 0) this.log(ev);
      this.deliver(rep, ev.payload, ev.flags);
      ev.target = null;
      ev.payload = null;
      this.pool.push(ev);
    } else if (kind === TIMER) {
      const node = ev.payload as NodeState | null;
      this.mix(0x7100 + (node === null ? 0xffff : node.index));
      this.mix((ev.t * 1000) | 0);
      if (this.traceMax > 0) this.log(ev);
      if (node !== null && (!node.alive || node.incarnation !== ev.aux)) return;
      this.stats.timersFired++;
      (ev.target as () => void)();
    } else {
      this.mix(0xca11);
      this.mix((ev.t * 1000) | 0);
      (ev.target as () => void)();
      ev.target = null;
      this.pool.push(ev);
    }
  }

  private mix(x: number): void {
    this.hash = Math.imul(this.hash ^ x, 0x01000193);
    this.hash ^= this.hash >>> 15;
  }

  traceHash(): string {
    return `${(this.hash >>> 0).toString(16).padStart(8, '0')}:${this.stats.events}`;
  }

  private log(ev: SimEvent): void {
    let line: string;
    if (ev.kind === DELIVER) {
      const rep = ev.target as Endpoint;
      const m = ev.payload as { type?: unknown; control?: unknown };
      const what = (ev.flags & CONTROL) !== 0 ? String(m.control) : String(m?.type ?? '?');
      line = `${ev.t.toFixed(3)} deliver ${rep.peer.node.id}→${rep.node.id} ${what}${ev.flags & DUP ? ' (dup)' : ''}`;
    } else {
      const node = ev.payload as NodeState | null;
      line = `${ev.t.toFixed(3)} timer ${node === null ? 'global' : node.id}`;
    }
    this.traceLog.push(line);
    if (this.traceLog.length > this.traceMax * 2) this.traceLog = this.traceLog.slice(-this.traceMax);
  }

  trace(): string[] {
    return this.traceLog.slice(-this.traceMax);
  }

  // ---- nodes -----------------------------------------------------------------------------------------------

  addNode(id: string, opts: { address?: string } = {}): SimNode {
    assert(typeof id === 'string' && id.length > 0, 'node id must be a non-empty string');
    assert(!this.byId.has(id), `node ${id} already exists`);
    const address = opts.address ?? `sim://${id}`;
    assert(!this.byAddress.has(address), `address ${address} is taken`);
    const node = new NodeState(this.order.length, id as NodeId, address, this.random.fork(`node:${id}`));
    node.timers = {
      now: () => node.localNow(this.t),
      setTimer: (delayMs, fn) => this.setTimer(node, delayMs, fn),
    };
    this.newCarrier(node);
    this.byId.set(id, node);
    this.byAddress.set(address, node);
    this.order.push(node);
    const facade = new SimNodeView(node);
    this.facades.set(node, facade);
    return facade;
  }

  private newCarrier(node: NodeState): void {
    node.carrier = new SimCarrier(this, node);
  }

  private state(id: string): NodeState {
    const n = this.byId.get(id);
    assert(n !== undefined, `unknown node ${id}`);
    return n;
  }

  node(id: string): SimNode {
    return this.facades.get(this.state(id))!;
  }

  nodes(): SimNode[] {
    return this.order.map((n) => this.facades.get(n)!);
  }

  crash(id: string, opts: CrashOptions = {}): void {
    const node = this.state(id);
    if (!node.alive) return;
    node.alive = false;
    node.incarnation++;
    node.carrier.live = false;
    node.keepState = opts.keepState ?? false;
    const detect = opts.detectAfterMs ?? this.failureDetectionMs;
    for (const ep of node.endpoints.values()) {
      ep.state = CLOSED;
      this.dropHeld(ep);
      const peer = ep.peer;
      this.call(detect, () => this.failEndpoint(peer));
    }
    node.endpoints.clear();
    for (const dial of node.dials.values()) dial.cancelled = true;
    node.dials.clear();
  }

  restart(id: string): SimNode {
    const node = this.state(id);
    assert(!node.alive, `restart of ${id}, which is alive`);
    node.alive = true;
    if (node.keepState) {
      node.carrier.incarnation = node.incarnation;
      node.carrier.live = !node.carrier.closed;
    } else {
      this.newCarrier(node);
    }
    return this.facades.get(node)!;
  }

  setClockDrift(id: string, ppm: number): void {
    const node = this.state(id);
    assert(Number.isFinite(ppm) && ppm > -1e6, `drift must be > -1e6 ppm, got ${ppm}`);
    node.anchorLocal = node.localNow(this.t);
    node.anchorSim = this.t;
    node.rate = 1 + ppm / 1e6;
  }

  stepClock(id: string, deltaMs: number): void {
    assert(Number.isFinite(deltaMs), 'clock step must be finite');
    this.state(id).anchorLocal += deltaMs;
  }

  // ---- faults ----------------------------------------------------------------------------------------------

  setFaults(faults: Partial<LinkFaults>): void {
    checkLinkFaults(faults);
    this.global = { ...this.global, ...faults };
    this.faultsChanged();
  }

  setLink(from: string, to: string, faults: Partial<LinkFaults>, opts: { both?: boolean } = {}): void {
    checkLinkFaults(faults);
    const a = this.state(from);
    const b = this.state(to);
    const put = (x: NodeState, y: NodeState) => {
      let m = this.overrides.get(x);
      if (!m) this.overrides.set(x, (m = new Map()));
      m.set(y, { ...m.get(y), ...faults });
    };
    put(a, b);
    if (opts.both) put(b, a);
    this.faultsChanged();
  }

  clearLink(from: string, to: string, opts: { both?: boolean } = {}): void {
    const a = this.state(from);
    const b = this.state(to);
    this.overrides.get(a)?.delete(b);
    if (opts.both) this.overrides.get(b)?.delete(a);
    this.faultsChanged();
  }

  resetFaults(): void {
    const latency = this.global.latency;
    this.global = { ...defaultLinkFaults(), latency };
    this.overrides.clear();
    this.faultsChanged();
  }

  partition(side: string[], other?: string[], opts: { oneWay?: boolean } = {}): PartitionHandle {
    const p: Partition = {
      side: new Set(side.map((id) => this.state(id))),
      other: other ? new Set(other.map((id) => this.state(id))) : null,
      oneWay: opts.oneWay ?? false,
    };
    this.partitions.push(p);
    this.faultsChanged();
    return {
      heal: () => {
        const i = this.partitions.indexOf(p);
        if (i >= 0) {
          this.partitions.splice(i, 1);
          this.faultsChanged();
        }
      },
    };
  }

  heal(): void {
    this.partitions = [];
    if (this.global.blocked) this.global = { ...this.global, blocked: false };
    for (const m of this.overrides.values()) for (const o of m.values()) delete o.blocked;
    this.faultsChanged();
  }

  private linkFaults(from: NodeState, to: NodeState): LinkFaults {
    const o = this.overrides.get(from)?.get(to);
    return o === undefined ? this.global : { ...this.global, ...o };
  }

  private faultsOf(ep: Endpoint): LinkFaults {
    if (ep.cfgVersion !== this.cfgVersion) {
      ep.cfg = this.linkFaults(ep.node, ep.peer.node);
      ep.cfgVersion = this.cfgVersion;
    }
    return ep.cfg!;
  }

  private isCut(from: NodeState, to: NodeState): boolean {
    if (this.linkFaults(from, to).blocked) return true;
    for (const p of this.partitions) {
      if (p.side.has(from) && (p.other === null ? !p.side.has(to) : p.other.has(to))) return true;
      if (!p.oneWay && p.side.has(to) && (p.other === null ? !p.side.has(from) : p.other.has(from))) return true;
    }
    return false;
  }

  private faultsChanged(): void {
    this.cfgVersion++;
    let anyBlocked = this.global.blocked;
    for (const m of this.overrides.values()) for (const o of m.values()) if (o.blocked) anyBlocked = true;
    this.cuts = anyBlocked || this.partitions.length > 0;
    // Re-evaluate the failure detector and held messages of every live connection.
    for (const conn of this.conns) this.checkCut(conn);
  }

  private checkCut(conn: Conn): void {
    const ab = this.cuts && this.isCut(conn.a.node, conn.b.node);
    const ba = this.cuts && this.isCut(conn.b.node, conn.a.node);
    if (ab || ba) {
      if (conn.cutSince < 0) {
        const since = (conn.cutSince = this.t);
        this.call(this.failureDetectionMs, () => {
          if (conn.cutSince === since) this.failConn(conn);
        });
      }
    } else {
      conn.cutSince = -1;
    }
    if (!ba) this.scheduleFlush(conn.a);
    if (!ab) this.scheduleFlush(conn.b);
  }

  // ---- connections -----------------------------------------------------------------------------------------

  connect(node: NodeState, carrier: CarrierState, address: string): void {
    if (!node.reachable(carrier)) return;
    const target = this.byAddress.get(address);
    if (target !== undefined && node.endpoints.get(target.id)?.state === OPEN) return;
    if (node.dials.has(address)) return;
    const dial = new Dial(node, node.incarnation, address, this.t);
    node.dials.set(address, dial);
    if (target === undefined || target === node) {
      const rtt = 2 * this.global.latency.sample(this.net);
      this.call(rtt, () => this.dialFailed(dial, 'refused'));
      return;
    }
    const lat = this.linkFaults(node, target).latency.sample(this.net);
    this.call(lat, () => this.dialArrived(dial, target));
  }

  private dialArrived(dial: Dial, target: NodeState): void {
    const from = dial.from;
    if (dial.cancelled || dial.done || !from.alive || from.incarnation !== dial.fromIncarnation) return;
    if (!target.alive || (this.cuts && this.isCut(from, target))) {
      this.call(Math.max(0, dial.startedAt + this.connectTimeoutMs - this.t), () => this.dialFailed(dial, 'timeout'));
      return;
    }
    if (target.carrier.closed) {
      this.call(this.linkFaults(target, from).latency.sample(this.net), () => this.dialFailed(dial, 'refused'));
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
        this.call(Math.max(0, dial.startedAt + this.connectTimeoutMs - this.t), () => this.dialFailed(dial, 'timeout'));
        return;
      }
    }
    if (existing !== undefined) this.closeEndpoint(existing, 'failed', true); // a fresh dial replaces a stale link
    const conn = new Conn(this.connSeq++, dial);
    const a = new Endpoint(from, conn, dial.fromIncarnation);
    const b = new Endpoint(target, conn, target.incarnation);
    a.peer = b;
    b.peer = a;
    a.peerId = target.id;
    b.peerId = from.id;
    a.traceKey = from.index * 31 + target.index;
    b.traceKey = target.index * 31 + from.index;
    conn.a = a;
    conn.b = b;
    b.state = OPEN;
    target.endpoints.set(from.id, b);
    this.conns.add(conn);
    this.emitUp(b);
    this.transmit(b, ACCEPT, CONTROL);
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

  private emitUp(ep: Endpoint): void {
    this.stats.ups++;
    const l = ep.node.carrier.listener;
    if (l !== null) l.up(ep.peer.node.id, ep.peer.node.address);
  }

  /** Close one side; report `down` to its owner if `emit` and it is still listening. */
  private closeEndpoint(ep: Endpoint, reason: LinkDownReason, emit: boolean): void {
    if (ep.state === CLOSED) return;
    const wasOpen = ep.state === OPEN;
    ep.state = CLOSED;
    this.dropHeld(ep);
    const node = ep.node;
    if (node.endpoints.get(ep.peer.node.id) === ep) node.endpoints.delete(ep.peer.node.id);
    if (ep.peer.state === CLOSED) this.conns.delete(ep.conn);
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

  /** The failure detector of one side fired: the peer is gone. */
  private failEndpoint(ep: Endpoint): void {
    this.closeEndpoint(ep, 'failed', true);
  }

  private failConn(conn: Conn): void {
    this.closeEndpoint(conn.a, 'failed', true);
    this.closeEndpoint(conn.b, 'failed', true);
    this.conns.delete(conn);
  }

  disconnect(node: NodeState, carrier: CarrierState, peer: NodeId): void {
    if (!node.reachable(carrier)) return;
    const ep = node.endpoints.get(peer);
    if (ep === undefined || ep.state !== OPEN) return;
    ep.state = CLOSED;
    node.endpoints.delete(peer);
    this.dropHeld(ep);
    this.transmit(ep, FIN, CONTROL); // after everything already accepted: FIFO
    const inc = node.incarnation;
    this.call(0, () => {
      if (!node.alive || node.incarnation !== inc || carrier.closed) return;
      this.stats.downs++;
      carrier.listener?.down(peer, 'closed');
    });
  }

  close(node: NodeState, carrier: CarrierState): void {
    if (carrier.closed) return;
    if (node.reachable(carrier)) {
      for (const ep of [...node.endpoints.values()]) {
        ep.state = CLOSED;
        this.dropHeld(ep);
        this.transmit(ep, FIN, CONTROL);
      }
      node.endpoints.clear();
      for (const dial of node.dials.values()) dial.cancelled = true;
      node.dials.clear();
    }
    carrier.closed = true;
    carrier.live = false;
    carrier.listener = null;
  }

  send(node: NodeState, carrier: CarrierState, peer: NodeId, envelope: Envelope): SendResult {
    if (!carrier.live) return 'closed';
    // An open cached endpoint is the current one: replacing a connection closes the old endpoint first.
    let ep = carrier.lastPeer === peer ? carrier.lastEp : null;
    if (ep === null || ep.state !== OPEN) {
      ep = node.endpoints.get(peer) ?? null;
      if (ep === null || ep.state !== OPEN) return 'closed';
    }
    if (ep.sent - ep.peerReceivedSeen >= this.sendQueueMax) {
      ep.peerReceivedSeen = ep.peer.received;
      if (ep.sent - ep.peerReceivedSeen >= this.sendQueueMax) {
        ep.peer.drainWanted = true;
        this.stats.backpressure++;
        return 'backpressure';
      }
    }
    this.transmit(ep, envelope, 0);
    return 'accepted';
  }

  /** Put one message (or control frame) on the wire from `ep` to its peer. The hot path. */
  private transmit(ep: Endpoint, message: unknown, flags: number): void {
    const cfg = ep.cfgVersion === this.cfgVersion ? ep.cfg! : this.faultsOf(ep);
    const r = this.net;
    const data = (flags & CONTROL) === 0;
    let msg = message;
    if (data && this.codec !== null) msg = this.codec(msg);
    if (data && cfg.loss > 0 && r.next() < cfg.loss) {
      this.stats.dropped++;
      this.stats.lost++;
      return;
    }
    let t = this.t + cfg.latency.sample(r);
    if (data && cfg.reorder > 0 && r.next() < cfg.reorder) {
      t += r.next() * cfg.reorderDelayMs;
      flags |= REORDERED;
      this.stats.reordered++;
    } else if (t < ep.lastArrival) {
      t = ep.lastArrival;
    } else {
      ep.lastArrival = t;
    }
    ep.sent++;
    this.event(t, DELIVER, ep.peer, msg, flags);
    if (data && cfg.duplicate > 0 && r.next() < cfg.duplicate) {
      this.stats.duplicated++;
      this.event(t, DELIVER, ep.peer, this.codec === null ? msg : this.codec(message), flags | DUP);
    }
  }

  /** A message reached `rep`'s side of the wire. */
  private deliver(rep: Endpoint, msg: unknown, flags: number): void {
    if (rep.state === CLOSED) {
      this.arrived(rep, flags);
      if ((flags & CONTROL) === 0) this.stats.dropped++;
      if (rep.peer.state === CLOSED) this.conns.delete(rep.conn);
      return;
    }
    if (rep.held !== null || (this.cuts && this.isCut(rep.peer.node, rep.node))) {
      if (rep.held === null) {
        rep.held = [];
        rep.heldFlags = [];
      }
      rep.held.push(msg);
      rep.heldFlags!.push(flags);
      this.stats.held++;
      return;
    }
    this.receive(rep, msg, flags);
  }

  /** Bookkeeping of the sender's queue when one of its messages left the wire. */
  private arrived(rep: Endpoint, flags: number): void {
    if ((flags & DUP) !== 0) return;
    rep.received++;
    if (rep.drainWanted && rep.peer.sent - rep.received <= this.drainAt) {
      rep.drainWanted = false;
      const sender = rep.peer;
      const inc = sender.node.incarnation;
      this.call(0, () => {
        const n = sender.node;
        if (sender.state !== OPEN || !n.alive || n.incarnation !== inc || n.carrier.closed) return;
        n.carrier.listener?.drain(sender.peer.node.id);
      });
    }
  }

  private receive(rep: Endpoint, msg: unknown, flags: number): void {
    this.arrived(rep, flags);
    if ((flags & CONTROL) !== 0) {
      if (msg === ACCEPT) this.onAccept(rep);
      else if (msg === FIN) this.closeEndpoint(rep, 'closed', true);
      return;
    }
    if (rep.state !== OPEN) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    const carrier = rep.carrier;
    carrier.lastPeer = rep.peerId;
    carrier.lastEp = rep;
    const l = carrier.listener;
    if (l !== null) l.message(rep.peerId, msg as Envelope);
  }

  private onAccept(rep: Endpoint): void {
    const node = rep.node;
    const dial = rep.conn.dial;
    if (rep.state !== PENDING) return;
    if (!node.alive || node.incarnation !== rep.incarnation || dial.cancelled || node.carrier.closed) {
      // The dialer is gone: the acceptor's side dangles until its failure detector (or a reset) notices.
      rep.state = CLOSED;
      const peer = rep.peer;
      if (!node.alive || node.incarnation !== rep.incarnation) this.call(this.failureDetectionMs, () => this.failEndpoint(peer));
      else this.transmit(rep, FIN, CONTROL);
      return;
    }
    const existing = node.endpoints.get(rep.peer.node.id);
    if (existing !== undefined) this.closeEndpoint(existing, 'failed', true);
    rep.state = OPEN;
    node.endpoints.set(rep.peer.node.id, rep);
    dial.done = true;
    if (node.dials.get(dial.address) === dial) node.dials.delete(dial.address);
    this.emitUp(rep);
  }

  private scheduleFlush(rep: Endpoint): void {
    if (rep.held === null || rep.flushScheduled || rep.state === CLOSED) return;
    rep.flushScheduled = true;
    const lat = this.faultsOf(rep.peer).latency.sample(this.net);
    this.call(lat, () => {
      rep.flushScheduled = false;
      if (rep.held === null || rep.state === CLOSED) return;
      if (this.cuts && this.isCut(rep.peer.node, rep.node)) return; // cut again: keep holding
      const held = rep.held;
      const flags = rep.heldFlags!;
      rep.held = null;
      rep.heldFlags = null;
      for (let i = 0; i < held.length; i++) {
        if (rep.state === CLOSED) {
          this.arrived(rep, flags[i]!);
          this.stats.dropped++;
        } else {
          this.receive(rep, held[i], flags[i]!);
        }
      }
    });
  }

  private dropHeld(ep: Endpoint): void {
    if (ep.held === null) return;
    this.stats.dropped += ep.held.length;
    for (const f of ep.heldFlags!) this.arrived(ep, f);
    ep.held = null;
    ep.heldFlags = null;
  }
}

/** A new deterministic simulation driven by `init.seed`. */
export function createSimulation(init: SimulationInit): Simulation {
  return new Engine(init);
}
