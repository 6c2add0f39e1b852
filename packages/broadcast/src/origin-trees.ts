/**
 * One broadcast tree per active origin, beside the paper's shared tree (Rumor's addition to Plumtree,
 * docs/broadcast.md "Origin trees").
 *
 * The paper keeps a single eager/lazy split for every origin. With one sender that converges to a clean tree; with
 * many senders and links slower than the gap between broadcasts it does not: which copy of a message arrives second
 * depends on its origin, so messages from different origins PRUNE different edges of the same cycle and cut the tree,
 * the cut parts GRAFT back in parallel and close new cycles, and the tree never settles (measured: 2.3× the GOSSIPs
 * of a tree and ~14 GRAFTs per broadcast on 25 nodes with 100 ms links, bench/maelstrom/plumtree-storm.mjs). riak_core
 * keeps a tree per root for the same reason (riak_core#378).
 *
 * Rules, each for a reason:
 * - An origin's tree is created at its first message (or its first after the tree was dropped). If the flood budget
 *   allows, it starts with every link eager: that message floods once and the PRUNEs it causes leave exactly the
 *   first-arrival (lowest-latency) tree. Otherwise it starts as a copy of the shared tree (the paper's tree) and
 *   adapts by PRUNE and GRAFT like it. A tree never floods later: a flood overtakes the messages still travelling
 *   the older tree, and per-origin order on a stable overlay is worth keeping (the leader-election example broke).
 * - The budget is a token bucket of `floodsPerMinute` per node, and a flood is refunded when its origin sends again:
 *   steady senders — what a tree is for — cost nothing in the long run, while one-off senders (a burst of one
 *   message from each of thousands of nodes, occasional writers over a large cluster) spend it and then ride the
 *   shared tree.
 * - A PRUNE or GRAFT about origin `o` changes `o`'s tree only, if it has one; the shared tree learns only from
 *   duplicates whose copies both travelled shared links (plumtree.ts, `own`), so floods never cut it, and grows
 *   only by GRAFTs about origins without a tree, so one origin's repairs never leave cycles in it.
 * - A new link joins every tree eagerly, a lost one leaves every tree; the least recently used tree is dropped
 *   when `max` are kept.
 * Each tree is a short array of eager peers (at most the active view); the memory is `max` trees plus `max`
 * remembered first-time origins.
 */
import type { NodeId } from './ports.js';

/** Per-origin eager sets with a bounded, least-recently-used population. */
export interface OriginTrees {
  /**
   * The eager peers to push a message of `origin` to, applying the creation rules above (call once per message).
   * `shared` is the shared tree's eager set, `lazy` the rest of the peers.
   */
  forMessage(origin: NodeId, shared: ReadonlySet<NodeId>, lazy: ReadonlySet<NodeId>, now: number): readonly NodeId[];
  /** Whether `peer` is eager in `origin`'s tree, or in the shared tree if the origin has none; changes nothing. */
  isEager(origin: NodeId, peer: NodeId, shared: ReadonlySet<NodeId>): boolean;
  /** Whether `origin` has a tree of its own. */
  has(origin: NodeId): boolean;
  /** `peer` delivered `origin`'s latest message first: it is this node's parent in that tree. */
  setParent(origin: NodeId, peer: NodeId): void;
  /**
   * `peer` went down: it leaves every tree, every tree it was the parent in is orphaned until a message of its origin
   * arrives again, and its own tree is dropped (rooted at a node whose links will differ when it returns) — unless
   * this node is an orphan in it, which must not be forgotten: the next announcement of that origin is grafted at
   * once only while the orphan is known (a crash cut the tree, the origin linked to this node for a moment and left
   * again, and the node waited a full graft timeout — 1 node of 14 000 survivors, 1 000-node bench, seed 207).
   */
  peerDown(peer: NodeId): void;
  /** The peer that delivered `origin`'s latest message first, if `origin` has a tree and that peer is still linked. */
  parentOf(origin: NodeId): NodeId | undefined;
  /**
   * `peer` is lazy here in `origin`'s tree but was asked to keep pushing to us (plumtree.ts `onPrune`): its pushes
   * are expected, not a stale link to remind. Cleared when the link changes in that tree again (`set`) or goes down.
   */
  keep(origin: NodeId, peer: NodeId): void;
  isKept(origin: NodeId, peer: NodeId): boolean;
  /** Whether this node lost its parent in `origin`'s tree (see plumtree.ts: it grafts without waiting). */
  isOrphan(origin: NodeId): boolean;
  /** Makes `peer` eager (`true`) or lazy (`false`) in `origin`'s tree, if it has one. */
  set(origin: NodeId, peer: NodeId, isEager: boolean): void;
  /** Makes `peer` eager (`true`) or lazy (`false`) in every tree kept. */
  setAll(peer: NodeId, isEager: boolean): void;
  /** Forgets every tree. */
  clear(): void;
  /** Origin trees kept now. */
  readonly size: number;
}

