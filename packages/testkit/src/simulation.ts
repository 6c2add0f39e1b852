/**
 * The deterministic network simulator (issue "Testkit", Simulator): `createSimulation({ seed })`. Virtual time
 * advances only through events kept in one (time, sequence)-ordered queue, so a run is a pure function of its seed
 * and of what the test does: same seed, same trace. One seeded stream drives the network (latency, loss,
 * duplication, reordering); nodes and users get their own forks so that adding a draw in one place never shifts
 * another. The network model a test may rely on is written down in docs/simulation.md.
 *
 * This module is the facade: it owns the nodes (add, crash, restart, clocks) and wires the parts —
 * `Scheduler` (clock, event loop, timers, trace), `FaultSettings` (faults and partitions in force),
 * `Transport` (the message path), `Connections` (dials, closes, failure detection) and `SimCarrier` (the port).
 */
import { Connections } from './connections.js';
import { EndpointTable } from './endpoint-table.js';
import { FaultSettings } from './fault-settings.js';
import type { LinkFaults } from './faults.js';
import { messageCopier } from './message-modes.js';
import { NodeState } from './network-state.js';
import type { Carrier, NodeId, Timers } from './ports.js';
import { createRandom, type SeededRandom } from './random.js';
import { assert, Scheduler } from './scheduler.js';
import { SimCarrier } from './sim-carrier.js';
import type { CrashOptions, PartitionHandle, RunOptions, RunResult, SimNode, SimStats, Simulation, SimulationInit } from './simulation-api.js';
import { Transport } from './transport.js';

export type * from './simulation-api.js';

/** The public view of a node: getters on a class prototype keep `node.carrier` monomorphic on hot paths. */
class SimNodeView implements SimNode {
  readonly id: NodeId;
  readonly address: string;
  readonly timers: Timers;
  readonly random: SeededRandom;

  constructor(private readonly node: NodeState) {
    this.id = node.id;
    this.address = node.address;
    this.timers = node.timers;
    this.random = node.random;
  }

  get carrier(): Carrier {
    return this.node.carrier as unknown as Carrier;
  }

  get alive(): boolean {
    return this.node.alive;
  }

  get incarnation(): number {
    return this.node.incarnation;
  }
}

class Engine implements Simulation {
  readonly seed: number;
  readonly random: SeededRandom;
  readonly timers: Timers;
  readonly stats: SimStats = {
    events: 0, delivered: 0, dropped: 0, lost: 0, duplicated: 0, reordered: 0, held: 0, backpressure: 0,
    ups: 0, downs: 0, connectFailed: 0, timersFired: 0, bytes: 0,
  };

  private readonly sched: Scheduler;
  private readonly faults: FaultSettings;
  private readonly transport: Transport;
  private readonly connections: Connections;
  /** Read by `endpointsInUse` (tests). */
  readonly table = new EndpointTable();
  private readonly byId = new Map<string, NodeState>();
  private readonly byAddress = new Map<string, NodeState>();
  private readonly facades = new Map<NodeState, SimNode>();
  private readonly order: NodeState[] = [];
  private readonly failureDetectionMs: number;

  constructor(init: SimulationInit) {
    this.seed = init.seed;
    this.random = createRandom(init.seed);
    const net = this.random.fork('network');
    this.failureDetectionMs = init.failureDetectionMs ?? 5000;
    const sendQueueMax = init.sendQueueMax ?? 1024;
    assert(sendQueueMax >= 1, 'sendQueueMax must be ≥ 1');
    const traceMax = init.trace === true ? 10_000 : typeof init.trace === 'number' ? init.trace : 0;
    const codec = messageCopier(init.messages ?? 'reference', (n) => void (this.stats.bytes += n));

    this.sched = new Scheduler(this.stats, traceMax);
    this.timers = this.sched.timers;
    this.faults = new FaultSettings(init.latency, init.faults, () => this.connections.faultsChanged());
    const table = this.table;
    this.transport = new Transport({ sendQueueMax, codec }, table, this.sched, this.faults, net, this.stats);
    this.connections = new Connections(
      { failureDetectionMs: this.failureDetectionMs, connectTimeoutMs: init.connectTimeoutMs ?? 5000 },
      table,
      this.sched,
      this.faults,
      this.transport,
      net,
      this.stats,
      this.byAddress,
    );
    this.sched.sink = this.transport;
    this.transport.control = this.connections;
  }

  // ---- time and events -------------------------------------------------------------------------------------

  now(): number {
    return this.sched.t;
  }

