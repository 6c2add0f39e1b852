// Your own state under the convergence kit: random clusters, operations and faults; all replicas must agree.
import { it } from 'vitest';
import fc from 'fast-check';
import { assertConvergence, stateReplica } from '@rumor/testkit';
import { applyOp, mergeDelta, type PNCounter, type PNDelta } from '../src/pn-counter.js';

it('the PN-counter converges under any schedule of operations and faults', async () => {
  await assertConvergence({
    replica: stateReplica({
      init: (): PNCounter => new Map(),
      apply: (state, op: { by: number }, ctx) => applyOp(state, ctx.node, op),
      merge: (state, delta: PNDelta) => mergeDelta(state, delta),
      snapshot: (state) => [...state].map(([node, t]) => ({ node, ...t })),
      mergeSnapshot: (state, all: PNDelta[]) => all.forEach((d) => mergeDelta(state, d)),
    }),
    ops: fc.record({ by: fc.integer({ min: -5, max: 5 }) }),
  });
});
