// The benchmark, runnable in a browser page and in Node alike: our training
// step for each workload and truncation strategy, the TF.js per-op step on
// the same workload and device, the GEMM ceiling measured with our own matmul
// kernel at the step's shapes, and a per-phase breakdown.
import type * as tfType from '@tensorflow/tfjs-core';
import { Trainer } from '../src/engine/trainer';
import { full, regular, randomized, type Truncation } from '../src/engine/truncation';
import { charLmConfig } from '../src/model/config';
import { createMatmul } from '../src/kernels/matmul';
import { liveMemory } from '../src/gpu/buffers';
import { describeAdapter } from '../src/gpu/device';
import { createRng } from '../src/util/rng';
import type { Phase, PassScope } from '../src/engine/bptt';
import { timedPhases, onlyPhase } from '../src/engine/profile';
import { stepFlops, stepGemms, type Workload } from './workloads';
import { createTfjsStep } from './tfjs-step';

export type StrategyName = 'full' | 'regular' | 'randomized';
export type PeerBackend = 'webgpu' | 'wasm';

export interface BenchOptions {
  workloads: Workload[];
  strategies: StrategyName[];
  warmup: number;
  steps: number;
  /** TF.js and the backends to run; a backend whose warm-up step takes longer than maxStepSeconds is measured on fewer steps. */
  tfjs?: { tf: typeof tfType; backends: PeerBackend[]; maxSeconds: number };
  log?: (line: string) => void;
}

export interface OurResult {
  strategy: string;
  msPerStep: number;
  msPerStepPipelined: number;
  tokensPerSecond: number;
  gflops: number;
  ceilingFraction: number;
  peakBytes: number;
  finalLoss: number;
}

export interface PeerResult {
  backend: PeerBackend;
  msPerStep: number | null;
  steps: number;
  initialLoss: number;
  trusted: boolean;
  note?: string;
  peakBytes: number;
}

export interface WorkloadResult {
  workload: Workload;
  flops: number;
  gemm: { shape: [number, number, number]; count: number; gflops: number }[];
  ceilingMs: number;
  phases: { phase: string; ms: number; method: 'timestamp-query' | 'wall-clock' }[];
  ours: OurResult[];
  peers: PeerResult[];
}

export interface BenchReport {
  date: string;
  adapter: string;
  environment: string;
  results: WorkloadResult[];
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function strategy(name: StrategyName, T: number): Truncation {
  if (name === 'regular') return regular(Math.max(1, Math.round(T / 5)));
  if (name === 'randomized') return randomized(0.2);
  return full();
}

function batchFor(w: Workload, seed: number) {
  const rng = createRng(seed);
  return {
    tokens: Array.from({ length: w.B * w.T }, () => rng.int(w.V)),
    targets: Array.from({ length: w.B * w.T }, () => rng.int(w.V)),
  };
}

/** GFLOP/s of our matmul kernel at one shape (C = A·B, M×N×K), timed over enough repetitions. */
async function gemmGflops(device: GPUDevice, M: number, N: number, K: number): Promise<number> {
  const mk = (n: number) => device.createBuffer({ size: Math.max(16, n * 4), usage: GPUBufferUsage.STORAGE });
  const [a, b, c] = [mk(M * K), mk(K * N), mk(M * N)];
  const mm = createMatmul(device);
  const bound = mm.bind({ a, b, c }, { M, N, K });
  const run = async (reps: number) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < reps; i++) mm.encode(pass, bound);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await run(1);
  let reps = 1, ms = 0;
  for (;;) {
    const t0 = performance.now();
    await run(reps);
    ms = performance.now() - t0;
    if (ms > 150 || reps >= 4096) break;
    reps *= 4;
  }
  bound.destroy();
  for (const x of [a, b, c]) x.destroy();
  return (2 * M * N * K * reps) / (ms * 1e6);
}

/** Per-phase times of one step: timestamp queries where the device has them, else each phase alone by wall clock. */
async function phases(device: GPUDevice, trainer: Trainer): Promise<WorkloadResult['phases']> {
  const names: Phase[] = ['input', 'forward', 'output', 'backward', 'weight-grads', 'clip'];
  // the fused clip + update belongs to the 'clip' phase
  const update = (scope: PassScope) => trainer.encodeUpdate(scope.pass('clip'));
  if (device.features.has('timestamp-query')) {
    const n = 2 * 512;
    const qs = device.createQuerySet({ type: 'timestamp', count: n });
    const resolve = device.createBuffer({ size: n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const samples = new Map<Phase, number[]>(names.map((p) => [p, []]));
    for (let rep = 0; rep < 3; rep++) {
      const enc = device.createCommandEncoder();
      const scope = timedPhases(enc, qs);
      trainer.engine.encodeStep(enc, { passes: scope });
      update(scope);
      scope.end();
      enc.resolveQuerySet(qs, 0, scope.spans.length * 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, scope.spans.length * 16);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      const total = new Map<Phase, number>(names.map((p) => [p, 0]));
      for (const sp of scope.spans) total.set(sp.phase, total.get(sp.phase)! + Number(t[sp.end] - t[sp.begin]) / 1e6);
      for (const p of names) samples.get(p)!.push(total.get(p)!);
    }
    qs.destroy();
    resolve.destroy();
    read.destroy();
    const out = names.map((phase) => ({ phase, ms: median(samples.get(phase)!), method: 'timestamp-query' as const }));
    if (out.some((p) => p.ms > 0)) return out;
  }
  const out: WorkloadResult['phases'] = [];
  for (const name of names) {
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const scope = onlyPhase(enc, name);
      trainer.engine.encodeStep(enc, { passes: scope });
      update(scope);
      scope.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push(performance.now() - t0);
    }
    out.push({ phase: name, ms: median(times), method: 'wall-clock' });
  }
  return out;
}

async function ours(device: GPUDevice, w: Workload, name: StrategyName, o: BenchOptions, ceilingMs: number, flops: number): Promise<OurResult> {
  const memBefore = liveMemory(device).bytes;
  const trainer = new Trainer(device, { config: charLmConfig(w.V, w.H), batch: w.B, steps: w.T, truncation: strategy(name, w.T), optimizer: { kind: 'sgd', lr: 1 }, clip: 1, seed: 1 });
  const batch = batchFor(w, 2);
  let peak = liveMemory(device).bytes - memBefore;
  for (let i = 0; i < o.warmup; i++) await (await trainer.step(batch)).stats;
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < o.steps; i++) {
    const t0 = performance.now();
    loss = (await (await trainer.step(batch)).stats).loss;
    times.push(performance.now() - t0);
    peak = Math.max(peak, liveMemory(device).bytes - memBefore);
  }
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) await trainer.step(batch);
  await trainer.flush();
  const pipelined = (performance.now() - t0) / o.steps;
  trainer.destroy();
  const ms = median(times);
  return {
    strategy: strategy(name, w.T).describe,
    msPerStep: ms,
    msPerStepPipelined: pipelined,
    tokensPerSecond: (w.B * w.T * 1000) / pipelined,
    gflops: flops / (pipelined * 1e6),
    ceilingFraction: ceilingMs / pipelined,
    peakBytes: peak,
    finalLoss: loss,
  };
}

