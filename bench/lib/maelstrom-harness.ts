/**
 * A Maelstrom-style test of the broadcast workload, without Java: N nodes on the harness's network
 * (maelstrom-net.ts), `init` and `topology` as Maelstrom sends them, then clients `c1…` issuing a 50/50 mix of
 * `broadcast` (unique integers 0, 1, 2, …) and `read` to random nodes at `rate` ops/s (uniformly staggered, as
 * Jepsen's `stagger`; a tick that finds every client busy is skipped), an optional partition nemesis (every
 * `nemesisIntervalMs` the servers are split into two random halves, then healed, alternately), a final heal,
 * `recoveryMs` of quiet, and a final read on every node. The history goes to the set-full checker
 * (maelstrom-checker.ts); msgs-per-op is server-to-server messages over client operations (final reads included),
 * as Maelstrom's net stats count them.
 *
 * Two modes: `process` spawns the `--bin` command per node and runs in real time (what Maelstrom does); `sim` runs
 * the same node code in-process on a virtual clock, so that a run measures the protocol rather than the load of
 * the machine, and `--seed` replays it exactly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRandom } from '@rumor/testkit';
import { checkBroadcast, type BroadcastCheck, type HistoryOp } from './maelstrom-checker.js';
import { realClock, virtualClock, type Clock } from './maelstrom-clock.js';
import { MaelstromNet, processEndpoints, type Endpoint, type EndpointFactory, type LatencyDist, type NetMessage, type NetStats } from './maelstrom-net.js';

/** Options of one run; every field has a default in {@link HARNESS_DEFAULTS}. */
export interface HarnessOptions {
  /** `process`: spawn `bin` per node, real time. `sim`: in-process nodes, virtual time. */
  mode: 'process' | 'sim';
  /** Node command (split on whitespace). Default: `node <repo>/packages/maelstrom/dist/bin.js`. */
  bin: string;
  nodes: number;
  /** Client operations per second, all clients together. */
  rate: number;
  timeLimitMs: number;
  /** Mean one-way latency of every message (clients included, as in Maelstrom). */
  latencyMs: number;
  latencyDist: LatencyDist;
  nemesis: 'none' | 'partition';
  /** Time between nemesis events (partition, heal, partition, …). Maelstrom's default is 10 s. */
  nemesisIntervalMs: number;
  /** Quiet time after the final heal, before the final reads. Maelstrom waits 10 s. */
  recoveryMs: number;
  /** Clients; 0 = one per node. */
  concurrency: number;
  /** A client gives up on a request after this long (the op is then indeterminate). */
  opTimeoutMs: number;
  seed: number;
  /** JSON knobs for the nodes (`RUMOR_MAELSTROM_CONFIG` in process mode, merged into the init in sim mode). */
  nodeConfig: string | undefined;
  /** Append node stderr here (process mode). */
  stderrPath: string | undefined;
}

/** Where the repository root is: the nearest ancestor with packages/maelstrom (works from source and from dist). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'packages', 'maelstrom'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the repository root (packages/maelstrom)');
}

/** Defaults: Maelstrom's where it has one (rate 10 would be its `--rate`; recovery 10 s; nemesis interval 10 s). */
export const HARNESS_DEFAULTS: Omit<HarnessOptions, 'bin'> = Object.freeze({
  mode: 'process' as const,
  nodes: 5,
  rate: 10,
  timeLimitMs: 20_000,
  latencyMs: 0,
  latencyDist: 'constant' as LatencyDist,
  nemesis: 'none' as const,
  nemesisIntervalMs: 10_000,
  recoveryMs: 10_000,
  concurrency: 0,
  opTimeoutMs: 1_000,
  seed: 1,
  nodeConfig: undefined,
  stderrPath: undefined,
});

/** The result of one run. */
export interface HarnessResult {
  options: Omit<HarnessOptions, 'stderrPath'>;
  check: BroadcastCheck;
  ops: { broadcast: number; read: number; ok: number; fail: number; info: number; skipped: number; final: number };
  msgsPerOp: number;
  net: NetStats;
  partitions: number;
  /** Every client operation, in completion order. */
  history: HistoryOp[];
  /** Nodes that died on their own (crashes). */
  crashed: string[];
  /** Harness time of the run (virtual in sim mode). */
  elapsedMs: number;
}

