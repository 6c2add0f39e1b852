/**
 * The sending process of the carrier benchmark (bench/carrier.bench.ts): dials the receiver on loopback and sends
 * `count` small envelopes as fast as the transport takes them, honouring backpressure, then exits when the
 * receiver closes. Run as `node carrier-peer.js <json>`; the JSON names the mode, address, count and secret.
 *
 * Modes: `carrier` (the WebSocket carrier, `envelopesPerFrameMax` 1 or default) and `raw` (bare `ws`, the ceiling:
 * the same crdt-wire encoding, one envelope per frame or the envelopes of one event-loop turn concatenated into
 * one frame, which is exactly the carrier's coalescing policy without the carrier).
 */
import { encodeEnvelope, type Envelope } from '@rumor/crdt-wire';
import { createWsCarrier, type NodeId } from '@rumor/carrier-ws';
import { WebSocket } from 'ws';

export interface PeerArgs {
  mode: 'carrier' | 'raw';
  coalesce: boolean;
  address: string;
  count: number;
  secret: string;
}

/** The small message every mode sends (an `ihave`-sized broadcast control message). */
export function benchEnvelope(i: number): Envelope {
  return { v: 1, layer: 'broadcast', type: 'ihave', body: { id: `m-${i}`, round: i & 7 } };
}

/** How many messages one burst hands over before yielding to the event loop. */
const BURST = 256;
/**
 * Raw mode stops producing above this many bytes buffered in `ws` and resumes below half of it — the same bounds
 * as the carrier's default send queue (`sendQueueBytesMax` 8 MiB, drain at half), so both senders may run equally
 * far ahead of the socket.
 */
const HIGH_WATER = 8 * 1024 * 1024;

async function runCarrier(args: PeerArgs): Promise<void> {
  const carrier = createWsCarrier({ id: 'sender', secret: args.secret, ...(args.coalesce ? {} : { envelopesPerFrameMax: 1 }) });
  await carrier.start();
  const receiver = 'receiver' as NodeId;
  let sent = 0;
  let drained: (() => void) | undefined;
  let upResolve: () => void = () => {};
  let downResolve: () => void = () => {};
  const isUp = new Promise<void>((r) => (upResolve = r));
  const isDown = new Promise<void>((r) => (downResolve = r));
  carrier.listen({
    up: () => upResolve(),
    down: () => downResolve(),
    message: () => {},
    connectFailed: (_a, reason) => {
      console.error(`sender: connect failed: ${reason}`);
      process.exit(1);
    },
    drain: () => drained?.(),
  });
  carrier.connect(args.address);
  await isUp;
  const cpu0 = process.cpuUsage();
  while (sent < args.count) {
    let burst = 0;
    while (burst < BURST && sent < args.count) {
      const r = carrier.send(receiver, benchEnvelope(sent));
      if (r === 'accepted') {
        sent++;
        burst++;
      } else if (r === 'backpressure') {
        await new Promise<void>((resolve) => (drained = resolve));
        drained = undefined;
      } else {
        throw new Error('link closed during the benchmark');
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await isDown;
  reportCpu(cpu0);
  await carrier.close();
}

/** The sender's CPU time (user + system, µs) from its first send, as one JSON line the parent reads. */
function reportCpu(since: NodeJS.CpuUsage): void {
  const c = process.cpuUsage(since);
  process.stdout.write(`${JSON.stringify({ cpuUs: c.user + c.system })}\n`);
}

async function runRaw(args: PeerArgs): Promise<void> {
  const ws = new WebSocket(args.address, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const cpu0 = process.cpuUsage();
  let sent = 0;
  let writable: (() => void) | undefined;
  const onWritten = (): void => {
    if (writable !== undefined && ws.bufferedAmount < HIGH_WATER / 2) {
      const w = writable;
      writable = undefined;
      w();
    }
  };
  while (sent < args.count) {
    const batch: Uint8Array[] = [];
    let bytes = 0;
    while (batch.length < BURST && sent < args.count) {
      const r = encodeEnvelope(benchEnvelope(sent));
      if (!r.ok) throw new Error(r.error.message);
      sent++;
      if (args.coalesce) {
        batch.push(r.value);
        bytes += r.value.length;
      } else {
        ws.send(r.value, onWritten);
      }
    }
    if (args.coalesce) ws.send(Buffer.concat(batch, bytes), onWritten);
    if (ws.bufferedAmount >= HIGH_WATER) await new Promise<void>((resolve) => (writable = resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await closed;
  reportCpu(cpu0);
}

const args = JSON.parse(process.argv[2] ?? '{}') as PeerArgs;
(args.mode === 'carrier' ? runCarrier(args) : runRaw(args)).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
