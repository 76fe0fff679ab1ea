// What a shape needs: its buffers (the memory estimate and the allocation
// plan), the chunk length that keeps every buffer within the device's
// limits, and the checks that refuse what cannot run, naming what to reduce.
//
// Long sequences run in chunks of C steps: the per-step buffers hold one
// chunk; the initial state of every chunk is kept (checkpoints); the backward
// pass recomputes each chunk's forward from its checkpoint and carries
// ∂L/∂h across chunk boundaries, so full BPTT still spans the whole sequence.
import { validateConfig, type RnnConfig } from '../model/config';
import { paramLayout } from '../model/params';
import { STORAGE, COPY_DST, COPY_SRC } from '../gpu/buffers';
import { BpttError, requireInt, show } from '../errors';
import { MATMUL_TILE } from '../kernels/matmul';
import { maxHidden, autoRows } from '../kernels/rnn';
import { STATS } from '../kernels/clip-update';

/** A model and the minibatch shape an engine is built for. */
export interface BpttShape {
  config: RnnConfig;
  /** B, sequences per minibatch. */
  batch: number;
  /** T, steps per window. */
  steps: number;
  /** Sequences per workgroup in the recurrence kernels: 1, 2 or 4 (default: the most that fit). */
  rows?: number;
  /**
   * Steps per chunk (default: the whole window when its buffers fit the
   * device's limits, else the most that fit). Below T, the step recomputes
   * each chunk's forward pass from stored states: ~1.3× the work, memory for
   * one chunk.
   */
  chunk?: number;
}

/** A shape after checkShape: every field known and within the device's limits. */
export interface CheckedShape {
  config: RnnConfig;
  batch: number;
  steps: number;
  rows: number;
  /** C, steps per chunk. */
  chunk: number;
  /** ceil(T / C). */
  chunks: number;
  /** Steps in the last chunk (T − (chunks − 1)·C). */
  lastChunk: number;
}

/** Power-iteration steps for the spectral radius of W_hh (diagnostics). */
export const POWER_ITERS = 48;

export type BufferName =
  | 'params' | 'grads' | 'zx' | 'hs' | 'o' | 'dO' | 'dHo' | 'dZ' | 'dHc' | 'xi' | 'input' | 'target'
  | 'start' | 'order' | 'lossRows' | 'partials' | 'stats' | 'hCarry' | 'whhT' | 'diag'
  | 'inputAll' | 'targetAll' | 'xiAll' | 'startAll' | 'orderAll' | 'lossAll' | 'checkpoints';

/** One buffer of the plan. */
export interface BufferPlan {
  name: BufferName;
  bytes: number;
  usage: number;
}

const S = STORAGE | COPY_DST | COPY_SRC;

/** Bytes per step of each buffer that holds one chunk. */
function perStep(c: RnnConfig, B: number): [BufferName, number][] {
  const H = c.hidden, Q = c.outputSize, d = c.inputSize, tokens = c.input === 'tokens';
  return [
    ['zx', B * H * 4], ['hs', B * H * 4], ['o', B * Q * 4], ['dO', B * Q * 4], ['dHo', B * H * 4], ['dZ', B * H * 4],
    ['xi', 4], ['input', tokens ? B * 4 : B * d * 4], ['target', c.loss === 'mse' ? B * Q * 4 : B * 4],
    ['order', tokens ? B * 4 : 0], ['lossRows', B * 4],
  ];
}

/** Every buffer a checked shape needs (chunk-sized ones for C steps; whole-sequence ones when chunked). */
export function planBuffers(s: Pick<CheckedShape, 'config' | 'batch' | 'steps' | 'chunk'>): BufferPlan[] {
  const c = s.config, B = s.batch, T = s.steps, C = s.chunk;
  const H = c.hidden, d = c.inputSize, tokens = c.input === 'tokens';
  const chunks = Math.ceil(T / C);
  const L = paramLayout(c);
  const plan: [BufferName, number][] = perStep(c, B).map(([n, b]) => [n, b * (n === 'hs' ? C + 1 : C)]);
  plan.push(
    ['params', L.total * 4], ['grads', L.total * 4], ['dHc', B * H * 4], ['start', tokens ? (d + 1) * 4 : 16],
    ['partials', 64 * 4], ['stats', STATS.byteSize], ['hCarry', B * H * 4], ['whhT', H * H * 4], ['diag', (T + POWER_ITERS) * 4],
  );
  if (chunks > 1) {
    const R = T * B;
    plan.push(
      ['inputAll', tokens ? R * 4 : R * d * 4], ['targetAll', c.loss === 'mse' ? R * c.outputSize * 4 : R * 4], ['xiAll', T * 4],
      ['startAll', tokens ? chunks * (d + 1) * 4 : 16], ['orderAll', tokens ? R * 4 : 16], ['lossAll', R * 4],
      ['checkpoints', (chunks + 1) * B * H * 4],
    );
  }
  return plan.map(([name, bytes]) => ({ name, bytes: Math.max(16, Math.ceil(bytes / 16) * 16), usage: S }));
}

