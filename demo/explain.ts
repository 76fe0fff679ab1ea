// The page's words: what the data asks of the gradient, the status line, and
// the warning when steps are skipped as non-finite. Pure functions of the
// settings and the runs.
import type { Settings } from './settings';
import type { Run } from './run';
import { t } from './i18n';

const fmt = (x: number) => (x >= 0.01 ? x.toFixed(2) : x.toExponential(0));

/**
 * What the data asks of the gradient. For the delay task: the target at t is
 * the input at t − k, so the loss at t must reach h_{t−k}: k links back. A
 * block of τ steps has τ − 1 links, so regular truncation needs τ ≥ k + 1, full
 * BPTT a window T ≥ k + 1, and randomized truncation keeps a k-link path with
 * probability π^k (scaled by 1/π^k, so unbiased, but rare when π^k is small).
 */
export function explainData(s: Settings, vocab = 28): string {
  if (s.data !== 'delay') return t('textExplain', { v: vocab });
  const k = s.delay, keep = s.pi ** k, need = k + 1;
  const regular = t(s.tau >= need ? 'delayRegularCan' : 'delayRegularCannot', { tau: s.tau, links: s.tau - 1, k, need });
  const full = t(s.steps >= need ? 'delayFullCan' : 'delayFullCannot', { T: s.steps, need });
  const rand = t(keep >= 0.05 ? 'delayRandCan' : 'delayRandCannot', { pi: s.pi, k, keep: fmt(keep) });
  // TBPTT(k1, k2): the loss at t reaches j = (⌊t/k1⌋ + 1)·k1 − k2, so t − j ≥ k for every loss when k2 ≥ k1 + k, for none when k2 < k + 1
  const tb = s.strategy !== 'tbptt' ? '' : t(s.k2 >= s.k1 + k ? 'delayTbCan' : s.k2 >= need ? 'delayTbSome' : 'delayTbCannot', { k1: s.k1, k2: s.k2, reach: s.k2 - s.k1 + 1, need });
  return t('delayExplain', { k, regular, full, rand, tb });
}

/** The status line: step, loss, perplexity, speed, clipping; a skipped latest step shows as such, never as the last finite loss. */
export function statusLine(runs: Run[], running: boolean): string {
  const r0 = runs[0];
  const lossText = (r: Run) => {
    if (r.latest?.skipped) return t('statusNotFinite');
    const l = r.lastLoss;
    return Number.isFinite(l) ? t('statusLoss', { loss: l.toFixed(3), ppl: Math.exp(l).toFixed(2) }) : t('statusLossWait');
  };
  const skipped = (r: Run) => (r.skipped ? t('statusSkipped', { n: r.skipped }) : '');
  const parts = runs.map((r) => `${r.label}: ${lossText(r)}${skipped(r)}`);
  const lr = r0.lr.last ? ` · lr ${r0.lr.last.value.toPrecision(3)}` : '';
  return t('status', {
    n: r0.steps, loss: lossText(r0), lr, tps: Math.round(r0.tokensPerSecond), clipped: r0.clipped, measured: r0.measured, skipped: skipped(r0),
    runs: runs.length > 1 ? ` — ${parts.join('; ')}` : '', paused: running ? '' : t('statusPaused'),
  });
}

/**
 * The warning when steps were skipped because the loss or the gradient norm
 * was NaN or ∞: the chapter's exploding gradient, the count, what to change.
 * Empty when no step was skipped.
 */
export function nonfiniteWarning(runs: Run[], pausedForIt: boolean): string {
  const hit = runs.filter((r) => r.skipped > 0);
  if (!hit.length) return '';
  const counts = hit.map((r) => t('warnCount', { label: runs.length > 1 ? `${r.label}: ` : '', n: r.skipped, m: r.measured, last: r.lastSkippedStep })).join('; ');
  const s = hit[0].settings;
  const advice = [
    s.clip >= 100 ? t('warnClip1', { clip: s.clip }) : t('warnClipHarder', { clip: s.clip }),
    t('warnLr', { lr: s.lr }),
    s.activation === 'identity' ? t('warnTanh') : t('warnShorter'),
  ];
  return t('warning', { counts, advice: advice.join(', '), paused: pausedForIt ? t('warnPaused') : '' });
}
