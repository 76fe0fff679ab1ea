// The benchmark harness runs (tiny workload, TF.js wasm as the peer, the GEMM
// sweep checked against float64), the inference rows come out at a tiny size
// (ours, TF.js wasm and ONNX Runtime wasm, each checked against ours, ours
// against float64, before any time), its report names the adapter and says
// "software adapter" for a CPU one, --require-gpu refuses a software adapter
// before any workload, and the trainer allocates nothing per step.
// Speed is never asserted here: only that each number is there and sane.
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { gpu } from './gpu';
import { runBench } from '../bench/core';
import { WORKLOADS } from '../bench/workloads';
import { SWEEP, sweepName } from '../bench/gemm-sweep';
import type { MatmulVariant } from '../src/kernels/matmul';
import { toMarkdown, spliceLatest, headerLine } from '../bench/report';
import { runInference, INFERENCE_SHAPES, INFERENCE_TOLERANCE } from '../bench/inference';
import { inferenceMarkdown } from '../bench/inference-report';
import { adapterHeader } from '../bench/adapter';
import { detectGpu, CHROMIUM } from '../e2e/browser';
import { existsSync } from 'node:fs';
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { liveMemory } from '../src/gpu/buffers';
import { regular } from '../src/engine/truncation';
import { createRng } from '../src/util/rng';

type Info = GPUAdapterInfo & { isFallbackAdapter?: boolean };
const infoOf = (device: GPUDevice) => (device as GPUDevice & { adapterInfo: Info }).adapterInfo;
/** "vendor / architecture / device / description", the empty ones left out (the report's format). */
const nameOf = (i: Info) => [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ');
/** The test's own judgement: a fallback adapter, or a CPU rasterizer by name. */
const isSoftware = (i: Info) => i.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(nameOf(i));

/** `npm run bench -- ARGS`, its exit code and everything it printed. */
const bench = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, ['--import', './scripts/register.mjs', 'bench/run.ts', ...args], { maxBuffer: 1 << 24, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });

