// In-process clusters on virtual time: the real stack (HyParView, Plumtree, replica) over the Maelstrom carrier.
import { describe, expect, it } from 'vitest';
import { createRandom, withSeed } from '@rumor/testkit';
import { createMaelstromNode } from '../src/node.js';
import { runBroadcast, type InProcessNodeFactory } from '../../../bench/lib/maelstrom-harness.js';
import { createTestCluster } from './helpers.js';

const sourceNodes: InProcessNodeFactory = ({ write, timers, config, seed }) => createMaelstromNode({ ...config, seed }, { write, timers });

function readAll(cluster: ReturnType<typeof createTestCluster>, client: string): unknown[] {
  for (const id of cluster.nodes.keys()) cluster.request(client, id, { type: 'read' });
  cluster.net.advance(500);
  return cluster.replies.get(client)!.filter((r) => r.body.type === 'read_ok').map((r) => r.body.value ?? r.body.messages);
}

describe('in-process cluster', () => {
  it('g-set: elements added at different nodes, across a partition, end on every node', () =>
    withSeed((seed) => {
      const r = createRandom(seed);
      const cluster = createTestCluster(5, { workload: 'g-set' }, () => 1 + r.next() * 20);
      cluster.init();
      cluster.net.advance(3_000);
      const ids = [...cluster.nodes.keys()];
      cluster.net.partition(ids.slice(0, 2), ids.slice(2));
      for (let i = 0; i < 40; i++) cluster.request('c1', ids[r.int(ids.length)]!, { type: 'add', element: i });
      cluster.net.advance(4_000);
      cluster.net.heal();
      cluster.net.advance(15_000);
      const reads = readAll(cluster, 'c9');
      expect(reads).toHaveLength(5);
      for (const v of reads) expect([...(v as number[])].sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    }));

  it('pn-counter: every node converges to the sum of all deltas', () =>
    withSeed((seed) => {
      const r = createRandom(seed);
      const cluster = createTestCluster(4, { workload: 'pn-counter' }, () => 1 + r.next() * 10);
      cluster.init();
      cluster.net.advance(3_000);
      const ids = [...cluster.nodes.keys()];
      let sum = 0;
      for (let i = 0; i < 60; i++) {
        const d = r.int(21) - 10;
        sum += d;
        cluster.request('c1', ids[r.int(ids.length)]!, { type: 'add', delta: d });
        cluster.net.advance(r.int(50));
      }
      cluster.net.advance(10_000);
      expect(readAll(cluster, 'c9')).toEqual([sum, sum, sum, sum]);
    }));

  it('auto mode: a node learns the workload from replicated state and then serves reads', () => {
    const cluster = createTestCluster(3, {}, () => 5);
    cluster.init();
    cluster.net.advance(3_000);
    cluster.request('c1', 'n1', { type: 'add', delta: 7 });
    cluster.net.advance(5_000);
    expect(readAll(cluster, 'c9')).toEqual([7, 7, 7]);
  });
});

describe('harness in sim mode (virtual time, deterministic)', () => {
  it('5 nodes, rate 20, partitions every 2 s: 0 lost, every read judged', () =>
    withSeed(async (seed) => {
      const r = await runBroadcast(
        { mode: 'sim', nodes: 5, rate: 20, latencyMs: 20, latencyDist: 'exponential', timeLimitMs: 8_000, nemesis: 'partition', nemesisIntervalMs: 2_000, recoveryMs: 10_000, seed },
        sourceNodes,
      );
      expect(r.partitions).toBeGreaterThanOrEqual(2);
      expect(r.net.droppedByPartition).toBeGreaterThan(0);
      expect(r.net.violations).toBe(0);
      expect(r.check.acknowledgedCount).toBeGreaterThan(40);
      expect(r.check.lost).toEqual([]);
      expect(r.check.neverReadCount).toBe(0);
      expect(r.ops.final).toBe(5);
    }));
});
