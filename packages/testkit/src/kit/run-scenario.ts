/**
 * Runs one convergence scenario on a fresh simulation: start the cluster, play the schedule (operations, waits,
 * faults), then heal everything — partitions, link faults, crashed nodes restarted — let it settle, and compare the
 * canonical states of all replicas. Deterministic: same scenario, same outcome.
 */
import type { ReplicaCallbacks } from '@rumor/replica';
import { stableStringify } from '../canonical.js';
import { uniformLatency } from '../latency.js';
import type { NodeId } from '../ports.js';
import { createSimulation, type MessageMode, type SimNode, type Simulation } from '../simulation.js';
import type { Dissemination, DisseminationNode } from './dissemination.js';
import type { KitReplica, ReplicaFactory } from './replica.js';
import type { Scenario, Step } from './scenario.js';

/** How scenarios are run. */
export interface RunScenarioOptions<Op> {
  replica: ReplicaFactory<Op>;
  dissemination: Dissemination;
  instance: string;
  /** Virtual time after healing before states are compared. */
  settleMs: number;
  /** Virtual time between two steps. */
  stepGapMs: number;
  messages: MessageMode;
  failureDetectionMs: number;
  /**
   * Strong eventual consistency, checked directly: after the run, fresh replicas merge every broadcast delta in
   * several orders (as sent, reversed, shuffled with duplicates) and must agree. Catches merges that are not
   * commutative or idempotent even where anti-entropy happened to paper over them in the cluster.
   */
  checkDeltaOrder: boolean;
}

/** The result of one scenario. */
export interface ScenarioOutcome {
  converged: boolean;
  /** What failed: replicas of the cluster differ, delta orders disagree, or the run threw. */
  failure?: 'diverged' | 'delta-order' | 'error';
  /** With `delta-order`: how many deltas, and the state each order ended in. */
  deltaOrder?: { deltas: number; orders: { label: string; state: string }[] };
  /** Canonical state (stable text) of every node after settling. */
  states: { node: string; state: string }[];
  /** Indices of operation steps skipped because their node was down. */
  skipped: number[];
  /** A callback or the network threw: the run could not finish. */
  error?: unknown;
  /** Simulation events processed and the trace hash (equal for equal runs). */
  events: number;
  traceHash: string;
}

