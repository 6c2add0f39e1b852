/**
 * Layout of the cluster graph: stress majorization over hop distances (Gansner, Koren, North 2004 — the approach of
 * Graphviz's neato), started from classical MDS and from a circle (fewer links drawn through nodes wins, then the
 * lower stress), or warm-started from the previous positions so that a refresh moves nodes little; then fitted into
 * the drawing box and nodes closer than a label's room pushed apart. Deterministic (no randomness), O(n²) per
 * iteration and bounded in total work, which is nothing at the cluster sizes a page can show.
 */

/** A point of the layout. */
export interface Point {
  x: number;
  y: number;
}

/** Options of the layout; each has a default. */
export interface LayoutInit {
  /** Drawing box. Default 1000 × 700. */
  width?: number;
  height?: number;
  /** Free border inside the box. Default 40. */
  margin?: number;
  /** Most stress-majorization iterations (it stops once converged). Default 1 000 from scratch, 50 from a previous layout; fewer for views too large to afford them. */
  iterations?: number;
  /** Closest two node centres may be, in pixels (room for the labels). Default 34. */
  nodeGapMin?: number;
  /** Longest a one-hop link is drawn, in pixels (a small cluster is not blown up to the whole box). Default 280. */
  hopPxMax?: number;
}

/** Pair visits one layout may spend (bounds iterations for large views). */
const WORK_MAX = 1e7;

/** Place `ids` linked by `edges` in the box; `previous` positions (of an earlier call) seed a warm start. */
export function layoutGraph(
  ids: readonly string[],
  edges: readonly { a: string; b: string }[],
  init: LayoutInit = {},
  previous?: ReadonlyMap<string, Point>,
): Map<string, Point> {
  const width = init.width ?? 1000;
  const height = init.height ?? 700;
  const margin = init.margin ?? 40;
  const gap = init.nodeGapMin ?? 34;
  const hopPxMax = init.hopPxMax ?? 280;
  // A fresh fit leaves this much room inside the margin, so that a node joining later fits without a rescale.
  const slack = 0.06 * Math.min(width, height);
  const n = ids.length;
  const out = new Map<string, Point>();
  if (n === 0) return out;
  if (n === 1) return out.set(ids[0]!, { x: width / 2, y: height / 2 });

  const index = new Map(ids.map((id, i) => [id, i]));
  const adj: number[][] = ids.map(() => []);
  for (const e of edges) {
    const i = index.get(e.a);
    const j = index.get(e.b);
    if (i === undefined || j === undefined || i === j) continue;
    adj[i]!.push(j);
    adj[j]!.push(i);
  }
  const d = hopDistances(adj);

  // Bounded work: about WORK_MAX pair visits, however large the view (a thousand nodes still lay out in ~0.1 s).
  const affordable = Math.max(5, Math.floor(WORK_MAX / (n * n)));
  const links = adj.flatMap((peers, i) => peers.filter((j) => j > i).map((j) => [i, j] as const));
  const cold = coldLayout(d, n, links, Math.min(init.iterations ?? 1000, Math.max(5, Math.floor(affordable / 3))));

  // Start from the previous layout when most nodes have a place in it, so refreshes move little and a change in the
  // graph moves the picture gradually over a few refreshes; unless that got stuck with more links through nodes,
  // or far above the stress, of a fresh layout (the graph changed a lot), when the fresh one is drawn instead.
  const placed = previous === undefined ? 0 : ids.filter((id) => previous.has(id)).length;
  let warm = previous !== undefined && placed >= Math.max(2, 0.75 * n);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let pxPerHop: number | undefined;
  if (warm) {
    pxPerHop = seedFromPrevious(ids, previous!, d, adj, xs, ys);
    // Newcomers first find their place among the others held still, so that they do not shove everybody.
    const fresh = ids.map((id) => !previous!.has(id));
    if (fresh.some(Boolean)) stressMajorization(d, n, xs, ys, Math.min(100, affordable), fresh);
    stressMajorization(d, n, xs, ys, Math.min(init.iterations ?? 50, affordable));
    if (overlaps(links, xs, ys) > 1.5 * overlaps(links, cold.xs, cold.ys) + 1 || stress(d, n, xs, ys) > 1.2 * stress(d, n, cold.xs, cold.ys) + 0.05) warm = false;
  }
  if (!warm) {
    pxPerHop = undefined;
    xs.set(cold.xs);
    ys.set(cold.ys);
  }
  if (pxPerHop !== undefined) {
    // Keep the previous scale and place, so what did not change stays where the eye left it; refit only when the
    // picture no longer fits the box.
    for (let i = 0; i < n; i++) {
      xs[i] = xs[i]! * pxPerHop;
      ys[i] = ys[i]! * pxPerHop;
    }
    if (!inside(xs, ys, width, height, margin)) fit(xs, ys, width, height, margin + slack, hopPxMax);
  } else fit(xs, ys, width, height, margin + slack, hopPxMax);
  separate(xs, ys, gap, width, height, margin);
  for (let i = 0; i < n; i++) out.set(ids[i]!, { x: round(xs[i]!), y: round(ys[i]!) });
  return out;
}

