/**
 * One replica instance: the handlers of design §5 for one name — gossip of deltas and custom payloads, full sync
 * pushed on `peer up` and pulled on start, chunked transfers, periodic anti-entropy (full-state pull or digest
 * exchange), `removeNode` on `peer down`.
 *
 * Trust: every payload that reaches a callback went through the instance's validator first (or is the default
 * accept of a value that passed the codec and the message shape checks). Callbacks run on the instance's serial
 * queue, so they never interleave; their failures are contained and reported. Nothing a peer sends can throw out of
 * a handler.
 */
import type { AntiEntropyHooks, AntiEntropyStep, NodeId, PeerDownReason, ReplicaCallbacks } from './callbacks.js';
import type { CallbackName, Codec, ErrorInfo, Random, Result, SendResult, Timers } from './ports.js';
import type { AeDigestBody, AeStepBody, GossipMessage, TransferKind } from './messages.js';
import type { TransferOut } from './transfer-out.js';
import type { SerialQueue } from './serial.js';
import { DirectType, gossipTuple } from './messages.js';
import { createSerialQueue } from './serial.js';
import { createAeSessions, jitteredDelay, pickOne } from './anti-entropy.js';
import { ReplicaError, ReplicaErrorCode, describeThrown } from './errors.js';

/** Checks a payload from a peer and returns the value handed to the callback (possibly filtered). */
export type Validator<T> = (value: unknown, from: NodeId) => Result<T>;

/** The instance's validators; each defaults to accepting the decoded value as is. */
export interface ReplicaValidators<Delta = unknown, Snapshot = unknown, Custom = unknown> {
  /** Deltas from broadcast and anti-entropy repairs, before `mergeDelta`. */
  delta?: Validator<Delta>;
  /** Full snapshots, before `applyFullSync`. */
  snapshot?: Validator<Snapshot>;
  /** Custom payloads, before `mergeCustom`. */
  custom?: Validator<Custom>;
  /** A peer's digest, before the `compare` hook. */
  digest?: Validator<unknown>;
  /** A peer's `need`, before the `repair` hook. */
  need?: Validator<unknown>;
}

/** Options of one instance; every tunable has a default. */
export interface ReplicaInit<Delta = unknown, Snapshot = unknown, Custom = unknown> {
  /** Instance name and broadcast tag: 1..`nameBytesMax` bytes of UTF-8, unique on the driver. */
  name: string;
  callbacks: ReplicaCallbacks<Delta, Snapshot, Custom>;
  validate?: ReplicaValidators<Delta, Snapshot, Custom>;
  /** Mean anti-entropy period; 0 disables it. Default 30 000. Used only when `callbacks.antiEntropy` is set. */
  antiEntropyIntervalMs?: number;
  /** Jitter of the period as a fraction (±). Default 0.25. */
  antiEntropyJitter?: number;
  /** Rounds one digest exchange may take before the driver falls back to a full-state pull. Default 48. */
  antiEntropyRoundsMax?: number;
  /** A digest exchange idle this long is forgotten. Default 10 000. */
  antiEntropyTimeoutMs?: number;
  /** Digest exchanges open at once (both roles). Default 16. */
  antiEntropySessionsMax?: number;
  /** Pull a full sync from the active view when the instance starts. Default true. */
  pullOnStart?: boolean;
  /** Bytes per `sync` chunk this instance sends. Default: the driver's `chunkBytes`. */
  chunkBytes?: number;
  /** An async callback that has not settled after this long is reported and the queue moves on. Default 60 000. */
  callbackTimeoutMs?: number;
  /** Callback invocations waiting per instance (besides the one running); beyond it a task is dropped and counted. Default 10 000. */
  callbackQueueMax?: number;
}

