/** Renders the Plumtree failure results as a small dependency-free SVG line chart for docs/broadcast.md. */

/** One point: reliability after `percent` % of `nodes` crashed. */
export interface FailurePoint {
  nodes: number;
  percent: number;
  /** Mean reliability of the first broadcast right after the crash. */
  first: number;
  /** Mean reliability over the ten broadcasts after the crash. */
  mean: number;
}

/** An SVG chart: x = failed %, y = reliability (90–100 %), one line per size and measure. */
export function failurePlotSvg(points: FailurePoint[]): string {
  const W = 560;
  const H = 320;
  const L = 60;
  const R = 180;
  const T = 20;
  const B = 40;
  const yMin = 0.9;
  const x = (p: number) => L + (p / 70) * (W - L - R);
  const y = (v: number) => T + (1 - (Math.max(yMin, v) - yMin) / (1 - yMin)) * (H - T - B);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  for (let v = yMin; v <= 1.0001; v += 0.02) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${(v * 100).toFixed(0)} %</text>`);
  }
  for (const p of [0, 10, 20, 30, 40, 50, 60, 70]) {
    parts.push(`<text x="${x(p)}" y="${H - B + 16}" text-anchor="middle">${p} %</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">nodes crashed at once</text>`);
  parts.push(`<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">reliability</text>`);
  const series: { label: string; pts: [number, number][]; dash: string }[] = [];
  for (const nodes of [...new Set(points.map((p) => p.nodes))]) {
    const ps = points.filter((p) => p.nodes === nodes).sort((a, b) => a.percent - b.percent);
    series.push({ label: `${nodes} nodes, 1st broadcast`, pts: ps.map((p) => [p.percent, p.first]), dash: '4 3' });
    series.push({ label: `${nodes} nodes, mean of 10`, pts: ps.map((p) => [p.percent, p.mean]), dash: '' });
  }
  series.forEach((s, i) => {
    const color = colors[Math.floor(i / 2) % colors.length] as string;
    const d = s.pts.map(([p, v], k) => `${k === 0 ? 'M' : 'L'}${x(p).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''}/>`);
    for (const [p, v] of s.pts) parts.push(`<circle cx="${x(p).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = T + 14 + i * 18;
    parts.push(`<line x1="${W - R + 12}" x2="${W - R + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''}/>`);
    parts.push(`<text x="${W - R + 42}" y="${ly + 4}">${s.label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
