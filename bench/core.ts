// The benchmark, runnable in a browser page and in Node alike, per workload:
// the per-device choice (matmul variants timed at the step's GEMM shapes,
// sequences per workgroup of the recurrences), an independent GEMM sweep
// (bench/gemm-sweep.ts) whose best variant per shape is the ceiling, each
// GEMM of the step against that ceiling, our training step per truncation
// strategy, a per-phase breakdown, and the TF.js per-op step on the same
// device with a bare tf.matMul and its kernel count beside it.
import type * as tfType from '@tensorflow/tfjs-core';
import type * as tflType from '@tensorflow/tfjs-layers';
import { Trainer } from '../src/engine/trainer';
import { full, regular, randomized, type Truncation } from '../src/engine/truncation';
import { createMatmul, type MatmulVariant } from '../src/kernels/matmul';
import { tuneMatmul, type TuneResult } from '../src/kernels/tune';
import { tuneRecurrenceRows, stepGemmShapes, type RowsResult } from '../src/engine/tune-step';
import type { BpttShape } from '../src/engine/plan';
import { liveMemory } from '../src/gpu/buffers';
import { describeAdapter, adapterIdentity, softwareAdapterReason, type AdapterIdentity } from '../src/gpu/device';
import { createRng } from '../src/util/rng';
import { spread, pct, pctSpread, type Spread } from './stats';
import { profiledStep, phases, type PhaseTime } from './phases';
import { stepFlops, workloadConfig, cellGates, type Workload } from './workloads';
import { createTfjsStep } from './tfjs-step';
import { createTfjsLstmStep } from './tfjs-lstm';
import { rotatedRounds } from '../src/gpu/timing';
import { runSweep, prepareVariant, timeOnce, shapeLabel, sweepName, SWEEP, type SweepResult, type SweepShape } from './gemm-sweep';

export type StrategyName = 'full' | 'regular' | 'randomized';
export type PeerBackend = 'webgpu' | 'wasm';

export interface BenchOptions {
  workloads: Workload[];
  strategies: StrategyName[];
  warmup: number;
  steps: number;
  /** TF.js and the backends to run; a backend whose warm-up step takes longer than maxSeconds is measured on fewer steps. */
  /** TF.js and its layers API (tf.layers.lstm for the LSTM workload), the backends to run, a time cap per peer. */
  tfjs?: { tf: typeof tfType; layers?: typeof tflType; backends: PeerBackend[]; maxSeconds: number };
  /** Skip the GEMM sweep and the per-GEMM comparison (the engine alone; default false). */
  noSweep?: boolean;
  /** Run only these sweep variants (names as in the report; default: all of SWEEP). */
  sweepVariants?: string[];
  /**
   * Rounds when timing each recurrence kernel against the sweep's best
   * (default 4; each GEMM of ours gets twice as many: a round of it takes
   * seconds where a round of the recurrences takes a whole profiled step),
   * and the rounds of pipelined steps, each followed by the whole-step
   * ceiling re-timed.
   */
  ceilingRounds?: number;
  /** The matmul variants the per-device choice times (default: every one of MATMUL_VARIANTS that fits). */
  tuneVariants?: readonly MatmulVariant[];
  log?: (line: string) => void;
}

export type { Spread } from './stats';

export interface OurResult {
  strategy: string;
  /** Each step submitted and awaited on its own. */
  ms: Spread;
  /** Steps back to back (statistics read a step late), total / steps. */
  msPerStepPipelined: number;
  tokensPerSecond: number;
  gflops: number;
  /**
   * The step's share of the ceiling: with the sweep, the median over rounds
   * of (the ceiling re-timed in that round) / (that round's pipelined ms per
   * step), so both sides see the same machine speed; without it, 0.
   */
  ceilingFraction: number;
  /** Those per-round shares: min, median, max (absent without the sweep). */
  ceilingFractions?: Spread;
  /** The ceiling (ms per step) as re-timed in each round. */
  ceilingMsRounds?: number[];
  peakBytes: number;
  /** The loss of the first step (≈ ln V from fresh weights: the check that the step computes what it should). */
  initialLoss: number;
  finalLoss: number;
}