/** An in-process node for sim mode: what `createMaelstromNode` returns, reduced to what the harness uses. */
export interface InProcessNode {
  handleLine(line: string): void;
  close(): Promise<void>;
}

/** Builds an in-process node on the harness's clock. */
export type InProcessNodeFactory = (args: { id: string; write(line: string): void; timers: Clock; config: Record<string, unknown>; seed: number }) => InProcessNode;

/** The in-process node factory over the built package (packages/maelstrom/dist). */
export async function builtNodeFactory(): Promise<InProcessNodeFactory> {
  const url = pathToFileURL(path.join(repoRoot(), 'packages', 'maelstrom', 'dist', 'index.js')).href;
  const mod = (await import(url)) as {
    createMaelstromNode(init: Record<string, unknown>, components: { write(line: string): void; timers: Clock }): InProcessNode;
  };
  return ({ write, timers, config, seed }) => mod.createMaelstromNode({ ...config, seed }, { write, timers });
}

function simEndpoints(factory: InProcessNodeFactory, config: Record<string, unknown>, seed: number): EndpointFactory {
  return (id, emit, clock): Endpoint => {
    let closed = false;
    const node = factory({ id, write: (line) => !closed && emit(line), timers: clock, config, seed });
    return {
      deliver: (line) => node.handleLine(line),
      crashed: () => false,
      async close() {
        closed = true;
        await node.close();
      },
    };
  };
}

