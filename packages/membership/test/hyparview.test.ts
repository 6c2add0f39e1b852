import { describe, expect, it } from 'vitest';
import { MembershipErrorCode } from '@rumor/membership';
import { addr, fakeNode, id, makeActive } from './support/fake-components.js';

const ofType = (sent: { type: string }[], type: string) => sent.filter((m) => m.type === type);

describe('createHyParView', () => {
  it('starts empty and rejects impossible options', () => {
    const n = fakeNode();
    expect(n.hv.activeView()).toEqual([]);
    expect(n.hv.passiveView()).toEqual([]);
    expect(n.hv.stats().state).toBe('running');
    expect(() => fakeNode('x', { prwl: 7, arwl: 6 })).toThrow(/prwl/);
    expect(() => fakeNode('x', { activeViewSize: 0 })).toThrow(/activeViewSize/);
  });
});

describe('join (control)', () => {
  it('dials a contact, sends join on link up and takes the contact in on acceptance', () => {
    const n = fakeNode('new');
    n.hv.join([addr('c')]);
    expect(n.connects).toEqual([addr('c')]);
    n.link('c');
    expect(n.take()).toEqual([{ to: id('c'), type: 'join', body: {} }]);
    n.deliver('c', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toEqual([id('c')]);
    expect(n.ups).toEqual([{ peer: id('c'), address: addr('c') }]);
  });

  it('skips its own address and does nothing without other contacts', () => {
    const n = fakeNode('seed');
    n.hv.join([addr('seed')]);
    n.advance(120_000);
    expect(n.connects).toEqual([]);
  });

  it('retries the contacts with growing backoff while the active view is empty', () => {
    const n = fakeNode('new', { joinRetryMs: 1_000, joinRetryMaxMs: 8_000 });
    n.hv.join([addr('a'), addr('b')]);
    const times: number[] = [n.now()];
    let seen = n.connects.length;
    for (let t = 0; t < 60_000; t += 100) {
      n.advance(100);
      if (n.connects.length > seen) {
        seen = n.connects.length;
        times.push(n.now());
      }
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.length).toBeGreaterThan(4);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!); // doubles (with ±25 % jitter)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8_000 * 1.25 + 100);
    expect(new Set(n.connects)).toEqual(new Set([addr('a'), addr('b')])); // round-robin over contacts
  });

  it('stops retrying once it has an active peer, and rejoins after losing every active peer', () => {
    const n = fakeNode('new', { joinRetryMs: 1_000 });
    n.hv.join([addr('c')]);
    n.link('c');
    n.deliver('c', 'neighbor-reply', { accepted: true });
    const before = n.connects.length;
    n.advance(30_000);
    expect(n.connects.length).toBe(before);
    n.hv.onLinkDown(id('c'), 'failed');
    expect(n.downs).toEqual([{ peer: id('c'), reason: 'failed' }]);
    n.advance(2_000);
    expect(n.connects.length).toBeGreaterThan(before);
    expect(n.connects.at(-1)).toBe(addr('c'));
  });
});

describe('onJoin', () => {
  it('takes the new node in, accepts, and starts an ARWL walk through every other active peer', () => {
    const n = fakeNode('c');
    makeActive(n, 'p1', 'p2');
    n.link('new');
    n.deliver('new', 'join', {});
    expect(n.hv.activeView()).toContain(id('new'));
    const sent = n.take();
    expect(sent).toContainEqual({ to: id('new'), type: 'neighbor-reply', body: { accepted: true } });
    const walks = ofType(sent, 'forward-join');
    expect(walks.map((w) => w.to).sort()).toEqual([id('p1'), id('p2')]);
    for (const w of walks) expect(w.body).toEqual({ node: { id: 'new', address: addr('new') }, ttl: 6 });
  });

  it('evicts a random active peer with a disconnect when full', () => {
    const n = fakeNode('c', { activeViewSize: 2 });
    makeActive(n, 'p1', 'p2');
    n.link('new');
    n.deliver('new', 'join', {});
    expect(n.hv.activeView()).toHaveLength(2);
    expect(n.hv.activeView()).toContain(id('new'));
    const sent = n.take();
    const [bye] = ofType(sent, 'disconnect');
    expect(bye?.body).toEqual({ reason: 'evicted' });
    const victim = bye!.to;
    expect(n.downs).toEqual([{ peer: victim, reason: 'evicted' }]);
    expect(n.hv.passiveView().map((e) => e.id)).toContain(victim);
    expect(n.disconnects).toContain(victim);
    expect(n.hv.stats().evictions).toBe(1);
  });

  it('refuses joins after leave', () => {
    const n = fakeNode('c');
    n.hv.leave();
    n.link('new');
    n.deliver('new', 'join', {});
    expect(n.take()).toEqual([{ to: id('new'), type: 'neighbor-reply', body: { accepted: false } }]);
    expect(n.hv.activeView()).toEqual([]);
  });
});

