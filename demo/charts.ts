// Small canvas charts: lines against steps, and the ‖∂L/∂h_t‖ heatmap.
// Text is drawn with fillText (never HTML).
import { extent, type Point } from './series';

export interface Series {
  label: string;
  color: string;
  /** Kept points in step order (a DecimatedSeries' points(): bounded however long the run). */
  points: readonly Point[];
  /** Dashed line (e.g. the measured counterpart of a computed series). */
  dashed?: boolean;
}

const PAD = { l: 48, r: 10, t: 34, b: 22 };

function prepare(canvas: HTMLCanvasElement) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

/** Lay the legend out in lines that fit the width; returns the top padding it needs. */
function legend(ctx: CanvasRenderingContext2D, series: Series[], w: number, draw: boolean, y0 = 28): number {
  let x = PAD.l, y = y0;
  for (const s of series) {
    const text = `${s.dashed ? '- -' : '—'} ${s.label}`;
    const width = ctx.measureText(text).width;
    if (x > PAD.l && x + width > w - PAD.r) {
      x = PAD.l;
      y += 13;
    }
    if (draw) {
      ctx.fillStyle = s.color;
      ctx.fillText(text, x, y);
    }
    x += width + 14;
  }
  return y + 6;
}

/**
 * Lines against steps; `log` plots log10 of the values. Extrema are found in
 * loops (any number of points). Returns the labels of the series drawn.
 */
export interface LineOptions {
  title: string;
  log?: boolean;
  /** A dashed horizontal reference line (chance, θ, 1). */
  ref?: number;
  /** Axis words: what runs across and up. */
  x?: string;
  y?: string;
  /** Shown while there is nothing to draw. */
  waiting?: string;
}

