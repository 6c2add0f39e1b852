// Each fault type has an effect a test observes (issue "Testkit", Done when).
import { describe, expect, it } from 'vitest';
import { createSimulation, constantLatency, exponentialLatency, uniformLatency } from '../src/index.js';
import type { SimulationInit } from '../src/index.js';
import { bodies, env, id, record } from './helpers.js';

function connected(init: Partial<SimulationInit> = {}, names = ['a', 'b']) {
  const sim = createSimulation({ seed: 3, ...init });
  const nodes = names.map((n) => sim.addNode(n));
  const logs = nodes.map((n) => record(n.carrier, () => sim.now()));
  for (let i = 1; i < nodes.length; i++) nodes[0]!.carrier.connect(nodes[i]!.address);
  sim.run();
  return { sim, nodes, logs };
}

const downs = (log: ReturnType<typeof record>) => log.filter((r) => r.e === 'down');

describe('faults', () => {
  it('loss drops a share of messages', () => {
    const { sim, nodes, logs } = connected({ faults: { loss: 0.3 } });
    for (let i = 0; i < 1000; i++) nodes[0]!.carrier.send(id('b'), env(i));
    sim.run();
    const got = bodies(logs[1]!).length;
    expect(got).toBeGreaterThan(600);
    expect(got).toBeLessThan(800);
    expect(sim.stats.lost).toBe(1000 - got);
  });

  it('duplication delivers some messages twice', () => {
    const { sim, nodes, logs } = connected({ faults: { duplicate: 0.2 } });
    for (let i = 0; i < 1000; i++) nodes[0]!.carrier.send(id('b'), env(i));
    sim.run();
    const got = bodies(logs[1]!) as number[];
    expect(new Set(got).size).toBe(1000);
    expect(got.length - 1000).toBe(sim.stats.duplicated);
    expect(sim.stats.duplicated).toBeGreaterThan(100);
  });

  it('reorder breaks FIFO; without it, FIFO holds', () => {
    const fifo = connected({ latency: uniformLatency(1, 100) });
    for (let i = 0; i < 300; i++) fifo.nodes[0]!.carrier.send(id('b'), env(i));
    fifo.sim.run();
    expect(bodies(fifo.logs[1]!)).toEqual([...Array(300).keys()]);

    const r = connected({ latency: constantLatency(5), faults: { reorder: 0.2, reorderDelayMs: 30 } });
    for (let i = 0; i < 300; i++) {
      r.nodes[0]!.carrier.send(id('b'), env(i));
      r.sim.run({ forMs: 1 });
    }
    r.sim.run();
    const got = bodies(r.logs[1]!) as number[];
    expect(got.length).toBe(300);
    expect(got).not.toEqual([...Array(300).keys()]);
    expect([...got].sort((x, y) => x - y)).toEqual([...Array(300).keys()]);
  });

  it('per-link latency applies to that direction only; latency models differ', () => {
    const { sim, nodes, logs } = connected({ latency: constantLatency(5) });
    sim.setLink('a', 'b', { latency: constantLatency(100) });
    const t0 = sim.now();
    nodes[0]!.carrier.send(id('b'), env('slow'));
    nodes[1]!.carrier.send(id('a'), env('fast'));
    sim.run();
    expect(logs[1]!.find((r) => r.e === 'message')!.t - t0).toBe(100);
    expect(logs[0]!.find((r) => r.e === 'message')!.t - t0).toBe(5);
    const e = exponentialLatency(20, 1);
    const rnd = sim.fork('x');
    const samples = Array.from({ length: 2000 }, () => e.sample(rnd));
    const mean = samples.reduce((x, y) => x + y, 0) / samples.length;
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(1);
    expect(mean).toBeGreaterThan(17);
    expect(mean).toBeLessThan(25);
  });

  it('a short two-way partition holds messages and delivers them in order on heal', () => {
    const { sim, nodes, logs } = connected();
    const p = sim.partition(['a'], ['b']);
    for (let i = 0; i < 10; i++) nodes[0]!.carrier.send(id('b'), env(i));
    sim.run({ forMs: 1000 });
    expect(bodies(logs[1]!)).toEqual([]);
    expect(sim.stats.held).toBe(10);
    p.heal();
    sim.run({ forMs: 1000 });
    expect(bodies(logs[1]!)).toEqual([...Array(10).keys()]);
    expect(downs(logs[0]!)).toEqual([]);
  });

  it('a long partition ends in down(failed) on both sides after the detection delay; held messages are lost', () => {
    const { sim, nodes, logs } = connected({ failureDetectionMs: 3000 });
    const t0 = sim.now();
    sim.partition(['a']);
    nodes[0]!.carrier.send(id('b'), env('lost'));
    sim.run({ forMs: 10_000 });
    expect(downs(logs[0]!)).toMatchObject([{ peer: 'b', reason: 'failed', t: t0 + 3000 }]);
    expect(downs(logs[1]!)).toMatchObject([{ peer: 'a', reason: 'failed', t: t0 + 3000 }]);
    expect(bodies(logs[1]!)).toEqual([]);
    // while cut, a dial times out
    nodes[0]!.carrier.connect('sim://b');
    sim.run({ forMs: 10_000 });
    expect(logs[0]!.at(-1)).toMatchObject({ e: 'connectFailed', reason: 'timeout' });
    sim.heal();
    nodes[0]!.carrier.connect('sim://b');
    sim.run({ forMs: 1000 });
    expect(logs[0]!.at(-1)).toMatchObject({ e: 'up', peer: 'b' });
  });

  it('a one-way partition stops one direction only, and still trips the failure detector', () => {
    const { sim, nodes, logs } = connected({ failureDetectionMs: 2000 });
    sim.partition(['a'], ['b'], { oneWay: true });
    nodes[0]!.carrier.send(id('b'), env('a→b'));
    nodes[1]!.carrier.send(id('a'), env('b→a'));
    sim.run({ forMs: 500 });
    expect(bodies(logs[0]!)).toEqual(['b→a']);
    expect(bodies(logs[1]!)).toEqual([]);
    sim.run({ forMs: 2000 });
    expect(downs(logs[0]!)).toMatchObject([{ reason: 'failed' }]);
    expect(downs(logs[1]!)).toMatchObject([{ reason: 'failed' }]);
  });

  it('a blocked link is a one-way cut of that link', () => {
    const { sim, nodes, logs } = connected({}, ['a', 'b', 'c']);
    sim.setLink('a', 'b', { blocked: true });
    nodes[0]!.carrier.send(id('b'), env('x'));
    nodes[0]!.carrier.send(id('c'), env('y'));
    sim.run({ forMs: 500 });
    expect(bodies(logs[1]!)).toEqual([]);
    expect(bodies(logs[2]!)).toEqual(['y']);
    sim.heal();
    sim.run({ forMs: 500 });
    expect(bodies(logs[1]!)).toEqual(['x']);
  });

  it('crash: the node goes silent, its timers stop, peers see down(failed) after the detection delay', () => {
    const { sim, nodes, logs } = connected({ failureDetectionMs: 4000 });
    let ticks = 0;
    const tick = () => {
      ticks++;
      nodes[1]!.timers.setTimer(100, tick);
    };
    tick();
    sim.run({ forMs: 1000 });
    const before = ticks;
    const t0 = sim.now();
    sim.crash('b');
    nodes[0]!.carrier.send(id('b'), env('into the void'));
    expect(nodes[1]!.carrier.send(id('a'), env('from the dead'))).toBe('closed');
    sim.run({ forMs: 10_000 });
    expect(ticks).toBe(before);
    expect(downs(logs[0]!)).toMatchObject([{ peer: 'b', reason: 'failed', t: t0 + 4000 }]);
    expect(bodies(logs[1]!)).toEqual([]);
    nodes[0]!.carrier.connect('sim://b');
    sim.run({ forMs: 10_000 });
    expect(logs[0]!.at(-1)).toMatchObject({ e: 'connectFailed', reason: 'timeout' });
  });

  it('restart with state lost hands out a fresh carrier; with state kept, the same carrier and listener', () => {
    const { sim, nodes, logs } = connected();
    const oldCarrier = nodes[1]!.carrier;
    sim.crash('b');
    sim.run({ forMs: 10_000 });
    const b = sim.restart('b');
    expect(b.carrier).not.toBe(oldCarrier);
    expect(oldCarrier.send(id('a'), env(1))).toBe('closed');
    const fresh = record(b.carrier, () => sim.now());
    b.carrier.connect('sim://a');
    sim.run({ forMs: 1000 });
    expect(fresh).toMatchObject([{ e: 'up', peer: 'a' }]);
    expect(logs[0]!.at(-1)).toMatchObject({ e: 'up', peer: 'b' });

    const kept = nodes[1]!.carrier;
    sim.crash('b', { keepState: true });
    sim.restart('b');
    expect(nodes[1]!.carrier).toBe(kept);
    kept.connect('sim://a'); // replaces the stale connection a still holds
    sim.run({ forMs: 10_000 });
    expect(fresh.filter((r) => r.e === 'up')).toHaveLength(2);
    expect(kept.send(id('a'), env('again'))).toBe('accepted');
    sim.run({ forMs: 1000 });
    expect(bodies(logs[0]!).at(-1)).toBe('again');
  });

  it('clock drift and steps change a node’s local time and timer pacing', () => {
    const sim = createSimulation({ seed: 1 });
    const a = sim.addNode('a');
    const b = sim.addNode('b');
    sim.setClockDrift('a', 100_000); // 10 % fast
    sim.stepClock('b', -5000);
    sim.run({ forMs: 1000 });
    expect(a.timers.now()).toBeCloseTo(1100, 6);
    expect(b.timers.now()).toBe(-4000);
    let firedAt = -1;
    a.timers.setTimer(1100, () => (firedAt = sim.now()));
    sim.run();
    expect(firedAt).toBeCloseTo(2000, 6); // 1100 local ms at 1.1× = 1000 sim ms
  });

  it('backpressure: a full send queue answers backpressure, then drain fires, then sends are accepted', () => {
    const { sim, nodes, logs } = connected({ sendQueueMax: 8 });
    const results = Array.from({ length: 10 }, (_, i) => nodes[0]!.carrier.send(id('b'), env(i)));
    expect(results.slice(0, 8).every((r) => r === 'accepted')).toBe(true);
    expect(results.slice(8)).toEqual(['backpressure', 'backpressure']);
    sim.run();
    expect(logs[0]!.filter((r) => r.e === 'drain')).toMatchObject([{ peer: 'b' }]);
    expect(nodes[0]!.carrier.send(id('b'), env('more'))).toBe('accepted');
    sim.run();
    expect(bodies(logs[1]!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 'more']);
  });

  it('messages are passed by reference by default and copied with messages: clone/json (bytes counted)', () => {
    for (const mode of ['reference', 'clone', 'json'] as const) {
      const { sim, nodes } = connected({ messages: mode });
      const sent = env({ x: [1, 2] });
      let got: unknown;
      nodes[1]!.carrier.listen({ up() {}, down() {}, connectFailed() {}, drain() {}, message: (_p, e) => (got = e) });
      nodes[0]!.carrier.send(id('b'), sent);
      sim.run();
      expect(got).toEqual(sent);
      expect(got === sent).toBe(mode === 'reference');
      expect(sim.stats.bytes > 0).toBe(mode === 'json');
    }
  });

  it('faults can change mid-run', () => {
    const { sim, nodes, logs } = connected();
    for (let i = 0; i < 100; i++) nodes[0]!.carrier.send(id('b'), env(i));
    sim.run();
    sim.setFaults({ loss: 1 });
    for (let i = 100; i < 200; i++) nodes[0]!.carrier.send(id('b'), env(i));
    sim.run();
    sim.resetFaults();
    nodes[0]!.carrier.send(id('b'), env(200));
    sim.run();
    expect(bodies(logs[1]!)).toEqual([...Array(100).keys(), 200]);
  });
});
