/**
 * One Maelstrom node as a line-in, line-out state machine: `handleLine` takes one stdin line, and every output line
 * goes through `components.write`. On `init` it builds Rumor's stack — the Maelstrom carrier under HyParView,
 * Plumtree and the replica driver (`createStack`), the first `joinSeeds` node ids as HyParView contacts — and the
 * workloads; carrier bodies (`rumor*`) from server nodes go to the carrier, requests to the workloads.
 *
 * Trust boundary: a line is untrusted. Whatever it holds, `handleLine` does not throw: a malformed line that names
 * a sender and a `msg_id` is answered with Maelstrom's error 12, anything else unreadable is logged and counted; a
 * handler that throws anyway is answered with error 13 (crash, indefinite) and the node goes on. Replies are never
 * answered (a message with `in_reply_to` is logged), so two nodes cannot loop on errors.
 */
import { createStack, type Logger, type Random, type ReplicaDriverInit, type Stack, type Timers } from '@rumor/replica';
import { DEFAULT_HYPARVIEW_INIT, type HyParViewInit, type NodeId } from '@rumor/membership';
import type { PlumtreeInit } from '@rumor/broadcast';
import { createMaelstromCarrier, type MaelstromCarrier, type MaelstromCarrierInit, type MaelstromCarrierStats } from './carrier.js';
import { isLinkType } from './link-messages.js';
import {
  DEFAULT_PROTOCOL_LIMITS,
  ErrorCode,
  errorBody,
  formatLine,
  parseLine,
  type ErrorCodeValue,
  type MaelstromBody,
  type MaelstromMessage,
  type ProtocolLimits,
} from './protocol.js';
import { createSeededRandom } from './random.js';
import { createWorkloads, type WorkloadMode, type Workloads, type WorkloadsInit, type WorkloadsStats } from './workloads.js';

/** Everything tunable in a Maelstrom node; each layer's options are merged over {@link MAELSTROM_NODE_DEFAULTS}. */
export interface MaelstromNodeInit {
  /** Which workload to serve; default `auto` (learned from the first request that tells, see workloads.ts). */
  workload?: WorkloadMode;
  /** Seed of the node's random stream (mixed with its node id). Default 0. */
  seed?: number;
  carrier?: MaelstromCarrierInit;
  membership?: HyParViewInit;
  broadcast?: PlumtreeInit;
  replica?: ReplicaDriverInit;
  workloads?: Omit<WorkloadsInit, 'workload'>;
  protocol?: Partial<ProtocolLimits>;
  /** Most node ids accepted in `init`. Default 1 024. */
  nodesMax?: number;
  /**
   * Every node joins through the first `joinSeeds` ids of `node_ids` (the seeds join each other). Default 2. Not all
   * ids: when every node joins through a random contact at the same instant, the join graph — and so the overlay,
   * whose passive views only learn through it — can fall apart into components that never meet.
   */
  joinSeeds?: number;
  /**
   * `init_ok` waits until the node has joined the overlay: this many active peers (default the active view less
   * one, at most the other nodes) or `readyTimeoutMs` (default 2 000), whichever comes first. A node that answers
   * before it has neighbours accepts writes it cannot yet spread; Maelstrom starts the workload on the last `init_ok`.
   */
  readyPeers?: number;
  readyTimeoutMs?: number;
}

/**
 * Defaults for Maelstrom-sized clusters (≤ ~30 nodes, 0–100 ms one-way latency, partitions of seconds) — the knobs
 * the Gossip Glomers figures in docs/maelstrom.md depend on. Each differs from its layer's default on purpose:
 * - HyParView: shuffles and repair every 2 s (10 s), requests time out after 1.5 s (5 s), a peer lost to failure
 *   is retried with probability 0.5 per round (0.05) so that a healed partition is rejoined within seconds; a
 *   short view never escalates to a high-priority request (`escalateAfterRounds` 0, default 5): every node knows
 *   every id from `init` and the retries above rejoin a healed partition, while an escalation evicts a peer of a
 *   settled overlay and cuts the broadcast trees through it (25 × 5 is odd, so one view is always one short: its
 *   escalation at ~8 s made the slowest deliveries of two seeds in six, max 477 → 290 and 524 → 438 ms);
 * - Plumtree: IHAVEs batched for 1 s (50) — announcements are only the fallback path, most ride in a GOSSIP's frame
 *   anyway, and every batch alone is a Maelstrom message counted in msgs-per-op; a graft after 100 ms without the
 *   announced message (400) — origin trees are first-arrival trees, so over constant-latency links the tree's copy
 *   is never more than that behind an announcement, and a graft is the repair the slowest deliveries wait for
 *   (process mode, before the evening's two Plumtree rules: max 474–604 ms over 5 runs at 100, 582–730 at 150; with
 *   them, at 100, 331–568 in 22 of 23 runs); 64 flooding origin trees a minute (4), so
 *   that all 25 origins of a cluster starting together get their lowest-latency tree at their first message
 *   instead of the shared tree, which many senders at once cut;
 * - carrier: a link with no traffic for 2.5 s fails (the partition detector), pings after 1 s idle;
 * - workloads: full-state anti-entropy with one random neighbour every 2 s.
 */