/** The axis words: x centred under the plot, y turned up the left edge. */
function axisWords(ctx: CanvasRenderingContext2D, w: number, h: number, top: number, x?: string, y?: string): void {
  ctx.fillStyle = '#555';
  if (x) {
    const width = ctx.measureText(x).width;
    ctx.fillText(x, PAD.l + Math.max(0, (w - PAD.l - PAD.r - width) / 2), h - 6);
  }
  if (y) {
    ctx.save();
    ctx.translate(10, (top + h - PAD.b) / 2 + ctx.measureText(y).width / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(y, 0, 0);
    ctx.restore();
  }
}

export function drawLines(canvas: HTMLCanvasElement, series: Series[], opts: LineOptions = { title: '' }): string[] {
  const { ctx, w, h } = prepare(canvas);
  const f = (v: number) => (opts.log ? Math.log10(Math.max(v, 1e-12)) : v);
  ctx.fillStyle = '#333';
  // a title may run over lines ('\n'); the legend goes under it
  const titleLines = opts.title.split('\n');
  titleLines.forEach((line, i) => ctx.fillText(line, PAD.l, 14 + 13 * i));
  const legendY = 28 + 13 * (titleLines.length - 1);
  const box = extent(series.flatMap((s) => s.points), f);
  if (!box) {
    ctx.fillStyle = '#888';
    ctx.fillText(opts.waiting ?? 'waiting for data…', PAD.l, h / 2);
    return [];
  }
  let { lo: y0, hi: y1, x0, x1 } = box;
  if (opts.ref !== undefined) {
    y0 = Math.min(y0, f(opts.ref));
    y1 = Math.max(y1, f(opts.ref));
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 - y0 <= 1e-4 * Math.max(Math.abs(y0), Math.abs(y1))) {
    // flat (up to float32 rounding): centre it in a band of ±10 % (±0.5 around 0)
    const m = (y0 + y1) / 2, d = m === 0 ? 0.5 : Math.abs(m) * 0.1;
    y0 = m - d;
    y1 = m + d;
  }
  const top = legend(ctx, series, w, false, legendY);
  const X = (s: number) => PAD.l + ((s - x0) / (x1 - x0)) * (w - PAD.l - PAD.r);
  const Y = (v: number) => h - PAD.b - ((f(v) - y0) / (y1 - y0)) * (h - top - PAD.b);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(PAD.l, top, w - PAD.l - PAD.r, h - top - PAD.b);
  ctx.fillStyle = '#555';
  const lab = (v: number) => (opts.log ? `1e${v.toFixed(1)}` : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  ctx.fillText(lab(y1), 14, top + 8);
  ctx.fillText(lab(y0), 14, h - PAD.b);
  ctx.fillText(`${x0}`, PAD.l, h - 6);
  ctx.fillText(`${x1}`, w - PAD.r - ctx.measureText(`${x1}`).width, h - 6);
  axisWords(ctx, w, h, top, opts.x, opts.y);
  if (opts.ref !== undefined) {
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(PAD.l, Y(opts.ref));
    ctx.lineTo(w - PAD.r, Y(opts.ref));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [5, 3] : []);
    ctx.beginPath();
    let started = false;
    for (const p of s.points) {
      if (!Number.isFinite(f(p.value))) continue;
      if (started) ctx.lineTo(X(p.step), Y(p.value));
      else ctx.moveTo(X(p.step), Y(p.value));
      started = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  legend(ctx, series, w, true, legendY);
  return series.map((s) => s.label);
}

/** One run's heatmap rows, with the label drawn over its panel. */
export interface HeatPanel {
  label: string;
  color: string;
  rows: { step: number; norms: Float32Array }[];
}

/**
 * ‖∂L/∂h_t‖: time step t across, training step down, log colour scale shared
 * by every panel (one panel per run, stacked, each labelled with its run).
 * Dark = vanishing, bright = large; each row is one measured step. Returns
 * the labels of the panels drawn.
 */
export interface HeatWords {
  title: string;
  /** The colour legend's two ends, and the axes. */
  small: string;
  large: string;
  x: string;
  y: string;
  /** A panel's steps: `{a}` and `{b}` are filled. */
  steps: string;
  waiting: string;
}

/** The colour of u ∈ [0, 1] on the heatmap's scale (dark violet: small, bright yellow: large). */
const heatColor = (u: number) => `hsl(${260 - 220 * u}, 85%, ${12 + 55 * u}%)`;

/** The colour legend: a bar from small to large, with its words and the log10 values at the ends. */
function heatLegend(ctx: CanvasRenderingContext2D, w: number, lo: number, hi: number, words: HeatWords): void {
  const bar = 80, y = 18, x1 = w - PAD.r - ctx.measureText(`${words.large} 1e${hi.toFixed(1)}`).width;
  const x0 = x1 - bar - 6;
  for (let i = 0; i < bar; i++) {
    ctx.fillStyle = heatColor(i / (bar - 1));
    ctx.fillRect(x0 + i, y, 1, 8);
  }
  ctx.fillStyle = '#555';
  const left = `1e${lo.toFixed(1)} ${words.small}`;
  ctx.fillText(left, Math.max(PAD.l, x0 - ctx.measureText(left).width - 4), y + 8);
  ctx.fillText(`${words.large} 1e${hi.toFixed(1)}`, x1, y + 8);
}

export function drawHeatmap(canvas: HTMLCanvasElement, panels: HeatPanel[], words: HeatWords): string[] {
  const { ctx, w, h } = prepare(canvas);
  ctx.fillStyle = '#333';
  ctx.fillText(words.title, PAD.l, 12);
  const filled = panels.filter((p) => p.rows.length);
  if (!filled.length) {
    ctx.fillStyle = '#888';
    ctx.fillText(words.waiting, PAD.l, h / 2);
    return [];
  }
  let lo = Infinity, hi = -Infinity;
  for (const p of filled) for (const r of p.rows) for (const v of r.norms) if (v > 0 && Number.isFinite(v)) { const l = Math.log10(v); if (l < lo) lo = l; if (l > hi) hi = l; }
  if (!Number.isFinite(lo)) { lo = -1; hi = 0; }
  if (hi - lo < 1e-6) hi = lo + 1;
  heatLegend(ctx, w, lo, hi, words);
  const gap = 14, top = PAD.t + 8;
  const ph = (h - top - PAD.b - gap * (filled.length - 1)) / filled.length;
  filled.forEach((p, k) => {
    const y = top + k * (ph + gap), T = p.rows[0].norms.length;
    const cw = (w - PAD.l - PAD.r) / T, ch = ph / p.rows.length;
    p.rows.forEach((r, i) => {
      r.norms.forEach((v, t) => {
        const u = v > 0 && Number.isFinite(v) ? (Math.log10(v) - lo) / (hi - lo) : 0;
        ctx.fillStyle = heatColor(u);
        ctx.fillRect(PAD.l + t * cw, y + i * ch, Math.ceil(cw), Math.ceil(ch));
      });
    });
    ctx.fillStyle = p.color;
    ctx.fillText(`${p.label}: ${words.steps.replace('{a}', String(p.rows[0].step)).replace('{b}', String(p.rows[p.rows.length - 1].step))}`, PAD.l, y - 3);
    if (k === filled.length - 1) {
      ctx.fillStyle = '#555';
      ctx.fillText('0', PAD.l, h - 6);
      ctx.fillText(`${T - 1}`, w - PAD.r - ctx.measureText(`${T - 1}`).width, h - 6);
    }
  });
  axisWords(ctx, w, h, top, words.x, words.y);
  return filled.map((p) => p.label);
}

/** True when the canvas has any non-transparent pixel (tests use this). */
export function hasInk(canvas: HTMLCanvasElement): boolean {
  const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
  return false;
}
