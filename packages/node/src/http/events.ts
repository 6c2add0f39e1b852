/**
 * The change stream of the HTTP API: `GET /events?prefix=&map=` as Server-Sent Events.
 *
 * Each change of a key's resolved value under the prefix (local or remote, as the map's `subscribe` reports it) is
 * one event `change` with data `{ map, key, value, previous, origin }` (`value` absent = deleted). Bounded: at most
 * `streamsMax` streams; a client that lets more than `streamLagBytesMax` pile up unsent is disconnected (it can
 * reconnect and re-read with `GET /kv`) rather than growing the node's memory. A comment line every
 * `streamHeartbeatMs` keeps proxies from timing the stream out.
 */
import type { ServerResponse } from 'node:http';
import { NodeErrorCode } from '../errors.js';
import { sendError, toJson } from './respond.js';
import type { Router } from './router.js';
import type { HttpNode } from './server.js';
import { DEFAULT_MAP } from './kv.js';

/** Bounds of the event streams. */
export interface StreamLimits {
  streamsMax: number;
  streamLagBytesMax: number;
  streamHeartbeatMs: number;
}

/** Open streams, so that the server can end them on close. */
export interface Streams {
  count(): number;
  /** End every stream. */
  endAll(): void;
}

/** Add `GET /events`. */
export function addEventRoutes(router: Router, node: HttpNode, limits: StreamLimits): Streams {
  const open = new Set<(stalled?: boolean) => void>();

  router.route('GET', '/events', async ({ res, url }) => {
    if (open.size >= limits.streamsMax) {
      return sendError(res, { code: NodeErrorCode.tooManyStreams, message: `${limits.streamsMax} event streams are open (streamsMax)` });
    }
    const map = await node.map(url.searchParams.get('map') ?? DEFAULT_MAP);
    const prefix = url.searchParams.get('prefix') ?? '';
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`: rumor change stream, map ${JSON.stringify(map.name)}, prefix ${JSON.stringify(prefix)}\n\n`);
    let seq = 0;
    let ended = false;
    const write = (chunk: string): void => {
      if (ended) return;
      if (res.writableLength > limits.streamLagBytesMax) return end(true); // a stalled reader: drop it
      res.write(chunk);
    };
    const unsubscribe = map.subscribe(prefix, (e) => {
      const data: Record<string, unknown> = { map: map.name, key: e.key, origin: e.origin };
      if (e.value !== undefined) data.value = e.value;
      if (e.previous !== undefined) data.previous = e.previous;
      write(`id: ${++seq}\nevent: change\ndata: ${toJson(data)}\n\n`);
    });
    const heartbeat = setInterval(() => write(': ping\n\n'), limits.streamHeartbeatMs);
    function end(stalled = false): void {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
      if (stalled) res.destroy();
      else endResponse(res);
    }
    open.add(end);
    res.on('close', () => end());
    res.on('error', () => end());
  });

  return {
    count: () => open.size,
    endAll() {
      for (const end of [...open]) end();
    },
  };
}

function endResponse(res: ServerResponse): void {
  if (res.writableEnded) return;
  res.end();
}
