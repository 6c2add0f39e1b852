/**
 * One WebSocket between this node and a peer: handshake, framing, keepalive, the bounded send queue, and closing
 * with a reason. The carrier (carrier.ts) owns the peer table and decides which connection carries a peer pair.
 *
 * Trust boundary: every inbound frame is untrusted. During the handshake a frame must be one small binary handshake
 * message; after it, one binary frame of envelopes decoded in full by crdt-wire before any is delivered, so a bad
 * frame changes nothing — it closes this connection with a reason and is counted. Nothing received ever throws.
 * Failure detection: a socket close or error, or nothing received (frames or pongs) for `keepaliveTimeoutMs`.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { decodeFrame } from '@rumor/crdt-wire';
import type { Role } from './auth.js';
import { CarrierErrorCode, CloseCode, closeCodeOf, closeReason, errorCodeOfClose } from './errors.js';
import { decodeHandshake, encodeHandshake, type Handshake, type HandshakeMessage, type PeerInfo } from './handshake.js';
import type { ResolvedInit } from './options.js';
import { createSendQueue, type QueuedFrame, type SendQueue } from './send-queue.js';
import type { Envelope, ErrorInfo } from './types.js';

/** How a connection ended. */
export interface CloseInfo {
  /** The WebSocket close code (1006 when the socket died without a close frame). */
  code: number;
  /** Why, as a stable code and message: ours when this side closed, decoded from the close frame otherwise. */
  error: ErrorInfo;
  /** Orderly close (1000 or 1001) by either side: the link went `down` as `closed` rather than `failed`. */
  orderly: boolean;
  /** This side decided to close. */
  local: boolean;
}

/** What a connection reports to the carrier. */
export interface ConnectionHooks {
  /** The peer proved its identity; return an error to refuse this connection (tie-break, replaced, …). */
  verified(conn: Connection, peer: PeerInfo): ErrorInfo | undefined;
  /** The handshake completed; the connection carries envelopes now. */
  established(conn: Connection): void;
  /** Envelopes of one frame, decoded and validated as envelopes (bodies still untrusted). */
  messages(conn: Connection, envelopes: Envelope[]): void;
  /** The send queue fell to its low-water mark after a `backpressure`. */
  drain(conn: Connection): void;
  /** The socket closed (after `established` or not). Called once. */
  closed(conn: Connection, info: CloseInfo): void;
  /** Count a stable error code. */
  count(code: string): void;
  /** Count frames and bytes. */
  traffic(direction: 'in' | 'out', frames: number, messages: number, bytes: number): void;
}

/** The life of a connection. */
export type ConnectionState = 'handshake' | 'open' | 'closing' | 'closed';

/** One WebSocket to a peer. */
export interface Connection {
  readonly serial: number;
  readonly role: Role;
  /** The remote IP (inbound) or the dialled address (outbound), for logs. */
  readonly remote: string;
  readonly state: ConnectionState;
  /** Known once the peer proved its identity. */
  readonly peer: PeerInfo | undefined;
  readonly queue: SendQueue;
  /** Queue one encoded envelope and schedule a flush. */
  enqueue(envelope: Uint8Array): 'accepted' | 'backpressure';
  /** Orderly close after flushing what was accepted (WebSocket 1000, or `code`). */
  close(code?: number, reason?: string): void;
  /** Close because of `error`: its close code and reason go to the peer. */
  fail(error: ErrorInfo): void;
  /** Bytes read and written on the TCP socket, WebSocket framing included. */
  wireBytes(): { read: number; written: number };
}

let serials = 0;
const BINARY = { binary: true } as const;

