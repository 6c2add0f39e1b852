import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CARD_VERSION, clusterGraph, graphOf, layoutGraph, type ClusterView, type StatusCard } from '@rumor/status';

function card(id: string, active: string[], eager: string[] = active, lazy: string[] = [], health: StatusCard['health'] = 'ok'): StatusCard {
  return { v: CARD_VERSION, id, cluster: 'c', health, reasons: [], uptimeMs: 1, active, passiveCount: 0, eager, lazy, maps: 0, keys: 0, tombstones: 0, antiEntropyRounds: 0, rejected: 0 };
}

function view(cards: StatusCard[], stale: string[] = [], self = cards[0]!.id): ClusterView {
  const members = cards.map((c) => ({ id: c.id, card: c, seenAt: 0, fresh: !stale.includes(c.id) }));
  const known = new Set(cards.map((c) => c.id));
  for (const c of cards) for (const p of c.active) if (!known.has(p)) (known.add(p), members.push({ id: p, card: undefined as never, seenAt: undefined as never, fresh: false }));
  return { self, at: 0, askedAt: 0, complete: true, members: members.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

describe('graphOf', () => {
  it('classifies each link once by the broadcast roles both ends report', () => {
    const g = graphOf(
      view([
        card('a', ['b', 'c', 'd', 'x'], ['b', 'x'], ['c', 'd']),
        card('b', ['a', 'c'], ['a'], ['c']),
        card('c', ['a', 'b'], ['a'], ['b']), // a says lazy, c says eager: a PRUNE in flight
        card('d', ['e'], [], ['e']), // a lists d, d does not list a
        card('e', ['d'], [], []), // no role reported yet
      ]),
    );
    expect(g.edges).toEqual([
      { a: 'a', b: 'b', kind: 'eager' },
      { a: 'a', b: 'c', kind: 'mixed' },
      { a: 'a', b: 'd', kind: 'one-way' },
      { a: 'a', b: 'x', kind: 'eager' }, // x never answered: a's side alone decides
      { a: 'b', b: 'c', kind: 'lazy' },
      { a: 'd', b: 'e', kind: 'lazy' },
    ]);
  });

  it('colours nodes by their own health, stale without a fresh answer, unknown without a card', () => {
    const g = graphOf(view([card('a', ['b', 'z']), card('b', ['a'], ['a'], [], 'degraded'), card('c', [], [], [], 'failing')], ['c']));
    expect(Object.fromEntries(g.nodes.map((n) => [n.id, [n.state, n.self]]))).toEqual({
      a: ['ok', true],
      b: ['degraded', false],
      c: ['stale', false],
      z: ['unknown', false],
    });
  });
});

describe('layoutGraph', () => {
  const box = { width: 1000, height: 700, margin: 40 };
  const inBox = (p: { x: number; y: number }) => p.x >= 0 && p.x <= box.width && p.y >= 0 && p.y <= box.height;

  const graphs = fc
    .integer({ min: 2, max: 50 })
    .chain((n) =>
      fc.record({
        n: fc.constant(n),
        edges: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: n * 3 }),
      }),
    );

  it('keeps every node in the box, apart by the label gap, deterministically', () => {
    fc.assert(
      fc.property(graphs, ({ n, edges }) => {
        const ids = Array.from({ length: n }, (_, i) => `n${i}`);
        const es = edges.filter(([a, b]) => a !== b).map(([a, b]) => ({ a: ids[a]!, b: ids[b]! }));
        const pos = layoutGraph(ids, es, box);
        expect(pos.size).toBe(n);
        const pts = ids.map((id) => pos.get(id)!);
        for (const p of pts) expect(Number.isFinite(p.x) && Number.isFinite(p.y) && inBox(p)).toBe(true);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(Math.hypot(pts[i]!.x - pts[j]!.x, pts[i]!.y - pts[j]!.y)).toBeGreaterThan(30);
        expect(layoutGraph(ids, es, box)).toEqual(pos);
      }),
      { numRuns: 40 },
    );
  });

  it('draws linked nodes closer than unlinked ones (a ring of 12 stays a ring)', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    const pos = layoutGraph(ids, ids.map((a, i) => ({ a, b: ids[(i + 1) % 12]! })), box);
    const d = (i: number, j: number) => Math.hypot(pos.get(ids[i]!)!.x - pos.get(ids[j]!)!.x, pos.get(ids[i]!)!.y - pos.get(ids[j]!)!.y);
    for (let i = 0; i < 12; i++) expect(d(i, (i + 1) % 12)).toBeLessThan(d(i, (i + 6) % 12));
  });

  it('moves little on a refresh of the same graph, and places a newcomer without upsetting the rest', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    const edges = ids.flatMap((a, i) => [{ a, b: ids[(i + 1) % 30]! }, { a, b: ids[(i * 7 + 3) % 30]! }]).filter((e) => e.a !== e.b);
    const first = layoutGraph(ids, edges, box);
    const again = layoutGraph(ids, edges, box, first);
    const shift = (a: Map<string, { x: number; y: number }>, b: Map<string, { x: number; y: number }>, keys: string[]) =>
      Math.max(...keys.map((k) => Math.hypot(a.get(k)!.x - b.get(k)!.x, a.get(k)!.y - b.get(k)!.y)));
    expect(shift(first, again, ids)).toBeLessThan(10);
    const grown = layoutGraph([...ids, 'new'], [...edges, { a: 'new', b: 'm4' }], box, again);
    expect(grown.size).toBe(31);
    // The box was full, so the picture may be rescaled to make room: compare shapes (centred, unit RMS radius).
    const shape = (m: Map<string, { x: number; y: number }>) => {
      const pts = ids.map((k) => m.get(k)!);
      const cx = pts.reduce((a, p) => a + p.x, 0) / pts.length;
      const cy = pts.reduce((a, p) => a + p.y, 0) / pts.length;
      const r = Math.sqrt(pts.reduce((a, p) => a + (p.x - cx) ** 2 + (p.y - cy) ** 2, 0) / pts.length);
      return new Map(ids.map((k) => [k, { x: (m.get(k)!.x - cx) / r, y: (m.get(k)!.y - cy) / r }]));
    };
    const [before, after] = [shape(again), shape(grown)];
    const moves = ids.map((k) => Math.hypot(before.get(k)!.x - after.get(k)!.x, before.get(k)!.y - after.get(k)!.y)).sort((a, b) => a - b);
    expect(moves[15]!).toBeLessThan(0.1);
    expect(moves[29]!).toBeLessThan(0.3);
    const m4 = grown.get('m4')!;
    const newcomer = grown.get('new')!;
    expect(Math.hypot(m4.x - newcomer.x, m4.y - newcomer.y)).toBeLessThan(150); // placed by its neighbour
  });

  it('draws no link through a node of a full mesh, even from a start with a node in the middle', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const edges = ids.flatMap((a, i) => ids.slice(i + 1).map((b) => ({ a, b })));
    const star = new Map([['a', { x: 500, y: 200 }], ['b', { x: 300, y: 350 }], ['c', { x: 500, y: 350 }], ['d', { x: 700, y: 350 }], ['e', { x: 500, y: 520 }]]);
    for (const pos of [layoutGraph(ids, edges, box), layoutGraph(ids, edges, box, star)]) {
      for (const { a, b } of edges) {
        const [p, q] = [pos.get(a)!, pos.get(b)!];
        for (const k of ids.filter((k) => k !== a && k !== b)) {
          const r = pos.get(k)!;
          const t = Math.max(0, Math.min(1, ((r.x - p.x) * (q.x - p.x) + (r.y - p.y) * (q.y - p.y)) / ((q.x - p.x) ** 2 + (q.y - p.y) ** 2)));
          expect(Math.hypot(p.x + t * (q.x - p.x) - r.x, p.y + t * (q.y - p.y) - r.y), `${a}-${b} passes ${k}`).toBeGreaterThan(30);
        }
      }
    }
  });

  it('handles nothing, one node, and a view of 300 nodes in bounded time', () => {
    expect(layoutGraph([], [], box).size).toBe(0);
    expect(layoutGraph(['solo'], [], box).get('solo')).toEqual({ x: 500, y: 350 });
    const ids = Array.from({ length: 300 }, (_, i) => `b${i}`);
    const start = performance.now();
    const pos = layoutGraph(ids, ids.map((a, i) => ({ a, b: ids[(i * 13 + 1) % 300]! })), box);
    expect(pos.size).toBe(300);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

describe('clusterGraph', () => {
  it('gives every node of the view a position and keeps the edges', () => {
    const g = clusterGraph(view([card('a', ['b']), card('b', ['a', 'c']), card('c', ['b'])]));
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(g.nodes.every((n) => Number.isFinite(n.x) && Number.isFinite(n.y))).toBe(true);
    expect(g.edges.map((e) => `${e.a}|${e.b}`)).toEqual(['a|b', 'b|c']);
  });
});
