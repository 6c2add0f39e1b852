/**
 * HyParView (Leitão, Pereira, Rodrigues, DSN 2007) as a pure state machine over injected ports.
 *
 * Paper map: join and forward-join with ARWL/PRWL (§4.2, Alg. 1), neighbor requests with high/low priority and
 * disconnect (§4.3, Alg. 2, the reactive repair of the active view), shuffle with active and passive samples,
 * TTL walk and shuffle-reply (§4.3, Alg. 3, the cyclic maintenance of the passive view).
 *
 * Where the paper leans on TCP, links here are the carrier's connections, and every active link is made by one
 * request/accept handshake so that both ends agree: `join` and `neighbor` are answered with `neighbor-reply`; the
 * acceptor adds first, the requester adds on `accepted: true`; an acceptance nobody can use is undone with a
 * `disconnect`. The end of a forward-join walk is a high-priority `neighbor` request from the walk's last node to the
 * new node. A shuffle-reply travels over a temporary connection to the origin (closed after sending unless the
 * origin is an active peer). Beyond the paper: a node whose active view is short asks passive candidates every round
 * (low priority; high when empty), passive entries age out and back off after failed attempts, and a node retries
 * its contacts with backoff whenever its active view is empty.
 *
 * Invariants (asserted, and checked by the simulation tests): neither view holds self; the active view never exceeds
 * `activeViewSize`, the passive view never exceeds `passiveViewSize`; the views are disjoint and duplicate-free;
 * every active peer has an open link; `peerUp` and `peerDown` alternate per peer. Inputs from the network are
 * validated first and never throw.
 */
import type { LinkDownReason, Logger, NodeId, PeerDownReason, Random, SendResult, Timers } from './ports.js';
import { resolveOptions, type HyParViewInit } from './options.js';
import {
  MESSAGE_TYPES,
  MembershipErrorCode,
  SHUFFLE_ID_MAX,
  isValidAddress,
  isValidNodeId,
  messageBody,
  parseMessage,
  type DisconnectReason,
  type MembershipMessage,
  type NeighborPriority,
  type NodeEntry,
} from './messages.js';
import { createPassiveView } from './passive-view.js';
import { createLinks } from './links.js';
import { createLostPeers } from './lost-peers.js';
import { pickOne, randomIndex, sample } from './random.js';
import { assert } from './assert.js';

/** Events membership reports to the layers above (broadcast, replica). */
export interface HyParViewEvents {
  /** `peer` entered the active view: a symmetric link both ends report. */
  peerUp(peer: NodeId, address: string): void;
  /** `peer` left the active view: it failed, it left, or one end evicted the other. */
  peerDown(peer: NodeId, reason: PeerDownReason): void;
}

/** Collaborators: identity, the carrier's controls, a layer-scoped sender, time, randomness and event sinks. */
export interface HyParViewComponents {
  self: NodeId;
  /** The address this node's carrier advertises (what others dial). */
  address: string;
  connect(address: string): void;
  disconnect(peer: NodeId): void;
  /** Layer-scoped sender: the stack wraps `{ v, layer: 'membership', type, body }`. */
  send(peer: NodeId, type: string, body: unknown): SendResult;
  timers: Timers;
  random: Random;
  events: HyParViewEvents;
  log?: Logger;
}

/** Lifecycle: `running` after creation and `join`, `left` after `leave` (rejoin with `join`), `closed` for good. */
export type HyParViewState = 'running' | 'left' | 'closed';

/** Counters for operators and benchmarks. */
export interface HyParViewStats {
  state: HyParViewState;
  active: number;
  passive: number;
  links: number;
  pendingDials: number;
  pendingRequests: number;
  sent: Record<string, number>;
  received: Record<string, number>;
  /** Rejected input by stable code (docs/errors.md). */
  rejected: Record<string, number>;
  /** Sends the carrier refused (`backpressure` or `closed`). */
  sendRefused: number;
  peerUp: number;
  peerDown: Record<PeerDownReason, number>;
  evictions: number;
  joinAttempts: number;
  promotionAttempts: number;
  promotionFailures: number;
  /** Retries of peers lost to failure (partition repair). */
  reconnectAttempts: number;
  /** High-priority requests by a node whose active view stayed short (see `escalateAfterRounds`). */
  escalations: number;
  lost: number;
  passiveAged: number;
  passiveDroppedFailed: number;
  shuffleRepliesDropped: number;
  /** peerUp/peerDown handlers that threw (contained). */
  eventErrors: number;
}