export interface PeerResult {
  backend: PeerBackend;
  ms: Spread | null;
  initialLoss: number;
  trusted: boolean;
  note?: string;
  peakBytes: number;
  /** GFLOP/s of a bare tf.matMul at the recurrence's shape (B×H)·(H×H), read back each time. */
  matmulGflops?: number;
  /** Kernels one step launches (tf.profile). */
  kernelsPerStep?: number;
}

/** One GEMM of the step: our kernel as the engine binds it, against the sweep's best at the same shape. */
export interface GemmRow {
  name: string;
  phase: string;
  shape: SweepShape;
  count: number;
  /** The matmul variant bind() chose at this shape. */
  variant: string;
  gflops: number;
  ceilingGflops: number;
  ceilingVariant: string;
  /**
   * Per round, the fastest reference variant's time in that round over ours
   * (ours as a fraction of each round's fastest reference, timed seconds
   * apart): median [min–max]. Absent in reports before 2026-12-05, whose only ratio is
   * gflops / ceilingGflops. With the refs as noisy as ours, the fastest of
   * four in a round sits below a typical run of any one of them, so this
   * reads under 100% even where ours is the ceiling's own kernel.
   */
  ratios?: Spread;
  /**
   * Per round, the ceiling variant's time in that round over ours: paired
   * against the one kernel the row names as the ceiling. Absent in reports
   * before 2026-12-06.
   */
  ceilingRatios?: Spread;
}

/**
 * One recurrence kernel (the forward or the reverse of the workload's cell)
 * against the sweep's best rate at its per-step shape: T products of
 * (B×H)·(H×G·H) per window (the reverse's product is the transposed one,
 * the same FLOPs). Its time is the profiled phase's, and the ceiling the
 * sweep's best variants re-timed in rounds alternating with it.
 */
export interface RecurrenceKernelRow {
  /** The kernel the step ran, e.g. `lstm_backward` (rows 4) or `split_forward`. */
  kernel: string;
  direction: 'forward' | 'backward';
  /** The per-step product (B×H)·(H×G·H). */
  shape: SweepShape;
  /** Products per window (T). */
  steps: number;
  /** ms per step-window: the phase's time (timestamp-query where the device has it), the fastest of the alternating rounds. */
  ms: number;
  /** steps · 2·B·H·G·H / ms. */
  gflops: number;
  /** The fastest of the sweep's three best variants at `shape`, re-timed in rounds alternating with the phases, and its variant. */
  ceilingGflops: number;
  ceilingVariant: string;
  /** gflops / ceilingGflops. */
  ratio: number;
  /** Per round, T products at the fastest reference variant in that round over the phase's fastest repetition in it: median [min–max] (absent in older reports). */
  ratios?: Spread;
  /** Per round, T products at the ceiling variant over the phase's fastest repetition in that round (absent in reports before 2026-12-06). */
  ceilingRatios?: Spread;
}

export interface WorkloadResult {
  workload: Workload;
  flops: number;
  /** Our engine could not run this workload (e.g. a cell it lacks): why. */
  unsupported?: string;
  tuning: { matmul: TuneResult[]; rows: RowsResult | null };
  sweep: SweepResult[];
  gemms: GemmRow[];
  /** The recurrences (2T steps of (B×H)·(H×G·H)) at the sweep's best rate for that shape. */
  recurrence: { shape: SweepShape; ceilingGflops: number; ceilingVariant: string; ceilingMsPerDirection: number } | null;
  /** The step's GEMM FLOPs (recurrences included) at the sweep's best rates. */
  ceilingMs: number;
  phases: PhaseTime[];
  /** Each recurrence kernel (forward, backward) against the sweep at its per-step shape (absent without the sweep). */
  recurrenceKernels?: RecurrenceKernelRow[];
  ours: OurResult[];
  peers: PeerResult[];
}

export interface BenchReport {
  date: string;
  /** describeAdapter: "vendor / architecture / device / description". */
  adapter: string;
  /** The adapter's GPUAdapterInfo fields (null where the implementation has none). */
  adapterInfo?: AdapterIdentity | null;
  /** Why the adapter is a software one (it runs on the CPU), or null for a GPU. */
  software?: string | null;
  environment: string;
  /** The commit the run was made from (set by bench/run.ts). */
  commit?: string;
  results: WorkloadResult[];
}


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

