/**
 * The Maelstrom carrier: the Carrier port of docs/architecture.md over Maelstrom's network, so that HyParView,
 * Plumtree and the replica driver run over `stdin`/`stdout` exactly as they run over WebSocket.
 *
 * Maelstrom routes datagrams between node ids with latency, reordering (uniform or exponential latency) and
 * partitions that silently drop messages. HyParView assumes TCP-like links (paper §4.1: a broken connection is the
 * failure detector), so this module builds them: addresses are Maelstrom node ids; `connect` is a two-message
 * handshake (link-messages.ts) after which both sides see `up`; each direction of a link is sequenced and the
 * receiver restores order and notices gaps; a link on which nothing arrives in order for `peerTimeoutMs` (an idle
 * link carries a ping every `keepaliveIntervalMs`) fails with `down(peer, 'failed')` — that is the failure
 * detector, since a partition produces no error. Simultaneous dials end as one link (the lower id's dial wins, as
 * in carrier-ws); a message on a link the receiver does not know is answered with a reset.
 *
 * Coalescing: envelopes sent to a peer within `coalesceMs` (0: within one turn of the event loop) travel as one
 * Maelstrom message — a crdt-wire frame (envelopes concatenated as a msgpack stream), base64 in the body, because
 * envelopes carry binary payloads (Plumtree payloads, snapshot chunks) that JSON cannot hold.
 *
 * Events are never emitted inside a call from the layer above (`connect`, `disconnect`, `send`): they follow on a
 * timer. Input from the network (`receive`) is untrusted: shape-checked, bounded, decoded by crdt-wire's bounded
 * codec; a bad frame fails its link; nothing throws.
 */
import { decodeFrame, encodeEnvelope, type EnvelopeLimits } from '@rumor/crdt-wire';
import type { Carrier, CarrierEvents, Envelope, Logger, NodeId, SendResult, Timers } from '@rumor/replica';
import { LinkType, parseLinkBody, type LinkBody } from './link-messages.js';

/** Tunables of the Maelstrom carrier; every field optional, defaults in {@link MAELSTROM_CARRIER_DEFAULTS}. */
export interface MaelstromCarrierInit {
  /** A dial with no answer for this long fails with `connectFailed`. Default 2 000. */
  connectTimeoutMs?: number;
  /** A link on which nothing was sent for this long sends a ping. Default 1 000. */
  keepaliveIntervalMs?: number;
  /** A link on which nothing arrived in order for this long fails: `down(peer, 'failed')`. Default 3 000. */
  peerTimeoutMs?: number;
  /** Envelopes queued for a peer within this many ms travel as one message; 0 = within one event-loop turn. Default 0. */
  coalesceMs?: number;
  /** Envelopes queued per peer before `send` answers `backpressure`. Default 4 096. */
  outboxMax?: number;
  /** Largest frame (envelope bytes before base64) per Maelstrom message. Default 1 048 576 (crdt-wire's frame bound). */
  frameBytesMax?: number;
  /** Most envelopes per frame. Default 256. */
  envelopesPerFrameMax?: number;
  /** Out-of-order messages buffered per link before the link fails. Default 4 096. */
  reorderMax?: number;
  /** At most one reset per peer per this many ms (a flood of messages on a dead link costs one answer). Default 500. */
  resetIntervalMs?: number;
  /** First dial counter. Make it differ across restarts of a node (e.g. wall-clock ms) so peers take a restarted node's hellos as new. Default 0. */
  incarnation?: number;
}

/** Every Maelstrom carrier tunable with its default. */
export const MAELSTROM_CARRIER_DEFAULTS: Readonly<Required<MaelstromCarrierInit>> = Object.freeze({
  connectTimeoutMs: 2_000,
  keepaliveIntervalMs: 1_000,
  peerTimeoutMs: 3_000,
  coalesceMs: 0,
  outboxMax: 4_096,
  frameBytesMax: 1024 * 1024,
  envelopesPerFrameMax: 256,
  reorderMax: 4_096,
  resetIntervalMs: 500,
  incarnation: 0,
});

