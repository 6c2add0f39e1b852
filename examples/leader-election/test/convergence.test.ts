// The election's replicated state under the testkit's convergence kit, over the REAL stack (HyParView + Plumtree +
// the replica driver) in the simulator: random clusters, campaigns, resignations and token claims, interleaved
// with loss, duplication, reordering, partitions, crashes and clock faults; after healing, all replicas agree.
import { it } from 'vitest';
import fc from 'fast-check';
import { assertConvergence, type KitReplica } from '@rumor/testkit';
import { createStackDissemination } from '@rumor/replica';
import { electionCallbacks } from '../src/election.js';
import { emptyElection, joinData, toData, type ElectionData } from '../src/state.js';

type Op = { kind: 'campaign'; leaseMs: number } | { kind: 'resign' } | { kind: 'claim' };

const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('campaign' as const), leaseMs: fc.integer({ min: 100, max: 10_000 }) }),
  fc.record({ kind: fc.constant('resign' as const) }),
  fc.record({ kind: fc.constant('claim' as const) }),
);

it('the election state converges over the real stack under faults', async () => {
  await assertConvergence<Op>({
    replica: (ctx): KitReplica<Op, Partial<ElectionData>, Partial<ElectionData>> => {
      const state = emptyElection();
      const self = String(ctx.node);
      return {
        callbacks: electionCallbacks(() => state),
        apply(op) {
          // The owner's writes, as createElection makes them (the kit broadcasts the returned delta; the fence
          // claim rides as a delta here, where the app publishes it with broadcastCustom — same join either way).
          let delta: Partial<ElectionData>;
          if (op.kind === 'claim') delta = { fence: { token: state.fence.token + 1, holder: self } };
          else {
            const epoch = (state.candidates.get(self)?.epoch ?? 0) + 1;
            const leaseUntil = op.kind === 'campaign' ? ctx.timers.now() + op.leaseMs : 0;
            delta = { candidates: { [self]: { epoch, leaseUntil } } };
          }
          joinData(state, delta);
          return delta;
        },
        canonical: () => toData(state),
      };
    },
    ops,
    stack: createStackDissemination({
      // Test-speed timings: membership rounds every 2 s, anti-entropy every 2 s.
      stack: { membership: { shuffleIntervalMs: 2_000, reconnectProbability: 0.3 } },
      replica: { antiEntropyIntervalMs: 2_000 },
    }),
    settleMs: 60_000,
    numRuns: 25,
  });
});
