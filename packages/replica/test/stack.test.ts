import { describe, expect, it } from 'vitest';
import { createSimulation, withSeed } from '@rumor/testkit';
import { createStack } from '@rumor/replica';
import { createSimCluster, divergence } from './sim-cluster.js';

describe('createStack', () => {
  it('wires membership, broadcast and replicas: a write reaches every node', async () => {
    await withSeed((seed) => {
      const c = createSimCluster({ seed, nodes: 8 });
      c.sim.run({ forMs: 20_000 });
      for (const m of c.members) expect(m.stack.membership.activeView().length).toBeGreaterThan(0);
      c.write(c.members[3]!, 'x', 1);
      c.write(c.members[5]!, 'y', 2);
      c.sim.run({ forMs: 5_000 });
      expect(divergence(c)).toEqual([]);
      expect(c.members[0]!.store.view('m')).toEqual({ x: 1, y: 2 });
      const stats = c.members[0]!.stack.stats();
      expect(stats.replica.replicas[0]!.deltasMerged).toBe(2);
      expect(stats.rejected).toEqual({ version: 0, layer: 0 });
    }, { seed: 1 });
  });

  it('counts and drops envelopes with an unknown version or layer', async () => {
    const sim = createSimulation({ seed: 2 });
    const a = sim.addNode('a');
    const b = sim.addNode('b');
    const stack = createStack({ carrier: a.carrier, timers: a.timers, random: a.random });
    b.carrier.listen({ up() {}, down() {}, message() {}, connectFailed() {}, drain() {} });
    b.carrier.connect(a.address);
    sim.run({ forMs: 100 });
    b.carrier.send(a.id, { v: 2, layer: 'replica', type: 'sync-request', body: { name: 'm' } });
    b.carrier.send(a.id, { v: 1, layer: 'nope' as 'replica', type: 'sync-request', body: { name: 'm' } });
    b.carrier.send(a.id, { v: 1, layer: 'replica', type: 'no-such', body: {} });
    sim.run({ forMs: 100 });
    const s = stack.stats();
    expect(s.rejected).toEqual({ version: 1, layer: 1 });
    expect(s.replica.invalidByPeer).toEqual({ b: 1 });
    await stack.close();
  });

  it('a late-started instance pulls the current state from its active view', async () => {
    await withSeed((seed) => {
      const c = createSimCluster({ seed, nodes: 6, startInstances: false });
      for (const m of c.members.slice(0, 5)) c.start(m);
      c.sim.run({ forMs: 20_000 });
      c.write(c.members[0]!, 'a', 1);
      c.write(c.members[2]!, 'b', 2);
      c.sim.run({ forMs: 5_000 });
      const late = c.members[5]!;
      const replica = c.start(late); // no peer up will come: the links are long established
      c.sim.run({ forMs: 2_000 });
      expect(late.store.view('m')).toEqual({ a: 1, b: 2 });
      expect(replica.stats().syncRequestsSent).toBeGreaterThan(0);
    }, { seed: 3 });
  });

  it('anti-entropy repairs what broadcast never carried', async () => {
    await withSeed((seed) => {
      const c = createSimCluster({ seed, nodes: 6, antiEntropyIntervalMs: 2_000 });
      c.sim.run({ forMs: 20_000 });
      c.writeSilently(c.members[1]!, 'hidden', 7);
      c.writeSilently(c.members[4]!, 'other', 8);
      c.sim.run({ forMs: 30_000 });
      expect(divergence(c)).toEqual([]);
      expect(c.members[0]!.store.view('m')).toEqual({ hidden: 7, other: 8 });
    }, { seed: 4 });
  });

  it('reconverges by itself after a partition heals', async () => {
    await withSeed((seed) => {
      const c = createSimCluster({ seed, nodes: 8, antiEntropyIntervalMs: 3_000 });
      c.sim.run({ forMs: 20_000 });
      const left = c.members.slice(0, 4);
      const right = c.members.slice(4);
      const cut = c.sim.partition(left.map((m) => m.id), right.map((m) => m.id));
      c.sim.run({ forMs: 15_000 });
      c.write(left[0]!, 'l', 1);
      c.write(right[0]!, 'r', 2);
      c.sim.run({ forMs: 5_000 });
      expect(left[1]!.store.view('m')).toEqual({ l: 1 });
      cut.heal();
      c.sim.run({ forMs: 90_000 });
      expect(divergence(c)).toEqual([]);
      expect(c.members[7]!.store.view('m')).toEqual({ l: 1, r: 2 });
    }, { seed: 5 });
  });

  it('passes membership\'s reason through to removeNode: evictions arrive as evictions, not failures', async () => {
    await withSeed((seed) => {
      const c = createSimCluster({ seed, nodes: 14, activeViewSize: 2, passiveViewSize: 6, shuffleIntervalMs: 2_000 });
      c.sim.run({ forMs: 120_000 });
      let evicted = 0;
      for (const m of c.members) {
        const fromMembership = m.stack.stats().membership.peerDown;
        const seen = { failed: 0, left: 0, evicted: 0 };
        for (const r of m.removals) seen[r]++;
        expect(seen).toEqual(fromMembership);
        evicted += seen.evicted;
      }
      expect(evicted).toBeGreaterThan(0);
    }, { seed: 6 });
  });
});
