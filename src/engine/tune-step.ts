// Tuning for a training step, on the engine's side of the layers: the GEMMs
// one step runs (stepGemmShapes, the shapes to hand tuneMatmul) and the
// recurrences' variant and sequences per workgroup (tuneRecurrenceRows). The kernels'
// tuner (src/kernels/tune.ts) knows nothing of the engine or the model.
import { GATES, type RnnConfig } from '../model/config';
import type { GemmShape } from '../kernels/matmul-choice';
import { RECURRENCE_ROWS } from '../kernels/sequence-kernel';
import { BpttError } from '../errors';
import { BpttEngine, type BpttShape } from './bptt';
import type { Recurrence } from './cells';
import { onlyPhase } from './profile';

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

/** What tuneRecurrenceRows measured. */
export interface RowsResult {
  /** ms of the forward + backward recurrences of one step (fastest of the runs), per rows value that fits ('sequence' kernels). */
  ms: Record<number, number>;
  /** The fastest rows of the 'sequence' kernels (the engine's `rows` option). */
  best: number;
  /** ms of the same with recurrence 'split' (one dispatch per step over many workgroups); undefined where it does not fit. */
  split?: number;
  /** The faster variant: 'split' when it beat the best rows, else 'sequence' (the engine's `recurrence` option). */
  recurrence: Recurrence;
}

/** ms of one step's forward + backward recurrences of an engine for `shape` (fastest of `reps` runs); null where the shape does not fit. */
async function timeRecurrences(device: GPUDevice, shape: BpttShape, reps: number): Promise<number | null> {
  let engine: BpttEngine;
  try {
    engine = new BpttEngine(device, shape);
  } catch (e) {
    if (e instanceof BpttError) return null; // does not fit this device
    throw e;
  }
  try {
    // ξ = 1: the reverse kernels skip the GEMV where ξ = 0, as on a fresh engine's zeroed ξ
    engine.writeXi(new Float32Array(shape.steps).fill(1));
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
    return total;
  } finally {
    engine.destroy();
  }
}

/**
 * Time the forward and backward recurrences of one step with the 'sequence'
 * kernels at `rows` = 1, 2, 4 and 8 sequences per workgroup (where they fit the
 * device) and with the 'split' kernels, and return the measurements, the
 * fastest rows (`best`) and the faster variant (`recurrence`): pass them as
 * the engine's (or the Trainer's) `rows` and `recurrence` options.
 */
export async function tuneRecurrenceRows(device: GPUDevice, config: RnnConfig, batch: number, steps: number, reps = 2): Promise<RowsResult> {
  const ms: Record<number, number> = {};
  for (const rows of RECURRENCE_ROWS) {
    if (rows > batch) continue;
    const t = await timeRecurrences(device, { config, batch, steps, rows }, reps);
    if (t !== null) ms[rows] = t;
  }
  const split = (await timeRecurrences(device, { config, batch, steps, recurrence: 'split' }, reps)) ?? undefined;
  const ranked = Object.entries(ms).sort((x, y) => x[1] - y[1]);
  if (!ranked.length && split === undefined) throw new BpttError('rows', 'none', `no rows value of ${RECURRENCE_ROWS.join(', ')} fits hidden = ${config.hidden} on this device, nor does the split recurrence`);
  const best = ranked.length ? Number(ranked[0][0]) : 1;
  const recurrence: Recurrence = split !== undefined && (!ranked.length || split < ranked[0][1]) ? 'split' : 'sequence';
  return { ms, best, split, recurrence };
}
