/**
 * The whole user journey in one deterministic run: three nodes on the testkit's simulated network, each with the
 * real stack (HyParView + Plumtree + the replica driver) and an election on it. A leader is elected and fences a
 * store; it crashes; its successor takes over with a higher token and the deposed leader's stale write is refused;
 * it restarts, catches up by pulling on start, and campaigns again.
 */
import { createSimulation } from '@rumor/testkit';
import { createStack, type Stack } from '@rumor/replica';
import { createElection, type Election } from './election.js';
import { createFencedStore } from './fenced-store.js';

/** What the demo observed, step by step. */
export interface DemoResult {
  log: string[];
  /** Leader and token as every live node saw them after each phase. */
  phases: { phase: string; views: Record<string, { leader: string | undefined; fence: number }> }[];
  /** Outcome of the deposed leader's write with its old token. */
  staleWriteAccepted: boolean;
  finalStoreValue: string | undefined;
}

/** Run the demo with a seed; returns the log and what each node saw. */
export function runDemo(seed = 1): DemoResult {
  const sim = createSimulation({ seed });
  const log: string[] = [];
  const say = (line: string): void => void log.push(`[${(sim.now() / 1000).toFixed(1)} s] ${line}`);
  const store = createFencedStore();
  const stacks = new Map<string, Stack>();
  const elections = new Map<string, Election>();
  const phases: DemoResult['phases'] = [];

  function boot(id: string, campaign: boolean): void {
    const node = sim.node(id);
    // Each node has the stack; n0 and n1 are the seeds everyone joins through.
    const stack = createStack({ carrier: node.carrier, timers: node.timers, random: node.random });
    stack.join(['sim://n0', 'sim://n1'].filter((a) => a !== node.address));
    const election = createElection({
      replicas: stack.replicas,
      name: 'leader',
      self: id,
      timers: node.timers,
      antiEntropyIntervalMs: 5_000,
      onLeadership: (token) => say(token === undefined ? `${id} is no longer the leader` : `${id} leads with fencing token ${token}`),
    });
    if (campaign) election.campaign();
    stacks.set(id, stack);
    elections.set(id, election);
  }

  function snapshot(phase: string): void {
    const views: DemoResult['phases'][number]['views'] = {};
    for (const [id, e] of elections) if (sim.node(id).alive) views[id] = { leader: e.leader(), fence: e.data().fence.token };
    phases.push({ phase, views });
    say(`${phase}: ${Object.entries(views).map(([id, v]) => `${id} sees ${v.leader ?? 'nobody'} (token ${v.fence})`).join(', ')}`);
  }

  for (const id of ['n0', 'n1', 'n2']) sim.addNode(id);
  for (const id of ['n0', 'n1', 'n2']) boot(id, true);
  sim.run({ forMs: 5_000 });
  snapshot('elected');

  const first = elections.get('n0')!;
  const oldToken = first.token()!;
  store.write(oldToken, 'written by n0');
  say(`n0 writes to the fenced store with token ${oldToken}`);

  sim.crash('n0');
  say('n0 crashes');
  sim.run({ forMs: 10_000 });
  snapshot('after the crash');
  const next = [...elections].find(([id, e]) => id !== 'n0' && e.token() !== undefined);
  if (next) {
    store.write(next[1].token()!, `written by ${next[0]}`);
    say(`${next[0]} writes to the fenced store with token ${next[1].token()}`);
  }
  const staleWriteAccepted = store.write(oldToken, 'stale write by n0');
  say(`a stale write with n0's old token ${oldToken} is ${staleWriteAccepted ? 'accepted (!)' : 'refused'}`);

  sim.restart('n0');
  boot('n0', false); // fresh process, empty state: it learns the election by pulling on start
  sim.run({ forMs: 3_000 });
  snapshot('n0 restarted, not campaigning');
  elections.get('n0')!.campaign();
  sim.run({ forMs: 5_000 });
  snapshot('n0 campaigns again');

  for (const s of stacks.values()) void s.close();
  return { log, phases, staleWriteAccepted, finalStoreValue: store.value };
}
