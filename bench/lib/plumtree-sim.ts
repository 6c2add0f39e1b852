/**
 * A lean discrete-event simulator for the Plumtree benchmark: N Plumtree state machines over an overlay, one
 * virtual clock, per-link one-way delays fixed per link (FIFO, like TCP), seeded randomness, crashes detected by
 * the neighbours after one link delay (a broken connection is the failure detector, HyParView §4.1).
 *
 * Why not the testkit simulator: at 10 000 nodes × 20 seeds × every scenario the benchmark handles ~10⁹ events,
 * so this one keeps no envelopes, no connection state machine and no fault model beyond crashes; the overlay is
 * handed in as adjacency lists (a static random graph, or one maintained by a membership protocol driving the
 * `peerUp`/`peerDown` hooks). The protocol code is the real `@rumor/broadcast`, unchanged.
 */
import { createPlumtree, type NodeId, type Plumtree, type PlumtreeInit } from '@rumor/broadcast';

/** Mulberry32: small, fast, seeded uniform [0, 1). */
export function mulberry32(seed: number): { next(): number } {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

interface Ev {
  t: number;
  s: number;
  fn: (() => void) | null; // timer, null when cancelled
  to: number;
  from: number;
  type: string;
  body: unknown;
  /** The link's incarnation when the message was sent (see `gracefulClose`). */
  epoch?: number;
}

/** A binary min-heap of events ordered by (time, sequence): deterministic for equal times. */
class EventHeap {
  private a: Ev[] = [];
  get size(): number {
    return this.a.length;
  }
  push(e: Ev): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p] as Ev;
      if (pe.t < e.t || (pe.t === e.t && pe.s < e.s)) break;
      a[i] = pe;
      i = p;
    }
    a[i] = e;
  }
  peek(): Ev | undefined {
    return this.a[0];
  }
  pop(): Ev | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      const le = a[l] as Ev;
      if (r < n) {
        const re = a[r] as Ev;
        if (re.t < le.t || (re.t === le.t && re.s < le.s)) c = r;
      }
      const ce = a[c] as Ev;
      if (last.t < ce.t || (last.t === ce.t && last.s < ce.s)) break;
      a[i] = ce;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** What the simulator records per broadcast message. */
export interface MessageRecord {
  origin: number;
  at: number;
  /** Payload messages (GOSSIP) accepted by the network for this id. */
  payloadMessages: number;
  delivered: number;
  maxHops: number;
  lastDeliveryAt: number;
  deliveredBy: Uint8Array;
  /** Simulated time of each node's delivery, −1 if none. */
  deliveredAt: Float64Array;
}

/** Options of a simulated network. */
export interface SimOptions {
  seed: number;
  nodes: number;
  /** One-way delay of each link, drawn once per link uniformly in [min, max) ms. */
  linkDelayMinMs: number;
  linkDelayMaxMs: number;
  plumtree: PlumtreeInit;
}

/** Per-type counts of messages the network carried. */
export interface Traffic {
  gossip: number;
  ihave: number;
  graft: number;
  prune: number;
}

/** A simulated Plumtree network. */
export class PlumtreeSim {
  readonly n: number;
  readonly ids: NodeId[];
  readonly nodes: Plumtree[];
  readonly alive: Uint8Array;
  readonly random: { next(): number };
  /** Undirected adjacency of links that are up. */
  readonly adj: Set<number>[];
  readonly records = new Map<string, MessageRecord>();
  readonly traffic: Traffic = { gossip: 0, ihave: 0, graft: 0, prune: 0 };
  now = 0;
  events = 0;
  private seq = 0;
  private heap = new EventHeap();
  private readonly index = new Map<NodeId, number>();
  private readonly delays = new Map<number, number>();
  /** Incarnation of each link (undirected key), bumped when it opens. */
  private readonly epochs = new Map<number, number>();
  /**
   * Links closed on purpose (`unlink(…, 'closed')`), by key → the incarnation closed. Messages sent before a graceful
   * close still arrive, as over TCP (the FIN follows the data): HyParView's shuffle reply is sent and its temporary
   * link closed in the same instant. A failed link loses what was in flight.
   */
  private readonly gracefulClose = new Map<number, number>();

