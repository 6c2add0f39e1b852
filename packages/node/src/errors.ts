/**
 * Errors of the node, its HTTP API and its CLI. Codes are stable strings listed in docs/errors.md (`## node`).
 *
 * `NodeError` is thrown by `createNode` and the node's methods for configuration and start-up problems (programmer
 * or operator errors); the HTTP API never throws at a client: it answers `{ error: { code, message } }` with a
 * status derived from the code (`httpStatusOf`).
 */

/** Stable error codes of @rumor/node (node, HTTP API, CLI). */
export const NodeErrorCode = {
  /** An option or config-file field is missing, of the wrong type or out of range. */
  badConfig: 'node.bad-config',
  /** Another live process holds the data directory's lock. */
  dataDirLocked: 'node.data-dir-locked',
  /** The data directory belongs to another node id than the one configured. */
  idMismatch: 'node.id-mismatch',
  /** A file of the data directory (node.json, hlc.json) is unreadable or corrupt. */
  dataCorrupt: 'node.data-corrupt',
  /** A map or replica name is not 1..128 bytes of UTF-8, or is reserved. */
  badName: 'node.bad-name',
  /** A replica instance with that name already runs (a map or `replica()`). */
  nameTaken: 'node.name-taken',
  /** `mapsMax` maps are open; no more are created. */
  tooManyMaps: 'node.too-many-maps',
  /** The node is closing or closed. */
  closed: 'node.closed',
  /** Binding a listener failed (e.g. the port is in use). */
  listenFailed: 'node.listen-failed',
  /** HTTP: no such route. */
  notFound: 'http.not-found',
  /** HTTP: the route exists, the method does not. */
  methodNotAllowed: 'http.method-not-allowed',
  /** HTTP: the request body is not JSON. */
  badJson: 'http.bad-json',
  /** HTTP: a query parameter or the key in the path is malformed. */
  badRequest: 'http.bad-request',
  /** HTTP: the request body exceeds `bodyBytesMax`. */
  bodyTooLarge: 'http.body-too-large',
  /** HTTP: a write without the configured bearer token (or cluster secret). */
  unauthorized: 'http.unauthorized',
  /** HTTP: `streamsMax` event streams are open already. */
  tooManyStreams: 'http.too-many-streams',
  /** HTTP: the key has no value. */
  keyNotFound: 'kv.not-found',
  /** HTTP: an unexpected failure inside the node (a bug); the message says what. */
  internal: 'http.internal',
  /** CLI: a flag, argument or value is malformed. */
  usage: 'cli.usage',
  /** CLI: the node's HTTP API did not answer (refused, reset, timeout). */
  unreachable: 'cli.unreachable',
} as const;

/** One of the stable error codes. */
export type NodeErrorCode = (typeof NodeErrorCode)[keyof typeof NodeErrorCode];

/** A thrown node error: a stable `code`, a readable message, the underlying `cause` if any. */
export class NodeError extends Error {
  readonly code: string;
  constructor(code: NodeErrorCode | string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NodeError';
    this.code = code;
  }
}

/** An error as the HTTP API and the CLI report it. */
export interface ErrorInfo {
  code: string;
  message: string;
}

const STATUS: Record<string, number> = {
  [NodeErrorCode.notFound]: 404,
  [NodeErrorCode.keyNotFound]: 404,
  [NodeErrorCode.methodNotAllowed]: 405,
  [NodeErrorCode.badJson]: 400,
  [NodeErrorCode.badRequest]: 400,
  [NodeErrorCode.badName]: 400,
  [NodeErrorCode.bodyTooLarge]: 413,
  [NodeErrorCode.unauthorized]: 401,
  [NodeErrorCode.tooManyStreams]: 503,
  [NodeErrorCode.tooManyMaps]: 409,
  [NodeErrorCode.nameTaken]: 409,
  [NodeErrorCode.closed]: 503,
  'map.invalid-key': 400,
  'map.invalid-value': 422,
  'map.value-too-large': 413,
  'map.closed': 503,
  'map.storage-failed': 503,
};

/** The HTTP status of an error code (500 for codes not listed). */
export function httpStatusOf(code: string): number {
  return STATUS[code] ?? 500;
}

/** `code` and `message` of anything thrown: a coded error keeps its code, anything else is `fallback`. */
export function toErrorInfo(error: unknown, fallback: string = NodeErrorCode.internal): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' && /^[a-z-]+\.[a-z-]+$/.test(code) ? code : fallback, message: error.message };
  }
  return { code: fallback, message: String(error) };
}
