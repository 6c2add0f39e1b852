/**
 * Cluster benchmark (issue 8): N `rumor start` processes on loopback (N = 3 and 10), driven through the HTTP API
 * like a user would, against the raw-ws ceiling (bench/lib/cluster-raw-peer.ts: the same HTTP surface, each put sent
 * straight to every other process over a full mesh of bare WebSockets — no membership, tree, CRDT, log or fsync)
 * measured in the same run.
 *
 * Throughput run: `--writes` puts (default 4 000) spread round-robin over the processes with `--inflight` requests
 * in flight (default 64). Reported: puts/s accepted (acknowledged; under Rumor's default fsync `always`, i.e. durable
 * on the receiving node), and for each put the time from sending it until every process had it (each process's
 * `GET /events` change stream, followed by this process): p50, p99, max. Ratios are Rumor / raw.
 *
 * Cold join: 3 nodes whose map holds `--keys` keys (default 100 000, loaded with `POST /kv` batches), then a fresh
 * node joins: seconds until it serves all of them (polled `GET /status`), and bytes moved — what the joiner read
 * from its sockets (WebSocket framing included) by then, per key, and once its input went quiet (full syncs pushed
 * by the other peers it links to afterwards included).
 *
 * `npm run bench -- cluster` — flags: `--writes=N --inflight=N --keys=N --sizes=3,10 --quick` (quick: 1 000 writes,
 * 20 000 keys, N = 3 only). Prints one JSON line, then a table.
 */
import path from 'node:path';
import { call, follow, killAll, startRaw, startRumor, tempDir, until, type Follower, type Proc } from './lib/cluster-procs.js';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k as string, v ?? 'true'];
  }),
);
const quick = args.has('quick');
const WRITES = Number(args.get('writes') ?? (quick ? 1000 : 4000));
const INFLIGHT = Number(args.get('inflight') ?? 64);
const KEYS = Number(args.get('keys') ?? (quick ? 20_000 : 100_000));
const SIZES = (args.get('sizes') ?? (quick ? '3' : '3,10')).split(',').map(Number);
const PREFIX = 'bench/';