/** Run the broadcast workload once. `nodeFactory` overrides the in-process node of sim mode (tests use source). */
export async function runBroadcast(partial: Partial<HarnessOptions> = {}, nodeFactory?: InProcessNodeFactory): Promise<HarnessResult> {
  const o: HarnessOptions = {
    ...HARNESS_DEFAULTS,
    bin: `${process.execPath} ${path.join(repoRoot(), 'packages', 'maelstrom', 'dist', 'bin.js')}`,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const concurrency = o.concurrency > 0 ? o.concurrency : o.nodes;
  const random = createRandom(o.seed);
  const rNet = random.fork('net');
  const rOps = random.fork('ops');
  const rNemesis = random.fork('nemesis');
  const clock = o.mode === 'sim' ? virtualClock() : realClock();
  const config = o.nodeConfig !== undefined ? (JSON.parse(o.nodeConfig) as Record<string, unknown>) : {};
  const processes = o.mode === 'process' ? processEndpoints(o.bin, o.nodeConfig !== undefined ? { RUMOR_MAELSTROM_CONFIG: o.nodeConfig } : {}, o.stderrPath) : undefined;
  const endpoints = processes?.factory ?? simEndpoints(nodeFactory ?? (await builtNodeFactory()), config, o.seed);
  const waiters = new Map<string, { cb(reply: NetMessage | undefined): void; cancel(): void }>(); // `${client}:${msgId}`
  const net = new MaelstromNet({
    nodes: o.nodes,
    latencyMs: o.latencyMs,
    latencyDist: o.latencyDist,
    random: rNet,
    clock,
    endpoints,
    onClientMessage(m) {
      const key = `${m.dest}:${String(m.body.in_reply_to)}`;
      const w = waiters.get(key);
      if (w === undefined) return; // a reply to a request the client gave up on
      waiters.delete(key);
      w.cancel();
      w.cb(m);
    },
  });
  const started = clock.now();
  const elapsed = () => clock.now() - started;
  let msgIds = 0;
  function call(client: string, node: string, body: Record<string, unknown> & { type: string }, timeoutMs: number, cb: (reply: NetMessage | undefined) => void): void {
    const msgId = ++msgIds;
    const key = `${client}:${msgId}`;
    const cancel = clock.setTimer(timeoutMs, () => {
      waiters.delete(key);
      cb(undefined);
    });
    waiters.set(key, { cb, cancel });
    net.sendFromClient({ src: client, dest: node, body: { ...body, msg_id: msgId } });
  }

  const history: HistoryOp[] = [];
  const ops = { broadcast: 0, read: 0, ok: 0, fail: 0, info: 0, skipped: 0, final: 0 };
  const clients = Array.from({ length: concurrency }, (_, i) => `c${i + 1}`);
  const free = [...clients];
  let nextValue = 0;
  let inFlight = 0;
  let partitions = 0;
  let partitioned = false;
  let cancelNemesis: (() => void) | undefined;
  let workloadStart = 0;
  let stopping = false;
  let ended = false;

  function invoke(client: string, f: 'broadcast' | 'read', node: string, final: boolean, done: (op: HistoryOp) => void): void {
    const value = f === 'broadcast' ? nextValue++ : undefined;
    const invokeMs = elapsed();
    call(client, node, f === 'broadcast' ? { type: 'broadcast', message: value } : { type: 'read' }, o.opTimeoutMs, (reply) => {
      const type: HistoryOp['type'] = reply === undefined ? 'info' : reply.body.type === `${f}_ok` ? 'ok' : 'fail';
      const messages = reply?.body.messages;
      const op: HistoryOp = { f, type, node, invokeMs, completeMs: elapsed(), value: f === 'broadcast' ? value : Array.isArray(messages) ? messages : undefined, final };
      if (type === 'ok' && f === 'read' && op.value === undefined) op.type = 'fail';
      ops[f]++;
      ops[op.type]++;
      if (final) ops.final++;
      history.push(op);
      done(op);
    });
  }

  const outcome = new Promise<void>((resolve, reject) => {
    const finish = () => {
      if (o.mode === 'sim') (clock as ReturnType<typeof virtualClock>).stop();
      resolve();
    };

    // Setup, as Maelstrom: init every node, then the suggested topology (a grid, which our nodes ignore).
    function setup(type: 'init' | 'topology', next: () => void): void {
      let pending = net.nodeIds.length;
      const failed: string[] = [];
      const topology = gridTopology(net.nodeIds);
      for (const id of net.nodeIds) {
        const body = type === 'init' ? { type, node_id: id, node_ids: net.nodeIds } : { type, topology };
        call('c0', id, body, 20_000, (reply) => {
          if (reply?.body.type !== `${type}_ok`) failed.push(id);
          if (--pending > 0) return;
          if (failed.length > 0) return reject(new Error(`nodes did not answer ${type}: ${failed.join(', ')}`));
          next();
        });
      }
    }

    function nemesisStep(): void {
      if (partitioned) net.heal();
      else {
        const shuffled = [...net.nodeIds];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = rNemesis.int(i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const half = Math.floor(shuffled.length / 2);
        net.partition([shuffled.slice(0, half), shuffled.slice(half)]);
        partitions++;
      }
      partitioned = !partitioned;
      cancelNemesis = clock.setTimer(o.nemesisIntervalMs, nemesisStep);
    }

    function scheduleOp(): void {
      clock.setTimer(rOps.next() * 2 * (1000 / o.rate), () => {
        if (clock.now() - workloadStart >= o.timeLimitMs) {
          stopping = true;
          return maybeEndWorkload();
        }
        const client = free.pop();
        if (client === undefined) ops.skipped++;
        else {
          inFlight++;
          const f = rOps.next() < 0.5 ? 'broadcast' : 'read';
          invoke(client, f, net.nodeIds[rOps.int(net.nodeIds.length)]!, false, () => {
            inFlight--;
            free.push(client);
            maybeEndWorkload();
          });
        }
        scheduleOp();
      });
    }

    function maybeEndWorkload(): void {
      if (!stopping || inFlight > 0 || ended) return;
      ended = true;
      cancelNemesis?.();
      net.heal();
      clock.setTimer(o.recoveryMs, finalReads);
    }

    function finalReads(): void {
      let remaining = net.nodeIds.length;
      net.nodeIds.forEach((node, i) => {
        const client = clients[i % clients.length]!;
        const attempt = (n: number) =>
          invoke(client, 'read', node, true, (op) => {
            if (op.type !== 'ok' && n < 2) return attempt(n + 1);
            if (--remaining === 0) finish();
          });
        attempt(0);
      });
    }

    net.start();
    setup('init', () =>
      setup('topology', () => {
        workloadStart = clock.now();
        if (o.nemesis === 'partition') cancelNemesis = clock.setTimer(o.nemesisIntervalMs, nemesisStep);
        scheduleOp();
      }),
    );
  });

  try {
    if (o.mode === 'sim') (clock as ReturnType<typeof virtualClock>).run();
    await outcome;
    // Count what the test itself caused: the goodbyes nodes send when their stdin closes come after it.
    const netStats: NetStats = { ...net.stats, serverMsgsByType: { ...net.stats.serverMsgsByType }, violationSamples: [...net.stats.violationSamples] };
    const { stderrPath: _ignored, ...shown } = o;
    return {
      options: { ...shown, concurrency },
      check: checkBroadcast(history),
      ops,
      msgsPerOp: history.length > 0 ? netStats.serverMsgs / history.length : 0,
      net: netStats,
      partitions,
      history,
      crashed: net.crashed(),
      elapsedMs: elapsed(),
    };
  } finally {
    for (const w of waiters.values()) w.cancel();
    await net.close();
    await processes?.close();
  }
}

/** Maelstrom's suggested topology: a roughly square grid, at most 4 neighbours each. */
export function gridTopology(nodes: readonly string[]): Record<string, string[]> {
  const side = Math.ceil(Math.sqrt(nodes.length));
  const at = (i: number, j: number) => (i >= 0 && j >= 0 && j < side && i * side + j < nodes.length ? nodes[i * side + j] : undefined);
  const out: Record<string, string[]> = {};
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const n = at(i, j);
      if (n === undefined) continue;
      out[n] = [at(i + 1, j), at(i - 1, j), at(i, j + 1), at(i, j - 1)].filter((x): x is string => x !== undefined);
    }
  }
  return out;
}