describe('onForwardJoin', () => {
  const node = { id: 'new', address: addr('new') };

  it('at TTL 0 asks the new node with a high-priority neighbor and links on acceptance', () => {
    const n = fakeNode('q');
    makeActive(n, 'p1', 'p2');
    n.deliver('p1', 'forward-join', { node, ttl: 0 });
    expect(n.connects).toEqual([addr('new')]);
    n.link('new');
    expect(n.take()).toEqual([{ to: id('new'), type: 'neighbor', body: { priority: 'high' } }]);
    n.deliver('new', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toContain(id('new'));
  });

  it('ends the walk when the sender is its only active peer', () => {
    const n = fakeNode('q');
    makeActive(n, 'p1');
    n.deliver('p1', 'forward-join', { node, ttl: 5 });
    expect(n.connects).toEqual([addr('new')]);
  });

  it('walks on to a peer other than the sender with TTL − 1, keeping the node as passive at PRWL', () => {
    const n = fakeNode('q');
    makeActive(n, 'p1', 'p2', 'p3');
    n.deliver('p1', 'forward-join', { node, ttl: 5 });
    let [fwd] = n.take();
    expect(fwd?.type).toBe('forward-join');
    expect(fwd?.to).not.toBe(id('p1'));
    expect(fwd?.body).toEqual({ node, ttl: 4 });
    expect(n.hv.passiveView()).toEqual([]);
    n.deliver('p2', 'forward-join', { node, ttl: 3 });
    [fwd] = n.take();
    expect(fwd?.body).toEqual({ node, ttl: 2 });
    expect(n.hv.passiveView()).toEqual([node]);
  });

  it('ignores walks about itself', () => {
    const n = fakeNode('q');
    makeActive(n, 'p1');
    n.deliver('p1', 'forward-join', { node: { id: 'q', address: addr('q') }, ttl: 0 });
    expect(n.connects).toEqual([]);
    expect(n.take()).toEqual([]);
  });

  it('evicts to make room when the new node accepts and the view is full', () => {
    const n = fakeNode('q', { activeViewSize: 1 });
    makeActive(n, 'p1');
    n.deliver('p1', 'forward-join', { node, ttl: 0 });
    n.link('new');
    n.deliver('new', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toEqual([id('new')]);
    expect(n.downs).toEqual([{ peer: id('p1'), reason: 'evicted' }]);
  });
});

describe('onNeighbor', () => {
  it('accepts low priority into a free slot', () => {
    const n = fakeNode('q');
    n.link('p');
    n.deliver('p', 'neighbor', { priority: 'low' });
    expect(n.take()).toEqual([{ to: id('p'), type: 'neighbor-reply', body: { accepted: true } }]);
    expect(n.ups).toEqual([{ peer: id('p'), address: addr('p') }]);
  });

  it('rejects low priority when full and keeps the requester as a passive backup', () => {
    const n = fakeNode('q', { activeViewSize: 2 });
    makeActive(n, 'a', 'b');
    n.link('p');
    n.deliver('p', 'neighbor', { priority: 'low' });
    expect(n.take()).toEqual([{ to: id('p'), type: 'neighbor-reply', body: { accepted: false } }]);
    expect(n.hv.activeView().sort()).toEqual([id('a'), id('b')]);
    expect(n.hv.passiveView()).toEqual([{ id: 'p', address: addr('p') }]);
  });

  it('always accepts high priority, evicting when full', () => {
    const n = fakeNode('q', { activeViewSize: 2 });
    makeActive(n, 'a', 'b');
    n.link('p');
    n.deliver('p', 'neighbor', { priority: 'high' });
    const sent = n.take();
    expect(sent).toContainEqual({ to: id('p'), type: 'neighbor-reply', body: { accepted: true } });
    expect(ofType(sent, 'disconnect')).toHaveLength(1);
    expect(n.hv.activeView()).toContain(id('p'));
    expect(n.hv.activeView()).toHaveLength(2);
  });

  it('re-accepts an active peer without a second peerUp', () => {
    const n = fakeNode('q');
    makeActive(n, 'p');
    n.deliver('p', 'neighbor', { priority: 'low' });
    expect(n.take()).toEqual([{ to: id('p'), type: 'neighbor-reply', body: { accepted: true } }]);
    expect(n.ups).toHaveLength(1);
  });
});

describe('onNeighborReply', () => {
  function withPassive(...names: string[]) {
    // The paper's rule only: a leaf would escalate to high priority on the second round (see the escalation tests).
    const n = fakeNode('me', { activeViewSize: 3, escalateAfterRounds: 0 });
    makeActive(n, 'a');
    // Learn passive entries through a solicited shuffle-reply.
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: names.map((s) => ({ id: s, address: addr(s) })) });
    return n;
  }

  it('promotes an accepting passive candidate (low priority while the view is not empty)', () => {
    const n = withPassive('x');
    n.advance(11_000); // next round fills the short view
    expect(n.connects).toContain(addr('x'));
    n.link('x');
    expect(ofType(n.take(), 'neighbor')).toEqual([{ to: id('x'), type: 'neighbor', body: { priority: 'low' } }]);
    n.deliver('x', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toContain(id('x'));
    expect(n.hv.passiveView()).toEqual([]);
  });

  it('keeps a rejecting candidate as passive and closes the link', () => {
    const n = withPassive('x');
    n.advance(11_000);
    n.link('x');
    n.take();
    n.deliver('x', 'neighbor-reply', { accepted: false });
    expect(n.hv.activeView()).toEqual([id('a')]);
    expect(n.hv.passiveView().map((e) => e.id)).toEqual(['x']);
    expect(n.disconnects).toContain(id('x'));
  });

  it('honours a late acceptance when there is room', () => {
    const n = fakeNode('me');
    n.link('x');
    n.deliver('x', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toEqual([id('x')]);
    expect(n.hv.stats().rejected[MembershipErrorCode.Unsolicited]).toBe(1);
  });

  it('undoes an unsolicited acceptance with a disconnect when full', () => {
    const n = fakeNode('me', { activeViewSize: 1 });
    makeActive(n, 'a');
    n.link('x');
    n.deliver('x', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toEqual([id('a')]);
    expect(n.take()).toEqual([{ to: id('x'), type: 'disconnect', body: { reason: 'evicted' } }]);
    expect(n.disconnects).toContain(id('x'));
  });

  it('counts an unsolicited rejection and changes nothing', () => {
    const n = fakeNode('me');
    n.link('x');
    n.deliver('x', 'neighbor-reply', { accepted: false });
    expect(n.hv.activeView()).toEqual([]);
    expect(n.hv.passiveView()).toEqual([]);
    expect(n.hv.stats().rejected[MembershipErrorCode.Unsolicited]).toBe(1);
  });
});

describe('onDisconnect', () => {
  it('on eviction reports evicted, keeps the evictor as passive, and tries to refill', () => {
    const n = fakeNode('me');
    makeActive(n, 'a', 'b');
    n.deliver('a', 'disconnect', { reason: 'evicted' });
    expect(n.downs).toEqual([{ peer: id('a'), reason: 'evicted' }]);
    expect(n.hv.activeView()).toEqual([id('b')]);
    expect(n.hv.passiveView()).toEqual([{ id: 'a', address: addr('a') }]);
    expect(n.connects).toEqual([]); // the evictor is linked: the refill request goes over the open link
    expect(ofType(n.take(), 'neighbor')).toEqual([{ to: id('a'), type: 'neighbor', body: { priority: 'low' } }]);
  });

  it('on leave reports left and forgets the peer', () => {
    const n = fakeNode('me');
    makeActive(n, 'a');
    n.deliver('a', 'disconnect', { reason: 'left' });
    expect(n.downs).toEqual([{ peer: id('a'), reason: 'left' }]);
    expect(n.hv.passiveView()).toEqual([]);
  });

  it('ignores a disconnect from a peer that is not active', () => {
    const n = fakeNode('me');
    n.link('a');
    n.deliver('a', 'disconnect', { reason: 'left' });
    expect(n.downs).toEqual([]);
  });
});

describe('onShuffle', () => {
  const origin = { id: 'o', address: addr('o') };
  const sample = [origin, { id: 's1', address: addr('s1') }, { id: 'me', address: addr('me') }];

  it('walks on while TTL lasts, never back to the sender or to the origin', () => {
    const n = fakeNode('me');
    makeActive(n, 'a', 'b', 'o');
    n.deliver('a', 'shuffle', { id: 9, origin, ttl: 4, nodes: sample });
    const [fwd] = n.take();
    expect(fwd).toEqual({ to: id('b'), type: 'shuffle', body: { id: 9, origin, ttl: 3, nodes: sample } });
  });

  it('at the end replies over a temporary connection, closes it, and integrates the sample', () => {
    const n = fakeNode('me');
    makeActive(n, 'a');
    n.deliver('a', 'shuffle', { id: 9, origin, ttl: 1, nodes: sample });
    expect(n.connects).toEqual([addr('o')]);
    // Self is never integrated; the origin and its sample are.
    expect(n.hv.passiveView().map((e) => e.id).sort()).toEqual(['o', 's1']);
    n.link('o');
    expect(n.take()).toEqual([{ to: id('o'), type: 'shuffle-reply', body: { id: 9, nodes: [] } }]);
    expect(n.disconnects).toEqual([id('o')]);
  });

  it('replies over an existing link to an active origin and keeps it', () => {
    const n = fakeNode('me');
    makeActive(n, 'o');
    n.deliver('o', 'shuffle', { id: 9, origin, ttl: 0, nodes: sample });
    expect(n.take()).toEqual([{ to: id('o'), type: 'shuffle-reply', body: { id: 9, nodes: [] } }]);
    expect(n.connects).toEqual([]);
    expect(n.disconnects).toEqual([]);
  });

  it('never lets a shuffle overfill the passive view', () => {
    const n = fakeNode('me', { passiveViewSize: 4 });
    makeActive(n, 'a');
    const many = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, address: addr(`n${i}`) }));
    n.deliver('a', 'shuffle', { id: 1, origin, ttl: 0, nodes: many });
    expect(n.hv.passiveView()).toHaveLength(4);
  });
});

