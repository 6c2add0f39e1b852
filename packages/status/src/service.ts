/**
 * The status service a node mounts on its HTTP server: the page (`GET /` and its two assets), this node's status
 * as JSON (`GET /status/node`), the cluster view with its laid-out graph (`GET /status/cluster`), and Prometheus
 * metrics (`GET /metrics`). It reads the node through `StatusSource` (its `status()` snapshot) and asks the cluster
 * through the status instance on the node's replica driver (cluster-probe.ts).
 *
 * It adds no authentication of its own: mounted with `mount(http)` on the node's router, the node's read policy
 * (`authReads`) applies; used through `handle(req, res)` on another server, that server decides.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReplicaDriver, Timers } from '@rumor/replica';
import type { StatusCard } from './card.js';
import { createClusterProbe, type ClusterProbe, type ClusterProbeInit, type ClusterView, type PeerEvent } from './cluster-probe.js';
import { graphOf, type EdgeKind, type GraphEdge, type NodeState } from './graph.js';
import { layoutGraph, type LayoutInit, type Point } from './layout.js';
import { cardOf, createHealthTracker, type HealthInit } from './health.js';
import { createMetrics, type MetricsInit, type NodeMetrics, type SyncingStorage } from './metrics.js';
import { PAGE_CSP, PAGE_CSS, PAGE_HTML, PAGE_JS } from './page.js';
import type { Counts, StatusSnapshot, StatusSource } from './source.js';

/** Tunables of the status service; each has a default. */
export interface StatusServiceInit {
  /** The cluster probe (gather timeout, rate limits, bounds). */
  probe?: ClusterProbeInit;
  /** Health thresholds. */
  health?: HealthInit;
  /** Metric names and histogram buckets. */
  metrics?: MetricsInit;
  /** Size of the graph's drawing box. Default 1000 × 700. */
  layout?: LayoutInit;
  /** Peer events listed on the page (newest first). Default 30. */
  pageEventsMax?: number;
}

/** What the service reads and runs on. */
export interface StatusServiceComponents {
  /** The node (`RumorNode` fits): its id and `status()`. */
  source: StatusSource;
  /** The node's replica driver (`node.stack.replicas`): the cluster view asks through it. Without it the view shows this node only. */
  driver?: Pick<ReplicaDriver, 'createReplica'>;
  /** Default: real time (timers unref'd, so they never keep a process alive). */
  timers?: Timers;
  log?: { warn?(message: string, fields?: Record<string, unknown>): void; debug?(message: string, fields?: Record<string, unknown>): void };
}

/** A router the service can add its routes to; the node's `HttpApi` fits. */
export interface RouteTarget {
  route(method: string, path: string, handler: (ctx: { req: IncomingMessage; res: ServerResponse }) => void | Promise<void>): void;
}

/** This node's status as the page shows it (`GET /status/node`). */
export interface NodeReport {
  /** Server time of the report, for ages on the page. */
  now: number;
  id: string;
  cluster: string;
  address: string;
  http: string | undefined;
  uptimeMs: number;
  health: string;
  reasons: string[];
  membershipState: string;
  active: { id: string; role: 'eager' | 'lazy' | 'none' }[];
  passive: string[];
  maps: { name: string; keys: number; tombstones: number; antiEntropyRounds: number; pendingWrites: number; durable: boolean; walFailed: boolean }[];
  antiEntropyRounds: number;
  rejected: { total: number; rows: { layer: string; code: string; count: number }[] };
  pending: StatusSnapshot['pending'];
  traffic: { messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number; delivered: number; duplicates: number; backpressure: number };
  /** Recent peer up/down events, newest first. */
  events: PeerEvent[];
}

/** The cluster view with its graph (`GET /status/cluster`). */
export interface ClusterReport {
  now: number;
  self: string;
  complete: boolean;
  askedAt: number | undefined;
  width: number;
  height: number;
  nodes: { id: string; state: NodeState; self: boolean; x: number; y: number; card: StatusCard | undefined; ageMs: number | undefined }[];
  edges: { a: string; b: string; kind: EdgeKind }[];
}

