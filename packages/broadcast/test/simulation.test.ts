/**
 * Plumtree in the simulator, over real HyParView membership and the testkit's simulated carrier: loss,
 * duplication, reordering, partitions and churn (crash + restart with fresh state). After the network heals,
 * every correct node (never crashed) delivers every broadcast of a correct origin, and every broadcast any
 * correct node delivered (agreement), exactly once. Replay a failure with the printed `SEED=<n> npx vitest run …`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '@rumor/broadcast';
import { checkOverlay, createSimulation, replayCommand, simulationSeed, uniformLatency, withSeed } from '@rumor/testkit';
import { buildStack, buildStackNode, contacts, type StackNode } from './support/stack.js';

type Step =
  | { kind: 'broadcast'; node: number; tag: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'crash'; node: number; downMs: number }
  | { kind: 'partition'; nodes: number[]; ms: number };

interface Scenario {
  nodes: number;
  loss: number;
  duplicate: number;
  reorder: number;
  steps: Step[];
}

const TAGS = ['alpha', 'beta', 'gamma'];
// The anti-entropy window must outlast the longest time a node can be cut off, membership's repair included
// (docs/broadcast.md, "Repair under loss"); the check waits up to SETTLE_MS for the overlay to be one piece.
const SETTLE_MS = 120_000;
const PLUMTREE = { antiEntropyWindowMs: SETTLE_MS + 30_000, antiEntropyIntervalMs: 1000 };
const MEMBERSHIP = { shuffleIntervalMs: 2000, requestTimeoutMs: 1000, joinRetryMs: 500 };

/** Runs a scenario and returns the violations of the delivery property (empty when it holds). */
function runScenario(seed: number, sc: Scenario): string[] {
  const sim = createSimulation({ seed, latency: uniformLatency(5, 40), failureDetectionMs: 1000, connectTimeoutMs: 1000 });
  // delivered[node][incarnation] = id -> count
  const delivered = new Map<string, Map<number, Map<string, number>>>();
  const violations: string[] = [];
  const onDeliver = (node: StackNode, tag: string, payload: Uint8Array, meta: { id: string; origin: NodeId }) => {
    let byInc = delivered.get(node.id);
    if (!byInc) delivered.set(node.id, (byInc = new Map()));
    let ids = byInc.get(node.incarnation);
    if (!ids) byInc.set(node.incarnation, (ids = new Map()));
    const count = (ids.get(meta.id) ?? 0) + 1;
    ids.set(meta.id, count);
    if (count > 1) violations.push(`${node.id} delivered ${meta.id} ${count} times`);
    const expected = sent.get(meta.id);
    if (expected === undefined) violations.push(`${node.id} delivered unknown id ${meta.id}`);
    else if (expected.tag !== tag || expected.payload[0] !== payload[0] || expected.payload.length !== payload.length) {
      violations.push(`${node.id} delivered ${meta.id} with a different tag or payload`);
    }
  };
  const sent = new Map<string, { origin: string; tag: string; payload: Uint8Array }>();
  const nodes = buildStack(sim, sc.nodes, { plumtree: PLUMTREE, membership: MEMBERSHIP }, onDeliver);
  sim.run({ forMs: 10_000, maxEvents: 2_000_000 });
  sim.setFaults({ loss: sc.loss, duplicate: sc.duplicate, reorder: sc.reorder });
  const crashed = new Set<string>();
  let counter = 0;
  for (const step of sc.steps) {
    if (step.kind === 'wait') sim.run({ forMs: step.ms, maxEvents: 2_000_000 });
    else if (step.kind === 'broadcast') {
      const node = nodes[step.node % nodes.length] as StackNode;
      if (!node.sim.alive) continue;
      const payload = new Uint8Array([counter++ & 255, step.tag]);
      const tag = TAGS[step.tag % TAGS.length] as string;
      const id = node.pt.broadcast(tag, payload);
      sent.set(id, { origin: node.id, tag, payload });
    } else if (step.kind === 'crash') {
      const i = step.node % nodes.length;
      const node = nodes[i] as StackNode;
      if (!node.sim.alive || i === 0) continue;
      crashed.add(node.id);
      sim.crash(node.id);
      sim.timers.setTimer(step.downMs, () => {
        const fresh = buildStackNode(sim.restart(node.id), node.incarnation + 1, { plumtree: PLUMTREE, membership: MEMBERSHIP }, onDeliver);
        nodes[i] = fresh;
        fresh.hv.join(contacts(nodes, i, sim));
      });
    } else {
      const side = [...new Set(step.nodes.map((k) => `n${k % nodes.length}`))];
      const cut = sim.partition(side);
      sim.timers.setTimer(step.ms, () => cut.heal());
    }
  }
  // Heal: no more faults; give membership and the repair paths time to finish.
  sim.run({ forMs: 5000, maxEvents: 2_000_000 });
  sim.heal();
  sim.resetFaults();
  // Membership must make the overlay one connected piece again; then broadcast repair gets 10 s.
  const live = () => nodes.filter((n) => n.sim.alive);
  const connected = () => checkOverlay({ nodes: live().map((n) => n.id), activeView: (id) => (nodes.find((n) => n.id === id) as StackNode).hv.activeView(), symmetric: false }).components === 1;
  const deadline = sim.now() + SETTLE_MS;
  do sim.run({ forMs: 1000, maxEvents: 2_000_000 });
  while (!connected() && sim.now() < deadline);
  if (!connected()) violations.push(`overlay still partitioned ${SETTLE_MS} ms after the heal (membership)`);
  sim.run({ forMs: 10_000, maxEvents: 2_000_000 });

  const correct = nodes.filter((n) => !crashed.has(n.id));
  const deliveredByCorrect = new Set<string>();
  for (const n of correct) for (const id of delivered.get(n.id)?.get(0)?.keys() ?? []) deliveredByCorrect.add(id);
  const required = [...sent].filter(([id, s]) => !crashed.has(s.origin) || deliveredByCorrect.has(id)).map(([id]) => id);
  for (const n of correct) {
    const got = delivered.get(n.id)?.get(0) ?? new Map<string, number>();
    const missing = required.filter((id) => !got.has(id) && sent.get(id)?.origin !== n.id);
    if (missing.length > 0) violations.push(`${n.id} never delivered ${missing.length}/${required.length}: ${missing.slice(0, 5).join(', ')}`);
    const own = [...got.keys()].filter((id) => sent.get(id)?.origin === n.id);
    if (own.length > 0) violations.push(`${n.id} delivered its own message ${own[0]}`);
  }
  if (process.env.PT_DEBUG && violations.length) {
    const agg: Record<string, number> = {};
    for (const n of nodes) {
      const st = n.pt.stats() as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(st)) if (typeof v === 'number') agg[k] = (agg[k] ?? 0) + v;
      for (const [k, v] of Object.entries(st.rejected as Record<string, number>)) agg[k] = (agg[k] ?? 0) + v;
      for (const [k, v] of Object.entries(st.dropped as Record<string, number>)) agg['dropped.' + k] = (agg['dropped.' + k] ?? 0) + v;
    }
    console.log(JSON.stringify(agg), JSON.stringify(sim.stats), nodes.map((n) => n.hv.activeView().length).join(','));
    for (const n of nodes) { const st = n.pt.stats(); console.log(n.id, 'eager', st.eager.join(' '), 'lazy', st.lazy.join(' '), 'hv', n.hv.activeView().join(' '), 'missing', st.missing, 'sent', JSON.stringify(st.sent), 'recv', JSON.stringify(st.received), 'rej', JSON.stringify(st.rejected)); }
  }
  for (const n of nodes) n.pt.close();
  return violations;
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('broadcast' as const), node: fc.nat(63), tag: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(63), downMs: fc.integer({ min: 100, max: 8000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), nodes: fc.array(fc.nat(63), { minLength: 1, maxLength: 4 }), ms: fc.integer({ min: 100, max: 4000 }) }) },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  nodes: fc.integer({ min: 4, max: 14 }),
  loss: fc.double({ min: 0, max: 0.2, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30 }),
});

