// The benchmark report as Markdown (for BENCHMARKS.md).
import type { BenchReport } from './core';

const mb = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const fmt = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function toMarkdown(r: BenchReport): string {
  const out: string[] = [];
  out.push(`Run ${r.date} on **${r.adapter}**, ${r.environment}.`, '');
  for (const w of r.results) {
    const { V, H, B, T, name } = w.workload;
    out.push(`### ${name} (V=${V}, H=${H}, B=${B}, T=${T}): ${(w.flops / 1e6).toPrecision(3)} MFLOP per step`, '');
    const peer = (b: string) => w.peers.find((p) => p.backend === b && p.msPerStep !== null && p.trusted)?.msPerStep ?? null;
    const tfWebgpu = peer('webgpu'), tfWasm = peer('wasm');
    const peak = Math.max(...w.gemm.map((g) => g.gflops));
    out.push('| implementation | ms/step (median) | ms/step pipelined | tokens/s | GFLOP/s | % of GEMM ceiling (shapes) | % of peak GEMM rate | × TF.js webgpu | × TF.js wasm | peak GPU memory |');
    out.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const o of w.ours) {
      out.push(
        `| webgpu-bptt ${o.strategy} | ${fmt(o.msPerStep)} | ${fmt(o.msPerStepPipelined)} | ${o.tokensPerSecond.toFixed(0)} | ${fmt(o.gflops, 2)} | ${(100 * o.ceilingFraction).toFixed(0)}% | ${((100 * o.gflops) / peak).toFixed(0)}% | ` +
          `${tfWebgpu ? fmt(tfWebgpu / o.msPerStepPipelined) + '×' : '—'} | ${tfWasm ? fmt(tfWasm / o.msPerStepPipelined, 2) + '×' : '—'} | ${mb(o.peakBytes)} |`,
      );
    }
    for (const p of w.peers) {
      const tokens = p.msPerStep ? ((B * T * 1000) / p.msPerStep).toFixed(0) : '—';
      const gf = p.msPerStep ? fmt(w.flops / (p.msPerStep * 1e6), 2) : '—';
      const note = p.note ? ` (${p.note})` : ` (${p.steps} steps, initial loss ${fmt(p.initialLoss, 3)} ≈ ln V ${Math.log(V).toFixed(3)})`;
      out.push(`| TF.js ${p.backend} full${note} | ${fmt(p.msPerStep)} | — | ${tokens} | ${gf} | — | — | — | — | ${mb(p.peakBytes)} |`);
    }
    out.push('');
    out.push(
      `GEMM ceiling (our matmul kernel at the step's shapes): ` + w.gemm.map((g) => `${g.shape.join('×')} ×${g.count}: ${g.gflops.toFixed(2)} GFLOP/s`).join('; ') +
        `; ${w.ceilingMs.toFixed(1)} ms if every GEMM FLOP of the step ran at those rates. Above 100% means the fused recurrence kernel beats T separate small GEMMs. ` +
        `"% of peak" compares with the best GEMM rate of the run (${peak.toFixed(2)} GFLOP/s), the stricter ceiling.`,
      '',
    );
    out.push(`Per phase (${w.phases[0]?.method ?? '—'}, full BPTT): ` + w.phases.map((p) => `${p.phase} ${p.ms.toFixed(1)} ms`).join(' · '), '');
  }
  return out.join('\n');
}

/** Replace the text between the markers in BENCHMARKS.md (or append it). */
export function spliceLatest(doc: string, md: string): string {
  const begin = '<!-- latest-run:begin -->', end = '<!-- latest-run:end -->';
  const block = `${begin}\n${md}\n${end}`;
  const i = doc.indexOf(begin), j = doc.indexOf(end);
  return i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n## Latest run\n\n${block}\n`;
}
