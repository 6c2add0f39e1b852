/**
 * The status service on three real nodes over HTTP: `/metrics` scraped and parsed by the text format's rules and
 * checked against the nodes' own status, the JSON endpoints, the page's headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReport, NodeReport } from '@rumor/status';
import { parsePrometheusText, sampleValue } from './prom-parser.js';
import { startCluster, until, type StatusCluster } from './nodes.js';

let cluster: StatusCluster;
beforeAll(async () => {
  cluster = await startCluster(['alpha', 'beta', 'gamma']);
  const [a, b] = cluster.nodes;
  const map = await a!.node.map<string>('default');
  for (let i = 0; i < 5; i++) await map.put(`k${i}`, `v${i}`);
  await map.delete('k0');
  const remote = await b!.node.map<string>('default');
  await until('the writes to replicate', () => remote.has('k4') && !remote.has('k0'));
});
afterAll(() => cluster?.close());

const get = (base: string, path: string, init?: RequestInit) => fetch(new URL(path, base), init);

describe('GET /metrics', () => {
  it('is the Prometheus text format, and says what the nodes say', async () => {
    for (const { node, url } of cluster.nodes) {
      const res = await get(url, '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const f = parsePrometheusText(await res.text());
      const s = node.status();
      for (const family of f.values()) {
        expect(family.help, family.name).toBeTruthy();
        expect(['counter', 'gauge', 'histogram']).toContain(family.type);
      }
      // Every layer is there.
      for (const name of [
        'rumor_carrier_messages_total',
        'rumor_carrier_bytes_total',
        'rumor_carrier_backpressure_total',
        'rumor_carrier_send_queue_bytes',
        'rumor_membership_messages_total',
        'rumor_membership_view_size',
        'rumor_broadcast_messages_total',
        'rumor_broadcast_duplicates_total',
        'rumor_broadcast_grafts_total',
        'rumor_broadcast_queued',
        'rumor_replica_transfer_bytes_total',
        'rumor_map_keys',
        'rumor_map_tombstones',
        'rumor_wal_fsyncs_total',
        'rumor_wal_fsync_seconds',
        'rumor_rejected_total',
      ]) {
        expect(f.has(name), name).toBe(true);
      }
      expect(f.get('rumor_wal_fsync_seconds')!.type).toBe('histogram');
      expect(sampleValue(f, 'rumor_node_info', { id: node.id, cluster: 'rumor' })).toBe(1);
      expect(sampleValue(f, 'rumor_membership_view_size', { view: 'active' })).toBe(s.views.active.length);
      expect(sampleValue(f, 'rumor_map_keys', { map: 'default' })).toBe(4);
      expect(sampleValue(f, 'rumor_map_tombstones', { map: 'default' })).toBe(s.maps.default!.tombstones);
      // Counters scraped before this status() cannot exceed it, and traffic did flow.
      const out = sampleValue(f, 'rumor_carrier_messages_total', { direction: 'out' });
      expect(out).toBeGreaterThan(0);
      expect(out).toBeLessThanOrEqual(s.carrier.messagesOut);
      const membershipOut = f.get('rumor_membership_messages_total')!.samples.filter((x) => x.labels.direction === 'out');
      expect(membershipOut.reduce((a, x) => a + x.value, 0)).toBeGreaterThan(0);
      for (const x of membershipOut) expect(x.value).toBeLessThanOrEqual(s.membership.sent[x.labels.type!]!);
    }
    // The writer fsynced its log; when the node mounts the service it also times those fsyncs.
    const writer = parsePrometheusText(await (await get(cluster.nodes[0]!.url, '/metrics')).text());
    const fsyncs = sampleValue(writer, 'rumor_wal_fsyncs_total', { map: 'default' });
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    if (cluster.mountedByNode) {
      expect(sampleValue(writer, 'rumor_wal_fsync_seconds', { map: 'default' }, 'rumor_wal_fsync_seconds_count')).toBeGreaterThanOrEqual(fsyncs);
    }
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    const res = await get(cluster.nodes[0]!.url, '/metrics', { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: expect.any(String) } });
  });
});

describe('GET /status/node and /status/cluster', () => {
  it('reports this node as its peers() and status() do', async () => {
    const { node, url } = cluster.nodes[1]!;
    const r = (await (await get(url, '/status/node')).json()) as NodeReport;
    const peers = node.peers();
    expect(r.id).toBe('beta');
    expect(r.active.map((p) => p.id).sort()).toEqual(peers.active.map((p) => p.id).sort());
    expect(r.active.every((p) => ['eager', 'lazy'].includes(p.role))).toBe(true);
    expect(r.maps.find((m) => m.name === 'default')).toMatchObject({ keys: 4, tombstones: node.status().maps.default!.tombstones });
    expect(r.health).toBe('ok');
  });

  it('draws the cluster every node learnt through the overlay', async () => {
    for (const { url } of cluster.nodes) {
      // The active views of a young cluster may still be filling; the view must catch up with them.
      const c = await until('the cluster view to show the real active links', async () => {
        const r = (await (await get(url, '/status/cluster')).json()) as ClusterReport;
        return JSON.stringify(r.edges.map((e) => `${e.a}|${e.b}`).sort()) === JSON.stringify(cluster.links()) ? r : undefined;
      });
      expect(c.complete).toBe(true);
      expect(c.nodes.map((n) => n.id).sort()).toEqual(['alpha', 'beta', 'gamma']);
      expect(c.nodes.every((n) => n.state === 'ok' && n.card !== undefined)).toBe(true);
      for (const n of c.nodes) {
        expect(n.x).toBeGreaterThanOrEqual(0);
        expect(n.x).toBeLessThanOrEqual(c.width);
        expect(n.y).toBeGreaterThanOrEqual(0);
        expect(n.y).toBeLessThanOrEqual(c.height);
      }
    }
  });
});

describe('GET / and its assets', () => {
  it('serves the page under a strict Content-Security-Policy, and HEAD without a body', async () => {
    const { url } = cluster.nodes[0]!;
    const page = await get(url, '/');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<svg id="graph"');
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script: the CSP would block it anyway
    const js = await get(url, '/status/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    const head = await get(url, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
