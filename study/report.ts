// The study's report: its figures (SVG through Vega-Lite) and markdown with
// every number the figures show, the settings, the command and the commit.
import type { StudyResult } from './study';
import type { GradientStats } from './gradients';
import { renderSvg, curveSpec, differenceSpec, gradientSpec, sweepSpec, delaySpec } from './plots';
import { round } from './strategies';

/** The figures of a study, by file name. */
export async function renderFigures(r: StudyResult): Promise<Record<string, string>> {
  const curves = r.lm.summary.map((s) => ({ strategy: s.label, curve: s.curve }));
  const delayRows = groupDelay(r).flatMap((g) => g.byLag.map((x) => ({ strategy: g.label, lag: x.lag, accuracy: x.accuracy })));
  return {
    'perplexity-steps.svg': await renderSvg(curveSpec(curves, 'step', 'Perplexity against training steps')),
    'perplexity-time.svg': await renderSvg(curveSpec(curves, 'seconds', 'Perplexity against wall time')),
    'perplexity-vs-full.svg': await renderSvg(differenceSpec(curves, 'Training perplexity minus full BPTT’s (same minibatches)')),
    'gradient-bias-variance.svg': await renderSvg(gradientSpec(r.gradients.strategies, 'Each gradient against the full-window gradient')),
    'xi-shared-vs-per-sequence.svg': await renderSvg(sweepSpec(r.gradients.sweep, 'Randomized truncation: variance against π')),
    'delay-accuracy.svg': await renderSvg(delaySpec(delayRows, r.delay.chance, 'Delay task: accuracy against lag k')),
  };
}

/** Delay-task accuracy per strategy and lag, averaged over seeds. */
export function groupDelay(r: StudyResult): { label: string; byLag: { lag: number; accuracy: number; min: number; max: number; finalLoss: number }[] }[] {
  const labels = [...new Set(r.delay.runs.map((d) => d.label))];
  return labels.map((label) => ({
    label,
    byLag: r.options.lags.map((lag) => {
      const runs = r.delay.runs.filter((d) => d.label === label && d.lag === lag);
      const acc = runs.map((d) => d.accuracy);
      return { lag, accuracy: avg(acc), min: Math.min(...acc), max: Math.max(...acc), finalLoss: avg(runs.map((d) => d.finalLoss)) };
    }),
  }));
}

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => (Math.abs(x) < 0.05 ? '0.0%' : `${x > 0 ? '+' : ''}${x.toFixed(1)}%`);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** Per seed: held-out perplexity of `label` minus regular truncation's. */
export function pairedVsRegular(r: StudyResult, label: string): number[] {
  const reg = r.lm.summary.find((s) => s.label.startsWith('regular'))!.label;
  return Array.from({ length: r.options.seeds }, (_, seed) => {
    const at = (l: string) => r.lm.runs.find((x) => x.label === l && x.seed === seed)!.heldOut;
    return at(label) - at(reg);
  });
}
const f = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const e = (x: number) => (x === 0 ? '0' : x.toExponential(2));

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** What produced the run: the command, the commit, the date. */
export interface RunInfo {
  command: string;
  commit: string;
  date: string;
  /** The machine's load while the study ran (e.g. 1-minute load average at start and end), when known. */
  load?: string;
}

