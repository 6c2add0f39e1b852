/**
 * The HTTP API's route table: exact paths and path prefixes, one handler per (method, path). Kept apart from the
 * routes so later modules (the status page: `GET /`, `GET /metrics`) add theirs with `route()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler gets: the request, the response, the parsed URL and the path after a prefix route's prefix. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** For prefix routes: the (still percent-encoded) rest of the path after the prefix. */
  rest: string;
}

/** A route handler; a throw or rejection is answered as a JSON error by the server. */
export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

/** A route's options. */
export interface RouteOptions {
  /** Needs the bearer token when one is configured (writes). Default: true for PUT/POST/DELETE, false otherwise. */
  write?: boolean;
}

interface Route {
  method: string;
  handler: RouteHandler;
  write: boolean;
}

/** The outcome of matching a request. */
export type Match = { kind: 'found'; route: Route; rest: string } | { kind: 'method'; allowed: string[] } | { kind: 'none' };

/** A route table. */
export interface Router {
  /** Add a route for `path` exactly, or for every path under it when `path` ends with `/*`. */
  route(method: string, path: string, handler: RouteHandler, options?: RouteOptions): void;
  match(method: string, pathname: string): Match;
}

/** Create an empty route table. */
export function createRouter(): Router {
  const exact = new Map<string, Route[]>();
  const prefixes: Array<{ prefix: string; routes: Route[] }> = [];
  return {
    route(method, path, handler, options = {}) {
      const m = method.toUpperCase();
      const route: Route = { method: m, handler, write: options.write ?? ['PUT', 'POST', 'DELETE', 'PATCH'].includes(m) };
      let routes: Route[];
      if (path.endsWith('/*')) {
        const prefix = path.slice(0, -1);
        let entry = prefixes.find((p) => p.prefix === prefix);
        if (entry === undefined) {
          entry = { prefix, routes: [] };
          prefixes.push(entry);
          prefixes.sort((a, b) => b.prefix.length - a.prefix.length); // longest prefix first
        }
        routes = entry.routes;
      } else {
        routes = exact.get(path) ?? [];
        exact.set(path, routes);
      }
      if (routes.some((r) => r.method === m)) throw new Error(`route ${m} ${path} is already defined`);
      routes.push(route);
    },
    match(method, pathname) {
      const pick = (routes: Route[], rest: string): Match => {
        const m = method === 'HEAD' ? 'GET' : method;
        const route = routes.find((r) => r.method === m);
        return route ? { kind: 'found', route, rest } : { kind: 'method', allowed: routes.map((r) => r.method) };
      };
      const routes = exact.get(pathname);
      if (routes !== undefined) return pick(routes, '');
      for (const p of prefixes) if (pathname.startsWith(p.prefix)) return pick(p.routes, pathname.slice(p.prefix.length));
      return { kind: 'none' };
    },
  };
}
