/**
 * Real nodes (`createNode`: WebSocket carrier, HyParView, Plumtree, replica driver, maps with WALs on disk) on
 * loopback, each serving the status service over HTTP. When the node mounts the service itself (it runs the
 * `rumor.status` instance), its own HTTP API is used; until then the test mounts it on a server of its own with
 * `createStatusService(…).handle` — the same service either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createNode, type RumorNode } from '@rumor/node';
import { createStatusService, STATUS_INSTANCE, type StatusService } from '@rumor/status';

export interface StatusNode {
  node: RumorNode;
  /** Base URL serving `/`, `/metrics`, `/status/*`. */
  url: string;
  /** The service, when the test mounted it (undefined when the node mounts its own). */
  service: StatusService | undefined;
}

export interface StatusCluster {
  nodes: StatusNode[];
  /** True when the nodes mount the status service themselves. */
  mountedByNode: boolean;
  /** Undirected active links, sorted "a|b" strings (ids sorted inside a pair). */
  links(): string[];
  close(): Promise<void>;
}

/** Poll `check` until truthy or fail after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function linksOf(nodes: RumorNode[]): string[] {
  const links = new Set<string>();
  for (const n of nodes) for (const p of n.stack.membership.activeView()) links.add([n.id, p].sort().join('|'));
  return [...links].sort();
}

/** Whether every active link is reported by both ends and every node has a peer. */
function quiet(nodes: RumorNode[]): boolean {
  const ids = new Set(nodes.map((n) => n.id as string));
  for (const n of nodes) {
    const active = n.stack.membership.activeView();
    if (active.length === 0) return false;
    for (const p of active) {
      if (!ids.has(p)) return false;
      if (!nodes.find((m) => m.id === p)!.stack.membership.activeView().includes(n.id)) return false;
    }
  }
  return true;
}

/** Start nodes with these ids, all joining through the first, and wait until the overlay is quiet. */
export async function startCluster(ids: readonly string[]): Promise<StatusCluster> {
  const root = mkdtempSync(path.join(tmpdir(), 'rumor-status-'));
  const nodes: StatusNode[] = [];
  const servers: Server[] = [];
  let mountedByNode = false;
  const close = async (): Promise<void> => {
    for (const n of nodes) n.service?.close();
    await Promise.allSettled(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    servers.forEach((s) => s.closeAllConnections());
    await Promise.allSettled(nodes.map((n) => n.node.close()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (const [i, id] of ids.entries()) {
      const node = await createNode({
        id,
        dataDir: path.join(root, `n${i}`),
        http: {},
        seeds: i === 0 ? [] : [nodes[0]!.node.address],
        fsync: 'always',
        antiEntropyIntervalMs: 2000,
      });
      if (node.stack.replicas.replica(STATUS_INSTANCE) !== undefined) {
        mountedByNode = true;
        nodes.push({ node, url: node.httpAddress!, service: undefined });
        continue;
      }
      const service = createStatusService({}, { source: node, driver: node.stack.replicas });
      const server = createServer((req, res) => {
        if (!service.handle(req, res)) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"test.not-found","message":"not a status route"}}');
        }
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      nodes.push({ node, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, service });
    }
    const all = nodes.map((n) => n.node);
    await until('a quiet overlay', () => quiet(all), 30_000);
    return { nodes, mountedByNode, links: () => linksOf(all), close };
  } catch (error) {
    await close();
    throw error;
  }
}