describe('onShuffleReply', () => {
  it('integrates a solicited reply, skipping self and active peers', () => {
    const n = fakeNode('me');
    makeActive(n, 'a');
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    expect(shuffle.to).toBe(id('a'));
    expect(shuffle.body.nodes[0]).toEqual({ id: 'me', address: addr('me') });
    expect(shuffle.body.ttl).toBe(6);
    const nodes = [{ id: 'x', address: addr('x') }, { id: 'me', address: addr('me') }, { id: 'a', address: addr('a') }];
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes });
    expect(n.hv.passiveView()).toEqual([{ id: 'x', address: addr('x') }]);
  });

  it('rejects unsolicited replies', () => {
    const n = fakeNode('me');
    makeActive(n, 'a');
    n.deliver('a', 'shuffle-reply', { id: 123, nodes: [{ id: 'x', address: addr('x') }] });
    expect(n.hv.passiveView()).toEqual([]);
    expect(n.hv.stats().rejected[MembershipErrorCode.Unsolicited]).toBe(1);
  });
});

describe('onLinkDown and promotion', () => {
  function nodeWithPassive(init: { shuffleIntervalMs?: number; [k: string]: number | undefined } = {}) {
    const n = fakeNode('me', { activeViewSize: 2, ...init });
    makeActive(n, 'a');
    n.advance(init.shuffleIntervalMs ?? 10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: [{ id: 'x', address: addr('x') }] });
    n.connects.length = 0;
    return n;
  }

  it('reports a failed active peer and promotes a passive one at once with high priority when empty', () => {
    const n = nodeWithPassive();
    n.hv.onLinkDown(id('a'), 'failed');
    expect(n.downs).toEqual([{ peer: id('a'), reason: 'failed' }]);
    expect(n.hv.passiveView().map((e) => e.id)).toEqual(['x']); // a failed peer is not kept
    expect(n.connects).toEqual([addr('x')]);
    n.link('x');
    expect(ofType(n.take(), 'neighbor')[0]?.body).toEqual({ priority: 'high' });
  });

  it('reports a closed link as left', () => {
    const n = nodeWithPassive();
    n.hv.onLinkDown(id('a'), 'closed');
    expect(n.downs).toEqual([{ peer: id('a'), reason: 'left' }]);
  });

  it('backs off a failing candidate exponentially and drops it after passiveFailuresMax failures', () => {
    const n = nodeWithPassive({ passiveBackoffMs: 1_000, passiveFailuresMax: 3, shuffleIntervalMs: 100_000 });
    n.hv.onLinkDown(id('a'), 'failed');
    const attempts: number[] = [];
    for (let t = 0; t < 60_000; t += 50) {
      while (n.connects.length > attempts.length) {
        attempts.push(n.now());
        n.hv.onConnectFailed(addr('x'), 'refused');
      }
      n.advance(50);
    }
    expect(attempts).toHaveLength(3);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThan(attempts[1]! - attempts[0]!);
    expect(n.hv.passiveView()).toEqual([]);
    expect(n.hv.stats().passiveDroppedFailed).toBe(1);
  });

  it('never spins on a backoff timer whose timers fire a hair early', () => {
    const n = fakeNode('me', { activeViewSize: 2, passiveBackoffMs: 1_000 }, 1, 1e-7);
    makeActive(n, 'a');
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: [{ id: 'x', address: addr('x') }] });
    n.hv.onLinkDown(id('a'), 'failed');
    n.hv.onConnectFailed(addr('x'), 'refused');
    for (let i = 0; i < 20; i++) n.advance(100);
    expect(n.connects.filter((c) => c === addr('x')).length).toBe(2); // retried once, after the backoff
    expect(n.now()).toBe(12_000);
  });

  it('treats an unanswered neighbor request as a failed attempt', () => {
    const n = nodeWithPassive({ requestTimeoutMs: 1_000 });
    n.hv.onLinkDown(id('a'), 'failed');
    n.link('x');
    n.take();
    n.advance(1_001);
    expect(n.hv.stats().promotionFailures).toBe(1);
    expect(n.disconnects).toContain(id('x'));
  });

  it('times out a dial the carrier never answers', () => {
    const n = nodeWithPassive({ requestTimeoutMs: 1_000 });
    n.hv.onLinkDown(id('a'), 'failed');
    n.advance(1_001);
    expect(n.hv.stats().pendingDials).toBe(0);
    expect(n.hv.stats().promotionFailures).toBe(1);
  });
});