/** A run for rotatedRounds: time one kernel (timeOnce) and keep the time of each round in `ref.runs`. */
const timeRound = (device: GPUDevice, ref: { runs: number[]; encode: (pass: GPUComputePassEncoder) => void }) => async () => {
  ref.runs.push(await timeOnce(device, ref.encode));
};

/**
 * Round by round, the fastest of the reference variants in that round over
 * ours (times, so the ratio is ours as a fraction of the ceiling's rate);
 * a round where ours has no valid time is left out. Given one reference,
 * its time in each round over ours.
 */
function pairedRatios(refs: { runs: number[] }[], ours: number[], scale = 1): Spread | undefined {
  const ratios = ours.flatMap((t, r) => {
    const ceiling = scale * Math.min(...refs.map((x) => x.runs[r]));
    return Number.isFinite(t) && t > 0 && Number.isFinite(ceiling) ? [ceiling / t] : [];
  });
  return ratios.length ? spread(ratios) : undefined;
}

/** The fastest valid time in `runs` (Infinity if none). */
const fastest = (runs: number[]) => Math.min(Infinity, ...runs.filter((t) => Number.isFinite(t) && t > 0));

/**
 * The reference variants at a sweep shape: the sweep's three best, and the
 * sweep's own text of `also` where the sweep has it (our variant's name:
 * the sweep times each variant once, so its top three can miss the block
 * ours uses on a slow moment).
 */
function references(device: GPUDevice, sweep: SweepResult, also?: string) {
  const names = sweep.entries.slice(0, 3).map((e) => e.variant);
  if (also && !names.includes(also) && sweep.entries.some((e) => e.variant === also)) names.push(also);
  return names.map((variant) => ({ variant, runs: [] as number[], ...prepareVariant(device, sweep.shape, variant) }));
}

/**
 * Our matmul at one of the step's GEMMs (the options and beta the engine
 * binds it with, so bind() makes the engine's choice), timed in `rounds`
 * rounds alternating with the reference variants (references()) at the same
 * shape, so all of them see the same machine load, each round starting one
 * later in the list. GFLOP/s are of each one's fastest run, the ceiling
 * variant is the reference with the fastest run, and the paired ratios are,
 * round by round, the ceiling variant's time over ours (ceilingRatios) and
 * the fastest reference's in that round over ours (ratios).
 */
async function gemmAgainstCeiling(device: GPUDevice, g: ReturnType<typeof stepGemmShapes>[number], sweep: SweepResult, rounds: number): Promise<GemmRow> {
  const mk = (n: number) => device.createBuffer({ size: Math.max(16, Math.ceil((n * 4) / 16) * 16), usage: GPUBufferUsage.STORAGE });
  const [a, b, c, bias] = [mk(g.M * g.K), mk(g.K * g.N), mk(g.M * g.N), mk(g.N)];
  const mm = createMatmul(device, { transA: g.transA, transB: g.transB, bias: g.bias });
  const bound = mm.bind({ a, b, c, bias }, { M: g.M, N: g.N, K: g.K, beta: g.beta });
  const refs = references(device, sweep, bound.variant);
  const ours = { runs: [] as number[], encode: (p: GPUComputePassEncoder) => mm.encode(p, bound) };
  try {
    await rotatedRounds(rounds, [timeRound(device, ours), ...refs.map((ref) => timeRound(device, ref))]);
  } finally {
    for (const ref of refs) ref.destroy();
    bound.destroy();
    for (const x of [a, b, c, bias]) x.destroy();
  }
  const best = refs.reduce((x, y) => (fastest(y.runs) < fastest(x.runs) ? y : x));
  const flop = 2 * g.M * g.N * g.K;
  return {
    name: g.name, phase: g.phase, count: g.count, shape: { M: g.M, N: g.N, K: g.K, transA: g.transA, transB: g.transB },
    variant: bound.variant, gflops: flop / (fastest(ours.runs) * 1e6), ceilingGflops: flop / (fastest(best.runs) * 1e6), ceilingVariant: best.variant,
    ratios: pairedRatios(refs, ours.runs),
    ceilingRatios: pairedRatios([best], ours.runs),
  };
}