/** The status service of one node. */
export interface StatusService {
  /** Serve a request if it is one of the service's routes (answering it) and return true; else return false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Add the service's routes to a router (`node`'s `HttpApi.route`). */
  mount(target: RouteTarget): void;
  /** The paths served (all `GET`/`HEAD`). */
  readonly paths: readonly string[];
  /** The node's metrics (its own prom-client registry). */
  readonly metrics: NodeMetrics;
  /** The cluster probe, when a driver was given. */
  readonly probe: ClusterProbe | undefined;
  /** Wrap a map's storage so its fsyncs are timed into `rumor_wal_fsync_seconds{map}`. */
  instrumentStorage<S extends SyncingStorage>(map: string, storage: S): S;
  nodeReport(): NodeReport;
  /** Ask the cluster (unless `ask` is false) and lay out its graph. */
  clusterReport(ask?: boolean): Promise<ClusterReport>;
  /** The Prometheus exposition text. */
  metricsText(): Promise<string>;
  /** Close the status instance. */
  close(): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/** Create the status service of a node (it starts the `rumor.status` instance on the driver at once). */
export function createStatusService(init: StatusServiceInit, components: StatusServiceComponents): StatusService {
  const { source } = components;
  const timers = components.timers ?? realTimers;
  const log = components.log ?? {};
  const health = createHealthTracker(init.health);
  const metrics = createMetrics(init.metrics);
  const width = init.layout?.width ?? 1000;
  const height = init.layout?.height ?? 700;
  const layout: LayoutInit = { ...init.layout, width, height };
  const pageEventsMax = init.pageEventsMax ?? 30;
  let positions = new Map<string, Point>();
  let layoutKey = '';

  const ownCard = (s: StatusSnapshot = source.status()): StatusCard => cardOf(s, health.evaluate(s, timers.now()));
  const probe = components.driver === undefined ? undefined : createClusterProbe(init.probe ?? {}, { self: source.id, driver: components.driver, timers, card: () => ownCard() });

  function localView(): ClusterView {
    const card = ownCard();
    const now = timers.now();
    return { self: card.id, at: now, askedAt: undefined, complete: card.active.length === 0, members: [{ id: card.id, card, seenAt: now, fresh: true }] };
  }

  function nodeReport(): NodeReport {
    const s = source.status();
    const h = health.evaluate(s, timers.now());
    const eager = new Set(s.broadcast.eager);
    const lazy = new Set(s.broadcast.lazy);
    const rows: NodeReport['rejected']['rows'] = [];
    const add = (layer: string, counts: Counts): void => {
      for (const [code, count] of Object.entries(counts)) if (count !== undefined && count > 0) rows.push({ layer, code, count });
    };
    add('stack', { 'stack.version': s.rejected.stack.version, 'stack.layer': s.rejected.stack.layer });
    add('carrier', s.rejected.carrier);
    add('membership', s.rejected.membership);
    add('broadcast', s.rejected.broadcast);
    add('replica', s.rejected.replica);
    add('map', s.rejected.maps);
    add('status', probe?.stats().rejected ?? {});
    rows.sort((a, b) => b.count - a.count || (a.layer + a.code < b.layer + b.code ? -1 : 1));
    return {
      now: timers.now(),
      id: s.id,
      cluster: s.cluster,
      address: s.address,
      http: s.http,
      uptimeMs: s.uptimeMs,
      health: h.health,
      reasons: h.reasons,
      membershipState: s.membership.state,
      active: s.views.active.map((id) => ({ id, role: eager.has(id) ? 'eager' : lazy.has(id) ? 'lazy' : 'none' })),
      passive: [...s.views.passive],
      maps: Object.values(s.maps)
        .map((m) => ({
          name: m.name,
          keys: m.keys,
          tombstones: m.tombstones,
          antiEntropyRounds: m.antiEntropy.rounds,
          pendingWrites: m.pendingWrites,
          durable: m.durable,
          walFailed: m.persist?.failed !== undefined,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      antiEntropyRounds: s.totals.antiEntropyRounds,
      rejected: { total: s.rejected.total, rows },
      pending: s.pending,
      traffic: {
        messagesIn: s.carrier.messagesIn,
        messagesOut: s.carrier.messagesOut,
        bytesIn: s.carrier.bytesIn,
        bytesOut: s.carrier.bytesOut,
        delivered: s.broadcast.delivered,
        duplicates: s.broadcast.duplicates,
        backpressure: s.carrier.backpressure + s.broadcast.backpressure,
      },
      events: (probe?.events() ?? []).reverse().slice(0, pageEventsMax),
    };
  }

  async function clusterReport(ask = true): Promise<ClusterReport> {
    const view = probe === undefined ? localView() : ask ? await probe.gather() : probe.view();
    const g = graphOf(view);
    // The layout is the costly part; an unchanged graph keeps its positions.
    const key = JSON.stringify([g.nodes.map((n) => n.id), g.edges.map((e) => [e.a, e.b])]);
    if (key !== layoutKey) {
      positions = layoutGraph(
        g.nodes.map((n) => n.id),
        g.edges,
        layout,
        positions,
      );
      layoutKey = key;
    }
    const graph = { nodes: g.nodes.map((n) => ({ ...n, ...positions.get(n.id)! })), edges: g.edges };
    const members = new Map(view.members.map((m) => [m.id, m]));
    return {
      now: view.at,
      self: view.self,
      complete: view.complete,
      askedAt: view.askedAt,
      width,
      height,
      nodes: graph.nodes.map((n) => {
        const m = members.get(n.id);
        return { ...n, card: m?.card, ageMs: m?.seenAt === undefined ? undefined : view.at - m.seenAt };
      }),
      edges: graph.edges.map((e: GraphEdge) => ({ a: e.a, b: e.b, kind: e.kind })),
    };
  }

  const metricsText = (): Promise<string> => metrics.text(source.status(), probe?.stats());

  type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
  const asset = (type: string, body: string, extra: Record<string, string> = {}): Route => {
    const buf = Buffer.from(body, 'utf8');
    return (req, res) => send(req, res, 200, { 'content-type': type, 'cache-control': 'no-cache', 'content-security-policy': PAGE_CSP, ...extra }, buf);
  };
  const routes = new Map<string, Route>([
    ['/', asset('text/html; charset=utf-8', PAGE_HTML)],
    ['/status/app.js', asset('text/javascript; charset=utf-8', PAGE_JS)],
    ['/status/app.css', asset('text/css; charset=utf-8', PAGE_CSS)],
    ['/status/node', (req, res) => sendJson(req, res, nodeReport())],
    ['/status/cluster', async (req, res, url) => sendJson(req, res, await clusterReport(url.searchParams.get('ask') !== '0'))],
    ['/metrics', async (req, res) => send(req, res, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, Buffer.from(await metricsText(), 'utf8'))],
  ]);

  function serve(route: Route, req: IncomingMessage, res: ServerResponse, url: URL): void {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      sendError(req, res, 405, 'status.method-not-allowed', `${method} not allowed on ${url.pathname}`, { allow: 'GET, HEAD' });
      return;
    }
    Promise.resolve()
      .then(() => route(req, res, url))
      .catch((error: unknown) => {
        log.warn?.(`status ${url.pathname} failed`, { error });
        sendError(req, res, 500, 'status.internal', 'the status service failed to answer');
      });
  }

  function urlOf(req: IncomingMessage): URL | undefined {
    try {
      return new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return undefined;
    }
  }

  return {
    handle(req, res) {
      const url = urlOf(req);
      const route = url === undefined ? undefined : routes.get(url.pathname);
      if (route === undefined || url === undefined) return false;
      serve(route, req, res, url);
      return true;
    },
    mount(target) {
      for (const [path, route] of routes) {
        target.route('GET', path, ({ req, res }) => {
          const url = urlOf(req) ?? new URL(path, 'http://localhost');
          serve(route, req, res, url);
        });
      }
    },
    paths: [...routes.keys()],
    metrics,
    probe,
    instrumentStorage: (map, storage) => metrics.instrumentStorage(map, storage),
    nodeReport,
    clusterReport,
    metricsText,
    close() {
      probe?.close();
    },
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...COMMON_HEADERS, ...headers, 'content-length': String(body.byteLength) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  send(req, res, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, Buffer.from(JSON.stringify(value), 'utf8'));
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  send(req, res, status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, Buffer.from(JSON.stringify({ error: { code, message } }), 'utf8'));
}
