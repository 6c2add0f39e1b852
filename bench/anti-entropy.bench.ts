/**
 * anti-entropy benchmark (issue 6): what one anti-entropy round costs between two OR-Map replicas, with the
 * replica driver's digest exchange (the ormap's digest tree through `createDigestHooks`) side by side with a
 * full-state pull (what barrel_p2p does every 30 s: ask one peer for its whole snapshot).
 *
 * Setup: replica A holds N keys (10 000 and 1 000 000); B is a copy of A, then k of its keys are rewritten at B
 * (k = 0, 1, 100, 10 000), writes A has not seen. Two replica drivers talk through an in-memory network that encodes every message as the
 * carrier would (crdt-wire envelope), so bytes are wire bytes. A round is `antiEntropyNow()` at A followed by every
 * message it causes, until quiet; round trips are the longest causal chain of messages divided by two. The digest
 * exchange repeats rounds until both roots agree (a step lists at most 1 024 parents, so a large divergence may
 * take more than one round); the table reports the totals and the number of rounds. A full-state pull repairs only
 * the puller, so after it we check A has everything B had.
 *
 * Run: `npm run bench -- anti-entropy` (options: `--sizes=10000,1000000 --diffs=0,1,100,10000`).
 * Target: equal 1 000 000-key replicas confirm in ≤ 1 KiB per round.
 */
import { createHlc } from '@rumor/hlc';
import { createORMap, fromSnapshot, type NodeId, type ORMap, type ORMapData, type SnapshotData } from '@rumor/ormap';
import { decodeEnvelope, encodeEnvelope } from '@rumor/crdt-wire';
import { createDigestHooks, createReplicaDriver, type ReplicaCallbacks, type ReplicaDriver, type Timers } from '@rumor/replica';

const arg = (name: string, dflt: number[]): number[] => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3).split(',').map(Number);
};
const SIZES = arg('sizes', [10_000, 1_000_000]);
const DIFFS = arg('diffs', [0, 1, 100, 10_000]);
const TARGET_EQUAL_BYTES = 1024;

type Value = number;
type Mode = 'digest' | 'full-pull';

interface Row {
  keys: number;
  differing: number;
  mode: Mode;
  bytes: number;
  messages: number;
  roundTrips: number;
  rounds: number;
  ms: number;
  converged: boolean;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const key = (i: number): string => `user/${i.toString(36).padStart(5, '0')}`;

/** Timers for the drivers: nothing here waits on time (anti-entropy is triggered by hand). */
const timers: Timers = { now: () => 0, setTimer: () => () => {} };
const random = { next: (() => { let s = 42; return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32); })() };

interface Wire {
  bytes: number;
  messages: number;
  maxDepth: number;
}

/** Two drivers, one instance each over one ormap, joined by an in-memory network that encodes like the carrier. */
/** `run()` delivers until quiet and returns what was sent since the previous `run()` (the round's opener included). */
function connect(a: ORMap<Value>, b: ORMap<Value>, mode: Mode): { a: ReplicaDriver; run(): Wire; close(): void } {
  const queue: { to: 'a' | 'b'; from: NodeId; frame: Uint8Array; depth: number }[] = [];
  let depth = 0;
  const wire: Wire = { bytes: 0, messages: 0, maxDepth: 0 };
  const drivers: Record<'a' | 'b', ReplicaDriver> = {} as never;
  const maps = { a, b };
  for (const side of ['a', 'b'] as const) {
    const self = side as NodeId;
    const other = side === 'a' ? 'b' : 'a';
    const map = maps[side];
    const callbacks: ReplicaCallbacks<ORMapData<Value>, SnapshotData<Value>> = {
      mergeDelta: (_n, d) => void map.merge(d),
      applyFullSync: (_n, s) => void map.merge(s),
      fullSyncSnapshot: () => map.snapshot(),
      removeNode: () => {},
      antiEntropy:
        mode === 'full-pull'
          ? true
          : createDigestHooks<ORMapData<Value>>({
              root: () => map.digest(),
              children: (_n, level, index) => map.digestChildren(level, index),
              delta(_n, level, indexes) {
                const keys: string[] = [];
                for (const i of indexes) for (const [k] of map.digestKeys(level, i)) keys.push(k);
                return keys.length === 0 ? undefined : map.repair(keys);
              },
            }),
    };
    drivers[side] = createReplicaDriver(
      { syncBytesMax: 1 << 30, syncBytesInFlightMax: 1 << 30, codecLimits: { frameBytesMax: 1 << 30, entriesMax: 1 << 30 } },
      {
        self,
        timers,
        random,
        broadcast: () => {},
        activePeers: () => [other as NodeId],
        send(to, type, body) {
          const frame = encodeEnvelope({ v: 1, layer: 'replica', type, body });
          if (!frame.ok) throw new Error(`${type}: ${frame.error.message}`);
          wire.bytes += frame.value.length;
          wire.messages++;
          queue.push({ to: to as 'a' | 'b', from: self, frame: frame.value, depth: depth + 1 });
          return 'accepted';
        },
      },
    );
    drivers[side].createReplica({ name: 'kv', callbacks, antiEntropyIntervalMs: 0, pullOnStart: false });
  }
  return {
    a: drivers.a,
    close() {
      drivers.a.close();
      drivers.b.close();
    },
    run() {
      while (queue.length > 0) {
        const m = queue.shift()!;
        depth = m.depth;
        wire.maxDepth = Math.max(wire.maxDepth, m.depth);
        const env = decodeEnvelope(m.frame);
        if (!env.ok) throw new Error(env.error.message);
        drivers[m.to].onMessage(m.from, env.value.type, env.value.body);
      }
      depth = 0;
      const out = { ...wire };
      wire.bytes = 0;
      wire.messages = 0;
      wire.maxDepth = 0;
      return out;
    },
  };
}

