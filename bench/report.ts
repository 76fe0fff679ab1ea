// The benchmark report as Markdown (for BENCHMARKS.md).
import type { BenchReport, Spread, WorkloadResult } from './core';
import { pct, pctSpread } from './stats';
import { shapeLabel } from './gemm-sweep';
import { adapterHeader } from './adapter';
import { inferenceMarkdown } from './inference-report';
import type { InferenceResult } from './inference';

const mb = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
/** "median [min–max]" */
const sp = (s: Spread | null) => (s ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : '—');

function gemmSection(w: WorkloadResult): string[] {
  const out: string[] = [];
  if (!w.gemms.length && !w.recurrence) return out;
  const paired = w.gemms.some((g) => g.ratios);
  const both = w.gemms.some((g) => g.ceilingRatios);
  out.push(
    both
      ? "Each GEMM of the step against the ceiling at its shape: ours (the variant bind() chose) and the reference variants there (the sweep's three best, and the sweep's own text of our variant where it has one), timed in alternating rounds, each round starting one later in the list. " +
          "GFLOP/s are of each one's fastest run, and the ceiling variant is the reference with the fastest run. \"Ours / ceiling\" is paired round by round: the ceiling variant's time in that round over ours, median [min–max] over the rounds; beside it, the fastest reference of each round over ours (the statistic of the reports before 2026-12-06, which reads low wherever the references are as noisy as ours: the fastest of four noisy runs against one), and the fastest runs' ratio:"
      : paired
      ? "Each GEMM of the step against the ceiling at its shape: ours (the variant bind() chose) and the reference variants there (the sweep's three best, and the sweep's own text of our variant where it has one), timed in alternating rounds, each round starting one later in the list. " +
          "GFLOP/s are of each one's fastest run, the ceiling variant is the reference with the fastest run, and \"ours / ceiling\" is, round by round, the fastest reference in that round over ours: median [min–max] over the rounds (beside it, the fastest runs' ratio):"
      : "Each GEMM of the step against the ceiling at its shape: ours (the variant bind() chose) and the sweep's three best variants there, timed in alternating rounds; the fastest run of each counts, the ceiling is the fastest sweep variant:",
    '',
  );
  out.push(`| GEMM (phase) | shape | per step | our variant (chosen at bind) | ours GFLOP/s | ceiling GFLOP/s (sweep variant) | ours / ceiling${both ? ', per round | ours / each round\'s fastest reference' : ''}${paired ? ', per round | fastest / fastest' : ''} |`);
  out.push(`|---|---|---|---|---|---|---|${both ? '---|' : ''}${paired ? '---|' : ''}`);
  for (const g of w.gemms) {
    const fastestRatio = pct(g.gflops / g.ceilingGflops);
    out.push(`| ${g.name} (${g.phase}) | ${shapeLabel(g.shape)} | ×${g.count} | ${g.variant} | ${fmt(g.gflops, 2)} | ${fmt(g.ceilingGflops, 2)} (${g.ceilingVariant}) | ${both ? `${pctSpread(g.ceilingRatios)} | ` : ''}${paired ? `${pctSpread(g.ratios)} | ${fastestRatio}` : fastestRatio} |`);
  }
  const r = w.recurrence;
  if (r) {
    const fwd = w.phases.find((p) => p.phase === 'forward')?.ms, bwd = w.phases.find((p) => p.phase === 'backward')?.ms;
    out.push('');
    out.push(
      `Recurrences (fused kernels, not GEMMs; ${w.workload.T} steps of ${shapeLabel(r.shape)} each way): the sweep's best at that shape is ${fmt(r.ceilingGflops, 2)} GFLOP/s (${r.ceilingVariant}), ` +
        `${fmt(r.ceilingMsPerDirection)} ms per direction as ${w.workload.T} separate GEMMs. Measured: forward phase ${fmt(fwd)} ms (${fwd ? pct(r.ceilingMsPerDirection / fwd) : '—'} of that), ` +
        `backward phase ${fmt(bwd)} ms (${bwd ? pct(r.ceilingMsPerDirection / bwd) : '—'}; it also computes tanh′ and the carried ∂L/∂h).`,
    );
  }
  out.push('');
  const retimed = w.ours.flatMap((o) => o.ceilingMsRounds ?? []);
  out.push(
    `The ceiling for the whole step: ${fmt(w.ceilingMs)} ms if every GEMM FLOP (recurrences included) ran at the sweep's best rate at its shape` +
      (retimed.length
        ? `; re-timed after each round of pipelined steps (the fastest variant at each shape, timed again), ${fmt(Math.min(...retimed))}–${fmt(Math.max(...retimed))} ms. ` +
          "The \"% of GEMM ceiling\" in the table above is the median over rounds of that round's ceiling over that round's ms per step, [min–max] beside it."
        : '.'),
    '',
  );
  out.push(...recurrenceKernelSection(w));
  return out;
}