/** Wrap a WebSocket (open for inbound, connecting for outbound) in the carrier's connection logic. */
export function createConnection(
  ws: WebSocket,
  role: Role,
  remote: string,
  handshake: Handshake,
  init: ResolvedInit,
  hooks: ConnectionHooks,
  socket?: Socket,
): Connection {
  let state: ConnectionState = 'handshake';
  let peer: PeerInfo | undefined;
  // Liveness: a flag set per frame (cheap on the hot path), folded into a timestamp once per keepalive tick.
  let heard = false;
  let lastHeardMs = Date.now();
  let keepalive: NodeJS.Timeout | undefined;
  let flushScheduled = false;
  let localClose: { code: number; error: ErrorInfo } | undefined;
  let lastError: ErrorInfo | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  let tcp: Socket | undefined = socket;
  const queue = createSendQueue({
    bytesMax: init.sendQueueBytesMax,
    messagesMax: init.sendQueueMessagesMax,
    frameBytesMax: init.frameBytesMax,
    envelopesPerFrameMax: init.envelopesPerFrameMax,
  });

  const handshakeTimer = setTimeout(() => {
    conn.fail({ code: CarrierErrorCode.handshakeTimeout, message: `handshake not finished within ${init.handshakeTimeoutMs} ms` });
  }, init.handshakeTimeoutMs);
  handshakeTimer.unref();

  const sendHandshake = (m: HandshakeMessage): void => {
    ws.send(encodeHandshake(m));
  };

  const onHandshakeFrame = (data: Buffer, isBinary: boolean): void => {
    if (!isBinary || data.length > init.handshakeBytesMax) {
      conn.fail({ code: CarrierErrorCode.handshakeMalformed, message: isBinary ? `handshake message of ${data.length} bytes` : 'text frame in handshake' });
      return;
    }
    const decoded = decodeHandshake(data, init.handshakeBytesMax);
    if (!decoded.ok) {
      conn.fail(decoded.error);
      return;
    }
    const step = handshake.receive(decoded.value);
    if (step.error !== undefined) {
      conn.fail(step.error);
      return;
    }
    if (step.peer !== undefined) {
      const refused = hooks.verified(conn, step.peer);
      if (refused !== undefined) {
        conn.fail(refused);
        return;
      }
      peer = step.peer;
    }
    if (step.send !== undefined) sendHandshake(step.send);
    // The acceptor is done once the dialer's response verified; the dialer once `welcome` arrives.
    if (role === 'acceptor' && step.peer !== undefined) {
      sendHandshake(handshake.welcome());
      open();
    } else if (step.established === true) {
      open();
    }
  };

  const open = (): void => {
    clearTimeout(handshakeTimer);
    state = 'open';
    heard = false;
    lastHeardMs = Date.now();
    keepalive = setInterval(onKeepalive, init.keepaliveIntervalMs);
    keepalive.unref();
    hooks.established(conn);
  };

  const onKeepalive = (): void => {
    if (state !== 'open') return;
    const now = Date.now();
    if (heard) {
      heard = false;
      lastHeardMs = now;
    }
    const silentMs = now - lastHeardMs;
    if (silentMs >= init.keepaliveTimeoutMs) {
      conn.fail({ code: CarrierErrorCode.keepaliveTimeout, message: `nothing received for ${silentMs} ms` });
      return;
    }
    ws.ping();
  };

  const onFrame = (data: Buffer, isBinary: boolean): void => {
    if (!isBinary) {
      conn.fail({ code: CarrierErrorCode.frameInvalid, message: 'text frame' });
      return;
    }
    const decoded = decodeFrame(data, init.limits);
    if (!decoded.ok) {
      conn.fail({ code: CarrierErrorCode.frameInvalid, message: `${decoded.error.code}: ${decoded.error.message}` });
      return;
    }
    hooks.traffic('in', 1, decoded.value.length, data.length);
    hooks.messages(conn, decoded.value);
  };

  const flush = (): void => {
    flushScheduled = false;
    if (state !== 'open' && state !== 'closing') return;
    while (queue.inflightBytes < init.socketBufferBytesMax) {
      const frame = queue.take();
      if (frame === undefined) break;
      write(frame);
    }
  };

  // Socket write callbacks fire in write order, so one shared callback and a ring of frames in flight stand in
  // for a closure per frame on the hot path.
  let ring: (QueuedFrame | undefined)[] = new Array<QueuedFrame | undefined>(64);
  let ringHead = 0;
  let ringLength = 0;
  const pushInflight = (frame: QueuedFrame): void => {
    if (ringLength === ring.length) {
      const grown = new Array<QueuedFrame | undefined>(ring.length * 2);
      for (let i = 0; i < ringLength; i++) grown[i] = ring[(ringHead + i) % ring.length];
      ring = grown;
      ringHead = 0;
    }
    ring[(ringHead + ringLength) % ring.length] = frame;
    ringLength++;
  };
  const onWritten = (): void => {
    const frame = ring[ringHead]!;
    ring[ringHead] = undefined;
    ringHead = (ringHead + 1) % ring.length;
    ringLength--;
    const drained = queue.written(frame);
    if (state !== 'open') return;
    if (queue.pendingMessages > 0 && !flushScheduled && queue.inflightBytes < init.socketBufferBytesMax) flush();
    if (drained) hooks.drain(conn);
  };
  const write = (frame: QueuedFrame): void => {
    hooks.traffic('out', 1, frame.messages, frame.bytes.length);
    pushInflight(frame);
    ws.send(frame.bytes, BINARY, onWritten);
  };

  const scheduleFlush = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    // Everything sent in this turn of the event loop goes out together: that is what coalesces messages into frames.
    setImmediate(flush);
  };

  const startClosing = (code: number, error: ErrorInfo): void => {
    clearTimeout(handshakeTimer);
    if (keepalive !== undefined) clearInterval(keepalive);
    localClose = { code, error };
    state = 'closing';
    // The closing handshake is bounded: a peer that never answers our close frame is cut off.
    closeTimer = setTimeout(() => ws.terminate(), init.closeTimeoutMs);
    closeTimer.unref();
  };

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    heard = true;
    if (state === 'handshake') onHandshakeFrame(data, isBinary);
    else if (state === 'open') onFrame(data, isBinary);
    // While closing, frames still in flight are dropped: the link is already down for the layer above.
  });
  ws.on('pong', () => {
    heard = true;
  });
  ws.on('ping', () => {
    heard = true;
  });
  ws.on('upgrade', (res) => {
    tcp = res.socket as Socket;
  });
  ws.on('open', () => {
    const hello = handshake.start();
    if (hello !== undefined) sendHandshake(hello);
  });
  ws.on('error', (err: Error & { code?: string }) => {
    // `ws` reports protocol violations (oversized frame → 1009, bad opcode or masking → 1002) and socket errors
    // here and closes the socket itself; 'close' follows and reports the outcome.
    if (lastError !== undefined || localClose !== undefined) return;
    const tooLarge = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
    const protocol = typeof err.code === 'string' && err.code.startsWith('WS_ERR_');
    lastError = {
      code: tooLarge ? CarrierErrorCode.frameTooLarge : protocol ? CarrierErrorCode.frameInvalid : CarrierErrorCode.socketError,
      message: err.message,
    };
    hooks.count(lastError.code);
  });
  ws.on('close', (code: number, reasonBuf: Buffer) => {
    clearTimeout(handshakeTimer);
    if (keepalive !== undefined) clearInterval(keepalive);
    if (closeTimer !== undefined) clearTimeout(closeTimer);
    state = 'closed';
    let info: CloseInfo;
    if (localClose !== undefined) {
      info = { code: localClose.code, error: localClose.error, orderly: isOrderly(localClose.code), local: true };
    } else if (lastError !== undefined) {
      info = { code, error: lastError, orderly: false, local: false };
    } else {
      const reason = reasonBuf.toString('utf8');
      const known = errorCodeOfClose(code);
      const error: ErrorInfo =
        known !== undefined
          ? { code: known, message: reason.startsWith(`${known}: `) ? reason.slice(known.length + 2) : reason }
          : {
              code: isOrderly(code) ? CarrierErrorCode.closed : CarrierErrorCode.socketError,
              message: `closed by the peer with ${code}${reason ? ` ${reason}` : ''}`,
            };
      info = { code, error, orderly: isOrderly(code), local: false };
    }
    hooks.closed(conn, info);
  });

  const conn: Connection = {
    serial: ++serials,
    role,
    remote,
    get state() {
      return state;
    },
    get peer() {
      return peer;
    },
    queue,
    enqueue(envelope) {
      const r = queue.offer(envelope);
      if (r === 'accepted') scheduleFlush();
      return r;
    },
    close(code = CloseCode.normal, reason = '') {
      if (state === 'closing' || state === 'closed') return;
      const wasOpen = state === 'open';
      startClosing(code, { code: CarrierErrorCode.closed, message: reason || `closed with ${code}` });
      // Flush what was accepted before the close frame: ws writes frames in order, so the peer reads them first.
      if (wasOpen) {
        let frame: QueuedFrame | undefined;
        while ((frame = queue.take()) !== undefined) write(frame);
      }
      ws.close(code, reason);
    },
    fail(error) {
      if (state === 'closing' || state === 'closed') return;
      hooks.count(error.code);
      const code = closeCodeOf[error.code as keyof typeof closeCodeOf] ?? CloseCode.protocolError;
      startClosing(code, error);
      if (error.code === CarrierErrorCode.keepaliveTimeout) {
        ws.terminate(); // the peer is unresponsive: a close frame would only wait for closeTimeoutMs
      } else {
        ws.close(code, closeReason(error));
      }
    },
    wireBytes() {
      return { read: tcp?.bytesRead ?? 0, written: tcp?.bytesWritten ?? 0 };
    },
  };
  return conn;
}

function isOrderly(code: number): boolean {
  return code === CloseCode.normal || code === CloseCode.goingAway;
}
