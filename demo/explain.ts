// The page's words: what the data asks of the gradient, the status line, and
// the warning when steps are skipped as non-finite. Pure functions of the
// settings and the runs.
import type { Settings } from './settings';
import type { Run } from './run';

const fmt = (x: number) => (x >= 0.01 ? x.toFixed(2) : x.toExponential(0));

/**
 * What the data asks of the gradient. For the delay task: the target at t is
 * the input at t − k, so the loss at t must reach h_{t−k}: k links back. A
 * block of τ steps has τ − 1 links, so regular truncation needs τ ≥ k + 1, full
 * BPTT a window T ≥ k + 1, and randomized truncation keeps a k-link path with
 * probability π^k (scaled by 1/π^k, so unbiased, but rare when π^k is small).
 */
export function explainData(s: Settings): string {
  if (s.data !== 'delay') return 'Perplexity 28 is guessing among the 28 characters; the chapter reaches about 1 after long training.';
  const k = s.delay, keep = s.pi ** k;
  const regular = s.tau >= k + 1
    ? `regular truncation with τ = ${s.tau} can (a block of τ steps has τ − 1 = ${s.tau - 1} links, enough for ${k})`
    : `regular truncation with τ = ${s.tau} cannot (a block of τ steps has only τ − 1 = ${s.tau - 1} links; it needs τ ≥ ${k + 1})`;
  const full = s.steps >= k + 1 ? `full BPTT over the window of ${s.steps} steps can` : `full BPTT cannot either: the window of ${s.steps} steps is shorter than ${k + 1}`;
  const rand = keep >= 0.05
    ? `randomized truncation with π = ${s.pi} can: it keeps all ${k} links with probability π^${k} = ${fmt(keep)} and scales those paths by 1/π^${k}`
    : `randomized truncation with π = ${s.pi} keeps all ${k} links only with probability π^${k} = ${fmt(keep)}, so in practice it learns slowly or not at all (raise π or lower k)`;
  // TBPTT(k1, k2): the loss at t reaches j = (⌊t/k1⌋ + 1)·k1 − k2, so t − j ≥ k for every loss when k2 ≥ k1 + k, for none when k2 < k + 1
  const tb = s.strategy !== 'tbptt' ? '' : s.k2 >= s.k1 + k
    ? `; TBPTT(${s.k1}, ${s.k2}) can: every loss reaches k2 − k1 + 1 = ${s.k2 - s.k1 + 1} ≥ ${k + 1} steps back`
    : s.k2 >= k + 1
      ? `; TBPTT(${s.k1}, ${s.k2}) can, from some losses: a loss reaches between k2 − k1 + 1 = ${s.k2 - s.k1 + 1} and k2 = ${s.k2} steps back, and ${k + 1} are needed`
      : `; TBPTT(${s.k1}, ${s.k2}) cannot: no loss reaches more than k2 = ${s.k2} steps back, and ${k + 1} are needed`;
  return `Delay task: chance loss is ln 8 ≈ 2.08. Learning it needs the gradient to travel k = ${k} links back, from the loss at t to h_(t−${k}): ${regular}; ${full}; ${rand}${tb}. Press "Compare strategies" to see ${tb ? 'all four' : 'all three'}.`;
}

/** The status line: step, loss, perplexity, speed, clipping; a skipped latest step shows as such, never as the last finite loss. */
export function statusLine(runs: Run[], running: boolean): string {
  const r0 = runs[0];
  const lossText = (r: Run) => {
    if (r.latest?.skipped) return 'loss not finite (step skipped)';
    const l = r.lastLoss;
    return Number.isFinite(l) ? `loss ${l.toFixed(3)} · perplexity ${Math.exp(l).toFixed(2)}` : 'loss …';
  };
  const skipped = (r: Run) => (r.skipped ? ` · ${r.skipped} skipped as non-finite` : '');
  const parts = runs.map((r) => `${r.label}: ${lossText(r)}${skipped(r)}`);
  const lr = r0.lr.last ? ` · lr ${r0.lr.last.value.toPrecision(3)}` : '';
  return `Step ${r0.steps} · ${lossText(r0)}${lr} · ${Math.round(r0.tokensPerSecond)} tokens/s · clipped ${r0.clipped} of ${r0.measured} steps${skipped(r0)}` +
    (runs.length > 1 ? ` — ${parts.join('; ')}` : '') + (running ? '' : ' · paused');
}

/**
 * The warning when steps were skipped because the loss or the gradient norm
 * was NaN or ∞: the chapter's exploding gradient, the count, what to change.
 * Empty when no step was skipped.
 */
export function nonfiniteWarning(runs: Run[], pausedForIt: boolean): string {
  const hit = runs.filter((r) => r.skipped > 0);
  if (!hit.length) return '';
  const counts = hit.map((r) => `${runs.length > 1 ? `${r.label}: ` : ''}${r.skipped} of ${r.measured} steps skipped (latest: step ${r.lastSkippedStep})`).join('; ');
  const s = hit[0].settings;
  const advice = [
    s.clip >= 100 ? `clip the gradient norm at θ = 1 (it is ${s.clip})` : `clip harder (θ is ${s.clip})`,
    `lower the learning rate (it is ${s.lr})`,
    s.activation === 'identity' ? 'or use tanh, which bounds h_t' : 'or shorten the window T',
  ];
  return `Exploding gradient: the loss or the gradient norm became NaN or ∞, so those updates were skipped — ${counts}. ` +
    `This is the chapter's exploding-gradient lesson: through T steps the gradient is multiplied by W_hh about T times, and with ρ(W_hh) > 1 it grows like ρ^T until it overflows. ` +
    `To fix it: ${advice.join(', ')}.` + (pausedForIt ? ' Training was paused because every recent step was skipped.' : '');
}