describe('passive ageing', () => {
  it('drops entries not re-learned within passiveMaxAgeMs', () => {
    const n = fakeNode('me', { passiveMaxAgeMs: 50_000, activeViewSize: 1 });
    makeActive(n, 'a');
    n.deliver('a', 'shuffle', { id: 1, origin: { id: 'o', address: addr('o') }, ttl: 0, nodes: [] });
    expect(n.hv.passiveView().map((e) => e.id)).toEqual(['o']);
    n.advance(40_000);
    n.deliver('a', 'forward-join', { node: { id: 'y', address: addr('y') }, ttl: 0 });
    n.advance(40_000);
    expect(n.hv.passiveView().map((e) => e.id)).toEqual([]);
    expect(n.hv.stats().passiveAged).toBe(1);
  });
});

describe('onMessage', () => {
  it('rejects malformed input by code without changing state', () => {
    const n = fakeNode('me');
    makeActive(n, 'a');
    n.deliver('a', 'shuffle', { id: 1, origin: { id: 'o' }, ttl: 1, nodes: [] });
    n.deliver('a', 'neighbor', { priority: 'now' });
    n.deliver('a', 'nope', {});
    expect(n.hv.stats().rejected).toEqual({
      [MembershipErrorCode.BadAddress]: 1,
      [MembershipErrorCode.MalformedBody]: 1,
      [MembershipErrorCode.UnknownType]: 1,
    });
    expect(n.take()).toEqual([]);
    expect(n.hv.activeView()).toEqual([id('a')]);
  });

  it('rejects messages from a peer without a link', () => {
    const n = fakeNode('me');
    n.deliver('ghost', 'join', {});
    expect(n.hv.stats().rejected[MembershipErrorCode.NotLinked]).toBe(1);
    expect(n.hv.activeView()).toEqual([]);
  });

  it('contains a throwing event handler', () => {
    const n = fakeNode('me');
    // Replace the sink after creation through the recorded arrays: make push throw once.
    n.ups.push = () => {
      throw new Error('handler bug');
    };
    n.link('p');
    expect(() => n.deliver('p', 'neighbor', { priority: 'low' })).not.toThrow();
    expect(n.hv.activeView()).toEqual([id('p')]);
    expect(n.hv.stats().eventErrors).toBe(1);
  });
});