/** The report as markdown; `figure(name)` gives each figure's path relative to the report. */
export function toMarkdown(r: StudyResult, info: RunInfo, figure: (name: string) => string): string {
  const o = r.options;
  const img = (name: string, alt: string) => `![${alt}](${figure(name)})`;
  const full = r.lm.summary[0];
  const out: string[] = [];
  out.push(
    `## Run`,
    '',
    `- command: \`${info.command}\``,
    `- commit: \`${info.commit}\`, ${info.date}`,
    `- device: ${r.device}${info.load ? `; machine load: ${info.load}` : ''}`,
    `- corpus: ${r.corpus.name} (${r.corpus.characters} characters; vocabulary ${r.corpus.vocab}; ${r.corpus.trainTokens} tokens to train on, the last ${r.corpus.heldOutTokens} held out)`,
    `- model: the chapter's RNN, H = ${o.hidden}, tanh; B = ${o.batch} sequences × T = ${o.window} steps, d2l's sequential partitioning (state carried); Adam lr ${o.lr}, clip ${o.clip}; ${o.steps} steps per strategy, seeds 0…${o.seeds - 1}`,
    `- strategies (matched: same initial weights, minibatches, optimizer and steps): ${r.lm.summary.map((s) => s.label).join(', ')}; randomized π = ${round(o.pi)} gives segments of mean length 1/(1 − π) = ${round(1 / (1 - o.pi))} (τ = ${o.tau})`,
    `- wall time: ${f(r.seconds.total, 0)} s (training ${f(r.seconds.lm, 0)} s, gradients ${f(r.seconds.gradients, 0)} s, delay task ${f(r.seconds.delay, 0)} s, forward mode ${f(r.seconds.forwardMode, 1)} s)`,
    '',
    `## Perplexity against steps and wall time`,
    '',
    img('perplexity-steps.svg', 'perplexity against steps'),
    img('perplexity-time.svg', 'perplexity against wall time'),
    img('perplexity-vs-full.svg', 'perplexity minus full BPTT perplexity against steps'),
    '',
    table(
      ['strategy', `held-out perplexity${o.seeds > 1 ? ' (mean ± sd over seeds)' : ''}`, 'vs full', 'training perplexity (last block)', 'ms / step', 'gradient streams', 'skipped steps'],
      r.lm.summary.map((s) => [s.label, f(s.heldOut) + (o.seeds > 1 ? ` ± ${f(s.heldOutSd)}` : ''), pct((100 * (s.heldOut - full.heldOut)) / full.heldOut), f(s.finalTrain), f(s.msPerStep, 1), s.streams, s.skipped]),
    ),
    '',
    `Paired by seed (the same initial weights and minibatches for every strategy), each strategy's held-out perplexity minus regular(${o.tau})'s:`,
    '',
    table(
      ['strategy', ...Array.from({ length: o.seeds }, (_, i) => `seed ${i}`), ...(o.seeds > 1 ? ['mean'] : [])],
      r.lm.summary.map((s) => {
        const d = pairedVsRegular(r, s.label);
        return [s.label, ...d.map((x) => signed(x)), ...(o.seeds > 1 ? [signed(avg(d))] : [])];
      }),
    ),
    '',
    `Held-out perplexity: the trained model's full forward pass over ${o.evalWindows > 1 ? `up to ${o.evalWindows}` : 'one'} held-out window(s), state carried. Training perplexity: exp of the mean training loss over a block of ${Math.max(1, Math.round(o.steps / 24))} steps (the loss is the forward pass's, whatever the truncation). ms / step is the wall time of the whole run over its steps, on a shared machine.`,
    '',
    `## The gradient against the full-window gradient`,
    '',
    `At fixed weights (${r.gradients.weightsFrom}), on one held-out window (state reset), every strategy's gradient on the GPU against full BPTT's g_full, over ${o.draws} draws of ξ for the randomized ones (one for the deterministic ones). bias = ‖E g − g_full‖, variance = E‖g − E g‖² (sample variance), error = E‖g − g_full‖²; each relative to ‖g_full‖ or ‖g_full‖². For an unbiased strategy the measured bias is the draws' noise, about √(variance / draws) (the "noise floor" column).`,
    '',
    img('gradient-bias-variance.svg', 'bias and variance of each gradient'),
    '',
    table(
      ['strategy', 'draws', 'bias / ‖g_full‖', 'noise floor / ‖g_full‖', 'variance / ‖g_full‖²', 'error / ‖g_full‖²', 'cos(E g, g_full)'],
      r.gradients.strategies.map((g) => [g.label, g.draws, e(g.relBias), e(g.relNoiseFloor), e(g.relVariance), e(g.relError), f(g.cosine, 4)]),
    ),
    '',
    `### Per-sequence ξ against shared ξ at equal π`,
    '',
    img('xi-shared-vs-per-sequence.svg', 'variance against π, shared and per-sequence ξ'),
    '',
    table(
      ['π', 'variance / ‖g_full‖², shared ξ (± standard error)', 'per-sequence ξ', 'ratio per-sequence / shared', 'largest 5% of draws: share of Σ‖g − g_full‖², shared', 'per sequence'],
      o.piSweep.map((pi) => {
        const sh = r.gradients.sweep.find((s) => s.pi === pi && s.form === 'shared')!;
        const ps = r.gradients.sweep.find((s) => s.pi === pi && s.form === 'per sequence')!;
        const pm = (g: GradientStats) => `${e(g.relVariance)} ± ${e(g.varianceSe * (g.relVariance / g.variance || 0))}`;
        const tail = (g: GradientStats) => (g.relError === 0 ? '—' : f(g.tailShare, 2));
        return [round(pi), pm(sh), pm(ps), sh.relVariance === 0 ? '—' : f(ps.relVariance / sh.relVariance, 3), tail(sh), tail(ps)];
      }),
    ),
    '',
    `Both forms are unbiased and draw each ξ with the same π; they differ in whether the ${o.batch} sequences of the minibatch share the cuts. The products of 1/π over long unbroken segments are heavy-tailed at small π: when the largest 5% of the draws carry much more than 5% of the squared error, a few extreme draws dominate and the variance estimate from ${o.draws} draws is unreliable (rerun with more --draws).`,
    '',
    `## The delay task: accuracy against lag k`,
    '',
    `The target at step t is the symbol at step t − k (alphabet of ${Math.round(1 / r.delay.chance)}, chance ${f(r.delay.chance)}). H = ${o.delayHidden}, B = ${o.delayBatch} × T = ${o.delayWindow}, ${o.delaySteps} steps per run, Adam lr ${o.lr}; accuracy on the next ${o.evalWindows} window(s) of each stream (argmax output, state carried on from training), mean over ${o.seeds} seed(s).`,
    '',
    img('delay-accuracy.svg', 'delay task accuracy against lag'),
    '',
  );
  const groups = groupDelay(r);
  out.push(
    table(
      ['strategy', ...o.lags.map((k) => `k = ${k}`)],
      groups.map((g) => [g.label, ...g.byLag.map((x) => f(x.accuracy) + (o.seeds > 1 ? ` (${f(x.min, 2)}–${f(x.max, 2)})` : ''))]),
    ),
    '',
    `## Forward mode = reverse mode`,
    '',
  );
  const fm = r.forwardMode;
  out.push(
    `The chapter derives ∂h_t/∂w forward in time, a_t = b_t + c_t·a_{t−1}, and cuts the sum three ways. src/reference/rtrl64.ts computes exactly that (real-time recurrent learning, float64, no reverse pass); here it is against the float64 reverse-mode reference (BPTT) and against the GPU engine (float32) with the same cut, on the chapter's model with H = ${fm.hidden}, B = ${fm.batch}, T = ${fm.window} steps of the corpus (random initial weights). The chapter's regular truncation, "terminate the sum after τ steps", lets the loss at step t reach h_t … h_{t−τ}: that is TBPTT(1, τ + 1), not the engine's blocks regular(τ).`,
    '',
    table(
      ['truncation', 'max \\|forward − reverse\\|', 'relative', 'GPU (float32) vs forward, relative', 'max \\|gradient\\|'],
      fm.rows.map((x) => [x.truncation, e(x.maxAbs), e(x.maxRel), e(x.gpuRel), e(x.maxGrad)]),
    ),
  );
  out.push('');
  return out.join('\n');
}
