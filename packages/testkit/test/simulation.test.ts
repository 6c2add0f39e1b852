import { describe, expect, it } from 'vitest';
import { createSimulation, constantLatency } from '../src/index.js';
import { bodies, env, id, record } from './helpers.js';

function pair(seed = 1) {
  const sim = createSimulation({ seed });
  const a = sim.addNode('a');
  const b = sim.addNode('b');
  const la = record(a.carrier, sim.now.bind(sim));
  const lb = record(b.carrier, sim.now.bind(sim));
  return { sim, a, b, la, lb };
}

describe('createSimulation', () => {
  it('connects two nodes: both see up with the right id and address', () => {
    const { sim, a, b, la, lb } = pair();
    a.carrier.connect(b.address);
    sim.run();
    expect(la.filter((r) => r.e === 'up')).toMatchObject([{ peer: 'b', address: 'sim://b' }]);
    expect(lb.filter((r) => r.e === 'up')).toMatchObject([{ peer: 'a', address: 'sim://a' }]);
    expect(sim.stats.ups).toBe(2);
  });

  it('delivers in FIFO order per connection by default, even with random latency', () => {
    const { sim, a, b, lb } = pair(7);
    a.carrier.connect(b.address);
    sim.run();
    for (let i = 0; i < 200; i++) expect(a.carrier.send(id('b'), env(i))).toBe('accepted');
    sim.run();
    expect(bodies(lb)).toEqual([...Array(200).keys()]);
  });

  it('send to an unknown peer is closed', () => {
    const { a } = pair();
    expect(a.carrier.send(id('zz'), env(1))).toBe('closed');
  });

  it('advances virtual time only through events; timers fire in order', () => {
    const sim = createSimulation({ seed: 1 });
    const fired: number[] = [];
    sim.timers.setTimer(30, () => fired.push(sim.now()));
    sim.timers.setTimer(10, () => fired.push(sim.now()));
    const cancel = sim.timers.setTimer(20, () => fired.push(-1));
    cancel();
    const r = sim.run();
    expect(fired).toEqual([10, 30]);
    expect(r.reason).toBe('idle');
    sim.run({ forMs: 1000 });
    expect(sim.now()).toBe(1030);
  });

  it('connectFailed(refused) for an address nobody listens on', () => {
    const { sim, a, la } = pair();
    a.carrier.connect('sim://nobody');
    sim.run();
    expect(la).toMatchObject([{ e: 'connectFailed', address: 'sim://nobody', reason: 'refused' }]);
  });

  it('disconnect: both ends see down(closed), messages accepted before still arrive, nothing after', () => {
    const { sim, a, b, la, lb } = pair();
    a.carrier.connect(b.address);
    sim.run();
    a.carrier.send(id('b'), env('last'));
    a.carrier.disconnect(id('b'));
    expect(a.carrier.send(id('b'), env('late'))).toBe('closed');
    expect(b.carrier.send(id('a'), env('from-b'))).toBe('accepted');
    sim.run();
    expect(bodies(lb)).toEqual(['last']);
    expect(bodies(la)).toEqual([]);
    expect(la.filter((r) => r.e === 'down')).toMatchObject([{ peer: 'b', reason: 'closed' }]);
    expect(lb.filter((r) => r.e === 'down')).toMatchObject([{ peer: 'a', reason: 'closed' }]);
  });

  it('simultaneous dials end as one connection', () => {
    for (let seed = 0; seed < 20; seed++) {
      const { sim, a, b, la, lb } = pair(seed);
      a.carrier.connect(b.address);
      b.carrier.connect(a.address);
      sim.run({ forMs: 20_000 });
      expect(la.filter((r) => r.e !== 'message')).toMatchObject([{ e: 'up', peer: 'b' }]);
      expect(lb.filter((r) => r.e !== 'message')).toMatchObject([{ e: 'up', peer: 'a' }]);
      expect(a.carrier.send(id('b'), env(1))).toBe('accepted');
      expect(b.carrier.send(id('a'), env(2))).toBe('accepted');
      sim.run({ forMs: 20_000 });
      expect(bodies(lb)).toEqual([1]);
      expect(bodies(la)).toEqual([2]);
    }
  });

  it('same seed → identical trace; different seed → different trace', () => {
    const runOnce = (seed: number) => {
      const sim = createSimulation({ seed, faults: { loss: 0.1, duplicate: 0.1, reorder: 0.1 } });
      const nodes = Array.from({ length: 20 }, (_, i) => sim.addNode(`n${i}`));
      for (const n of nodes) {
        n.carrier.listen({
          up: () => {},
          down: () => {},
          connectFailed: () => {},
          drain: () => {},
          message: (peer, e) => {
            if ((e.body as number) < 5) n.carrier.send(peer, env((e.body as number) + 1));
          },
        });
      }
      for (const n of nodes) n.carrier.connect(nodes[n.random.int(nodes.length)]!.address);
      sim.run({ forMs: 1000 });
      for (const n of nodes) for (const p of nodes) n.carrier.send(p.id, env(0));
      sim.run({ forMs: 10_000 });
      return sim.traceHash();
    };
    expect(runOnce(42)).toBe(runOnce(42));
    expect(runOnce(42)).not.toBe(runOnce(43));
  });

  it('constant latency is exact', () => {
    const sim = createSimulation({ seed: 1, latency: constantLatency(10) });
    const a = sim.addNode('a');
    const b = sim.addNode('b');
    const lb = record(b.carrier, () => sim.now());
    record(a.carrier, () => sim.now());
    a.carrier.connect(b.address);
    sim.run();
    expect(sim.now()).toBe(20); // dial 10 ms, accept 10 ms back
    expect(lb[0]).toMatchObject({ e: 'up', t: 10 });
    a.carrier.send(id('b'), env(1));
    sim.run();
    expect(lb[1]).toMatchObject({ e: 'message', t: 30 });
  });
});
