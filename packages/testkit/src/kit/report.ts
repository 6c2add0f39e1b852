/**
 * Readable reports of convergence failures: the cluster, the (shrunk) schedule step by step, and the state of
 * every replica after settling, plus the command that replays the run.
 */
import { stableStringify } from '../canonical.js';
import type { Scenario, Step } from './scenario.js';
import { kitNodeId, type ScenarioOutcome } from './run-scenario.js';

function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** One step as a line of text. */
export function describeStep<Op>(step: Step<Op>, nodes: number): string {
  const id = (k: number) => kitNodeId(k % nodes);
  switch (step.kind) {
    case 'op':
      return `${id(step.node)}: op ${clip(stableStringify(step.op))}`;
    case 'wait':
      return `wait ${step.ms} ms`;
    case 'loss':
      return `fault: lose ${step.p * 100} % of messages`;
    case 'duplicate':
      return `fault: duplicate ${step.p * 100} % of messages`;
    case 'reorder':
      return `fault: reorder ${step.p * 100} % of messages`;
    case 'latency':
      return `fault: links of ${id(step.node)} take 1–${step.maxMs} ms`;
    case 'partition': {
      const side = Array.from({ length: nodes }, (_, i) => i).filter((i) => (step.mask >> i) & 1);
      if (side.length === 0 || side.length === nodes) return `fault: partition (no-op: one side empty)`;
      const other = Array.from({ length: nodes }, (_, i) => i).filter((i) => !((step.mask >> i) & 1));
      const names = (xs: number[]) => `{${xs.map(kitNodeId).join(', ')}}`;
      return `fault: partition ${names(side)} ${step.oneWay ? '→ (one way)' : '|'} ${names(other)}`;
    }
    case 'heal':
      return 'heal partitions';
    case 'crash':
      return `fault: crash ${id(step.node)} (${step.keepState ? 'state kept' : 'state lost'})`;
    case 'restart':
      return `restart ${id(step.node)}`;
    case 'clock':
      return `fault: clock of ${id(step.node)} steps ${step.stepMs} ms, drifts ${step.driftPpm} ppm`;
  }
}

/** The full report of a failing scenario. */
export function formatReport<Op>(input: {
  headline: string;
  replay: string;
  scenario: Scenario<Op>;
  outcome: ScenarioOutcome;
  stack: string;
  settleMs: number;
}): string {
  const { scenario, outcome } = input;
  const lines = [
    input.headline,
    `Replay: ${input.replay}`,
    `Cluster: ${scenario.nodes} nodes (${Array.from({ length: scenario.nodes }, (_, i) => kitNodeId(i)).join(', ')}), simulation seed ${scenario.seed}, stack ${input.stack}`,
    `Schedule (${scenario.steps.length} steps):`,
    ...scenario.steps.map((s, i) => `  ${i + 1}. ${describeStep(s, scenario.nodes)}${outcome.skipped.includes(i) ? '  (skipped: node down)' : ''}`),
    `  then: heal partitions and link faults, restart crashed nodes, settle ${input.settleMs} ms`,
  ];
  if (outcome.error !== undefined) {
    const e = outcome.error;
    lines.push(`Error during the run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  lines.push('Replicas after settling:', ...outcome.states.map((s) => `  ${s.node}: ${clip(s.state, 400)}`));
  if (outcome.deltaOrder) {
    lines.push(
      `Fresh replicas merging the ${outcome.deltaOrder.deltas} broadcast deltas in different orders:`,
      ...outcome.deltaOrder.orders.map((o) => `  ${o.label}: ${clip(o.state, 400)}`),
    );
  }
  return lines.join('\n');
}