/**
 * The whole-step ceiling, re-timed on demand: at each GEMM shape of the step
 * the variant that won its alternating rounds (gemmAgainstCeiling), at the
 * recurrence's per-step shape the sweep's best.
 */
interface CeilingProbe {
  /** ms per step if every GEMM FLOP ran at the rate each variant has now (each timed once: its fastest run). */
  retime(): Promise<number>;
  destroy(): void;
}

function ceilingProbe(device: GPUDevice, w: Workload, gemms: GemmRow[], rec: SweepResult): CeilingProbe {
  const parts = [...gemms.map((g) => ({ count: g.count, shape: g.shape, variant: g.ceilingVariant })), { count: 2 * w.T, shape: rec.shape, variant: rec.best.variant }];
  const ready: ({ count: number } & ReturnType<typeof prepareVariant>)[] = [];
  const destroy = () => ready.forEach((r) => r.destroy());
  try {
    for (const p of parts) ready.push({ count: p.count, ...prepareVariant(device, p.shape, p.variant) });
  } catch (e) {
    destroy();
    throw e;
  }
  return {
    async retime() {
      let ms = 0;
      for (const r of ready) ms += r.count * (await timeOnce(device, r.encode));
      return ms;
    },
    destroy,
  };
}

/**
 * The forward and reverse recurrence kernels' rows: the profiled phases'
 * times against the sweep's three best variants at (B×H)·(H×G·H), timed in
 * alternating rounds (the phases of a step and each variant, each round
 * starting one later in the list) so that both see the same machine load.
 * A phase's time in a round is the fastest of the profile's repetitions;
 * ms and GFLOP/s are of the fastest round, and the paired ratios are, round
 * by round, T products at the ceiling variant (the reference with the fastest
 * run) over the phase (ceilingRatios) and the same at the fastest reference
 * in that round (ratios).
 * The first round's phases are the per-phase line's.
 */
async function recurrenceKernels(
  device: GPUDevice, w: Workload, sweep: SweepResult, profiled: ReturnType<typeof profiledStep>, first: PhaseTime[],
  rec: Pick<BpttShape, 'rows' | 'recurrence'>, rounds: number,
): Promise<RecurrenceKernelRow[]> {
  const shape = sweep.shape;
  const refs = references(device, sweep);
  const runs = { forward: [] as number[], backward: [] as number[] };
  const take = (ph: PhaseTime[]) => {
    for (const d of ['forward', 'backward'] as const) runs[d].push(ph.find((p) => p.phase === d)?.fastest ?? NaN);
  };
  try {
    // the first round's phases are the per-phase line's, measured before
    let round = 0;
    await rotatedRounds(rounds, [async () => take(round++ === 0 ? first : await phases(device, profiled)), ...refs.map((ref) => timeRound(device, ref))]);
  } finally {
    for (const ref of refs) ref.destroy();
  }
  const ceiling = refs.reduce((x, y) => (fastest(y.runs) < fastest(x.runs) ? y : x));
  const product = 2 * shape.M * shape.N * shape.K;
  const ceilingGflops = product / (fastest(ceiling.runs) * 1e6);
  const out: RecurrenceKernelRow[] = [];
  for (const direction of ['forward', 'backward'] as const) {
    const ms = fastest(runs[direction]);
    if (!Number.isFinite(ms)) continue;
    const kernel = rec.recurrence === 'split' ? `split_${direction}` : `${w.cell ?? 'rnn'}_${direction} (rows ${rec.rows})`;
    const gflops = (w.T * product) / (ms * 1e6);
    out.push({ kernel, direction, shape, steps: w.T, ms, gflops, ceilingGflops, ceilingVariant: ceiling.variant, ratio: gflops / ceilingGflops, ratios: pairedRatios(refs, runs[direction], w.T), ceilingRatios: pairedRatios([ceiling], runs[direction], w.T) });
  }
  return out;
}

