import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplicaErrorCode, createDigestHooks, validateDigest, validateNeed, type AntiEntropyHooks, type TreeDigest, type TreeNeed } from '@rumor/replica';
import { createCluster, id, type Counters, type FakeCluster } from './fakes.js';
import { createStore, type TestStore } from './store.js';

/** Two linked nodes, each with instance `m`, synced at link-up, then with their states set independently. */
function pair(mode: boolean | 'digest', init: { a?: Counters; b?: Counters } = {}, opts: Record<string, number> = {}) {
  const c = createCluster(7);
  const sa = createStore(mode);
  const sb = createStore(mode);
  const ra = c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks, antiEntropyIntervalMs: 0, ...opts });
  const rb = c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks, antiEntropyIntervalMs: 0, ...opts });
  c.link('a', 'b');
  c.flush();
  // Writes the broadcast layer never carried: only anti-entropy can repair them.
  for (const [k, v] of Object.entries(init.a ?? {})) sa.state('m').set(k, v);
  for (const [k, v] of Object.entries(init.b ?? {})) sb.state('m').set(k, v);
  return { c, sa, sb, ra, rb };
}

const joined = (a: Counters, b: Counters): Counters => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if ((out[k] ?? -Infinity) < v) out[k] = v;
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : 1)));
};

function aeBytes(c: FakeCluster): number {
  let n = 0;
  for (const node of c.nodes.values()) for (const m of node.sent) if (m.type.startsWith('ae-')) n += m.bytes;
  return n;
}

const keys = (n: number, v = 1, prefix = 'k'): Counters => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, v]));

describe('anti-entropy: full-state pull (antiEntropy: true)', () => {
  it('pulls from one random peer every interval ±25 %', () => {
    const c = createCluster(3);
    const s = createStore(true);
    const r = c.add('a').driver.createReplica({ name: 'm', callbacks: s.callbacks });
    for (const p of ['b', 'd', 'e']) {
      c.add(p).driver.createReplica({ name: 'm', callbacks: createStore().callbacks });
      c.link('a', p);
    }
    c.flush();
    const requests: { t: number; to: string }[] = [];
    const a = c.nodes.get(id('a'))!;
    const hook = (to: string, type: string) => {
      if (type === 'sync-request') requests.push({ t: c.clock.now(), to });
      return undefined;
    };
    a.sendHook = hook;
    c.run(600_000);
    expect(requests.length).toBeGreaterThanOrEqual(16);
    expect(requests.length).toBeLessThanOrEqual(27);
    const gaps = requests.slice(1).map((q, i) => q.t - requests[i]!.t);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(22_500);
      expect(g).toBeLessThanOrEqual(37_500);
    }
    expect(new Set(requests.map((q) => q.to)).size).toBe(3);
    expect(r.stats().antiEntropyRounds).toBe(requests.length);
  });

  it('repairs what broadcast missed', () => {
    const { c, sa, sb, ra } = pair(true, { a: { x: 1 }, b: { y: 2 } });
    ra.antiEntropyNow();
    c.flush();
    expect(sa.view('m')).toEqual({ x: 1, y: 2 });
    expect(sb.view('m')).toEqual({ y: 2 }); // a pull only repairs the puller
  });

  it('is off when the callbacks do not ask for it', () => {
    const { ra } = pair(false);
    expect(ra.antiEntropyNow()).toBeUndefined();
  });
});