describe('benchmark harness', () => {
  it('runs on a tiny workload: tuning, the GEMM sweep, each GEMM against its ceiling, every strategy, the TF.js wasm peer', async () => {
    const device = await gpu();
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs');
    createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
    // a few sweep variants, to keep the test short: naive, register-blocked scalar, vec4 B, vec4 A and B
    // (bench-lstm.test.ts checks a register-blocked 8×8 scalar and the tiled one against float64)
    const picked = [
      SWEEP.find((v) => v.kind === 'naive')!,
      SWEEP.find((v) => v.kind === 'reg' && v.tm === 4 && !v.aVec && !v.bVec)!,
      SWEEP.find((v) => v.kind === 'reg' && !v.aVec && v.bVec && !v.unroll)!,
      SWEEP.find((v) => v.kind === 'reg' && v.aVec && v.bVec)!,
    ];
    const sweepVariants = picked.map(sweepName);
    // three matmul variants for the per-device choice (compiling all of them is most of the time on SwiftShader)
    const tuneVariants: MatmulVariant[] = ['scalar@8x8', 'vec4@8x8', '8x8@4x4'];
    const r = await runBench(device, { workloads: [WORKLOADS.tiny], strategies: ['full', 'regular', 'randomized'], warmup: 1, steps: 3, sweepVariants, tuneVariants, ceilingRounds: 1, tfjs: { tf, backends: ['wasm'], maxSeconds: 5 } }, 'test');
    const w = r.results[0];
    expect(w.unsupported).toBeUndefined();
    expect(w.ours.map((o) => o.strategy)).toEqual(['full', 'regular(τ=1)', 'randomized(π=0.2)']);
    for (const o of w.ours) {
      expect(o.ms.n).toBe(3);
      expect(o.ms.min).toBeGreaterThan(0);
      expect(o.ms.min).toBeLessThanOrEqual(o.ms.median);
      expect(o.ms.median).toBeLessThanOrEqual(o.ms.max);
      expect(o.gflops).toBeGreaterThan(0);
      expect(Number.isFinite(o.finalLoss)).toBe(true);
    }
    expect(w.phases.map((p) => p.phase)).toEqual(['input', 'forward', 'output', 'backward', 'weight-grads', 'clip']);
    // the per-device choice was made: rows of the recurrences, a matmul variant per tuned shape
    expect([1, 2]).toContain(w.tuning.rows!.best); // B = 2: rows 4 does not apply
    expect(Object.keys(w.tuning.rows!.ms).map(Number).sort()).toEqual([1, 2]);
    expect(w.tuning.matmul.length).toBeGreaterThan(0);
    for (const t of w.tuning.matmul) {
      expect(tuneVariants).toContain(t.best);
      expect(Object.keys(t.ms).every((v) => tuneVariants.includes(v as MatmulVariant))).toBe(true);
    }
    // the sweep: the step's four GEMM shapes and the recurrence's (B×H)·(H×H), every variant within 1e-4 of float64
    const tiny = WORKLOADS.tiny, R = tiny.B * tiny.T;
    expect(w.sweep.map((s) => [s.shape.M, s.shape.N, s.shape.K])).toEqual([[16, 16, R], [R, 8, 16], [8, 16, R], [R, 16, 8], [2, 16, 16]]);
    for (const s of w.sweep) {
      // the vec4 ones only where the layout has them: vec4 B without Bᵀ, vec4 A with Aᵀ
      const want = picked.filter((v) => (!v.bVec || !s.shape.transB) && (!v.aVec || !!s.shape.transA)).map(sweepName);
      expect(s.entries.map((e) => e.variant).sort()).toEqual(want.sort());
      for (const e of s.entries) expect(e.error).toBeLessThan(1e-4);
      expect(s.best.gflops).toBe(Math.max(...s.entries.map((e) => e.gflops)));
    }
    // each GEMM of the step against the ceiling at its own shape
    expect(w.gemms.map((g) => g.name)).toEqual(['dW_hh (layer 0)', 'O = H W_qhᵀ', 'dW_qh = dOᵀ H', 'dH = dO W_qh']);
    for (const g of w.gemms) {
      expect(tuneVariants).toContain(g.variant); // bind() takes the tuned choice
      expect(g.gflops).toBeGreaterThan(0);
      expect(g.ceilingGflops).toBeGreaterThan(0);
      // one paired ratio per round (ceilingRounds: 1, so 2 rounds for the GEMMs): the ceiling variant's time over ours in that round,
      // and the fastest reference's in that round, which is never slower than the ceiling variant's (one of the references)
      expect(g.ratios!.n).toBe(2);
      expect(g.ratios!.min).toBeLessThanOrEqual(g.ratios!.median);
      expect(g.ratios!.median).toBeLessThanOrEqual(g.ratios!.max);
      expect(g.ceilingRatios!.n).toBe(2);
      for (const q of ['min', 'median', 'max'] as const) expect(g.ceilingRatios![q]).toBeGreaterThanOrEqual(g.ratios![q]);
    }
    // each recurrence kernel against the sweep at its per-step shape, one paired ratio per round
    expect(w.recurrenceKernels!.map((k) => k.direction)).toEqual(['forward', 'backward']);
    for (const k of w.recurrenceKernels!) {
      expect(k.ratios!.n).toBe(1);
      expect(k.ratios!.median).toBeCloseTo(k.ratio, 10);
      expect(k.ceilingRatios!.median).toBeCloseTo(k.ratio, 10); // one round: the ceiling variant's run is the fastest run
    }
    expect(w.ceilingMs).toBeGreaterThan(0);
    // each strategy's share of the ceiling: the ceiling re-timed after its one round of pipelined steps, over that round's ms per step
    for (const o of w.ours) {
      expect(o.ceilingMsRounds).toHaveLength(1);
      expect(o.ceilingMsRounds![0]).toBeGreaterThan(0);
      expect(o.ceilingFractions!.n).toBe(1);
      expect(o.ceilingFraction).toBeCloseTo(o.ceilingMsRounds![0] / o.msPerStepPipelined, 10);
    }
    expect(w.peers[0].backend).toBe('wasm');
    expect(w.peers[0].trusted).toBe(true); // its first loss ≈ ln V, as ours
    expect(w.peers[0].kernelsPerStep).toBeGreaterThan(tiny.T); // several kernels per time step
    expect(w.peers[0].matmulGflops).toBeGreaterThan(0);
    r.commit = 'abc123';
    const md = toMarkdown(r);
    expect(md).toMatch(/TF\.js wasm: .* µs per kernel\./);
    // a bare matMul timed at a slow moment can make the FLOPs alone outlast the step: no negative overhead is printed
    const slow = structuredClone(r);
    slow.results[0].peers[0].matmulGflops = 1e-9;
    const slowMd = toMarkdown(slow);
    expect(slowMd).toContain('At that rate its FLOPs alone take longer than its step');
    expect(slowMd).not.toMatch(/The other -/);
    expect(md).toContain('from commit `abc123`');
    const pctOf = (x: number) => `${(100 * x).toFixed(0)}%`;
    expect(md).toContain(`| ${pctOf(w.ours[0].ceilingFraction)} [${pctOf(w.ours[0].ceilingFractions!.min)}–${pctOf(w.ours[0].ceilingFractions!.max)}] |`);
    // the header names the adapter the device came from, and says "software adapter" for a CPU one
    const info = infoOf(device);
    expect(r.adapterInfo).toMatchObject({ vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description });
    expect(md.split('\n')[0]).toBe(headerLine(r));
    expect(headerLine(r)).toContain(`on **${nameOf(info)}**`);
    expect(headerLine(r).includes('software adapter')).toBe(isSoftware(info));
    expect(md).toMatch(/\| webgpu-bptt full \| [\d.]+ \[[\d.]+–[\d.]+\] \|/); // median [min–max]
    expect(md).toMatch(/\| TF\.js wasm full/);
    expect(md).toMatch(/\| dW_hh \(layer 0\) \(weight-grads\) \| 16×16×8 Aᵀ \| ×1 \|/);
    // the GEMM rows: the per-round ratios as median [min–max] (against the ceiling variant, against each round's fastest), then the fastest runs' ratio
    const g0 = w.gemms[0];
    const cell = (s: { median: number; min: number; max: number }) => `${pctOf(s.median)} [${pctOf(s.min)}–${pctOf(s.max)}]`;
    expect(md).toContain(`| ${cell(g0.ceilingRatios!)} | ${cell(g0.ratios!)} | ${pctOf(g0.gflops / g0.ceilingGflops)} |`);
    // the tuner's choice is the device's (on SwiftShader with one thread the split recurrence can win at this size)
    const rows = w.tuning.rows!;
    expect(['sequence', 'split']).toContain(rows.recurrence);
    expect(md).toContain(rows.recurrence === 'split' ? 'Chosen on this device: recurrence = split (one dispatch per step over many workgroups), the fastest of rows 1: ' : `Chosen on this device: rows = ${rows.best} sequences per workgroup`);
    expect(md).toMatch(/ and split: [\d.]+ ms per step's forward \+ backward/);
    expect(md).toContain('kernels it launches per step');
    expect(spliceLatest('# B\n', md)).toContain('<!-- latest-run:begin -->');
    expect(spliceLatest(spliceLatest('# B\n', 'one'), 'two')).not.toContain('one');
  });

  it('inference at a tiny size: predict and stream of ours, TF.js wasm and ONNX Runtime wasm, each checked before it is timed; a failed check is shown, not timed', async () => {
    const device = await gpu();
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs');
    createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    const r = await runInference(device, { shape: INFERENCE_SHAPES.tiny, tfjs: { tf, layers: tf, backends: ['wasm'] }, ort: { ort, providers: ['wasm'] } });
    expect(r.rows.map((x) => `${x.implementation} ${x.mode} vs ${x.against}`)).toEqual([
      'webgpu-bptt predict vs float64', 'webgpu-bptt stream vs float64',
      'TF.js wasm predict vs ours', 'TF.js wasm stream vs ours',
      'ORT wasm predict vs ours', 'ORT wasm stream vs ours',
    ]);
    const { B, T } = INFERENCE_SHAPES.tiny;
    for (const x of r.rows) {
      const what = `${x.implementation} ${x.mode}`;
      expect(x.failure, what).toBeUndefined();
      // float32 everywhere: far inside the bench's 1e-3
      expect(x.maxAbsDiff!, what).toBeLessThan(1e-5);
      expect(x.ms!.n, what).toBe(x.mode === 'predict' ? 5 : T); // 5 batches; one pass of T steps
      expect(x.ms!.min).toBeLessThanOrEqual(x.ms!.median);
      expect(x.tokensPerSecond!, what).toBeCloseTo(((x.mode === 'predict' ? B * T : B) * 1000) / x.ms!.median, 6);
    }
    const md = toMarkdown({ date: 'd', adapter: 'a', environment: 'test', results: [], inference: r });
    expect(md).toContain('### Inference (forward only): tiny (V=8, H=16, B=2, T=4, lstm)');
    expect(md).toMatch(/\| webgpu-bptt \| predict: Model\.predict \| [\d.]+ \[[\d.]+–[\d.]+\] \(5\) \| \d+ \| — \| [\d.e+-]+ \(float64\) \|/);
    expect(md).toMatch(/\| ORT wasm \| stream: InferenceSession\.run, exportOnnx state: true, T = 1 \| [\d.]+ \[[\d.]+–[\d.]+\] \(4\) \| \d+ \| [\d.]+× \| /);
    // a row off by more than the tolerance says so, with no time and no ratio
    const bad = { ...r.rows[2], ms: null, tokensPerSecond: null, maxAbsDiff: 0.02, failure: `outputs differ from ours by 2.00e-2 > ${INFERENCE_TOLERANCE}: not timed` };
    expect(inferenceMarkdown({ ...r, rows: [r.rows[0], bad] }).join('\n')).toContain('| TF.js wasm | predict: model.predict (tf.layers.lstm + dense) | **FAILED, outputs differ from ours by 2.00e-2 > 0.001: not timed** | — | — | 2.0e-2 (ours) |');
  });

  it('the report header names the adapter; a software one (this device, llvmpipe, a fallback adapter) is called one, a GPU is not', async () => {
    const info = infoOf(await gpu());
    const here = adapterHeader(info);
    expect(here.startsWith(`**${nameOf(info)}**`)).toBe(true);
    expect(here.includes('software adapter')).toBe(isSoftware(info));
    if (/swiftshader/i.test(nameOf(info))) expect(here).toContain('software adapter: SwiftShader');
    // adapter info as Chromium reports it for Mesa's llvmpipe, for an NVIDIA GPU, and for an unnamed fallback adapter
    expect(adapterHeader({ vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toMatch(/^\*\*mesa \/ llvmpipe \(LLVM 15\.0\.6, 256 bits\)\*\* \(software adapter: llvmpipe /);
    expect(adapterHeader({ vendor: 'nvidia', architecture: 'hopper', device: '', description: '' })).toBe('**nvidia / hopper**');
    expect(adapterHeader({ vendor: 'acme', architecture: '', device: '', description: '', isFallbackAdapter: true })).toContain('software adapter: a fallback adapter');
  });

  it('--require-gpu stops before any workload, exit 3, naming a software adapter (Node and Chromium alike)', async () => {
    const info = infoOf(await gpu());
    const tinyRun = ['--require-gpu', '--workloads', 'tiny', '--strategies', 'full', '--peers', 'none', '--steps', '1', '--warmup', '0', '--no-sweep', '--no-write', '--matmul-variants', 'scalar@8x8'];
    const withChromium = existsSync(CHROMIUM);
    // Chromium as detected here, and with the GPU flags forced (BPTT_GPU=1): where no GPU answers them, its adapter is still a software one
    const [node, browser, forced] = await Promise.all([
      bench(['--env', 'node', ...tinyRun]),
      withChromium ? bench(['--env', 'browser', ...tinyRun]) : null,
      withChromium && !detectGpu().gpu ? bench(['--env', 'browser', ...tinyRun], { BPTT_GPU: '1' }) : null,
    ]);
    // in Node, Dawn gives the adapter this test's device came from
    expect(node.out).toContain(`adapter: ${nameOf(info)}`);
    if (isSoftware(info)) {
      expect(node.code, node.out).toBe(3);
      expect(node.out).toContain(`bench --require-gpu: the adapter is a software adapter, ${nameOf(info)} (`);
      expect(node.out).toContain('no workload was run');
      expect(node.out).not.toContain('workload tiny');
    } else {
      expect(node.code, node.out).toBe(0);
      expect(node.out).toContain('workload tiny');
    }
    if (!browser) return expect(withChromium).toBe(false);
    expect(browser.out).toMatch(/^Chromium flags: (GPU|SwiftShader)/m);
    expect(browser.out).toMatch(/^adapter: \S/m);
    // without a GPU, Chromium's flags are SwiftShader's, and its adapter is SwiftShader
    if (!detectGpu().gpu) {
      expect(browser.code, browser.out).toBe(3);
      expect(browser.out).toMatch(/bench --require-gpu: the adapter is a software adapter, \S.* \(SwiftShader \(/);
    }
    if (browser.code === 3) expect(browser.out).not.toContain('workload tiny');
    else expect(browser.code, browser.out).toBe(0);
    if (forced) {
      expect(forced.out).toContain('Chromium flags: GPU (Vulkan through ANGLE), because BPTT_GPU=1');
      expect(forced.code, forced.out).toBe(3);
      expect(forced.out).toMatch(/bench --require-gpu: the adapter is a software adapter, \S.* \(SwiftShader \(/);
      expect(forced.out).not.toContain('workload tiny');
    }
  });

  it('no per-step allocation: buffer count and bytes constant over 1,000 steps', async () => {
    const device = await gpu();
    const before = liveMemory(device);
    const tr = new Trainer(device, { config: charLmConfig(6, 8), batch: 2, steps: 3, truncation: regular(2), optimizer: { kind: 'adam', lr: 0.01 } });
    const held = liveMemory(device);
    const rng = createRng(4);
    const batch = () => ({ tokens: Array.from({ length: 6 }, () => rng.int(6)), targets: Array.from({ length: 6 }, () => rng.int(6)) });
    let maxBuffers = 0;
    for (let i = 0; i < 1000; i++) {
      await tr.step(batch());
      maxBuffers = Math.max(maxBuffers, liveMemory(device).buffers);
    }
    const last = await tr.flush();
    expect(last!.step).toBe(1000);
    expect(maxBuffers).toBe(held.buffers);
    expect(liveMemory(device)).toEqual(held);
    tr.destroy();
    expect(liveMemory(device)).toEqual(before);
  });
});