function build(n: number): { a: ORMap<Value>; b: ORMap<Value> } {
  const a = createORMap<Value>({ nodeId: 'a' as NodeId }, { clock: createHlc({ nodeId: 'a' }, { wallClock: Date.now }) });
  for (let i = 0; i < n; i++) a.put(key(i), i);
  const b = fromSnapshot<Value>(a.snapshot(), { nodeId: 'b' as NodeId }, { clock: createHlc({ nodeId: 'b' }, { wallClock: Date.now }) });
  return { a, b };
}

let generation = 0;

/**
 * One scenario on an equal pair: B rewrites `differing` keys spread over the key space (writes that never reached
 * A), then rounds run until A holds them. Both mechanisms leave the pair equal again (only B diverged, and a pull
 * gives A everything B has), so scenarios run one after the other on the same two replicas.
 */
function measure(a: ORMap<Value>, b: ORMap<Value>, n: number, differing: number, mode: Mode): Row {
  const net = connect(a, b, mode);
  const step = Math.max(1, Math.floor(n / Math.max(1, differing)));
  const value = (j: number): number => -(++generation * 10_000_000 + j);
  const written: [string, number][] = [];
  for (let j = 0; j < differing; j++) {
    const k = key((j * step) % n);
    const v = value(j);
    b.put(k, v);
    written.push([k, v]);
  }
  gc();
  let bytes = 0;
  let messages = 0;
  let roundTrips = 0;
  let rounds = 0;
  const t0 = performance.now();
  do {
    net.a.replica('kv')!.antiEntropyNow();
    const w = net.run();
    bytes += w.bytes;
    messages += w.messages;
    roundTrips += Math.ceil(w.maxDepth / 2);
    rounds++;
  } while (mode === 'digest' && a.digest().hash !== b.digest().hash && rounds < 20);
  const ms = performance.now() - t0;
  net.close();
  const converged = written.every(([k, v]) => a.get(k) === v) && a.digest().hash === b.digest().hash;
  return { keys: n, differing, mode, bytes, messages, roundTrips, rounds, ms, converged };
}

const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
const human = (b: number): string => (b >= 1 << 20 ? `${fmt(b / (1 << 20))} MiB` : b >= 1024 ? `${fmt(b / 1024)} KiB` : `${b} B`);

const rows: Row[] = [];
for (const n of SIZES) {
  const t0 = performance.now();
  const { a, b } = build(n);
  process.stderr.write(`built two replicas of ${n} keys in ${fmt(performance.now() - t0)} ms\n`);
  for (const d of DIFFS) {
    if (d > n) continue;
    for (const mode of ['digest', 'full-pull'] as const) {
      const r = measure(a, b, n, d, mode);
      rows.push(r);
      process.stderr.write(`  ${n} keys, ${d} differing, ${mode}: ${human(r.bytes)} in ${fmt(r.ms)} ms${r.converged ? '' : ' (NOT converged)'}\n`);
    }
  }
  gc();
}

const equalMillion = rows.find((r) => r.keys === 1_000_000 && r.differing === 0 && r.mode === 'digest');
console.log(
  JSON.stringify({
    bench: 'anti-entropy',
    node: process.version,
    targetEqualBytes: TARGET_EQUAL_BYTES,
    equalMillionBytes: equalMillion?.bytes ?? null,
    targetMet: equalMillion === undefined ? null : equalMillion.bytes <= TARGET_EQUAL_BYTES,
    rows,
  }),
);
console.log('');
console.log('| keys | differing | mode | bytes / round | messages | round trips | rounds | ms | ratio to full pull (bytes) | converged |');
console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  const pull = rows.find((p) => p.keys === r.keys && p.differing === r.differing && p.mode === 'full-pull')!;
  const ratio = r.mode === 'digest' ? `${(r.bytes / pull.bytes).toExponential(2)}×` : '1×';
  console.log(
    `| ${fmt(r.keys)} | ${fmt(r.differing)} | ${r.mode} | ${human(r.bytes)} | ${r.messages} | ${r.roundTrips} | ${r.rounds} | ${fmt(r.ms)} | ${ratio} | ${r.converged ? 'yes' : 'NO'} |`,
  );
}
if (equalMillion !== undefined) {
  console.log('');
  console.log(`equal 1 000 000-key replicas: ${equalMillion.bytes} bytes per round (target ≤ ${TARGET_EQUAL_BYTES}): ${equalMillion.bytes <= TARGET_EQUAL_BYTES ? 'met' : 'NOT met'}`);
}