export const MAELSTROM_NODE_DEFAULTS = Object.freeze({
  membership: Object.freeze({
    shuffleIntervalMs: 2_000,
    requestTimeoutMs: 1_500,
    joinRetryMs: 500,
    joinRetryMaxMs: 4_000,
    reconnectProbability: 0.5,
    passiveBackoffMs: 1_000,
    passiveBackoffMaxMs: 8_000,
    linkIdleMs: 4_000,
    escalateAfterRounds: 0,
  }) satisfies HyParViewInit,
  broadcast: Object.freeze({
    ihaveFlushMs: 1_000,
    graftTimeoutMs: 100,
    originFloodsPerMinute: 64,
    graftRetryMs: 200,
    antiEntropyIntervalMs: 2_000,
  }) satisfies PlumtreeInit,
  carrier: Object.freeze({
    connectTimeoutMs: 1_500,
    keepaliveIntervalMs: 1_000,
    peerTimeoutMs: 2_500,
  }) satisfies MaelstromCarrierInit,
  workloads: Object.freeze({
    deltaBatchMs: 0,
    antiEntropyIntervalMs: 2_000,
  }) satisfies Omit<WorkloadsInit, 'workload'>,
});

/** What a node needs from its process. */
export interface MaelstromNodeComponents {
  /** Write one protocol line (without the newline) to stdout. */
  write(line: string): void;
  timers: Timers;
  /** The node's randomness; default a stream seeded from `init.seed` and the node id. */
  random?: Random;
  /** Logs go to stderr, never stdout. */
  log?: Logger;
}

/** Counters of a node. */
export interface MaelstromNodeStats {
  nodeId: string | undefined;
  linesIn: number;
  linesOut: number;
  /** Lines refused before reaching a handler, by reason. */
  refused: Record<string, number>;
  /** Error replies sent, by Maelstrom code. */
  errorsSent: Record<string, number>;
  carrier: MaelstromCarrierStats | undefined;
  workloads: WorkloadsStats | undefined;
  activeView: string[];
}

/** A Maelstrom node. */
export interface MaelstromNode {
  /** Handle one input line (without its newline); never throws. */
  handleLine(line: string): void;
  /** This node's id, once `init` arrived. */
  readonly nodeId: string | undefined;
  /** The protocol stack, once `init` arrived. */
  readonly stack: Stack | undefined;
  stats(): MaelstromNodeStats;
  /** Leave the overlay (goodbyes to the neighbours) and stop every timer. */
  close(): Promise<void>;
}

function merged<T extends object>(defaults: T, override: T | undefined): T {
  return { ...defaults, ...(override ?? {}) };
}

