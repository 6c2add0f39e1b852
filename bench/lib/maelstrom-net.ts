/**
 * The harness's Maelstrom network: it routes every node's output lines to other nodes and to the harness's clients
 * with a latency drawn per message — constant, uniform on [0, 2·mean) or exponential with that mean, as
 * Maelstrom's `--latency-dist` — and drops server-to-server messages across a partition at delivery, as
 * Maelstrom's net does. Every server-to-server message is counted at send (msgs-per-op).
 *
 * Nodes are endpoints: processes spawned from a `--bin` command (process mode, real clock), or in-process nodes on
 * the harness's virtual clock (sim mode). Node output is untrusted: a line that is not a `{src, dest, body}`
 * object, names an unknown destination or a `src` other than the node, is counted as a protocol violation and
 * dropped (Maelstrom would fail the test).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { SeededRandom } from '@rumor/testkit';
import type { Clock } from './maelstrom-clock.js';

/** Latency distributions of Maelstrom's `--latency-dist`. */
export type LatencyDist = 'constant' | 'uniform' | 'exponential';

/** One protocol message. */
export interface NetMessage {
  src: string;
  dest: string;
  body: Record<string, unknown> & { type: string; msg_id?: number; in_reply_to?: number };
}

/** A node as the network sees it: lines in; its lines out go to the `emit` it was created with. */
export interface Endpoint {
  deliver(line: string): void;
  /** End the node (process: close its stdin and wait; in-process: close it). */
  close(): Promise<void>;
  /** Whether the node died on its own (a crash). */
  crashed(): boolean;
}

/** Makes the endpoint of node `id`; its output lines go to `emit`. */
export type EndpointFactory = (id: string, emit: (line: string) => void, clock: Clock) => Endpoint;

/** Process endpoints: `bin` split on whitespace, stderr appended to `stderrPath` (else discarded). */
export function processEndpoints(bin: string, env: Record<string, string>, stderrPath: string | undefined): { factory: EndpointFactory; close(): Promise<void> } {
  const [cmd, ...args] = bin.trim().split(/\s+/);
  if (cmd === undefined) throw new Error('empty --bin');
  const stderr: WriteStream | undefined = stderrPath !== undefined ? createWriteStream(stderrPath, { flags: 'a' }) : undefined;
  const factory: EndpointFactory = (id, emit) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', stderr ? 'pipe' : 'ignore'], env: { ...process.env, ...env } });
    let exited = false;
    let closing = false;
    child.on('exit', () => void (exited = true));
    child.stdin!.on('error', () => {}); // a node that exited: its messages are lost, as on a real network
    if (stderr) child.stderr!.on('data', (d: Buffer) => stderr.write(d.toString('utf8').replace(/^(?=.)/gm, `${id} `)));
    let buffer = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.length > 0 && !closing) emit(line);
      }
    });
    return {
      deliver(line) {
        if (child.stdin!.writable) child.stdin!.write(`${line}\n`);
      },
      crashed: () => exited && !closing,
      close: () =>
        new Promise<void>((resolve) => {
          closing = true;
          if (exited) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.on('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.stdin!.end();
        }),
    };
  };
  return { factory, close: () => new Promise<void>((resolve) => (stderr ? stderr.end(resolve) : resolve())) };
}

/** How the network is built. */
export interface NetInit {
  nodes: number;
  latencyMs: number;
  latencyDist: LatencyDist;
  random: SeededRandom;
  clock: Clock;
  endpoints: EndpointFactory;
  /** Where client-bound messages go. */
  onClientMessage(message: NetMessage): void;
}

/** Counters of the network. */
export interface NetStats {
  serverMsgs: number;
  serverBytes: number;
  /** Server-to-server messages by body type. */
  serverMsgsByType: Record<string, number>;
  clientMsgs: number;
  droppedByPartition: number;
  violations: number;
  violationSamples: string[];
}

/** The simulated network and its nodes. */
export class MaelstromNet {
  readonly nodeIds: string[];
  private readonly endpoints = new Map<string, Endpoint>();
  private blocked = new Set<string>();
  private closed = false;
  readonly stats: NetStats = { serverMsgs: 0, serverBytes: 0, serverMsgsByType: {}, clientMsgs: 0, droppedByPartition: 0, violations: 0, violationSamples: [] };

  constructor(private readonly init: NetInit) {
    this.nodeIds = Array.from({ length: init.nodes }, (_, i) => `n${i + 1}`);
  }

  /** Start the nodes. */
  start(): void {
    for (const id of this.nodeIds) this.endpoints.set(id, this.init.endpoints(id, (line) => this.fromNode(id, line), this.init.clock));
  }

  /** Nodes that died on their own. */
  crashed(): string[] {
    return this.nodeIds.filter((id) => this.endpoints.get(id)?.crashed());
  }

  private violation(what: string): void {
    this.stats.violations++;
    if (this.stats.violationSamples.length < 5) this.stats.violationSamples.push(what.slice(0, 300));
  }

  private fromNode(id: string, line: string): void {
    let m: NetMessage;
    try {
      m = JSON.parse(line) as NetMessage;
    } catch {
      return this.violation(`${id}: not JSON: ${line}`);
    }
    if (typeof m !== 'object' || m === null || typeof m.body !== 'object' || m.body === null || typeof m.body.type !== 'string') {
      return this.violation(`${id}: not {src, dest, body{type}}: ${line}`);
    }
    if (m.src !== id) return this.violation(`${id}: src ${String(m.src)}: ${line}`);
    const toServer = this.endpoints.has(m.dest);
    if (!toServer && !/^c\d+$/.test(String(m.dest))) return this.violation(`${id}: unknown dest ${String(m.dest)}`);
    if (toServer) {
      this.stats.serverMsgs++;
      this.stats.serverBytes += line.length;
      this.stats.serverMsgsByType[m.body.type] = (this.stats.serverMsgsByType[m.body.type] ?? 0) + 1;
    } else this.stats.clientMsgs++;
    this.enqueue(m, line);
  }

  /** A client sends a message into the network. */
  sendFromClient(m: NetMessage): void {
    this.stats.clientMsgs++;
    this.enqueue(m, JSON.stringify(m));
  }

  private latency(): number {
    const { latencyMs: mean, latencyDist: dist, random } = this.init;
    if (mean <= 0) return 0;
    if (dist === 'constant') return mean;
    if (dist === 'uniform') return random.next() * 2 * mean;
    return -Math.log(1 - random.next()) * mean;
  }

  private enqueue(m: NetMessage, line: string): void {
    if (this.closed) return;
    // One timer per message: equal delays fire in send order (Node's timer lists and the virtual clock both keep it).
    this.init.clock.setTimer(this.latency(), () => this.deliver(m, line));
  }

  private deliver(m: NetMessage, line: string): void {
    if (this.closed) return;
    const endpoint = this.endpoints.get(m.dest);
    if (endpoint === undefined) return this.init.onClientMessage(m);
    if (this.endpoints.has(m.src) && this.blocked.has(`${m.src}>${m.dest}`)) {
      this.stats.droppedByPartition++;
      return;
    }
    endpoint.deliver(line);
  }

  /** Cut the servers into the given groups: messages between groups are dropped until `heal`. */
  partition(groups: readonly (readonly string[])[]): void {
    const blocked = new Set<string>();
    for (const a of groups) for (const b of groups) if (a !== b) for (const x of a) for (const y of b) blocked.add(`${x}>${y}`);
    this.blocked = blocked;
  }

  heal(): void {
    this.blocked = new Set();
  }

  /** Stop routing and end every node. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.endpoints.values()].map((e) => e.close()));
  }
}
