/**
 * The raw-ws ceiling of the cluster benchmark (bench/cluster.bench.ts): one process per "node" with the same HTTP
 * surface the benchmark uses on Rumor — `PUT /kv/<key>` and the `GET /events` change stream — but nothing else: a
 * put is sent as one JSON text frame to every other process over a full mesh of bare `ws` connections and answered
 * at once. No membership, no broadcast tree, no CRDT, no log, no fsync: the floor of what moving a write to every
 * process over loopback WebSockets costs on this machine.
 *
 * Run as `node cluster-raw-peer.js`; prints `READY {"ws","http"}`. `POST /connect` with a JSON list of ws
 * addresses dials them; `GET /peers` answers `{ "links": n }`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

const links = new Set<WebSocket>();
const streams = new Set<ServerResponse>();

function emit(key: string, value: unknown, origin: 'local' | 'remote'): void {
  const line = `event: change\ndata: ${JSON.stringify({ key, value, origin })}\n\n`;
  for (const s of streams) s.write(line);
}

function adopt(ws: WebSocket): void {
  links.add(ws);
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { k: string; v: unknown };
    emit(m.k, m.v, 'remote');
  });
  ws.on('close', () => links.delete(ws));
  ws.on('error', () => links.delete(ws));
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', adopt);
await new Promise<void>((r) => wss.once('listening', () => r()));

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'PUT' && url.pathname.startsWith('/kv/')) {
      const key = decodeURIComponent(url.pathname.slice(4));
      const value = JSON.parse(body) as unknown;
      const frame = JSON.stringify({ k: key, v: value });
      for (const l of links) l.send(frame);
      emit(key, value, 'local');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': raw\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
    } else if (req.method === 'POST' && url.pathname === '/connect') {
      for (const address of JSON.parse(body) as string[]) {
        const ws = new WebSocket(address);
        ws.once('open', () => adopt(ws));
      }
      res.writeHead(200).end('{}');
    } else if (req.method === 'GET' && url.pathname === '/peers') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ links: links.size }));
    } else res.writeHead(404).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const ws = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const http = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.stdout.write(`READY ${JSON.stringify({ ws, http })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
