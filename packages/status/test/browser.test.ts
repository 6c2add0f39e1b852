/// <reference lib="dom" />
/**
 * The status page in headless Chromium (Debian's, driven by playwright-core): a real 5-node cluster — one node
 * with a hostile id — drawn as a graph whose nodes and links are the nodes' real active views; clicking a node
 * shows its status; nothing a peer named runs as code. Then 50 simulated nodes, to see the graph stays readable.
 * Screenshots go to test-artifacts/ (gitignored) at the repository root.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, until, type StatusCluster } from './nodes.js';
import { simStatusCluster } from './sim.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-artifacts');
const HOSTILE = '<img src=x onerror="window.__xss=1">';
const IDS = ['alpha', 'beta', HOSTILE, 'δ-node', 'epsilon'];

let browser: Browser;
beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
});

interface Drawn {
  nodes: { id: string; state: string; x: number; y: number; r: number }[];
  edges: { a: string; b: string; kind: string }[];
}

/** What the SVG shows, read back from the DOM attributes. */
function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => ({
    nodes: [...document.querySelectorAll('#graph .node')].map((g) => {
      const c = g.querySelector('circle')!;
      return { id: g.getAttribute('data-id')!, state: g.getAttribute('data-state')!, x: Number(c.getAttribute('cx')), y: Number(c.getAttribute('cy')), r: Number(c.getAttribute('r')) };
    }),
    edges: [...document.querySelectorAll('#graph .edge')].map((e) => ({ a: e.getAttribute('data-a')!, b: e.getAttribute('data-b')!, kind: e.getAttribute('data-kind')! })),
  }));
}

describe('the status page, 5 real nodes', () => {
  let cluster: StatusCluster;
  beforeAll(async () => {
    cluster = await startCluster(IDS);
    const map = await cluster.nodes[0]!.node.map<number>('default');
    for (let i = 0; i < 20; i++) await map.put(`key-${i}`, i);
    await map.delete('key-3');
  });
  afterAll(() => cluster?.close());

  it('draws the 5 nodes and their real active links, shows a clicked node, and runs nothing a peer named', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(cluster.nodes[0]!.url + '/');
      await page.waitForFunction(() => document.querySelectorAll('#graph .node').length === 5, undefined, { timeout: 20_000 });
      // This node's own panels.
      await page.waitForFunction(() => document.getElementById('node-id')!.textContent === 'alpha');
      const own = cluster.nodes[0]!.node.peers().active.map((p) => p.id).sort();
      expect((await page.locator('#active li[data-peer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-peer')!))).sort()).toEqual(own);
      await until('the replicated keys on the page', async () => (await page.locator('#maps tr[data-map="default"] td').nth(1).textContent()) === '19', 10_000);

      // The graph: every node, and exactly the real active links. HyParView keeps filling the active views of a
      // young cluster for a few rounds; the page refreshes live, so wait until what it draws is what the nodes
      // hold at that moment.
      const linksDrawn = (g: Drawn): string[] => g.edges.map((e) => [e.a, e.b].sort().join('|')).sort();
      const g = await until('the drawn links to be the real active views', async () => {
        const d = await drawn(page);
        return JSON.stringify(linksDrawn(d)) === JSON.stringify(cluster.links()) ? d : undefined;
      }, 40_000);
      expect(g.nodes.map((n) => n.id).sort()).toEqual([...IDS].sort());
      expect(g.nodes.filter((n) => n.state !== 'ok')).toEqual([]);
      expect(linksDrawn(g).length).toBeGreaterThanOrEqual(4); // connected: at least a spanning tree's worth
      expect(g.edges.every((e) => ['eager', 'lazy', 'mixed'].includes(e.kind))).toBe(true);
      // The hostile id is drawn as text.
      const label = await page.evaluate((id) => {
        const g = [...document.querySelectorAll('#graph .node')].find((e) => e.getAttribute('data-id') === id)!;
        return { text: g.querySelector('text')!.textContent, title: g.querySelector('title')!.textContent };
      }, HOSTILE);
      expect(label).toEqual({ text: `${HOSTILE.slice(0, 19)}…`, title: `${HOSTILE} — ok` });

      // Click the hostile node: its status appears, with its real active view.
      const hostile = cluster.nodes[2]!.node;
      const handles = await page.locator('#graph .node').elementHandles();
      for (const h of handles) if ((await h.getAttribute('data-id')) === HOSTILE) await h.click();
      await page.waitForFunction((id) => document.getElementById('detail-id')!.textContent === id, HOSTILE);
      // The overlay may still gain a link between drawing and clicking (a young cluster keeps filling): wait until the
      // panel, which refreshes live, shows what the node holds at that moment.
      const readRows = async () => page.locator('#detail tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      const rows = await until('the clicked node\'s panel to show its real active view', async () => {
        const r = await readRows();
        const activeRow = r.find((row) => row[0]!.startsWith('active view'));
        const shown = activeRow?.[1]?.split(', ').sort() ?? [];
        return JSON.stringify(shown) === JSON.stringify(hostile.peers().active.map((p) => p.id).sort()) ? r : undefined;
      }, 20_000);
      expect(rows.find((r) => r[0] === 'state')![1]).toBe('ok');
      expect(await page.locator('#graph .node.selected').getAttribute('data-id')).toBe(HOSTILE);

      // Nothing ran, no element was made from the id.
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});

describe('the status page, 50 simulated nodes', () => {
  let server: Server | undefined;
  let pump: NodeJS.Timeout | undefined;
  afterAll(async () => {
    clearInterval(pump);
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('keeps 50 nodes apart and draws every link', async () => {
    const c = simStatusCluster(50, 7, {}, (i) => `node-${String(i).padStart(2, '0')}`);
    const service = c.nodes[0]!.service;
    server = createServer((req, res) => {
      if (!service.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    // Virtual time runs alongside real time, so the page's requests see the cluster answer.
    pump = setInterval(() => c.sim.run({ forMs: 20 }), 10);
    const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.querySelectorAll('#graph .node').length === 50, undefined, { timeout: 20_000 });
      // Exactly the real links. The overlay is never frozen (HyParView fills short active views every round, and
      // the pump keeps virtual time running), so a link may change between the gather the page drew and this
      // read: wait until what is drawn is what the nodes hold at that moment (the page re-asks every 5 s).
      const linksDrawn = (g: Drawn): string[] => g.edges.map((e) => [e.a, e.b].sort().join('|')).sort();
      const g = await until('the drawn links to be the real active views', async () => {
        const d = await drawn(page);
        return JSON.stringify(linksDrawn(d)) === JSON.stringify(c.realLinks()) ? d : undefined;
      }, 40_000);
      expect(g.nodes).toHaveLength(50);
      // Readable: no two node discs overlap.
      for (let i = 0; i < g.nodes.length; i++) {
        for (let j = i + 1; j < g.nodes.length; j++) {
          const [p, q] = [g.nodes[i]!, g.nodes[j]!];
          expect(Math.hypot(p.x - q.x, p.y - q.y), `${p.id} and ${q.id}`).toBeGreaterThan(p.r + q.r);
        }
      }
      await page.locator('#graph .node[data-id="node-13"]').click();
      await page.waitForFunction(() => document.getElementById('detail-id')!.textContent === 'node-13');
      await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-50.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