describe('leave and close', () => {
  it('leave says goodbye to every active peer, reports left, and closes links', () => {
    const n = fakeNode('me');
    makeActive(n, 'a', 'b');
    n.hv.leave();
    expect(ofType(n.take(), 'disconnect').map((m) => [m.to, m.body.reason]).sort()).toEqual([
      [id('a'), 'left'],
      [id('b'), 'left'],
    ]);
    expect(n.downs.map((d) => d.reason)).toEqual(['left', 'left']);
    expect(n.disconnects.sort()).toEqual([id('a'), id('b')]);
    expect(n.hv.activeView()).toEqual([]);
    expect(n.pendingTimers()).toBe(0);
  });

  it('join after leave starts again', () => {
    const n = fakeNode('me');
    n.hv.leave();
    n.hv.join([addr('c')]);
    expect(n.hv.stats().state).toBe('running');
    expect(n.connects).toEqual([addr('c')]);
  });

  it('close ignores all further input and cancels every timer', () => {
    const n = fakeNode('me');
    makeActive(n, 'a');
    n.hv.close();
    n.take();
    n.link('b');
    n.deliver('b', 'join', {});
    n.advance(100_000);
    expect(n.take()).toEqual([]);
    expect(n.hv.activeView()).toEqual([]);
    expect(n.hv.stats().state).toBe('closed');
    expect(n.pendingTimers()).toBe(0);
    expect(() => n.hv.join([addr('c')])).toThrow(/close/);
  });
});

