/**
 * The node's HTTP API (design §8, docs/node.md "HTTP API"): node:http, JSON in and out, errors as
 * `{ error: { code, message } }` with stable codes (docs/errors.md `## node`).
 *
 * Routes: `/kv` (kv.ts), `/events` (events.ts), `GET /status`, `GET /peers`. Others can be added with `route()`
 * (the status page adds `GET /` and `GET /metrics`). Writes need `Authorization: Bearer <token>` when a token or a
 * cluster secret is configured; reads too with `authReads`. Requests are bounded: body bytes, header bytes
 * (node's default 16 KiB), request time, open event streams.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReplicatedMap } from '@rumor/map';
import { NodeErrorCode, toErrorInfo } from '../errors.js';
import type { HttpInit, NodeLogger } from '../options.js';
import type { NodeStatus, PeersReport } from '../node.js';
import { addEventRoutes } from './events.js';
import { addKvRoutes } from './kv.js';
import { createBearerCheck, sendError, sendJson } from './respond.js';
import { createRouter, type RouteHandler, type RouteOptions } from './router.js';

/** What the HTTP API needs from the node. */
export interface HttpNode {
  readonly id: string;
  map(name: string): Promise<ReplicatedMap>;
  status(): NodeStatus;
  peers(): PeersReport;
}

/** A running HTTP API. */
export interface HttpApi {
  /** Base URL, e.g. `http://127.0.0.1:5001`. */
  readonly address: string;
  readonly server: Server;
  /** Add a route (exact path, or a prefix ending in `/*`). */
  route(method: string, path: string, handler: RouteHandler, options?: RouteOptions): void;
  /** Stop accepting requests, end event streams, wait for requests in flight (at most `closeTimeoutMs`). */
  close(): Promise<void>;
}

/** Collaborators of the HTTP API. */
export interface HttpComponents {
  /** The configured cluster secret, accepted as a bearer token too. */
  secret?: string | undefined;
  log?: NodeLogger;
}

/** How long `close()` waits for requests in flight before cutting connections. */
const CLOSE_TIMEOUT_MS = 2000;

/** Start the HTTP API for `node`. */
export async function startHttpApi(node: HttpNode, init: HttpInit, components: HttpComponents = {}): Promise<HttpApi> {
  const host = init.host ?? '127.0.0.1';
  const bodyBytesMax = init.bodyBytesMax ?? 1024 * 1024;
  const authorized = createBearerCheck([init.token, components.secret].filter((t): t is string => typeof t === 'string' && t.length > 0));
  const authReads = init.authReads ?? false;
  const router = createRouter();

  addKvRoutes(router, node, { bodyBytesMax, scanLimitMax: init.scanLimitMax ?? 10_000, batchOpsMax: init.batchOpsMax ?? 10_000 });
  const streams = addEventRoutes(router, node, {
    streamsMax: init.streamsMax ?? 64,
    streamLagBytesMax: init.streamLagBytesMax ?? 4 * 1024 * 1024,
    streamHeartbeatMs: init.streamHeartbeatMs ?? 15_000,
  });
  router.route('GET', '/status', ({ res }) => sendJson(res, 200, node.status()));
  router.route('GET', '/peers', ({ res }) => sendJson(res, 200, node.peers()));

  let closing = false;
  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendError(res, { code: NodeErrorCode.badRequest, message: 'malformed request URL' });
    }
    if (closing) return sendError(res, { code: NodeErrorCode.closed, message: 'the node is shutting down' }, { connection: 'close' });
    const method = req.method ?? 'GET';
    const match = router.match(method, url.pathname);
    if (match.kind === 'none') return sendError(res, { code: NodeErrorCode.notFound, message: `no route ${url.pathname}` });
    if (match.kind === 'method') {
      return sendError(res, { code: NodeErrorCode.methodNotAllowed, message: `${method} not allowed on ${url.pathname}` }, { allow: match.allowed.join(', ') });
    }
    if ((match.route.write || authReads) && !authorized(req)) {
      req.resume();
      return sendError(
        res,
        { code: NodeErrorCode.unauthorized, message: 'this endpoint needs Authorization: Bearer <token> (the HTTP token or the cluster secret)' },
        { 'www-authenticate': 'Bearer' },
      );
    }
    Promise.resolve()
      .then(() => match.route.handler({ req, res, url, rest: match.rest }))
      .catch((error: unknown) => {
        const info = toErrorInfo(error);
        if (info.code === NodeErrorCode.internal) components.log?.warn?.(`http ${method} ${url.pathname} failed: ${info.message}`);
        sendError(res, info);
      });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(init.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;

  let closed: Promise<void> | undefined;
  return {
    address,
    server,
    route: (method, path, handler, options) => router.route(method, path, handler, options),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        streams.endAll();
        const timer = setTimeout(() => server.closeAllConnections(), CLOSE_TIMEOUT_MS);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
