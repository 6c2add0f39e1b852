/**
 * Maelstrom's workloads (jepsen-io/maelstrom `doc/workloads.md`) on Rumor's replica driver: `broadcast`
 * (`topology`, `broadcast`, `read` → `messages`), `g-set` (`add` an `element`, `read` → `value` list), `g-counter`
 * and `pn-counter` (`add` a `delta`, `read` → `value`), plus `echo`.
 *
 * Each workload's state is a CRDT held by one replica instance (callbacks `mergeDelta` / `applyFullSync` /
 * `fullSyncSnapshot`, full-state anti-entropy on), so Plumtree gossips the deltas, full sync runs on `peer up` and
 * periodic anti-entropy repairs what a partition dropped — the same paths a WebSocket deployment uses. A write is
 * applied locally before it is acknowledged; its delta is gossiped after `deltaBatchMs` (writes in the window
 * travel as one broadcast).
 *
 * `read` means different things in `broadcast`, `g-set` and the counters, and Maelstrom does not say which
 * workload runs. With `workload: 'auto'` the node runs the three instances until it learns the workload — from a
 * request (`topology`/`broadcast`; `add` with `element` or with `delta`) or from state a peer replicated — then
 * closes the other two. A `read` before that is refused with error 11 (temporarily unavailable: definite, so
 * Maelstrom counts it as a failed read, not a wrong one).
 */
import type { Replica, ReplicaDriver, ReplicaCallbacks, Logger, Timers } from '@rumor/replica';
import { ErrorCode, type ErrorCodeValue, type MaelstromBody } from './protocol.js';
import { createGSet, isJsonValue, validateValues, DEFAULT_GSET_LIMITS, type GSet, type GSetLimits } from './gset.js';
import { createPnCounter, validateEntries, DEFAULT_COUNTER_LIMITS, type CounterEntry, type CounterLimits, type PnCounter } from './pn-counter.js';

/** The workloads a node can serve. */
export type WorkloadName = 'broadcast' | 'g-set' | 'g-counter' | 'pn-counter';

/** A fixed workload, or `auto`: learn it from the first request or replicated state that tells. */
export type WorkloadMode = 'auto' | WorkloadName;

/** What a state kind is: the broadcast set, the g-set, or the counter (g- and pn- share it). */
type Kind = 'broadcast' | 'g-set' | 'counter';

/** Tunables of the workloads. */
export interface WorkloadsInit {
  /** Default `auto`. */
  workload?: WorkloadMode;
  /** Writes within this window are gossiped as one delta; 0 = the writes of one event-loop turn. Default 0. */
  deltaBatchMs?: number;
  /** Most values gossiped in one set delta (bounded well under Plumtree's payload bound). Default 4 096. */
  deltaValuesMax?: number;
  /** Period of each instance's full-state anti-entropy; 0 disables it. Default 2 000. */
  antiEntropyIntervalMs?: number;
  /** Bounds on set values from clients and peers. */
  setLimits?: Partial<GSetLimits>;
  /** Bounds on counter entries from peers. */
  counterLimits?: Partial<CounterLimits>;
}

/** Defaults of {@link WorkloadsInit}. */
export const WORKLOADS_DEFAULTS = Object.freeze({
  workload: 'auto' as WorkloadMode,
  deltaBatchMs: 0,
  deltaValuesMax: 4_096,
  antiEntropyIntervalMs: 2_000,
});

/** What the workloads need from the node. */
export interface WorkloadsComponents {
  self: string;
  replicas: ReplicaDriver;
  timers: Timers;
  log?: Logger;
}

/** A reply to a client request: the body fields (without `type`'s `_ok` bookkeeping), or a Maelstrom error. */
export type WorkloadReply = { ok: true; body: Record<string, unknown> } | { ok: false; code: ErrorCodeValue; text: string };

/** Counters of the workloads. */
export interface WorkloadsStats {
  workload: WorkloadName | 'counter' | undefined;
  requests: Record<string, number>;
  errors: Record<string, number>;
  deltasSent: number;
  setSize: number;
  counterValue: number;
}

/** The workload side of a node. */
export interface Workloads {
  /** Serve one client request; never throws. */
  handle(body: MaelstromBody): WorkloadReply;
  /** The workload this node serves, once known (`counter` when it is not known whether g- or pn-). */
  current(): WorkloadName | 'counter' | undefined;
  stats(): WorkloadsStats;
  close(): void;
}

interface SetState {
  kind: 'broadcast' | 'g-set';
  set: GSet;
  pending: unknown[];
  replica: Replica<unknown[]> | undefined;
  cancelFlush: (() => void) | undefined;
}

interface CounterState {
  counter: PnCounter;
  pending: CounterEntry | undefined;
  replica: Replica<CounterEntry[]> | undefined;
  cancelFlush: (() => void) | undefined;
}

const INSTANCE: Record<Kind, string> = { broadcast: 'broadcast', 'g-set': 'g-set', counter: 'counter' };