/**
 * A layout from scratch, from two starts; the one with fewer links drawn through nodes wins, then the lower stress.
 * Classical MDS suits most overlays; on very symmetric graphs (a full mesh of five) its axes are arbitrary and it
 * can leave a node in the middle with links through it, where a circle start finds the regular polygon.
 */
function coldLayout(d: Float64Array, n: number, links: ReadonlyArray<readonly [number, number]>, iterations: number): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  classicalMds(d, n, xs, ys, Math.min(100, Math.max(10, Math.floor(WORK_MAX / (n * n)))));
  stressMajorization(d, n, xs, ys, iterations);
  const cx = Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / n) * (n / (2 * Math.PI)));
  const cy = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / n) * (n / (2 * Math.PI)));
  stressMajorization(d, n, cx, cy, iterations);
  const [oc, om] = [overlaps(links, cx, cy), overlaps(links, xs, ys)];
  const circleWins = oc < om || (oc === om && stress(d, n, cx, cy) < stress(d, n, xs, ys) - 1e-9);
  return circleWins ? { xs: cx, ys: cy } : { xs, ys };
}

/** Links that pass within 0.1 hop of a node other than their ends (they look like they go through it). */
function overlaps(links: ReadonlyArray<readonly [number, number]>, xs: Float64Array, ys: Float64Array): number {
  let count = 0;
  for (const [a, b] of links) {
    const [ax, ay, bx, by] = [xs[a]!, ys[a]!, xs[b]!, ys[b]!];
    const [vx, vy] = [bx - ax, by - ay];
    const len2 = vx * vx + vy * vy;
    if (len2 < 1e-12) continue;
    for (let k = 0; k < xs.length; k++) {
      if (k === a || k === b) continue;
      const t = ((xs[k]! - ax) * vx + (ys[k]! - ay) * vy) / len2;
      if (t <= 0 || t >= 1) continue;
      const [px, py] = [ax + t * vx - xs[k]!, ay + t * vy - ys[k]!];
      if (px * px + py * py < 0.01) count++;
    }
  }
  return count;
}

/** The weighted stress Σ (|xi − xj| − dij)² / dij² that the layout minimises. */
function stress(d: Float64Array, n: number, xs: Float64Array, ys: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dij = d[i * n + j]!;
      const ux = xs[i]! - xs[j]!;
      const uy = ys[i]! - ys[j]!;
      sum += (Math.sqrt(ux * ux + uy * uy) - dij) ** 2 / (dij * dij);
    }
  }
  return sum;
}

