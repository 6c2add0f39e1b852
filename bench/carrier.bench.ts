/**
 * The WebSocket carrier against raw `ws` (issue 7): messages/s and bytes/message between two processes on
 * loopback, for small messages one per frame and coalesced, as a ratio to raw `ws` sending the same crdt-wire
 * msgpack payloads in the same run (the ceiling). Target: ≥ 0.8× the ceiling in both modes.
 *
 * `npm run bench -- carrier` — flags: `--count=N` messages per run (default 200 000), `--runs=N` (raw, carrier)
 * pairs per mode, median of the per-pair ratios reported (default 5), `--quick` (50 000 messages, 1 run).
 *
 * This process receives and measures; a child process (bench/lib/carrier-peer.ts) dials and sends as fast as the
 * transport takes (honouring backpressure: carrier `drain`, raw `bufferedAmount`). Time runs from the first
 * message received to the last, so dialling and the handshake are outside it. Both receivers decode every frame
 * with crdt-wire (`decodeFrame`); bytes/message counts TCP bytes read by the receiver, WebSocket framing included.
 * CPU µs/message (sender from its first send, receiver over the measured window) is reported beside wall time:
 * on a shared machine the wall-clock ratio swings with other load, the CPU ratio much less.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Socket } from 'node:net';
import { decodeFrame } from '@rumor/crdt-wire';
import { createWsCarrier } from '@rumor/carrier-ws';
import { WebSocketServer } from 'ws';
import type { PeerArgs } from './lib/carrier-peer.js';

const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k as string, v ?? 'true'];
}));
const quick = args.has('quick');
const COUNT = Number(args.get('count') ?? (quick ? 50_000 : 200_000));
const RUNS = Number(args.get('runs') ?? (quick ? 1 : 5));
const SECRET = 'bench-secret';
const peerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'carrier-peer.js');

interface Measured {
  msgsPerSec: number;
  bytesPerMsg: number;
  framesPerMsg: number;
  /** CPU time (user + system) per message, sender plus receiver, in µs: steadier than wall time on a busy machine. */
  cpuUsPerMsg: number;
}

/** Runs the sender process; resolves with its CPU time in µs. */
function spawnSender(peer: PeerArgs): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [peerScript, JSON.stringify(peer)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`sender exited with ${code}`));
      const line = out.trim().split('\n').at(-1) ?? '{}';
      resolve((JSON.parse(line) as { cpuUs: number }).cpuUs);
    });
  });
}

/** Receive with the carrier; the sender is another carrier process. */
async function carrierRun(coalesce: boolean): Promise<Measured> {
  const receiver = createWsCarrier({ id: 'receiver', secret: SECRET });
  await receiver.start();
  let received = 0;
  let first = 0;
  let last = 0;
  let cpu0 = process.cpuUsage();
  let receiverCpuUs = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  receiver.listen({
    up: () => {},
    down: () => {},
    connectFailed: () => {},
    drain: () => {},
    message: () => {
      if (received === 0) {
        first = performance.now();
        cpu0 = process.cpuUsage();
      }
      if (++received === COUNT) {
        last = performance.now();
        const c = process.cpuUsage(cpu0);
        receiverCpuUs = c.user + c.system;
        done();
      }
    },
  });
  const sender = spawnSender({ mode: 'carrier', coalesce, address: receiver.address, count: COUNT, secret: SECRET });
  const handshakeBytes = await new Promise<number>((resolve) => {
    const poll = (): void => {
      const s = receiver.stats();
      if (s.links === 1) resolve(s.wireBytesIn);
      else setTimeout(poll, 1);
    };
    poll();
  });
  await finished;
  const stats = receiver.stats();
  await receiver.close();
  const senderCpuUs = await sender;
  return {
    msgsPerSec: COUNT / ((last - first) / 1000),
    bytesPerMsg: (stats.wireBytesIn - handshakeBytes) / COUNT,
    framesPerMsg: stats.framesIn / COUNT,
    cpuUsPerMsg: (senderCpuUs + receiverCpuUs) / COUNT,
  };
}