/** The id of the i-th node of a kit cluster. */
export function kitNodeId(i: number): string {
  return `n${i}`;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** Run one scenario (see the module comment). */
export async function runScenario<Op>(scenario: Scenario<Op>, opts: RunScenarioOptions<Op>): Promise<ScenarioOutcome> {
  const sim: Simulation = createSimulation({
    seed: scenario.seed,
    latency: uniformLatency(1, 20),
    messages: opts.messages,
    failureDetectionMs: opts.failureDetectionMs,
    connectTimeoutMs: opts.failureDetectionMs,
  });
  const n = scenario.nodes;
  const nodes: SimNode[] = Array.from({ length: n }, (_, i) => sim.addNode(kitNodeId(i)));
  const addresses = nodes.map((x) => x.address);
  const replicas: KitReplica<Op>[] = [];
  const wired: DisseminationNode[] = [];
  const pending: PromiseLike<unknown>[] = [];
  let async = false;
  const track = (r: unknown) => {
    if (isThenable(r)) {
      async = true;
      pending.push(r);
    }
  };
  const start = (i: number, fresh: boolean) => {
    const node = nodes[i]!;
    if (fresh) replicas[i] = opts.replica({ node: node.id as NodeId, timers: node.timers, random: node.random });
    const cb = replicas[i]!.callbacks as ReplicaCallbacks<unknown, unknown, unknown>;
    wired[i] = opts.dissemination.start(node, cb, { instance: opts.instance, addresses, track });
  };
  const advance = async (ms: number) => {
    const until = sim.now() + ms;
    for (;;) {
      // Once a callback proved async, step one event at a time and await its promises before the next event.
      const r = sim.run({ untilMs: until, maxEvents: async ? 1 : Infinity });
      while (pending.length) await Promise.all(pending.splice(0));
      if (r.reason !== 'maxEvents') return;
    }
  };
  const keep: boolean[] = new Array(n).fill(false);
  const broadcasts: { from: NodeId; delta: unknown }[] = [];
  const skipped: number[] = [];
  const outcome = (converged: boolean, error?: unknown): ScenarioOutcome => ({
    converged,
    states: replicas.map((r, i) => {
      let state: string;
      try {
        state = stableStringify(r.canonical());
      } catch (e) {
        state = `<canonical() threw: ${String(e)}>`;
      }
      return { node: kitNodeId(i), state };
    }),
    skipped,
    ...(error === undefined ? {} : { error }),
    events: sim.stats.events,
    traceHash: sim.traceHash(),
  });

  try {
    for (let i = 0; i < n; i++) start(i, true);
    await advance(200);
    for (let s = 0; s < scenario.steps.length; s++) {
      await play(scenario.steps[s]!, s);
      await advance(opts.stepGapMs);
    }
    // Heal: no cut, no link fault, every node up; then let anti-entropy and full sync do their work.
    sim.heal();
    sim.resetFaults();
    for (let i = 0; i < n; i++) {
      if (!nodes[i]!.alive) {
        sim.restart(kitNodeId(i));
        start(i, !keep[i]);
      }
    }
    await advance(opts.settleMs);
  } catch (err) {
    return { ...outcome(false, err), failure: 'error' };
  }
  const out = outcome(true);
  if (new Set(out.states.map((s) => s.state)).size > 1) return { ...out, converged: false, failure: 'diverged' };
  if (opts.checkDeltaOrder && broadcasts.length >= 2) {
    try {
      const orders = await replayOrders();
      if (new Set(orders.map((o) => o.state)).size > 1) {
        return { ...out, converged: false, failure: 'delta-order', deltaOrder: { deltas: broadcasts.length, orders } };
      }
    } catch (err) {
      return { ...out, converged: false, failure: 'error', error: err };
    }
  }
  return out;

  function copy<T>(x: T): T {
    if (opts.messages === 'reference') return x;
    try {
      return structuredClone(x);
    } catch {
      return x;
    }
  }

  async function replayOrders(): Promise<{ label: string; state: string }[]> {
    const rnd = sim.fork('delta-order');
    const asSent = broadcasts.map((_, i) => i);
    const shuffled = [...asSent];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const withDups = shuffled.flatMap((i) => (rnd.chance(0.25) ? [i, i] : [i]));
    const orders = [
      { label: 'as sent', order: asSent },
      { label: 'reversed', order: [...asSent].reverse() },
      { label: 'shuffled, with duplicates', order: withDups },
    ];
    const scratch = createSimulation({ seed: scenario.seed });
    const result: { label: string; state: string }[] = [];
    for (const [k, o] of orders.entries()) {
      const node = scratch.addNode(`replay-${k}`);
      const r = opts.replica({ node: node.id, timers: node.timers, random: node.random });
      for (const i of o.order) {
        const b = broadcasts[i]!;
        const res = r.callbacks.mergeDelta(opts.instance, copy(b.delta), b.from);
        if (isThenable(res)) await res;
      }
      result.push({ label: o.label, state: stableStringify(r.canonical()) });
    }
    return result;
  }

  async function play(step: Step<Op>, index: number): Promise<void> {
    const id = (k: number) => kitNodeId(k % n);
    switch (step.kind) {
      case 'op': {
        const i = step.node % n;
        if (!nodes[i]!.alive) {
          skipped.push(index);
          return;
        }
        let delta = replicas[i]!.apply(step.op);
        if (isThenable(delta)) delta = await delta;
        if (delta !== undefined) {
          broadcasts.push({ from: nodes[i]!.id, delta: copy(delta) });
          wired[i]!.broadcastUpdate(delta);
        }
        return;
      }
      case 'wait':
        return advance(step.ms);
      case 'loss':
        return sim.setFaults({ loss: step.p });
      case 'duplicate':
        return sim.setFaults({ duplicate: step.p });
      case 'reorder':
        return sim.setFaults({ reorder: step.p, reorderDelayMs: 200 });
      case 'latency':
        for (const other of nodes) {
          if (other.id !== id(step.node)) sim.setLink(id(step.node), other.id, { latency: uniformLatency(1, step.maxMs) }, { both: true });
        }
        return;
      case 'partition': {
        const side = nodes.filter((_, i) => (step.mask >> i) & 1).map((x) => x.id);
        if (side.length > 0 && side.length < n) sim.partition(side, undefined, { oneWay: step.oneWay });
        return;
      }
      case 'heal':
        return sim.heal();
      case 'crash': {
        const i = step.node % n;
        if (nodes[i]!.alive) {
          keep[i] = step.keepState;
          sim.crash(id(i), { keepState: step.keepState });
        }
        return;
      }
      case 'restart': {
        const i = step.node % n;
        if (!nodes[i]!.alive) {
          sim.restart(id(i));
          start(i, !keep[i]);
        }
        return;
      }
      case 'clock':
        sim.stepClock(id(step.node), step.stepMs);
        sim.setClockDrift(id(step.node), step.driftPpm);
        return;
    }
  }
}