/** Counters of one instance. */
export interface ReplicaStats {
  name: string;
  deltasSent: number;
  customSent: number;
  deltasMerged: number;
  customMerged: number;
  /** Gossip the broadcast layer handed back to its origin; never given to a callback. */
  ownDeliveriesIgnored: number;
  /** Custom payloads received while `mergeCustom` is not implemented. */
  customIgnored: number;
  syncRequestsSent: number;
  syncRequestsServed: number;
  fullSyncsSent: number;
  fullSyncsApplied: number;
  repairsSent: number;
  repairsApplied: number;
  antiEntropyRounds: number;
  /** Digest exchanges that confirmed equality on the first comparison. */
  antiEntropyEqual: number;
  antiEntropyFallbacks: number;
  antiEntropyTimeouts: number;
  /** Payloads from peers rejected (shape, codec or validator). */
  invalid: number;
  callbackErrors: number;
  /** Tasks refused because the callback queue was full. */
  queueDropped: number;
  /** Callback invocations waiting or running now. */
  queued: number;
  removeNodeCalls: Record<PeerDownReason, number>;
}

/** A running replica instance. */
export interface Replica<Delta = unknown, Custom = unknown> {
  readonly name: string;
  /** Gossip a delta the owner has already applied locally; the origin's `mergeDelta` is not called for it. */
  broadcastUpdate(delta: Delta): void;
  /** Gossip an application payload; peers receive it in `mergeCustom`, the origin does not. */
  broadcastCustom(payload: Custom): void;
  /** Ask every peer in the active view for its full snapshot; returns how many requests went out. */
  pull(): number;
  /** Run one anti-entropy round now with one random peer; returns that peer, or undefined with no peer or no anti-entropy. */
  antiEntropyNow(): NodeId | undefined;
  stats(): ReplicaStats;
  /** Stop: timers cancelled, queued callbacks dropped, outgoing transfers of this instance dropped. */
  close(): void;
}

/** What the driver lends an instance. */
export interface InstanceContext {
  self: NodeId;
  broadcast(tag: string, payload: Uint8Array): unknown;
  send(peer: NodeId, type: string, body: unknown): SendResult;
  timers: Timers;
  random: Random;
  activePeers(): readonly NodeId[];
  codec: Codec;
  transferOut: TransferOut;
  chunkBytes: number;
  reportInvalid(name: string | undefined, from: NodeId, kind: string, error: ErrorInfo): void;
  reportCallbackError(name: string, callback: CallbackName, error: ErrorInfo, cause: unknown): void;
  onClose(name: string): void;
}

/** The driver-facing side of an instance. */
export interface InstanceHandlers {
  replica: Replica<any, any>;
  /** A gossiped message from `from` (its origin); false when it failed validation (broadcast then does not relay it). */
  onGossip(message: GossipMessage, from: NodeId): boolean;
  onPeerUp(peer: NodeId): void;
  onPeerDown(peer: NodeId, reason: PeerDownReason): void;
  onSyncRequest(from: NodeId): void;
  onTransfer(from: NodeId, kind: TransferKind, bytes: Uint8Array): void;
  onAeDigest(from: NodeId, body: AeDigestBody): void;
  onAeStep(from: NodeId, body: AeStepBody): void;
  /** Pull from the active view (unless `pullOnStart: false`) and start the anti-entropy timer. */
  start(): void;
  close(): void;
}

const accept: Validator<any> = (value) => ({ ok: true, value });