describe('partition repair (lost peers)', () => {
  it('remembers a failed neighbour and retries it with high priority once its backoff expires', () => {
    const n = fakeNode('me', { reconnectProbability: 1, passiveBackoffMs: 1_000, shuffleIntervalMs: 10_000 });
    makeActive(n, 'a', 'b');
    n.hv.onLinkDown(id('a'), 'failed');
    expect(n.hv.stats().lost).toBe(1);
    n.connects.length = 0;
    n.advance(20_000);
    expect(n.connects).toContain(addr('a'));
    n.link('a');
    expect(ofType(n.take(), 'neighbor')).toContainEqual({ to: id('a'), type: 'neighbor', body: { priority: 'high' } });
    n.deliver('a', 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView()).toContain(id('a'));
    expect(n.hv.isActive(id('a'))).toBe(true);
    expect(n.hv.stats().lost).toBe(0);
  });

  it('backs off an unreachable lost peer without dropping it', () => {
    const n = fakeNode('me', { reconnectProbability: 1, passiveBackoffMs: 1_000, shuffleIntervalMs: 10_000 });
    makeActive(n, 'a', 'b');
    n.hv.onLinkDown(id('a'), 'failed');
    for (let i = 0; i < 5; i++) {
      n.advance(10_000);
      for (const c of n.connects.splice(0)) n.hv.onConnectFailed(c, 'refused');
    }
    expect(n.hv.stats().lost).toBe(1);
    expect(n.hv.stats().reconnectAttempts).toBeLessThan(5); // 2, 4, 8 s backoff skips some rounds
    expect(n.hv.stats().reconnectAttempts).toBeGreaterThan(0);
  });

  it('does not remember peers that left or were evicted', () => {
    const n = fakeNode('me');
    makeActive(n, 'a', 'b');
    n.deliver('a', 'disconnect', { reason: 'left' });
    n.deliver('b', 'disconnect', { reason: 'evicted' });
    expect(n.hv.stats().lost).toBe(0);
  });
});

