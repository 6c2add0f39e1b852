/** A small dependency-free SVG line plot of flood reliability versus the fraction of nodes crashed. */

interface CurveRow {
  fraction: number;
  atCrash: number;
  firstBroadcast: number;
  round2: number;
}

const W = 680;
const H = 400;
const M = { left: 60, right: 200, top: 30, bottom: 50 };

/** A comparison line measured in the same run (Cyclon, Scamp): label and (fraction, reliability) points. */
export interface BaselineCurve {
  label: string;
  points: [number, number][];
}

/** Reliability (% of survivors reached) against failed fraction, one line per series and size, then the baselines. */
export function reliabilitySvg(curves: { n: number; rows: CurveRow[] }[], paper?: [number, number][], baselines: readonly BaselineCurve[] = []): string {
  const x = (f: number) => M.left + f * (W - M.left - M.right);
  const y = (r: number) => M.top + (1 - r) * (H - M.top - M.bottom);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#7f7f7f', '#bcbd22', '#17becf', '#e377c2'];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  for (let i = 0; i <= 10; i++) {
    const f = i / 10;
    parts.push(`<line x1="${x(f)}" y1="${y(0)}" x2="${x(f)}" y2="${y(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${x(f)}" y="${y(0) + 16}" text-anchor="middle">${i * 10}</text>`);
    parts.push(`<line x1="${x(0)}" y1="${y(f)}" x2="${x(1)}" y2="${y(f)}" stroke="#eee"/>`);
    parts.push(`<text x="${x(0) - 6}" y="${y(f) + 4}" text-anchor="end">${i * 10}</text>`);
  }
  parts.push(`<text x="${(x(0) + x(1)) / 2}" y="${H - 12}" text-anchor="middle">nodes crashed at once (%)</text>`);
  parts.push(`<text transform="translate(16 ${(y(0) + y(1)) / 2}) rotate(-90)" text-anchor="middle">survivors reached by a flood (%)</text>`);
  const series: { label: string; points: [number, number][]; dash?: string }[] = [];
  for (const c of curves) {
    series.push({ label: `${c.n}: at crash`, points: c.rows.map((r) => [r.fraction, r.atCrash]), dash: '4 3' });
    series.push({ label: `${c.n}: first broadcast`, points: c.rows.map((r) => [r.fraction, r.firstBroadcast]) });
    series.push({ label: `${c.n}: after 2 rounds`, points: c.rows.map((r) => [r.fraction, r.round2]) });
  }
  if (paper) series.push({ label: 'paper (≈, HyParView)', points: paper, dash: '1 3' });
  for (const b of baselines) series.push({ label: b.label, points: b.points, dash: '6 2 1 2' });
  series.forEach((s, i) => {
    const color = colors[i % colors.length]!;
    const d = s.points.map(([f, r], j) => `${j === 0 ? 'M' : 'L'}${x(f).toFixed(1)},${y(r).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    for (const [f, r] of s.points) parts.push(`<circle cx="${x(f).toFixed(1)}" cy="${y(r).toFixed(1)}" r="2.5" fill="${color}"/>`);
    const ly = M.top + 10 + i * 18;
    parts.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 36}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    parts.push(`<text x="${W - M.right + 40}" y="${ly + 4}">${s.label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