/** What the carrier needs from the node process. */
export interface MaelstromCarrierComponents {
  /** This node's Maelstrom id (from `init`). */
  self: string;
  /** Every server node id of the cluster (from `init`): the only addresses that exist. */
  nodes: readonly string[];
  /** Put one Maelstrom message on the network (the node writes it to stdout). */
  send(dest: string, body: Record<string, unknown>): void;
  timers: Timers;
  log?: Logger;
}

/** Counters of the carrier. */
export interface MaelstromCarrierStats {
  links: number;
  dialling: number;
  /** Maelstrom messages sent and received, by body type. */
  sent: Record<string, number>;
  received: Record<string, number>;
  envelopesSent: number;
  envelopesReceived: number;
  frameBytesSent: number;
  connectFailed: number;
  /** Links failed by the keepalive timeout (the failure detector). */
  timeouts: number;
  /** Input refused, by reason. */
  rejected: Record<string, number>;
}

/** The Carrier port plus the network side: the node hands every carrier body it reads to `receive`. */
export interface MaelstromCarrier extends Carrier {
  /** A carrier body (`rumor*` type) from node `src`; untrusted. Never throws. */
  receive(src: string, body: Record<string, unknown>): void;
  stats(): MaelstromCarrierStats;
}

type LinkState = 'dialling' | 'open';

interface Link {
  peer: NodeId;
  /** Who dialled, and the dialler's counter: the link's name. */
  dialer: string;
  n: number;
  state: LinkState;
  cancelDial: (() => void) | undefined;
  sendSeq: number;
  recvSeq: number;
  reorder: Map<number, LinkBody>;
  outbox: Uint8Array[];
  cancelFlush: (() => void) | undefined;
  backpressured: boolean;
  lastSentAt: number;
  lastProgressAt: number;
}

