/**
 * The public shapes of the simulator (`createSimulation` in simulation.ts): its options, its run results and
 * counters, the node view and the `Simulation` interface itself. The network model is described in
 * simulation.ts and docs/simulation.md.
 */
import type { LinkFaults } from './faults.js';
import type { LatencyModel } from './latency.js';
import type { Carrier, NodeId, Timers } from './ports.js';
import type { SeededRandom } from './random.js';

/** Encodes and decodes messages when a simulation runs them through a codec (to count bytes or catch aliasing). */
export interface MessageCodec {
  encode(message: unknown): Uint8Array | string;
  decode(bytes: Uint8Array | string): unknown;
}

/** How messages cross the simulated network. */
export type MessageMode = 'reference' | 'clone' | 'json' | MessageCodec;

/** Tunables of a simulation. */
export interface SimulationInit {
  /** Drives everything random in the run. */
  seed: number;
  /** Default one-way latency of every link. Default `uniform(5, 15)` ms. */
  latency?: LatencyModel;
  /** Initial global faults (merged over the defaults). */
  faults?: Partial<LinkFaults>;
  /** Delay after which a silent connection (crashed peer, cut link) is reported `down(failed)`. Default 5000 ms. */
  failureDetectionMs?: number;
  /** Delay after which a dial to a crashed or unreachable node reports `connectFailed(…, 'timeout')`. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Messages in flight per connection direction before `send` answers `backpressure`. Default 1024. */
  sendQueueMax?: number;
  /**
   * `reference` (default): messages are passed as the same object — fastest; receivers must not mutate them.
   * `clone`: structured clone per message. `json`: JSON round trip (bytes counted). A codec: encode/decode
   * (bytes counted).
   */
  messages?: MessageMode;
  /** Keep a readable trace of the last N events (`true` = 10 000). Default off. */
  trace?: boolean | number;
}

/** Options of `run`. Without `untilMs`/`forMs` the run goes until no event is left (idle). */
export interface RunOptions {
  /** Stop before the first event after this virtual time; `now()` is then exactly `untilMs`. */
  untilMs?: number;
  /** Same as `untilMs: now() + forMs`. */
  forMs?: number;
  /** Stop after this many events. Default: unbounded with a time bound, 10 000 000 for an idle run. */
  maxEvents?: number;
  /** Stop as soon as no event is left, even before `untilMs`. Default true without a time bound. */
  untilIdle?: boolean;
}

/** What one `run` did. */
export interface RunResult {
  reason: 'idle' | 'until' | 'maxEvents';
  events: number;
  delivered: number;
  nowMs: number;
}

/** Counters of the whole simulation so far. */
export interface SimStats {
  /** Events processed (deliveries, timers, handshakes, detections). */
  events: number;
  /** Messages handed to a receiver's listener (duplicates included). */
  delivered: number;
  /** Messages that never reached a listener: lost, closed connection, crashed node, dropped held messages. */
  dropped: number;
  /** Of `dropped`: lost to the loss fault. */
  lost: number;
  /** Copies made by the duplication fault. */
  duplicated: number;
  /** Messages that left FIFO order through the reorder fault. */
  reordered: number;
  /** Messages held on a cut connection (each once). */
  held: number;
  /** `send` calls answered `backpressure`. */
  backpressure: number;
  /** `up` events reported (both ends count). */
  ups: number;
  /** `down` events reported (both ends count). */
  downs: number;
  /** `connectFailed` events reported. */
  connectFailed: number;
  /** Timer callbacks run. */
  timersFired: number;
  /** Bytes of encoded messages (only with `messages: 'json'` or a codec). */
  bytes: number;
}

/** One simulated process, as tests and protocol code see it. */
export interface SimNode {
  readonly id: NodeId;
  readonly address: string;
  /** The current incarnation's carrier (a new object after a state-lost restart). */
  readonly carrier: Carrier;
  /** Virtual timers of this node: `now()` is its local clock (drift, steps); cancelled when it crashes. */
  readonly timers: Timers;
  /** This node's own seeded stream. */
  readonly random: SeededRandom;
  /** False between `crash` and `restart`. */
  readonly alive: boolean;
  /** Increments at every crash. */
  readonly incarnation: number;
}

/** Options of `crash`. */
export interface CrashOptions {
  /**
   * `true`: the process keeps its objects (think: paused VM, or state reloaded from disk); `restart` revives the
   * same carrier object and listener and the owner re-arms its timers. `false` (default): `restart` hands out a
   * fresh carrier and the owner rebuilds its objects.
   */
  keepState?: boolean;
  /** When peers notice: default `failureDetectionMs` (a dead host); use a latency (e.g. 10) for a reset process. */
  detectAfterMs?: number;
}

/** A partition that can be healed on its own. */
export interface PartitionHandle {
  heal(): void;
}

/** The simulator. */
export interface Simulation {
  readonly seed: number;
  /** Virtual milliseconds since the start. */
  now(): number;
  /** Global virtual timers (never cancelled by crashes). */
  readonly timers: Timers;
  /** The simulation's main seeded stream, for tests. */
  readonly random: SeededRandom;
  /** An independent stream derived from the seed and a label. */
  fork(label: string): SeededRandom;
  /** Live counters. */
  readonly stats: Readonly<SimStats>;
  /** Add a node; its address defaults to `sim://<id>`. */
  addNode(id: string, opts?: { address?: string }): SimNode;
  /** The node with this id (throws if unknown). */
  node(id: string): SimNode;
  /** All nodes in the order they were added. */
  nodes(): SimNode[];
  /** Process events (see `RunOptions`). */
  run(opts?: RunOptions): RunResult;
  /** Process one event; false if none is left. */
  step(): boolean;
  /** Events waiting in the queue. */
  pending(): number;
  /** Change the global faults (for every link without an override of that field). */
  setFaults(faults: Partial<LinkFaults>): void;
  /** Override faults of the directed link from → to (`both`: also to → from). */
  setLink(from: string, to: string, faults: Partial<LinkFaults>, opts?: { both?: boolean }): void;
  /** Remove the overrides of a directed link (`both`: both directions). */
  clearLink(from: string, to: string, opts?: { both?: boolean }): void;
  /** Back to the default faults everywhere (keeps partitions; see `heal`). */
  resetFaults(): void;
  /** Cut `side` from `other` (default: every other node); `oneWay`: only messages from `side` to `other` are cut. */
  partition(side: string[], other?: string[], opts?: { oneWay?: boolean }): PartitionHandle;
  /** Remove every partition and every `blocked` link. */
  heal(): void;
  /** Crash a node (see `CrashOptions`). */
  crash(id: string, opts?: CrashOptions): void;
  /** Bring a crashed node back; returns it (with a fresh carrier unless the crash kept state). */
  restart(id: string): SimNode;
  /** Set a node's clock rate: its `timers.now()` runs `ppm` parts per million fast (negative: slow). */
  setClockDrift(id: string, ppm: number): void;
  /** Step a node's clock by `deltaMs` (negative: back). Pending timers keep their durations. */
  stepClock(id: string, deltaMs: number): void;
  /** A hash of every event processed so far (kind, time, nodes): equal for equal runs. */
  traceHash(): string;
  /** The readable trace (only with `trace` on). */
  trace(): string[];
}
