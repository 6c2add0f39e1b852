/**
 * Stable error codes of the WebSocket carrier (docs/errors.md, `## carrier-ws`) and the WebSocket close codes that
 * carry them to the other side.
 *
 * Operating errors (a hostile frame, a failed handshake, a flood of sockets) never throw: the offending connection
 * is closed with a close code from `CloseCode` and a reason starting with the stable code, and the code is counted
 * in `stats().errors`. Only programmer errors (use before `start()`, an envelope too large to ever send) throw
 * `CarrierError`.
 */
import type { ErrorInfo, Result } from './types.js';

/** Every code the carrier reports, counts, or puts into a close reason. */
export const CarrierErrorCode = {
  /** A handshake message that does not decode or has the wrong shape. */
  handshakeMalformed: 'carrier.handshake-malformed',
  /** The peer speaks another protocol version. */
  versionMismatch: 'carrier.version-mismatch',
  /** The peer belongs to another cluster. */
  wrongCluster: 'carrier.wrong-cluster',
  /** The peer's challenge–response proof (cluster secret) or node-key signature did not verify. */
  authFailed: 'carrier.auth-failed',
  /** Per-node keys are required and the peer's id has no known key. */
  unknownNode: 'carrier.unknown-node',
  /** The peer claims this node's own id (a dial to one's own address). */
  selfConnection: 'carrier.self-connection',
  /** A second connection for a peer pair; the deterministic tie-break closed this one (never reported as `down`). */
  duplicate: 'carrier.duplicate',
  /** The handshake did not finish within `handshakeTimeoutMs`. */
  handshakeTimeout: 'carrier.handshake-timeout',
  /** A frame after the handshake that is not a valid binary frame of envelopes (reason names the codec's code). */
  frameInvalid: 'carrier.frame-invalid',
  /** A frame over `frameBytesMax` (WebSocket close 1009, enforced by `ws` before buffering). */
  frameTooLarge: 'carrier.frame-too-large',
  /** Nothing arrived from the peer within `keepaliveTimeoutMs`. */
  keepaliveTimeout: 'carrier.keepalive-timeout',
  /** The peer restarted (new instance) and its new connection replaced the old one. */
  replaced: 'carrier.replaced',
  /** An inbound socket refused before the upgrade: `connectionsMax` reached. */
  limitConnections: 'carrier.limit-connections',
  /** An inbound socket refused before the upgrade: `connectionsPerIpMax` reached for its address. */
  limitPerIp: 'carrier.limit-per-ip',
  /** An inbound socket refused before the upgrade: `handshakesMax` handshakes already in progress. */
  limitHandshakes: 'carrier.limit-handshakes',
  /** A dial that could not open a socket (refused, reset, timeout, HTTP error) after every attempt. */
  dialFailed: 'carrier.dial-failed',
  /** A socket error or an abnormal close (no close frame). */
  socketError: 'carrier.socket-error',
  /** The address given to `connect` is not a `ws://` or `wss://` URL. */
  badAddress: 'carrier.bad-address',
  /** The carrier was closed. */
  closed: 'carrier.closed',
  /** Programmer error: an envelope the codec cannot encode or larger than `frameBytesMax`. */
  unencodable: 'carrier.unencodable',
  /** Programmer error: an option out of range (thrown by `createWsCarrier`). */
  badConfig: 'carrier.bad-config',
  /** Programmer error: the carrier was used before `start()` resolved. */
  notStarted: 'carrier.not-started',
} as const;

/** One of the stable carrier error codes. */
export type CarrierErrorCode = (typeof CarrierErrorCode)[keyof typeof CarrierErrorCode];

/**
 * WebSocket close codes (4000–4999 is the private-use range of RFC 6455 §7.4.2) for the carrier's own reasons.
 * 1000 = `disconnect`, 1001 = `close()`, 1009 = frame too large and 1002 = WebSocket protocol error come from `ws`.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  tooLarge: 1009,
  handshakeMalformed: 4000,
  versionMismatch: 4001,
  wrongCluster: 4002,
  authFailed: 4003,
  unknownNode: 4004,
  selfConnection: 4005,
  duplicate: 4006,
  handshakeTimeout: 4007,
  frameInvalid: 4008,
  keepaliveTimeout: 4009,
  replaced: 4010,
} as const;

/** The close code used for each error code that closes a connection. */
export const closeCodeOf: Partial<Record<CarrierErrorCode, number>> = {
  [CarrierErrorCode.handshakeMalformed]: CloseCode.handshakeMalformed,
  [CarrierErrorCode.versionMismatch]: CloseCode.versionMismatch,
  [CarrierErrorCode.wrongCluster]: CloseCode.wrongCluster,
  [CarrierErrorCode.authFailed]: CloseCode.authFailed,
  [CarrierErrorCode.unknownNode]: CloseCode.unknownNode,
  [CarrierErrorCode.selfConnection]: CloseCode.selfConnection,
  [CarrierErrorCode.duplicate]: CloseCode.duplicate,
  [CarrierErrorCode.handshakeTimeout]: CloseCode.handshakeTimeout,
  [CarrierErrorCode.frameInvalid]: CloseCode.frameInvalid,
  [CarrierErrorCode.keepaliveTimeout]: CloseCode.keepaliveTimeout,
  [CarrierErrorCode.replaced]: CloseCode.replaced,
};

/** The error code a received close code stands for, if it is one of the carrier's own. */
export function errorCodeOfClose(code: number): CarrierErrorCode | undefined {
  for (const [error, close] of Object.entries(closeCodeOf)) if (close === code) return error as CarrierErrorCode;
  if (code === CloseCode.tooLarge) return CarrierErrorCode.frameTooLarge;
  return undefined;
}

/** A programmer error raised by the carrier. */
export class CarrierError extends Error {
  /** Stable code from `CarrierErrorCode`. */
  readonly code: CarrierErrorCode;

  constructor(code: CarrierErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CarrierError';
    this.code = code;
  }
}

/** Build a failed result. */
export function fail<T = never>(code: CarrierErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** A close reason: the stable code first, then the message, cut to the 123 bytes RFC 6455 allows. */
export function closeReason(error: ErrorInfo): string {
  const full = `${error.code}: ${error.message}`;
  const bytes = Buffer.from(full, 'utf8');
  if (bytes.length <= 123) return full;
  // Cut on a character boundary so the reason stays valid UTF-8 (ws validates it on the other side).
  let cut = 123;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}