describe('fill after rejections', () => {
  it('asks the next candidate at once after a rejection, up to fillRejectionsPerRound per round', () => {
    const n = fakeNode('me', { activeViewSize: 2, fillRejectionsPerRound: 2, fillParallelism: 1 });
    makeActive(n, 'a');
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    const names = ['x1', 'x2', 'x3', 'x4', 'x5'];
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: names.map((s) => ({ id: s, address: addr(s) })) });
    n.connects.length = 0;
    n.advance(11_000); // the round asks one candidate
    const asked: string[] = [];
    for (let i = 0; i < 10 && n.connects.length > 0; i++) {
      const c = n.connects.shift()!;
      const peer = c.replace('sim://', '');
      asked.push(peer);
      n.link(peer);
      n.take();
      n.deliver(peer, 'neighbor-reply', { accepted: false });
    }
    expect(asked).toHaveLength(3); // the round's request plus two retries
    expect(new Set(asked).size).toBe(3); // never the same rejecting candidate twice in a round
  });
});

describe('fill parallelism', () => {
  it('dials fillParallelism candidates per free slot but sends only as many requests as free slots', () => {
    const n = fakeNode('me', { activeViewSize: 2, fillParallelism: 3 });
    makeActive(n, 'a');
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    const names = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7'];
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: names.map((s) => ({ id: s, address: addr(s) })) });
    n.connects.length = 0;
    n.hv.onLinkDown(id('a'), 'failed'); // empty: two free slots, high priority
    expect(n.connects).toHaveLength(6);
    const [c1, c2, c3] = n.connects.map((c) => c.replace('sim://', ''));
    n.link(c1!);
    n.link(c2!);
    n.link(c3!); // a third live candidate: not needed while two requests are out
    const requests = ofType(n.take(), 'neighbor');
    expect(requests.map((r) => r.to)).toEqual([id(c1!), id(c2!)]);
    expect(requests.every((r) => r.body.priority === 'high')).toBe(true);
    expect(n.disconnects).toContain(id(c3!));
    n.deliver(c1!, 'neighbor-reply', { accepted: true });
    n.deliver(c2!, 'neighbor-reply', { accepted: true });
    expect(n.hv.activeView().sort()).toEqual([id(c1!), id(c2!)].sort());
  });
});


describe('escalation of a persistently short view', () => {
  it('asks one candidate with high priority after escalateAfterRounds short rounds', () => {
    const n = fakeNode('me', { activeViewSize: 3, escalateAfterRounds: 3, fillRejectionsPerRound: 0, fillParallelism: 1 });
    makeActive(n, 'a');
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: ['x', 'y'].map((s) => ({ id: s, address: addr(s) })) });
    const priorities: string[] = [];
    for (let round = 0; round < 6; round++) {
      n.advance(11_000);
      for (const c of n.connects.splice(0)) n.link(c.replace('sim://', ''));
      for (const m of n.take()) {
        if (m.type !== 'neighbor') continue;
        priorities.push(m.body.priority);
        n.deliver(m.to, 'neighbor-reply', { accepted: false }); // everyone it knows is full
      }
    }
    expect(priorities).toContain('low');
    expect(priorities).toContain('high');
    expect(n.hv.stats().escalations).toBeGreaterThanOrEqual(1);
  });
});

