/**
 * A small SVG chart writer for the benchmark results: grouped bars and line
 * charts (linear or log axes), with a title, axis labels, ticks and a legend.
 * No dependencies; the output is a standalone .svg a browser or GitHub shows.
 */

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1'];
const W = 720;
const H = 400;
const M = { top: 48, right: 170, bottom: 56, left: 80 };

const esc = (s: string | number): string => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round tick values for [lo, hi] on a linear axis. */
function linearTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** 1234567 → "1.23M": short axis labels. */
export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${M.left}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>
<text transform="translate(18 ${M.top + (H - M.top - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
${body}
</svg>
`;
}

const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

function legend(names: string[]): string {
  return names
    .map((n, i) => `<rect x="${W - M.right + 16}" y="${M.top + i * 20}" width="12" height="12" fill="${colour(i)}"/><text x="${W - M.right + 34}" y="${M.top + i * 20 + 10}">${esc(n)}</text>`)
    .join('\n');
}

export interface BarChart {
  title: string;
  xLabel: string;
  yLabel: string;
  groups: string[];
  /** One bar per series in each group: `values[i]` belongs to `groups[i]`. */
  series: { name: string; values: number[] }[];
}

/** Grouped bars: `groups` along x, one bar per series in each group. */
export function barChart({ title, xLabel, yLabel, groups, series }: BarChart): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const max = Math.max(...series.flatMap((s) => s.values)) * 1.1 || 1;
  const ticks = linearTicks(0, max);
  const last = ticks[ticks.length - 1] ?? max;
  const top = last >= max ? last : max;
  const y = (v: number): number => M.top + ph - (v / top) * ph;
  const gw = pw / groups.length;
  const bw = (gw * 0.8) / series.length;
  let body = ticks.map((t) => `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`).join('\n');
  groups.forEach((g, gi) => {
    body += `\n<text x="${M.left + gw * gi + gw / 2}" y="${M.top + ph + 18}" text-anchor="middle">${esc(g)}</text>`;
    series.forEach((s, si) => {
      const v = s.values[gi] ?? 0;
      const x = M.left + gw * gi + gw * 0.1 + bw * si;
      body += `\n<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(M.top + ph - y(v)).toFixed(1)}" fill="${colour(si)}"><title>${esc(`${s.name} ${g}: ${fmt(v)}`)}</title></rect>`;
    });
  });
  body += `\n<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`;
  return frame(title, xLabel, yLabel, body + '\n' + legend(series.map((s) => s.name)));
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: [number, number][] }[];
  logX?: boolean;
  logY?: boolean;
}

/** Lines with a dot per point; log axes on request. */
export function lineChart({ title, xLabel, yLabel, series, logX = false, logY = false }: LineChart): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => !logY || v > 0);
  if (xs.length === 0 || ys.length === 0) return frame(title, xLabel, yLabel, '<text x="100" y="200">no data</text>');
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = logY ? [Math.min(...ys), Math.max(...ys)] : [0, Math.max(...ys) * 1.1 || 1];
  const xt = logX ? logTicks(x0, x1) : linearTicks(x0, x1);
  const yt = logY ? logTicks(y0, y1) : linearTicks(y0, y1);
  const xFirst = xt[0] ?? x0;
  const xLast = xt[xt.length - 1] ?? x1;
  const yFirst = yt[0] ?? y0;
  const yLast = yt[yt.length - 1] ?? y1;
  const [xa, xb] = logX ? [Math.log10(xFirst), Math.log10(xLast)] : [Math.min(x0, xFirst), Math.max(x1, xLast)];
  const [ya, yb] = logY ? [Math.log10(yFirst), Math.log10(yLast)] : [0, Math.max(y1, yLast)];
  const x = (v: number): number => M.left + (((logX ? Math.log10(v) : v) - xa) / (xb - xa || 1)) * pw;
  const y = (v: number): number => M.top + ph - (((logY ? Math.log10(v) : v) - ya) / (yb - ya || 1)) * ph;
  let body = yt.map((t) => `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`).join('\n');
  body += '\n' + xt.map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/><text x="${x(t)}" y="${M.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`).join('\n');
  series.forEach((s, i) => {
    const c = colour(i);
    const pts = s.points.filter((p) => (!logY || p[1] > 0) && (!logX || p[0] > 0));
    body += `\n<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`;
    body += pts.map((p) => `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${c}"><title>${esc(`${s.name}: ${fmt(p[0])}, ${fmt(p[1])}`)}</title></circle>`).join('');
  });
  body += `\n<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`;
  return frame(title, xLabel, yLabel, body + '\n' + legend(series.map((s) => s.name)));
}
