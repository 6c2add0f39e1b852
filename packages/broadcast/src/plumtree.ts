/**
 * Plumtree (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS 2007) as a pure state machine.
 *
 * Implements §3: eager push of payloads along a spanning tree embedded in the active view, lazy push of
 * announcements (IHAVE) on every other link, PRUNE of a link that delivered a duplicate, GRAFT of a link that
 * announced a message the tree did not deliver in time (first timer, then retries through the other announcers —
 * Algorithm 2), and the optimisation step of §3.8 that swaps an eager link for a lazy one much closer to the
 * origin. Many tags (replica instance names) share one bus: the dedup set and the tree are shared, delivery
 * carries the tag.
 *
 * Rumor's additions, each documented in docs/broadcast.md: a tree per active origin over a shared default tree
 * (origin-trees.ts), links turning eager only on peer up and GRAFT, and a duplicate pruning only when the first
 * copy came by the tree; IHAVE batching per peer, flushed with any GOSSIP to the same peer; anti-entropy of recent ids,
 * so a lost IHAVE or a lost GRAFT reply does not lose a message for good; bounded per-peer queues under carrier
 * backpressure, with a GOSSIP that cannot be queued left to lazy repair; bounds on every cache and queue.
 *
 * Guarantees: each message id is handed to `deliver` at most once while it is within the dedup horizon (and never
 * again if the application's `isKnown` remembers it); the origin never delivers its own message; input from the
 * network is validated, counted by code when refused, and never throws; the eager and lazy sets are disjoint and
 * hold only peers membership reported up and not yet down.
 */
import { BroadcastErrorCode as E, RumorBroadcastError, type BroadcastErrorCode } from './errors.js';
import { createLazyPushQueue } from './lazy-push-queue.js';
import { createMessageCache } from './message-cache.js';
import { createMissingMessages } from './missing-messages.js';
import { createIdSource, parseMessageId, type MessageId } from './message-id.js';
import { decodeMessage, MessageType, type GossipBody, type GraftBody, type IHaveBody, type PruneBody } from './messages.js';
import { createOriginTrees } from './origin-trees.js';
import { messageLimits, resolveOptions, type PlumtreeInit } from './options.js';
import { createOutbox } from './outbox.js';
import type { Logger, NodeId, Random, SendResult, Timers } from './ports.js';
import { createRecentIds } from './recent-ids.js';
import { createSeenSet, type SeenEntry } from './seen-set.js';
import type { PlumtreeStats, TypeCounts } from './stats.js';
import { utf8Length } from './utf8.js';

/** What `deliver` is told about a message besides its tag and payload. */
export interface DeliveryMeta {
  /** The message's unique id. */
  id: MessageId;
  /** The peer it arrived from. */
  from: NodeId;
  /** The node that broadcast it. */
  origin: NodeId;
  /** Links travelled from the origin to this node. */
  hops: number;
}

/** A message the application can hand back for a GRAFT after the cache let it go. */
export interface GraftPayload {
  tag: string;
  payload: Uint8Array;
}

/**
 * What Plumtree needs from the node it runs on. The application part mirrors partisan's plumtree handler:
 * `deliver` (partisan `merge`), `isKnown` (`is_stale`) and `graft` (`graft`).
 */
export interface PlumtreeComponents {
  /** This node. */
  self: NodeId;
  /** Send a broadcast-layer message to a peer membership reported up. */
  send(peer: NodeId, type: string, body: unknown): SendResult;
  timers: Timers;
  random: Random;
  /**
   * Hand a new message to the application, exactly once per id. Return `false` to refuse it (invalid payload):
   * it is then neither forwarded nor announced, and counted as `broadcast.app-refused`. A throw counts as
   * `broadcast.app-threw` and also stops the message here.
   */
  deliver(tag: string, payload: Uint8Array, meta: DeliveryMeta): boolean | void;
  /** Whether the application already has message `id` although it left the dedup horizon (never deliver twice). */
  isKnown?(id: MessageId): boolean;
  /** The message `id` for a GRAFT that the payload cache no longer holds, if the application still can produce it. */
  graft?(id: MessageId): GraftPayload | undefined;
  log?: Logger;
}