describe('anti-entropy: digest exchange (hooks)', () => {
  it('confirms equal replicas in two small messages, whatever their size', () => {
    const sizes = [10, 300, 1500];
    const costs = sizes.map((n) => {
      const { c, sa, sb, ra } = pair('digest', { a: keys(n), b: keys(n) });
      const before = aeBytes(c);
      ra.antiEntropyNow();
      c.flush();
      expect(sa.view('m')).toEqual(sb.view('m'));
      expect(ra.stats().antiEntropyEqual).toBe(1);
      const msgs = [...c.nodes.values()].flatMap((nd) => nd.sent).filter((m) => m.type.startsWith('ae-') || m.type === 'sync');
      expect(msgs.map((m) => m.type)).toEqual(['ae-digest', 'ae-step']);
      return aeBytes(c) - before;
    });
    expect(new Set(costs).size).toBe(1);
    expect(costs[0]).toBeLessThan(160);
  });

  it('repairs both sides of a divergence in one exchange', () => {
    const base = keys(400);
    const { c, sa, sb, ra } = pair('digest', { a: { ...base, only_a: 3, k5: 9 }, b: { ...base, only_b: 4, k7: 8 } });
    ra.antiEntropyNow();
    c.flush();
    const want = joined(sa.view('m'), sb.view('m'));
    expect(want.only_a).toBe(3);
    expect(sa.view('m')).toEqual(sb.view('m'));
    expect(sa.view('m')).toEqual(joined({ ...base, only_a: 3, k5: 9 }, { ...base, only_b: 4, k7: 8 }));
    // A handful of keys were shipped, not the 400-key state.
    const shipped = [...c.nodes.values()].flatMap((n) => n.sent).filter((m) => m.type === 'sync');
    const entries = sa.calls.concat(sb.calls).filter((k) => k.callback === 'mergeDelta').reduce((n, k) => n + Object.keys(k.value as Counters).length, 0);
    expect(shipped.length).toBeGreaterThan(0);
    expect(entries).toBeLessThan(100);
  });

  it('converges any two states through repeated exchanges (property)', () => {
    const state = fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 5 }), { maxKeys: 120 });
    fc.assert(
      fc.property(state, state, fc.integer({ min: 1, max: 64 }), (a, b, shipEntriesMax) => {
        const c = createCluster(11);
        const sa = createStore('digest', { shipEntriesMax });
        const sb = createStore('digest', { shipEntriesMax });
        const ra = c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks, antiEntropyIntervalMs: 0 });
        c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks, antiEntropyIntervalMs: 0 });
        c.link('a', 'b');
        c.flush();
        for (const [k, v] of Object.entries(a)) sa.state('m').set(k, v);
        for (const [k, v] of Object.entries(b)) sb.state('m').set(k, v);
        ra.antiEntropyNow();
        c.flush();
        expect(sa.view('m')).toEqual(joined(a, b));
        expect(sb.view('m')).toEqual(joined(a, b));
        expect(ra.stats().antiEntropyFallbacks).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('falls back to a full-state pull when an exchange exceeds its rounds', () => {
    const { c, sa, sb, ra } = pair('digest', { a: keys(300, 1), b: keys(300, 2) }, { antiEntropyRoundsMax: 1 });
    ra.antiEntropyNow();
    c.flush();
    const fallbacks = ra.stats().antiEntropyFallbacks + c.nodes.get(id('b'))!.driver.stats().replicas[0]!.antiEntropyFallbacks;
    expect(fallbacks).toBe(1);
    const reported = ['a', 'b'].map((n) => c.nodes.get(id(n))!.driver.stats().rejected[ReplicaErrorCode.antiEntropyRounds] ?? 0);
    expect(reported[0]! + reported[1]!).toBe(1);
    // The side that gave up pulled the whole state, so it holds the join.
    const views = [sa.view('m'), sb.view('m')];
    expect(views).toContainEqual(keys(300, 2));
  });

  it('runs periodically and repairs a divergence with nobody calling it', () => {
    const c = createCluster(5);
    const sa = createStore('digest');
    const sb = createStore('digest');
    c.add('a').driver.createReplica({ name: 'm', callbacks: sa.callbacks, antiEntropyIntervalMs: 1000 });
    c.add('b').driver.createReplica({ name: 'm', callbacks: sb.callbacks, antiEntropyIntervalMs: 1000 });
    c.link('a', 'b');
    c.flush();
    sa.state('m').set('late', 1);
    c.run(1300);
    expect(sb.view('m')).toEqual({ late: 1 });
  });

  it('ignores steps of unknown exchanges and times out abandoned ones', () => {
    const { c, ra, rb } = pair('digest', { a: keys(50, 1), b: keys(50, 2) }, { antiEntropyTimeoutMs: 500 });
    const b = c.nodes.get(id('b'))!;
    b.sendHook = (_to, type) => (type === 'ae-step' ? 'closed' : undefined); // b's answers are lost
    ra.antiEntropyNow();
    c.flush();
    c.run(1000);
    expect(ra.stats().antiEntropyTimeouts).toBe(1);
    const before = rb.stats();
    b.driver.onMessage(id('a'), 'ae-step', { name: 'm', session: 99, round: 2, kind: 'done', need: { level: 0, indexes: [0] } });
    expect(rb.stats().repairsSent).toBe(before.repairsSent);
    expect(b.driver.stats().invalidByPeer).toEqual({});
  });

  it('refuses an invalid digest from a peer and counts it', () => {
    const { c, rb } = pair('digest', { b: keys(5) });
    const b = c.nodes.get(id('b'))!.driver;
    b.onMessage(id('a'), 'ae-digest', { name: 'm', session: 1, digest: { level: 0, parents: [0], nodes: new Uint8Array(5) } });
    b.onMessage(id('a'), 'ae-digest', { name: 'm', session: 2, digest: { level: 9, parents: [0], nodes: new Uint8Array(12) } });
    b.onMessage(id('a'), 'ae-digest', { name: 'm', session: 3, digest: { level: 1, parents: [1, 0], nodes: new Uint8Array(384) } });
    expect(rb.stats().invalid).toBe(3);
    expect(b.stats().invalidByPeer).toEqual({ a: 3 });
    expect(c.nodes.get(id('b'))!.sent.filter((m) => m.type === 'ae-step')).toHaveLength(0);
  });
});

describe('validateDigest / validateNeed', () => {
  it('never throw, and accept exactly the shapes the hooks produce', () => {
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true }), (v) => {
        expect(typeof validateDigest(v).ok).toBe('boolean');
        expect(typeof validateNeed(v).ok).toBe('boolean');
      }),
    );
    const s = createStore('digest');
    for (let i = 0; i < 300; i++) s.state('m').set(`k${i}`, i);
    const hooks = s.callbacks.antiEntropy as AntiEntropyHooks<TreeDigest, TreeNeed, Counters>;
    const root = hooks.digest('m') as TreeDigest;
    expect(validateDigest(root).ok).toBe(true);
    const other = createStore('digest');
    const step = createDigestHooks({ root: () => other.node('m', 0, 0), children: (_n, l, i) => Array.from({ length: 16 }, (_, c) => other.node('m', l + 1, i * 16 + c)), delta: () => undefined }).compare('m', root, id('a')) as { kind: string; need?: TreeNeed };
    expect(step.kind).toBe('done');
    expect(validateNeed(step.need).ok).toBe(true);
    expect(validateNeed({ level: 1, indexes: [3, 2] }).ok).toBe(false);
    expect(validateNeed({ level: 1, indexes: [16] }).ok).toBe(false);
    expect(validateDigest({ ...root, nodes: root.nodes.subarray(1) }).ok).toBe(false);
  });
});
