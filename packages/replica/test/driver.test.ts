import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplicaError, ReplicaErrorCode, type CallbackErrorEvent, type InvalidPayloadEvent, type ReplicaCallbacks } from '@rumor/replica';
import { encode } from '@rumor/crdt-wire';
import { createCluster, id, type Counters } from './fakes.js';
import { createStore, validCounters } from './store.js';

const gossipBytes = (type: string, body: unknown): Uint8Array => {
  const r = encode([type, body]);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('createReplicaDriver: gossip (delta, custom)', () => {
  it('delivers a delta to peers but not back to its origin', () => {
    const c = createCluster();
    const stores = ['a', 'b', 'c'].map(() => createStore());
    const reps = ['a', 'b', 'c'].map((n, i) => c.add(n).driver.createReplica({ name: 'm', callbacks: stores[i]!.callbacks }));
    c.link('a', 'b');
    c.link('b', 'c');
    c.flush();
    stores[0]!.state('m').set('x', 1); // the owner applies its own write first
    reps[0]!.broadcastUpdate({ x: 1 });
    c.flush();
    expect(stores[1]!.view('m')).toEqual({ x: 1 });
    expect(stores[2]!.view('m')).toEqual({ x: 1 });
    expect(stores[0]!.calls.filter((k) => k.callback === 'mergeDelta')).toHaveLength(0);
    expect(stores[1]!.calls.find((k) => k.callback === 'mergeDelta')?.from).toBe('a');
    // A broadcast layer that hands the origin its own payload back is ignored too.
    expect(c.nodes.get(id('a'))!.driver.onDeliver('m', gossipBytes('delta', { y: 2 }), id('a'))).toBe(true);
    c.flush();
    expect(stores[0]!.view('m')).toEqual({ x: 1 });
    expect(reps[0]!.stats().ownDeliveriesIgnored).toBe(1);
  });

  it('routes custom payloads to mergeCustom, and ignores them without it', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    const { mergeCustom: _drop, ...noCustom } = createStore().callbacks;
    const ra = c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks });
    const rc = c.add('c').driver.createReplica({ name: 'm', callbacks: noCustom as ReplicaCallbacks<Counters, Counters, unknown> });
    c.link('a', 'b');
    c.link('a', 'c');
    c.flush();
    ra.broadcastCustom({ fence: 7 });
    c.flush();
    expect(sb.calls.filter((k) => k.callback === 'mergeCustom')).toEqual([{ callback: 'mergeCustom', name: 'm', from: 'a', value: { fence: 7 } }]);
    expect(rc.stats().customIgnored).toBe(1);
    expect(sa.calls.filter((k) => k.callback === 'mergeCustom')).toHaveLength(0);
  });

  it('scopes instances by name: one callbacks object backs two instances', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    const a = c.add('a').driver;
    const b = c.add('b').driver;
    const a1 = a.createReplica({ name: 'one', callbacks: sa.callbacks });
    const a2 = a.createReplica({ name: 'two', callbacks: sa.callbacks });
    b.createReplica({ name: 'one', callbacks: sb.callbacks });
    b.createReplica({ name: 'two', callbacks: sb.callbacks });
    c.link('a', 'b');
    a1.broadcastUpdate({ k: 1 });
    a2.broadcastUpdate({ k: 2 });
    c.flush();
    expect(sb.view('one')).toEqual({ k: 1 });
    expect(sb.view('two')).toEqual({ k: 2 });
  });

  it('refuses an invalid delta (not relayed), counts it per peer and reports it', () => {
    const c = createCluster();
    const invalid: InvalidPayloadEvent[] = [];
    const sb = createStore();
    c.add('a');
    const b = c.add('b', {}, { invalid: (e) => invalid.push(e) }).driver;
    const rb = b.createReplica({ name: 'm', callbacks: sb.callbacks, validate: { delta: validCounters } });
    expect(b.onDeliver('m', gossipBytes('delta', { x: 'not a number' }), id('a'))).toBe(false);
    expect(b.onDeliver('m', new Uint8Array([0xc1]), id('a'))).toBe(false); // not msgpack
    expect(b.onDeliver('m', gossipBytes('bogus', 1), id('a'))).toBe(false);
    expect(b.onDeliver('m', gossipBytes('delta', { x: 3 }), id('a'))).toBe(true);
    expect(b.onDeliver('other', gossipBytes('delta', 'anything'), id('a'))).toBe(true); // not ours: relay
    expect(sb.view('m')).toEqual({ x: 3 });
    expect(invalid.map((e) => e.error.code)).toEqual(['test/not-counters', ReplicaErrorCode.undecodable, ReplicaErrorCode.malformed]);
    expect(b.stats().invalidByPeer).toEqual({ a: 3 });
    expect(rb.stats().invalid).toBe(1);
  });

  it('treats a throwing validator as a rejection', () => {
    const c = createCluster();
    const sb = createStore();
    const b = c.add('b').driver;
    b.createReplica({ name: 'm', callbacks: sb.callbacks, validate: { delta: () => { throw new Error('boom'); } } });
    expect(b.onDeliver('m', gossipBytes('delta', { x: 1 }), id('a'))).toBe(false);
    expect(b.stats().rejected[ReplicaErrorCode.validatorThrew]).toBe(1);
    expect(sb.view('m')).toEqual({});
  });
});

