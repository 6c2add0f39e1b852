/**
 * `createNode` in process: identity and clock persistence across restarts and crashes, the data-directory lock,
 * graceful close (peers see `left`), maps reopened at start, custom replicas, and option errors.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pack } from '@rumor/hlc';
import { createNode, type RumorNode } from '@rumor/node';
import type { NodeId, PeerDownReason } from '@rumor/replica';
import { tempDir, until } from './helpers/processes.js';

const root = tempDir('rumor-node-');
const open: RumorNode[] = [];
afterAll(async () => {
  await Promise.allSettled(open.map((n) => n.close()));
  rmSync(root, { recursive: true, force: true });
});

async function start(init: Parameters<typeof createNode>[0], components?: Parameters<typeof createNode>[1]): Promise<RumorNode> {
  const n = await createNode(init, components);
  open.push(n);
  return n;
}

describe('identity', () => {
  it('generates an id once and keeps it across restarts; refuses another configured id', async () => {
    const dir = path.join(root, 'id');
    const first = await start({ dataDir: dir });
    expect(first.id).toMatch(/^node-[0-9a-f]{8}$/);
    await first.close();
    const second = await start({ dataDir: dir });
    expect(second.id).toBe(first.id);
    await second.close();
    await expect(createNode({ id: 'someone-else', dataDir: dir })).rejects.toMatchObject({ code: 'node.id-mismatch' });
  });

  it('refuses a second node on a data directory in use', async () => {
    const dir = path.join(root, 'lock');
    const n = await start({ id: 'l', dataDir: dir });
    await expect(createNode({ id: 'l', dataDir: dir })).rejects.toMatchObject({ code: 'node.data-dir-locked' });
    await n.close();
    const again = await start({ id: 'l', dataDir: dir }); // released by close
    await again.close();
  });

  it('takes over the lock of a dead process', async () => {
    const dir = path.join(root, 'stale');
    const n = await start({ id: 's', dataDir: dir });
    await n.close();
    writeFileSync(path.join(dir, 'LOCK'), '999999999\n'); // no such pid
    const again = await start({ id: 's', dataDir: dir });
    expect(again.id).toBe('s');
    await again.close();
  });
});

describe('clock', () => {
  it('never reissues a timestamp across a restart, also when the wall clock stepped back', async () => {
    const dir = path.join(root, 'clock');
    let wall = 1_700_000_000_000;
    const wallClock = (): number => wall;
    const issued: number[] = [];
    let n = await start({ id: 'c', dataDir: dir }, { wallClock });
    for (let i = 0; i < 50; i++) issued.push(pack(n.clock.now()));
    await n.close();
    wall -= 60_000; // the wall clock stepped back a minute over the restart
    n = await start({ id: 'c', dataDir: dir }, { wallClock });
    expect(pack(n.clock.now())).toBeGreaterThan(Math.max(...issued));
    await n.close();
  });

  it('a clean restart resumes just above the last timestamp (no jump of a whole lease)', async () => {
    const dir = path.join(root, 'clock2');
    const wall = 1_800_000_000_000;
    const n = await start({ id: 'c2', dataDir: dir, hlc: { leaseMs: 60_000 } }, { wallClock: () => wall });
    const last = n.clock.now();
    await n.close();
    const m = await start({ id: 'c2', dataDir: dir, hlc: { leaseMs: 60_000 } }, { wallClock: () => wall });
    const next = m.clock.now();
    expect(next.wallMs).toBe(last.wallMs);
    expect(pack(next)).toBeGreaterThan(pack(last));
    await m.close();
  });

  it('refuses a corrupt hlc.json instead of guessing', async () => {
    const dir = path.join(root, 'clock3');
    const n = await start({ id: 'c3', dataDir: dir });
    await n.close();
    writeFileSync(path.join(dir, 'hlc.json'), '{"lease":"soon"}');
    await expect(createNode({ id: 'c3', dataDir: dir })).rejects.toMatchObject({ code: 'node.data-corrupt' });
  });
});

describe('maps and replicas', () => {
  it('reopens the maps a data directory holds and recovers their content', async () => {
    const dir = path.join(root, 'maps');
    const n = await start({ id: 'm', dataDir: dir });
    const inventory = await n.map('inventory/2024 ü');
    await inventory.put('apples', 3);
    expect(await n.map('inventory/2024 ü')).toBe(inventory); // same name, same map
    await n.close();
    const m = await start({ id: 'm', dataDir: dir });
    expect(m.maps()).toEqual(['default', 'inventory/2024 ü']);
    expect((await m.map('inventory/2024 ü')).get('apples')).toBe(3);
    await expect(m.map('rumor.secret')).rejects.toMatchObject({ code: 'node.bad-name' });
    await expect(m.map('..')).rejects.toMatchObject({ code: 'node.bad-name' });
    await m.close();
  });

  it('bounds the number of open maps', async () => {
    const n = await start({ id: 'bound', dataDir: path.join(root, 'bound'), mapsMax: 2 });
    await n.map('second');
    await expect(n.map('third')).rejects.toMatchObject({ code: 'node.too-many-maps' });
    await n.close();
  });

  it('runs custom replicas on the same bus and reports peers up and down with reasons', async () => {
    const x = await start({ id: 'x', dataDir: path.join(root, 'x') });
    const y = await start({ id: 'y', dataDir: path.join(root, 'y'), seeds: [x.address] });
    const downs: Array<[NodeId, PeerDownReason]> = [];
    x.events.on('peer:down', (peer, reason) => downs.push([peer, reason]));
    // A grow-only set as custom state: deltas are sets of strings, merge is union.
    const sets = new Map<string, Set<string>>([['x', new Set()], ['y', new Set()]]);
    const callbacks = (self: string) => ({
      mergeDelta: (_: string, delta: string[]) => void delta.forEach((v) => sets.get(self)!.add(v)),
      applyFullSync: (_: string, snap: string[]) => void snap.forEach((v) => sets.get(self)!.add(v)),
      fullSyncSnapshot: () => [...sets.get(self)!],
      removeNode: () => undefined,
    });
    const rx = x.replica<string[], string[]>('tags', callbacks('x'));
    y.replica<string[], string[]>('tags', callbacks('y'));
    expect(() => x.replica('tags', callbacks('x'))).toThrow(/already/);
    await until('x and y to be peers', () => x.peers().active.length === 1);
    sets.get('x')!.add('red');
    rx.broadcastUpdate(['red']);
    await until('y to get the custom delta', () => sets.get('y')!.has('red'));
    await y.close();
    // A graceful close is a goodbye (`left`), not a failure.
    await until('x to see y leave', () => downs.some(([peer, reason]) => peer === 'y' && reason === 'left'));
    expect(downs.some(([, reason]) => reason === 'failed')).toBe(false);
    await x.close();
  });

  it('rejects bad options with node.bad-config', async () => {
    await expect(createNode({ dataDir: '' })).rejects.toMatchObject({ code: 'node.bad-config' });
    await expect(createNode({ dataDir: path.join(root, 'bad'), seeds: ['http://nope'] })).rejects.toMatchObject({ code: 'node.bad-config' });
    await expect(createNode({ dataDir: path.join(root, 'bad'), listen: { port: 70000 } })).rejects.toMatchObject({ code: 'node.bad-config' });
  });
});
