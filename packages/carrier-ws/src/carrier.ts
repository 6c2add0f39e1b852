/**
 * The WebSocket carrier (design §2 "Carrier", issue 7): the peer table, dialling with bounded retries, the
 * deterministic one-connection-per-pair rule, connection limits, and the events the layer above sees.
 *
 * One link per peer pair. When both nodes dial each other at once, the connection dialled by the node with the
 * lower id (bytewise UTF-8 order) wins: an acceptor that has its own dial in progress to the same peer refuses the
 * incoming one (`duplicate`) if its id is the lower, or else admits it and abandons its dial. Abandoned and refused
 * connections never produce `up` or `down`; the `connect` that started them is answered by the winner's `up`. A
 * peer reconnecting with a new instance id (it restarted) replaces its old link: `down(failed)` then `up`.
 *
 * Reconnect semantics (membership decides which peers it wants): `connect(address)` makes up to `connectAttempts`
 * attempts with exponential backoff and full jitter on transport failures (refused, reset, timeout, HTTP 503 from a
 * full node), then reports `connectFailed`; a handshake rejection (auth, cluster, version, self) fails at once. An
 * established link that drops is reported as `down(peer, 'failed')` and is not re-dialled here: membership re-dials.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { encodeEnvelope } from '@rumor/crdt-wire';
import { createAdmission, type Ticket } from './admission.js';
import { createAuthenticator } from './auth.js';
import { backoffDelayMs } from './backoff.js';
import { createConnection, type CloseInfo, type Connection, type ConnectionHooks } from './connection.js';
import { CarrierError, CarrierErrorCode, CloseCode } from './errors.js';
import { createHandshake, INSTANCE_BYTES, type HandshakeLocal, type PeerInfo } from './handshake.js';
import { resolveInit, type WsCarrierInit } from './options.js';
import type { Carrier, CarrierEvents, Envelope, ErrorInfo, Logger, NodeId, SendResult } from './types.js';

/** Collaborators of the carrier; all optional. */
export interface WsCarrierComponents {
  /** Uniform numbers in [0, 1) for reconnect jitter. Default `Math.random`. */
  random?: { next(): number };
  /** Rare events: rejected handshakes, failed dials. */
  logger?: Logger;
}

/** Counters and gauges of one carrier. */
export interface WsCarrierStats {
  /** Established links (one per connected peer). */
  links: number;
  /** Open sockets, handshaking or not. */
  sockets: number;
  /** Inbound handshakes in progress. */
  handshaking: number;
  /** `connect` calls still waiting for an outcome. */
  dials: number;
  framesIn: number;
  framesOut: number;
  messagesIn: number;
  messagesOut: number;
  /** Frame payload bytes. */
  bytesIn: number;
  bytesOut: number;
  /** Bytes on the TCP sockets, WebSocket and TLS framing and handshakes included. */
  wireBytesIn: number;
  wireBytesOut: number;
  /** `send` calls answered `backpressure`. */
  backpressure: number;
  /** `connectFailed` events emitted. */
  connectFailed: number;
  /** Rejected handshakes, frames, sockets and dropped links, by stable error code (docs/errors.md). */
  errors: Record<string, number>;
  /** One entry per link: who dialled it and what waits in its send queue. */
  peers: { id: NodeId; address: string; dialled: 'out' | 'in'; queuedMessages: number; queuedBytes: number }[];
}

/** The WebSocket carrier: the `Carrier` port plus binding and stats. */
export interface WsCarrier extends Carrier {
  /** Bind the listener (`host`:`port`); `address` then reflects the bound port. Idempotent. */
  start(): Promise<void>;
  /** True once `start()` has bound the listener and until `close()`. */
  readonly listening: boolean;
  /** Counters since creation. */
  stats(): WsCarrierStats;
}