async function ours(device: GPUDevice, w: Workload, name: StrategyName, o: BenchOptions, rec: Pick<BpttShape, 'rows' | 'recurrence'>, probe: CeilingProbe | null, flops: number): Promise<OurResult> {
  const memBefore = liveMemory(device).bytes;
  const trainer = new Trainer(device, { config: workloadConfig(w), batch: w.B, steps: w.T, ...rec, truncation: strategy(name, w.T), optimizer: { kind: 'sgd', lr: 1 }, clip: 1, seed: 1 });
  // one window after another of a stream, its state carried (as d2l's sequential partitioning; BENCHMARKS.md measured this)
  const batch = { ...batchFor(w, 2), state: 'carry' as const };
  let peak = liveMemory(device).bytes - memBefore;
  let initialLoss = NaN;
  for (let i = 0; i < o.warmup; i++) {
    const l = (await (await trainer.step(batch)).stats).loss;
    if (i === 0) initialLoss = l;
  }
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < o.steps; i++) {
    const t0 = performance.now();
    loss = (await (await trainer.step(batch)).stats).loss;
    if (i === 0 && o.warmup === 0) initialLoss = loss;
    times.push(performance.now() - t0);
    peak = Math.max(peak, liveMemory(device).bytes - memBefore);
  }
  // pipelined: rounds of `steps` steps back to back, each followed by the ceiling re-timed (with the sweep)
  const rounds = probe ? Math.max(1, o.ceilingRounds ?? 4) : 1;
  const blocks: number[] = [], ceilings: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < o.steps; i++) await trainer.step(batch);
      await trainer.flush();
      blocks.push((performance.now() - t0) / o.steps);
      if (probe) ceilings.push(await probe.retime());
    }
  } finally {
    trainer.destroy();
  }
  const pipelined = blocks.reduce((a, b) => a + b, 0) / blocks.length;
  const fractions = probe ? spread(ceilings.map((c, i) => c / blocks[i])) : undefined;
  return {
    strategy: strategy(name, w.T).describe,
    ms: spread(times),
    msPerStepPipelined: pipelined,
    tokensPerSecond: (w.B * w.T * 1000) / pipelined,
    gflops: flops / (pipelined * 1e6),
    ceilingFraction: fractions?.median ?? 0,
    ...(fractions ? { ceilingFractions: fractions, ceilingMsRounds: ceilings } : {}),
    peakBytes: peak,
    initialLoss,
    finalLoss: loss,
  };
}

async function peer(tf: typeof tfType, backend: PeerBackend, w: Workload, o: BenchOptions): Promise<PeerResult> {
  const log = o.log ?? (() => {});
  const none = (note: string): PeerResult => ({ backend, ms: null, initialLoss: NaN, trusted: false, note, peakBytes: 0 });
  try {
    if (!(await tf.setBackend(backend))) return none('backend unavailable');
    await tf.ready();
  } catch (e) {
    return none(`backend failed: ${String(e).slice(0, 80)}`);
  }
  const layers = o.tfjs!.layers;
  if (w.cell === 'lstm' && !layers) return none('tf.layers is not loaded');
  const s = w.cell === 'lstm' ? createTfjsLstmStep(tf, layers!, w) : createTfjsStep(tf, w);
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
    // what the step is made of: its kernel count, and the rate of a bare matMul at the recurrence's shape
    const profile = await tf.profile(() => s.step());
    const matmulGflops = await bareMatmul(tf, w.B, w.H, w.H);
    log(`  tfjs-${backend}: ${profile.kernels.length} kernels per step; bare tf.matMul ${w.B}×${w.H}×${w.H}: ${matmulGflops.toFixed(2)} GFLOP/s`);
    return { backend, ms: spread(times), initialLoss, trusted, note: trusted ? undefined : 'initial loss is not ≈ ln V: time not trusted', peakBytes: peak, matmulGflops, kernelsPerStep: profile.kernels.length };
  } finally {
    s.dispose();
  }
}

