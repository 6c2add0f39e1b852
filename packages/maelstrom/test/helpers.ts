// Test helpers: an in-memory Maelstrom network on the harness's virtual clock, for carriers and whole nodes.
import { createRandom } from '@rumor/testkit';
import { virtualClock, type VirtualClock } from '../../../bench/lib/maelstrom-clock.js';
import { createMaelstromCarrier, type MaelstromCarrier, type MaelstromCarrierInit } from '../src/carrier.js';
import { createMaelstromNode, type MaelstromNode, type MaelstromNodeInit } from '../src/node.js';

export { virtualClock, type VirtualClock };

/** Routes bodies between ids with a per-message latency; partitions drop at delivery. */
export interface TestNet {
  clock: VirtualClock;
  /** Every message put on the network: [src, dest, body]. */
  log: [string, string, Record<string, unknown>][];
  send(src: string, dest: string, body: Record<string, unknown>): void;
  on(id: string, receive: (src: string, body: Record<string, unknown>) => void): void;
  partition(a: readonly string[], b: readonly string[]): void;
  heal(): void;
  advance(ms: number): void;
}

export function createTestNet(latency: () => number = () => 5): TestNet {
  const clock = virtualClock();
  const receivers = new Map<string, (src: string, body: Record<string, unknown>) => void>();
  let blocked = new Set<string>();
  const log: TestNet['log'] = [];
  return {
    clock,
    log,
    send(src, dest, body) {
      log.push([src, dest, body]);
      // Bodies cross as JSON text, as over stdio: nothing is shared by reference.
      const text = JSON.stringify(body);
      clock.setTimer(latency(), () => {
        if (blocked.has(`${src}>${dest}`)) return;
        receivers.get(dest)?.(src, JSON.parse(text) as Record<string, unknown>);
      });
    },
    on(id, receive) {
      receivers.set(id, receive);
    },
    partition(a, b) {
      blocked = new Set();
      for (const x of a) for (const y of b) blocked.add(`${x}>${y}`).add(`${y}>${x}`);
    },
    heal() {
      blocked = new Set();
    },
    advance(ms) {
      clock.run(clock.now() + ms);
    },
  };
}

/** Carriers `n1…nk` on a test network (plus `extra` ids that exist but run nothing). */
export function carriersOn(net: TestNet, count: number, init: MaelstromCarrierInit = {}, extra: string[] = []): MaelstromCarrier[] {
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  return ids.map((self) => {
    const c = createMaelstromCarrier(init, { self, nodes: [...ids, ...extra], send: (dest, body) => net.send(self, dest, body), timers: net.clock });
    net.on(self, (src, body) => c.receive(src, body));
    return c;
  });
}

/** A cluster of whole nodes on a test network; `lines` holds every line each node wrote to a client. */
export interface TestCluster {
  net: TestNet;
  nodes: Map<string, MaelstromNode>;
  /** Replies to clients, by client id, parsed. */
  replies: Map<string, { src: string; body: Record<string, unknown> }[]>;
  request(client: string, node: string, body: Record<string, unknown>): void;
  init(): void;
}

export function createTestCluster(count: number, init: MaelstromNodeInit = {}, latency?: () => number): TestCluster {
  const net = createTestNet(latency);
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const nodes = new Map<string, MaelstromNode>();
  const replies = new Map<string, { src: string; body: Record<string, unknown> }[]>();
  let msgId = 0;
  for (const id of ids) {
    const node = createMaelstromNode(init, {
      write(line) {
        const m = JSON.parse(line) as { src: string; dest: string; body: Record<string, unknown> };
        net.send(m.src, m.dest, m.body);
      },
      timers: net.clock,
      random: createRandom(ids.indexOf(id) + 1),
    });
    nodes.set(id, node);
    net.on(id, (src, body) => node.handleLine(JSON.stringify({ src, dest: id, body })));
  }
  return {
    net,
    nodes,
    replies,
    request(client, node, body) {
      if (!replies.has(client)) {
        replies.set(client, []);
        net.on(client, (src, b) => replies.get(client)!.push({ src, body: b }));
      }
      net.send(client, node, { msg_id: ++msgId, ...body });
    },
    init() {
      for (const id of ids) this.request('c0', id, { type: 'init', node_id: id, node_ids: ids });
    },
  };
}

/** Feed one node lines and collect what it writes. */
export function singleNode(init: MaelstromNodeInit = {}) {
  const clock = virtualClock();
  const out: { src: string; dest: string; body: Record<string, unknown> }[] = [];
  const raw: string[] = [];
  const node = createMaelstromNode(init, {
    write(line) {
      raw.push(line);
      out.push(JSON.parse(line) as (typeof out)[number]);
    },
    timers: clock,
    random: createRandom(1),
  });
  let msgId = 100;
  const send = (body: Record<string, unknown>, src = 'c1', dest = 'n1') => {
    const id = body.msg_id ?? ++msgId;
    node.handleLine(JSON.stringify({ src, dest, body: { ...body, msg_id: id } }));
    return out.filter((m) => m.body.in_reply_to === id).at(-1);
  };
  return { node, clock, out, raw, send };
}
