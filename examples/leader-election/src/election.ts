/**
 * Leader election with leases and fencing tokens, written only against the replica callbacks of @rumor/replica.
 *
 * - Candidacies travel as deltas (`broadcastUpdate`): a campaigning node renews its lease every `renewMs`.
 * - Fencing tokens travel as custom payloads (`broadcastCustom`): a node that finds itself leader claims the next
 *   token and publishes it; every replica keeps the highest.
 * - Full sync carries both (a late or restarted node learns the current leader and token at once); anti-entropy is
 *   a periodic full-state pull (the state is small and has no hard deletes, so re-pulling is safe).
 * - `removeNode` does nothing: a departed leader is replaced when its lease runs out, and an eviction (view churn)
 *   is not a death — dropping its candidacy there would make replicas disagree.
 */
import type { NodeId, PeerDownReason, Replica, ReplicaCallbacks, ReplicaDriver, Timers } from '@rumor/replica';
import {
  emptyElection,
  joinData,
  joinFence,
  leaderAt,
  toData,
  validateData,
  validateFence,
  type ElectionData,
  type ElectionState,
  type Fence,
} from './state.js';

/** The callbacks of an election whose state `stateOf(name)` holds; `onChange` runs after every remote change. */
export function electionCallbacks(
  stateOf: (name: string) => ElectionState,
  onChange: (name: string) => void = () => {},
): ReplicaCallbacks<Partial<ElectionData>, Partial<ElectionData>, Fence> {
  return {
    mergeDelta(name, delta) {
      if (joinData(stateOf(name), delta)) onChange(name);
    },
    applyFullSync(name, snapshot) {
      if (joinData(stateOf(name), snapshot)) onChange(name);
    },
    fullSyncSnapshot(name) {
      const s = stateOf(name);
      return s.candidates.size === 0 && s.fence.token === 0 ? undefined : toData(s);
    },
    removeNode(_name: string, _node: NodeId, _reason: PeerDownReason) {
      // Nothing: leases expire by themselves, evictions are not deaths.
    },
    mergeCustom(name, fence) {
      if (joinFence(stateOf(name), fence)) onChange(name);
    },
    antiEntropy: true,
  };
}

/** Options of an election on one node. */
export interface ElectionInit {
  /** The node's replica driver (`stack.replicas`). */
  replicas: ReplicaDriver;
  /** The election's name (the replica instance name). */
  name: string;
  /** This node's id. */
  self: string;
  timers: Timers;
  /** How long a lease lasts. Default 3 000 ms. */
  leaseMs?: number;
  /** How often a campaigning node renews its lease. Default 1 000 ms. */
  renewMs?: number;
  /**
   * No token is claimed until the election has run this long: a node that just started may not have heard the
   * others' leases yet, and must not elect itself meanwhile. Default `leaseMs`.
   */
  warmupMs?: number;
  /** Anti-entropy period of the instance. Default the driver's (30 000 ms). */
  antiEntropyIntervalMs?: number;
  /** Called when this node gains (`token`) or loses (`undefined`) the leadership. */
  onLeadership?(token: number | undefined): void;
}

/** An election as one node sees it. */
export interface Election {
  /** Stand as a candidate (and keep renewing the lease) until `resign`. */
  campaign(): void;
  /** Withdraw: the lease ends now, everywhere. */
  resign(): void;
  /** The current leader, as this replica sees it. */
  leader(): string | undefined;
  /** This node's fencing token while it is the leader holding the highest token; undefined otherwise. */
  token(): number | undefined;
  /** The replicated state, as plain data. */
  data(): ElectionData;
  readonly replica: Replica<Partial<ElectionData>, Fence>;
  close(): void;
}

/** Run an election on one node. */
export function createElection(init: ElectionInit): Election {
  const { self, timers, name } = init;
  const leaseMs = init.leaseMs ?? 3_000;
  const renewMs = init.renewMs ?? 1_000;
  const readyAt = timers.now() + (init.warmupMs ?? leaseMs);
  const state = emptyElection();
  let epoch = 0;
  let campaigning = false;
  let cancelRenew: (() => void) | undefined;
  let cancelExpiry: (() => void) | undefined;
  let reported: number | undefined;

  const callbacks = electionCallbacks(() => state, () => check());
  const replica = init.replicas.createReplica({
    name,
    callbacks,
    validate: { delta: validateData, snapshot: validateData, custom: validateFence },
    ...(init.antiEntropyIntervalMs === undefined ? {} : { antiEntropyIntervalMs: init.antiEntropyIntervalMs }),
  });

  /** Write our own candidacy: apply locally first, then broadcast (the driver does not echo it back). */
  function write(leaseUntil: number): void {
    // Continue after the highest epoch any replica knows for us (a restarted node learns it through its pull).
    epoch = Math.max(epoch, state.candidates.get(self)?.epoch ?? 0) + 1;
    const delta = { candidates: { [self]: { epoch, leaseUntil } } };
    joinData(state, delta);
    replica.broadcastUpdate(delta);
    check();
  }

  function token(): number | undefined {
    return leaderAt(state, timers.now()) === self && state.fence.holder === self ? state.fence.token : undefined;
  }

  /** Claim the next token when we lead without holding the highest one; tell the owner about changes. */
  function check(): void {
    const now = timers.now();
    if (now >= readyAt && leaderAt(state, now) === self && state.fence.holder !== self) {
      const fence = { token: state.fence.token + 1, holder: self };
      joinFence(state, fence);
      replica.broadcastCustom(fence);
    }
    const t = token();
    if (t !== reported) {
      reported = t;
      init.onLeadership?.(t);
    }
    // Re-check when the earliest running lease ends: that is when the leader can change without any message.
    cancelExpiry?.();
    let next = now < readyAt ? readyAt - 1 : Infinity;
    for (const c of state.candidates.values()) if (c.leaseUntil > now) next = Math.min(next, c.leaseUntil);
    cancelExpiry = next === Infinity ? undefined : timers.setTimer(next - now + 1, check);
  }

  function renew(): void {
    if (!campaigning) return;
    write(timers.now() + leaseMs);
    cancelRenew = timers.setTimer(renewMs, renew);
  }

  return {
    campaign() {
      if (campaigning) return;
      campaigning = true;
      renew();
    },
    resign() {
      campaigning = false;
      cancelRenew?.();
      write(0);
    },
    leader: () => leaderAt(state, timers.now()),
    token,
    data: () => toData(state),
    replica,
    close() {
      campaigning = false;
      cancelRenew?.();
      cancelExpiry?.();
      replica.close();
    },
  };
}
