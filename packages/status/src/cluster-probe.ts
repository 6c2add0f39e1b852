/**
 * The cluster view, learnt through the cluster itself (issue 10): a replica instance (`rumor.status`) on the node's
 * own bus. Asking is one `broadcastCustom({ type: 'ask' })`; every node that receives it gossips its status card
 * (`{ type: 'card', card }`), so the asker — and every other node, for free — learns everybody's card without a
 * central server and without knowing the members in advance. On `peer up` neighbours also swap cards through the
 * driver's full sync, which is how the instance sees peers come and go (`fullSyncSnapshot` for a new peer = up,
 * `removeNode` = down, with the membership's reason).
 *
 * Completion: a gather ends early once every node named in the active view of a card received since the ask has
 * answered (in a connected overlay that is every reachable node), else after `gatherTimeoutMs`. Costs are bounded:
 * a node answers at most once per `answerIntervalMinMs` however often it is asked (asks arriving meanwhile are
 * coalesced into one answer), a node asks at most once per `gatherIntervalMinMs` (concurrent callers share one
 * gather), the card table holds at most `cardsMax` entries and forgets cards older than `cardTtlMs`.
 *
 * Trust: cards are parsed and bounded (card.ts) by the instance's validators, so a bad one is counted by the driver
 * like any invalid payload and never reaches the table; a card's id must be its sender.
 */
import type { NodeId, PeerDownReason, Replica, ReplicaDriver, Result, Timers } from '@rumor/replica';
import { DEFAULT_CARD_LIMITS, parseCard, parseStatusMessage, type CardLimits, type StatusCard, type StatusMessage } from './card.js';

/** Name of the status instance (the `rumor.` prefix is reserved for the node's own instances). */
export const STATUS_INSTANCE = 'rumor.status';

/** Tunables of the cluster probe; each has a default. */
export interface ClusterProbeInit {
  /** Instance name and broadcast tag. Default `'rumor.status'`. */
  name?: string;
  /** Longest wait for answers. Default 3 000 ms (a node reached only over lazy links gets the ask by GRAFT). */
  gatherTimeoutMs?: number;
  /** A gather within this long after the last one reuses what is known instead of asking again. Default 2 000 ms. */
  gatherIntervalMinMs?: number;
  /** Shortest time between two cards this node gossips. Default 1 000 ms. */
  answerIntervalMinMs?: number;
  /** Most cards of other nodes kept. Default 1 024. */
  cardsMax?: number;
  /** A card not refreshed for this long is forgotten. Default 300 000 ms. */
  cardTtlMs?: number;
  /** Recent peer up/down events kept. Default 100. */
  eventsMax?: number;
  /** Bounds on cards from peers. Default `DEFAULT_CARD_LIMITS`. */
  cardLimits?: Partial<CardLimits>;
}

/** What the probe runs on. */
export interface ClusterProbeComponents {
  /** This node's id. */
  self: string;
  /** The node's replica driver (`stack.replicas`). */
  driver: Pick<ReplicaDriver, 'createReplica'>;
  timers: Timers;
  /** This node's card, built when asked for (answers, full syncs, views). */
  card(): StatusCard;
}

/** A peer entering or leaving the active view, as the status instance saw it. */
export interface PeerEvent {
  /** `timers.now()` when it happened. */
  at: number;
  peer: string;
  kind: 'up' | 'down';
  /** For `down`: failed, left or evicted. */
  reason?: PeerDownReason;
}

/** One node of the cluster view. */
export interface ClusterMember {
  id: string;
  /** Its latest card, if any arrived (or this node's own). */
  card: StatusCard | undefined;
  /** `timers.now()` when the card arrived. */
  seenAt: number | undefined;
  /** True when the card answered the latest ask (always true for this node). */
  fresh: boolean;
}

/** What this node knows of the cluster. */
export interface ClusterView {
  self: string;
  /** `timers.now()` when the view was taken. */
  at: number;
  /** When the latest ask went out, if any. */
  askedAt: number | undefined;
  /** Every node named in a fresh card's active view answered. */
  complete: boolean;
  /** Every node with a card, and every node named in one without a card yet; sorted by id. */
  members: ClusterMember[];
}

