/**
 * A tiny in-test fake of HyParView's components: a manual clock with a timer queue, a seeded random, and a
 * carrier that records every connect, disconnect and send so that a test can drive one node handler by handler.
 */
import {
  createHyParView,
  type HyParView,
  type HyParViewInit,
  type NodeId,
  type PeerDownReason,
  type SendResult,
} from '@rumor/membership';

export const id = (s: string): NodeId => s as NodeId;
export const addr = (s: string): string => `sim://${s}`;

/** mulberry32: a small seeded generator, enough for tests. */
export function seededRandom(seed: number): { next(): number } {
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

export interface Sent {
  to: NodeId;
  type: string;
  body: any;
}

export interface FakeNode {
  hv: HyParView;
  self: NodeId;
  sent: Sent[];
  connects: string[];
  disconnects: NodeId[];
  ups: { peer: NodeId; address: string }[];
  downs: { peer: NodeId; reason: PeerDownReason }[];
  now(): number;
  /** Advance the clock, firing due timers in order. */
  advance(ms: number): void;
  pendingTimers(): number;
  /** Open a link as the carrier would, then hand a message over it. */
  link(peer: string): void;
  deliver(peer: string, type: string, body: unknown): void;
  /** Messages sent since the last call (and forget them). */
  take(): Sent[];
  /** What the fake carrier answers to every send. */
  sendResult: SendResult;
}

/** A node under test, with every port faked. */
export function fakeNode(name = 'me', init: HyParViewInit = {}, seed = 1, timersEarlyMs = 0): FakeNode {
  let clock = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void; seq: number }>();
  const node: Omit<FakeNode, 'hv'> & { hv?: HyParView } = {
    self: id(name),
    sent: [],
    connects: [],
    disconnects: [],
    ups: [],
    downs: [],
    sendResult: 'accepted',
    now: () => clock,
    advance(ms) {
      const until = clock + ms;
      for (let fired = 0; ; fired++) {
        if (fired > 100_000) throw new Error('timer storm: over 100 000 timers in one advance');
        let next: { at: number; fn: () => void; seq: number; key: number } | undefined;
        for (const [key, t] of timers) if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = { ...t, key };
        if (!next) break;
        timers.delete(next.key);
        clock = next.at;
        next.fn();
      }
      clock = until;
    },
    pendingTimers: () => timers.size,
    link(peer) {
      node.hv!.onLinkUp(id(peer), addr(peer));
    },
    deliver(peer, type, body) {
      node.hv!.onMessage(id(peer), type, body);
    },
    take() {
      const out = node.sent.splice(0);
      return out;
    },
  };
  node.hv = createHyParView(init, {
    self: id(name),
    address: addr(name),
    connect: (a) => node.connects.push(a),
    disconnect: (p) => node.disconnects.push(p),
    send: (to, type, body) => {
      node.sent.push({ to, type, body });
      return node.sendResult;
    },
    timers: {
      now: () => clock,
      setTimer(ms, fn) {
        const key = seq++;
        // `timersEarlyMs` fires timers a hair early, as float rounding between clocks can (never before `clock`).
        timers.set(key, { at: Math.max(clock, clock + ms - timersEarlyMs), fn, seq: key });
        return () => timers.delete(key);
      },
    },
    random: seededRandom(seed),
    events: {
      peerUp: (peer, address) => node.ups.push({ peer, address }),
      peerDown: (peer, reason) => node.downs.push({ peer, reason }),
    },
  });
  return node as FakeNode;
}

/** Link `peer` and make it active through its `neighbor` request (the node accepts it into a free slot). */
export function makeActive(n: FakeNode, ...peers: string[]): void {
  for (const p of peers) {
    n.link(p);
    n.deliver(p, 'neighbor', { priority: 'high' });
  }
  n.take();
}