/** GFLOP/s of tf.matMul alone at M×N×K on the current backend, each product read back (fastest of several runs). */
async function bareMatmul(tf: typeof tfType, M: number, N: number, K: number): Promise<number> {
  const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, N]);
  const once = async (reps: number) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }
    return (performance.now() - t0) / reps;
  };
  try {
    const first = await once(1);
    const reps = Math.max(1, Math.min(50, Math.ceil(100 / Math.max(first, 0.01))));
    let best = Infinity;
    for (let i = 0; i < 3; i++) best = Math.min(best, await once(reps));
    return (2 * M * N * K) / (best * 1e6);
  } finally {
    a.dispose();
    b.dispose();
  }
}

export async function runBench(device: GPUDevice, o: BenchOptions, environment: string): Promise<BenchReport> {
  const log = o.log ?? (() => {});
  const results: WorkloadResult[] = [];
  for (const w of o.workloads) {
    log(`workload ${w.name} (V=${w.V}, H=${w.H}, B=${w.B}, T=${w.T}${w.cell ? `, ${w.cell}` : ''})`);
    const flops = stepFlops(w);
    let config: ReturnType<typeof workloadConfig>;
    try {
      config = workloadConfig(w);
    } catch (e) {
      results.push({ workload: w, flops, unsupported: String((e as Error).message ?? e).slice(0, 160), tuning: { matmul: [], rows: null }, sweep: [], gemms: [], recurrence: null, ceilingMs: 0, phases: [], ours: [], peers: [] });
      log(`  our engine cannot run ${w.name}: ${results[results.length - 1].unsupported}`);
      continue;
    }
    const result: WorkloadResult = { workload: w, flops, tuning: { matmul: [], rows: null }, sweep: [], gemms: [], recurrence: null, ceilingMs: 0, phases: [], ours: [], peers: [] };
    results.push(result);
    // the per-device choice: matmul variants at the step's shapes, rows of the recurrences
    const shapes = stepGemmShapes(config, w.B, w.T);
    try {
      result.tuning.rows = await tuneRecurrenceRows(device, config, w.B, w.T);
    } catch (e) {
      result.unsupported = String((e as Error).message ?? e).slice(0, 160);
      log(`  our engine cannot run ${w.name}: ${result.unsupported}`);
    }
    if (!result.unsupported) {
      result.tuning.matmul = await tuneMatmul(device, shapes, { reps: 4, candidates: o.tuneVariants });
      for (const t of result.tuning.matmul) log(`  tuned ${shapeLabel(t.shape)}: ${t.best} (final, median ms: ${Object.entries(t.final).map(([v, ms]) => `${v} ${ms!.toFixed(2)}`).join(', ')}; screen, fastest ms: ${Object.entries(t.ms).map(([v, ms]) => `${v} ${ms!.toFixed(2)}`).join(', ')})`);
      log(`  tuned rows: ${result.tuning.rows!.best} (${Object.entries(result.tuning.rows!.ms).map(([r, ms]) => `rows ${r}: ${ms.toFixed(1)} ms`).join(', ')}${result.tuning.rows!.split === undefined ? '' : `, split: ${result.tuning.rows!.split.toFixed(1)} ms`}; recurrence ${result.tuning.rows!.recurrence})`);
    }
    // the ceiling: the sweep at the step's GEMM shapes and the recurrence's (B×H)·(H×G·H)
    const G = cellGates(w);
    const recShape: SweepShape = { M: w.B, N: G * w.H, K: w.H };
    if (!o.noSweep) {
      const sweepShapes: SweepShape[] = [...shapes.map((g) => ({ M: g.M, N: g.N, K: g.K, transA: g.transA, transB: g.transB })), recShape];
      result.sweep = await runSweep(device, sweepShapes, log, o.sweepVariants ? SWEEP.filter((v) => o.sweepVariants!.includes(sweepName(v))) : SWEEP);
      if (!result.unsupported) {
        for (const [i, g] of shapes.entries()) {
          const row = await gemmAgainstCeiling(device, g, result.sweep[i], 2 * (o.ceilingRounds ?? 4));
          result.gemms.push(row);
          log(`  ${row.name} ${shapeLabel(row.shape)}: ours (${row.variant}) ${row.gflops.toFixed(2)} GFLOP/s, ceiling (${row.ceilingVariant}) ${row.ceilingGflops.toFixed(2)}: per round ${pctSpread(row.ceilingRatios)} against ${row.ceilingVariant}, ${pctSpread(row.ratios)} against each round's fastest reference (fastest runs: ${pct(row.gflops / row.ceilingGflops)})`);
        }
      }
      const rec = result.sweep[result.sweep.length - 1];
      const recFlop = 2 * recShape.M * recShape.N * recShape.K;
      result.recurrence = { shape: recShape, ceilingGflops: rec.best.gflops, ceilingVariant: rec.best.variant, ceilingMsPerDirection: (w.T * recFlop) / (rec.best.gflops * 1e6) };
      result.ceilingMs = 2 * result.recurrence.ceilingMsPerDirection;
      for (const [i, g] of shapes.entries()) {
        const rate = result.gemms[i]?.ceilingGflops ?? result.sweep[i].best.gflops;
        result.ceilingMs += (g.count * 2 * g.M * g.N * g.K) / (rate * 1e6);
      }
    }
    if (!result.unsupported) {
      // the tuner's choice: the sequence kernels with their best rows, or the split recurrence
      const rec = { rows: result.tuning.rows!.best, recurrence: result.tuning.rows!.recurrence };
      const probe = result.ceilingMs && result.gemms.length === shapes.length ? ceilingProbe(device, w, result.gemms, result.sweep[result.sweep.length - 1]) : null;
      try {
        for (const name of o.strategies) {
          const r = await ours(device, w, name, o, rec, probe, flops);
          result.ours.push(r);
          const f = r.ceilingFractions;
          log(`  ours ${r.strategy}: ${r.ms.median.toFixed(1)} ms/step [${r.ms.min.toFixed(1)}–${r.ms.max.toFixed(1)}] (pipelined ${r.msPerStepPipelined.toFixed(1)}), ${r.gflops.toFixed(2)} GFLOP/s` +
            (f ? `, ${(100 * f.median).toFixed(0)}% [${(100 * f.min).toFixed(0)}–${(100 * f.max).toFixed(0)}%] of the GEMM ceiling re-timed beside each of ${f.n} rounds (ceiling ${r.ceilingMsRounds!.map((c) => c.toFixed(1)).join(', ')} ms)` : ''));
        }
      } finally {
        probe?.destroy();
      }
      const profiled = profiledStep(device, { config, batch: w.B, steps: w.T, ...rec }, batchFor(w, 2));
      try {
        result.phases = await phases(device, profiled);
        log(`  phases (${result.phases[0]?.method}): ${result.phases.map((p) => `${p.phase} ${p.ms.toFixed(1)} ms`).join(', ')}`);
        if (result.recurrence) {
          const sweep = result.sweep[result.sweep.length - 1];
          result.recurrenceKernels = await recurrenceKernels(device, w, sweep, profiled, result.phases, rec, o.ceilingRounds ?? 4);
        }
      } finally {
        profiled.destroy();
      }
      if (result.recurrenceKernels) {
        for (const k of result.recurrenceKernels) log(`  ${k.kernel}: ${k.ms.toFixed(1)} ms per window, ${k.gflops.toFixed(2)} GFLOP/s, per round ${pctSpread(k.ceilingRatios)} of ${k.ceilingVariant} at ${shapeLabel(k.shape)}, ${pctSpread(k.ratios)} of each round's fastest of the sweep's three best (fastest runs: ${pct(k.ratio)} of ${k.ceilingVariant}'s ${k.ceilingGflops.toFixed(2)} GFLOP/s)`);
      }
    }
    if (o.tfjs) {
      for (const b of o.tfjs.backends) {
        const p = await peer(o.tfjs.tf, b, w, o);
        result.peers.push(p);
        log(`  tfjs-${b}: ${p.ms === null ? p.note : `${p.ms.median.toFixed(1)} ms/step [${p.ms.min.toFixed(1)}–${p.ms.max.toFixed(1)}]`}`);
      }
    }
  }
  const info = adapterIdentity(device);
  return { date: new Date().toISOString(), adapter: describeAdapter(device), adapterInfo: info, software: softwareAdapterReason(info), environment, results };
}