/** Counters of the probe. */
export interface ClusterProbeStats {
  gathers: number;
  gathersComplete: number;
  gathersTimedOut: number;
  asksSent: number;
  asksReceived: number;
  cardsSent: number;
  cardsReceived: number;
  /** Asks answered by an answer already scheduled (rate limit). */
  answersCoalesced: number;
  /** Cards in the table now. */
  cards: number;
  /** Status input refused, by stable code. */
  rejected: Record<string, number>;
}

/** The cluster probe of one node. */
export interface ClusterProbe {
  /** Ask the cluster and resolve with the view once everybody reachable answered or the timeout passed. */
  gather(): Promise<ClusterView>;
  /** What is known now, without asking. */
  view(): ClusterView;
  /** Recent peer events, oldest first. */
  events(): PeerEvent[];
  stats(): ClusterProbeStats;
  /** Close the instance; a pending gather resolves with what it has. */
  close(): void;
}

interface Known {
  card: StatusCard;
  seenAt: number;
  /** Arrival order: a card answers an ask when it arrived after it (times may tie, sequence numbers do not). */
  seq: number;
}

/** Start the status instance on `driver`. */
export function createClusterProbe(init: ClusterProbeInit, components: ClusterProbeComponents): ClusterProbe {
  const { driver, timers } = components;
  const name = init.name ?? STATUS_INSTANCE;
  const timeoutMs = init.gatherTimeoutMs ?? 3000;
  const gatherMinMs = init.gatherIntervalMinMs ?? 2000;
  const answerMinMs = init.answerIntervalMinMs ?? 1000;
  const cardsMax = init.cardsMax ?? 1024;
  const ttlMs = init.cardTtlMs ?? 300_000;
  const eventsMax = init.eventsMax ?? 100;
  const limits: CardLimits = { ...DEFAULT_CARD_LIMITS, ...init.cardLimits };

  const cards = new Map<string, Known>();
  const up = new Set<string>();
  const recent: PeerEvent[] = [];
  const stats: Omit<ClusterProbeStats, 'cards'> = {
    gathers: 0,
    gathersComplete: 0,
    gathersTimedOut: 0,
    asksSent: 0,
    asksReceived: 0,
    cardsSent: 0,
    cardsReceived: 0,
    answersCoalesced: 0,
    rejected: {},
  };
  let closed = false;
  let lastAnswerAt = -Infinity;
  let cancelAnswer: (() => void) | undefined;
  let askedAt: number | undefined;
  let seq = 0;
  let askedSeq = Infinity;
  let lastGatherEnd = -Infinity;
  let pending: { promise: Promise<ClusterView>; finish: (timedOut: boolean) => void } | undefined;

  const selfCard = (): StatusCard => components.card();
  const self = components.self;

  function counted<T>(r: Result<T>): Result<T> {
    if (!r.ok) stats.rejected[r.error.code] = (stats.rejected[r.error.code] ?? 0) + 1;
    return r;
  }

  function record(event: PeerEvent): void {
    recent.push(event);
    if (recent.length > eventsMax) recent.splice(0, recent.length - eventsMax);
  }

  function store(card: StatusCard): void {
    if (card.id === self) return;
    stats.cardsReceived++;
    if (!cards.has(card.id) && cards.size >= cardsMax) {
      let oldest: string | undefined;
      let oldestAt = Infinity;
      for (const [id, k] of cards) if (k.seenAt < oldestAt) [oldest, oldestAt] = [id, k.seenAt];
      if (oldest !== undefined) cards.delete(oldest);
    }
    cards.delete(card.id); // re-insert: the map's order stays oldest-first for readers
    cards.set(card.id, { card, seenAt: timers.now(), seq: ++seq });
    if (pending !== undefined && complete(buildView())) pending.finish(false);
  }

  function sendCard(): void {
    if (closed) return;
    lastAnswerAt = timers.now();
    try {
      replica.broadcastCustom({ type: 'card', card: selfCard() });
      stats.cardsSent++;
    } catch {
      // Closed under us; nothing to tell.
    }
  }

  function onAsk(): void {
    stats.asksReceived++;
    if (cancelAnswer !== undefined) {
      stats.answersCoalesced++;
      return;
    }
    const wait = Math.max(0, lastAnswerAt + answerMinMs - timers.now());
    cancelAnswer = timers.setTimer(wait, () => {
      cancelAnswer = undefined;
      sendCard();
    });
  }

  const replica: Replica<never, StatusMessage> = driver.createReplica<never, StatusCard, StatusMessage>({
    name,
    pullOnStart: false,
    antiEntropyIntervalMs: 0,
    validate: {
      custom: (value, from) => counted(parseStatusMessage(value, from, limits)),
      snapshot: (value, from) => counted(parseCard(value, from, limits)),
    },
    callbacks: {
      mergeDelta() {
        // The status instance gossips only custom messages; a delta on its tag has nothing to merge.
      },
      applyFullSync(_name, card) {
        store(card);
      },
      fullSyncSnapshot(_name, to) {
        if (!up.has(to)) {
          up.add(to);
          record({ at: timers.now(), peer: to, kind: 'up' });
        }
        return selfCard();
      },
      removeNode(_name, node: NodeId, reason) {
        up.delete(node);
        record({ at: timers.now(), peer: node, kind: 'down', reason });
      },
      mergeCustom(_name, message) {
        if (message.type === 'ask') onAsk();
        else store(message.card);
      },
    },
  });

  function prune(now: number): void {
    for (const [id, k] of cards) if (now - k.seenAt > ttlMs) cards.delete(id);
  }

  function buildView(): ClusterView {
    const now = timers.now();
    prune(now);
    const own = selfCard();
    const members = new Map<string, ClusterMember>();
    members.set(own.id, { id: own.id, card: own, seenAt: now, fresh: true });
    for (const [id, k] of cards) {
      members.set(id, { id, card: k.card, seenAt: k.seenAt, fresh: k.seq > askedSeq });
    }
    for (const m of [...members.values()]) {
      for (const peer of m.card?.active ?? []) {
        if (!members.has(peer)) members.set(peer, { id: peer, card: undefined, seenAt: undefined, fresh: false });
      }
    }
    const list = [...members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const view: ClusterView = { self: own.id, at: now, askedAt, complete: false, members: list };
    view.complete = complete(view);
    return view;
  }

  function complete(view: ClusterView): boolean {
    const fresh = new Set(view.members.filter((m) => m.fresh).map((m) => m.id));
    for (const m of view.members) {
      if (!m.fresh) continue;
      for (const peer of m.card?.active ?? []) if (!fresh.has(peer)) return false;
    }
    return true;
  }

  return {
    gather() {
      if (pending !== undefined) return pending.promise;
      if (closed || timers.now() - lastGatherEnd < gatherMinMs) return Promise.resolve(buildView());
      stats.gathers++;
      askedAt = timers.now();
      askedSeq = seq;
      try {
        replica.broadcastCustom({ type: 'ask' });
        stats.asksSent++;
      } catch {
        return Promise.resolve(buildView());
      }
      let resolve!: (v: ClusterView) => void;
      const promise = new Promise<ClusterView>((r) => (resolve = r));
      let cancelTimeout: (() => void) | undefined;
      const finish = (timedOut: boolean): void => {
        if (pending === undefined) return;
        pending = undefined;
        cancelTimeout?.();
        lastGatherEnd = timers.now();
        const view = buildView();
        if (view.complete) stats.gathersComplete++;
        if (timedOut) stats.gathersTimedOut++;
        resolve(view);
      };
      pending = { promise, finish };
      cancelTimeout = timers.setTimer(timeoutMs, () => finish(true));
      if (complete(buildView())) finish(false); // alone, or nobody to wait for
      return promise;
    },
    view: buildView,
    events: () => recent.map((e) => ({ ...e })),
    stats: () => ({ ...stats, rejected: { ...stats.rejected }, cards: cards.size }),
    close() {
      if (closed) return;
      closed = true;
      cancelAnswer?.();
      pending?.finish(false);
      replica.close();
    },
  };
}
