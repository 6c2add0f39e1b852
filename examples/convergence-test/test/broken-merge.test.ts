// A deliberately broken state: a register that keeps the last value it received. Its merge is not commutative —
// two nodes that write concurrently each end with the other's value — and the kit must catch it and shrink the
// failure to a tiny, readable schedule.
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { checkConvergence, stateReplica } from '@rumor/testkit';

const lastReceivedWins = stateReplica({
  init: () => ({ value: null as string | null }),
  apply: (state, op: string) => ((state.value = op), op),
  merge: (state, delta: string) => void (state.value = delta), // wrong: order-dependent overwrite
  snapshot: (state) => state.value,
  mergeSnapshot: (state, snapshot: string | null) => void (snapshot !== null && (state.value = snapshot)),
  canonical: (state) => state.value,
});

it('the kit catches the last-received-wins register and shrinks it to a small counterexample', async () => {
  const result = await checkConvergence({
    replica: lastReceivedWins,
    ops: fc.constantFrom('red', 'green', 'blue'),
    // Anti-entropy overwrites one side with the other and can make the cluster agree by luck; the kit also merges
    // the same deltas in different orders on fresh replicas, which exposes the order dependence every time.
    numRuns: 200,
  });
  expect(result.ok).toBe(false);
  if (result.ok) return;
  const { scenario } = result.counterexample;
  console.log(result.report);
  expect(scenario.nodes).toBeLessThanOrEqual(3);
  expect(scenario.steps.length).toBeLessThanOrEqual(6);
  expect(result.report).toContain('Replicas after settling:');
});
