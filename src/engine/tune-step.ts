// Tuning for a training step, on the engine's side of the layers: the GEMMs
// one step runs (stepGemmShapes, the shapes to hand tuneMatmul) and the
// recurrences' variant and sequences per workgroup (tuneRecurrenceRows). The kernels'
// tuner (src/kernels/tune.ts) knows nothing of the engine or the model.
import { GATES, type RnnConfig } from '../model/config';
import type { TuneShape } from '../kernels/tune';
import { RECURRENCE_ROWS } from '../kernels/sequence-kernel';
import { BpttError, requirePositiveInt } from '../errors';
import { BpttEngine, type BpttShape } from './bptt';
import type { Recurrence } from './cells';
import { onlyPhase } from './profile';
import { rotatedRounds } from '../gpu/timing';

/**
 * One GEMM of a training step: where it sits, its shape, how often it runs
 * per step, and how the engine binds it (TuneShape's `bias`: the input and
 * output projections of a model with biases; `beta` = 1: the weight
 * gradients accumulate, C = C + op(A)·op(B)).
 */
export interface StepGemm extends TuneShape {
  /** What it computes, e.g. `dW_hh (layer 0)`. */
  name: string;
  /** The step's phase it runs in (as in the engine's per-phase timing). */
  phase: 'input' | 'output' | 'backward' | 'weight-grads';
  /** Runs per step. */
  count: number;
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
  /** ms of the forward + backward recurrences of one step (fastest round), per rows value that fits ('sequence' kernels). */
  ms: Record<number, number>;
  /** The fastest rows of the 'sequence' kernels (the engine's `rows` option). */
  best: number;
  /** ms of the same with recurrence 'split' (one dispatch per step over many workgroups); undefined where it does not fit. */
  split?: number;
  /** The faster variant: 'split' when it beat the best rows, else 'sequence' (the engine's `recurrence` option). */
  recurrence: Recurrence;
}

/**
 * An engine for `shape`, with ξ = 1 written; null where the shape does not
 * fit the device: a BpttError from its checks, or its buffers out of memory
 * (WebGPU reports that in an error scope, not by throwing, and the tuner
 * holds every candidate at once).
 */
async function engineFor(device: GPUDevice, shape: BpttShape): Promise<BpttEngine | null> {
  let engine: BpttEngine | undefined;
  device.pushErrorScope('out-of-memory');
  try {
    engine = new BpttEngine(device, shape);
    // ξ = 1: the reverse kernels skip the GEMV where ξ = 0, as on a fresh engine's zeroed ξ
    engine.writeXi(new Float32Array(shape.steps).fill(1));
  } catch (e) {
    engine?.destroy();
    engine = undefined;
    if (!(e instanceof BpttError)) {
      await device.popErrorScope();
      throw e;
    }
  }
  if (await device.popErrorScope()) {
    engine?.destroy();
    return null;
  }
  return engine ?? null;
}

/** ms of one step's forward + backward recurrences of `engine`, one run of each phase. */
async function timeRecurrences(device: GPUDevice, engine: BpttEngine): Promise<number> {
  let total = 0;
  for (const phase of ['forward', 'backward'] as const) {
    const enc = device.createCommandEncoder();
    const scope = onlyPhase(enc, phase);
    engine.encodeStep(enc, { passes: scope });
    scope.end();
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    total += performance.now() - t0;
  }
  return total;
}

/**
 * Time the forward and backward recurrences of one step with the 'sequence'
 * kernels at `rows` = 1, 2, 4 and 8 sequences per workgroup (where they fit the
 * device) and with the 'split' kernels, and return the measurements, the
 * fastest rows (`best`) and the faster variant (`recurrence`): pass them as
 * the engine's (or the Trainer's) `rows` and `recurrence` options.
 * After one untimed run each, the candidates are timed in `reps` rotated
 * rounds (rotatedRounds), so a slow moment of a shared machine falls on each
 * alike; each one's fastest round counts.
 */
export async function tuneRecurrenceRows(device: GPUDevice, config: RnnConfig, batch: number, steps: number, reps = 3): Promise<RowsResult> {
  requirePositiveInt('reps', reps);
  const candidates: { key: number | 'split'; engine: BpttEngine; ms: number }[] = [];
  try {
    for (const key of [...RECURRENCE_ROWS.filter((r) => r <= batch), 'split' as const]) {
      const engine = await engineFor(device, key === 'split' ? { config, batch, steps, recurrence: 'split' } : { config, batch, steps, rows: key });
      if (engine) candidates.push({ key, engine, ms: Infinity });
    }
    for (const c of candidates) await timeRecurrences(device, c.engine); // pipelines and first touch
    await rotatedRounds(reps, candidates.map((c) => async () => {
      c.ms = Math.min(c.ms, await timeRecurrences(device, c.engine));
    }));
  } finally {
    for (const c of candidates) c.engine.destroy();
  }
  const ms: Record<number, number> = {};
  for (const c of candidates) if (c.key !== 'split') ms[c.key] = c.ms;
  const split = candidates.find((c) => c.key === 'split')?.ms;
  const ranked = Object.entries(ms).sort((x, y) => x[1] - y[1]);
  if (!ranked.length && split === undefined) throw new BpttError('rows', 'none', `no rows value of ${RECURRENCE_ROWS.join(', ')} fits hidden = ${config.hidden} on this device, nor does the split recurrence`);
  const best = ranked.length ? Number(ranked[0][0]) : 1;
  const recurrence: Recurrence = split !== undefined && (!ranked.length || split < ranked[0][1]) ? 'split' : 'sequence';
  return { ms, best, split, recurrence };
}
