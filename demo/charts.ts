// Small canvas charts: lines against steps, and the ‖∂L/∂h_t‖ heatmap.
// Text is drawn with fillText (never HTML).

export interface Series {
  label: string;
  color: string;
  points: { step: number; value: number }[];
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

/** Lines against steps; `log` plots log10 of the values. */
export function drawLines(canvas: HTMLCanvasElement, series: Series[], opts: { title: string; log?: boolean; ref?: number } = { title: '' }): void {
  const { ctx, w, h } = prepare(canvas);
  const f = (v: number) => (opts.log ? Math.log10(Math.max(v, 1e-12)) : v);
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.value));
  ctx.fillStyle = '#333';
  ctx.fillText(opts.title, PAD.l, 14);
  if (!all.length) {
    ctx.fillStyle = '#888';
    ctx.fillText('waiting for data…', PAD.l, h / 2);
    return;
  }
  let x0 = Math.min(...all.map((p) => p.step)), x1 = Math.max(...all.map((p) => p.step));
  let y0 = Math.min(...all.map((p) => f(p.value))), y1 = Math.max(...all.map((p) => f(p.value)));
  if (opts.ref !== undefined) {
    y0 = Math.min(y0, f(opts.ref));
    y1 = Math.max(y1, f(opts.ref));
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
  const X = (s: number) => PAD.l + ((s - x0) / (x1 - x0)) * (w - PAD.l - PAD.r);
  const Y = (v: number) => h - PAD.b - ((f(v) - y0) / (y1 - y0)) * (h - PAD.t - PAD.b);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(PAD.l, PAD.t, w - PAD.l - PAD.r, h - PAD.t - PAD.b);
  ctx.fillStyle = '#555';
  const lab = (v: number) => (opts.log ? `1e${v.toFixed(1)}` : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  ctx.fillText(lab(y1), 2, PAD.t + 8);
  ctx.fillText(lab(y0), 2, h - PAD.b);
  ctx.fillText(`step ${x0}`, PAD.l, h - 6);
  ctx.fillText(`${x1}`, w - PAD.r - 30, h - 6);
  if (opts.ref !== undefined) {
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(PAD.l, Y(opts.ref));
    ctx.lineTo(w - PAD.r, Y(opts.ref));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  let lx = PAD.l;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.forEach((p, i) => (i ? ctx.lineTo(X(p.step), Y(p.value)) : ctx.moveTo(X(p.step), Y(p.value))));
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.fillText(`— ${s.label}`, lx, 28);
    lx += ctx.measureText(`— ${s.label}`).width + 14;
  }
}

/**
 * ‖∂L/∂h_t‖: time step t across, training step down, log colour scale.
 * Dark = vanishing, bright = large; each row is one measured step.
 */
export function drawHeatmap(canvas: HTMLCanvasElement, rows: { step: number; norms: Float32Array }[], title: string): void {
  const { ctx, w, h } = prepare(canvas);
  ctx.fillStyle = '#333';
  ctx.fillText(title, PAD.l, 14);
  if (!rows.length) {
    ctx.fillStyle = '#888';
    ctx.fillText('waiting for data…', PAD.l, h / 2);
    return;
  }
  const T = rows[0].norms.length;
  let lo = Infinity, hi = -Infinity;
  for (const r of rows) for (const v of r.norms) if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
  if (!Number.isFinite(lo)) { lo = -1; hi = 0; }
  if (hi - lo < 1e-6) hi = lo + 1;
  const cw = (w - PAD.l - PAD.r) / T, ch = (h - PAD.t - PAD.b) / rows.length;
  rows.forEach((r, i) => {
    r.norms.forEach((v, t) => {
      const u = v > 0 && Number.isFinite(v) ? (Math.log10(v) - lo) / (hi - lo) : 0;
      ctx.fillStyle = `hsl(${260 - 220 * u}, 85%, ${12 + 55 * u}%)`;
      ctx.fillRect(PAD.l + t * cw, PAD.t + i * ch, Math.ceil(cw), Math.ceil(ch));
    });
  });
  ctx.fillStyle = '#555';
  ctx.fillText('t = 0', PAD.l, h - 6);
  ctx.fillText(`t = ${T - 1}`, w - PAD.r - 40, h - 6);
  ctx.fillText(`1e${hi.toFixed(1)}`, 2, PAD.t + 8);
  ctx.fillText(`1e${lo.toFixed(1)}`, 2, h - PAD.b);
  ctx.fillText(`training steps ${rows[0].step}…${rows[rows.length - 1].step}, top to bottom`, PAD.l, 28);
}

/** True when the canvas has any non-transparent pixel (tests use this). */
export function hasInk(canvas: HTMLCanvasElement): boolean {
  const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
  return false;
}
