/**
 * The key-value routes of the HTTP API (design §8): `PUT/GET/DELETE /kv/<key>` and `GET /kv?prefix=&limit=&after=`.
 *
 * `POST /kv` applies a batch — `{ "ops": [{ "type": "put", "key", "value" } | { "type": "delete", "key" }] }` — as one
 * log record and one delta, all or nothing (the map's `batch`).
 *
 * The key is the rest of the path, percent-decoded (so `/kv/users/1` is the key `users/1`); `?map=` picks the
 * map (default `default`, opened on first use, bounded by the node's `mapsMax`). Values are JSON. A write answers
 * once it is durable on this node (the map's fsync policy); replication is asynchronous.
 */
import type { BatchOp, ReplicatedMap } from '@rumor/map';
import { NodeError, NodeErrorCode } from '../errors.js';
import { intParam, readJsonBody, sendError, sendJson } from './respond.js';
import type { RouteContext, Router } from './router.js';
import type { HttpNode } from './server.js';

/** The map used when a request names none. */
export const DEFAULT_MAP = 'default';

/** Add the `/kv` routes. */
export function addKvRoutes(router: Router, node: HttpNode, limits: { bodyBytesMax: number; scanLimitMax: number; batchOpsMax: number }): void {
  const mapOf = (url: URL): Promise<ReplicatedMap> => node.map(url.searchParams.get('map') ?? DEFAULT_MAP);

  function keyOf(ctx: RouteContext): string {
    let key: string;
    try {
      key = decodeURIComponent(ctx.rest);
    } catch {
      throw new NodeError(NodeErrorCode.badRequest, 'the key in the path is not valid percent-encoding');
    }
    if (key.length === 0) throw new NodeError(NodeErrorCode.badRequest, 'no key: use /kv/<key>, or GET /kv?prefix= to list');
    return key;
  }

  router.route('PUT', '/kv/*', async (ctx) => {
    const key = keyOf(ctx);
    const body = await readJsonBody(ctx.req, limits.bodyBytesMax);
    if (!body.ok) return sendError(ctx.res, body.error);
    const map = await mapOf(ctx.url);
    await map.put(key, body.value);
    const meta = map.getWithMeta(key);
    sendJson(ctx.res, 200, { map: map.name, key, hlc: meta?.hlc, writer: meta?.writer });
  });

  router.route('GET', '/kv/*', async (ctx) => {
    const key = keyOf(ctx);
    const map = await mapOf(ctx.url);
    const meta = ctx.url.searchParams.has('meta') && ctx.url.searchParams.get('meta') !== 'false';
    if (meta) {
      const m = map.getWithMeta(key);
      if (m === undefined) return sendError(ctx.res, { code: NodeErrorCode.keyNotFound, message: `no value for ${JSON.stringify(key)} in map ${map.name}` });
      return sendJson(ctx.res, 200, { map: map.name, key, ...m });
    }
    const value = map.get(key);
    if (value === undefined) return sendError(ctx.res, { code: NodeErrorCode.keyNotFound, message: `no value for ${JSON.stringify(key)} in map ${map.name}` });
    sendJson(ctx.res, 200, value);
  });

  router.route('DELETE', '/kv/*', async (ctx) => {
    const key = keyOf(ctx);
    const map = await mapOf(ctx.url);
    const deleted = await map.delete(key);
    sendJson(ctx.res, 200, { map: map.name, key, deleted });
  });

  router.route('POST', '/kv', async (ctx) => {
    const body = await readJsonBody(ctx.req, limits.bodyBytesMax);
    if (!body.ok) return sendError(ctx.res, body.error);
    const ops = parseOps(body.value, limits.batchOpsMax);
    const map = await mapOf(ctx.url);
    await map.batch(ops);
    sendJson(ctx.res, 200, { map: map.name, ops: ops.length });
  });

  router.route('GET', '/kv', async (ctx) => {
    const limit = intParam(ctx.url, 'limit', Math.min(100, limits.scanLimitMax), limits.scanLimitMax);
    if (!limit.ok) return sendError(ctx.res, limit.error);
    const prefix = ctx.url.searchParams.get('prefix') ?? '';
    const after = ctx.url.searchParams.get('after') ?? undefined;
    const map = await mapOf(ctx.url);
    // One more than asked tells whether there is a next page without a second scan.
    const rows = map.scan(prefix, { limit: limit.value + 1, ...(after !== undefined ? { after } : {}) });
    const more = rows.length > limit.value;
    const items = rows.slice(0, limit.value).map(([key, value]) => ({ key, value }));
    sendJson(ctx.res, 200, { map: map.name, prefix, items, ...(more ? { next: items.at(-1)?.key } : {}) });
  });
}

/** Check a batch body (untrusted) and turn it into map operations. */
function parseOps(body: unknown, opsMax: number): BatchOp<unknown>[] {
  const list = (body as { ops?: unknown } | null)?.ops;
  if (!Array.isArray(list)) throw new NodeError(NodeErrorCode.badRequest, 'a batch is {"ops": [{"type":"put","key":…,"value":…} | {"type":"delete","key":…}]}');
  if (list.length > opsMax) throw new NodeError(NodeErrorCode.badRequest, `a batch holds at most ${opsMax} operations, got ${list.length}`);
  return list.map((op: unknown, i): BatchOp<unknown> => {
    const o = op as { type?: unknown; key?: unknown; value?: unknown } | null;
    if (typeof o?.key !== 'string') throw new NodeError(NodeErrorCode.badRequest, `ops[${i}].key must be a string`);
    if (o.type === 'put' && 'value' in o) return { type: 'put', key: o.key, value: o.value };
    if (o.type === 'delete') return { type: 'delete', key: o.key };
    throw new NodeError(NodeErrorCode.badRequest, `ops[${i}] must be {"type":"put","key","value"} or {"type":"delete","key"}`);
  });
}
