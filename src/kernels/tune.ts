// Choosing kernels per device and shape: time the matmul variants at the
// shapes a model will run (tuneMatmul) and keep the fastest per shape bucket,
// pin one variant (pinMatmulVariant), list the GEMMs of a training step
// (stepGemmShapes), and time the recurrences' sequences per workgroup
// (tuneRecurrenceRows). createMatmul's bind() reads the choices, so an engine
// built after tuning uses them without any change of its own.
import type { RnnConfig } from '../model/config';
import { GATES } from '../model/config';
import { BufferArena } from '../gpu/buffers';
import { timePass, type TimingMethod } from '../gpu/timing';
import { describeAdapter } from '../gpu/device';
import { BpttError, show } from '../errors';
import { createMatmul, matmulVariantFits, MATMUL_VARIANTS, type MatmulVariant } from './matmul';
import { recordChoice, setPinned, shapeBucket, type GemmShape } from './matmul-choice';

export { shapeBucket, tunedChoices, clearChoices, type GemmShape } from './matmul-choice';
export { timePass } from '../gpu/timing';

/** One GEMM of a training step: where it sits, its shape, how often it runs per step. */
export interface StepGemm extends GemmShape {
  /** What it computes, e.g. `dW_hh (layer 0)`. */
  name: string;
  /** The step's phase it runs in (as in the engine's per-phase timing). */
  phase: 'input' | 'output' | 'backward' | 'weight-grads';
  /** Runs per step. */
  count: number;
  /** The engine adds bias[N] (the input and output projections of a model with biases). */
  bias?: boolean;
  /** The engine accumulates: C = 1·C + op(A)·op(B) (the weight gradients). */
  beta?: number;
}

/**
 * The GEMMs one training step runs (the engine's dispatches that are
 * createMatmul bindings), for a model `config`, `batch` sequences and `steps`
 * per window, unchunked. The recurrences and the token embedding's gather
 * are not GEMMs and are left out.
 */
export function stepGemmShapes(config: RnnConfig, batch: number, steps: number): StepGemm[] {
  const H = config.hidden, Q = config.outputSize, d = config.inputSize, R = batch * steps;
  const GH = GATES[config.cell ?? 'rnn'] * H, L = config.layers ?? 1;
  const out: StepGemm[] = [];
  for (let l = 0; l < L; l++) {
    const dense = l > 0 || config.input !== 'tokens';
    const K = l === 0 ? d : H;
    if (dense) out.push({ name: `Zx = X W_ihᵀ (layer ${l})`, phase: 'input', M: R, N: GH, K, transB: true, count: 1, bias: config.bias });
    if (dense) out.push({ name: `dW_ih (layer ${l})`, phase: 'weight-grads', M: GH, N: K, K: R, transA: true, count: 1, beta: 1 });
    out.push({ name: `dW_hh (layer ${l})`, phase: 'weight-grads', M: GH, N: H, K: R, transA: true, count: 1, beta: 1 });
    if (l > 0) out.push({ name: `dX = dG W_ih (layer ${l})`, phase: 'backward', M: R, N: H, K: GH, count: 1 });
  }
  out.push({ name: 'O = H W_qhᵀ', phase: 'output', M: R, N: Q, K: H, transB: true, count: 1, bias: config.bias });
  out.push({ name: 'dW_qh = dOᵀ H', phase: 'weight-grads', M: Q, N: H, K: R, transA: true, count: 1, beta: 1 });
  out.push({ name: 'dH = dO W_qh', phase: 'output', M: R, N: H, K: Q, count: 1 });
  return out;
}

/** Options of tuneMatmul. */
export interface TuneOptions {
  /** The variants to time (default: every one of MATMUL_VARIANTS that fits the shape). */
  candidates?: readonly MatmulVariant[];
  /** Rounds over the variants (default 3; each variant's fastest run counts). */
  reps?: number;
  /** Re-time shapes whose bucket was already tuned in this call (default false). */
  repeatBuckets?: boolean;
}

/** What tuneMatmul measured at one shape. */
export interface TuneResult {
  shape: GemmShape;
  bucket: string;
  /** ms per GEMM of each variant timed (the fastest of its runs). */
  ms: Partial<Record<MatmulVariant, number>>;
  /** The fastest, now the device's choice for the bucket. */
  best: MatmulVariant;
  method: TimingMethod;
}

/**
 * Time the matmul variants at each shape on `device` and make the fastest the
 * device's choice for the shape's bucket (in memory, and in localStorage in a
 * browser, keyed by the adapter). Matmuls bound afterwards use it. Buffers
 * are made and destroyed here; shapes sharing a bucket are timed once.
 */