/** All-pairs hop distances by BFS; pairs in different components get the largest distance plus one. */
function hopDistances(adj: readonly number[][]): Float64Array {
  const n = adj.length;
  const d = new Float64Array(n * n).fill(Infinity);
  let far = 1;
  const queue = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    d[s * n + s] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    while (head < tail) {
      const u = queue[head++]!;
      for (const v of adj[u]!) {
        if (d[s * n + v] !== Infinity) continue;
        d[s * n + v] = d[s * n + u]! + 1;
        far = Math.max(far, d[s * n + v]!);
        queue[tail++] = v;
      }
    }
  }
  for (let k = 0; k < d.length; k++) if (d[k] === Infinity) d[k] = far + 1;
  return d;
}

/** Classical MDS: the two leading eigenvectors of the double-centred squared distances, by power iteration. */
function classicalMds(d: Float64Array, n: number, xs: Float64Array, ys: Float64Array, rounds: number): void {
  const b = new Float64Array(n * n);
  const row = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[i]! += d[i * n + j]! ** 2 / n;
    all += row[i]! / n;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = -0.5 * (d[i * n + j]! ** 2 - row[i]! - row[j]! + all);
  const v1 = leadingVector(b, n, rounds, (i) => Math.cos(i * 1.3 + 0.5), undefined);
  const v2 = leadingVector(b, n, rounds, (i) => Math.sin(i * 2.1 + 0.3), v1);
  for (let i = 0; i < n; i++) {
    xs[i] = v1.vector[i]! * Math.sqrt(Math.max(v1.value, 0));
    // A small fixed wobble keeps a one-dimensional graph (a path) from staying on a line the stress step cannot leave.
    ys[i] = v2.vector[i]! * Math.sqrt(Math.max(v2.value, 0)) + 0.05 * Math.sin(i * 2.399963);
  }
}

function leadingVector(b: Float64Array, n: number, rounds: number, start: (i: number) => number, deflate: { vector: Float64Array; value: number } | undefined): { vector: Float64Array; value: number } {
  let v = new Float64Array(n).map((_, i) => start(i));
  const next = new Float64Array(n);
  let value = 0;
  for (let it = 0; it < rounds; it++) {
    if (deflate !== undefined) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i]! * deflate.vector[i]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * deflate.vector[i]!;
    }
    let norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    if (norm < 1e-12) return { vector: new Float64Array(n), value: 0 };
    for (let i = 0; i < n; i++) v[i]! /= norm;
    next.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) next[i]! += b[i * n + j]! * v[j]!;
    value = 0;
    for (let i = 0; i < n; i++) value += v[i]! * next[i]!;
    norm = Math.sqrt(next.reduce((a, x) => a + x * x, 0));
    if (norm < 1e-12) return { vector: v, value: 0 };
    v = Float64Array.from(next, (x) => x / norm);
  }
  return { vector: v, value };
}

function inside(xs: Float64Array, ys: Float64Array, width: number, height: number, margin: number): boolean {
  for (let i = 0; i < xs.length; i++) if (xs[i]! < margin || xs[i]! > width - margin || ys[i]! < margin || ys[i]! > height - margin) return false;
  return true;
}

/** Earlier positions brought back to hop units (returns the pixels per hop); newcomers start beside a placed neighbour. */
function seedFromPrevious(ids: readonly string[], previous: ReadonlyMap<string, Point>, d: Float64Array, adj: readonly number[][], xs: Float64Array, ys: Float64Array): number {
  const n = ids.length;
  const known = ids.map((id) => previous.get(id));
  // The scale that best fits pixel lengths to hop distances under the stress weights 1/d² (least squares): for a
  // layout that had converged it is exactly the scale it was drawn at, so the stress step leaves it in place.
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const [p, q] = [known[i], known[j]];
      if (p === undefined || q === undefined) continue;
      const len = Math.hypot(p.x - q.x, p.y - q.y);
      const dij = d[i * n + j]!;
      num += (len * len) / (dij * dij);
      den += len / dij;
    }
  }
  const pxPerHop = den > 0 && num > 0 ? num / den : 100;
  for (let i = 0; i < n; i++) {
    const p = known[i];
    if (p !== undefined) {
      xs[i] = p.x / pxPerHop;
      ys[i] = p.y / pxPerHop;
    }
  }
  for (let i = 0; i < n; i++) {
    if (known[i] !== undefined) continue;
    const anchor = adj[i]!.find((j) => known[j] !== undefined);
    const base = anchor === undefined ? { x: 0, y: 0 } : { x: xs[anchor]!, y: ys[anchor]! };
    xs[i] = base.x + Math.cos(i * 2.399963);
    ys[i] = base.y + Math.sin(i * 2.399963);
  }
  return pxPerHop;
}