/** Bytes of GPU memory a shape needs (all buffers of planBuffers), chunked as checkShape would. */
export function estimateBytes(shape: BpttShape & { chunk?: number }): number {
  const chunk = shape.chunk ?? shape.steps;
  return planBuffers({ config: shape.config, batch: shape.batch, steps: shape.steps, chunk }).reduce((s, p) => s + p.bytes, 0);
}

/** The limits chooseChunk reads (a GPUSupportedLimits has them). */
export interface ChunkLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/**
 * The most steps per chunk (≤ T) whose buffers fit `limits`; throws when not
 * even one step fits or the whole-sequence buffers do not, naming what to reduce.
 */
export function chooseChunk(config: RnnConfig, B: number, T: number, limits: ChunkLimits): number {
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  let C = T;
  for (const [name, bytes] of perStep(config, B)) {
    if (bytes === 0) continue;
    const fit = Math.floor(limit / bytes) - (name === 'hs' ? 1 : 0);
    if (fit < 1) {
      throw new BpttError(`buffer ${name}`, `${bytes} bytes per step`, `exceeds this device's limit of ${limit} bytes even for one step (batch=${B}, hidden=${config.hidden}): reduce batch or hidden`);
    }
    C = Math.min(C, fit);
  }
  C = Math.min(C, Math.floor((limits.maxComputeWorkgroupsPerDimension * MATMUL_TILE) / B));
  if (C < 1) throw new BpttError('batch', String(B), `GEMM grid exceeds maxComputeWorkgroupsPerDimension = ${limits.maxComputeWorkgroupsPerDimension}: reduce batch`);
  for (const p of planBuffers({ config, batch: B, steps: T, chunk: C })) {
    if (p.bytes > limit) {
      throw new BpttError(`buffer ${p.name}`, `${p.bytes} bytes`, `exceeds this device's limit of ${limit} bytes (min of maxBufferSize, maxStorageBufferBindingSize) for batch=${B}, steps=${T}: reduce steps or batch`);
    }
  }
  return C;
}

/** Check a shape against the device's limits; throws BpttError naming what to reduce. */
export function checkShape(device: GPUDevice, shape: BpttShape): CheckedShape {
  const config = validateConfig(shape.config);
  const batch = requireInt('batch', shape.batch, 1, 1 << 20);
  const rows = shape.rows === undefined ? autoRows(device, config.hidden, batch) : shape.rows;
  if (rows !== 1 && rows !== 2 && rows !== 4) throw new BpttError('rows', show(rows), 'must be 1, 2 or 4');
  const steps = requireInt('steps', shape.steps, 1, 1 << 24);
  const lim = device.limits;
  const hmax = maxHidden(device, rows);
  if (config.hidden > hmax) {
    throw new BpttError('config.hidden', String(config.hidden), `must be ≤ ${hmax} on this device (maxComputeWorkgroupStorageSize = ${lim.maxComputeWorkgroupStorageSize} bytes holds 2·rows·H floats, rows = ${rows})`);
  }
  const wgMax = lim.maxComputeWorkgroupsPerDimension;
  if (Math.ceil(batch / rows) > wgMax) throw new BpttError('batch', String(batch), `must be ≤ ${wgMax * rows} (maxComputeWorkgroupsPerDimension = ${wgMax}, rows = ${rows})`);
  const tiles = (n: number) => Math.ceil(n / MATMUL_TILE);
  if (tiles(config.hidden) > wgMax || tiles(config.outputSize) > wgMax || tiles(config.inputSize) > wgMax) {
    throw new BpttError('config', `H=${config.hidden}, Q=${config.outputSize}, d=${config.inputSize}`, `a GEMM grid exceeds maxComputeWorkgroupsPerDimension = ${wgMax}`);
  }
  const fit = chooseChunk(config, batch, steps, lim);
  const chunk = shape.chunk === undefined ? fit : requireInt('chunk', shape.chunk, 1, fit);
  const chunks = Math.ceil(steps / chunk);
  return { config, batch, steps, rows, chunk, chunks, lastChunk: steps - (chunks - 1) * chunk };
}