/** A HyParView instance: inputs the stack feeds it, controls, and read-only views. */
export interface HyParView {
  /** The carrier opened a link with `peer` (dialled by either side). */
  onLinkUp(peer: NodeId, address: string): void;
  /** The carrier link with `peer` ended. */
  onLinkDown(peer: NodeId, reason: LinkDownReason): void;
  /** A `connect(address)` produced no link. */
  onConnectFailed(address: string, reason: string): void;
  /** A membership message from `peer`; `type` and `body` are untrusted. Never throws. */
  onMessage(from: NodeId, type: string, body: unknown): void;
  /**
   * Join through any of `contacts` (addresses); retries with backoff while the active view is empty. `known`: nodes
   * already known to be members (a static cluster list, Maelstrom's `init`): they enter the passive view and the
   * active view fills from them at once with low-priority requests — no walk and no eviction, so a cluster that
   * starts together settles in one round trip — and a contact is tried only if none of them has answered after
   * `joinRetryMs`.
   */
  join(contacts: readonly string[], known?: readonly NodeEntry[]): void;
  /** Say goodbye to every active peer (`disconnect` with reason `left`) and stop; `join` may start again. */
  leave(): void;
  /** The active view: peers reported up and not yet down. */
  activeView(): NodeId[];
  /** Whether `peer` is in the active view (what broadcast and replica may send to). */
  isActive(peer: NodeId): boolean;
  /** The passive view as (id, address) pairs. */
  passiveView(): NodeEntry[];
  stats(): HyParViewStats;
  /** Leave, cancel every timer and ignore all further input. */
  close(): void;
}

type Intent =
  | { kind: 'join' }
  | { kind: 'neighbor'; id: NodeId; priority: NeighborPriority; purpose: Purpose }
  | { kind: 'shuffle-reply'; id: number; nodes: NodeEntry[] };

/**
 * Why we asked: `fill` a short active view (may be declined on arrival), end a forward-join `walk`, or
 * `reconnect` with a peer lost to failure (partition repair).
 */
type Purpose = 'fill' | 'walk' | 'reconnect';

interface PendingRequest {
  kind: 'join' | 'neighbor';
  priority: NeighborPriority;
  purpose: Purpose;
  /** False while the link is still being dialled: the request itself is not sent yet. */
  sent: boolean;
  cancel: () => void;
}

/** Remembered outgoing shuffles, so that only solicited replies enter the passive view. */
const SHUFFLES_REMEMBERED = 4;