/** Receive with bare `ws`, decoding the same frames with crdt-wire; the sender is a bare `ws` process. */
async function rawRun(coalesce: boolean): Promise<Measured> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1024 * 1024 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  let received = 0;
  let frames = 0;
  let first = 0;
  let last = 0;
  let socketBytes = 0;
  let cpu0 = process.cpuUsage();
  let receiverCpuUs = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  server.on('connection', (ws, req) => {
    const socket = req.socket as Socket;
    const start = socket.bytesRead;
    ws.on('message', (data: Buffer) => {
      const r = decodeFrame(data);
      if (!r.ok) throw new Error(r.error.message);
      frames++;
      if (received === 0) {
        first = performance.now();
        cpu0 = process.cpuUsage();
      }
      received += r.value.length;
      if (received >= COUNT) {
        last = performance.now();
        const c = process.cpuUsage(cpu0);
        receiverCpuUs = c.user + c.system;
        socketBytes = socket.bytesRead - start;
        ws.close();
        done();
      }
    });
  });
  const address = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  const sender = spawnSender({ mode: 'raw', coalesce, address, count: COUNT, secret: SECRET });
  await finished;
  const senderCpuUs = await sender;
  await new Promise<void>((r) => server.close(() => r()));
  return {
    msgsPerSec: COUNT / ((last - first) / 1000),
    bytesPerMsg: socketBytes / COUNT,
    framesPerMsg: frames / COUNT,
    cpuUsPerMsg: (senderCpuUs + receiverCpuUs) / COUNT,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function summarize(runs: Measured[]): Measured {
  return {
    msgsPerSec: Math.round(median(runs.map((r) => r.msgsPerSec))),
    bytesPerMsg: Math.round(median(runs.map((r) => r.bytesPerMsg)) * 100) / 100,
    framesPerMsg: Math.round(median(runs.map((r) => r.framesPerMsg)) * 10_000) / 10_000,
    cpuUsPerMsg: Math.round(median(runs.map((r) => r.cpuUsPerMsg)) * 100) / 100,
  };
}

const results: Record<
  string,
  { carrier: Measured; raw: Measured; ratio: number; bytesRatio: number; cpuRatio: number; pairs: number[] }
> = {};
for (const coalesce of [false, true]) {
  const carrierRuns: Measured[] = [];
  const rawRuns: Measured[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate so that drift in machine load hits both sides alike.
    rawRuns.push(await rawRun(coalesce));
    carrierRuns.push(await carrierRun(coalesce));
  }
  const carrier = summarize(carrierRuns);
  const raw = summarize(rawRuns);
  // Ratios are taken per adjacent (raw, carrier) pair and the median reported, so load that drifts between pairs
  // cancels out instead of landing on one side.
  const paired = (f: (c: Measured, r: Measured) => number): number =>
    Math.round(median(carrierRuns.map((c, i) => f(c, rawRuns[i]!))) * 100) / 100;
  results[coalesce ? 'coalesced' : 'onePerFrame'] = {
    carrier,
    raw,
    ratio: paired((c, r) => c.msgsPerSec / r.msgsPerSec),
    bytesRatio: paired((c, r) => c.bytesPerMsg / r.bytesPerMsg),
    // Throughput implied by CPU cost (raw cost / carrier cost): the same comparison, less sensitive to scheduling.
    cpuRatio: paired((c, r) => r.cpuUsPerMsg / c.cpuUsPerMsg),
    pairs: carrierRuns.map((c, i) => Math.round((c.msgsPerSec / rawRuns[i]!.msgsPerSec) * 100) / 100),
  };
}

const target = 0.8;
const out = {
  bench: 'carrier',
  count: COUNT,
  runs: RUNS,
  node: process.version,
  loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  target,
  ...results,
  pass: Object.values(results).every((r) => r.ratio >= target),
};
console.log(JSON.stringify(out));
console.log();
console.log('mode           | system  | msgs/s     | bytes/msg | frames/msg | CPU µs/msg | msgs/s ratio to raw ws     | CPU ratio');
console.log('---------------|---------|------------|-----------|------------|------------|----------------------------|----------');
for (const [mode, r] of Object.entries(results)) {
  for (const [system, m] of [['raw ws', r.raw], ['carrier', r.carrier]] as const) {
    const ratio = system === 'carrier' ? `${r.ratio.toFixed(2)}× (target ≥ ${target})` : '1.00× (ceiling)';
    const cpu = system === 'carrier' ? `${r.cpuRatio.toFixed(2)}×` : '1.00×';
    console.log(`${mode.padEnd(14)} | ${system.padEnd(7)} | ${String(m.msgsPerSec).padStart(10)} | ${m.bytesPerMsg.toFixed(2).padStart(9)} | ${m.framesPerMsg.toFixed(4).padStart(10)} | ${m.cpuUsPerMsg.toFixed(2).padStart(10)} | ${ratio.padEnd(26)} | ${cpu}`);
  }
}
for (const [mode, r] of Object.entries(results)) console.log(`${mode}: msgs/s ratio per pair ${r.pairs.join(', ')}`);
console.log(`\nload average ${out.loadAverage.join(' ')} (2 cores shared: wall-clock ratios are noisy under load; the CPU ratio is the same comparison by cost)`);
console.log(`${COUNT} messages per run, median of ${RUNS} run(s) per mode; two processes on loopback; payload: one crdt-wire envelope {v:1, layer:'broadcast', type:'ihave', body:{id, round}}.`);
