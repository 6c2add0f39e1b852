import { decode, encode } from '@rumor/crdt-wire';
import { createHlc } from '@rumor/hlc';
import type { NodeId } from '@rumor/ormap';
import {
  createMemoryStorage,
  createReplicatedMap,
  type MapStorage,
  type ReplicatedMap,
  type ReplicatedMapOptions,
  type MapTimers,
} from '@rumor/map';

/** A virtual wall clock and timers: time moves only when the test says so. */
export class VirtualTime implements MapTimers {
  ms = 1_700_000_000_000;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.ms;
  }
  setTimer(delayMs: number, fn: () => void): () => void {
    const t = { at: this.ms + delayMs, fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }
  advance(ms: number): void {
    this.ms += ms;
    const due = this.timers.filter((t) => t.live && t.at <= this.ms);
    this.timers = this.timers.filter((t) => t.live && t.at > this.ms);
    for (const t of due) t.fn();
  }
}

/** Through the real codec, as it would cross the wire. */
export function wire<T>(value: T): T {
  const bytes = encode(value);
  if (!bytes.ok) throw new Error(`not encodable: ${bytes.error.message}`);
  const back = decode(bytes.value);
  if (!back.ok) throw new Error(`not decodable: ${back.error.message}`);
  return back.value as T;
}

export interface TestNode<V = unknown> {
  id: NodeId;
  map: ReplicatedMap<V>;
  sent: unknown[];
  storage: MapStorage;
}

export async function makeNode<V = unknown>(
  id: string,
  options: ReplicatedMapOptions<V> = {},
  extra: { storage?: MapStorage; time?: VirtualTime; name?: string } = {},
): Promise<TestNode<V>> {
  const time = extra.time ?? new VirtualTime();
  const storage = extra.storage ?? createMemoryStorage();
  const sent: unknown[] = [];
  const clock = createHlc({ nodeId: id }, { wallClock: () => time.now() });
  const map = await createReplicatedMap<V>(extra.name ?? 'm', { collectIntervalMs: 0, ...options }, {
    nodeId: id as NodeId,
    clock,
    storage,
    timers: time,
    replica: { broadcastUpdate: (delta) => void sent.push(wire(delta)) },
  });
  return { id: id as NodeId, map, sent, storage };
}

const cursors = new WeakMap<TestNode, Map<TestNode, number>>();

/** Deliver to `to` every delta `from` broadcast since the last delivery from `from` to `to`. */
export async function deliver(from: TestNode, to: TestNode): Promise<void> {
  const mine = cursors.get(from) ?? new Map<TestNode, number>();
  cursors.set(from, mine);
  const start = mine.get(to) ?? 0;
  mine.set(to, from.sent.length);
  for (const d of from.sent.slice(start)) await to.map.callbacks.mergeDelta(to.map.name, wire(d) as never, from.id);
}

/** A full sync of `from`'s state into `to`, through the codec. */
export async function fullSync(from: TestNode, to: TestNode): Promise<void> {
  const snap = await from.map.callbacks.fullSyncSnapshot(from.map.name, to.id);
  if (snap !== undefined) await to.map.callbacks.applyFullSync(to.map.name, wire(snap), from.id);
}

/** One digest anti-entropy exchange initiated by `a`, driven like the replica driver does; returns the steps. */
export async function antiEntropy(a: TestNode, b: TestNode): Promise<{ steps: number; bytes: number; result: string }> {
  const hooks = (n: TestNode) => {
    const h = n.map.callbacks.antiEntropy;
    if (typeof h !== 'object') throw new Error('no digest hooks');
    return h;
  };
  let digest: unknown = await hooks(a).digest(a.map.name);
  let sender = a;
  let receiver = b;
  let bytes = size(digest);
  for (let steps = 1; steps <= 64; steps++) {
    const step = await hooks(receiver).compare(receiver.map.name, wire(digest), sender.id);
    bytes += size(step);
    if ('repair' in step && step.repair !== undefined) await sender.map.callbacks.mergeDelta(sender.map.name, wire(step.repair), receiver.id);
    if ('need' in step && step.need !== undefined) {
      const r = await hooks(sender).repair(sender.map.name, wire(step.need), receiver.id);
      bytes += size(r ?? null);
      if (r !== undefined) await receiver.map.callbacks.mergeDelta(receiver.map.name, wire(r), sender.id);
    }
    if (step.kind !== 'descend') return { steps, bytes, result: step.kind };
    digest = step.digest;
    [sender, receiver] = [receiver, sender];
  }
  throw new Error('anti-entropy did not finish in 64 steps');
}

function size(v: unknown): number {
  const r = encode(v);
  return r.ok ? r.value.length : 0;
}

/** The visible contents of a map. */
export function contents(map: ReplicatedMap<unknown>): [string, unknown][] {
  return [...map.entries()];
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const settle = async (n = 10): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/** A property's run count scaled by `RUNS_SCALE` (vitest.setup.ts): an explicit `numRuns` overrides the global one. */
export const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.RUNS_SCALE ?? 1)));