describe('createReplicaDriver: full sync', () => {
  it('pushes a full snapshot on peer up, both ways', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks });
    sa.state('m').set('x', 1);
    sb.state('m').set('y', 2);
    c.link('a', 'b');
    c.flush();
    expect(sa.view('m')).toEqual({ x: 1, y: 2 });
    expect(sb.view('m')).toEqual({ x: 1, y: 2 });
  });

  it('sends nothing when fullSyncSnapshot returns undefined', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks });
    c.link('a', 'b');
    c.flush();
    expect(c.nodes.get(id('a'))!.sent.filter((m) => m.type === 'sync')).toHaveLength(0);
    expect(sb.calls.filter((k) => k.callback === 'applyFullSync')).toHaveLength(0);
  });

  it('pulls from the active view on start: a late instance needs no peer up', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    const b = c.add('b').driver;
    c.link('a', 'b');
    c.flush();
    sa.state('m').set('x', 5);
    const rb = b.createReplica({ name: 'm', callbacks: sb.callbacks }); // after the link came up
    c.flush();
    expect(sb.view('m')).toEqual({ x: 5 });
    expect(rb.stats().syncRequestsSent).toBe(1);
    // A restart of the instance pulls again.
    rb.close();
    sb.states.clear();
    b.createReplica({ name: 'm', callbacks: sb.callbacks });
    c.flush();
    expect(sb.view('m')).toEqual({ x: 5 });
  });

  it('does not pull on start with pullOnStart: false', () => {
    const c = createCluster();
    const sa = createStore();
    c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    const b = c.add('b').driver;
    c.link('a', 'b');
    c.flush();
    const rb = b.createReplica({ name: 'm', callbacks: createStore().callbacks, pullOnStart: false });
    c.flush();
    expect(rb.stats().syncRequestsSent).toBe(0);
  });

  it('sends a large snapshot in bounded chunks and reassembles it', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    c.add('a', { chunkBytes: 100 }).driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks });
    for (let i = 0; i < 200; i++) sa.state('m').set(`key-${i}`, i);
    c.link('a', 'b');
    c.flush();
    const chunks = c.nodes.get(id('a'))!.sent.filter((m) => m.type === 'sync');
    const total = (chunks[0]!.body as { total: number }).total;
    expect(total).toBeGreaterThan(1500);
    expect(chunks).toHaveLength(Math.ceil(total / 100));
    for (const m of chunks) expect((m.body as { chunk: Uint8Array }).chunk.length).toBeLessThanOrEqual(100);
    expect(sb.view('m')).toEqual(sa.view('m'));
    expect(sb.calls.filter((k) => k.callback === 'applyFullSync')).toHaveLength(1);
  });

  it('pauses a transfer on backpressure and resumes on drain', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    const a = c.add('a', { chunkBytes: 50, sendRetryMs: 1_000_000 });
    a.driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks });
    for (let i = 0; i < 50; i++) sa.state('m').set(`k${i}`, i);
    let budget = 3;
    a.sendHook = (_to, type) => (type === 'sync' && budget-- <= 0 ? 'backpressure' : undefined);
    c.link('a', 'b');
    c.flush();
    expect(a.sent.filter((m) => m.type === 'sync')).toHaveLength(3);
    expect(sb.view('m')).toEqual({});
    expect(a.driver.stats().transfersOut.backpressured).toBe(1);
    a.sendHook = undefined;
    a.driver.onDrain(id('b'));
    c.flush();
    expect(sb.view('m')).toEqual(sa.view('m'));
  });

  it('drops incoming transfers of a peer that went down, and times out stalled ones', () => {
    const c = createCluster();
    const sa = createStore();
    const sb = createStore();
    const a = c.add('a', { chunkBytes: 40 });
    a.driver.createReplica({ name: 'm', callbacks: sa.callbacks });
    const b = c.add('b', { syncTimeoutMs: 1000 });
    b.driver.createReplica({ name: 'm', callbacks: sb.callbacks });
    for (let i = 0; i < 20; i++) sa.state('m').set(`k${i}`, i);
    let sent = 0;
    a.sendHook = (_to, type) => (type === 'sync' && ++sent > 2 ? 'backpressure' : undefined);
    c.link('a', 'b');
    c.flush();
    a.sendHook = () => 'closed'; // the link is gone; the retry sees a closed connection and drops the transfer
    c.run(2000);
    expect(b.driver.stats().transfersIn.transfersTimedOut).toBe(1);
    expect(b.driver.stats().rejected[ReplicaErrorCode.transferTimeout]).toBe(1);
    expect(sb.view('m')).toEqual({});
  });

  it('rejects hostile chunk sequences without applying anything', () => {
    const c = createCluster();
    const sb = createStore();
    const b = c.add('b', { syncBytesMax: 1000 }).driver;
    b.createReplica({ name: 'm', callbacks: sb.callbacks });
    const chunk = (over: Record<string, unknown>) => ({ name: 'm', xfer: 1, kind: 'full', index: 0, count: 2, total: 10, chunk: new Uint8Array(5), ...over });
    const from = id('evil');
    b.onMessage(from, 'sync', chunk({ total: 5000 })); // too large
    b.onMessage(from, 'sync', chunk({ index: 1 })); // starts mid-way
    b.onMessage(from, 'sync', chunk({ count: 100 })); // more chunks than bytes
    b.onMessage(from, 'sync', chunk({})); // good start
    b.onMessage(from, 'sync', chunk({ index: 1, chunk: new Uint8Array(6) })); // overflows the declared total
    b.onMessage(from, 'sync', chunk({ xfer: 2, count: 1, total: 3, chunk: new Uint8Array([1, 2, 3]) })); // undecodable
    expect(b.stats().invalidByPeer.evil).toBe(5);
    expect(sb.calls.filter((k) => k.callback === 'applyFullSync')).toHaveLength(0);
    expect(b.stats().transfersIn.transfersCompleted).toBe(1);
  });

  it('bounds transfers in flight per peer', () => {
    const c = createCluster();
    const b = c.add('b', { syncTransfersPerPeerMax: 2 }).driver;
    b.createReplica({ name: 'm', callbacks: createStore().callbacks });
    for (let x = 0; x < 3; x++) b.onMessage(id('p'), 'sync', { name: 'm', xfer: x, kind: 'full', index: 0, count: 2, total: 2, chunk: new Uint8Array(1) });
    expect(b.stats().rejected[ReplicaErrorCode.transferBusy]).toBe(1);
    expect(b.stats().invalidByPeer.p).toBeUndefined();
  });
});