describe('Plumtree over HyParView in the simulator', () => {
  it('delivers every broadcast to every node exactly once under loss, duplication and reordering', async () => {
    await withSeed((seed) => {
      const steps: Step[] = [];
      for (let k = 0; k < 40; k++) steps.push({ kind: 'broadcast', node: k * 7, tag: k % 3 }, { kind: 'wait', ms: 50 + ((k * 37) % 400) });
      const v = runScenario(seed, { nodes: 16, loss: 0.1, duplicate: 0.1, reorder: 0.2, steps });
      expect(v).toEqual([]);
    }, { seed: 1 });
  });

  it('delivers to every correct node after churn and partitions heal', async () => {
    await withSeed((seed) => {
      const steps: Step[] = [
        { kind: 'broadcast', node: 1, tag: 0 },
        { kind: 'crash', node: 3, downMs: 3000 },
        { kind: 'partition', nodes: [4, 5, 6], ms: 3000 },
        { kind: 'broadcast', node: 2, tag: 1 },
        { kind: 'broadcast', node: 5, tag: 2 },
        { kind: 'wait', ms: 1000 },
        { kind: 'crash', node: 7, downMs: 500 },
        { kind: 'broadcast', node: 8, tag: 0 },
        { kind: 'wait', ms: 4000 },
        { kind: 'broadcast', node: 3, tag: 1 },
      ];
      expect(runScenario(seed, { nodes: 12, loss: 0.05, duplicate: 0.05, reorder: 0.1, steps })).toEqual([]);
    }, { seed: 2 });
  });

  it('holds for arbitrary schedules of broadcasts, loss, duplication, reordering, crashes and partitions', () => {
    const seed = simulationSeed();
    try {
      fc.assert(
        fc.property(fc.nat(1_000_000), scenarioArb, (simSeed, sc) => {
          if (process.env.PT_DEBUG) console.log('scenario', simSeed, JSON.stringify(sc));
          const v = runScenario(simSeed, sc);
          if (v.length > 0) throw new Error(v.join('\n'));
        }),
        { seed, numRuns: 50, endOnFailure: !!process.env.PT_DEBUG, interruptAfterTimeLimit: 40_000 },
      );
    } catch (err) {
      console.error(`replay: ${replayCommand(seed)}`);
      throw err;
    }
  });
});