describe('escalation of a leaf', () => {
  /**
   * The round (1-based) in which the node first asks with high priority; every candidate it knows answers as
   * `answer` says: full (a rejection) or unreachable (the dial fails, as after a crash).
   */
  function firstHighRound(peers: string[], answer: 'full' | 'unreachable' = 'full', failed: string[] = []): number | undefined {
    const n = fakeNode('me', { activeViewSize: 5, escalateAfterRounds: 5, fillRejectionsPerRound: 0, fillParallelism: 1, reconnectProbability: 0 });
    for (const p of [...peers, ...failed]) makeActive(n, p);
    for (const p of failed) n.hv.onLinkDown(id(p), 'failed'); // lost to failure: a crash under repair
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    n.deliver(shuffle.to, 'shuffle-reply', { id: shuffle.body.id, nodes: ['x', 'y', 'z'].map((s) => ({ id: s, address: addr(s) })) });
    for (let round = 1; round <= 6; round++) {
      n.advance(11_000);
      for (const c of n.connects.splice(0)) {
        if (answer === 'unreachable') n.hv.onConnectFailed(c, 'refused');
        else n.link(c.replace('sim://', ''));
      }
      for (const m of n.take()) {
        if (m.type !== 'neighbor') continue;
        if (m.body.priority === 'high' && !failed.some((f) => id(f) === m.to)) return round; // not a lost-peer retry
        n.deliver(m.to, 'neighbor-reply', { accepted: false });
      }
    }
    return undefined;
  }

  it('a node with one peer whose requests met only full nodes for two rounds escalates: a pair cut off from the rest is two leaves', () => {
    expect(firstHighRound(['a'])).toBeLessThanOrEqual(3);
  });

  it('a leaf that lost a peer to failure keeps escalateAfterRounds, even when it meets full nodes', () => {
    // 4: escalateAfterRounds (5) short rounds, counting the one before the first reported here.
    expect(firstHighRound(['a'], 'full', ['b']) ?? 99).toBeGreaterThanOrEqual(4);
  });

  it('a leaf whose candidates are unreachable (a mass crash) keeps escalateAfterRounds', () => {
    expect(firstHighRound(['a'], 'unreachable') ?? 99).toBeGreaterThanOrEqual(5);
  });

  it('a node with two peers keeps escalateAfterRounds', () => {
    expect(firstHighRound(['a', 'b'])).toBeGreaterThanOrEqual(4);
  });
});

describe('a group that only knows itself', () => {
  it('joins again through a contact when its view stays short and it has no candidate to ask', () => {
    const n = fakeNode('me', { escalateAfterRounds: 2 });
    n.hv.join([addr('seed')]);
    n.connects.length = 0;
    makeActive(n, 'island'); // another new node joined through us: the join retry stops
    for (let i = 0; i < 100 && !n.connects.includes(addr('seed')); i++) n.advance(500);
    expect(n.connects).toContain(addr('seed'));
    n.link('seed');
    expect(ofType(n.take(), 'join')).toEqual([{ to: id('seed'), type: 'join', body: {} }]);
    expect(n.hv.stats().escalations).toBeGreaterThanOrEqual(1);
  });
});

describe('a rejected high-priority request', () => {
  it('means the node has left: it is forgotten, not kept as a backup', () => {
    const n = fakeNode('me', { activeViewSize: 2 });
    makeActive(n, 'a');
    n.advance(10_000);
    const shuffle = n.take().find((m) => m.type === 'shuffle')!;
    n.deliver('a', 'shuffle-reply', { id: shuffle.body.id, nodes: [{ id: 'x', address: addr('x') }] });
    n.hv.onLinkDown(id('a'), 'failed'); // empty view: high priority
    n.link('x');
    expect(ofType(n.take(), 'neighbor')[0]?.body).toEqual({ priority: 'high' });
    n.deliver('x', 'neighbor-reply', { accepted: false });
    expect(n.hv.passiveView()).toEqual([]);
    expect(n.disconnects).toContain(id('x'));
  });
});