async function peer(tf: typeof tfType, backend: PeerBackend, w: Workload, o: BenchOptions): Promise<PeerResult> {
  const log = o.log ?? (() => {});
  try {
    if (!(await tf.setBackend(backend))) return { backend, msPerStep: null, steps: 0, initialLoss: NaN, trusted: false, note: 'backend unavailable', peakBytes: 0 };
    await tf.ready();
  } catch (e) {
    return { backend, msPerStep: null, steps: 0, initialLoss: NaN, trusted: false, note: `backend failed: ${String(e).slice(0, 80)}`, peakBytes: 0 };
  }
  const s = createTfjsStep(tf, w);
  try {
    const t0 = performance.now();
    const initialLoss = await s.step(); // warm-up; also the trust check
    const warmMs = performance.now() - t0;
    const trusted = Math.abs(initialLoss - Math.log(w.V)) < 0.5;
    const steps = Math.max(1, Math.min(o.steps, Math.floor((o.tfjs!.maxSeconds * 1000) / Math.max(warmMs, 1))));
    log(`  tfjs-${backend}: warm-up ${warmMs.toFixed(0)} ms, initial loss ${initialLoss.toFixed(3)} (ln V = ${Math.log(w.V).toFixed(3)}), timing ${steps} steps`);
    const times: number[] = [];
    let peak = s.memoryBytes();
    for (let i = 0; i < steps; i++) {
      const t1 = performance.now();
      await s.step();
      times.push(performance.now() - t1);
      peak = Math.max(peak, s.memoryBytes());
    }
    return { backend, msPerStep: median(times), steps, initialLoss, trusted, note: trusted ? undefined : 'initial loss is not ≈ ln V: time not trusted', peakBytes: peak };
  } finally {
    s.dispose();
  }
}

export async function runBench(device: GPUDevice, o: BenchOptions, environment: string): Promise<BenchReport> {
  const log = o.log ?? (() => {});
  const results: WorkloadResult[] = [];
  for (const w of o.workloads) {
    log(`workload ${w.name} (V=${w.V}, H=${w.H}, B=${w.B}, T=${w.T})`);
    const flops = stepFlops(w);
    const gemm = [];
    let ceilingMs = 0;
    for (const [M, N, K, count] of stepGemms(w)) {
      const gflops = await gemmGflops(device, M, N, K);
      gemm.push({ shape: [M, N, K] as [number, number, number], count, gflops });
      ceilingMs += (2 * M * N * K * count) / (gflops * 1e6);
      log(`  matmul ${M}×${N}×${K}: ${gflops.toFixed(2)} GFLOP/s`);
    }
    const result: WorkloadResult = { workload: w, flops, gemm, ceilingMs, phases: [], ours: [], peers: [] };
    for (const name of o.strategies) {
      const r = await ours(device, w, name, o, ceilingMs, flops);
      result.ours.push(r);
      log(`  ours ${r.strategy}: ${r.msPerStep.toFixed(1)} ms/step (pipelined ${r.msPerStepPipelined.toFixed(1)}), ${r.gflops.toFixed(2)} GFLOP/s, ${(100 * r.ceilingFraction).toFixed(0)}% of the GEMM ceiling`);
    }
    const tr = new Trainer(device, { config: charLmConfig(w.V, w.H), batch: w.B, steps: w.T, seed: 1 });
    tr.engine.writeBatch(batchFor(w, 2));
    tr.engine.writeXi(new Float32Array(w.T).fill(1));
    result.phases = await phases(device, tr);
    tr.destroy();
    log(`  phases (${result.phases[0]?.method}): ${result.phases.map((p) => `${p.phase} ${p.ms.toFixed(1)} ms`).join(', ')}`);
    if (o.tfjs) {
      for (const b of o.tfjs.backends) {
        const p = await peer(o.tfjs.tf, b, w, o);
        result.peers.push(p);
        log(`  tfjs-${b}: ${p.msPerStep === null ? p.note : `${p.msPerStep.toFixed(1)} ms/step`}`);
      }
    }
    results.push(result);
  }
  return { date: new Date().toISOString(), adapter: describeAdapter(device), environment, results };
}