interface Throughput {
  processes: number;
  writes: number;
  putsPerSec: number;
  allEverywhereMs: { p50: number; p99: number; max: number };
  /** From the first put to the moment every process had every write. */
  totalMs: number;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

/** Start an N-process cluster of `kind`, wait until it is connected. */
async function cluster(kind: 'rumor' | 'raw', n: number): Promise<Proc[]> {
  if (kind === 'raw') {
    const procs = await Promise.all(Array.from({ length: n }, (_, i) => startRaw(`raw${i}`)));
    // Full mesh: each dials the ones before it.
    await Promise.all(procs.map((p, i) => call('POST', `${p.http}/connect`, procs.slice(0, i).map((q) => q.ws))));
    await until('raw mesh', async () => (await Promise.all(procs.map((p) => call('GET', `${p.http}/peers`)))).every((r) => r.links === n - 1));
    return procs;
  }
  const root = tempDir();
  const first = await startRumor('n0', path.join(root, 'n0'), []);
  const rest = await Promise.all(Array.from({ length: n - 1 }, (_, i) => startRumor(`n${i + 1}`, path.join(root, `n${i + 1}`), [first.ws])));
  const procs = [first, ...rest];
  await until('every node to have an active peer', async () =>
    (await Promise.all(procs.map((p) => call('GET', `${p.http}/peers`)))).every((r) => r.active.length >= Math.min(2, n - 1)),
  );
  return procs;
}

/** Probe writes until one reaches every process (the overlay and the broadcast tree are in place). */
async function warm(procs: Proc[], followers: Follower[]): Promise<void> {
  for (let i = 0; ; i++) {
    const key = `${PREFIX}warm-${i}`;
    await call('PUT', `${procs[i % procs.length]!.http}/kv/${key}`, i);
    try {
      await until('warm-up write everywhere', () => followers.every((f) => f.arrivals.has(key)), 3000, 20);
      return;
    } catch {
      if (i > 20) throw new Error('the cluster never delivered a write to every process');
    }
  }
}

async function throughput(kind: 'rumor' | 'raw', n: number): Promise<Throughput> {
  const procs = await cluster(kind, n);
  const followers = await Promise.all(procs.map((p) => follow(p, PREFIX)));
  await warm(procs, followers);
  const sentAt = new Map<string, number>();
  const keys: string[] = [];
  let next = 0;
  const t0 = performance.now();
  let lastAck = t0;
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (next < WRITES) {
        const i = next++;
        const key = `${PREFIX}k${String(i).padStart(7, '0')}`;
        keys.push(key);
        sentAt.set(key, performance.now());
        await call('PUT', `${procs[i % n]!.http}/kv/${key}`, { i, at: Date.now() });
        lastAck = performance.now();
      }
    }),
  );
  const putsPerSec = WRITES / ((lastAck - t0) / 1000);
  await until(`${kind}: every write on every process`, () => followers.every((f) => keys.every((k) => f.arrivals.has(k))), 180_000, 100);
  const latencies = keys.map((k) => Math.max(...followers.map((f) => f.arrivals.get(k)!)) - sentAt.get(k)!).sort((a, b) => a - b);
  const done = Math.max(...keys.map((k) => Math.max(...followers.map((f) => f.arrivals.get(k)!))));
  for (const f of followers) f.stop();
  await killAll();
  return {
    processes: n,
    writes: WRITES,
    putsPerSec: round(putsPerSec, 0),
    allEverywhereMs: { p50: round(pct(latencies, 50)), p99: round(pct(latencies, 99)), max: round(latencies.at(-1)!) },
    totalMs: round(done - t0, 0),
  };
}

interface ColdJoin {
  keys: number;
  loadSeconds: number;
  /** From spawning the joiner to it serving every key. */
  secondsFromSpawn: number;
  /** From the joiner's ready line to it serving every key. */
  secondsFromReady: number;
  /** Bytes the joiner had read from its sockets (WebSocket framing included) when it served every key. */
  bytesIn: number;
  bytesPerKey: number;
  /** Bytes it had read once its input went quiet (later full syncs from other peers included). */
  bytesInSettled: number;
  /** Full snapshots the joiner applied by then (one per peer that pushed on `peer up`). */
  fullSyncsApplied: number;
  /** Its active view then. */
  activePeers: number;
  /** The JSON size of the data itself (keys and values), for scale. */
  dataBytes: number;
}

