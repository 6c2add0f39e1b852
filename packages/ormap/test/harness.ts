// Test harness: replicas with virtual clocks, canonical state, a reference digest reconciliation.
import { createHlc, type Hlc } from '@rumor/hlc';
import { createORMap, fromSnapshot, type NodeId, type ORMap, type ORMapData } from '@rumor/ormap';

export const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.RUNS_SCALE ?? 1)));

export const id = (s: string): NodeId => s as NodeId;

/** A shared virtual wall clock; each node reads it with its own skew. */
export function createWorld(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => void (now += ms),
  };
}

export type World = ReturnType<typeof createWorld>;

export interface Replica {
  id: NodeId;
  clock: Hlc;
  map: ORMap<unknown>;
}

export function replica(world: World, name: string, skewMs = 0, policy?: Parameters<typeof createORMap>[0]['policy']): Replica {
  const clock = createHlc({ nodeId: name }, { wallClock: () => world.now() + skewMs });
  return { id: id(name), clock, map: createORMap<unknown>({ nodeId: id(name), ...(policy ? { policy } : {}) }, { clock }) };
}

/** An observer map (merges only) with its own clock. */
export function fresh(data?: ORMapData<unknown>): ORMap<unknown> {
  const clock = createHlc({}, { wallClock: () => 1_700_000_000_000 });
  return data === undefined ? createORMap({ nodeId: id('observer') }, { clock }) : fromSnapshot(data, { nodeId: id('observer') }, { clock });
}

/** Join of two states, as a new map. */
export function join(a: ORMap<unknown>, b: ORMap<unknown>): ORMap<unknown> {
  const m = fresh(a.snapshot());
  m.merge(b.snapshot());
  return m;
}