/** Create the carrier of one Maelstrom node. */
export function createMaelstromCarrier(init: MaelstromCarrierInit, components: MaelstromCarrierComponents): MaelstromCarrier {
  const o = { ...MAELSTROM_CARRIER_DEFAULTS };
  for (const [k, v] of Object.entries(init)) if (v !== undefined) (o as Record<string, number>)[k] = v as number;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`Maelstrom carrier option ${k} must be a finite number >= 0`);
  }
  if (o.outboxMax < 1 || o.envelopesPerFrameMax < 1 || o.frameBytesMax < 64) throw new RangeError('outboxMax, envelopesPerFrameMax must be >= 1 and frameBytesMax >= 64');

  const { self, timers, log } = components;
  const nodes = new Set(components.nodes);
  // A Plumtree payload (up to its 512 KiB default) travels as one bin value: let bins be as large as a frame.
  const limits: EnvelopeLimits = { frameBytesMax: o.frameBytesMax, binBytesMax: o.frameBytesMax, envelopesPerFrameMax: o.envelopesPerFrameMax };
  const base64CharsMax = Math.ceil(o.frameBytesMax / 3) * 4;
  const links = new Map<NodeId, Link>();
  /** Highest dial counter seen from each peer (or named by it as abandoned): hellos at or below are stale. */
  const peerMaxDial = new Map<string, number>();
  const lastResetAt = new Map<string, number>();
  let dialCounter = o.incarnation;
  let events: CarrierEvents | undefined;
  let closed = false;
  let cancelHeartbeat: (() => void) | undefined;

  const stats = {
    sent: {} as Record<string, number>,
    received: {} as Record<string, number>,
    envelopesSent: 0,
    envelopesReceived: 0,
    frameBytesSent: 0,
    connectFailed: 0,
    timeouts: 0,
    rejected: {} as Record<string, number>,
  };
  const bump = (r: Record<string, number>, k: string) => void (r[k] = (r[k] ?? 0) + 1);

  function reject(reason: string, src: string): void {
    bump(stats.rejected, reason);
    log?.debug?.('maelstrom carrier: input refused', { reason, src });
  }

  /** Emit on a later turn, never inside the caller's call; nothing is emitted once closed. */
  function later(fn: (ev: CarrierEvents) => void): void {
    timers.setTimer(0, () => {
      if (!closed && events) fn(events);
    });
  }

  function emit(fn: (ev: CarrierEvents) => void): void {
    if (!closed && events) fn(events);
  }

  function put(dest: string, body: Record<string, unknown>): void {
    bump(stats.sent, body.type as string);
    components.send(dest, body);
  }

  const mine = (link: Link) => (link.dialer === self ? 1 : 0);

  function putSequenced(link: Link, body: Record<string, unknown>): void {
    link.lastSentAt = timers.now();
    put(link.peer, { ...body, l: link.n, o: mine(link), s: link.sendSeq++ });
  }

  function newLink(peer: NodeId, dialer: string, n: number, state: LinkState): Link {
    const now = timers.now();
    const link: Link = {
      peer,
      dialer,
      n,
      state,
      cancelDial: undefined,
      sendSeq: 0,
      recvSeq: 0,
      reorder: new Map(),
      outbox: [],
      cancelFlush: undefined,
      backpressured: false,
      lastSentAt: now,
      lastProgressAt: now,
    };
    links.set(peer, link);
    ensureHeartbeat();
    return link;
  }

  function drop(link: Link): void {
    link.cancelDial?.();
    link.cancelFlush?.();
    link.outbox = [];
    link.reorder.clear();
    if (links.get(link.peer) === link) links.delete(link.peer);
  }

  function open(link: Link): void {
    link.state = 'open';
    link.cancelDial?.();
    link.cancelDial = undefined;
    link.lastProgressAt = timers.now();
    emit((ev) => ev.up(link.peer, link.peer));
  }

  function fail(link: Link, why: string): void {
    const wasOpen = link.state === 'open';
    drop(link);
    log?.debug?.('maelstrom carrier: link failed', { peer: link.peer, why });
    if (wasOpen) emit((ev) => ev.down(link.peer, 'failed'));
    else {
      stats.connectFailed++;
      emit((ev) => ev.connectFailed(link.peer, why));
    }
  }

  function sendReset(peer: string, n: number, senderDialled: boolean): void {
    const now = timers.now();
    const last = lastResetAt.get(peer);
    if (last !== undefined && now - last < o.resetIntervalMs) return;
    lastResetAt.set(peer, now);
    put(peer, { type: LinkType.reset, l: n, o: senderDialled ? 1 : 0 });
  }

  // --- heartbeat: keepalive pings and the failure detector ---------------------------------------------------

  function ensureHeartbeat(): void {
    if (cancelHeartbeat !== undefined || closed) return;
    const period = Math.max(1, Math.min(o.keepaliveIntervalMs, o.peerTimeoutMs) / 2);
    cancelHeartbeat = timers.setTimer(period, () => {
      cancelHeartbeat = undefined;
      heartbeat();
      if (links.size > 0) ensureHeartbeat();
    });
  }

  function heartbeat(): void {
    const now = timers.now();
    for (const link of [...links.values()]) {
      if (link.state !== 'open') continue;
      if (now - link.lastProgressAt >= o.peerTimeoutMs) {
        stats.timeouts++;
        // The peer may be reachable again by the time it reads this; tell it so it stops using the link too.
        sendReset(link.peer, link.n, link.dialer === self);
        fail(link, 'keepalive timeout');
        continue;
      }
      if (now - link.lastSentAt >= o.keepaliveIntervalMs && link.outbox.length === 0) putSequenced(link, { type: LinkType.ping });
    }
  }

  // --- outgoing frames ---------------------------------------------------------------------------------------

  function scheduleFlush(link: Link): void {
    if (link.cancelFlush !== undefined) return;
    link.cancelFlush = timers.setTimer(o.coalesceMs, () => {
      link.cancelFlush = undefined;
      flush(link);
    });
  }

  function flush(link: Link): void {
    if (links.get(link.peer) !== link || link.state !== 'open') return;
    let i = 0;
    const queue = link.outbox;
    while (i < queue.length) {
      let bytes = 0;
      let j = i;
      while (j < queue.length && j - i < o.envelopesPerFrameMax && (j === i || bytes + queue[j]!.length <= o.frameBytesMax)) {
        bytes += queue[j]!.length;
        j++;
      }
      const frame = new Uint8Array(bytes);
      let at = 0;
      for (let k = i; k < j; k++) {
        frame.set(queue[k]!, at);
        at += queue[k]!.length;
      }
      stats.envelopesSent += j - i;
      stats.frameBytesSent += bytes;
      putSequenced(link, { type: LinkType.frame, f: Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64') });
      i = j;
    }
    link.outbox = [];
    if (link.backpressured) {
      link.backpressured = false;
      emit((ev) => ev.drain(link.peer));
    }
  }

  // --- incoming ----------------------------------------------------------------------------------------------

  function onHello(peer: NodeId, n: number): void {
    const seen = peerMaxDial.get(peer);
    if (seen !== undefined && n <= seen) return reject('stale-hello', peer);
    peerMaxDial.set(peer, n);
    const cur = links.get(peer);
    if (cur?.state === 'dialling') {
      // Simultaneous open: the dial of the lower id wins on both sides (the peer applies the same rule to ours).
      if (self < peer) return;
      drop(cur);
      newLink(peer, peer, n, 'dialling');
      put(peer, { type: LinkType.helloOk, l: n, x: cur.n });
      open(links.get(peer)!);
      return;
    }
    if (cur?.state === 'open') {
      // A fresh dial on a pair we think is linked: the peer gave up on the old link (or restarted). TCP would
      // see a new connection replace a dead one; the layers above see the old one fail and the new one come up.
      drop(cur);
      emit((ev) => ev.down(peer, 'failed'));
    }
    const link = newLink(peer, peer, n, 'dialling');
    put(peer, { type: LinkType.helloOk, l: n });
    open(link);
  }

  function onHelloOk(peer: NodeId, n: number, abandoned: number | undefined): void {
    if (abandoned !== undefined && abandoned > (peerMaxDial.get(peer) ?? -1)) peerMaxDial.set(peer, abandoned);
    const cur = links.get(peer);
    if (cur !== undefined && cur.dialer === self && cur.n === n) {
      if (cur.state === 'dialling') open(cur);
      return; // already open (a reordered frame opened it): a duplicate
    }
    // An answer to a dial we gave up on: the peer thinks it is linked; tell it otherwise.
    sendReset(peer, n, true);
  }

  function onSequenced(peer: NodeId, m: Extract<LinkBody, { s: number }>): void {
    const dialer = m.o ? peer : self;
    const cur = links.get(peer);
    if (cur === undefined || cur.dialer !== dialer || cur.n !== m.l) {
      if (m.type !== LinkType.close) sendReset(peer, m.l, !m.o);
      return reject('unknown-link', peer);
    }
    if (cur.state === 'dialling') {
      // Our dial's `hello_ok` is still on its way (the network reordered it): this message proves the peer accepted.
      open(cur);
      if (links.get(peer) !== cur) return;
    }
    if (m.s < cur.recvSeq) return reject('duplicate', peer);
    if (m.s > cur.recvSeq) {
      if (cur.reorder.size >= o.reorderMax) {
        sendReset(peer, cur.n, cur.dialer === self);
        return fail(cur, 'reorder buffer full');
      }
      cur.reorder.set(m.s, m);
      return;
    }
    let next: LinkBody | undefined = m;
    while (next !== undefined && links.get(peer) === cur) {
      cur.recvSeq++;
      cur.lastProgressAt = timers.now();
      deliver(cur, next as Extract<LinkBody, { s: number }>);
      next = cur.reorder.get(cur.recvSeq);
      if (next !== undefined) cur.reorder.delete(cur.recvSeq);
    }
  }

  function deliver(link: Link, m: Extract<LinkBody, { s: number }>): void {
    if (m.type === LinkType.ping) return;
    if (m.type === LinkType.close) {
      drop(link);
      emit((ev) => ev.down(link.peer, 'closed'));
      return;
    }
    const bytes = Buffer.from(m.f, 'base64');
    const frame = decodeFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits);
    if (!frame.ok) {
      // A frame we cannot decode leaves the stream broken: fail the link, as carrier-ws closes the socket.
      reject(`frame:${frame.error.code}`, link.peer);
      sendReset(link.peer, link.n, link.dialer === self);
      return fail(link, `undecodable frame: ${frame.error.message}`);
    }
    for (const envelope of frame.value) {
      if (links.get(link.peer) !== link || closed) return;
      stats.envelopesReceived++;
      emit((ev) => ev.message(link.peer, envelope as Envelope));
    }
  }

  function onReset(peer: NodeId, n: number, senderDialled: boolean): void {
    const dialer = senderDialled ? peer : self;
    const cur = links.get(peer);
    if (cur === undefined || cur.dialer !== dialer || cur.n !== n) return reject('stale-reset', peer);
    fail(cur, 'reset by peer');
  }

  return {
    self: self as NodeId,
    address: self,

    connect(address) {
      if (closed) return;
      if (address === self || !nodes.has(address)) {
        stats.connectFailed++;
        later((ev) => ev.connectFailed(address, address === self ? 'self-connection' : 'unknown node id'));
        return;
      }
      const peer = address as NodeId;
      if (links.has(peer)) return;
      const n = ++dialCounter;
      const link = newLink(peer, self, n, 'dialling');
      link.cancelDial = timers.setTimer(o.connectTimeoutMs, () => {
        link.cancelDial = undefined;
        if (links.get(peer) === link && link.state === 'dialling') fail(link, 'connect timeout');
      });
      put(peer, { type: LinkType.hello, l: n });
    },

    disconnect(peer) {
      const link = links.get(peer);
      if (link === undefined || closed) return;
      if (link.state === 'dialling') {
        drop(link);
        stats.connectFailed++;
        later((ev) => ev.connectFailed(peer, 'disconnected while dialling'));
        return;
      }
      flush(link);
      putSequenced(link, { type: LinkType.close });
      drop(link);
      later((ev) => ev.down(peer, 'closed'));
    },

    send(peer, envelope) {
      const link = links.get(peer);
      if (closed || link === undefined || link.state !== 'open') return 'closed';
      if (link.outbox.length >= o.outboxMax) {
        link.backpressured = true;
        return 'backpressure';
      }
      const bytes = encodeEnvelope(envelope, limits);
      if (!bytes.ok) throw new MaelstromCarrierError('maelstrom.unencodable', `${envelope.layer}/${envelope.type}: ${bytes.error.message}`);
      link.outbox.push(bytes.value);
      scheduleFlush(link);
      return 'accepted' satisfies SendResult;
    },

    listen(listener) {
      events = listener;
    },

    receive(src, body) {
      if (closed) return;
      try {
        const type = typeof body.type === 'string' ? body.type : '?';
        if (!nodes.has(src) || src === self) return reject('unknown-src', src);
        const m = parseLinkBody(body, base64CharsMax);
        if (typeof m === 'string') return reject('malformed', src);
        bump(stats.received, type);
        const peer = src as NodeId;
        switch (m.type) {
          case LinkType.hello:
            return onHello(peer, m.l);
          case LinkType.helloOk:
            return onHelloOk(peer, m.l, m.x);
          case LinkType.reset:
            return onReset(peer, m.l, m.o);
          default:
            return onSequenced(peer, m);
        }
      } catch (e) {
        // Defence in depth: the handlers are written not to throw; a layer above that throws is contained here.
        reject('threw', src);
        log?.warn?.('maelstrom carrier: handler threw', { src, error: e instanceof Error ? e.message : String(e) });
      }
    },

    stats: () => ({
      links: [...links.values()].filter((l) => l.state === 'open').length,
      dialling: [...links.values()].filter((l) => l.state === 'dialling').length,
      sent: { ...stats.sent },
      received: { ...stats.received },
      envelopesSent: stats.envelopesSent,
      envelopesReceived: stats.envelopesReceived,
      frameBytesSent: stats.frameBytesSent,
      connectFailed: stats.connectFailed,
      timeouts: stats.timeouts,
      rejected: { ...stats.rejected },
    }),

    async close() {
      if (closed) return;
      for (const link of [...links.values()]) {
        if (link.state === 'open') {
          flush(link);
          putSequenced(link, { type: LinkType.close });
        }
        drop(link);
      }
      closed = true;
      cancelHeartbeat?.();
      cancelHeartbeat = undefined;
    },
  };
}

/** A programmer error in the carrier's use (e.g. an envelope crdt-wire cannot encode). */
export class MaelstromCarrierError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'MaelstromCarrierError';
    this.code = code;
  }
}