/** A Plumtree node: inputs from membership and the carrier, controls for the application. */
export interface Plumtree {
  /** Membership reported `peer` up: it joins the eager set (§3.6, NeighborUp). */
  onPeerUp(peer: NodeId): void;
  /** Membership reported `peer` down: it leaves both sets, every pending announcement and every queue (NeighborDown). */
  onPeerDown(peer: NodeId): void;
  /** A broadcast-layer message arrived; `type` and `body` are untrusted. Never throws. */
  onMessage(from: NodeId, type: string, body: unknown): void;
  /** The carrier has room for `peer` again after a `backpressure` result. */
  onDrain(peer: NodeId): void;
  /** Broadcast `payload` on `tag` to every node; returns its id. The origin does not deliver it to itself. */
  broadcast(tag: string, payload: Uint8Array): MessageId;
  /** A snapshot of the sets and counters. */
  stats(): PlumtreeStats;
  /** Cancel every timer and drop every queue; later inputs are ignored and counted as `broadcast.closed`. */
  close(): void;
}

function zeroCounts(): TypeCounts {
  return { gossip: 0, ihave: 0, graft: 0, prune: 0 };
}

/** Creates a Plumtree node (see the module header for what it implements and guarantees). */
export function createPlumtree(init: PlumtreeInit, components: PlumtreeComponents): Plumtree {
  const o = resolveOptions(init);
  const limits = messageLimits(o);
  const { self, timers, random } = components;

  const eager = new Set<NodeId>();
  const lazy = new Set<NodeId>();
  const seen = createSeenSet(o.seenCountMax, o.seenAgeMs);
  const cache = createMessageCache({ countMax: o.cacheCountMax, bytesMax: o.cacheBytesMax, ageMs: o.cacheAgeMs });
  const recent = createRecentIds(o.antiEntropyWindowMs, o.seenCountMax);
  const nextId = createIdSource(self, () => timers.now());
  let closed = false;
  let aeCancel: (() => void) | undefined;

  const sent = zeroCounts();
  const received = zeroCounts();
  const c = {
    ihaveIdsSent: 0,
    ihaveIdsReceived: 0,
    antiEntropySent: 0,
    broadcast: 0,
    delivered: 0,
    duplicates: 0,
    graftsServed: 0,
    graftsMissed: 0,
    graftsAbandoned: 0,
    missingOverflow: 0,
    optimizations: 0,
    parentsKept: 0,
    backpressure: 0,
    deferred: 0,
  };
  const dropped = { full: 0, closed: 0, peerDown: 0 };
  const rejected: Partial<Record<BroadcastErrorCode, number>> = {};

  function reject(code: BroadcastErrorCode, from: NodeId | undefined, message: string): void {
    rejected[code] = (rejected[code] ?? 0) + 1;
    components.log?.debug?.('broadcast: rejected', { code, from, message });
  }

  const outbox = createOutbox(o.sendQueueMax, {
    carrier: (peer, type, body) => components.send(peer, type, body),
    accepted: (type) => {
      sent[type as keyof TypeCounts]++;
    },
    backpressure: () => {
      c.backpressure++;
    },
    lostOnClose: (n) => {
      dropped.closed += n;
    },
  });

  const lazyQueue = createLazyPushQueue(o.ihaveFlushMs, o.ihaveBatchMax, timers, (peer, ids, hops) => {
    sendIHave(peer, ids, hops);
  });

  function isPeer(peer: NodeId): boolean {
    return eager.has(peer) || lazy.has(peer);
  }

  const trees = createOriginTrees(o.originTreesMax, o.originFloodsPerMinute);

  function makeEager(peer: NodeId): void {
    lazy.delete(peer);
    eager.add(peer);
  }

  function makeLazy(peer: NodeId): void {
    eager.delete(peer);
    lazy.add(peer);
  }

  function sendIHave(peer: NodeId, ids: MessageId[], hops: number[]): boolean {
    if (!isPeer(peer)) return false;
    const outcome = outbox.send(peer, MessageType.ihave, { ids, hops } satisfies IHaveBody);
    if (outcome === 'full') dropped.full++;
    else if (outcome === 'closed') dropped.closed++;
    else {
      c.ihaveIdsSent += ids.length;
      return true;
    }
    return false;
  }

  function sendControl(peer: NodeId, type: 'graft' | 'prune', body: unknown): void {
    const outcome = outbox.send(peer, type, body);
    if (outcome === 'full') dropped.full++;
    else if (outcome === 'closed') dropped.closed++;
  }

  function sendGossip(peer: NodeId, body: GossipBody, announceHops: number): void {
    const outcome = outbox.send(peer, MessageType.gossip, body);
    // Announcements waiting for this peer leave now, in the same turn: a carrier that coalesces a turn's frames
    // (every Rumor carrier does) sends them in the GOSSIP's frame instead of a message of their own.
    if (outcome === 'sent' || outcome === 'queued') lazyQueue.flushPeer(peer);
    if (outcome === 'full') {
      // No room: announce instead, so the peer grafts it once the link drains (lazy repair).
      c.deferred++;
      lazyQueue.add(peer, body.id, announceHops);
    } else if (outcome === 'closed') dropped.closed++;
  }

  /**
   * Eager push along `origin`'s tree, lazy push to every other peer, except `except` (the peer it came from) and two
   * that have the message: the origin, and the peer we sent a GRAFT for it (its answer is on the way). A copy pushed
   * to the grafted peer is a duplicate there, and its PRUNE cut the link just as the answer, arriving second over
   * fewer hops, made that peer our parent (`keepGraftedParent`): the node was left with no eager parent in the
   * origin's tree until its next graft (Maelstrom sim seeds 3 and 5: 344 and 444 ms deliveries). A copy
   * that has travelled, or now travels, a link the shared tree has lazy is marked `own` from there on (`ownPath`).
   * Returns whether every push went over shared-tree links.
   */
  function forward(id: MessageId, origin: NodeId, tag: string, payload: Uint8Array, hops: number, except: NodeId | undefined, ownPath: boolean): boolean {
    const treeEager = trees.forMessage(origin, eager, lazy, timers.now());
    const grafted = graftedFrom.get(id);
    const skip = (peer: NodeId) => peer === except || peer === origin || peer === grafted;
    let allShared = true;
    if (hops + 1 <= o.hopsMax) {
      const body: GossipBody = { id, tag, hops: hops + 1, payload };
      let own: GossipBody | undefined; // built only when some push leaves the shared tree
      for (const peer of treeEager) {
        if (skip(peer)) continue;
        const shared = !ownPath && eager.has(peer);
        if (!shared) allShared = false;
        sendGossip(peer, shared ? body : (own ??= { ...body, own: true }), hops);
      }
    }
    for (const set of [eager, lazy]) {
      for (const peer of set) if (!skip(peer) && !treeEager.includes(peer)) lazyQueue.add(peer, id, hops);
    }
    return allShared;
  }

  /**
   * The link to `peer` turns eager: in `origin`'s own tree if it has one, otherwise in the shared tree (a GRAFT).
   * A repair for one origin says nothing about the shared tree: grafting shared links for origins that have trees
   * of their own left cycles the shared tree could not prune — their duplicates travel origin trees (`own`) — and
   * doubled a burst's redundancy (docs/broadcast.md, "Burst"). A node cut off the shared tree is linked back by the
   * first GRAFT it sends for an origin without a tree, as in the paper.
   */
  function graftLink(origin: NodeId | undefined, peer: NodeId): void {
    if (origin !== undefined && trees.has(origin)) trees.set(origin, peer, true);
    else makeEager(peer);
  }

  /** The link to `peer` turns lazy in `origin`'s own tree (if it has one), and in the shared tree if `shared`. */
  function pruneLink(origin: NodeId | undefined, peer: NodeId, shared: boolean): void {
    if (origin !== undefined) trees.set(origin, peer, false);
    if (shared) makeLazy(peer);
  }

  /** `pruneLink`, and a PRUNE naming the same trees to `peer`, so that the link leaves them at both ends. */
  function prune(origin: NodeId, peer: NodeId, shared: boolean): void {
    pruneLink(origin, peer, shared);
    sendControl(peer, MessageType.prune, (shared ? { origin, shared: true } : { origin }) satisfies PruneBody);
  }

  function remember(id: MessageId, tag: string, payload: Uint8Array, hops: number, from: NodeId | undefined, viaShared: boolean): void {
    const at = timers.now();
    seen.add(id, { at, hops, from, viaShared });
    cache.put(id, { tag, payload, hops, at });
    if (o.antiEntropyIntervalMs > 0 && o.antiEntropyWindowMs > 0) {
      recent.push(id, hops, at);
      if (aeCancel === undefined) scheduleAntiEntropy();
    }
  }

  // ---- anti-entropy of recent ids -------------------------------------------------------------------------------

  function scheduleAntiEntropy(): void {
    const delay = o.antiEntropyIntervalMs * (0.75 + 0.5 * random.next());
    aeCancel = timers.setTimer(delay, antiEntropyRound);
  }

  function randomPeer(): NodeId | undefined {
    const total = eager.size + lazy.size;
    if (total === 0) return undefined;
    let k = Math.floor(random.next() * total);
    for (const set of [eager, lazy]) {
      if (k >= set.size) {
        k -= set.size;
        continue;
      }
      for (const peer of set) if (k-- === 0) return peer;
    }
    return undefined;
  }

  function antiEntropyRound(): void {
    aeCancel = undefined;
    if (closed) return;
    recent.trim(timers.now());
    if (recent.size === 0) return; // idle: no timer pending until the next message
    const peer = randomPeer();
    if (peer !== undefined) {
      const { ids, hops } = recent.slice(o.ihaveBatchMax, random.next());
      if (sendIHave(peer, ids, hops)) c.antiEntropySent++;
    }
    scheduleAntiEntropy();
  }

  // ---- missing messages and grafts (Algorithm 2) ------------------------------------------------------------------

  const missing = createMissingMessages(timers, o.graftTimeoutMs, o.graftRetryMs, (id, m) => {
    const live = m.sources.filter(isPeer);
    if (live.length === 0 || m.attempts >= o.graftAttemptsMax) {
      missing.drop(id);
      c.graftsAbandoned++;
      return;
    }
    m.sources = live;
    // The paper takes announcers in arrival order; after the last one we go round again, because on a lossy
    // network the GRAFT or its answer may have been lost rather than the announcer gone.
    const peer = live[m.next % live.length] as NodeId;
    m.next++;
    m.attempts++;
    graftLink(parseMessageId(id)?.origin, peer);
    sendControl(peer, MessageType.graft, { ids: [id] } satisfies GraftBody);
    rememberGraft(id, peer);
    missing.retryLater(id);
  });

  // The peer each recent GRAFT went to, by id (the latest retry wins), so that its answer is recognised when it
  // arrives as a duplicate (`onDuplicate`). Bounded like the missing set; an answer that never comes ages out.
  const graftedFrom = new Map<MessageId, NodeId>();

  function rememberGraft(id: MessageId, peer: NodeId): void {
    graftedFrom.delete(id);
    graftedFrom.set(id, peer);
    if (graftedFrom.size > o.missingMax) graftedFrom.delete(graftedFrom.keys().next().value as MessageId);
  }

  function announced(id: MessageId, from: NodeId): void {
    if (!missing.announce(id, from, o.graftSourcesMax, o.missingMax)) c.missingOverflow++;
  }

  function knownToApp(id: MessageId): boolean {
    if (components.isKnown === undefined) return false;
    try {
      return components.isKnown(id) === true;
    } catch (cause) {
      components.log?.warn?.('broadcast: isKnown threw', { id, cause });
      return false;
    }
  }

  // ---- handlers, one per message ---------------------------------------------------------------------------------

  function onGossip(from: NodeId, body: GossipBody, origin: NodeId): void {
    received.gossip++;
    const { id, tag, hops, payload } = body;
    const peer = isPeer(from);
    const s = seen.get(id);
    if (s !== undefined || origin === self || knownToApp(id)) {
      c.duplicates++;
      if (peer) onDuplicate(from, id, origin, hops, s, body.own !== true);
      return;
    }
    missing.resolve(id);
    let refusal: BroadcastErrorCode | undefined;
    try {
      if (components.deliver(tag, payload, { id, from, origin, hops }) === false) refusal = E.appRefused;
    } catch (cause) {
      components.log?.warn?.('broadcast: deliver threw', { id, cause });
      refusal = E.appThrew;
    }
    if (refusal !== undefined) {
      // Remember the id so it is neither delivered again nor grafted, but do not spread what the app refused.
      seen.add(id, { at: timers.now(), hops, from });
      reject(refusal, from, 'the application did not take the payload');
      return;
    }
    c.delivered++;
    remember(id, tag, payload, hops, from, body.own !== true);
    // The paper also makes `from` eager here. Rumor does not: a GOSSIP from a lazy peer is one it sent before our
    // PRUNE reached it, and re-eagering on it re-forms the cycle the PRUNE just cut (docs/broadcast.md). Links turn
    // eager only on peer up and GRAFT, which both ends see.
    forward(id, origin, tag, payload, hops, from, body.own === true);
    // After `forward`, which creates the origin's tree at its first message: that message's sender is a parent too.
    trees.setParent(origin, from);
  }

  /**
   * §3.2: a duplicate means a redundant path, and the link it came by leaves this origin's tree on both ends — unless
   * the first copy came from a peer that is already lazy here. That peer sent it before our PRUNE reached it; it will
   * stop, and the duplicate's sender is the parent that stays. Pruning it too would cut this node off the tree
   * (two copies racing on equal-length paths do this on every other message). The lazy peer is reminded instead:
   * its PRUNE may be in flight, or it may never have had one (see below). A duplicate from the peer that delivered first (a GRAFT answer crossing an eager push)
   * changes nothing.
   *
   * The shared tree learns only from a duplicate whose two copies both travelled shared-tree links (`viaShared`):
   * a copy pushed over an origin's own tree says nothing about a cycle in the shared one (origin-trees.ts).
   */
  function onDuplicate(from: NodeId, id: MessageId, origin: NodeId, hops: number, s: SeenEntry | undefined, dupViaShared: boolean): void {
    const first = s?.from;
    if (first === from) return;
    if (graftedFrom.get(id) === from) {
      graftedFrom.delete(id);
      if (s !== undefined && first !== undefined && hops < s.hops && isPeer(first)) {
        keepGraftedParent(from, origin, first, s, hops);
        return;
      }
    }
    if (first !== undefined && isPeer(first) && !trees.isEager(origin, first, eager) && !trees.isKept(origin, first)) {
      // Remind it: a lazy peer that keeps pushing either has our PRUNE in flight (a second one costs nothing) or never
      // got one — trees copied from the shared tree at different times can start asymmetric. Not a parent we asked
      // to keep pushing (`onPrune`): its pushes are the tree's, and the duplicate's sender is the redundant one.
      sendControl(first, MessageType.prune, { origin } satisfies PruneBody);
      return;
    }
    prune(origin, from, dupViaShared && (s?.viaShared ?? true));
  }

  /**
   * The answer to our GRAFT came second, but over fewer hops than the copy the tree brought: the tree's path is the
   * long one — the graft timer fired because it was slow — and the answer lost the race only because it left late.
   * Pruning the grafted link, as a plain duplicate would, keeps the long path, and the next message grafts again:
   * an origin's direct neighbour reached over three hops grafted every message (25 nodes, 100 ms links; the slowest
   * Maelstrom deliveries). So the grafted peer stays the parent and the old one is pruned — the optimisation
   * step (§3.8) taken on the GRAFT's answer, in the origin's own tree if it has one, else in the shared tree.
   */
  function keepGraftedParent(grafted: NodeId, origin: NodeId, old: NodeId, s: SeenEntry, hops: number): void {
    c.optimizations++;
    prune(origin, old, !trees.has(origin));
    trees.setParent(origin, grafted);
    s.from = grafted;
    s.hops = hops;
  }

  function onIHave(from: NodeId, body: IHaveBody): void {
    received.ihave++;
    c.ihaveIdsReceived += body.ids.length;
    // An IHAVE may overtake membership's own handshake on the same connection (the accepting end reports the peer
    // up, and announces its window, before the requester has read the acceptance). Its ids are still recorded:
    // the graft timer only ever grafts announcers that are peers by the time it fires.
    for (let i = 0; i < body.ids.length; i++) {
      const id = body.ids[i] as MessageId;
      const hops = body.hops[i] as number;
      const s = seen.get(id);
      const origin = parseMessageId(id)?.origin as NodeId; // the decoder checked every id
      if (s !== undefined) {
        optimize(from, origin, s, hops);
        continue;
      }
      if (origin === self || knownToApp(id)) continue;
      announced(id, from);
      // Our parent in this origin's tree went down since its last message: the tree will not bring this one, so
      // graft the announcer now rather than after `graftTimeoutMs` (the repair costs one round trip, not a timeout).
      // Not before the announcer is a peer: an IHAVE that overtook the handshake (above) would find no peer to
      // graft and the message would be given up — a node whose every link a crash took waited for the next
      // anti-entropy round (10 000 nodes, 30 % crash, seed 204: 1 node late in 140 000).
      if (trees.isOrphan(origin) && isPeer(from)) missing.expireNow(id);
    }
  }

  /** §3.8: if `from` is more than `optimizationThreshold` hops closer to the origin than our tree parent, swap. */
  function optimize(from: NodeId, origin: NodeId, s: { hops: number; from: NodeId | undefined }, announcedHops: number): void {
    if (o.optimizationThreshold <= 0 || s.from === undefined || s.from === from) return;
    if (announcedHops + o.optimizationThreshold >= s.hops) return;
    if (!isPeer(s.from) || !isPeer(from)) return;
    if (!trees.isEager(origin, s.from, eager) || trees.isEager(origin, from, eager)) return;
    c.optimizations++;
    const parent = s.from;
    // The swap is for this origin's tree if it has one; for the shared tree otherwise.
    prune(origin, parent, !trees.has(origin));
    graftLink(origin, from);
    sendControl(from, MessageType.graft, { ids: [], origin } satisfies GraftBody);
    // The new link now serves this origin at the shorter distance; do not swap again on later announcements.
    s.from = from;
    s.hops = announcedHops + 1;
  }

  function onGraft(from: NodeId, body: GraftBody): void {
    received.graft++;
    if (!isPeer(from)) {
      reject(E.notAPeer, from, 'graft from a node that is not a peer');
      return;
    }
    if (body.ids.length === 0 && body.origin === undefined) makeEager(from); // a re-link of the shared tree alone
    if (body.origin !== undefined) graftLink(body.origin, from);
    const now = timers.now();
    for (const id of body.ids) {
      graftLink(parseMessageId(id)?.origin, from);
      const cached = cache.get(id, now);
      let tag: string | undefined;
      let payload: Uint8Array | undefined;
      let hops = seen.get(id)?.hops ?? cached?.hops ?? 0;
      if (cached !== undefined) {
        tag = cached.tag;
        payload = cached.payload;
        hops = cached.hops;
      } else if (components.graft !== undefined) {
        try {
          const p = components.graft(id);
          if (p !== undefined && p.payload instanceof Uint8Array) ({ tag, payload } = p);
        } catch (cause) {
          components.log?.warn?.('broadcast: graft threw', { id, cause });
        }
      }
      if (tag === undefined || payload === undefined || hops + 1 > o.hopsMax) {
        c.graftsMissed++;
        continue;
      }
      c.graftsServed++;
      sendGossip(from, { id, tag, hops: hops + 1, payload }, hops);
    }
  }

  function onPrune(from: NodeId, body: PruneBody): void {
    received.prune++;
    if (!isPeer(from)) {
      reject(E.notAPeer, from, 'prune from a node that is not a peer');
      return;
    }
    pruneLink(body.origin, from, body.origin === undefined || body.shared === true);
    // A PRUNE says that our pushes to `from` are redundant there — it says nothing about its pushes to us, yet its
    // sender turned the link lazy at both ends, as the paper's undirected tree does. In an origin's own tree the
    // flow has a direction: if `from` is our parent there, that cut our only path from the origin (our copy had
    // reached it while its copy of a later message was reaching us first: two PRUNEs crossing on a link, then the
    // next message waited for a graft — Maelstrom sim seed 3, 344 ms). Ask it to keep pushing to us; we keep the
    // link lazy on our side, so our copies stop and no new PRUNE follows.
    const origin = body.origin;
    if (origin !== undefined && trees.parentOf(origin) === from) {
      c.parentsKept++;
      trees.keep(origin, from);
      sendControl(from, MessageType.graft, { ids: [], origin } satisfies GraftBody);
    }
  }

  return {
    onPeerUp(peer) {
      if (closed || peer === self || isPeer(peer)) return;
      eager.add(peer);
      trees.setAll(peer, true);
      // A new link may join a part of the overlay that missed recent messages (a healed partition, a restarted
      // node): announce the anti-entropy window to it once, so it can graft what it lacks.
      recent.trim(timers.now());
      if (recent.size > 0 && o.antiEntropyIntervalMs > 0) {
        const { ids, hops } = recent.slice(o.ihaveBatchMax, random.next());
        if (sendIHave(peer, ids, hops)) c.antiEntropySent++;
      }
    },

    onPeerDown(peer) {
      if (closed || !isPeer(peer)) return;
      eager.delete(peer);
      lazy.delete(peer);
      trees.peerDown(peer);
      lazyQueue.discard(peer);
      dropped.peerDown += outbox.discard(peer);
      // An entry left with no announcer before its first GRAFT is dropped; a later announcement starts over.
      missing.removeSource(peer);
    },

    onMessage(from, type, body) {
      if (closed) {
        reject(E.closed, from, 'message after close');
        return;
      }
      const decoded = decodeMessage(type, body, limits);
      if (!decoded.ok) {
        reject(decoded.error.code, from, decoded.error.message);
        return;
      }
      const m = decoded.value;
      switch (m.type) {
        case 'gossip':
          return onGossip(from, m.body, m.origin);
        case 'ihave':
          return onIHave(from, m.body);
        case 'graft':
          return onGraft(from, m.body);
        case 'prune':
          return onPrune(from, m.body);
      }
    },

    onDrain(peer) {
      if (closed) return;
      outbox.drain(peer);
    },

    broadcast(tag, payload) {
      if (closed) throw new RumorBroadcastError(E.closed, 'broadcast after close');
      if (typeof tag !== 'string' || tag.length === 0 || utf8Length(tag) > o.tagBytesMax) {
        throw new RumorBroadcastError(E.badTag, `tag must be 1..${o.tagBytesMax} UTF-8 bytes`);
      }
      if (!(payload instanceof Uint8Array) || payload.byteLength > o.payloadBytesMax) {
        throw new RumorBroadcastError(E.payloadTooLarge, `payload must be bytes, at most ${o.payloadBytesMax}`);
      }
      const id = nextId();
      c.broadcast++;
      remember(id, tag, payload, 0, undefined, true);
      const viaShared = forward(id, self, tag, payload, 0, undefined, false);
      const entry = seen.get(id);
      if (entry !== undefined) entry.viaShared = viaShared;
      return id;
    },

    stats() {
      const now = timers.now();
      cache.sweep(now);
      seen.sweep(now);
      return {
        eager: [...eager],
        lazy: [...lazy],
        cacheMessages: cache.size,
        cacheBytes: cache.bytes,
        seen: seen.size,
        originTrees: trees.size,
        missing: missing.size,
        sent: { ...sent },
        received: { ...received },
        ...c,
        queued: outbox.queued,
        dropped: { ...dropped },
        rejected: { ...rejected },
      };
    },

    close() {
      if (closed) return;
      closed = true;
      aeCancel?.();
      aeCancel = undefined;
      lazyQueue.close();
      missing.close();
      for (const peer of [...eager, ...lazy]) outbox.discard(peer);
      eager.clear();
      lazy.clear();
      trees.clear();
      graftedFrom.clear();
    },
  };
}