describe('createReplicaDriver: peer down', () => {
  it('calls removeNode with the reason; evictions are not failures', () => {
    const c = createCluster();
    const sa = createStore();
    const a = c.add('a').driver;
    const ra = a.createReplica({ name: 'm', callbacks: sa.callbacks });
    c.add('b');
    c.add('d');
    c.link('a', 'b');
    c.link('a', 'd');
    c.unlink('a', 'b', 'evicted');
    c.unlink('a', 'd', 'failed');
    c.flush();
    expect(sa.calls.filter((k) => k.callback === 'removeNode').map((k) => [k.from, k.reason])).toEqual([
      ['b', 'evicted'],
      ['d', 'failed'],
    ]);
    expect(ra.stats().removeNodeCalls).toEqual({ failed: 1, left: 0, evicted: 1 });
  });
});

describe('createReplicaDriver: callbacks', () => {
  it('contains a throwing callback and keeps going', () => {
    const c = createCluster();
    const errors: CallbackErrorEvent[] = [];
    const sb = createStore();
    let throwOnce = true;
    const callbacks = {
      ...sb.callbacks,
      mergeDelta(name: string, d: Counters, from: never) {
        if (throwOnce) {
          throwOnce = false;
          throw new Error('merge exploded');
        }
        return sb.callbacks.mergeDelta(name, d, from);
      },
    };
    const ra = c.add('a').driver.createReplica({ name: 'm', callbacks: createStore().callbacks });
    const b = c.add('b', {}, { callbackError: (e) => errors.push(e) }).driver;
    const rb = b.createReplica({ name: 'm', callbacks });
    c.link('a', 'b');
    ra.broadcastUpdate({ x: 1 });
    ra.broadcastUpdate({ y: 2 });
    c.flush();
    expect(sb.view('m')).toEqual({ y: 2 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'm', callback: 'mergeDelta', error: { code: ReplicaErrorCode.callbackFailed, message: 'merge exploded' } });
    expect(rb.stats().callbackErrors).toBe(1);
    expect(b.stats().callbackErrors).toBe(1);
  });

  it('serialises async callbacks: a slow mergeDelta finishes before applyFullSync starts', async () => {
    const c = createCluster();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const callbacks: ReplicaCallbacks<Counters, Counters> = {
      async mergeDelta() {
        log.push('merge:start');
        await gate;
        log.push('merge:end');
      },
      async applyFullSync() {
        log.push('sync:start');
        log.push('sync:end');
      },
      fullSyncSnapshot: () => undefined,
      removeNode: () => undefined,
    };
    const b = c.add('b').driver;
    const rb = b.createReplica({ name: 'm', callbacks });
    const snap = encode({ x: 1 });
    if (!snap.ok) throw new Error();
    b.onDeliver('m', gossipBytes('delta', { x: 1 }), id('a'));
    b.onMessage(id('a'), 'sync', { name: 'm', xfer: 0, kind: 'full', index: 0, count: 1, total: snap.value.length, chunk: snap.value });
    await Promise.resolve();
    expect(log).toEqual(['merge:start']);
    expect(rb.stats().queued).toBe(2);
    release();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['merge:start', 'merge:end', 'sync:start', 'sync:end']);
    expect(rb.stats().deltasMerged).toBe(1);
    expect(rb.stats().fullSyncsApplied).toBe(1);
  });

  it('reports a rejected promise and a callback that never settles, then moves on', async () => {
    const c = createCluster();
    const errors: CallbackErrorEvent[] = [];
    const seen: number[] = [];
    let n = 0;
    const callbacks: ReplicaCallbacks<Counters, Counters> = {
      mergeDelta(_name, d) {
        n++;
        if (n === 1) return Promise.reject(new Error('rejected'));
        if (n === 2) return new Promise<void>(() => {}); // never settles
        seen.push(d.x!);
      },
      applyFullSync: () => undefined,
      fullSyncSnapshot: () => undefined,
      removeNode: () => undefined,
    };
    const b = c.add('b', {}, { callbackError: (e) => errors.push(e) }).driver;
    b.createReplica({ name: 'm', callbacks, callbackTimeoutMs: 500 });
    for (const x of [1, 2, 3]) b.onDeliver('m', gossipBytes('delta', { x }), id('a'));
    await new Promise((r) => setImmediate(r));
    expect(errors.map((e) => e.error.code)).toEqual([ReplicaErrorCode.callbackFailed]);
    c.run(600);
    expect(errors.map((e) => e.error.code)).toEqual([ReplicaErrorCode.callbackFailed, ReplicaErrorCode.callbackTimeout]);
    expect(seen).toEqual([3]);
  });

  it('drops and counts callbacks beyond the queue bound', async () => {
    const c = createCluster();
    const callbacks: ReplicaCallbacks<Counters, Counters> = {
      mergeDelta: () => new Promise<void>(() => {}),
      applyFullSync: () => undefined,
      fullSyncSnapshot: () => undefined,
      removeNode: () => undefined,
    };
    const b = c.add('b').driver;
    const rb = b.createReplica({ name: 'm', callbacks, callbackQueueMax: 3 });
    for (let x = 0; x < 10; x++) b.onDeliver('m', gossipBytes('delta', { x }), id('a'));
    expect(rb.stats().queueDropped).toBe(6); // one running, three waiting
    expect(rb.stats().queued).toBe(4);
  });
});