/** Parse harness flags (`--k=v` or `--k v`); unknown flags are errors. */
export function parseHarnessArgs(argv: readonly string[]): { options: Partial<HarnessOptions>; extra: Map<string, string> } {
  const options: Partial<HarnessOptions> = {};
  const extra = new Map<string, string>();
  const num = (k: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a non-negative number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const key = a.slice(2, eq >= 0 ? eq : undefined);
    const flagOnly = ['quick'];
    const v = eq >= 0 ? a.slice(eq + 1) : flagOnly.includes(key) ? 'true' : argv[++i];
    if (v === undefined) throw new Error(`--${key} needs a value`);
    switch (key) {
      case 'bin':
        options.bin = v;
        break;
      case 'mode':
        if (v !== 'process' && v !== 'sim') throw new Error('--mode is process or sim');
        options.mode = v;
        break;
      case 'nodes':
      case 'node-count':
        options.nodes = num(key, v);
        break;
      case 'rate':
        options.rate = num(key, v);
        break;
      case 'time-limit':
        options.timeLimitMs = num(key, v) * 1000;
        break;
      case 'latency':
        options.latencyMs = num(key, v);
        break;
      case 'latency-dist':
        if (v !== 'constant' && v !== 'uniform' && v !== 'exponential') throw new Error('--latency-dist is constant, uniform or exponential');
        options.latencyDist = v;
        break;
      case 'nemesis':
        if (v !== 'partition' && v !== 'none') throw new Error('--nemesis is partition or none');
        options.nemesis = v;
        break;
      case 'nemesis-interval':
        options.nemesisIntervalMs = num(key, v) * 1000;
        break;
      case 'recovery':
        options.recoveryMs = num(key, v) * 1000;
        break;
      case 'concurrency':
        options.concurrency = num(key, v);
        break;
      case 'seed':
        options.seed = num(key, v);
        break;
      case 'node-config':
        options.nodeConfig = v;
        break;
      case 'log-stderr':
        options.stderrPath = v;
        break;
      case 'scenario':
      case 'quick':
        extra.set(key, v);
        break;
      default:
        throw new Error(`unknown flag --${key}`);
    }
  }
  return { options, extra };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '—' : n.toFixed(digits));

/** A readable table of several runs. */
export function formatTable(rows: readonly { name: string; result: HarnessResult }[]): string {
  const header = ['scenario', 'nodes', 'rate', 'lat', 'nemesis', 'ops', 'lost', 'stale', 'never-read', 'lat p0', 'p50', 'p95', 'p99', 'max', 'msgs/op'];
  const lines = rows.map(({ name, result: r }) => {
    const q = r.check.stableLatencyMs;
    return [
      name,
      String(r.options.nodes),
      String(r.options.rate),
      `${r.options.latencyMs}${r.options.latencyDist === 'constant' ? '' : ` ${r.options.latencyDist}`}`,
      r.options.nemesis === 'partition' ? `partition×${r.partitions}` : 'none',
      String(r.ops.broadcast + r.ops.read),
      String(r.check.lostCount),
      String(r.check.staleCount),
      String(r.check.neverReadCount),
      fmt(q?.['0']),
      fmt(q?.['0.5']),
      fmt(q?.['0.95']),
      fmt(q?.['0.99']),
      fmt(q?.['1']),
      fmt(r.msgsPerOp, 2),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}