  fork(label: string): SeededRandom {
    return this.random.fork(label);
  }

  pending(): number {
    return this.sched.size;
  }

  run(opts?: RunOptions): RunResult {
    return this.sched.run(opts);
  }

  step(): boolean {
    return this.sched.step();
  }

  traceHash(): string {
    return this.sched.traceHash();
  }

  trace(): string[] {
    return this.sched.trace();
  }

  // ---- nodes -----------------------------------------------------------------------------------------------

  addNode(id: string, opts: { address?: string } = {}): SimNode {
    assert(typeof id === 'string' && id.length > 0, 'node id must be a non-empty string');
    assert(!this.byId.has(id), `node ${id} already exists`);
    const address = opts.address ?? `sim://${id}`;
    assert(!this.byAddress.has(address), `address ${address} is taken`);
    const node = new NodeState(this.order.length, id as NodeId, address, this.random.fork(`node:${id}`));
    const sched = this.sched;
    node.timers = {
      now: () => node.localNow(sched.t),
      setTimer: (delayMs, fn) => sched.setTimer(node, delayMs, fn),
    };
    this.newCarrier(node);
    this.byId.set(id, node);
    this.byAddress.set(address, node);
    this.order.push(node);
    const facade = new SimNodeView(node);
    this.facades.set(node, facade);
    return facade;
  }

  private newCarrier(node: NodeState): void {
    node.carrier = new SimCarrier(this.transport, this.connections, node);
  }

  private state(id: string): NodeState {
    const n = this.byId.get(id);
    assert(n !== undefined, `unknown node ${id}`);
    return n;
  }

  node(id: string): SimNode {
    return this.facades.get(this.state(id))!;
  }

  nodes(): SimNode[] {
    return this.order.map((n) => this.facades.get(n)!);
  }

  crash(id: string, opts: CrashOptions = {}): void {
    const node = this.state(id);
    if (!node.alive) return;
    node.alive = false;
    node.incarnation++;
    node.carrier.live = false;
    node.keepState = opts.keepState ?? false;
    this.connections.crashed(node, opts.detectAfterMs ?? this.failureDetectionMs);
  }

  restart(id: string): SimNode {
    const node = this.state(id);
    assert(!node.alive, `restart of ${id}, which is alive`);
    node.alive = true;
    if (node.keepState) {
      node.carrier.incarnation = node.incarnation;
      node.carrier.live = !node.carrier.closed;
    } else {
      this.newCarrier(node);
    }
    return this.facades.get(node)!;
  }

  setClockDrift(id: string, ppm: number): void {
    const node = this.state(id);
    assert(Number.isFinite(ppm) && ppm > -1e6, `drift must be > -1e6 ppm, got ${ppm}`);
    node.anchorLocal = node.localNow(this.sched.t);
    node.anchorSim = this.sched.t;
    node.rate = 1 + ppm / 1e6;
  }

  stepClock(id: string, deltaMs: number): void {
    assert(Number.isFinite(deltaMs), 'clock step must be finite');
    this.state(id).anchorLocal += deltaMs;
  }

  // ---- faults ----------------------------------------------------------------------------------------------

  setFaults(faults: Partial<LinkFaults>): void {
    this.faults.setGlobal(faults);
  }

  setLink(from: string, to: string, faults: Partial<LinkFaults>, opts: { both?: boolean } = {}): void {
    this.faults.setLink(this.state(from), this.state(to), faults, opts.both ?? false);
  }

  clearLink(from: string, to: string, opts: { both?: boolean } = {}): void {
    this.faults.clearLink(this.state(from), this.state(to), opts.both ?? false);
  }

  resetFaults(): void {
    this.faults.reset();
  }

  partition(side: string[], other?: string[], opts: { oneWay?: boolean } = {}): PartitionHandle {
    const sideSet = new Set(side.map((id) => this.state(id)));
    const otherSet = other ? new Set(other.map((id) => this.state(id))) : null;
    return { heal: this.faults.partition(sideSet, otherSet, opts.oneWay ?? false) };
  }

  heal(): void {
    this.faults.heal();
  }
}

/** Endpoint records in use by `sim` (internal, for tests: recycling keeps this bounded under connection churn). */
export function endpointsInUse(sim: Simulation): number {
  assert(sim instanceof Engine, 'not a simulation made by createSimulation');
  return sim.table.live;
}

/** A new deterministic simulation driven by `init.seed`. */
export function createSimulation(init: SimulationInit): Simulation {
  return new Engine(init);
}