/** Each recurrence kernel's ms per step-window and its ratio to the sweep's best rate at its per-step shape. */
function recurrenceKernelSection(w: WorkloadResult): string[] {
  const ks = w.recurrenceKernels ?? [];
  if (!ks.length) return [];
  const paired = ks.some((k) => k.ratios);
  const both = ks.some((k) => k.ceilingRatios);
  const out = [
    both
      ? `Each recurrence kernel against the sweep's best rate at its per-step shape (${w.workload.T} products per window; the reverse's product is the transposed one, the same FLOPs): its time is the profiled phase (in a round, its fastest repetition), and the sweep's three best variants at that shape are timed again in rounds alternating with the phases, each round starting one later in the list. ` +
        "ms and GFLOP/s are of the fastest round, and the ceiling variant is the one with the fastest run. \"Kernel / ceiling\" is paired round by round: the window's products at the ceiling variant in that round over the kernel's time, median [min–max]; beside it, the same against the fastest of the three in each round (the statistic before 2026-12-06), and the fastest runs' ratio:"
      : paired
      ? `Each recurrence kernel against the sweep's best rate at its per-step shape (${w.workload.T} products per window; the reverse's product is the transposed one, the same FLOPs): its time is the profiled phase (in a round, its fastest repetition), and the sweep's three best variants at that shape are timed again in rounds alternating with the phases, each round starting one later in the list. ` +
        "ms and GFLOP/s are of the fastest round, the ceiling variant is the one with the fastest run, and \"kernel / ceiling\" is, round by round, the window's products at the fastest variant in that round over the kernel's time: median [min–max] over the rounds (beside it, the fastest runs' ratio):"
      : `Each recurrence kernel against the sweep's best rate at its per-step shape (${w.workload.T} products per window; the reverse's product is the transposed one, the same FLOPs): its time is the profiled phase's fastest repetition, and the sweep's three best variants at that shape are timed again in rounds alternating with the phases; the fastest run of each counts:`,
    '',
    `| kernel | per-step product | products per window | ms per window | GFLOP/s | ceiling GFLOP/s (sweep variant) | kernel / ceiling${both ? ', per round | kernel / each round\'s fastest' : ''}${paired ? ', per round | fastest / fastest' : ''} |`,
    `|---|---|---|---|---|---|---|${both ? '---|' : ''}${paired ? '---|' : ''}`,
  ];
  for (const k of ks) {
    out.push(`| ${k.kernel} | ${shapeLabel(k.shape)} | ${k.steps} | ${fmt(k.ms)} | ${fmt(k.gflops, 2)} | ${fmt(k.ceilingGflops, 2)} (${k.ceilingVariant}) | ${both ? `${pctSpread(k.ceilingRatios)} | ` : ''}${paired ? `${pctSpread(k.ratios)} | ${pct(k.ratio)}` : pct(k.ratio)} |`);
  }
  out.push('');
  return out;
}

function sweepSection(w: WorkloadResult): string[] {
  if (!w.sweep.length) return [];
  const lines = w.sweep.map((s) => `${shapeLabel(s.shape)}: ${s.entries.slice(0, 3).map((e) => `${e.variant} ${e.gflops.toFixed(2)}`).join(', ')} (${s.entries.length} variants, largest relative error against float64 ${Math.max(...s.entries.map((e) => e.error)).toExponential(0)})`);
  return ['Sweep (GFLOP/s, top three per shape): ' + lines.join('; ') + '.', ''];
}

function peerSection(w: WorkloadResult): string[] {
  const out: string[] = [];
  for (const p of w.peers) {
    if (!p.ms || p.matmulGflops === undefined || p.kernelsPerStep === undefined) continue;
    const flopMs = w.flops / (p.matmulGflops * 1e6);
    const rest = p.ms.median - flopMs;
    out.push(
      `TF.js ${p.backend}: a bare \`tf.matMul\` at ${w.workload.B}×${w.workload.H}×${w.workload.H} runs at ${fmt(p.matmulGflops, 2)} GFLOP/s; the step's ${(w.flops / 1e6).toFixed(0)} MFLOP at that rate take ${fmt(flopMs)} ms of its ${fmt(p.ms.median)} ms. ` +
        (rest > 0
          ? `The other ${fmt(rest)} ms are spread over the ${p.kernelsPerStep} kernels it launches per step: ${fmt((1000 * rest) / p.kernelsPerStep, 0)} µs per kernel.`
          : `At that rate its FLOPs alone take longer than its step: the bare matMul was timed after the steps, and this machine's speed moves within a run, so no per-kernel overhead can be told apart (${p.kernelsPerStep} kernels per step).`),
    );
  }
  if (out.length) out.push('');
  return out;
}

