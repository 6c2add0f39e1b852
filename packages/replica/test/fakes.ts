/**
 * Fake ports for the driver's unit tests: a virtual clock, a seeded random source, and a tiny cluster whose
 * "membership" is an explicit link set and whose "broadcast" floods to every node reachable over up links.
 * Direct messages go through crdt-wire's envelope codec, so every body the driver sends is proven wire-encodable.
 */
import { decodeEnvelope, encodeEnvelope } from '@rumor/crdt-wire';
import {
  createReplicaDriver,
  type NodeId,
  type PeerDownReason,
  type Random,
  type ReplicaDriver,
  type ReplicaDriverInit,
  type ReplicaEvents,
  type SendResult,
  type Timers,
} from '@rumor/replica';

export const id = (s: string): NodeId => s as NodeId;

/** A virtual clock: timers fire in time order when the test advances it. */
export interface FakeClock extends Timers {
  /** Fire the earliest timer due at or before `until`; false when none. */
  fireNext(until: number): boolean;
  /** Move time forward to `t` (no timer is due before it). */
  advanceTo(t: number): void;
  pending(): number;
}

export function createClock(): FakeClock {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(delayMs, fn) {
      const key = seq++;
      timers.set(key, { at: now + Math.max(0, delayMs), fn });
      return () => void timers.delete(key);
    },
    fireNext(until) {
      let best: number | undefined;
      let bestAt = Infinity;
      for (const [k, t] of timers) if (t.at < bestAt || (t.at === bestAt && k < best!)) [best, bestAt] = [k, t.at];
      if (best === undefined || bestAt > until) return false;
      const t = timers.get(best)!;
      timers.delete(best);
      now = Math.max(now, t.at);
      t.fn();
      return true;
    },
    advanceTo(t) {
      now = Math.max(now, t);
    },
    pending: () => timers.size,
  };
}

/** mulberry32: a small seeded generator. */
export function seeded(seed: number): Random {
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

export interface SentMessage {
  from: NodeId;
  to: NodeId;
  type: string;
  body: unknown;
  bytes: number;
}

export interface FakeNode {
  id: NodeId;
  driver: ReplicaDriver;
  /** Everything this node sent directly, in order. */
  sent: SentMessage[];
  /** Override a send's result (backpressure, closed); undefined → normal. */
  sendHook?: (to: NodeId, type: string, body: unknown) => SendResult | undefined;
  broadcasts: number;
}

export interface FakeCluster {
  clock: FakeClock;
  nodes: Map<NodeId, FakeNode>;
  add(name: string, init?: ReplicaDriverInit, events?: ReplicaEvents): FakeNode;
  /** Open a link: both drivers get `onPeerUp`. */
  link(a: string, b: string): void;
  /** Close a link: both drivers get `onPeerDown`. */
  unlink(a: string, b: string, reason?: PeerDownReason): void;
  /** Deliver queued messages (in order) until none is left. */
  flush(): void;
  /** Advance virtual time by `ms`, delivering messages and firing timers in order. */
  run(ms: number): void;
  /** Drop every queued message matching the predicate (a lossy network). */
  drop(pred: (m: { from: NodeId; to: NodeId; type: string }) => boolean): void;
  /** Total encoded bytes of direct messages sent so far. */
  bytes(): number;
}

export function createCluster(seed = 1): FakeCluster {
  const clock = createClock();
  const random = seeded(seed);
  const nodes = new Map<NodeId, FakeNode>();
  const links = new Set<string>();
  const queue: (() => void)[] = [];
  let dropPred: ((m: { from: NodeId; to: NodeId; type: string }) => boolean) | undefined;
  let totalBytes = 0;
  const key = (a: NodeId, b: NodeId): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const linked = (a: NodeId, b: NodeId): boolean => links.has(key(a, b));
  const peersOf = (a: NodeId): NodeId[] => [...nodes.keys()].filter((b) => b !== a && linked(a, b));

  function reachable(from: NodeId): NodeId[] {
    const seen = new Set([from]);
    const todo = [from];
    while (todo.length) for (const p of peersOf(todo.pop()!)) if (!seen.has(p)) (seen.add(p), todo.push(p));
    seen.delete(from);
    return [...seen];
  }

  const cluster: FakeCluster = {
    clock,
    nodes,
    add(name, init = {}, events) {
      const self = id(name);
      const node: FakeNode = { id: self, driver: undefined as unknown as ReplicaDriver, sent: [], broadcasts: 0 };
      node.driver = createReplicaDriver(init, {
        self,
        timers: clock,
        random,
        activePeers: () => peersOf(self),
        broadcast(tag, payload) {
          node.broadcasts++;
          for (const to of reachable(self)) {
            queue.push(() => void nodes.get(to)?.driver.onDeliver(tag, payload, self));
          }
        },
        send(to, type, body) {
          const hooked = node.sendHook?.(to, type, body);
          if (hooked !== undefined) return hooked;
          if (!linked(self, to)) return 'closed';
          const frame = encodeEnvelope({ v: 1, layer: 'replica', type, body }, { frameBytesMax: 2 ** 30 });
          if (!frame.ok) throw new Error(`unencodable ${type}: ${frame.error.message}`);
          totalBytes += frame.value.length;
          node.sent.push({ from: self, to, type, body, bytes: frame.value.length });
          const copy = frame.value.slice();
          queue.push(() => {
            if (!linked(self, to) || dropPred?.({ from: self, to, type })) return;
            const env = decodeEnvelope(copy, { frameBytesMax: 2 ** 30 });
            if (!env.ok) throw new Error(`undecodable ${type}: ${env.error.message}`);
            nodes.get(to)?.driver.onMessage(self, env.value.type, env.value.body);
          });
          return 'accepted';
        },
        events,
      });
      nodes.set(self, node);
      return node;
    },
    link(a, b) {
      const [x, y] = [id(a), id(b)];
      if (linked(x, y)) return;
      links.add(key(x, y));
      nodes.get(x)?.driver.onPeerUp(y);
      nodes.get(y)?.driver.onPeerUp(x);
    },
    unlink(a, b, reason = 'failed') {
      const [x, y] = [id(a), id(b)];
      if (!links.delete(key(x, y))) return;
      nodes.get(x)?.driver.onPeerDown(y, reason);
      nodes.get(y)?.driver.onPeerDown(x, reason);
    },
    flush() {
      let guard = 0;
      while (queue.length) {
        if (++guard > 1_000_000) throw new Error('message storm');
        queue.shift()!();
      }
    },
    run(ms) {
      const until = clock.now() + ms;
      cluster.flush();
      while (clock.fireNext(until)) cluster.flush();
      clock.advanceTo(until);
    },
    drop(pred) {
      dropPred = pred;
    },
    bytes: () => totalBytes,
  };

  return cluster;
}

/** A grow-only map of counters (max per key): the simplest join-semilattice a test can own. */
export type Counters = Record<string, number>;

export function joinInto(state: Map<string, number>, delta: Counters): void {
  for (const [k, v] of Object.entries(delta)) if ((state.get(k) ?? -Infinity) < v) state.set(k, v);
}

export function asRecord(state: Map<string, number>): Counters {
  return Object.fromEntries([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