/**
 * Stress majorization by localized updates (Gansner, Koren, North 2004): each node moves to the weighted mean of
 * where every other node says it should be, at its hop distance; weights 1/d² favour the neighbourhood.
 */
function stressMajorization(d: Float64Array, n: number, xs: Float64Array, ys: Float64Array, iterations: number, only?: readonly boolean[]): void {
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      if (only !== undefined && !only[i]) continue;
      let sx = 0;
      let sy = 0;
      let sw = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dij = d[i * n + j]!;
        const w = 1 / (dij * dij);
        let ux = xs[i]! - xs[j]!;
        let uy = ys[i]! - ys[j]!;
        let dist = Math.sqrt(ux * ux + uy * uy);
        if (dist < 1e-9) {
          ux = Math.cos(i * 2.399963 + j);
          uy = Math.sin(i * 2.399963 + j);
          dist = 1;
        }
        sx += w * (xs[j]! + (dij * ux) / dist);
        sy += w * (ys[j]! + (dij * uy) / dist);
        sw += w;
      }
      moved = Math.max(moved, Math.abs(xs[i]! - sx / sw), Math.abs(ys[i]! - sy / sw));
      xs[i] = sx / sw;
      ys[i] = sy / sw;
    }
    // Converged: a refresh started from this layout then lands where it is (refreshes do not make nodes dance).
    if (moved < 1e-3) return;
  }
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Scale and centre into the box keeping the aspect ratio, at most `hopPxMax` pixels per hop. */
function fit(xs: Float64Array, ys: Float64Array, width: number, height: number, margin: number, hopPxMax: number): void {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    minX = Math.min(minX, xs[i]!);
    maxX = Math.max(maxX, xs[i]!);
    minY = Math.min(minY, ys[i]!);
    maxY = Math.max(maxY, ys[i]!);
  }
  const w = maxX - minX;
  const h = maxY - minY;
  const scale = Math.min(w > 0 ? (width - 2 * margin) / w : Infinity, h > 0 ? (height - 2 * margin) / h : Infinity, hopPxMax);
  const ox = width / 2 - ((minX + maxX) / 2) * scale;
  const oy = height / 2 - ((minY + maxY) / 2) * scale;
  for (let i = 0; i < xs.length; i++) {
    xs[i] = xs[i]! * scale + ox;
    ys[i] = ys[i]! * scale + oy;
  }
}

/** Push nodes closer than `gap` apart (labels need room), staying inside the box. */
function separate(xs: Float64Array, ys: Float64Array, gap: number, width: number, height: number, margin: number): void {
  const n = xs.length;
  for (let pass = 0; pass < 100; pass++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ux = xs[j]! - xs[i]!;
        let uy = ys[j]! - ys[i]!;
        let dist = Math.sqrt(ux * ux + uy * uy);
        if (dist >= gap) continue;
        if (dist < 1e-9) {
          ux = Math.cos(i * 2.399963 + j);
          uy = Math.sin(i * 2.399963 + j);
          dist = 1;
        }
        const push = (gap - dist) / 2 + 0.01;
        xs[i]! -= (ux / dist) * push;
        ys[i]! -= (uy / dist) * push;
        xs[j]! += (ux / dist) * push;
        ys[j]! += (uy / dist) * push;
        moved = true;
      }
    }
    for (let i = 0; i < n; i++) {
      xs[i] = Math.min(width - margin, Math.max(margin, xs[i]!));
      ys[i] = Math.min(height - margin, Math.max(margin, ys[i]!));
    }
    if (!moved) return;
  }
}

