import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom, runCarrierTests } from '@rumor/testkit';
import type { CarrierEvents, Envelope, NodeId } from '@rumor/replica';
import { createMaelstromCarrier, type MaelstromCarrier } from '../src/carrier.js';
import { LinkType } from '../src/link-messages.js';
import { carriersOn, createTestNet } from './helpers.js';

// The shared carrier acceptance suite over the Maelstrom carrier: 10 ms messages, virtual time.
runCarrierTests('Maelstrom carrier: acceptance suite', (count) => {
  const net = createTestNet(() => 10);
  const carriers = carriersOn(net, count, { outboxMax: 64 }, ['n99']);
  return {
    carriers,
    advance: async (ms) => net.advance(ms),
    deadAddress: 'n99',
    dispose: async () => {
      for (const c of carriers) await c.close();
    },
    backpressureMaxSends: 10_000,
  };
});

type Ev = [string, ...unknown[]];
function record(c: MaelstromCarrier): Ev[] {
  const log: Ev[] = [];
  const events: CarrierEvents = {
    up: (peer, address) => log.push(['up', peer, address]),
    down: (peer, reason) => log.push(['down', peer, reason]),
    message: (peer, envelope) => log.push(['message', peer, envelope.body]),
    connectFailed: (address, reason) => log.push(['connectFailed', address, reason]),
    drain: (peer) => log.push(['drain', peer]),
  };
  c.listen(events);
  return log;
}
const env = (body: unknown): Envelope => ({ v: 1, layer: 'replica', type: 'test', body });
const n = (id: string) => id as NodeId;