/** Errors after which retrying the same address cannot help. */
const FINAL_DIAL_ERRORS: ReadonlySet<string> = new Set([
  CarrierErrorCode.authFailed,
  CarrierErrorCode.unknownNode,
  CarrierErrorCode.wrongCluster,
  CarrierErrorCode.versionMismatch,
  CarrierErrorCode.selfConnection,
  CarrierErrorCode.handshakeMalformed,
  CarrierErrorCode.badAddress,
  CarrierErrorCode.limitConnections,
]);

const ADDRESS_RE = /^wss?:\/\/\S+$/;

interface Dial {
  address: string;
  /** Attempts made so far. */
  attempts: number;
  conn: Connection | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The peer behind the address, once a handshake told us. */
  peer: NodeId | undefined;
}

const NO_EVENTS: CarrierEvents = { up() {}, down() {}, message() {}, connectFailed() {}, drain() {} };

/** Create a WebSocket carrier; call `start()` before `connect` or reading `address`. */
export function createWsCarrier(init: WsCarrierInit, components: WsCarrierComponents = {}): WsCarrier {
  const cfg = resolveInit(init);
  const random = components.random ?? { next: Math.random };
  const logger = components.logger;
  const auth = createAuthenticator(cfg.secret, cfg.nodeKeys);
  const instance = randomBytes(INSTANCE_BYTES);
  const admission = createAdmission(cfg);
  const selfBytes = Buffer.from(cfg.id, 'utf8');

  let events: CarrierEvents = NO_EVENTS;
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;
  let advertised = cfg.advertise;
  let listening = false;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let allClosed: (() => void) | undefined;

  const links = new Map<NodeId, Connection>();
  const addresses = new Map<string, NodeId>();
  const dials = new Map<string, Dial>();
  const sockets = new Set<Connection>();
  const tickets = new Map<Connection, Ticket>();
  const dialOf = new Map<Connection, Dial>();
  const errors: Record<string, number> = {};
  const t = { framesIn: 0, framesOut: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, wireIn: 0, wireOut: 0 };
  let backpressure = 0;
  let connectFailedCount = 0;

  const count = (code: string): void => {
    errors[code] = (errors[code] ?? 0) + 1;
  };
  /** Events caused by a call from the layer above are emitted later, never re-entrantly inside that call. */
  const later = (fn: () => void): void => {
    setImmediate(() => {
      if (closing === undefined) fn();
    });
  };
  const local = (): HandshakeLocal => ({ id: cfg.id, cluster: cfg.cluster, address: carrier.address, instance });
  const sameInstance = (a: PeerInfo | undefined, b: PeerInfo | undefined): boolean =>
    a !== undefined && b !== undefined && Buffer.compare(a.instance, b.instance) === 0;
  const selfIsLower = (peer: NodeId): boolean => Buffer.compare(selfBytes, Buffer.from(peer, 'utf8')) < 0;
  /** Which node dialled `conn`, as "is it this node". */
  const dialledBySelf = (conn: Connection): boolean => conn.role === 'dialer';
  /** Of two connections to the same peer, the one dialled by the lower id; the older one when both sides agree. */
  const preferred = (older: Connection, newer: Connection): Connection => {
    if (dialledBySelf(older) === dialledBySelf(newer)) return older;
    const lowerIsSelf = selfIsLower(older.peer!.id);
    return dialledBySelf(newer) === lowerIsSelf ? newer : older;
  };

  const install = (conn: Connection): void => {
    const peer = conn.peer!;
    links.set(peer.id, conn);
    addresses.set(peer.address, peer.id);
  };
  const uninstall = (peer: NodeId, conn: Connection): void => {
    links.delete(peer);
    if (addresses.get(conn.peer!.address) === peer) addresses.delete(conn.peer!.address);
  };

  // ---- dialling -------------------------------------------------------------------------------------------------

  const finishDial = (dial: Dial, failure?: ErrorInfo): void => {
    if (dials.get(dial.address) !== dial) return;
    dials.delete(dial.address);
    if (dial.timer !== undefined) clearTimeout(dial.timer);
    if (failure === undefined || closing !== undefined) return;
    connectFailedCount++;
    logger?.debug?.('carrier: connect failed', { address: dial.address, code: failure.code, message: failure.message });
    events.connectFailed(dial.address, `${failure.code}: ${failure.message}`);
  };

  const retryOrFail = (dial: Dial, error: ErrorInfo): void => {
    if (dial.attempts >= cfg.connectAttempts) {
      finishDial(dial, { code: CarrierErrorCode.dialFailed, message: `${dial.attempts} attempts, last: ${error.code} ${error.message}` });
      return;
    }
    const delay = backoffDelayMs(dial.attempts - 1, { baseMs: cfg.connectBackoffBaseMs, maxMs: cfg.connectBackoffMaxMs }, () => random.next());
    dial.timer = setTimeout(() => attempt(dial), delay);
  };

  const attempt = (dial: Dial): void => {
    dial.timer = undefined;
    if (closing !== undefined || dials.get(dial.address) !== dial) return;
    if (dial.peer !== undefined && links.has(dial.peer)) {
      finishDial(dial);
      return;
    }
    dial.attempts++;
    const admitted = admission.outbound();
    if (!admitted.ok) {
      count(admitted.error.code);
      finishDial(dial, admitted.error);
      return;
    }
    const options: ClientOptions & { closeTimeout?: number } = {
      maxPayload: cfg.frameBytesMax,
      perMessageDeflate: false,
      handshakeTimeout: cfg.handshakeTimeoutMs,
      followRedirects: false,
      closeTimeout: cfg.closeTimeoutMs,
    };
    if (cfg.tls !== undefined) {
      Object.assign(options, {
        ca: cfg.tls.ca,
        cert: cfg.tls.cert,
        key: cfg.tls.key,
        rejectUnauthorized: cfg.tls.rejectUnauthorized ?? true,
      });
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(dial.address, options);
    } catch (e) {
      admitted.ticket.release();
      finishDial(dial, { code: CarrierErrorCode.badAddress, message: e instanceof Error ? e.message : String(e) });
      return;
    }
    const conn = createConnection(ws, 'dialer', dial.address, createHandshake('dialer', local(), auth), cfg, hooks);
    dial.conn = conn;
    sockets.add(conn);
    tickets.set(conn, admitted.ticket);
    dialOf.set(conn, dial);
  };

  const dialClosed = (dial: Dial, conn: Connection, info: CloseInfo): void => {
    if (dial.conn !== conn || dials.get(dial.address) !== dial) return;
    dial.conn = undefined;
    if (dial.peer !== undefined && links.has(dial.peer)) {
      finishDial(dial); // answered by the link that won (or that already existed)
      return;
    }
    const code = info.error.code;
    if (code === CarrierErrorCode.duplicate && dial.peer !== undefined) {
      // The other side's connection wins the tie-break; its `up` answers this dial. If it never arrives, try again.
      dial.timer = setTimeout(() => {
        dial.timer = undefined;
        if (dial.peer !== undefined && links.has(dial.peer)) finishDial(dial);
        else retryOrFail(dial, info.error);
      }, cfg.handshakeTimeoutMs);
      return;
    }
    if (FINAL_DIAL_ERRORS.has(code)) {
      finishDial(dial, info.error);
      return;
    }
    retryOrFail(dial, info.error);
  };

  /** Dials answered by a link to `peer` coming up. */
  const settleDialsFor = (peer: NodeId, address: string): void => {
    for (const dial of dials.values()) {
      if (dial.peer === peer || dial.address === address) {
        if (dial.conn === undefined || dial.conn.state === 'closed') finishDial(dial);
        // A dial still handshaking finds the link in `verified` and closes itself as a duplicate.
      }
    }
  };

  // ---- connection hooks -----------------------------------------------------------------------------------------

  const hooks: ConnectionHooks = {
    verified(conn, peer) {
      if (closing !== undefined) return { code: CarrierErrorCode.closed, message: 'carrier closing' };
      const existing = links.get(peer.id);
      const existingSame = existing !== undefined && sameInstance(existing.peer, peer);
      if (conn.role === 'dialer') {
        const dial = dialOf.get(conn);
        if (dial !== undefined) dial.peer = peer.id;
        if (existingSame) return { code: CarrierErrorCode.duplicate, message: 'already connected to this peer' };
        return undefined;
      }
      if (existingSame) return { code: CarrierErrorCode.duplicate, message: 'already connected to this peer' };
      if (existing === undefined) {
        for (const dial of dials.values()) {
          const racing = dial.conn !== undefined && dial.conn.state === 'handshake' && (dial.peer === peer.id || dial.address === peer.address);
          if (!racing) continue;
          if (selfIsLower(peer.id)) return { code: CarrierErrorCode.duplicate, message: 'simultaneous dial: the lower id\'s connection wins' };
          dial.peer = peer.id;
          dial.conn!.fail({ code: CarrierErrorCode.duplicate, message: 'simultaneous dial: the lower id\'s connection wins' });
        }
      }
      return undefined;
    },
    established(conn) {
      tickets.get(conn)?.handshakeDone();
      const peer = conn.peer!;
      if (closing !== undefined) return;
      const dial = dialOf.get(conn);
      if (dial !== undefined && dial.conn === conn) {
        dial.conn = undefined;
        finishDial(dial);
      }
      const current = links.get(peer.id);
      if (current === undefined) {
        install(conn);
        settleDialsFor(peer.id, peer.address);
        events.up(peer.id, peer.address);
        return;
      }
      if (!sameInstance(current.peer, peer)) {
        // The peer restarted: its old link is dead even if the socket has not noticed yet.
        uninstall(peer.id, current);
        install(conn);
        current.fail({ code: CarrierErrorCode.replaced, message: 'the peer reconnected with a new instance' });
        events.down(peer.id, 'failed');
        events.up(peer.id, peer.address);
        return;
      }
      // Two links to one peer instance (possible only when a dial used an alias of the advertised address and
      // raced an incoming connection): keep the one dialled by the lower id, on both sides, without events.
      const winner = preferred(current, conn);
      if (winner === conn) {
        uninstall(peer.id, current);
        install(conn);
        current.fail({ code: CarrierErrorCode.duplicate, message: 'the lower id\'s connection wins' });
      } else {
        conn.fail({ code: CarrierErrorCode.duplicate, message: 'the lower id\'s connection wins' });
      }
    },
    messages(conn, envelopes) {
      const peer = conn.peer!.id;
      for (const envelope of envelopes) {
        if (closing !== undefined || conn.state !== 'open' || !links.has(peer)) return;
        events.message(peer, envelope);
      }
    },
    drain(conn) {
      const peer = conn.peer!.id;
      if (closing === undefined && links.get(peer) === conn) events.drain(peer);
    },
    closed(conn, info) {
      sockets.delete(conn);
      tickets.get(conn)?.release();
      tickets.delete(conn);
      const wire = conn.wireBytes();
      t.wireIn += wire.read;
      t.wireOut += wire.written;
      const dial = dialOf.get(conn);
      dialOf.delete(conn);
      if (closing !== undefined) {
        if (sockets.size === 0) allClosed?.();
        return;
      }
      const peer = conn.peer;
      if (peer !== undefined && links.get(peer.id) === conn) {
        uninstall(peer.id, conn);
        const other = [...sockets].find((c) => c.state === 'open' && c.peer?.id === peer.id && sameInstance(c.peer, peer));
        if (other !== undefined) {
          install(other); // the surviving duplicate carries on; the layer above saw one link all along
        } else {
          if (!info.orderly) logger?.debug?.('carrier: link failed', { peer: peer.id, code: info.error.code, message: info.error.message });
          events.down(peer.id, info.orderly ? 'closed' : 'failed');
        }
        return;
      }
      if (dial !== undefined) dialClosed(dial, conn, info);
    },
    count,
    traffic(direction, frames, messages, bytes) {
      if (direction === 'in') {
        t.framesIn += frames;
        t.messagesIn += messages;
        t.bytesIn += bytes;
      } else {
        t.framesOut += frames;
        t.messagesOut += messages;
        t.bytesOut += bytes;
      }
    },
  };

  // ---- listening ------------------------------------------------------------------------------------------------

  const refuse = (socket: Duplex, error: ErrorInfo): void => {
    count(error.code);
    socket.once('finish', () => socket.destroy());
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {}); // a reset during the upgrade is the client's problem; 'close' cleans up
    if (closing !== undefined || wss === undefined) {
      socket.destroy();
      return;
    }
    const ip = (socket as Socket).remoteAddress ?? 'unknown';
    const admitted = admission.inbound(ip);
    if (!admitted.ok) {
      logger?.debug?.('carrier: inbound socket refused', { ip, code: admitted.error.code });
      refuse(socket, admitted.error);
      return;
    }
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) admitted.ticket.release();
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      if (closing !== undefined) {
        admitted.ticket.release();
        ws.terminate();
        return;
      }
      const conn = createConnection(ws, 'acceptor', ip, createHandshake('acceptor', local(), auth), cfg, hooks, socket as Socket);
      sockets.add(conn);
      tickets.set(conn, admitted.ticket);
    });
  };

  const start = (): Promise<void> => {
    if (closing !== undefined) return Promise.reject(new CarrierError(CarrierErrorCode.closed, 'carrier is closed'));
    starting ??= new Promise<void>((resolve, reject) => {
      // Slow or silent sockets are bounded before the upgrade too: headers (and the TLS handshake) must complete
      // within the handshake timeout, checked every second rather than Node's default 30 s.
      const serverOptions = { connectionsCheckingInterval: Math.min(1000, cfg.handshakeTimeoutMs) };
      const s: Server =
        cfg.tls === undefined
          ? createHttpServer(serverOptions)
          : (createHttpsServer({
              ...serverOptions,
              cert: cfg.tls.cert,
              key: cfg.tls.key,
              ca: cfg.tls.ca,
              requestCert: cfg.tls.requestClientCert ?? false,
              rejectUnauthorized: cfg.tls.requestClientCert ?? false,
              handshakeTimeout: cfg.handshakeTimeoutMs,
            }) as unknown as Server);
      s.headersTimeout = cfg.handshakeTimeoutMs;
      s.requestTimeout = cfg.handshakeTimeoutMs;
      // A TCP-level cap for floods that never send a request; the headroom lets the upgrade-time checks (which
      // answer 503 and count) act first for anything that does.
      s.maxConnections = cfg.connectionsMax + cfg.handshakesMax;
      s.on('request', (_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('WebSocket only\n');
      });
      s.on('upgrade', onUpgrade);
      s.on('clientError', (_err, socket: Duplex) => socket.destroy());
      s.on('tlsClientError', () => count(CarrierErrorCode.socketError));
      wss = new WebSocketServer({
        noServer: true,
        maxPayload: cfg.frameBytesMax,
        perMessageDeflate: false,
        clientTracking: false,
        closeTimeout: cfg.closeTimeoutMs,
      } as ConstructorParameters<typeof WebSocketServer>[0]);
      s.once('error', reject);
      s.listen(cfg.port, cfg.host, () => {
        s.off('error', reject);
        s.on('error', (err) => logger?.warn?.('carrier: listener error', { message: err.message }));
        const bound = s.address();
        const port = typeof bound === 'object' && bound !== null ? bound.port : cfg.port;
        const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
        advertised ??= `${cfg.tls === undefined ? 'ws' : 'wss'}://${host}:${port}`;
        server = s;
        listening = true;
        resolve();
      });
    });
    return starting;
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      listening = false;
      for (const dial of dials.values()) if (dial.timer !== undefined) clearTimeout(dial.timer);
      dials.clear();
      links.clear();
      addresses.clear();
      const drained = new Promise<void>((resolve) => {
        allClosed = resolve;
      });
      for (const conn of [...sockets]) conn.close(CloseCode.goingAway, 'carrier closing');
      if (sockets.size > 0) await drained;
      wss?.close();
      if (server !== undefined) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
    })();
    return closing;
  };

  const assertStarted = (what: string): void => {
    if (advertised === undefined) throw new CarrierError(CarrierErrorCode.notStarted, `${what} before start() resolved`);
  };

  const carrier: WsCarrier = {
    self: cfg.id,
    get address(): string {
      assertStarted('address read');
      return advertised!;
    },
    get listening() {
      return listening;
    },
    start,
    connect(address) {
      assertStarted('connect');
      if (closing !== undefined) return;
      if (typeof address !== 'string' || !ADDRESS_RE.test(address)) {
        connectFailedCount++;
        later(() => events.connectFailed(String(address), `${CarrierErrorCode.badAddress}: not a ws:// or wss:// URL`));
        return;
      }
      if (address === advertised) {
        connectFailedCount++;
        later(() => events.connectFailed(address, `${CarrierErrorCode.selfConnection}: this node's own address`));
        return;
      }
      if (addresses.has(address) || dials.has(address)) return;
      const dial: Dial = { address, attempts: 0, conn: undefined, timer: undefined, peer: undefined };
      dials.set(address, dial);
      // Open the socket on a later turn, so that no outcome is ever reported inside this call.
      dial.timer = setTimeout(() => attempt(dial), 0);
    },
    disconnect(peer) {
      const conn = links.get(peer);
      if (conn === undefined || closing !== undefined) return;
      uninstall(peer, conn);
      conn.close(CloseCode.normal, 'disconnect');
      later(() => events.down(peer, 'closed'));
    },
    send(peer: NodeId, envelope: Envelope): SendResult {
      const conn = links.get(peer);
      if (conn === undefined || conn.state !== 'open' || closing !== undefined) return 'closed';
      const encoded = encodeEnvelope(envelope, cfg.limits);
      if (!encoded.ok) {
        throw new CarrierError(CarrierErrorCode.unencodable, `envelope ${envelope.layer}/${envelope.type} cannot be sent: ${encoded.error.code} ${encoded.error.message}`);
      }
      const r = conn.enqueue(encoded.value);
      if (r === 'backpressure') backpressure++;
      return r;
    },
    listen(listener) {
      events = listener;
    },
    close,
    stats() {
      let wireIn = t.wireIn;
      let wireOut = t.wireOut;
      let handshaking = 0;
      for (const conn of sockets) {
        const w = conn.wireBytes();
        wireIn += w.read;
        wireOut += w.written;
        if (conn.state === 'handshake') handshaking++;
      }
      return {
        links: links.size,
        sockets: sockets.size,
        handshaking,
        dials: dials.size,
        framesIn: t.framesIn,
        framesOut: t.framesOut,
        messagesIn: t.messagesIn,
        messagesOut: t.messagesOut,
        bytesIn: t.bytesIn,
        bytesOut: t.bytesOut,
        wireBytesIn: wireIn,
        wireBytesOut: wireOut,
        backpressure,
        connectFailed: connectFailedCount,
        errors: { ...errors },
        peers: [...links].map(([id, conn]) => ({
          id,
          address: conn.peer!.address,
          dialled: conn.role === 'dialer' ? 'out' : 'in',
          queuedMessages: conn.queue.queuedMessages,
          queuedBytes: conn.queue.queuedBytes,
        })),
      };
    },
  };
  return carrier;
}