/** Create a node; it does nothing until its first `init` line. */
export function createMaelstromNode(init: MaelstromNodeInit, components: MaelstromNodeComponents): MaelstromNode {
  const limits: ProtocolLimits = { ...DEFAULT_PROTOCOL_LIMITS, ...init.protocol };
  const nodesMax = init.nodesMax ?? 1_024;
  const { timers, log } = components;
  let nodeId: string | undefined;
  let nodes: ReadonlySet<string> = new Set();
  let carrier: MaelstromCarrier | undefined;
  let stack: Stack | undefined;
  let workloads: Workloads | undefined;
  let nextMsgId = 0;
  let closed = false;
  const counts = { linesIn: 0, linesOut: 0 };
  const refused: Record<string, number> = {};
  const errorsSent: Record<string, number> = {};

  function refuse(reason: string, detail?: Record<string, unknown>): void {
    refused[reason] = (refused[reason] ?? 0) + 1;
    log?.warn?.(`maelstrom: ${reason}`, detail);
  }

  function write(dest: string, body: Record<string, unknown>): void {
    counts.linesOut++;
    components.write(formatLine(nodeId ?? '?', dest, body));
  }

  function reply(to: MaelstromMessage, body: Record<string, unknown>): void {
    const msgId = to.body.msg_id;
    if (msgId === undefined) return; // not a request: nobody waits for an answer
    counts.linesOut++;
    components.write(formatLine(nodeId ?? to.dest, to.src, { ...body, msg_id: ++nextMsgId, in_reply_to: msgId }));
  }

  function replyError(src: string, self: string, msgId: number, code: ErrorCodeValue, text: string): void {
    errorsSent[code] = (errorsSent[code] ?? 0) + 1;
    counts.linesOut++;
    components.write(formatLine(self, src, { ...errorBody(code, text, msgId), msg_id: ++nextMsgId }));
  }

  function onInit(m: MaelstromMessage): void {
    const { node_id: id, node_ids: ids } = m.body;
    const idOk = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= limits.idCharsMax;
    if (!idOk(id) || !Array.isArray(ids) || ids.length > nodesMax || !ids.every(idOk) || !ids.includes(id) || new Set(ids).size !== ids.length) {
      return error(m, ErrorCode.malformedRequest, `init needs node_id and node_ids: distinct ids (at most ${nodesMax}) that include node_id`);
    }
    if (nodeId !== undefined) {
      if (id === nodeId) return reply(m, { type: 'init_ok' });
      return error(m, ErrorCode.malformedRequest, `already initialised as ${nodeId}`);
    }
    nodeId = id;
    nodes = new Set(ids);
    const self = id;
    const random = components.random ?? createSeededRandom(init.seed ?? 0, self);
    carrier = createMaelstromCarrier(merged<MaelstromCarrierInit>(MAELSTROM_NODE_DEFAULTS.carrier, init.carrier), {
      self,
      nodes: ids,
      send: (dest, body) => write(dest, body),
      timers,
      log,
    });
    stack = createStack({
      carrier,
      timers,
      random,
      membership: merged<HyParViewInit>(MAELSTROM_NODE_DEFAULTS.membership, init.membership),
      broadcast: merged<PlumtreeInit>(MAELSTROM_NODE_DEFAULTS.broadcast, init.broadcast),
      replica: init.replica,
      log,
    });
    workloads = createWorkloads(
      { ...merged<Omit<WorkloadsInit, 'workload'>>(MAELSTROM_NODE_DEFAULTS.workloads, init.workloads), workload: init.workload ?? 'auto' },
      { self, replicas: stack.replicas, timers, log },
    );
    // Every id in `init` is a member: the active view fills from them directly with low-priority requests (HyParView
    // `join` with `known`: no walk, no eviction); the seeds are the fallback when none answers.
    const contacts = ids.slice(0, Math.max(1, init.joinSeeds ?? 2)).filter((n) => n !== self);
    const known = ids.filter((n) => n !== self).map((n) => ({ id: n as NodeId, address: n }));
    if (contacts.length > 0 || known.length > 0) stack.join(contacts, known);
    const activeViewSize = merged<HyParViewInit>(MAELSTROM_NODE_DEFAULTS.membership, init.membership).activeViewSize ?? DEFAULT_HYPARVIEW_INIT.activeViewSize;
    const wanted = Math.min(init.readyPeers ?? activeViewSize - 1, known.length);
    const deadline = timers.now() + (init.readyTimeoutMs ?? 2_000);
    const ready = (): void => {
      if (closed) return;
      if (stack!.membership.activeView().length >= wanted || timers.now() >= deadline) reply(m, { type: 'init_ok' });
      else timers.setTimer(20, ready);
    };
    ready();
    log?.debug?.('maelstrom: initialised', { node: self, nodes: ids.length });
  }

  function error(m: MaelstromMessage, code: ErrorCodeValue, text: string): void {
    if (m.body.msg_id === undefined) return refuse('unanswerable request', { type: m.body.type, code, text });
    replyError(m.src, nodeId ?? m.dest, m.body.msg_id, code, text);
  }

  function onMessage(m: MaelstromMessage): void {
    const { body } = m;
    if (isLinkType(body.type)) {
      if (carrier !== undefined && nodes.has(m.src)) return carrier.receive(m.src, body);
      if (body.msg_id !== undefined) return error(m, ErrorCode.notSupported, 'carrier messages are for server nodes');
      return refuse('carrier message from a non-node', { src: m.src });
    }
    if (body.in_reply_to !== undefined) return refuse('unexpected reply', { src: m.src, type: body.type });
    if (body.type === 'init') return onInit(m);
    if (nodeId === undefined || workloads === undefined) return error(m, ErrorCode.temporarilyUnavailable, 'not initialised yet: init comes first');
    if (m.dest !== nodeId) return error(m, ErrorCode.nodeNotFound, `this is ${nodeId}, not ${m.dest}`);
    const r = workloads.handle(body);
    if (r.ok) reply(m, r.body);
    else error(m, r.code, r.text);
  }

  return {
    handleLine(line) {
      if (closed) return;
      counts.linesIn++;
      if (line.length === 0 || line.trim().length === 0) return;
      const parsed = parseLine(line, limits);
      if (!parsed.ok) {
        const { replyTo, code, message } = parsed.error;
        if (replyTo !== undefined) return replyError(replyTo.src, nodeId ?? '?', replyTo.msgId, code, message);
        return refuse('malformed line', { message });
      }
      const m = parsed.value;
      try {
        onMessage(m);
      } catch (e) {
        // Defence in depth: handlers are written not to throw. If one does, the request gets error 13 (crash:
        // indefinite — it may have taken effect) and the node carries on.
        refuse('handler threw', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        if (m.body.msg_id !== undefined && m.body.in_reply_to === undefined) {
          replyError(m.src, nodeId ?? m.dest, m.body.msg_id, ErrorCode.crash, 'internal error');
        }
      }
    },
    get nodeId() {
      return nodeId;
    },
    get stack() {
      return stack;
    },
    stats: () => ({
      nodeId,
      linesIn: counts.linesIn,
      linesOut: counts.linesOut,
      refused: { ...refused },
      errorsSent: { ...errorsSent },
      carrier: carrier?.stats(),
      workloads: workloads?.stats(),
      activeView: stack?.membership.activeView() ?? [],
    }),
    async close() {
      if (closed) return;
      closed = true;
      workloads?.close();
      await stack?.close();
    },
  };
}
