// The stock OR-Map (@rumor/ormap) passes the convergence kit: hundreds of random clusters and schedules with every
// fault, each healed and settled, end with all replicas holding the same entries and siblings.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { createHlc } from '@rumor/hlc';
import { createORMap, type DeltaData, type NodeId as MapNodeId } from '@rumor/ormap';
import { checkConvergence, type ReplicaFactory } from '../src/index.js';

type Op = { put: string; value: number } | { del: string };

// A plausible epoch so that clock steps backwards never reach negative wall time.
const EPOCH_MS = 1_700_000_000_000;

const ormapReplica: ReplicaFactory<Op, DeltaData<number>, DeltaData<number>> = (ctx) => {
  const clock = createHlc({}, { wallClock: () => EPOCH_MS + ctx.timers.now() });
  const map = createORMap<number>({ nodeId: ctx.node as unknown as MapNodeId }, { clock });
  return {
    callbacks: {
      mergeDelta: (_name, delta) => void map.merge(delta),
      applyFullSync: (_name, snapshot) => void map.merge(snapshot),
      fullSyncSnapshot: () => map.snapshot(),
      removeNode: () => {},
      antiEntropy: true,
    },
    apply: (op) => ('put' in op ? map.put(op.put, op.value) : map.delete(op.del)),
    canonical: () => [...map.keys()].sort().map((k) => [k, map.get(k), map.siblings(k)]),
  };
};

const key = fc.constantFrom('a', 'b', 'c', 'd');
const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ put: key, value: fc.integer({ min: 0, max: 99 }) }) },
  { weight: 1, arbitrary: fc.record({ del: key }) },
);

describe('@rumor/ormap under the convergence kit', () => {
  it('converges under hundreds of random schedules with every fault', async () => {
    const r = await checkConvergence({ replica: ormapReplica, ops, numRuns: 300, maxSteps: 25 });
    if (!r.ok) throw new Error(r.report);
  });
});