describe('createReplicaDriver: lifecycle and programmer errors', () => {
  it('rejects bad and duplicate names and use after close', () => {
    const c = createCluster();
    const d = c.add('a').driver;
    const cb = createStore().callbacks;
    expect(() => d.createReplica({ name: '', callbacks: cb })).toThrow(ReplicaError);
    expect(() => d.createReplica({ name: 'x'.repeat(129), callbacks: cb })).toThrow(/1\.\.128/);
    const r = d.createReplica({ name: 'm', callbacks: cb });
    expect(() => d.createReplica({ name: 'm', callbacks: cb })).toThrow(expect.objectContaining({ code: ReplicaErrorCode.duplicateName }));
    r.close();
    expect(() => r.broadcastUpdate({})).toThrow(expect.objectContaining({ code: ReplicaErrorCode.closed }));
    expect(d.names()).toEqual([]);
    d.createReplica({ name: 'm', callbacks: cb }); // the name is free again
    d.close();
    expect(() => d.createReplica({ name: 'n', callbacks: cb })).toThrow(ReplicaError);
  });

  it('cancels its timers on close', () => {
    const c = createCluster();
    const d = c.add('a').driver;
    const r = d.createReplica({ name: 'm', callbacks: createStore(true).callbacks });
    expect(c.clock.pending()).toBe(1);
    r.close();
    expect(c.clock.pending()).toBe(0);
  });
});