/** Creates origin trees keeping at most `max` (0 keeps none: every origin uses the shared tree, as in the paper). */
export function createOriginTrees(max: number, floodsPerMinute: number): OriginTrees {
  // Maps iterate in insertion order: re-inserting on use keeps the least recently used first.
  const trees = new Map<NodeId, { eager: NodeId[]; flooded: boolean; messages: number; parent?: NodeId; orphan?: boolean; kept?: NodeId }>();
  // Token bucket of floods: holds at most `floodsPerMinute`, refills at that rate, and gets a token back when a
  // flooded origin sends again (the flood paid off: a steady sender).
  let tokens = floodsPerMinute;
  let tokensAt = 0;

  function refill(now: number): void {
    tokens = Math.min(floodsPerMinute, tokens + ((now - tokensAt) * floodsPerMinute) / 60_000);
    tokensAt = now;
  }

  function takeToken(now: number): boolean {
    if (floodsPerMinute <= 0) return false;
    refill(now);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  function apply(t: NodeId[], peer: NodeId, isEager: boolean): void {
    const at = t.indexOf(peer);
    if (isEager && at < 0) t.push(peer);
    else if (!isEager && at >= 0) t.splice(at, 1);
  }

  return {
    forMessage(origin, shared, lazy, now) {
      const t = trees.get(origin);
      if (t !== undefined) {
        trees.delete(origin);
        trees.set(origin, t);
        if (++t.messages === 2 && t.flooded) {
          refill(now);
          tokens = Math.min(floodsPerMinute, tokens + 1);
        }
        return t.eager;
      }
      if (max === 0) return [...shared];
      if (trees.size >= max) {
        const oldest = trees.keys().next();
        if (!oldest.done) trees.delete(oldest.value);
      }
      // Flood only here, at the tree's first message: flooding a later one would overtake the messages before it,
      // still on their way along the older tree.
      const flooded = takeToken(now);
      const created = { eager: flooded ? [...shared, ...lazy] : [...shared], flooded, messages: 1 };
      trees.set(origin, created);
      return created.eager;
    },
    isEager(origin, peer, shared) {
      const t = trees.get(origin);
      return t === undefined ? shared.has(peer) : t.eager.includes(peer);
    },
    has: (origin) => trees.has(origin),
    setParent(origin, peer) {
      const t = trees.get(origin);
      if (t === undefined) return;
      t.parent = peer;
      t.orphan = false;
    },
    peerDown(peer) {
      for (const t of trees.values()) {
        apply(t.eager, peer, false);
        if (t.kept === peer) t.kept = undefined;
        if (t.parent !== peer) continue;
        t.parent = undefined;
        t.orphan = true;
      }
      // A tree rooted at the peer itself was shaped by links it may not have when it comes back (a restart): drop it,
      // unless this node is an orphan in it (see the interface).
      if (trees.get(peer)?.orphan !== true) trees.delete(peer);
    },
    parentOf: (origin) => trees.get(origin)?.parent,
    keep(origin, peer) {
      const t = trees.get(origin);
      if (t !== undefined) t.kept = peer;
    },
    isKept: (origin, peer) => trees.get(origin)?.kept === peer,
    isOrphan: (origin) => trees.get(origin)?.orphan === true,
    set(origin, peer, isEager) {
      const t = trees.get(origin);
      if (t === undefined) return;
      apply(t.eager, peer, isEager);
      if (t.kept === peer) t.kept = undefined;
    },
    setAll(peer, isEager) {
      for (const t of trees.values()) {
        apply(t.eager, peer, isEager);
        if (t.kept === peer) t.kept = undefined;
      }
    },
    clear() {
      trees.clear();
    },
    get size() {
      return trees.size;
    },
  };
}