describe('createMaelstromCarrier', () => {
  it('restores per-link order under reordering latency (uniform and exponential), for any seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom('uniform', 'exponential'), fc.integer({ min: 1, max: 120 }), (seed, dist, count) => {
        const r = createRandom(seed);
        const net = createTestNet(() => (dist === 'uniform' ? r.next() * 200 : -Math.log(1 - r.next()) * 100));
        const [a, b] = carriersOn(net, 2);
        const la = record(a!);
        const lb = record(b!);
        a!.connect('n2');
        net.advance(2_000);
        expect(la.filter((e) => e[0] === 'up')).toEqual([['up', 'n2', 'n2']]);
        // Sends spread over time so that they travel as many Maelstrom messages, each delayed independently.
        for (let i = 0; i < count; i++) net.clock.setTimer(i * 3, () => expect(a!.send(n('n2'), env(i))).toBe('accepted'));
        net.advance(5_000);
        expect(lb.filter((e) => e[0] === 'message').map((e) => e[2])).toEqual([...Array(count).keys()]);
      }),
      { numRuns: 60 },
    );
  });

  it('coalesces envelopes sent in one turn into one Maelstrom message', () => {
    const net = createTestNet(() => 5);
    const [a, b] = carriersOn(net, 2);
    const lb = record(b!);
    record(a!);
    a!.connect('n2');
    net.advance(100);
    const before = net.log.filter(([src, , body]) => src === 'n1' && body.type === LinkType.frame).length;
    for (let i = 0; i < 50; i++) a!.send(n('n2'), env(i));
    net.advance(100);
    expect(net.log.filter(([src, , body]) => src === 'n1' && body.type === LinkType.frame).length - before).toBe(1);
    expect(lb.filter((e) => e[0] === 'message')).toHaveLength(50);
  });

  it('a partition fails the link on both sides after the keepalive timeout; both can link again after healing', () => {
    const net = createTestNet(() => 5);
    const [a, b] = carriersOn(net, 2, { keepaliveIntervalMs: 200, peerTimeoutMs: 1_000 });
    const la = record(a!);
    const lb = record(b!);
    a!.connect('n2');
    net.advance(100);
    net.advance(3_000);
    expect(la.filter((e) => e[0] === 'down')).toEqual([]); // idle but alive: pings keep it up
    net.partition(['n1'], ['n2']);
    net.advance(1_500);
    expect(la.filter((e) => e[0] === 'down')).toEqual([['down', 'n2', 'failed']]);
    expect(lb.filter((e) => e[0] === 'down')).toEqual([['down', 'n1', 'failed']]);
    expect(a!.send(n('n2'), env('lost'))).toBe('closed');
    net.heal();
    b!.connect('n1');
    net.advance(100);
    expect(la.filter((e) => e[0] === 'up')).toHaveLength(2);
    expect(a!.send(n('n2'), env('again'))).toBe('accepted');
    net.advance(100);
    expect(lb.filter((e) => e[0] === 'message').map((e) => e[2])).toEqual(['again']);
  });

  it('when only one side timed out, the other learns it from a reset at its next message', () => {
    const net = createTestNet(() => 5);
    const [a, b] = carriersOn(net, 2, { keepaliveIntervalMs: 200, peerTimeoutMs: 1_000 });
    const la = record(a!);
    const lb = record(b!);
    a!.connect('n2');
    net.advance(100);
    // Only b → a is cut: a hears nothing and fails the link; b still thinks it is up.
    const blockedOneWay = new Set(['n2>n1']);
    const original = net.send.bind(net);
    net.send = (src, dest, body) => (blockedOneWay.has(`${src}>${dest}`) ? undefined : original(src, dest, body));
    net.advance(1_500);
    expect(la.filter((e) => e[0] === 'down')).toEqual([['down', 'n2', 'failed']]);
    blockedOneWay.clear();
    b!.send(n('n1'), env('on a dead link'));
    net.advance(1_500);
    expect(lb.filter((e) => e[0] === 'down')).toEqual([['down', 'n1', 'failed']]);
    expect(la.filter((e) => e[0] === 'message')).toEqual([]);
  });

  it('a dial to a node that never answers fails after connectTimeoutMs', () => {
    const net = createTestNet(() => 5);
    const [a] = carriersOn(net, 1, { connectTimeoutMs: 700 }, ['n7']);
    const la = record(a!);
    a!.connect('n7');
    net.advance(600);
    expect(la).toEqual([]);
    net.advance(200);
    expect(la).toEqual([['connectFailed', 'n7', 'connect timeout']]);
  });

  it('connect to itself or to an id not in the cluster fails, never sends', () => {
    const net = createTestNet(() => 5);
    const [a] = carriersOn(net, 1);
    const la = record(a!);
    a!.connect('n1');
    a!.connect('zz');
    net.advance(10);
    expect(la).toEqual([
      ['connectFailed', 'n1', 'self-connection'],
      ['connectFailed', 'zz', 'unknown node id'],
    ]);
    expect(net.log).toEqual([]);
  });

  it('a frame that is not a valid envelope stream fails the link; hostile bodies never throw', () => {
    const net = createTestNet(() => 5);
    const [a, b] = carriersOn(net, 2);
    const la = record(a!);
    record(b!);
    a!.connect('n2');
    net.advance(50);
    a!.receive('n2', { type: LinkType.frame, l: 1, o: 0, s: 0, f: Buffer.from([0xc1, 0xc1]).toString('base64') });
    expect(la.at(-1)).toEqual(['down', 'n2', 'failed']);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('type', 'l', 'o', 's', 'f', 'x'), fc.oneof(fc.anything(), fc.constantFrom(...Object.values(LinkType)), fc.nat(), fc.base64String())), fc.constantFrom('n2', 'n1', 'c1', 'zz'), (body, src) => {
        expect(() => a!.receive(src, body)).not.toThrow();
      }),
      { numRuns: 300 },
    );
    expect(Object.values(a!.stats().rejected).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  });

  it('options are validated', () => {
    const net = createTestNet();
    expect(() => createMaelstromCarrier({ peerTimeoutMs: -1 }, { self: 'n1', nodes: ['n1'], send: () => {}, timers: net.clock })).toThrow(RangeError);
    expect(() => createMaelstromCarrier({ outboxMax: 0 }, { self: 'n1', nodes: ['n1'], send: () => {}, timers: net.clock })).toThrow(RangeError);
  });
});