async function coldJoin(): Promise<ColdJoin> {
  const procs = await cluster('rumor', 3);
  const batch = 1000;
  const t0 = performance.now();
  let dataBytes = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < KEYS) {
        const from = next;
        next += batch;
        const ops = [];
        for (let i = from; i < Math.min(from + batch, KEYS); i++) {
          const op = { type: 'put', key: `cold/${String(i).padStart(7, '0')}`, value: { i, name: `item ${i}` } };
          dataBytes += JSON.stringify(op.key).length + JSON.stringify(op.value).length;
          ops.push(op);
        }
        await call('POST', `${procs[(from / batch) % 3]!.http}/kv`, { ops });
      }
    }),
  );
  const keysOf = async (p: Proc): Promise<number> => (await call('GET', `${p.http}/status`)).maps.default.keys as number;
  await until('the cluster to hold every key', async () => (await Promise.all(procs.map(keysOf))).every((k) => k >= KEYS), 300_000, 250);
  const loadSeconds = (performance.now() - t0) / 1000;

  const joinerDir = tempDir();
  const spawned = performance.now();
  const joiner = await startRumor('joiner', path.join(joinerDir, 'joiner'), [procs[0]!.ws]);
  const ready = performance.now();
  let status: any;
  await until(
    'the joiner to serve every key',
    async () => {
      status = await call('GET', `${joiner.http}/status`);
      return status.maps.default.keys >= KEYS;
    },
    300_000,
    50,
  );
  const served = performance.now();
  const bytesAtServe = status.carrier.wireBytesIn as number;
  // Later full syncs (every peer that comes up pushes one) still move bytes: wait until the joiner's input is
  // quiet for 2 s (at most 60 s) and count those too.
  let settled = status;
  let quietSince = performance.now();
  await until(
    'the joiner to go quiet',
    async () => {
      const s = await call('GET', `${joiner.http}/status`);
      if (s.carrier.wireBytesIn - settled.carrier.wireBytesIn > 4096) quietSince = performance.now();
      settled = s;
      return performance.now() - quietSince > 2000;
    },
    60_000,
    250,
  );
  // Spot-check it really serves them.
  const last = `cold/${String(KEYS - 1).padStart(7, '0')}`;
  const v = await call('GET', `${joiner.http}/kv/${last}`);
  if (v.i !== KEYS - 1) throw new Error(`joiner serves a wrong value for ${last}`);
  await killAll();
  return {
    keys: KEYS,
    loadSeconds: round(loadSeconds),
    secondsFromSpawn: round((served - spawned) / 1000, 2),
    secondsFromReady: round((served - ready) / 1000, 2),
    bytesIn: bytesAtServe,
    bytesPerKey: round(bytesAtServe / KEYS),
    bytesInSettled: settled.carrier.wireBytesIn,
    fullSyncsApplied: settled.maps.default.fullSyncs.applied,
    activePeers: settled.views.active.length,
    dataBytes,
  };
}

process.on('SIGINT', () => void killAll().then(() => process.exit(130)));

try {
  const runs: Array<{ rumor: Throughput; raw: Throughput; ratio: { putsPerSec: number; p50: number; p99: number } }> = [];
  for (const n of SIZES) {
    const raw = await throughput('raw', n);
    const rumor = await throughput('rumor', n);
    runs.push({
      rumor,
      raw,
      ratio: {
        putsPerSec: round(rumor.putsPerSec / raw.putsPerSec, 2),
        p50: round(rumor.allEverywhereMs.p50 / raw.allEverywhereMs.p50, 2),
        p99: round(rumor.allEverywhereMs.p99 / raw.allEverywhereMs.p99, 2),
      },
    });
  }
  const cold = await coldJoin();
  console.log(JSON.stringify({ bench: 'cluster', node: process.version, writes: WRITES, inflight: INFLIGHT, runs, coldJoin: cold }));
  console.log('\nthroughput (HTTP puts, round-robin over the processes; latency = until every process has the write)');
  console.table(
    runs.flatMap((r) =>
      (['raw', 'rumor'] as const).map((kind) => ({
        system: kind === 'raw' ? 'raw ws (ceiling)' : 'rumor',
        processes: r[kind].processes,
        'puts/s': r[kind].putsPerSec,
        'p50 ms': r[kind].allEverywhereMs.p50,
        'p99 ms': r[kind].allEverywhereMs.p99,
        'max ms': r[kind].allEverywhereMs.max,
        'all done ms': r[kind].totalMs,
        'puts/s ratio': kind === 'rumor' ? r.ratio.putsPerSec : '',
      })),
    ),
  );
  console.log(`\ncold join: ${cold.keys} keys (loaded in ${cold.loadSeconds} s)`);
  console.table([
    {
      'serves all, s from spawn': cold.secondsFromSpawn,
      's from ready': cold.secondsFromReady,
      'bytes in': cold.bytesIn,
      'bytes/key': cold.bytesPerKey,
      'bytes in, settled': cold.bytesInSettled,
      'full syncs': cold.fullSyncsApplied,
      'active peers': cold.activePeers,
      'data bytes (JSON)': cold.dataBytes,
    },
  ]);
} finally {
  await killAll();
}