export async function tuneMatmul(device: GPUDevice, shapes: readonly GemmShape[], o: TuneOptions = {}): Promise<TuneResult[]> {
  for (const v of o.candidates ?? []) pinCheck(v);
  const seen = new Set<string>();
  const out: TuneResult[] = [];
  for (const s of shapes) {
    for (const f of ['M', 'N', 'K'] as const) {
      if (!Number.isInteger(s[f]) || s[f] < 1) throw new BpttError(`shape.${f}`, show(s[f]), 'must be a positive integer');
    }
    const bucket = shapeBucket(s);
    if (seen.has(bucket) && !o.repeatBuckets) continue;
    seen.add(bucket);
    const arena = new BufferArena(device, 'tuneMatmul');
    try {
      const usage = GPUBufferUsage.STORAGE;
      const a = arena.create('a', s.M * s.K * 4, usage), b = arena.create('b', s.K * s.N * 4, usage), c = arena.create('c', s.M * s.N * 4, usage);
      const ms: TuneResult['ms'] = {};
      let method: TuneResult['method'] = 'wall-clock';
      const opts = { transA: s.transA, transB: s.transB };
      const kernels = (o.candidates ?? MATMUL_VARIANTS)
        .filter((v) => matmulVariantFits(device, v, opts, s))
        .map((v) => {
          const mm = createMatmul(device, { ...opts, variant: v });
          return { v, mm, bound: mm.bind({ a, b, c }, s) };
        });
      try {
        // round robin, so a change in the machine's load falls on every variant alike
        for (let round = 0; round < (o.reps ?? 3); round++) {
          for (const { v, mm, bound } of kernels) {
            const t = await timePass(device, (pass) => mm.encode(pass, bound), 1);
            ms[v] = Math.min(ms[v] ?? Infinity, t.ms);
            method = t.method;
          }
        }
      } finally {
        for (const k of kernels) k.bound.destroy();
      }
      const ranked = (Object.entries(ms) as [MatmulVariant, number][]).sort((x, y) => x[1] - y[1]);
      if (!ranked.length) continue;
      recordChoice(device, s, ranked[0][0]);
      out.push({ shape: { ...s }, bucket, ms, best: ranked[0][0], method });
    } finally {
      arena.destroy();
    }
  }
  return out;
}

function pinCheck(v: string): MatmulVariant {
  if (!(MATMUL_VARIANTS as readonly string[]).includes(v)) throw new BpttError('variant', show(v), `must be one of ${MATMUL_VARIANTS.join(', ')}`);
  return v as MatmulVariant;
}

/**
 * Use `variant` for every matmul bound on `device` from now on, wherever it
 * fits the shape (see matmulVariantFits; elsewhere the scalar fallback runs).
 * `undefined` unpins and returns to the tuned choices and the heuristic.
 */
export function pinMatmulVariant(device: GPUDevice, variant: MatmulVariant | undefined): void {
  setPinned(device, variant === undefined ? undefined : pinCheck(variant));
}

const rowChoices = new WeakMap<GPUDevice, Map<string, number>>();
const rowsKey = (c: RnnConfig, batch: number) => `${c.cell ?? 'rnn'}:H${c.hidden}:B${batch}`;

/** What tuneRecurrenceRows measured. */
export interface RowsResult {
  /** ms of the forward + backward recurrences of one step (fastest of the runs), per rows value that fits. */
  ms: Record<number, number>;
  best: number;
}

/** The rows value tuneRecurrenceRows found fastest for (cell, H, B) on `device`, if it ran. */
export function tunedRows(device: GPUDevice, config: RnnConfig, batch: number): number | undefined {
  const m = rowChoices.get(device);
  const k = rowsKey(config, batch);
  if (m?.has(k)) return m.get(k);
  try {
    const v = typeof localStorage === 'undefined' ? null : localStorage.getItem(`webgpu-bptt:rows:${describeAdapter(device)}:${k}`);
    return v === null ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

/**
 * Time the forward and backward recurrences of one step with `rows` = 1, 2
 * and 4 sequences per workgroup (where they fit the device) and remember the
 * fastest per (cell, H, B). Pass the result as the engine's `rows` option.
 */
export async function tuneRecurrenceRows(device: GPUDevice, config: RnnConfig, batch: number, steps: number, reps = 2): Promise<RowsResult> {
  const { BpttEngine } = await import('../engine/bptt');
  const { onlyPhase } = await import('../engine/profile');
  const ms: Record<number, number> = {};
  for (const rows of [1, 2, 4]) {
    if (rows > batch) continue;
    let engine: InstanceType<typeof BpttEngine>;
    try {
      engine = new BpttEngine(device, { config, batch, steps, rows });
    } catch (e) {
      if (e instanceof BpttError) continue; // does not fit this device
      throw e;
    }
    try {
      let total = 0;
      for (const phase of ['forward', 'backward'] as const) {
        const times: number[] = [];
        for (let i = 0; i <= reps; i++) {
          const enc = device.createCommandEncoder();
          const scope = onlyPhase(enc, phase);
          engine.encodeStep(enc, { passes: scope });
          scope.end();
          const t0 = performance.now();
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
          if (i > 0) times.push(performance.now() - t0);
        }
        total += Math.min(...times);
      }
      ms[rows] = total;
    } finally {
      engine.destroy();
    }
  }
  const ranked = Object.entries(ms).sort((x, y) => x[1] - y[1]);
  if (!ranked.length) throw new BpttError('rows', 'none', `no rows value of 1, 2, 4 fits hidden = ${config.hidden} on this device`);
  const best = Number(ranked[0][0]);
  let m = rowChoices.get(device);
  if (!m) rowChoices.set(device, (m = new Map()));
  m.set(rowsKey(config, batch), best);
  try {
    if (typeof localStorage !== 'undefined') localStorage.setItem(`webgpu-bptt:rows:${describeAdapter(device)}:${rowsKey(config, batch)}`, String(best));
  } catch {
    // storage unavailable: the in-memory choice holds
  }
  return { ms, best };
}