/** Create the workloads of one node and start their replica instances. */
export function createWorkloads(init: WorkloadsInit, components: WorkloadsComponents): Workloads {
  const mode = init.workload ?? WORKLOADS_DEFAULTS.workload;
  const deltaBatchMs = init.deltaBatchMs ?? WORKLOADS_DEFAULTS.deltaBatchMs;
  const deltaValuesMax = init.deltaValuesMax ?? WORKLOADS_DEFAULTS.deltaValuesMax;
  const antiEntropyIntervalMs = init.antiEntropyIntervalMs ?? WORKLOADS_DEFAULTS.antiEntropyIntervalMs;
  const setLimits: GSetLimits = { ...DEFAULT_GSET_LIMITS, ...init.setLimits };
  const counterLimits: CounterLimits = { ...DEFAULT_COUNTER_LIMITS, ...init.counterLimits };
  const { self, replicas, timers, log } = components;
  const requests: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let deltasSent = 0;
  let closed = false;

  /** The kind this node serves, once known. */
  let known: Kind | undefined = mode === 'auto' ? undefined : mode === 'broadcast' || mode === 'g-set' ? mode : 'counter';
  const sets: Partial<Record<'broadcast' | 'g-set', SetState>> = {};
  let counter: CounterState | undefined;

  /** Fix the workload; in auto mode the instances of the other kinds stop (their timers cost messages). */
  function learn(kind: Kind): void {
    if (known !== undefined || closed) return;
    known = kind;
    log?.debug?.('maelstrom: workload learned', { kind });
    for (const k of ['broadcast', 'g-set'] as const) {
      if (k !== kind && sets[k] !== undefined) {
        sets[k]!.cancelFlush?.();
        sets[k]!.replica?.close();
        delete sets[k];
      }
    }
    if (kind !== 'counter' && counter !== undefined) {
      counter.cancelFlush?.();
      counter.replica?.close();
      counter = undefined;
    }
  }

  function startSet(kind: 'broadcast' | 'g-set'): void {
    const state: SetState = { kind, set: createGSet(), pending: [], replica: undefined, cancelFlush: undefined };
    const merge = (values: unknown[]) => {
      if (sets[kind] !== state) return;
      if (state.set.merge(values) > 0) learn(kind);
    };
    const callbacks: ReplicaCallbacks<unknown[], unknown[]> = {
      mergeDelta: (_name, delta) => merge(delta),
      applyFullSync: (_name, snapshot) => merge(snapshot),
      fullSyncSnapshot: () => (state.set.size > 0 ? state.set.values() : undefined),
      removeNode: () => {},
      antiEntropy: antiEntropyIntervalMs > 0,
    };
    sets[kind] = state;
    const validate = (value: unknown) => validateValues(value, setLimits);
    state.replica = replicas.createReplica<unknown[], unknown[]>({
      name: INSTANCE[kind],
      callbacks,
      validate: { delta: validate, snapshot: validate },
      antiEntropyIntervalMs,
    });
  }

  function startCounter(): void {
    const state: CounterState = { counter: createPnCounter(), pending: undefined, replica: undefined, cancelFlush: undefined };
    const merge = (entries: CounterEntry[]) => {
      if (counter !== state) return;
      if (state.counter.merge(entries) > 0) learn('counter');
    };
    const callbacks: ReplicaCallbacks<CounterEntry[], CounterEntry[]> = {
      mergeDelta: (_name, delta) => merge(delta),
      applyFullSync: (_name, snapshot) => merge(snapshot),
      fullSyncSnapshot: () => (state.counter.writers > 0 ? state.counter.entries() : undefined),
      removeNode: () => {},
      antiEntropy: antiEntropyIntervalMs > 0,
    };
    counter = state;
    const validate = (value: unknown) => validateEntries(value, counterLimits);
    state.replica = replicas.createReplica<CounterEntry[], CounterEntry[]>({
      name: INSTANCE.counter,
      callbacks,
      validate: { delta: validate, snapshot: validate },
      antiEntropyIntervalMs,
    });
  }

  if (known === undefined || known === 'broadcast') startSet('broadcast');
  if (known === undefined || known === 'g-set') startSet('g-set');
  if (known === undefined || known === 'counter') startCounter();

  function gossip(replica: Replica<any> | undefined, delta: unknown): void {
    if (replica === undefined || closed) return;
    try {
      replica.broadcastUpdate(delta);
      deltasSent++;
    } catch (e) {
      // The write is applied locally and acknowledged; anti-entropy carries it if this gossip could not go out.
      log?.warn?.('maelstrom: gossip failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  function flushSet(state: SetState): void {
    state.cancelFlush = undefined;
    const pending = state.pending;
    state.pending = [];
    for (let i = 0; i < pending.length; i += deltaValuesMax) gossip(state.replica, pending.slice(i, i + deltaValuesMax));
  }

  function flushCounter(state: CounterState): void {
    state.cancelFlush = undefined;
    const entry = state.pending;
    state.pending = undefined;
    if (entry !== undefined) gossip(state.replica, [entry]);
  }

  function addToSet(kind: 'broadcast' | 'g-set', value: unknown): void {
    learn(kind);
    const state = sets[kind]!;
    if (!state.set.add(value)) return;
    state.pending.push(value);
    state.cancelFlush ??= timers.setTimer(deltaBatchMs, () => flushSet(state));
  }

  const fail = (code: ErrorCodeValue, text: string): WorkloadReply => ({ ok: false, code, text });
  const ok = (body: Record<string, unknown>): WorkloadReply => ({ ok: true, body });
  const serves = (kind: Kind) => known === undefined || known === kind;

  function checkValue(value: unknown): string | undefined {
    if (!isJsonValue(value, setLimits.depthMax)) return `value must be JSON data nested at most ${setLimits.depthMax} deep`;
    if (typeof value === 'object' && value !== null && JSON.stringify(value).length > setLimits.valueCharsMax) return `value exceeds ${setLimits.valueCharsMax} characters`;
    return undefined;
  }

  function onTopology(): WorkloadReply {
    if (!serves('broadcast')) return fail(ErrorCode.notSupported, `this node serves the ${known} workload`);
    // Maelstrom suggests a grid; HyParView builds and repairs its own overlay, so the suggestion is not used.
    learn('broadcast');
    return ok({ type: 'topology_ok' });
  }

  function onBroadcast(body: MaelstromBody): WorkloadReply {
    if (!serves('broadcast')) return fail(ErrorCode.notSupported, `this node serves the ${known} workload`);
    if (!('message' in body)) return fail(ErrorCode.malformedRequest, 'broadcast needs a message');
    const bad = checkValue(body.message);
    if (bad !== undefined) return fail(ErrorCode.malformedRequest, bad);
    addToSet('broadcast', body.message);
    return ok({ type: 'broadcast_ok' });
  }

  function onAdd(body: MaelstromBody): WorkloadReply {
    if ('element' in body) {
      if (!serves('g-set')) return fail(ErrorCode.notSupported, `this node serves the ${known} workload`);
      const bad = checkValue(body.element);
      if (bad !== undefined) return fail(ErrorCode.malformedRequest, bad);
      addToSet('g-set', body.element);
      return ok({ type: 'add_ok' });
    }
    if ('delta' in body) {
      if (!serves('counter')) return fail(ErrorCode.notSupported, `this node serves the ${known} workload`);
      const delta = body.delta;
      if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) return fail(ErrorCode.malformedRequest, 'delta must be a safe integer');
      if (delta < 0 && mode === 'g-counter') return fail(ErrorCode.malformedRequest, 'a g-counter only grows: delta must be >= 0');
      learn('counter');
      const state = counter!;
      if (delta === 0) return ok({ type: 'add_ok' });
      const entry = state.counter.add(self, delta);
      if (entry === undefined) return fail(ErrorCode.malformedRequest, 'the counter would leave the safe integers');
      state.pending = entry;
      state.cancelFlush ??= timers.setTimer(deltaBatchMs, () => flushCounter(state));
      return ok({ type: 'add_ok' });
    }
    return fail(ErrorCode.malformedRequest, 'add needs an element (g-set) or a delta (counters)');
  }

  function onRead(): WorkloadReply {
    switch (known) {
      case 'broadcast':
        return ok({ type: 'read_ok', messages: sets.broadcast!.set.values() });
      case 'g-set':
        return ok({ type: 'read_ok', value: sets['g-set']!.set.values() });
      case 'counter':
        return ok({ type: 'read_ok', value: counter!.counter.value() });
      default:
        return fail(ErrorCode.temporarilyUnavailable, 'the workload is not known yet (start the node with --workload to fix it)');
    }
  }

  function dispatch(body: MaelstromBody): WorkloadReply {
    switch (body.type) {
      case 'echo':
        return ok({ type: 'echo_ok', echo: body.echo });
      case 'topology':
        return onTopology();
      case 'broadcast':
        return onBroadcast(body);
      case 'add':
        return onAdd(body);
      case 'read':
        return onRead();
      default:
        return fail(ErrorCode.notSupported, `unsupported request type`);
    }
  }

  return {
    handle(body) {
      if (closed) return fail(ErrorCode.temporarilyUnavailable, 'node is shutting down');
      const reply = dispatch(body);
      const key = ['echo', 'topology', 'broadcast', 'add', 'read'].includes(body.type) ? body.type : 'other';
      if (reply.ok) requests[key] = (requests[key] ?? 0) + 1;
      else errors[String(reply.code)] = (errors[String(reply.code)] ?? 0) + 1;
      return reply;
    },
    current: () => (known === 'counter' ? (mode === 'g-counter' || mode === 'pn-counter' ? mode : 'counter') : known),
    stats: () => ({
      workload: known === 'counter' ? (mode === 'g-counter' || mode === 'pn-counter' ? mode : 'counter') : known,
      requests: { ...requests },
      errors: { ...errors },
      deltasSent,
      setSize: (known === 'g-set' ? sets['g-set'] : sets.broadcast)?.set.size ?? 0,
      counterValue: counter?.counter.value() ?? 0,
    }),
    close() {
      if (closed) return;
      closed = true;
      for (const s of Object.values(sets)) s?.cancelFlush?.();
      counter?.cancelFlush?.();
    },
  };
}
