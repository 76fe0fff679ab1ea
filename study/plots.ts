// The study's figures as Vega-Lite specs, compiled to Vega and rendered to
// SVG in Node (vega's headless View; no canvas, no browser).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CurvePoint } from './lm';
import type { GradientStats } from './gradients';

/** Render a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { width: 420, height: 260, background: 'white' } as const;
/** One colour per strategy, in the order given (the same strategy keeps its colour in every figure). */
const color = (labels: string[]) =>
  ({ field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: labels }, legend: { labelLimit: 320 } }) as const;
const labelsOf = (rows: { strategy: string }[]) => [...new Set(rows.map((r) => r.strategy))];

/** Perplexity against steps or wall time, one line per strategy. */
export function curveSpec(curves: { strategy: string; curve: CurvePoint[] }[], x: 'step' | 'seconds', title: string): TopLevelSpec {
  const values = curves.flatMap((c) => c.curve.map((p) => ({ strategy: c.strategy, ...p })));
  return {
    ...base,
    title,
    data: { values },
    mark: { type: 'line', point: { size: 14 } },
    encoding: {
      x: { field: x, type: 'quantitative', title: x === 'step' ? 'training step' : 'wall time (s)' },
      y: { field: 'perplexity', type: 'quantitative', title: 'training perplexity', scale: { type: 'log', nice: false } },
      color: color(labelsOf(values)),
    },
  };
}

/** Each strategy's training perplexity minus full BPTT's (the first curve), block by block. */
export function differenceSpec(curves: { strategy: string; curve: CurvePoint[] }[], title: string): TopLevelSpec {
  const ref = curves[0].curve;
  const values = curves.slice(1).flatMap((c) => c.curve.map((p, i) => ({ strategy: c.strategy, step: p.step, difference: p.perplexity - ref[i].perplexity })));
  return {
    ...base,
    title,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { size: 14 } },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'training step' },
          y: { field: 'difference', type: 'quantitative', title: `perplexity − ${curves[0].strategy}’s` },
          color: color(curves.map((c) => c.strategy)),
        },
      },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: 'gray' }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
    ],
  };
}

/** Relative bias and relative variance of each strategy's gradient, side by side. */
export function gradientSpec(stats: GradientStats[], title: string): TopLevelSpec {
  const measures = ['bias ‖E g − g_full‖ / ‖g_full‖', 'variance E‖g − E g‖² / ‖g_full‖²', 'error E‖g − g_full‖² / ‖g_full‖²'];
  const values = stats.flatMap((s) => [s.relBias, s.relVariance, s.relError].map((value, i) => ({ strategy: s.label, measure: measures[i], value })));
  return {
    title,
    data: { values },
    facet: { column: { field: 'measure', type: 'nominal', title: null, sort: measures } },
    spec: {
      width: 180,
      height: 200,
      mark: 'bar',
      encoding: {
        x: { field: 'strategy', type: 'nominal', sort: null, axis: { labelAngle: -40, title: null } },
        y: { field: 'value', type: 'quantitative', title: 'relative to the full gradient' },
        color: color(labelsOf(values)),
      },
    },
    resolve: { scale: { y: 'independent' } },
    background: 'white',
  };
}

/** Variance of randomized truncation against π, shared ξ vs per-sequence ξ (log scale). */
export function sweepSpec(rows: { pi: number; form: string; relVariance: number; relBias: number }[], title: string): TopLevelSpec {
  return {
    ...base,
    title,
    data: { values: rows.filter((r) => r.relVariance > 0) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'pi', type: 'quantitative', title: 'π (probability of keeping a link)', scale: { zero: false } },
      y: { field: 'relVariance', type: 'quantitative', title: 'E‖g − E g‖² / ‖g_full‖²', scale: { type: 'log' } },
      color: { field: 'form', type: 'nominal', title: 'ξ' },
    },
  };
}

/** Delay-task accuracy against the lag, one line per strategy, chance as a rule. */
export function delaySpec(rows: { strategy: string; lag: number; accuracy: number }[], chance: number, title: string): TopLevelSpec {
  return {
    ...base,
    title,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'lag', type: 'quantitative', title: 'lag k', axis: { tickMinStep: 1 } },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
          color: color(labelsOf(rows)),
        },
      },
      {
        data: { values: [{ chance }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { y: { field: 'chance', type: 'quantitative' } },
      },
    ],
  };
}
