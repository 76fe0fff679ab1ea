// The inference section of the bench report as Markdown (bench/report.ts
// appends it to the "Latest run" section).
import type { InferenceResult, InferenceRow } from './inference';

/** Two decimals below 10 ms, one above (a page that is not cross-origin isolated times to 0.1 ms). */
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '—');
const exp = (x: number | null) => (x === null ? '—' : x === 0 ? '0' : x.toExponential(1));

/** "### Inference (forward only)": how it was run, then one row per implementation and mode, predict first. */
export function inferenceMarkdown(r: InferenceResult): string[] {
  const { V, H, B, T, name } = r.shape;
  const out: string[] = [];
  out.push(`### Inference (forward only): ${name} (V=${V}, H=${H}, B=${B}, T=${T}, lstm)`, '');
  out.push(
    `Next-token probabilities at every step, the same weights (U(±${r.weightScale}/√H)) in every implementation. ` +
      `predict: ms per batch of B·T = ${B * T} tokens; stream: ms per step of B = ${B} streams, the state carried (${B} tokens). ` +
      `ours ÷ this: our tokens/s over the row's, same mode (above 1: ours is faster). ` +
      `max |Δ|: the largest difference of a probability against ours (ours: against float64 on the first sequences), checked before timing; a row above ${r.tolerance} is not timed.`,
    '',
  );
  out.push('| implementation | mode: call | ms per call, median [min–max] (calls) | tokens/s | ours ÷ this | max \\|Δ\\| (against) |');
  out.push('|---|---|---|---|---|---|');
  const ours = (mode: string) => r.rows.find((x) => x.implementation === 'webgpu-bptt' && x.mode === mode)?.tokensPerSecond ?? null;
  const line = (x: InferenceRow) => {
    const who = `${x.implementation}${x.note ? ` (${x.note})` : ''}`;
    const diff = `${exp(x.maxAbsDiff)} (${x.against})`;
    if (x.failure || !x.ms || !x.tokensPerSecond) return `| ${who} | ${x.mode}: ${x.call} | **${x.failure?.startsWith('outputs differ') ? 'FAILED, ' : ''}${x.failure ?? 'no time'}** | — | — | ${diff} |`;
    const o = ours(x.mode);
    const ratio = x.implementation === 'webgpu-bptt' ? '—' : o ? `${(o / x.tokensPerSecond).toFixed(2)}×` : '—';
    return `| ${who} | ${x.mode}: ${x.call} | ${fmt(x.ms.median)} [${fmt(x.ms.min)}–${fmt(x.ms.max)}] (${x.ms.n}) | ${x.tokensPerSecond.toFixed(0)} | ${ratio} | ${diff} |`;
  };
  for (const mode of ['predict', 'stream']) for (const x of r.rows) if (x.mode === mode) out.push(line(x));
  out.push('');
  return out;
}