/** Create an instance; the driver registers it and routes to its handlers. */
export function createInstance<Delta, Snapshot, Custom>(
  init: ReplicaInit<Delta, Snapshot, Custom>,
  ctx: InstanceContext,
): InstanceHandlers {
  const { name, callbacks } = init;
  const validate = init.validate ?? {};
  const intervalMs = init.antiEntropyIntervalMs ?? 30_000;
  const jitter = init.antiEntropyJitter ?? 0.25;
  const roundsMax = init.antiEntropyRoundsMax ?? 48;
  const chunkBytes = init.chunkBytes ?? ctx.chunkBytes;
  const ae = callbacks.antiEntropy;
  const hooks: AntiEntropyHooks<unknown, unknown, Delta> | undefined = typeof ae === 'object' && ae !== null ? ae : undefined;
  const antiEntropyOn = ae === true || hooks !== undefined;
  let closed = false;
  let cancelTick: (() => void) | undefined;
  let nextSession = 0;
  const pushing = new Set<NodeId>(); // peers with a snapshot being produced, so repeated requests coalesce

  const stats: ReplicaStats = {
    name,
    deltasSent: 0,
    customSent: 0,
    deltasMerged: 0,
    customMerged: 0,
    ownDeliveriesIgnored: 0,
    customIgnored: 0,
    syncRequestsSent: 0,
    syncRequestsServed: 0,
    fullSyncsSent: 0,
    fullSyncsApplied: 0,
    repairsSent: 0,
    repairsApplied: 0,
    antiEntropyRounds: 0,
    antiEntropyEqual: 0,
    antiEntropyFallbacks: 0,
    antiEntropyTimeouts: 0,
    invalid: 0,
    callbackErrors: 0,
    queueDropped: 0,
    queued: 0,
    removeNodeCalls: { failed: 0, left: 0, evicted: 0 },
  };

  const queue: SerialQueue = createSerialQueue({
    timers: ctx.timers,
    timeoutMs: init.callbackTimeoutMs ?? 60_000,
    queueMax: init.callbackQueueMax ?? 10_000,
    onError(callback, error, cause) {
      stats.callbackErrors++;
      ctx.reportCallbackError(name, callback, error, cause);
    },
  });

  const sessions = createAeSessions(
    { sessionsMax: init.antiEntropySessionsMax ?? 16, timeoutMs: init.antiEntropyTimeoutMs ?? 10_000 },
    { timers: ctx.timers, onTimeout: () => void stats.antiEntropyTimeouts++ },
  );

  function run<T>(callback: CallbackName, fn: () => T | Promise<T>, then?: (value: T) => void): void {
    if (closed) return;
    if (!queue.run(callback, fn, then)) stats.queueDropped++;
  }

  function invalid(from: NodeId, kind: string, error: ErrorInfo): void {
    stats.invalid++;
    ctx.reportInvalid(name, from, kind, error);
  }

  /** Run a validator; a throw counts as a rejection. */
  function check<T>(validator: Validator<T> | undefined, value: unknown, from: NodeId, kind: string): Result<T> {
    let r: Result<T>;
    try {
      r = (validator ?? accept)(value, from);
    } catch (e) {
      r = { ok: false, error: describeThrown(ReplicaErrorCode.validatorThrew, e) };
    }
    if (!r.ok) invalid(from, kind, r.error);
    return r;
  }

  function encode(value: unknown, callback: CallbackName): Uint8Array | undefined {
    const r = ctx.codec.encode(value);
    if (r.ok) return r.value;
    stats.callbackErrors++;
    ctx.reportCallbackError(name, callback, { code: ReplicaErrorCode.unencodable, message: r.error.message }, r.error);
    return undefined;
  }

  function sendTransfer(peer: NodeId, kind: TransferKind, value: unknown, callback: CallbackName): void {
    const bytes = encode(value, callback);
    if (bytes === undefined) return;
    if (ctx.transferOut.start(peer, name, kind, bytes, chunkBytes)) {
      if (kind === 'full') stats.fullSyncsSent++;
      else stats.repairsSent++;
    }
  }

  function pushFull(peer: NodeId): void {
    if (pushing.has(peer)) return;
    pushing.add(peer);
    run(
      'fullSyncSnapshot',
      () => {
        pushing.delete(peer);
        return callbacks.fullSyncSnapshot(name, peer);
      },
      (snapshot) => {
        if (snapshot !== undefined && !closed) sendTransfer(peer, 'full', snapshot, 'fullSyncSnapshot');
      },
    );
    if (closed) pushing.delete(peer);
  }

  function requestSync(peer: NodeId): boolean {
    if (ctx.send(peer, DirectType.syncRequest, { name }) !== 'accepted') return false;
    stats.syncRequestsSent++;
    return true;
  }

  function pullAll(): number {
    let n = 0;
    for (const peer of ctx.activePeers()) if (peer !== ctx.self && requestSync(peer)) n++;
    return n;
  }

  function mergeDelta(delta: unknown, from: NodeId, kind: 'delta' | 'repair'): boolean {
    const r = check(validate.delta, delta, from, kind);
    if (!r.ok) return false;
    run('mergeDelta', () => callbacks.mergeDelta(name, r.value, from), () => {
      if (kind === 'delta') stats.deltasMerged++;
      else stats.repairsApplied++;
    });
    return true;
  }

  /** Encode and gossip; a value the codec cannot encode or broadcast refuses is the caller's error. */
  function gossip(message: GossipMessage): void {
    const bytes = ctx.codec.encode(gossipTuple(message));
    if (!bytes.ok) throw new ReplicaError(ReplicaErrorCode.unencodable, `${message.type} of ${name}: ${bytes.error.message}`);
    ctx.broadcast(name, bytes.value);
  }

  // --- digest anti-entropy ------------------------------------------------------------------------------------

  /** Act on our own `compare` result: push its repair, send the step, keep or end the exchange. */
  function answer(peer: NodeId, session: number, role: 'initiator' | 'responder', round: number, step: AntiEntropyStep<unknown, unknown, Delta>): void {
    if (closed) return;
    if (!isStep(step)) {
      stats.callbackErrors++;
      ctx.reportCallbackError(name, 'compare', { code: ReplicaErrorCode.callbackFailed, message: 'compare returned no valid step' }, step);
      sessions.end(peer, session, role);
      return;
    }
    if (round > roundsMax) {
      // The hooks did not converge within the bound: fall back to a full-state pull, which always does.
      sessions.end(peer, session, role);
      stats.antiEntropyFallbacks++;
      ctx.reportInvalid(name, peer, DirectType.aeStep, {
        code: ReplicaErrorCode.antiEntropyRounds,
        message: `digest exchange with ${peer} exceeded ${roundsMax} rounds; pulling a full sync instead`,
      });
      requestSync(peer);
      return;
    }
    if (step.kind !== 'equal' && step.repair !== undefined) sendTransfer(peer, 'repair', step.repair, 'compare');
    const body: AeStepBody = { name, session, round, kind: step.kind };
    if (step.kind === 'descend') body.digest = step.digest;
    if (step.kind !== 'equal' && step.need !== undefined) body.need = step.need;
    const sent = ctx.send(peer, DirectType.aeStep, body);
    if (step.kind === 'descend' && sent === 'accepted') sessions.sent(peer, session, role, round);
    else sessions.end(peer, session, role);
  }

  function compareThenAnswer(peer: NodeId, session: number, role: 'initiator' | 'responder', round: number, digest: unknown): void {
    const r = check(validate.digest ?? hooks!.validateDigest?.bind(hooks), digest, peer, 'digest');
    if (!r.ok) {
      sessions.end(peer, session, role);
      return;
    }
    run('compare', () => hooks!.compare(name, r.value, peer), (step) => answer(peer, session, role, round, step));
  }

  function startDigestRound(peer: NodeId): void {
    const session = nextSession++;
    if (!sessions.open(peer, session, 'initiator', 0)) return;
    stats.antiEntropyRounds++;
    run('digest', () => hooks!.digest(name), (digest) => {
      if (closed) return;
      if (ctx.send(peer, DirectType.aeDigest, { name, session, digest }) !== 'accepted') sessions.end(peer, session, 'initiator');
    });
  }

  function antiEntropyRound(): NodeId | undefined {
    if (closed || !antiEntropyOn) return undefined;
    const peer = pickOne(ctx.activePeers().filter((p) => p !== ctx.self), ctx.random);
    if (peer === undefined) return undefined;
    if (hooks !== undefined) startDigestRound(peer);
    else {
      stats.antiEntropyRounds++;
      requestSync(peer);
    }
    return peer;
  }

  function scheduleTick(): void {
    if (closed || !antiEntropyOn || intervalMs <= 0) return;
    cancelTick = ctx.timers.setTimer(jitteredDelay(intervalMs, jitter, ctx.random), () => {
      cancelTick = undefined;
      antiEntropyRound();
      scheduleTick();
    });
  }

  // --- the replica the owner holds ---------------------------------------------------------------------------

  function assertOpen(): void {
    if (closed) throw new ReplicaError(ReplicaErrorCode.closed, `replica ${name} is closed`);
  }

  const replica: Replica<Delta, Custom> = {
    name,
    broadcastUpdate(delta) {
      assertOpen();
      gossip({ type: 'delta', body: delta });
      stats.deltasSent++;
    },
    broadcastCustom(payload) {
      assertOpen();
      gossip({ type: 'custom', body: payload });
      stats.customSent++;
    },
    pull: () => (closed ? 0 : pullAll()),
    antiEntropyNow: antiEntropyRound,
    stats: () => ({ ...stats, removeNodeCalls: { ...stats.removeNodeCalls }, queued: queue.size() }),
    close,
  };

  function close(): void {
    if (closed) return;
    closed = true;
    cancelTick?.();
    queue.close();
    sessions.close();
    pushing.clear();
    ctx.transferOut.dropInstance(name);
    ctx.onClose(name);
  }

  return {
    replica,
    start() {
      // Pull from whoever is up already: an instance started (or restarted) late gets no `peer up` for them.
      if (init.pullOnStart ?? true) pullAll();
      scheduleTick();
    },
    onGossip(message, from) {
      if (closed) return true;
      if (from === ctx.self) {
        // Local delivery semantics: the owner applied its own write before broadcasting it.
        stats.ownDeliveriesIgnored++;
        return true;
      }
      if (message.type === 'delta') return mergeDelta(message.body, from, 'delta');
      const mergeCustom = callbacks.mergeCustom;
      if (mergeCustom === undefined) {
        stats.customIgnored++;
        return true;
      }
      const r = check(validate.custom, message.body, from, 'custom');
      if (!r.ok) return false;
      run('mergeCustom', () => mergeCustom.call(callbacks, name, r.value, from), () => void stats.customMerged++);
      return true;
    },
    onPeerUp(peer) {
      if (!closed) pushFull(peer);
    },
    onPeerDown(peer, reason) {
      if (closed) return;
      sessions.dropPeer(peer);
      pushing.delete(peer);
      stats.removeNodeCalls[reason]++;
      run('removeNode', () => callbacks.removeNode(name, peer, reason));
    },
    onSyncRequest(from) {
      if (closed) return;
      stats.syncRequestsServed++;
      pushFull(from);
    },
    onTransfer(from, kind, bytes) {
      if (closed) return;
      const decoded = ctx.codec.decode(bytes);
      if (!decoded.ok) {
        invalid(from, kind === 'full' ? 'snapshot' : 'repair', decoded.error);
        return;
      }
      if (kind === 'repair') {
        mergeDelta(decoded.value, from, 'repair');
        return;
      }
      const r = check(validate.snapshot, decoded.value, from, 'snapshot');
      if (!r.ok) return;
      run('applyFullSync', () => callbacks.applyFullSync(name, r.value, from), () => void stats.fullSyncsApplied++);
    },
    onAeDigest(from, body) {
      if (closed) return;
      if (hooks === undefined) {
        // We do not run digest exchanges for this instance; the initiator's exchange times out, its next
        // round tries another peer. Not the peer's fault: not counted as invalid.
        return;
      }
      if (!sessions.open(from, body.session, 'responder', 0)) return;
      compareThenAnswer(from, body.session, 'responder', 1, body.digest);
    },
    onAeStep(from, body) {
      if (closed || hooks === undefined) return;
      const role = body.round % 2 === 1 ? 'initiator' : 'responder';
      if (!sessions.receive(from, body.session, role, body.round)) {
        // Late (timed out), duplicated or forged; harmless, so dropped without blame.
        return;
      }
      if (role === 'initiator' && body.round === 1 && body.kind === 'equal') stats.antiEntropyEqual++;
      if (body.need !== undefined) {
        const need = check(validate.need ?? hooks.validateNeed?.bind(hooks), body.need, from, 'need');
        if (need.ok) {
          run('repair', () => hooks.repair(name, need.value, from), (delta) => {
            if (delta !== undefined && !closed) sendTransfer(from, 'repair', delta, 'repair');
          });
        }
      }
      if (body.kind === 'descend') compareThenAnswer(from, body.session, role, body.round + 1, body.digest);
      else sessions.end(from, body.session, role);
    },
    close,
  };
}

function isStep(step: unknown): step is AntiEntropyStep<unknown, unknown, unknown> {
  if (typeof step !== 'object' || step === null) return false;
  const kind = (step as { kind?: unknown }).kind;
  if (kind === 'descend') return (step as { digest?: unknown }).digest !== undefined;
  return kind === 'equal' || kind === 'done';
}