describe('createReplicaDriver: untrusted direct messages', () => {
  it('counts unknown types and unknown instances; blames only the former', () => {
    const c = createCluster();
    const b = c.add('b').driver;
    b.createReplica({ name: 'm', callbacks: createStore().callbacks });
    b.onMessage(id('x'), 'no-such-type', {});
    b.onMessage(id('x'), '__proto__', {});
    b.onMessage(id('x'), 'sync-request', { name: 'other' });
    expect(b.stats().rejected[ReplicaErrorCode.unknownType]).toBe(2);
    expect(b.stats().rejected[ReplicaErrorCode.unknownInstance]).toBe(1);
    expect(b.stats().invalidByPeer).toEqual({ x: 2 });
  });

  it('never throws and never calls a callback on arbitrary input', () => {
    const types = fc.constantFrom('sync-request', 'sync', 'ae-digest', 'ae-step', 'delta', 'x');
    const name = fc.constantFrom('m', 'n', '', 5);
    const body = fc.oneof(
      fc.anything(),
      fc.record({ name, xfer: fc.integer(), kind: fc.constantFrom('full', 'repair', 'x'), index: fc.integer({ min: -1, max: 3 }), count: fc.integer({ min: -1, max: 3 }), total: fc.integer({ min: -1, max: 50 }), chunk: fc.uint8Array({ maxLength: 20 }) }, { requiredKeys: [] }),
      fc.record({ name, session: fc.integer(), round: fc.integer({ min: -1, max: 4 }), kind: fc.constantFrom('equal', 'descend', 'done', 'x'), digest: fc.anything(), need: fc.anything() }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(types, body), { maxLength: 20 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (messages, gossip) => {
        const c = createCluster();
        const store = createStore('digest');
        const b = c.add('b').driver;
        b.createReplica({ name: 'm', callbacks: store.callbacks, validate: { delta: validCounters, snapshot: validCounters } });
        for (const [type, m] of messages) b.onMessage(id('p'), type, m);
        for (const g of gossip) b.onDeliver('m', g, id('p'));
        c.run(100_000);
        const touched = store.calls.filter((k) => k.callback === 'mergeDelta' || k.callback === 'applyFullSync');
        for (const k of touched) expect(validCounters(k.value).ok).toBe(true);
      }),
    );
  });
});
