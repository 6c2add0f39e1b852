import { describe, expect, it } from 'vitest';
import { createMemoryStorage, createReplicatedMap, MapErrorCode, type MapEvent } from '@rumor/map';
import { createHlc } from '@rumor/hlc';
import type { NodeId } from '@rumor/ormap';
import { antiEntropy, contents, deliver, fullSync, makeNode, settle, VirtualTime } from './helpers.js';

describe('createReplicatedMap: local API', () => {
  it('put, get, has, delete', async () => {
    const { map } = await makeNode('a');
    await map.put('users/1', { name: 'Ada' });
    expect(map.get('users/1')).toEqual({ name: 'Ada' });
    expect(map.has('users/1')).toBe(true);
    expect(await map.delete('users/1')).toBe(true);
    expect(map.get('users/1')).toBeUndefined();
    expect(map.has('users/1')).toBe(false);
    expect(await map.delete('users/1')).toBe(false);
    expect(await map.delete('never')).toBe(false);
  });

  it('put resolves only once the record is fsynced (default policy always)', async () => {
    const storage = createMemoryStorage();
    const { map } = await makeNode('a', {}, { storage });
    const pending = map.put('k', 1);
    // Not applied before it is durable.
    expect(map.get('k')).toBeUndefined();
    expect(map.status().pendingWrites).toBe(1);
    await pending;
    expect(map.get('k')).toBe(1);
    const lengths = storage.syncedLengths();
    for (const [file, bytes] of storage.dump()) expect(lengths.get(file)).toBe(bytes.length);
    expect(map.status().durable).toBe(true);
  });

  it('sequential local writes to one key supersede each other even while staged', async () => {
    const { map } = await makeNode('a');
    await Promise.all([map.put('k', 1), map.put('k', 2), map.put('k', 3)]);
    expect(map.getWithMeta('k')!.siblings.map((s) => s.value)).toEqual([3]);
    await Promise.all([map.put('x', 1), map.delete('x')]);
    expect(map.has('x')).toBe(false);
  });

  it('scan returns keys in order with prefix, limit and after; entries pages through everything', async () => {
    const { map } = await makeNode('a', { persist: false }, { storage: undefined as never });
    const keys = Array.from({ length: 600 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    await map.batch(keys.map((key, i) => ({ type: 'put' as const, key, value: i })));
    await map.put('a/1', 'x');
    await map.put('z', 'y');
    expect(map.scan('k/', { limit: 3 })).toEqual([['k/0000', 0], ['k/0001', 1], ['k/0002', 2]]);
    expect(map.scan('k/', { limit: 2, after: 'k/0597' })).toEqual([['k/0598', 598], ['k/0599', 599]]);
    expect(map.scan('k/001')).toHaveLength(10);
    expect(map.scan('nope')).toEqual([]);
    const all = [...map.entries()];
    expect(all.map(([k]) => k)).toEqual(['a/1', ...keys, 'z']);
    expect([...map.entries('k/05')]).toHaveLength(100);
  });

  it('batch: one record, one delta, all-or-nothing validation; function and list forms', async () => {
    const node = await makeNode('a', { validator: (v) => typeof v === 'number' || 'numbers only' });
    const { map } = node;
    const before = map.status().persist!.recordsSinceSnapshot;
    await map.batch((tx) => {
      tx.put('a', 1);
      tx.put('b', 2);
      tx.delete('a');
    });
    expect(map.status().persist!.recordsSinceSnapshot).toBe(before + 1);
    expect(node.sent).toHaveLength(1);
    expect(contents(map)).toEqual([['b', 2]]);
    await expect(map.batch([{ type: 'put', key: 'c', value: 3 }, { type: 'put', key: 'd', value: 'no' as never }])).rejects.toMatchObject({
      code: MapErrorCode.invalidValue,
    });
    expect(map.has('c')).toBe(false);
    expect(node.sent).toHaveLength(1);
    await map.batch([]);
    expect(node.sent).toHaveLength(1);
  });

  it('rejects bad keys and values with stable codes, writing nothing', async () => {
    const storage = createMemoryStorage();
    const node = await makeNode('a', { validator: (v) => (v as { ok?: boolean }).ok === true, valueBytesMax: 100 }, { storage });
    const before = storage.dump();
    await expect(node.map.put('', { ok: true })).rejects.toMatchObject({ code: MapErrorCode.invalidKey });
    await expect(node.map.put('k', { ok: false })).rejects.toMatchObject({ code: MapErrorCode.invalidValue });
    await expect(node.map.put('k', { ok: true, big: 'x'.repeat(200) })).rejects.toMatchObject({ code: MapErrorCode.valueTooLarge });
    await expect(node.map.put('k', (() => 1) as never)).rejects.toMatchObject({ code: MapErrorCode.invalidValue });
    await expect(node.map.put('k', undefined as never)).rejects.toMatchObject({ code: MapErrorCode.invalidValue });
    expect(storage.dump()).toEqual(before);
    expect(node.sent).toEqual([]);
    expect(node.map.status().keys).toBe(0);
  });

  it('a throwing validator rejects with its message', async () => {
    const { map } = await makeNode('a', {
      validator: () => {
        throw new Error('boom');
      },
    });
    await expect(map.put('k', 1)).rejects.toThrow(/boom/);
  });

  it('getWithMeta reports value, siblings, hlc and writer', async () => {
    const a = await makeNode('a', { policy: 'all' });
    const b = await makeNode('b', { policy: 'all' });
    await a.map.put('k', 'from-a');
    await b.map.put('k', 'from-b');
    await deliver(a, b);
    const meta = b.map.getWithMeta('k')!;
    expect(meta.siblings.map((s) => s.value).sort()).toEqual(['from-a', 'from-b']);
    expect(meta.value).toEqual(meta.siblings.map((s) => s.value));
    expect(meta.writer).toBe(meta.siblings.at(-1)!.node);
    expect(meta.hlc).toBe(meta.siblings.at(-1)!.hlc);
    expect(b.map.getWithMeta('missing')).toBeUndefined();
  });

  it('rejects writes after close with map.closed', async () => {
    const { map } = await makeNode('a');
    await map.close();
    await expect(map.put('k', 1)).rejects.toMatchObject({ code: MapErrorCode.closed });
    expect(map.status().closed).toBe(true);
  });

  it('needs a storage when persist is requested', async () => {
    const time = new VirtualTime();
    await expect(
      createReplicatedMap('m', { persist: true }, { nodeId: 'a' as NodeId, clock: createHlc({}, { wallClock: () => time.now() }) }),
    ).rejects.toMatchObject({ code: MapErrorCode.badOption });
  });
});

describe('conflict policies', () => {
  it('resolve concurrent writes per prefix, identically on both replicas', async () => {
    const options = {
      policies: {
        'first/': 'fww' as const,
        'obj/': 'merge-fields' as const,
        'sum/': (siblings: readonly { value: unknown }[]) => siblings.reduce((n, s) => n + (s.value as number), 0),
        'all/': 'all' as const,
      },
    };
    const time = new VirtualTime();
    const a = await makeNode('a', options, { time });
    const b = await makeNode('b', options, { time });
    await a.map.batch([
      { type: 'put', key: 'lww', value: 'a' },
      { type: 'put', key: 'first/x', value: 'a' },
      { type: 'put', key: 'obj/x', value: { x: 1, y: 1 } },
      { type: 'put', key: 'sum/x', value: 1 },
      { type: 'put', key: 'all/x', value: 'a' },
    ]);
    time.advance(5);
    await b.map.batch([
      { type: 'put', key: 'lww', value: 'b' },
      { type: 'put', key: 'first/x', value: 'b' },
      { type: 'put', key: 'obj/x', value: { y: 2, z: 2 } },
      { type: 'put', key: 'sum/x', value: 10 },
      { type: 'put', key: 'all/x', value: 'b' },
    ]);
    await deliver(a, b);
    await deliver(b, a);
    for (const n of [a, b]) {
      expect(n.map.get('lww')).toBe('b');
      expect(n.map.get('first/x')).toBe('a');
      expect(n.map.get('obj/x')).toEqual({ x: 1, y: 2, z: 2 });
      expect(n.map.get('sum/x')).toBe(11);
      expect(n.map.get('all/x')).toEqual(['a', 'b']);
    }
  });
});

describe('a throwing resolver', () => {
  it('falls back to last-writer-wins with a map.policy-failed warning', async () => {
    const warnings: string[] = [];
    const time = new VirtualTime();
    const map = await createReplicatedMap<number>('m', { policy: () => { throw new Error('bad resolver'); } }, {
      nodeId: 'a' as NodeId,
      clock: createHlc({}, { wallClock: () => time.now() }),
      timers: time,
      log: { warn: (w) => warnings.push(w.code) },
    });
    await map.put('k', 1);
    await map.put('k', 2);
    expect(map.get('k')).toBe(2);
    expect(warnings).toContain(MapErrorCode.policyFailed);
  });
});

describe('subscribe', () => {
  it('fires for local and remote changes of the prefix, only when the value changes', async () => {
    const a = await makeNode('a');
    const b = await makeNode('b');
    const events: MapEvent<unknown>[] = [];
    const off = b.map.subscribe('users/', (e) => events.push(e));
    await b.map.put('users/1', 'x');
    await b.map.put('users/1', 'x'); // same value: no event
    await b.map.put('other', 'y'); // other prefix
    await a.map.put('users/2', 'remote');
    await deliver(a, b);
    await deliver(a, b); // nothing new
    await b.map.delete('users/1');
    expect(events).toEqual([
      { key: 'users/1', value: 'x', previous: undefined, origin: 'local' },
      { key: 'users/2', value: 'remote', previous: undefined, origin: 'remote' },
      { key: 'users/1', value: undefined, previous: 'x', origin: 'local' },
    ]);
    off();
    await b.map.put('users/3', 1);
    expect(events).toHaveLength(3);
  });

  it('contains a throwing listener', async () => {
    const warnings: string[] = [];
    const time = new VirtualTime();
    const map = await createReplicatedMap('m', {}, {
      nodeId: 'a' as NodeId,
      clock: createHlc({}, { wallClock: () => time.now() }),
      timers: time,
      log: { warn: (w) => warnings.push(w.code) },
    });
    map.subscribe('', () => {
      throw new Error('listener bug');
    });
    await map.put('k', 1);
    expect(map.get('k')).toBe(1);
    expect(warnings).toEqual([MapErrorCode.listenerThrew]);
  });
});

describe('replica callbacks', () => {
  it('full sync carries everything, tombstones included, both ways', async () => {
    const a = await makeNode('a');
    const b = await makeNode('b');
    await a.map.put('x', 1);
    await a.map.put('y', 2);
    await a.map.delete('y');
    await b.map.put('z', 3);
    await fullSync(a, b);
    await fullSync(b, a);
    expect(contents(a.map)).toEqual([['x', 1], ['z', 3]]);
    expect(contents(b.map)).toEqual(contents(a.map));
    expect(b.map.status().tombstones).toBe(1);
    expect(b.map.status().fullSyncs.applied).toBe(1);
  });

  it('remote garbage is counted and never changes state or throws', async () => {
    const a = await makeNode('a');
    await a.map.put('k', 1);
    const cb = a.map.callbacks;
    for (const junk of [null, 42, 'x', [], { writers: 'no' }, { writers: [], entries: [['k', [0, 5, 'v']]] }, { writers: ['b'], entries: [['k', [0, -1, 'v']]] }]) {
      await cb.mergeDelta('m', junk as never, 'b' as NodeId);
      await cb.applyFullSync('m', junk as never, 'b' as NodeId);
      await cb.applyFullSync('m', { state: junk, table: junk } as never, 'b' as NodeId);
    }
    const hooks = cb.antiEntropy as Exclude<typeof cb.antiEntropy, boolean | undefined>;
    for (const junk of [null, { t: 'root' }, { t: 'nodes', items: [{ l: 99, i: 0, c: [] }] }, { t: 'nodes', items: [{ l: 1, i: 3, k: [[1, 2]] }] }]) {
      expect(await hooks.compare('m', junk, 'b' as NodeId)).toEqual({ kind: 'done' });
    }
    expect(await hooks.repair('m', 'nope', 'b' as NodeId)).toBeUndefined();
    expect(contents(a.map)).toEqual([['k', 1]]);
    expect(a.map.status().rejected.total).toBeGreaterThanOrEqual(10);
  });

  it('the validator also filters remote entries', async () => {
    const a = await makeNode('a');
    const b = await makeNode('b', { validator: (v) => v !== 'bad' });
    await a.map.put('ok', 'good');
    await a.map.put('no', 'bad');
    await deliver(a, b);
    expect(contents(b.map)).toEqual([['ok', 'good']]);
    expect(b.map.status().rejected.byCode['entry.leaf-rejected']).toBe(1);
  });

  it('ignores callbacks for another instance name', async () => {
    const a = await makeNode('a');
    const b = await makeNode('b');
    await a.map.put('k', 1);
    await b.map.callbacks.mergeDelta('other', a.sent[0] as never, a.id);
    expect(b.map.has('k')).toBe(false);
  });

  it('digest anti-entropy: equal maps settle in one step of constant size; k differences get repaired', async () => {
    const a = await makeNode('a', { persist: false }, { storage: undefined as never });
    const b = await makeNode('b', { persist: false }, { storage: undefined as never });
    const ops = Array.from({ length: 5000 }, (_, i) => ({ type: 'put' as const, key: `key-${i}`, value: i }));
    await a.map.batch(ops);
    await fullSync(a, b);
    const equal = await antiEntropy(a, b);
    expect(equal).toMatchObject({ steps: 1, result: 'equal' });
    expect(equal.bytes).toBeLessThan(400);
    await a.map.put('key-17', 'changed');
    await b.map.put('only-b', true);
    await b.map.delete('key-4000');
    const repaired = await antiEntropy(a, b);
    expect(repaired.result).toBe('done');
    expect(repaired.bytes).toBeLessThan(60_000);
    expect(contents(a.map)).toEqual(contents(b.map));
    expect(a.map.get('key-17')).toBe('changed');
    expect(a.map.has('key-4000')).toBe(false);
    expect((await antiEntropy(b, a)).result).toBe('equal');
  });
});

describe('pruneOnPeerDown (presence)', () => {
  it('a failed peer’s keys are deleted with replicated tombstones; evictions prune nothing', async () => {
    const a = await makeNode('a', { pruneOnPeerDown: true });
    const b = await makeNode('b', { pruneOnPeerDown: true });
    const c = await makeNode('c', { pruneOnPeerDown: true });
    await a.map.put('presence/a', { since: 1 });
    await b.map.put('presence/b', { since: 2 });
    await deliver(a, b);
    await deliver(a, c);
    await b.map.callbacks.removeNode('m', a.id, 'evicted');
    expect(b.map.has('presence/a')).toBe(true);
    await b.map.callbacks.removeNode('m', a.id, 'failed');
    await b.map.flush();
    await new Promise((r) => setTimeout(r, 5));
    expect(b.map.has('presence/a')).toBe(false);
    expect(b.map.has('presence/b')).toBe(true);
    expect(b.map.status().stability.pruned).toBe(1);
    // The prune is an ordinary delete: it reaches c, converging.
    await deliver(b, c);
    expect(c.map.has('presence/a')).toBe(false);
    // a is alive after all: it re-asserts its own key when it hears of the prune.
    await deliver(b, a);
    await new Promise((r) => setTimeout(r, 5));
    expect(a.map.get('presence/a')).toEqual({ since: 1 });
    await deliver(a, b);
    await deliver(a, c);
    expect(b.map.get('presence/a')).toEqual({ since: 1 });
    expect(c.map.get('presence/a')).toEqual({ since: 1 });
  });
});

describe('tombstone collection', () => {
  it('collects a tombstone once every replica is known to hold the delete, not before', async () => {
    const a = await makeNode('a');
    const b = await makeNode('b');
    await a.map.put('k', 1);
    await fullSync(a, b);
    await fullSync(b, a);
    await a.map.delete('k');
    expect(a.map.status().tombstones).toBe(1);
    // b has not seen the delete: a must keep the tombstone.
    await fullSync(b, a);
    a.map.collect();
    expect(a.map.status().tombstones).toBe(1);
    await fullSync(a, b);
    expect(b.map.has('k')).toBe(false);
    await b.map.flush();
    await new Promise((r) => setTimeout(r, 5));
    await fullSync(b, a);
    await a.map.flush();
    await new Promise((r) => setTimeout(r, 5));
    await fullSync(a, b);
    await new Promise((r) => setTimeout(r, 5));
    a.map.collect();
    b.map.collect();
    expect(a.map.status().tombstones).toBe(0);
    expect(b.map.status().tombstones).toBe(0);
    // A stale copy of the old write arriving late does not resurrect the key.
    const c = await makeNode('c');
    await c.map.callbacks.applyFullSync('m', { state: { writers: ['a'], entries: [['k', [0, 1, 1]]] }, table: [] } as never, a.id);
    await fullSync(a, c);
    await fullSync(c, a);
    expect(a.map.has('k')).toBe(false);
  });

  it('the TTL backstop collects tombstones of a silent cluster', async () => {
    const time = new VirtualTime();
    const a = await makeNode('a', { tombstoneTtlMs: 60_000 }, { time });
    const b = await makeNode('b', { tombstoneTtlMs: 60_000 }, { time });
    await a.map.put('k', 1);
    await fullSync(a, b);
    await fullSync(b, a);
    await a.map.delete('k');
    a.map.collect();
    expect(a.map.status().tombstones).toBe(1);
    time.advance(61_000);
    a.map.collect();
    expect(a.map.status().tombstones).toBe(0);
  });

  it('runs collection on the collect timer', async () => {
    const time = new VirtualTime();
    const a = await makeNode('a', { tombstoneTtlMs: 1000, collectIntervalMs: 500 }, { time });
    await a.map.put('k', 1);
    await a.map.delete('k');
    time.advance(1500);
    time.advance(600);
    expect(a.map.status().tombstones).toBe(0);
    expect(a.map.status().stability.collectedKeys).toBe(1);
  });
});

describe('durability end to end', () => {
  it('recovers from the log, from a snapshot plus the log, on files', async () => {
    const { mkdtemp, rm, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createFileStorage } = await import('@rumor/map');
    const dir = await mkdtemp(join(tmpdir(), 'rumor-map-e2e-'));
    try {
      const time = new VirtualTime();
      const first = await makeNode('a', {}, { storage: createFileStorage({ dir }), time });
      await first.map.put('x', { n: 1 });
      await first.map.batch([{ type: 'put', key: 'y', value: 2 }, { type: 'put', key: 'z', value: 3 }]);
      await first.map.snapshot();
      await first.map.delete('z');
      await first.map.put('w', 'after snapshot');
      await first.map.close();
      expect((await readdir(dir)).sort()).toEqual(['log-0000000002.wal', 'snapshot-0000000002.snap']);
      const second = await makeNode('a', {}, { storage: createFileStorage({ dir }), time });
      expect(contents(second.map)).toEqual([['w', 'after snapshot'], ['x', { n: 1 }], ['y', 2]]);
      expect(second.map.status().recovery).toMatchObject({ records: 2 });
      expect(second.map.status().tombstones).toBe(1);
      // New writes supersede recovered ones (the clock was raised past every recovered dot).
      await second.map.put('x', { n: 2 });
      expect(second.map.getWithMeta('x')!.siblings).toHaveLength(1);
      await second.map.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a storage failure fails the write with map.storage-failed and the map refuses further writes', async () => {
    const storage = createMemoryStorage();
    const { map } = await makeNode('a', {}, { storage });
    await map.put('k', 1);
    storage.halt();
    const failing = map.put('k', 2);
    // A no-op issued after it cannot vouch for it: it fails too, instead of resolving as if all were durable.
    const noop = map.delete('missing');
    await expect(failing).rejects.toMatchObject({ code: MapErrorCode.storageFailed });
    await expect(noop).rejects.toMatchObject({ code: MapErrorCode.storageFailed });
    expect(map.get('k')).toBe(1);
    await expect(map.put('k', 3)).rejects.toMatchObject({ code: MapErrorCode.storageFailed });
    expect(map.status().persist!.failed).toMatch(/halted/);
  });

  it('writes that write nothing are acknowledged in issue order, after the earlier writes are durable', async () => {
    const storage = createMemoryStorage();
    const time = new VirtualTime();
    const { map } = await makeNode('a', { persist: { fsync: 'batch', batchIntervalMs: 10 } }, { storage, time });
    const order: string[] = [];
    const put = map.put('k', 1).then(() => order.push('put'));
    const noops = [
      map.delete('missing').then((r) => order.push(`delete ${String(r)}`)),
      map.batch([{ type: 'delete', key: 'gone' }]).then(() => order.push('batch')),
      map.batch([]).then(() => order.push('empty batch')),
    ];
    await settle();
    // The put waits for its group fsync (batch policy); nothing issued after it may be acknowledged before it.
    expect(order).toEqual([]);
    expect(map.status().pendingWrites).toBe(1);
    time.advance(10);
    await Promise.all([put, ...noops]);
    expect(order).toEqual(['put', 'delete false', 'batch', 'empty batch']);
    // What the acknowledgements vouch for survives a crash now.
    const again = await makeNode('a', {}, { storage: storage.crashImage(() => 0) });
    expect(contents(again.map)).toEqual([['k', 1]]);
    // With nothing in flight a no-op resolves at once (no fsync to wait for, none forced).
    const fsyncs = map.status().persist!.fsyncs;
    expect(await map.delete('missing')).toBe(false);
    expect(map.status().persist!.fsyncs).toBe(fsyncs);
  });

  it('fsync batch and never policies acknowledge writes; close makes them durable', async () => {
    for (const fsync of ['batch', 'never'] as const) {
      const storage = createMemoryStorage();
      const time = new VirtualTime();
      const { map } = await makeNode('a', { persist: { fsync, batchIntervalMs: 1 } }, { storage, time });
      const writes = Promise.all([map.put('a', 1), map.put('b', 2)]);
      await new Promise((r) => setTimeout(r, 5));
      time.advance(1); // the group-commit timer
      await writes;
      await map.close();
      const again = await makeNode('a', {}, { storage: storage.crashImage(() => 0) });
      expect(contents(again.map)).toEqual([['a', 1], ['b', 2]]);
    }
  });
});