/** The adapter as the header names it; a report saved before adapterInfo existed has only the joined string. */
function adapterOf(r: BenchReport): string {
  return adapterHeader(r.adapterInfo !== undefined ? r.adapterInfo : { vendor: '', architecture: '', device: '', description: r.adapter });
}

/** The report's first line: when, from which commit, on which adapter (a software one said so), in what environment. */
export function headerLine(r: BenchReport): string {
  return `Run ${r.date}${r.commit ? ` from commit \`${r.commit}\`` : ''} on ${adapterOf(r)}, ${r.environment}. Times: median [min–max] over the timed steps.`;
}

export function toMarkdown(r: BenchReport & { inference?: InferenceResult }): string {
  const out: string[] = [];
  out.push(headerLine(r), '');
  for (const w of r.results) {
    const { V, H, B, T, name } = w.workload;
    out.push(`### ${name} (V=${V}, H=${H}, B=${B}, T=${T}${w.workload.cell ? `, ${w.workload.cell}` : ''}): ${(w.flops / 1e6).toPrecision(3)} MFLOP per step`, '');
    if (w.unsupported) out.push(`Our engine does not run this workload: ${w.unsupported}`, '');
    const rows = w.tuning.rows;
    if (rows || w.tuning.matmul.length) {
      out.push(
        'Chosen on this device: ' +
          (rows
            ? `${rows.recurrence === 'split' ? 'recurrence = split (one dispatch per step over many workgroups)' : `rows = ${rows.best} sequences per workgroup in the recurrences`}, the fastest of ` +
              `rows ${Object.entries(rows.ms).map(([k, ms]) => `${k}: ${fmt(ms)} ms`).join(', ')}${rows.split !== undefined ? ` and split: ${fmt(rows.split)} ms` : ''} per step's forward + backward; `
            : '') +
          'matmul ' + w.tuning.matmul.map((t) => `${shapeLabel(t.shape)} → ${t.best}`).join(', ') + '.',
        '',
      );
    }
    const peer = (b: string) => w.peers.find((p) => p.backend === b && p.ms && p.trusted)?.ms?.median ?? null;
    const tfWebgpu = peer('webgpu'), tfWasm = peer('wasm');
    out.push('| implementation | ms/step, each awaited | ms/step pipelined | tokens/s | GFLOP/s | % of GEMM ceiling | × TF.js webgpu | × TF.js wasm | peak GPU memory |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const o of w.ours) {
      out.push(
        `| webgpu-bptt ${o.strategy} | ${sp(o.ms)} | ${fmt(o.msPerStepPipelined)} | ${o.tokensPerSecond.toFixed(0)} | ${fmt(o.gflops, 2)} | ${o.ceilingFractions ? `${pct(o.ceilingFractions.median)} [${pct(o.ceilingFractions.min)}–${pct(o.ceilingFractions.max)}]` : w.ceilingMs ? pct(o.ceilingFraction) : '—'} | ` +
          `${tfWebgpu ? fmt(tfWebgpu / o.msPerStepPipelined) + '×' : '—'} | ${tfWasm ? fmt(tfWasm / o.msPerStepPipelined, 2) + '×' : '—'} | ${mb(o.peakBytes)} |`,
      );
    }
    for (const p of w.peers) {
      const m = p.ms?.median ?? null;
      const tokens = m ? ((B * T * 1000) / m).toFixed(0) : '—';
      const gf = m ? fmt(w.flops / (m * 1e6), 2) : '—';
      const note = p.note ? ` (${p.note})` : ` (${p.ms!.n} steps, initial loss ${fmt(p.initialLoss, 3)} ≈ ln V ${Math.log(V).toFixed(3)})`;
      out.push(`| TF.js ${p.backend} full${note} | ${sp(p.ms)} | — | ${tokens} | ${gf} | — | — | — | ${mb(p.peakBytes)} |`);
    }
    out.push('');
    out.push(...gemmSection(w), ...sweepSection(w), ...peerSection(w));
    if (w.phases.length) out.push(`Per phase (${w.phases[0].method}, full BPTT): ` + w.phases.map((p) => `${p.phase} ${p.ms.toFixed(1)} ms`).join(' · '), '');
  }
  if (r.inference) out.push(...inferenceMarkdown(r.inference));
  return out.join('\n');
}

/** Replace the text between the markers in BENCHMARKS.md (or append it). */
export function spliceLatest(doc: string, md: string): string {
  const begin = '<!-- latest-run:begin -->', end = '<!-- latest-run:end -->';
  const block = `${begin}\n${md}\n${end}`;
  const i = doc.indexOf(begin), j = doc.indexOf(end);
  return i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n## Latest run\n\n${block}\n`;
}
