import { describe, expect, it } from 'vitest';
import { BroadcastErrorCode, RumorBroadcastError, formatMessageId, PLUMTREE_DEFAULTS } from '@rumor/broadcast';
import { bytes, createHarness, gossip, id } from './support/fakes.js';

const A = id('a');
const B = id('b');
const C = id('c');
const m1 = formatMessageId(id('origin'), 1);
const m2 = formatMessageId(id('origin'), 2);

/**
 * A node with peers a, b, c (all eager, as after NeighborUp). The handler tests below pin the paper's mechanics,
 * so origin trees never start by flooding here (`originFloodsPerMinute: 0`: a new origin's tree is a copy of the
 * shared tree); the flooding start has tests of its own under "origin trees".
 */
function withPeers(init = {}, options = {}) {
  const h = createHarness({ originFloodsPerMinute: 0, ...init }, options);
  for (const p of [A, B, C]) h.node.onPeerUp(p);
  return h;
}

describe('createPlumtree', () => {
  describe('onPeerUp / onPeerDown', () => {
    it('puts a new peer in the eager set, ignores self and repeats', () => {
      const h = createHarness();
      h.node.onPeerUp(A);
      h.node.onPeerUp(A);
      h.node.onPeerUp(id('self'));
      expect(h.node.stats().eager).toEqual([A]);
      expect(h.node.stats().lazy).toEqual([]);
    });

    it('removes a downed peer from both sets and from the announcers of missing messages', () => {
      const h = withPeers();
      h.node.onMessage(A, 'prune', {});
      h.node.onMessage(A, 'ihave', { ids: [m1], hops: [1] });
      expect(h.node.stats().missing).toBe(1);
      h.node.onPeerDown(A);
      const s = h.node.stats();
      expect(s.eager).toEqual([B, C]);
      expect(s.lazy).toEqual([]);
      expect(s.missing).toBe(0);
      h.timers.advance(10_000);
      expect(h.of('graft')).toEqual([]);
    });

    it('drops what was queued for a downed peer, counted', () => {
      const h = withPeers();
      h.carrier((to) => (to === A ? 'backpressure' : 'accepted'));
      h.node.broadcast('t', bytes(1));
      h.node.broadcast('t', bytes(2));
      expect(h.node.stats().queued).toBe(2);
      h.node.onPeerDown(A);
      expect(h.node.stats().queued).toBe(0);
      expect(h.node.stats().dropped.peerDown).toBe(2);
    });
  });

  describe('broadcast', () => {
    it('pushes the payload to eager peers and announces it to lazy peers after the flush interval', () => {
      const h = withPeers({ ihaveFlushMs: 50 });
      h.node.onMessage(C, 'prune', {});
      const msgId = h.node.broadcast('room', bytes(7));
      expect(h.of('gossip').map((s) => s.to)).toEqual([A, B]);
      expect(h.of('gossip')[0]?.body).toEqual({ id: msgId, tag: 'room', hops: 1, payload: bytes(7) });
      expect(h.of('ihave')).toEqual([]);
      h.timers.advance(50);
      expect(h.of('ihave')).toEqual([{ to: C, type: 'ihave', body: { ids: [msgId], hops: [0] } }]);
      expect(h.delivered).toEqual([]); // the origin does not deliver its own message
    });

    it('mints distinct ids that keep increasing across a restart at a later time', () => {
      const first = createHarness();
      const a = first.node.broadcast('t', bytes());
      const b = first.node.broadcast('t', bytes());
      expect(a).not.toBe(b);
      const second = createHarness();
      second.timers.advance(1); // a restarted node: the clock moved on
      const c = second.node.broadcast('t', bytes());
      const seq = (x: string) => parseInt(x.slice(0, x.indexOf('@')), 36);
      expect(seq(c)).toBeGreaterThan(seq(b));
    });

    it('throws a coded error for a bad tag or an oversized payload', () => {
      const h = withPeers({ payloadBytesMax: 4, tagBytesMax: 3 });
      expect(() => h.node.broadcast('', bytes())).toThrow(RumorBroadcastError);
      expect(() => h.node.broadcast('abcd', bytes())).toThrow(/tag/);
      try {
        h.node.broadcast('t', bytes(1, 2, 3, 4, 5));
        expect.unreachable();
      } catch (e) {
        expect((e as RumorBroadcastError).code).toBe(BroadcastErrorCode.payloadTooLarge);
      }
    });
  });

  describe('onMessage gossip', () => {
    it('delivers a new message once with its metadata and forwards it to every other peer', () => {
      const h = withPeers();
      h.node.onMessage(B, 'prune', {}); // b lazy
      h.node.onMessage(A, 'gossip', gossip(m1, 3, 'room', bytes(9)));
      expect(h.delivered).toEqual([{ tag: 'room', payload: bytes(9), meta: { id: m1, from: A, origin: id('origin'), hops: 3 } }]);
      expect(h.of('gossip').map((s) => [s.to, s.body.hops])).toEqual([[C, 4]]);
      h.timers.advance(100);
      expect(h.of('ihave')).toEqual([{ to: B, type: 'ihave', body: { ids: [m1], hops: [3] } }]);
    });

    it('answers a duplicate with PRUNE, moves the sender to the lazy set and delivers nothing', () => {
      const h = withPeers();
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.clear();
      h.node.onMessage(B, 'gossip', gossip(m1));
      expect(h.delivered.length).toBe(1);
      expect(h.of('prune').map((s) => s.to)).toEqual([B]);
      expect(h.of('gossip')).toEqual([]);
      expect(h.node.stats().lazy).toEqual([B]);
      expect(h.node.stats().duplicates).toBe(1);
    });

    it('keeps a lazy sender lazy when it delivers a new message (its GOSSIP crossed our PRUNE; unlike the paper)', () => {
      const h = withPeers();
      h.node.onMessage(A, 'prune', {});
      h.node.onMessage(A, 'gossip', gossip(m1));
      expect(h.delivered.length).toBe(1);
      expect(h.node.stats().eager).not.toContain(A);
      expect(h.node.stats().lazy).toContain(A);
    });

    it('does not prune the tree parent when the first copy came from a peer already pruned', () => {
      const h = withPeers();
      h.node.onMessage(A, 'gossip', gossip(m1)); // A is the parent for this origin
      h.node.onMessage(B, 'gossip', gossip(m1)); // duplicate: B is pruned for this origin
      h.clear();
      // B's next GOSSIP left before our PRUNE reached it and wins the race; A's copy is then the duplicate.
      h.node.onMessage(B, 'gossip', gossip(m2));
      h.node.onMessage(A, 'gossip', gossip(m2));
      expect(h.delivered.map((d) => d.meta.from)).toEqual([A, B]);
      // A stays the parent; B, which should not be pushing, is reminded.
      expect(h.of('prune')).toEqual([{ to: B, type: 'prune', body: { origin: id('origin') } }]);
      expect(h.node.stats().eager).toContain(A);
    });

    it('delivers gossip from a node that is not a peer but never sends to it', () => {
      const h = withPeers();
      h.node.onMessage(id('stranger'), 'gossip', gossip(m1));
      expect(h.delivered.length).toBe(1);
      h.node.onMessage(id('stranger'), 'gossip', gossip(m1));
      expect(h.sent.filter((s) => s.to === id('stranger'))).toEqual([]);
    });

    it('does not deliver its own message coming back', () => {
      const h = withPeers();
      const mine = h.node.broadcast('t', bytes(1));
      h.clear();
      h.node.onMessage(A, 'gossip', gossip(mine));
      expect(h.delivered).toEqual([]);
      expect(h.of('prune').map((s) => s.to)).toEqual([A]);
    });

    it('asks isKnown beyond the dedup horizon and treats a known id as a duplicate', () => {
      const h = withPeers({}, { isKnown: (x: string) => x === m1 });
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.node.onMessage(A, 'gossip', gossip(m2));
      expect(h.delivered.map((d) => d.meta.id)).toEqual([m2]);
    });

    it('does not forward what the application refuses or throws on, and counts it', () => {
      const h = withPeers({}, { deliver: (_t: string, p: Uint8Array) => { if (p[0] === 0) return false; if (p[0] === 1) throw new Error('boom'); } });
      h.node.onMessage(A, 'gossip', gossip(m1, 1, 't', bytes(0)));
      h.node.onMessage(A, 'gossip', gossip(m2, 1, 't', bytes(1)));
      expect(h.of('gossip')).toEqual([]);
      const s = h.node.stats();
      expect(s.rejected[BroadcastErrorCode.appRefused]).toBe(1);
      expect(s.rejected[BroadcastErrorCode.appThrew]).toBe(1);
      expect(s.delivered).toBe(0);
      // A refused id is not grafted later either.
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(B, 'ihave', { ids: [m1], hops: [0] });
      expect(h.node.stats().missing).toBe(0);
    });

    it('cancels the pending graft when the payload arrives', () => {
      const h = withPeers();
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(B, 'ihave', { ids: [m1], hops: [1] });
      h.node.onMessage(A, 'gossip', gossip(m1, 2));
      h.timers.advance(10_000);
      expect(h.of('graft')).toEqual([]);
      expect(h.node.stats().missing).toBe(0);
    });
  });

  describe('onMessage ihave', () => {
    it('grafts the first announcer after graftTimeoutMs, then the next after graftRetryMs', () => {
      const h = withPeers({ graftTimeoutMs: 100, graftRetryMs: 40 });
      h.node.onMessage(A, 'prune', {});
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(A, 'ihave', { ids: [m1], hops: [2] });
      h.node.onMessage(B, 'ihave', { ids: [m1], hops: [1] });
      h.timers.advance(99);
      expect(h.of('graft')).toEqual([]);
      h.timers.advance(1);
      expect(h.of('graft')).toEqual([{ to: A, type: 'graft', body: { ids: [m1] } }]);
      expect(h.node.stats().eager).toContain(A);
      h.timers.advance(40);
      expect(h.of('graft').map((s) => s.to)).toEqual([A, B]);
      h.node.onMessage(B, 'gossip', gossip(m1, 2));
      h.timers.advance(1000);
      expect(h.of('graft').length).toBe(2);
      expect(h.delivered.length).toBe(1);
    });

    it('goes round the announcers again under loss and gives up after graftAttemptsMax', () => {
      const h = withPeers({ graftTimeoutMs: 10, graftRetryMs: 10, graftAttemptsMax: 3 });
      h.node.onMessage(A, 'ihave', { ids: [m1], hops: [1] });
      h.timers.advance(1000);
      expect(h.of('graft').map((s) => s.to)).toEqual([A, A, A]);
      expect(h.node.stats().graftsAbandoned).toBe(1);
      expect(h.node.stats().missing).toBe(0);
    });

    it('ignores ids already delivered and caps tracked missing messages', () => {
      const h = withPeers({ missingMax: 1 });
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.node.onMessage(B, 'ihave', { ids: [m1, m2, formatMessageId(id('o'), 3)], hops: [0, 0, 0] });
      const s = h.node.stats();
      expect(s.missing).toBe(1);
      expect(s.missingOverflow).toBe(1);
    });

    it('records an announcement that overtook the peer-up, and grafts only a node that is a peer by then', () => {
      const h = withPeers({ graftTimeoutMs: 100 });
      h.node.onMessage(id('x'), 'ihave', { ids: [m1], hops: [0] });
      h.node.onMessage(id('y'), 'ihave', { ids: [m2], hops: [0] });
      expect(h.node.stats().missing).toBe(2);
      h.node.onPeerUp(id('x'));
      h.timers.advance(100);
      expect(h.of('graft')).toEqual([{ to: id('x'), type: 'graft', body: { ids: [m1] } }]);
      expect(h.node.stats().graftsAbandoned).toBe(1); // y never came up
      expect(h.sent.filter((s) => s.to === id('y'))).toEqual([]);
    });

    it('ignores GRAFT and PRUNE from a node that is not a peer, counted', () => {
      const h = withPeers();
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.clear();
      h.node.onMessage(id('x'), 'graft', { ids: [m1] });
      h.node.onMessage(id('x'), 'prune', {});
      expect(h.sent).toEqual([]);
      expect(h.node.stats().rejected[BroadcastErrorCode.notAPeer]).toBe(2);
    });

    it('swaps an eager parent for a lazy peer much closer to the origin (§3.8)', () => {
      const h = withPeers({ optimizationThreshold: 3, originTreesMax: 0 }); // the paper's shared tree
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(A, 'gossip', gossip(m1, 10));
      h.clear();
      h.node.onMessage(B, 'ihave', { ids: [m1], hops: [7] }); // 10 - 7 = 3: not more than the threshold
      expect(h.node.stats().optimizations).toBe(0);
      h.node.onMessage(B, 'ihave', { ids: [m1], hops: [6] }); // 10 - 6 = 4 > 3: swap
      expect(h.of('prune')).toEqual([{ to: A, type: 'prune', body: { origin: id('origin'), shared: true } }]);
      expect(h.of('graft')).toEqual([{ to: B, type: 'graft', body: { ids: [], origin: id('origin') } }]);
      const s = h.node.stats();
      expect(s.eager).toContain(B);
      expect(s.lazy).toContain(A);
      expect(s.optimizations).toBe(1);
      h.node.onMessage(C, 'prune', {});
      h.node.onMessage(C, 'ihave', { ids: [m1], hops: [6] }); // no second swap for the same distance
      expect(h.node.stats().optimizations).toBe(1);
    });

    it('batches announcements per peer and flushes a full batch at once', () => {
      const h = withPeers({ ihaveFlushMs: 1000, ihaveBatchMax: 2 });
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(C, 'prune', {});
      for (let i = 1; i <= 3; i++) h.node.onMessage(A, 'gossip', gossip(formatMessageId(id('o'), i)));
      expect(h.of('ihave').map((s) => [s.to, s.body.ids.length])).toEqual([[B, 2], [C, 2]]);
      h.timers.advance(1000);
      expect(h.of('ihave').map((s) => [s.to, s.body.ids.length])).toEqual([[B, 2], [C, 2], [B, 1], [C, 1]]);
    });

    it('sends one IHAVE per message when batching is off', () => {
      const h = withPeers({ ihaveFlushMs: 0 });
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.node.onMessage(A, 'gossip', gossip(m2));
      expect(h.of('ihave').map((s) => s.body.ids)).toEqual([[m1], [m2]]);
    });
  });

  describe('answer to our own GRAFT arriving second (the optimisation on a graft answer)', () => {
    /** B announces m1 at hops 0; the graft timer grafts B; the tree's copy then comes from A over 3 hops. */
    function graftedThenTreeCopy() {
      const h = withPeers();
      h.node.onMessage(B, 'ihave', { ids: [m1], hops: [0] });
      h.timers.advance(PLUMTREE_DEFAULTS.graftTimeoutMs);
      expect(h.of('graft')).toEqual([{ to: B, type: 'graft', body: { ids: [m1] } }]);
      h.node.onMessage(A, 'gossip', gossip(m1, 3));
      // Not pushed to B, which is answering: a copy there is a duplicate whose PRUNE would cut the link that the
      // answer below (over fewer hops) makes our parent, leaving no eager parent at all.
      expect(h.sent.filter((s) => s.to === B && s.type === 'gossip')).toEqual([]);
      h.clear();
      return h;
    }

    it('keeps the grafted peer when its answer came over fewer hops, and prunes the long tree path instead', () => {
      const h = graftedThenTreeCopy();
      h.node.onMessage(B, 'gossip', gossip(m1, 1)); // the GRAFT's answer: a duplicate, but 1 hop against 3
      expect(h.of('prune')).toEqual([{ to: A, type: 'prune', body: { origin: id('origin') } }]);
      expect(h.node.stats().optimizations).toBe(1);
      h.clear();
      h.node.onMessage(B, 'gossip', gossip(m2, 1)); // the origin's next message, over the kept link
      expect(h.of('gossip').map((g) => g.to)).not.toContain(A);
    });

    it('never pushes a message back to its origin, so the origin keeps the link that the answer made our parent', () => {
      const O = id('origin');
      const h = withPeers();
      h.node.onPeerUp(O); // the origin is a neighbour too (it linked to us after its tree formed)
      h.node.onMessage(O, 'ihave', { ids: [m1], hops: [0] });
      h.timers.advance(PLUMTREE_DEFAULTS.graftTimeoutMs);
      expect(h.of('graft')).toEqual([{ to: O, type: 'graft', body: { ids: [m1] } }]);
      h.node.onMessage(A, 'gossip', gossip(m1, 3)); // the tree's copy first
      h.timers.advance(PLUMTREE_DEFAULTS.ihaveFlushMs);
      // A copy (or an announcement) to the origin would be a duplicate there, and its PRUNE would cut the link
      // that the answer below makes our parent, leaving no eager parent in the origin's tree.
      expect(h.sent.filter((s) => s.to === O && s.type !== 'graft')).toEqual([]);
      h.node.onMessage(O, 'gossip', gossip(m1, 1)); // the answer, over 1 hop: keep the origin, prune A
      expect(h.of('prune')).toEqual([{ to: A, type: 'prune', body: { origin: O } }]);
      h.clear();
      h.node.onMessage(O, 'gossip', gossip(m2, 1));
      expect(h.of('gossip').map((g) => g.to).sort()).toEqual([B, C].sort());
    });

    it('prunes the grafted peer, as any duplicate, when its answer is not shorter', () => {
      const h = graftedThenTreeCopy();
      h.node.onMessage(B, 'gossip', gossip(m1, 3));
      expect(h.of('prune')).toEqual([{ to: B, type: 'prune', body: { origin: id('origin'), shared: true } }]);
      expect(h.node.stats().optimizations).toBe(0);
    });
  });

  describe('onMessage graft', () => {
    it('makes the sender eager and answers with the cached payload', () => {
      const h = withPeers({ originTreesMax: 0 }); // the shared tree (origin trees: origin-trees.test.ts)
      h.node.onMessage(A, 'gossip', gossip(m1, 2, 'x', bytes(5)));
      h.node.onMessage(B, 'prune', {});
      h.clear();
      h.node.onMessage(B, 'graft', { ids: [m1, m2] });
      expect(h.node.stats().eager).toContain(B);
      expect(h.of('gossip')).toEqual([{ to: B, type: 'gossip', body: { id: m1, tag: 'x', hops: 3, payload: bytes(5) } }]);
      expect(h.node.stats().graftsServed).toBe(1);
      expect(h.node.stats().graftsMissed).toBe(1);
    });

    it('asks the application for a payload the cache no longer holds', () => {
      const h = withPeers({ cacheCountMax: 1 }, { graft: (x: string) => (x === m1 ? { tag: 'app', payload: bytes(8) } : undefined) });
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.node.onMessage(A, 'gossip', gossip(m2));
      h.clear();
      h.node.onMessage(B, 'graft', { ids: [m1] });
      expect(h.of('gossip')[0]?.body).toMatchObject({ id: m1, tag: 'app', payload: bytes(8) });
    });

    it('evicts cached payloads by age', () => {
      const h = withPeers({ cacheAgeMs: 1000 });
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.timers.advance(1001);
      h.clear();
      h.node.onMessage(B, 'graft', { ids: [m1] });
      expect(h.of('gossip')).toEqual([]);
      expect(h.node.stats().cacheMessages).toBe(0);
    });
  });

  describe('onMessage prune', () => {
    it('moves the sender to the lazy set', () => {
      const h = withPeers();
      h.node.onMessage(A, 'prune', {});
      h.node.onMessage(A, 'prune', null);
      expect(h.node.stats().eager).toEqual([B, C]);
      expect(h.node.stats().lazy).toEqual([A]);
      expect(h.node.stats().received.prune).toBe(2);
    });
  });

  describe('onMessage (untrusted input)', () => {
    it('counts each refusal by code and leaves the state unchanged', () => {
      const h = withPeers({ payloadBytesMax: 2, ihaveBatchMax: 2 });
      const before = h.node.stats();
      h.node.onMessage(A, 'shuffle', {});
      h.node.onMessage(A, 'gossip', 'nope');
      h.node.onMessage(A, 'gossip', { ...gossip(m1), id: '01@x' });
      h.node.onMessage(A, 'gossip', { ...gossip(m1), tag: '' });
      h.node.onMessage(A, 'gossip', { ...gossip(m1), hops: 0 });
      h.node.onMessage(A, 'gossip', { ...gossip(m1), payload: bytes(1, 2, 3) });
      h.node.onMessage(A, 'ihave', { ids: [m1, m1, m1], hops: [0, 0, 0] });
      h.node.onMessage(A, 'ihave', { ids: [m1], hops: [0, 1] });
      const s = h.node.stats();
      expect(s.rejected).toEqual({
        [BroadcastErrorCode.unknownType]: 1,
        [BroadcastErrorCode.malformed]: 2,
        [BroadcastErrorCode.badId]: 1,
        [BroadcastErrorCode.badTag]: 1,
        [BroadcastErrorCode.badHops]: 1,
        [BroadcastErrorCode.payloadTooLarge]: 1,
        [BroadcastErrorCode.batchTooLarge]: 1,
      });
      expect({ ...s, rejected: {} }).toEqual({ ...before, rejected: {} });
      expect(h.delivered).toEqual([]);
      expect(h.sent).toEqual([]);
    });
  });

  describe('onDrain (backpressure)', () => {
    it('queues behind a refused send, in order, and sends on drain', () => {
      const h = withPeers();
      let full = true;
      h.carrier((to) => (to === A && full ? 'backpressure' : 'accepted'));
      const x = h.node.broadcast('t', bytes(1));
      const y = h.node.broadcast('t', bytes(2));
      expect(h.of('gossip', A)).toEqual([]);
      expect(h.node.stats().backpressure).toBe(1);
      expect(h.node.stats().queued).toBe(2);
      full = false;
      h.node.onDrain(A);
      expect(h.of('gossip', A).map((s) => s.body.id)).toEqual([x, y]);
      expect(h.node.stats().queued).toBe(0);
    });

    it('turns a gossip that does not fit into an announcement, and counts it', () => {
      const h = withPeers({ sendQueueMax: 1, ihaveFlushMs: 10 });
      let full = true;
      h.carrier((to) => (to === A && full ? 'backpressure' : 'accepted'));
      h.node.broadcast('t', bytes(1));
      const y = h.node.broadcast('t', bytes(2));
      expect(h.node.stats().deferred).toBe(1);
      full = false;
      h.node.onDrain(A);
      h.timers.advance(10);
      expect(h.of('ihave', A).map((s) => s.body.ids)).toEqual([[y]]);
    });

    it('counts messages lost to a closed connection', () => {
      const h = withPeers();
      h.carrier((to) => (to === A ? 'closed' : 'accepted'));
      h.node.broadcast('t', bytes(1));
      expect(h.node.stats().dropped.closed).toBe(1);
    });
  });

  describe('anti-entropy', () => {
    it('re-announces recent ids to a random peer, and stops once the window is empty', () => {
      const h = withPeers({ antiEntropyIntervalMs: 100, antiEntropyWindowMs: 1000 });
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.clear();
      h.timers.advance(130);
      expect(h.of('ihave').length).toBe(1);
      expect(h.of('ihave')[0]?.body).toEqual({ ids: [m1], hops: [1] });
      expect(h.node.stats().antiEntropySent).toBe(1);
      h.timers.advance(5000);
      expect(h.timers.pending).toBe(0);
    });

    it('lets a node that lost the eager push graft the message from any peer that re-announces it', () => {
      const h = withPeers({ graftTimeoutMs: 50 });
      h.node.onMessage(A, 'ihave', { ids: [m1], hops: [0] }); // an anti-entropy IHAVE from an eager peer
      h.timers.advance(50);
      expect(h.of('graft', A).length).toBe(1);
    });
  });

  describe('onPeerUp announcement', () => {
    it('announces the anti-entropy window once to a peer that comes up', () => {
      const h = withPeers({ antiEntropyIntervalMs: 1000, antiEntropyWindowMs: 5000 });
      h.node.onMessage(A, 'gossip', gossip(m1, 2));
      h.clear();
      h.node.onPeerUp(id('new'));
      expect(h.of('ihave', 'new')).toEqual([{ to: id('new'), type: 'ihave', body: { ids: [m1], hops: [2] } }]);
      h.timers.advance(6000);
      h.clear();
      h.node.onPeerUp(id('late'));
      expect(h.of('ihave', 'late')).toEqual([]);
    });
  });

  describe('close', () => {
    it('cancels every timer and ignores later input', () => {
      const h = withPeers({ antiEntropyIntervalMs: 100 });
      h.node.onMessage(B, 'prune', {});
      h.node.onMessage(A, 'gossip', gossip(m1));
      h.node.onMessage(B, 'ihave', { ids: [m2], hops: [0] });
      h.node.close();
      expect(h.timers.pending).toBe(0);
      h.node.onMessage(A, 'gossip', gossip(m2));
      expect(h.delivered.length).toBe(1);
      expect(h.node.stats().rejected[BroadcastErrorCode.closed]).toBe(1);
      expect(() => h.node.broadcast('t', bytes())).toThrow(RumorBroadcastError);
    });
  });
});
