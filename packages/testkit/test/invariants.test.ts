// Randomised simulation runs (seed from SEED or fresh, printed with the replay command on failure): the network
// model's own guarantees hold under random traffic, latencies and short partitions.
import { describe, expect, it } from 'vitest';
import {
  checkOverlay,
  createDeliveryRecorder,
  createSimulation,
  exponentialLatency,
  withSeed,
  type NodeId,
} from '../src/index.js';

describe('simulated network invariants', () => {
  it('FIFO and exactly-once per connection under random latency and partitions shorter than the detector', () =>
    withSeed((seed) => {
      const sim = createSimulation({ seed, latency: exponentialLatency(20, 1), failureDetectionMs: 5000 });
      const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
      const nodes = ids.map((id) => sim.addNode(id));
      const recorder = createDeliveryRecorder();
      const lastSeen = new Map<string, number>();
      const views = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
      const problems: string[] = [];
      for (const n of nodes) {
        n.carrier.listen({
          up: (peer) => views.get(n.id)!.add(peer),
          down: (peer) => {
            views.get(n.id)!.delete(peer);
            problems.push(`${n.id} lost ${peer}`);
          },
          connectFailed: (a) => problems.push(`${n.id} could not dial ${a}`),
          drain: () => {},
          message: (peer, env) => {
            const { seq } = env.body as { seq: number };
            const key = `${peer}→${n.id}`;
            if (seq !== (lastSeen.get(key) ?? -1) + 1) problems.push(`${key}: got ${seq} after ${lastSeen.get(key)}`);
            lastSeen.set(key, seq);
            recorder.record(n.id, `${key}#${seq}`);
          },
        });
      }
      for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) nodes[i]!.carrier.connect(nodes[j]!.address);
      sim.run({ forMs: 2000 });
      expect(checkOverlay({ nodes: ids, activeView: (id) => views.get(id)!, maxSize: 7 }).violations).toEqual([]);
      const sent = new Map<string, number>();
      const expected: string[] = [];
      for (let round = 0; round < 200; round++) {
        const a = nodes[sim.random.int(nodes.length)]!;
        const b = nodes[sim.random.int(nodes.length)]!;
        if (a === b) continue;
        const key = `${a.id}→${b.id}`;
        const seq = sent.get(key) ?? 0;
        expect(a.carrier.send(b.id as NodeId, { v: 1, layer: 'broadcast', type: 'gossip', body: { seq } })).toBe('accepted');
        sent.set(key, seq + 1);
        expected.push(`${key}#${seq}`);
        if (sim.random.chance(0.02)) {
          const cut = sim.partition([a.id], undefined, { oneWay: sim.random.chance(0.5) });
          sim.run({ forMs: sim.random.next() * 3000 });
          cut.heal();
        }
        sim.run({ forMs: sim.random.next() * 50 });
      }
      sim.run({ forMs: 10_000 });
      expect(problems).toEqual([]);
      // Every message delivered exactly once, at its destination.
      for (const id of expected) expect(recorder.count(id.split('→')[1]!.split('#')[0]!, id)).toBe(1);
      expect(recorder.violations()).toEqual([]);
    }));
});