/** The full state with node ids instead of indices, slots sorted: equal iff the states are equal. */
export function canonical(m: ORMap<unknown>) {
  const s = m.snapshot();
  const w = (i: number) => s.writers[i]!;
  const entries = s.entries.map((e) => {
    const slots = (e.slice(1) as (readonly unknown[])[])
      .map((x) => [w(x[0] as number), x[1], x.length > 2 ? 'live' : 'dead', x.length > 2 ? x[2] : null] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return [e[0], slots] as const;
  });
  const vv = (s.horizon?.vv ?? []).map(([i, t]) => [w(i), t] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { entries, horizon: { floor: s.horizon?.floor ?? 0, vv } };
}

/** Live dots of a map as strings `node@hlc`. */
export function liveDots(m: ORMap<unknown>): Set<string> {
  const out = new Set<string>();
  const s = m.snapshot();
  for (const e of s.entries) for (const x of e.slice(1) as (readonly unknown[])[]) if (x.length > 2) out.add(`${e[0]}:${s.writers[x[0] as number]}@${x[1]}`);
  return out;
}

/**
 * Reference anti-entropy between `a` and a peer `b`: compare roots, descend into differing children while both
 * sides hold more than `leafMax` keys there, then list keys. Returns the differing keys and the digest bytes moved.
 */
export function reconcile(a: ORMap<unknown>, b: ORMap<unknown>, leafMax = 8): { keys: string[]; nodes: number; rounds: number } {
  const keys = new Set<string>();
  let nodes = 1;
  let rounds = 1;
  if (a.digest().hash === b.digest().hash && a.digest().count === b.digest().count) return { keys: [], nodes, rounds };
  let frontier: Array<[number, number]> = [[0, 0]];
  while (frontier.length > 0) {
    rounds++;
    const next: Array<[number, number]> = [];
    for (const [level, index] of frontier) {
      const remote = b.digestChildren(level, index);
      nodes += remote.length;
      for (const child of a.diffChildren(level, index, remote)) {
        const rc = remote[child - index * 16]!;
        const lc = a.digestChildren(level, index)[child - index * 16]!;
        if (level + 1 >= 8 || Math.min(rc.count, lc.count) <= leafMax) {
          for (const k of a.diffKeys(level + 1, child, b.digestKeys(level + 1, child))) keys.add(k);
        } else next.push([level + 1, child]);
      }
    }
    frontier = next;
  }
  return { keys: [...keys].sort(), nodes, rounds };
}

/** Keys whose canonical entries differ between two maps. */
export function differingKeys(a: ORMap<unknown>, b: ORMap<unknown>): string[] {
  const ca = new Map(canonical(a).entries.map(([k, s]) => [k, JSON.stringify(s)]));
  const cb = new Map(canonical(b).entries.map(([k, s]) => [k, JSON.stringify(s)]));
  const out: string[] = [];
  for (const k of new Set([...ca.keys(), ...cb.keys()])) if (ca.get(k) !== cb.get(k)) out.push(k);
  return out.sort();
}

/** One step of a generated history. */
export type Op =
  | { k: 'put'; n: number; key: string; v: number }
  | { k: 'del'; n: number; key: string }
  | { k: 'deliver'; to: number; pick: number }
  | { k: 'sync'; from: number; to: number }
  | { k: 'tick'; ms: number }
  | { k: 'collect'; n: number }
  | { k: 'ttl'; n: number; ttlMs: number };

export interface History {
  world: World;
  replicas: Replica[];
  deltas: ORMapData<unknown>[];
  /** Every dot minted, with its key. */
  minted: Array<{ node: NodeId; hlc: number; key: string }>;
  /** What collect / collectExpired removed over the history (to check the generators exercise collection). */
  collected: { slots: number; keys: number };
}

/** Whether `m`'s state knows dot (node, hlc) of `key`: held (live or dead) or under the horizon. */
function knows(snap: ORMapData<unknown>, key: string, node: NodeId, hlc: number): boolean {
  const floor = snap.horizon?.floor ?? 0;
  const hv = snap.horizon?.vv.find(([i]) => snap.writers[i] === node);
  if (hlc <= Math.max(floor, hv?.[1] ?? 0)) return true;
  const e = snap.entries.find((x) => x[0] === key);
  if (!e) return false;
  return (e.slice(1) as (readonly unknown[])[]).some((x) => snap.writers[x[0] as number] === node && (x[1] as number) >= hlc);
}

/** The causally stable context: for each writer, the longest prefix of its dots that every replica knows. */
export function stableContext(h: History): Map<NodeId, number> {
  const snaps = h.replicas.map((r) => r.map.snapshot());
  const out = new Map<NodeId, number>();
  for (const r of h.replicas) {
    const mine = h.minted.filter((d) => d.node === r.id).sort((a, b) => a.hlc - b.hlc);
    let stable = 0;
    for (const d of mine) {
      if (!snaps.every((s) => knows(s, d.key, d.node, d.hlc))) break;
      stable = d.hlc;
    }
    if (stable > 0) out.set(r.id, stable);
  }
  return out;
}

/** Run a history; `after` is called after every step (for invariant checks). */
export function runHistory(nodes: number, skews: readonly number[], ops: readonly Op[], after?: (h: History, op: Op) => void): History {
  const world = createWorld();
  const h: History = {
    world,
    replicas: Array.from({ length: nodes }, (_, i) => replica(world, `n${i}`, skews[i % skews.length] ?? 0)),
    deltas: [],
    minted: [],
    collected: { slots: 0, keys: 0 },
  };
  const count = (r: { slots: number; keys: number }) => {
    h.collected.slots += r.slots;
    h.collected.keys += r.keys;
  };
  const rep = (i: number) => h.replicas[i % nodes]!;
  for (const op of ops) {
    switch (op.k) {
      case 'put': {
        const r = rep(op.n);
        const d = r.map.put(op.key, op.v);
        h.deltas.push(d);
        const slot = d.entries[0]!.slice(1).find((x) => d.writers[(x as readonly number[])[0]!] === r.id) as readonly number[];
        h.minted.push({ node: r.id, hlc: slot[1]!, key: op.key });
        break;
      }
      case 'del': {
        const r = rep(op.n);
        const d = r.map.delete(op.key);
        if (d) {
          h.deltas.push(d);
          const slot = d.entries[0]!.slice(1).find((x) => d.writers[(x as readonly number[])[0]!] === r.id) as readonly number[];
          h.minted.push({ node: r.id, hlc: slot[1]!, key: op.key });
        }
        break;
      }
      case 'deliver':
        if (h.deltas.length > 0) rep(op.to).map.merge(h.deltas[op.pick % h.deltas.length]!);
        break;
      case 'sync':
        rep(op.to).map.merge(rep(op.from).map.snapshot());
        break;
      case 'tick':
        world.advance(op.ms);
        break;
      case 'collect':
        count(rep(op.n).map.collect(stableContext(h)));
        break;
      case 'ttl': {
        const r = rep(op.n);
        count(r.map.collectExpired(world.now() + (skews[op.n % skews.length] ?? 0), op.ttlMs));
        break;
      }
    }
    after?.(h, op);
  }
  return h;
}