/** Create a HyParView instance; it starts its membership rounds at once and joins when `join` is called. */
export function createHyParView(init: HyParViewInit, components: HyParViewComponents): HyParView {
  const o = resolveOptions(init);
  const { self, timers, random, events, log } = components;
  assert(isValidNodeId(self, o), 'self must be a valid node id');
  assert(isValidAddress(components.address, o), 'address must be a valid address');
  const selfEntry: NodeEntry = { id: self, address: components.address };

  let state: HyParViewState = 'running';
  const active = new Map<NodeId, string>();
  const passive = createPassiveView(
    {
      self,
      capacity: o.passiveViewSize,
      maxAgeMs: o.passiveMaxAgeMs,
      backoffMs: o.passiveBackoffMs,
      backoffMaxMs: o.passiveBackoffMaxMs,
      failuresMax: o.passiveFailuresMax,
    },
    random,
  );
  const lost = createLostPeers({
    self,
    capacity: o.lostPeersMax,
    maxAgeMs: o.lostPeerMaxAgeMs,
    backoffMs: o.passiveBackoffMs,
    backoffMaxMs: o.passiveBackoffMaxMs,
  });
  const links = createLinks<Intent>({
    connect: (address) => components.connect(address),
    timers,
    timeoutMs: o.requestTimeoutMs,
    pendingMax: o.pendingDialsMax,
    onTimeout: (address, intents) => dialFailed(address, intents),
  });
  const pending = new Map<NodeId, PendingRequest>();
  const shuffles = new Map<number, NodeId[]>();
  let contacts: string[] = [];
  let joinCursor = 0;
  let joinAttempts = 0;
  let cancelJoin: (() => void) | undefined;
  let cancelRound: (() => void) | undefined;
  let cancelFill: (() => void) | undefined;
  let rejectionsThisRound = 0;
  /**
   * Rounds in a row a view one short of full met only full candidates; such a node skips `2^n − 1` rounds of
   * filling (at most 31). One short is not a risk (the node is linked), and where no overlay fills every view
   * (25 nodes of active view 5) one node is always one short: without this it would dial every candidate, every
   * round, for ever.
   */
  let fruitlessRounds = 0;
  let roundsToSkip = 0;
  let acceptedThisRound = false;
  let shortRounds = 0;
  /** Rounds in a row this node was a leaf (one peer) whose fill requests met only full candidates (see `escalate`). */
  let leafFruitlessRounds = 0;
  /** The last slot freed was taken by an eviction (see `escalate`). */
  let shortByEviction = false;
  /** Between `join` with known members and the first contact attempt (see `fill`). */
  let knownStart = false;
  /** The next fill request goes out with high priority (see `escalate`). */
  let escalateNext = false;
  let fillAt: number | undefined;

  const perType = (): Record<string, number> => Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0]));
  const stats = {
    sent: perType(),
    received: perType(),
    rejected: {} as Record<string, number>,
    sendRefused: 0,
    peerUp: 0,
    peerDown: { failed: 0, left: 0, evicted: 0 } as Record<PeerDownReason, number>,
    evictions: 0,
    joinAttempts: 0,
    promotionAttempts: 0,
    promotionFailures: 0,
    reconnectAttempts: 0,
    escalations: 0,
    passiveAged: 0,
    passiveDroppedFailed: 0,
    shuffleRepliesDropped: 0,
    eventErrors: 0,
  };

  const bump = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const reject = (code: MembershipErrorCode, message: string, from?: NodeId): void => {
    bump(stats.rejected, code);
    log?.debug?.('membership: rejected input', { code, message, from });
  };

  // ── sending and links ──────────────────────────────────────────────────────────────────────────────────────

  function send(peer: NodeId, message: MembershipMessage): boolean {
    bump(stats.sent, message.type);
    const result = components.send(peer, message.type, messageBody(message));
    if (result !== 'accepted') stats.sendRefused++;
    return result === 'accepted';
  }

  /** A link is needed while it carries an active peer or one of our outstanding requests. */
  const needed = (peer: NodeId): boolean => active.has(peer) || pending.has(peer);

  function release(peer: NodeId): void {
    if (links.has(peer) && !needed(peer)) components.disconnect(peer);
  }

  // ── views ──────────────────────────────────────────────────────────────────────────────────────────────────

  function emitUp(peer: NodeId, address: string): void {
    stats.peerUp++;
    try {
      events.peerUp(peer, address);
    } catch (e) {
      stats.eventErrors++;
      log?.warn?.('membership: peerUp handler threw', { peer, error: String(e) });
    }
  }

  function emitDown(peer: NodeId, reason: PeerDownReason): void {
    stats.peerDown[reason]++;
    try {
      events.peerDown(peer, reason);
    } catch (e) {
      stats.eventErrors++;
      log?.warn?.('membership: peerDown handler threw', { peer, error: String(e) });
    }
  }

  /**
   * Add `peer` to the active view. `evict`: make room by dropping a random active peer (join, high priority,
   * forward-join end); `if-room`: refuse when full. Returns whether `peer` is now active.
   */
  function addActive(peer: NodeId, address: string, mode: 'evict' | 'if-room'): boolean {
    if (peer === self || !links.has(peer)) return false;
    if (active.has(peer)) return true;
    if (active.size >= o.activeViewSize) {
      if (mode === 'if-room') return false;
      evictRandom();
    }
    active.set(peer, address);
    passive.remove(peer);
    lost.remove(peer);
    assert(active.size <= o.activeViewSize, 'active view exceeds activeViewSize');
    joinAttempts = 0;
    cancelJoin?.();
    cancelJoin = undefined;
    emitUp(peer, address);
    return true;
  }

  /** Keep `node` as a passive backup unless it is self or already active (the views stay disjoint). */
  function learn(node: NodeEntry, now = timers.now(), preferEvict: readonly NodeId[] = []): void {
    if (node.id !== self && !active.has(node.id)) passive.add(node, now, preferEvict);
  }

  /** Remove an active peer and report it; `toPassive` keeps it as a backup (it is alive, it just is not a neighbour). */
  function removeActive(peer: NodeId, reason: PeerDownReason, toPassive: boolean): void {
    const address = active.get(peer);
    if (address === undefined) return;
    active.delete(peer);
    if (toPassive) learn({ id: peer, address });
    emitDown(peer, reason);
  }

  function evictRandom(): void {
    const victim = pickOne(random, [...active.keys()]);
    if (victim === undefined) return;
    stats.evictions++;
    removeActive(victim, 'evicted', true);
    send(victim, { type: 'disconnect', reason: 'evicted' });
    release(victim);
  }

  /** After losing an active peer: promote from the passive view at once, and rejoin if the view is empty. */
  function afterLoss(): void {
    if (state !== 'running') return;
    fill();
    if (active.size === 0 && cancelJoin === undefined) scheduleJoin(o.joinRetryMs);
  }

  /** Ask passive candidates to fill the free active slots (paper §4.3: high priority iff the view is empty). */
  function fill(): void {
    if (state !== 'running') return;
    if (active.size === o.activeViewSize - 1 && roundsToSkip > 0) return;
    const missing = o.activeViewSize - active.size - fillRequests(true);
    if (missing <= 0) return;
    // Dial up to `fillParallelism` candidates per free slot (right after a mass failure most are dead), but send
    // requests only while slots are free (see `dialed`): extra links are closed unused.
    // A known cluster starting together is alive: one dial per free slot, not `fillParallelism` (surplus links cost
    // a handshake each).
    const budget = missing * (knownStart ? 1 : o.fillParallelism) - fillRequests(false);
    if (budget <= 0) return;
    // While a known cluster starts together every view is empty at once, and high priority would make each request
    // to a node already full evict someone: the first round asks with low priority (see `join` with `known`).
    const priority: NeighborPriority = active.size === 0 && !knownStart ? 'high' : 'low';
    const now = timers.now();
    const candidates = passive.candidates(now, (id) => pending.has(id) || links.dialling(passive.get(id)!.address));
    for (const entry of sample(random, candidates, budget)) {
      stats.promotionAttempts++;
      let p = priority;
      if (escalateNext && p === 'low') {
        escalateNext = false;
        shortRounds = 0;
        stats.escalations++;
        p = 'high';
      }
      requestNeighbor({ id: entry.id, address: entry.address }, p, 'fill');
    }
    // Candidates that are only backing off: come back when the first one is due rather than a round later.
    const retryAt = candidates.length < missing ? passive.nextRetryAt(now) : undefined;
    if (retryAt !== undefined && (fillAt === undefined || retryAt < fillAt)) {
      cancelFill?.();
      fillAt = retryAt;
      // At least 1 ms, rounded up: a local clock that reads a hair behind its timers must not spin at one instant.
      cancelFill = timers.setTimer(Math.max(1, Math.ceil(retryAt - now)), () => {
        cancelFill = fillAt = undefined;
        fill();
      });
    }
  }

  /** Outstanding fill requests: sent ones, or ones still dialling. */
  function fillRequests(sent: boolean): number {
    let count = 0;
    for (const p of pending.values()) if (p.purpose === 'fill' && p.sent === sent) count++;
    return count;
  }

  // ── outgoing requests ──────────────────────────────────────────────────────────────────────────────────────

  function requestNeighbor(node: NodeEntry, priority: NeighborPriority, purpose: Purpose): void {
    const intent: Intent = { kind: 'neighbor', id: node.id, priority, purpose };
    // Mark the request before dialling so that `fill` counts it even if the carrier answers synchronously.
    pending.set(node.id, { kind: 'neighbor', priority, purpose, sent: false, cancel: () => {} });
    const outcome = links.dial(node.address, intent);
    if (outcome.kind === 'linked') dialed(outcome.peer, intent);
    else if (outcome.kind === 'refused') pending.delete(node.id);
  }

  /** A link for `intent` is open to `peer`: send what was waiting for it. */
  function dialed(peer: NodeId, intent: Intent): void {
    switch (intent.kind) {
      case 'join':
        if (state !== 'running' || active.has(peer) || pending.has(peer)) return;
        stats.joinAttempts++;
        track(peer, { kind: 'join', priority: 'high', purpose: 'walk', sent: true });
        send(peer, { type: 'join' });
        return;
      case 'neighbor': {
        const mine = pending.get(intent.id);
        if (peer !== intent.id) {
          // The address now belongs to another node: the passive entry was stale.
          if (mine && mine.kind === 'neighbor') pending.delete(intent.id);
          passive.remove(intent.id);
          lost.remove(intent.id);
          release(peer);
          return;
        }
        const surplus = intent.purpose === 'fill' && active.size + fillRequests(true) >= o.activeViewSize;
        if (state !== 'running' || active.has(peer) || surplus) {
          // Reachable but not needed any more (another candidate answered first): it is alive, keep it as is.
          pending.delete(peer);
          passive.recordSuccess(peer);
          release(peer);
          return;
        }
        track(peer, { kind: 'neighbor', priority: intent.priority, purpose: intent.purpose, sent: true });
        send(peer, { type: 'neighbor', priority: intent.priority });
        return;
      }
      case 'shuffle-reply':
        send(peer, { type: 'shuffle-reply', id: intent.id, nodes: intent.nodes });
        release(peer);
        return;
    }
  }

  /** Record an outstanding request and time it out: an unanswered candidate counts as a failed attempt. */
  function track(peer: NodeId, request: Omit<PendingRequest, 'cancel'>): void {
    pending.get(peer)?.cancel();
    const entry: PendingRequest = { ...request, cancel: () => {} };
    pending.set(peer, entry);
    entry.cancel = timers.setTimer(o.requestTimeoutMs, () => {
      if (pending.get(peer) !== entry) return;
      pending.delete(peer);
      if (entry.kind === 'neighbor') failedAttempt(peer, entry.purpose);
      release(peer);
      afterLoss();
    });
  }

  function failedAttempt(peer: NodeId, purpose: Purpose): void {
    const now = timers.now();
    if (purpose === 'reconnect') {
      lost.recordFailure(peer, now);
      return;
    }
    stats.promotionFailures++;
    const entry = passive.get(peer);
    if (entry && passive.recordFailure(peer, now)) {
      stats.passiveDroppedFailed++;
      lost.add(entry, now);
    }
  }

  function dialFailed(_address: string, intents: Intent[]): void {
    let retry = false;
    for (const intent of intents) {
      if (intent.kind === 'neighbor') {
        const mine = pending.get(intent.id);
        if (mine && !links.has(intent.id)) {
          mine.cancel();
          pending.delete(intent.id);
        }
        failedAttempt(intent.id, intent.purpose);
        retry = true;
      } else if (intent.kind === 'shuffle-reply') {
        stats.shuffleRepliesDropped++;
      }
      // A failed join dial is retried by the join timer.
    }
    if (retry) afterLoss();
  }

  // ── join ───────────────────────────────────────────────────────────────────────────────────────────────────

  function scheduleJoin(delayMs: number): void {
    cancelJoin?.();
    cancelJoin = timers.setTimer(delayMs, () => {
      cancelJoin = undefined;
      tryJoin();
    });
  }

  /** Send `join` through the next contact (round-robin). */
  function joinViaContact(): void {
    if (contacts.length === 0) return;
    const address = contacts[joinCursor++ % contacts.length]!;
    const outcome = links.dial(address, { kind: 'join' });
    if (outcome.kind === 'linked') dialed(outcome.peer, { kind: 'join' });
  }

  function tryJoin(): void {
    if (state !== 'running' || active.size > 0 || contacts.length === 0) return;
    joinViaContact();
    const backoff = Math.min(o.joinRetryMaxMs, o.joinRetryMs * 2 ** Math.min(joinAttempts, 30));
    joinAttempts++;
    scheduleJoin(backoff * (0.75 + 0.5 * random.next()));
  }

  // ── handlers, one per message (paper Alg. 1–3) ─────────────────────────────────────────────────────────────

  /** Alg. 1: the contact takes the new node in (evicting if full) and starts one ARWL walk per other neighbour. */
  function onJoin(from: NodeId): void {
    if (state !== 'running') {
      send(from, { type: 'neighbor-reply', accepted: false });
      return;
    }
    const address = links.get(from)!.address;
    addActive(from, address, 'evict');
    send(from, { type: 'neighbor-reply', accepted: true });
    const node: NodeEntry = { id: from, address };
    for (const peer of active.keys()) {
      if (peer !== from) send(peer, { type: 'forward-join', node, ttl: o.arwl });
    }
  }

  /** Alg. 1: walk on; at TTL 0 (or with no one else to walk to) link with the new node; at PRWL keep it as passive. */
  function onForwardJoin(from: NodeId, node: NodeEntry, ttl: number): void {
    if (state !== 'running' || node.id === self) return;
    const next = ttl === 0 || active.size <= 1 ? undefined : pickOne(random, otherActive(from, node.id));
    if (next === undefined) {
      if (!active.has(node.id) && !pending.has(node.id)) requestNeighbor(node, 'high', 'walk');
      return;
    }
    if (ttl === o.prwl) learn(node);
    send(next, { type: 'forward-join', node, ttl: ttl - 1 });
  }

  /** Alg. 2: high priority is always accepted (evicting if full); low priority only into a free slot. */
  function onNeighbor(from: NodeId, priority: NeighborPriority): void {
    let accepted = false;
    if (state === 'running') {
      const address = links.get(from)!.address;
      // While a known cluster starts (see `join`), a slot our own request is waiting on is taken: accepting a third
      // node into it would overfill the view when that answer comes, and undoing it costs a link up and down.
      const reserved = knownStart && priority === 'low' && !pending.has(from) ? fillRequests(true) + fillRequests(false) : 0;
      const room = priority === 'high' || active.has(from) || active.size + reserved < o.activeViewSize;
      accepted = room && addActive(from, address, priority === 'high' ? 'evict' : 'if-room');
      if (!accepted) learn({ id: from, address });
    }
    send(from, { type: 'neighbor-reply', accepted });
  }

  /** The answer to our `join` or `neighbor`. An acceptance we cannot use is undone with a `disconnect`. */
  function onNeighborReply(from: NodeId, accepted: boolean): void {
    const address = links.get(from)!.address;
    const request = pending.get(from);
    if (request) {
      request.cancel();
      pending.delete(from);
    } else {
      // Late (our request timed out) or forged. A late acceptance still binds the peer, so it is honoured below.
      if (active.has(from)) return;
      reject(MembershipErrorCode.Unsolicited, 'neighbor-reply without a request', from);
      if (!accepted) return;
    }
    if (!accepted && request !== undefined && request.priority === 'high') {
      // A running node always accepts high priority (and a contact always accepts `join`): this one has left.
      lost.remove(from);
      passive.remove(from);
      release(from);
      return;
    }
    if (!accepted) {
      // Alive but full: keep it as a backup, skip it until next round, free the link, and try another candidate.
      lost.remove(from);
      learn({ id: from, address });
      passive.defer(from, timers.now() + o.shuffleIntervalMs);
      release(from);
      if (request?.purpose === 'fill' && ++rejectionsThisRound <= o.fillRejectionsPerRound) fill();
      return;
    }
    passive.recordSuccess(from);
    acceptedThisRound = true;
    const committed = request !== undefined && (request.kind === 'join' || request.priority === 'high');
    const mode = state === 'running' && committed ? 'evict' : 'if-room';
    if (state === 'running' && addActive(from, address, mode)) return;
    // The peer already holds us as active: tell it we will not, so that both ends agree.
    send(from, { type: 'disconnect', reason: state === 'running' ? 'evicted' : 'left' });
    if (state === 'running') learn({ id: from, address });
    release(from);
  }

  /** Alg. 2: the sender dropped us. An evicted link keeps the evictor as a passive backup; a leaver is dropped. */
  function onDisconnect(from: NodeId, reason: DisconnectReason): void {
    if (!active.has(from)) return;
    removeActive(from, reason, reason === 'evicted');
    if (reason === 'evicted') shortByEviction = true;
    if (reason === 'left') passive.remove(from);
    afterLoss();
  }

  /** Alg. 3: walk on while TTL lasts; at the end answer the origin with as many passive entries, then integrate. */
  function onShuffle(from: NodeId, id: number, origin: NodeEntry, ttl: number, nodes: NodeEntry[]): void {
    if (state !== 'running' || origin.id === self) return;
    const remaining = ttl - 1;
    if (remaining > 0 && active.size > 1) {
      const next = pickOne(random, otherActive(from, origin.id));
      if (next !== undefined) {
        send(next, { type: 'shuffle', id, origin, ttl: remaining, nodes });
        return;
      }
    }
    const reply = passive.sample(nodes.length);
    if (links.has(origin.id)) {
      send(origin.id, { type: 'shuffle-reply', id, nodes: reply });
    } else {
      // The paper's temporary connection: dial the origin, send, close (see `dialed`).
      const outcome = links.dial(origin.address, { kind: 'shuffle-reply', id, nodes: reply });
      if (outcome.kind === 'linked') dialed(outcome.peer, { kind: 'shuffle-reply', id, nodes: reply });
      else if (outcome.kind === 'refused') stats.shuffleRepliesDropped++;
    }
    // The origin is alive and ready for links: keep it too (the paper's sample starts with the origin itself).
    integrate([origin, ...nodes], reply.map((n) => n.id));
  }

  /** Alg. 3: integrate the sample, evicting first the entries we sent in our shuffle. */
  function onShuffleReply(from: NodeId, id: number, nodes: NodeEntry[]): void {
    const sent = shuffles.get(id);
    if (sent === undefined) {
      reject(MembershipErrorCode.Unsolicited, `shuffle-reply ${id} answers no shuffle of ours`, from);
      return;
    }
    shuffles.delete(id);
    if (state === 'running') integrate(nodes, sent);
  }

  function integrate(nodes: readonly NodeEntry[], preferEvict: readonly NodeId[]): void {
    const now = timers.now();
    for (const node of nodes) {
      learn(node, now, preferEvict);
    }
  }

  function otherActive(...excluded: NodeId[]): NodeId[] {
    const out: NodeId[] = [];
    for (const peer of active.keys()) if (!excluded.includes(peer)) out.push(peer);
    return out;
  }

  // ── membership round ──────────────────────────────────────────────────────────────────────────────────────

  function scheduleRound(first: boolean): void {
    const period = first
      ? o.shuffleIntervalMs * random.next()
      : o.shuffleIntervalMs * (1 + o.shuffleJitter * (2 * random.next() - 1));
    cancelRound = timers.setTimer(period, round);
  }

  function round(): void {
    cancelRound = undefined;
    if (state !== 'running') return;
    const oneShort = active.size === o.activeViewSize - 1;
    if (!oneShort) fruitlessRounds = roundsToSkip = 0;
    else if (rejectionsThisRound > 0 && !acceptedThisRound) {
      fruitlessRounds = Math.min(fruitlessRounds + 1, 5);
      roundsToSkip = 2 ** fruitlessRounds - 1;
    }
    leafFruitlessRounds = active.size === 1 && rejectionsThisRound > 0 && !acceptedThisRound ? leafFruitlessRounds + 1 : 0;
    rejectionsThisRound = 0;
    acceptedThisRound = false;
    shuffle();
    escalate();
    if (roundsToSkip > 0) roundsToSkip--;
    else fill();
    const now = timers.now();
    if (escalateNext && passive.size === 0) {
      // Short for long and no one to ask: a group that only knows itself (say, new nodes that joined each other
      // while their other seeds were down). Join again through a contact.
      escalateNext = false;
      shortRounds = 0;
      stats.escalations++;
      joinViaContact();
    }
    if (o.reconnectProbability > 0 && random.next() < o.reconnectProbability) reconnect(now);
    stats.passiveAged += passive.age(now);
    lost.age(now);
    for (const peer of links.idle(now, o.linkIdleMs, needed)) components.disconnect(peer);
    scheduleRound(false);
  }

  /**
   * Beyond the paper: a node whose active view stayed short for `escalateAfterRounds` rounds asks one candidate
   * with high priority (or, knowing no candidate, joins again through a contact). Low-priority requests only ever meet free slots, so a small group cut off from the rest
   * (every node it knows outside is full) would otherwise stay cut off for good; the one eviction this costs at the
   * receiver also moves the free slot elsewhere, where it may pair with another.
   */
  function escalate(): void {
    if (active.size === 0 || active.size >= o.activeViewSize) shortByEviction = false;
    // A node one short because a high-priority request evicted it is linked to the rest through the evictor's
    // requester: escalating would only evict someone else, and where no overlay can fill every view (25 nodes of
    // active view 5: the degrees cannot all be 5) the free slot would travel for ever, each move a peer down and up.
    const evictedOnly = shortByEviction && active.size === o.activeViewSize - 1;
    if (active.size === 0 || active.size >= o.activeViewSize || o.escalateAfterRounds === 0 || evictedOnly) {
      shortRounds = 0;
      escalateNext = false;
      return;
    }
    // One short is often for good and harmless (an odd sum of view sizes cannot all be full), and each escalation
    // evicts a link that broadcast trees run over: one short waits eight times longer, still merging a lone group of
    // `activeViewSize` nodes in the end.
    const patience = active.size === o.activeViewSize - 1 ? 8 * o.escalateAfterRounds : o.escalateAfterRounds;
    // A pair cut off from the rest — two nodes that only know each other and full nodes, left by evictions late in a
    // bootstrap (10 000 nodes, seed 218) — is two leaves whose requests meet only full nodes, and whose shuffles walk
    // between the two: such a leaf escalates after two of those rounds — unless it lost a peer to failure: after a
    // crash most survivors are leaves for a while, and the lost-peer retries and the usual patience repair them
    // without evicting anyone (docs/membership.md, "Escalation").
    const lonelyLeaf = lost.size === 0 && leafFruitlessRounds >= Math.min(2, o.escalateAfterRounds);
    if (++shortRounds >= patience || lonelyLeaf) escalateNext = true;
  }

  /** Retry one peer lost to failure; if it answers, link with high priority (see lost-peers.ts). */
  function reconnect(now: number): void {
    const entry = pickOne(random, lost.due(now, (id) => active.has(id) || pending.has(id)));
    if (entry === undefined) return;
    stats.reconnectAttempts++;
    requestNeighbor(entry, 'high', 'reconnect');
  }

  function shuffle(): void {
    const target = pickOne(random, [...active.keys()]);
    if (target === undefined) return;
    const activeSample = sample(random, otherActive(target), o.shuffleActive).map((id) => ({ id, address: active.get(id)! }));
    const nodes = [selfEntry, ...activeSample, ...passive.sample(o.shufflePassive)];
    const id = randomIndex(random, SHUFFLE_ID_MAX + 1);
    shuffles.set(id, nodes.map((n) => n.id));
    if (shuffles.size > SHUFFLES_REMEMBERED) shuffles.delete(shuffles.keys().next().value!);
    send(target, { type: 'shuffle', id, origin: selfEntry, ttl: o.shuffleTtl, nodes });
  }

  // ── inputs ─────────────────────────────────────────────────────────────────────────────────────────────────

  function dispatch(from: NodeId, m: MembershipMessage): void {
    switch (m.type) {
      case 'join':
        return onJoin(from);
      case 'forward-join':
        return onForwardJoin(from, m.node, m.ttl);
      case 'neighbor':
        return onNeighbor(from, m.priority);
      case 'neighbor-reply':
        return onNeighborReply(from, m.accepted);
      case 'disconnect':
        return onDisconnect(from, m.reason);
      case 'shuffle':
        return onShuffle(from, m.id, m.origin, m.ttl, m.nodes);
      case 'shuffle-reply':
        return onShuffleReply(from, m.id, m.nodes);
    }
  }

  function leaveAll(): void {
    cancelJoin?.();
    cancelJoin = undefined;
    cancelRound?.();
    cancelRound = undefined;
    cancelFill?.();
    cancelFill = fillAt = undefined;
    for (const request of pending.values()) request.cancel();
    pending.clear();
    for (const peer of [...active.keys()]) {
      active.delete(peer);
      send(peer, { type: 'disconnect', reason: 'left' });
      emitDown(peer, 'left');
    }
    for (const peer of links.peers()) components.disconnect(peer);
  }

  scheduleRound(true);

  return {
    onLinkUp(peer, address) {
      if (state === 'closed') return;
      if (!isValidNodeId(peer, o) || !isValidAddress(address, o)) {
        reject(!isValidNodeId(peer, o) ? MembershipErrorCode.BadNodeId : MembershipErrorCode.BadAddress, 'link up with an invalid identity');
        return;
      }
      if (peer === self) {
        components.disconnect(peer);
        return;
      }
      const waiting = links.up(peer, address, timers.now());
      const known = passive.get(peer);
      if (known && known.address !== address) learn({ id: peer, address });
      for (const intent of waiting) dialed(peer, intent);
    },

    onLinkDown(peer, reason) {
      if (state === 'closed') return;
      if (!links.down(peer)) return;
      // Only a lost neighbour or an unanswered request calls for a new attempt: temporary links come and go.
      let repair = false;
      const request = pending.get(peer);
      if (request) {
        request.cancel();
        pending.delete(peer);
        if (request.kind === 'neighbor' && reason === 'failed') failedAttempt(peer, request.purpose);
        repair = true;
      }
      const address = active.get(peer);
      if (address !== undefined) {
        // Paper §4.3: a failed neighbour is dropped, not kept as a backup; a closed link means it went away.
        removeActive(peer, reason === 'failed' ? 'failed' : 'left', false);
        if (reason === 'failed') lost.add({ id: peer, address }, timers.now());
        repair = true;
      }
      if (repair) afterLoss();
    },

    onConnectFailed(address, _reason) {
      if (state === 'closed') return;
      dialFailed(address, links.failed(address));
    },

    onMessage(from, type, body) {
      if (state === 'closed') return;
      const parsed = parseMessage(type, body, o);
      if (!parsed.ok) {
        reject(parsed.error.code, parsed.error.message, from);
        return;
      }
      if (!links.has(from)) {
        reject(MembershipErrorCode.NotLinked, `${parsed.value.type} from a peer with no open link`, from);
        return;
      }
      bump(stats.received, parsed.value.type);
      links.touch(from, timers.now());
      dispatch(from, parsed.value);
    },

    join(seeds, known = []) {
      assert(state !== 'closed', 'join after close');
      contacts = seeds.filter((a) => isValidAddress(a, o) && a !== components.address);
      joinCursor = contacts.length > 0 ? randomIndex(random, contacts.length) : 0;
      joinAttempts = 0;
      if (state === 'left') {
        state = 'running';
        scheduleRound(true);
      }
      const now = timers.now();
      let candidates = 0;
      for (const node of known) {
        if (node.id === self || !isValidAddress(node.address, o) || node.address === components.address) continue;
        learn({ id: node.id, address: node.address }, now);
        candidates++;
      }
      if (candidates === 0) return tryJoin();
      knownStart = true;
      fill();
      cancelJoin?.();
      cancelJoin = timers.setTimer(o.joinRetryMs, () => {
        cancelJoin = undefined;
        knownStart = false;
        if (active.size === 0) fill();
        tryJoin();
      });
    },

    leave() {
      if (state !== 'running') return;
      state = 'left';
      leaveAll();
    },

    activeView: () => [...active.keys()],
    isActive: (peer) => active.has(peer),
    passiveView: () => passive.entries().map((e) => ({ id: e.id, address: e.address })),

    stats() {
      return {
        state,
        active: active.size,
        passive: passive.size,
        links: links.size,
        pendingDials: links.pendingDials,
        pendingRequests: pending.size,
        lost: lost.size,
        ...stats,
        sent: { ...stats.sent },
        received: { ...stats.received },
        rejected: { ...stats.rejected },
        peerDown: { ...stats.peerDown },
      };
    },

    close() {
      if (state === 'closed') return;
      if (state === 'running') leaveAll();
      state = 'closed';
      links.clear();
      shuffles.clear();
    },
  };
}