  private linkKey(a: number, b: number): number {
    return a < b ? a * this.n + b : b * this.n + a;
  }
  private readonly opts: SimOptions;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.n = opts.nodes;
    this.random = mulberry32(opts.seed);
    this.ids = Array.from({ length: this.n }, (_, i) => `n${i}` as NodeId);
    this.ids.forEach((id, i) => this.index.set(id, i));
    this.alive = new Uint8Array(this.n).fill(1);
    this.adj = Array.from({ length: this.n }, () => new Set<number>());
    this.nodes = this.ids.map((self, i) => {
      const timers = {
        now: () => this.now,
        setTimer: (delayMs: number, fn: () => void) => {
          const e: Ev = { t: this.now + delayMs, s: this.seq++, fn: () => { if (this.alive[i]) fn(); }, to: -1, from: -1, type: '', body: null };
          this.heap.push(e);
          return () => {
            e.fn = null;
          };
        },
      };
      return createPlumtree(opts.plumtree, {
        self,
        timers,
        random: mulberry32(opts.seed * 7919 + i * 104729 + 1),
        send: (peer, type, body) => this.send(i, peer, type, body),
        deliver: (_tag, _payload, meta) => {
          const r = this.records.get(meta.id);
          if (r === undefined) return;
          if (r.deliveredBy[i]) throw new Error(`node ${i} delivered ${meta.id} twice`);
          r.deliveredBy[i] = 1;
          r.deliveredAt[i] = this.now;
          r.delivered++;
          if (meta.hops > r.maxHops) r.maxHops = meta.hops;
          r.lastDeliveryAt = this.now;
        },
      });
    });
  }

  /** The fixed one-way delay of link (a, b). */
  delay(a: number, b: number): number {
    const key = a < b ? a * this.n + b : b * this.n + a;
    let d = this.delays.get(key);
    if (d === undefined) {
      d = this.opts.linkDelayMinMs + this.random.next() * (this.opts.linkDelayMaxMs - this.opts.linkDelayMinMs);
      this.delays.set(key, d);
    }
    return d;
  }

  /** Index of a node id. */
  indexOf(id: NodeId): number | undefined {
    return this.index.get(id);
  }

  /** Sends a message of another layer (membership) over an open link; it reaches `external.message`. */
  sendOther(from: number, to: number, type: string, body: unknown): 'accepted' | 'closed' {
    if (!this.adj[from]?.has(to)) return 'closed';
    this.heap.push({ t: this.now + this.delay(from, to), s: this.seq++, fn: null, to, from, type: OTHER, body: [type, body], epoch: this.epochs.get(this.linkKey(from, to)) ?? 0 });
    return 'accepted';
  }

  private send(from: number, peer: NodeId, type: string, body: unknown): 'accepted' | 'closed' {
    const to = this.index.get(peer);
    if (to === undefined || !this.adj[from]?.has(to)) return 'closed';
    if (this.external !== undefined && !this.external.canSend(from, to)) return 'closed';
    this.traffic[type as keyof Traffic]++;
    if (type === 'gossip') {
      const id = (body as { id: string }).id;
      let r = this.records.get(id);
      if (r === undefined && this.pendingRecord !== undefined) {
        // First send of the message being broadcast right now: its id is only returned after this call.
        r = this.pendingRecord;
        this.records.set(id, r);
      }
      if (r !== undefined) r.payloadMessages++;
    }
    this.heap.push({ t: this.now + this.delay(from, to), s: this.seq++, fn: null, to, from, type, body, epoch: this.epochs.get(this.linkKey(from, to)) ?? 0 });
    return 'accepted';
  }

  /** Opens link (a, b) and tells both ends (membership's peer up). */
  link(a: number, b: number): void {
    if (a === b || this.adj[a]?.has(b)) return;
    const key = this.linkKey(a, b);
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
    this.adj[a]?.add(b);
    this.adj[b]?.add(a);
    if (this.external !== undefined) {
      this.external.up(a, b);
      this.external.up(b, a);
      return;
    }
    this.nodes[a]?.onPeerUp(this.ids[b] as NodeId);
    this.nodes[b]?.onPeerUp(this.ids[a] as NodeId);
  }

  /**
   * When set, links are carrier connections driven by a membership protocol: opening and closing them reports to
   * these hooks instead of straight to Plumtree, and Plumtree may send only where `canSend` allows (the active view).
   */
  external: { up(node: number, peer: number): void; down(node: number, peer: number, reason: 'closed' | 'failed'): void; canSend(node: number, peer: number): boolean; message(to: number, from: number, type: string, body: unknown): void } | undefined;

  /** Closes link (a, b); each live end learns it after `detectMs` (default: at once). */
  unlink(a: number, b: number, detectMs = 0, reason: 'closed' | 'failed' = 'failed'): void {
    if (!this.adj[a]?.has(b)) return;
    if (reason === 'closed') this.gracefulClose.set(this.linkKey(a, b), this.epochs.get(this.linkKey(a, b)) ?? 0);
    this.adj[a]?.delete(b);
    this.adj[b]?.delete(a);
    for (const [x, y] of [[a, b], [b, a]] as const) {
      if (!this.alive[x]) continue;
      const detect = () => {
        if (!this.alive[x]) return;
        if (this.external !== undefined) {
          this.external.down(x, y, reason);
          return;
        }
        this.nodes[x]?.onPeerDown(this.ids[y] as NodeId);
      };
      if (detectMs <= 0) detect();
      else this.at(detectMs, detect);
    }
  }

  /** Crashes node `i`: it stops at once; each neighbour notices after the link's one-way delay. */
  crash(i: number): void {
    if (!this.alive[i]) return;
    this.alive[i] = 0;
    this.nodes[i]?.close();
    for (const j of [...(this.adj[i] ?? [])]) this.unlink(i, j, this.delay(i, j));
  }

  /** Builds a random graph where every node has `degree` links (a few end one short), and makes sure it is connected. */
  randomOverlay(degree: number): void {
    const stubs: number[] = [];
    for (let i = 0; i < this.n; i++) for (let k = 0; k < degree; k++) stubs.push(i);
    for (let i = stubs.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.next() * (i + 1));
      [stubs[i], stubs[j]] = [stubs[j] as number, stubs[i] as number];
    }
    for (let i = 0; i + 1 < stubs.length; i += 2) this.link(stubs[i] as number, stubs[i + 1] as number);
    // Join components (rare at degree ≥ 3) so the overlay is one piece, as HyParView keeps it.
    const comp = this.components();
    for (let c = 1; c < comp.length; c++) this.link((comp[0] as number[])[0] as number, (comp[c] as number[])[0] as number);
  }

  /** Connected components of the live overlay, as lists of node indexes. */
  components(): number[][] {
    const seen = new Uint8Array(this.n);
    const out: number[][] = [];
    for (let s = 0; s < this.n; s++) {
      if (seen[s] || !this.alive[s]) continue;
      const comp = [s];
      seen[s] = 1;
      for (let k = 0; k < comp.length; k++) {
        for (const j of this.adj[comp[k] as number] ?? []) {
          if (!seen[j] && this.alive[j]) {
            seen[j] = 1;
            comp.push(j);
          }
        }
      }
      out.push(comp);
    }
    return out;
  }

  /** Runs `fn` after `delayMs` of simulated time. */
  at(delayMs: number, fn: () => void): void {
    this.heap.push({ t: this.now + delayMs, s: this.seq++, fn, to: -1, from: -1, type: '', body: null });
  }

  /** Broadcasts a small payload from node `origin` and starts recording it. */
  broadcast(origin: number, tag = 'bench'): string {
    const r: MessageRecord = { origin, at: this.now, payloadMessages: 0, delivered: 0, maxHops: 0, lastDeliveryAt: this.now, deliveredBy: new Uint8Array(this.n), deliveredAt: new Float64Array(this.n).fill(-1) };
    // Sends happen inside `broadcast`, before its id is returned: `send` registers the record on first sight.
    const node = this.nodes[origin] as Plumtree;
    this.pendingRecord = r;
    const id = node.broadcast(tag, PAYLOAD);
    this.pendingRecord = undefined;
    this.records.set(id, r);
    return id;
  }
  private pendingRecord: MessageRecord | undefined;

  /** Runs until no event is left or the clock passes `untilMs`. */
  run(untilMs = Infinity): void {
    for (;;) {
      const e = this.heap.peek();
      if (e === undefined || e.t > untilMs) break;
      this.heap.pop();
      this.now = e.t;
      this.events++;
      if (e.to < 0) {
        e.fn?.();
        continue;
      }
      if (!this.alive[e.to]) continue;
      if (!this.adj[e.to]?.has(e.from) && (e.epoch === undefined || this.gracefulClose.get(this.linkKey(e.to, e.from)) !== e.epoch)) continue; // lost with the connection
      if (e.type === OTHER) {
        const [type, body] = e.body as [string, unknown];
        this.external?.message(e.to, e.from, type, body);
        continue;
      }
      this.nodes[e.to]?.onMessage(this.ids[e.from] as NodeId, e.type, e.body);
    }
    if (untilMs !== Infinity && untilMs > this.now) this.now = untilMs;
  }

  /** Runs for `ms` more simulated time. */
  runFor(ms: number): void {
    this.run(this.now + ms);
  }

  /** Live node count. */
  liveCount(): number {
    let k = 0;
    for (let i = 0; i < this.n; i++) k += this.alive[i] as number;
    return k;
  }
}

const PAYLOAD = new Uint8Array(64);
const OTHER = '\u0000other';
