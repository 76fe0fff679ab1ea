// bench/gpu.sh's helper. `specs S,M,LSTM`: the workloads as name:V:H:B:T:cell
// for bench/torch_rnn.py. `table node.json torch.json names nodeNote
// browser.json browserNote`: one table of our engine (bench/run.ts --env node,
// and --env browser where Chromium ran) and PyTorch (cuDNN and an autograd
// loop) from the same run, each row's adapter named (a software one said so)
// and its initial loss beside ln V as its check.
import { readFileSync, existsSync } from 'node:fs';
import { WORKLOADS, type Workload } from './workloads';
import type { BenchReport, Spread } from './core';
import { adapterName, softwareAdapterReason } from '../src/gpu/device';

interface TorchReport {
  torch: string | null;
  reason?: string;
  device?: string;
  backend?: string;
  rows: { workload: string; impl: string; ms: Spread; initialLoss: number }[];
}

interface Row {
  workload: Workload;
  impl: string;
  device: string;
  ms: Spread | null;
  loss: number | null;
  note?: string;
}

const f = (x: number, d = 1) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));

/** The adapter of a run of ours, "(software adapter)" after it when it runs on the CPU. */
export function adapterCell(r: BenchReport): string {
  const info = r.adapterInfo ?? { vendor: '', architecture: '', device: '', description: r.adapter };
  return `${adapterName(info)}${softwareAdapterReason(info) ? ' (software adapter)' : ''}`;
}

/** Our rows of one workload from one run of ours (Node or Chromium). */
function ourRow(w: Workload, impl: string, run: BenchReport | null, note: string): Row {
  const r = run?.results.find((x) => x.workload.name === w.name);
  const full = r?.ours.find((o) => o.strategy === 'full');
  const device = run ? adapterCell(run) : '—';
  return full ? { workload: w, impl, device, ms: full.ms, loss: full.initialLoss } : { workload: w, impl, device, ms: null, loss: null, note: r?.unsupported ?? (note || 'no result') };
}

/**
 * One Markdown table: a row per workload and implementation; ratios against
 * PyTorch's cuDNN (or built-in) module. `browser` undefined: no Chromium part
 * (no row); null: it ran and left no result (a row with `browserNote`).
 */
export function gpuTable(node: BenchReport | null, torch: TorchReport | null, names: string[], nodeNote = '', browser?: BenchReport | null, browserNote = ''): string {
  const rows: Row[] = [];
  for (const name of names) {
    const w = WORKLOADS[name];
    rows.push(ourRow(w, 'webgpu-bptt (full BPTT)', node, nodeNote));
    if (browser !== undefined) rows.push(ourRow(w, 'webgpu-bptt in Chromium (full BPTT)', browser, browserNote));
    for (const t of torch?.rows.filter((x) => x.workload === name) ?? []) rows.push({ workload: w, impl: t.impl, device: `${torch!.device}, PyTorch ${torch!.torch}`, ms: t.ms, loss: t.initialLoss });
  }
  const out = ['| workload | implementation | device | ms/step median [min–max] | tokens/s | × PyTorch module | initial loss (ln V) |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const { name, V, H, B, T, cell } = r.workload;
    const mod = torch?.rows.find((x) => x.workload === name && !x.impl.includes('autograd'));
    const ratio = r.ms && mod ? `${(mod.ms.median / r.ms.median).toFixed(2)}×` : '—';
    const ms = r.ms ? `${f(r.ms.median, 2)} [${f(r.ms.min, 2)}–${f(r.ms.max, 2)}]` : '—';
    const tok = r.ms ? ((B * T * 1000) / r.ms.median).toFixed(0) : '—';
    const loss = r.loss !== null ? `${r.loss.toFixed(3)} (${Math.log(V).toFixed(3)})` : (r.note ?? '—');
    out.push(`| ${name} (V=${V}, H=${H}, B=${B}, T=${T}${cell ? `, ${cell}` : ''}) | ${r.impl} | ${r.device} | ${ms} | ${tok} | ${ratio} | ${loss} |`);
  }
  if (torch && torch.torch === null) out.push('', `PyTorch: not installed (${torch.reason}); its rows are left out.`);
  return out.join('\n');
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'specs') {
  const names = (rest[0] ?? '').split(',').filter(Boolean);
  for (const n of names) if (!WORKLOADS[n]) throw new Error(`unknown workload ${n}; known: ${Object.keys(WORKLOADS).join(', ')}`);
  console.log(names.map((n) => { const w = WORKLOADS[n]; return `${n}:${w.V}:${w.H}:${w.B}:${w.T}:${w.cell ?? 'rnn'}`; }).join(','));
} else if (cmd === 'table') {
  const [nodeFile, torchFile, names, nodeNote, browserFile, browserNote] = rest;
  const read = <T>(p: string): T | null => (p && existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : null);
  const node = read<BenchReport>(nodeFile);
  // the Chromium part ran when it left a result or a note; else it was left out
  const browser = read<BenchReport>(browserFile) ?? (browserNote ? null : undefined);
  for (const run of [node, browser]) if (run) console.log(`Our engine: ${run.environment}, adapter ${adapterCell(run)}, commit ${run.commit ?? '?'}, ${run.date}.`);
  console.log(gpuTable(node, read<TorchReport>(torchFile), names.split(','), nodeNote, browser, browserNote));
}
