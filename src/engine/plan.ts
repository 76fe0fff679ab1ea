// What a shape needs: its buffers (the memory estimate and the allocation
// plan), the chunk length that keeps every buffer within the device's
// limits, and the checks that refuse what cannot run, naming what to reduce.
//
// Long sequences run in chunks of C steps: the per-step buffers hold one
// chunk; the initial state of every chunk is kept (checkpoints); the backward
// pass recomputes each chunk's forward from its checkpoint and carries
// ∂L/∂h across chunk boundaries, so full BPTT still spans the whole sequence.
import { validateConfig, GATES, type RnnConfig, type ModelConfig } from '../model/config';
import { paramLayout } from '../model/params';
import { STORAGE, COPY_DST, COPY_SRC } from '../gpu/buffers';
import { BpttError, requireInt, requireOneOf, show } from '../errors';
import { MATMUL_TILE } from '../kernels/matmul';
import { RECURRENCE_ROWS } from '../kernels/sequence-kernel';
import { cellAutoRows, cellMaxHidden, RECURRENCES, type Recurrence } from './cells';
import { STATS } from '../gpu/stats';
import { xiLayout, stateLayout, diagLayout } from './layout';

/** A model and the minibatch shape an engine is built for. */
export interface BpttShape {
  config: RnnConfig;
  /** B, sequences per minibatch. */
  batch: number;
  /** T, steps per window. */
  steps: number;
  /** Sequences per workgroup in the recurrence kernels: 1, 2, 4 or 8 (default: chooseRows, the most that fit of 8, 4, 2, 1 on a software adapter and of 4, 2, 1 elsewhere). */
  rows?: number;
  /**
   * How the recurrences run (default 'sequence'): 'sequence' walks every
   * step inside one workgroup per `rows` sequences (B / rows workgroups, one
   * dispatch per window: best where B / rows fills the device, and on CPUs);
   * 'split' spreads each step over ceil(H / 32) × ceil(B / 4) workgroups, one
   * dispatch per step (fills a GPU with many compute units; no limit on H
   * from workgroup memory; `rows` is ignored). tuneRecurrenceRows times both.
   */
  recurrence?: Recurrence;
  /**
   * Steps per chunk (default: the whole window when its buffers fit the
   * device's limits, else the most that fit). Below T, the step recomputes
   * each chunk's forward pass from stored states: ~1.3× the work, memory for
   * one chunk.
   */
  chunk?: number;
  /** Gradient streams S (default 1; TBPTT(k1, k2) needs truncation.streams(T)). */
  streams?: number;
  /**
   * The first step whose loss counts (default 0). Earlier steps still carry
   * the gradient back (streaming TBPTT's window); the loss is the mean over
   * steps lossFrom … T − 1.
   */
  lossFrom?: number;
  /**
   * Forward only (inference): allocate only what the forward pass needs (no
   * loss, gradients or multipliers). The window must fit unchunked.
   */
  forwardOnly?: boolean;
}

/** A shape after checkShape: every field known and within the device's limits. */
export interface CheckedShape {
  config: ModelConfig;
  batch: number;
  steps: number;
  rows: number;
  /** How the recurrences run (see BpttShape.recurrence). */
  recurrence: Recurrence;
  /** C, steps per chunk. */
  chunk: number;
  /** ceil(T / C). */
  chunks: number;
  /** Steps in the last chunk (T − (chunks − 1)·C). */
  lastChunk: number;
  /** Gradient streams S. */
  streams: number;
  /** The first step whose loss counts. */
  lossFrom: number;
  /** Forward buffers only (see BpttShape.forwardOnly). */
  forwardOnly: boolean;
}


/**
 * A buffer's name. Per layer l: zx{l}, hs{l}, cs{l} (LSTM), gates{l}
 * (LSTM, GRU), whhT{l}; per stream s and layer l: dHc{s}.{l} (the carried
 * gradients into h, and for LSTM c).
 */
export type BufferName = string;

/** One buffer of the plan. */
export interface BufferPlan {
  name: BufferName;
  bytes: number;
  usage: number;
}

const USAGE = STORAGE | COPY_DST | COPY_SRC;

/** The sizes the plan is made of: layers L, state slots per layer (2 for LSTM: h and c), gates G, stored gate floats. */
export function cellSizes(c: RnnConfig): { L: number; slots: number; G: number; stored: number; dGh: boolean } {
  const cell = c.cell ?? 'rnn';
  return { L: c.layers ?? 1, slots: cell === 'lstm' ? 2 : 1, G: GATES[cell], stored: cell === 'rnn' ? 0 : 4, dGh: cell === 'gru' };
}

/** Bytes per step of each buffer that holds one chunk. */
function perStep(c: RnnConfig, B: number, streams: number): [BufferName, number][] {
  const H = c.hidden, Q = c.outputSize, d = c.inputSize, tokens = c.input === 'tokens';
  const { L, slots, G, stored, dGh } = cellSizes(c);
  const out: [BufferName, number][] = [];
  for (let l = 0; l < L; l++) {
    out.push([`zx${l}`, B * G * H * 4], [`hs${l}`, B * H * 4]);
    if (slots === 2) out.push([`cs${l}`, B * H * 4]);
    if (stored) out.push([`gates${l}`, B * stored * H * 4]);
  }
  out.push(
    // GRU: dGi then dGh in dG; LSTM: ∂L/∂h_t then ∂L/∂c_t in dH (and dHlow)
    ['o', B * Q * 4], ['dO', B * Q * 4], ['dHtop', B * H * 4], ['dG', B * G * H * 4 * (dGh ? 2 : 1)], ['dH', B * H * 4 * slots],
    // per step: each stream's loss mask and ξ, and the lower layers' ones (see layout.ts)
    ['xi', (xiLayout(1, B).ones(streams) + 1) * 4], ['input', tokens ? B * 4 : B * d * 4], ['target', c.loss === 'mse' ? B * Q * 4 : B * 4],
    ['order', tokens ? B * 4 : 0], ['lossRows', B * 4], ['lossW', B * 4],
  );
  if (L > 1) out.push(['dHx0', B * H * 4], ['dHx1', B * H * 4], ['dHlow', B * H * 4 * slots]);
  // several gradient streams: their dG summed per layer before the weight GEMMs
  for (let l = 0; streams > 1 && l < L; l++) {
    out.push([`dGsum${l}`, B * G * H * 4 * (dGh ? 2 : 1)]);
  }
  return out;
}

/** Floats of one set of states (every layer's h, and c for LSTM; see layout.ts). */
export function stateFloats(c: RnnConfig, B: number): number {
  const { L, slots } = cellSizes(c);
  return stateLayout(L, slots, B, c.hidden).floats;
}

/** The buffers of a forward-only engine (BpttShape.forwardOnly): the forward pass, the outputs, the states. */
export const FORWARD_BUFFERS: readonly string[] = ['zx', 'hs', 'cs', 'gates', 'whhT', 'o', 'input', 'lengths', 'params', 'checkpoints', 'hCarry'];

/** True when buffer `name` (e.g. hs0, whhT1) is one a forward-only engine keeps. */
export function isForwardBuffer(name: BufferName): boolean {
  const base = name.replace(/[0-9.]+$/, '');
  return FORWARD_BUFFERS.includes(base);
}

/** Every buffer a checked shape needs (chunk-sized ones for C steps; whole-sequence ones when chunked). */
export function planBuffers(s: Pick<CheckedShape, 'config' | 'batch' | 'steps' | 'chunk' | 'streams'> & { forwardOnly?: boolean }): BufferPlan[] {
  const c = s.config, B = s.batch, T = s.steps, C = s.chunk, streams = s.streams;
  const H = c.hidden, d = c.inputSize, tokens = c.input === 'tokens';
  const { L, slots, G } = cellSizes(c);
  const chunks = Math.ceil(T / C);
  const P = paramLayout(c);
  const plan: [BufferName, number][] = perStep(c, B, streams).map(([n, b]) => [n, b * (n.startsWith('hs') || n.startsWith('cs') ? C + 1 : C)]);
  for (let l = 0; l < L; l++) {
    plan.push([`whhT${l}`, H * G * H * 4]);
    for (let st = 0; st < streams; st++) {
      plan.push([`dHc${st}.${l}`, slots * B * H * 4]);
    }
  }
  plan.push(
    ['params', P.total * 4], ['grads', P.total * 4], ['start', tokens ? (d + 1) * 4 : 16], ['lengths', B * 4],
    ['partials', 64 * 4], ['stats', STATS.byteSize], ['hCarry', stateFloats(c, B) * 4],
    ['checkpoints', (chunks + 1) * stateFloats(c, B) * 4], ['diag', diagLayout(T, slots).floats * 4],
  );
  if (chunks > 1) {
    const R = T * B;
    plan.push(
      ['inputAll', tokens ? R * 4 : R * d * 4], ['targetAll', c.loss === 'mse' ? R * c.outputSize * 4 : R * 4], ['xiAll', xiLayout(T, B).ones(streams) * 4],
      ['startAll', tokens ? chunks * (d + 1) * 4 : 16], ['orderAll', tokens ? R * 4 : 16], ['lossAll', R * 4],
      ['lengthsAll', chunks * B * 4], ['lossWAll', R * 4],
    );
  }
  const kept = s.forwardOnly ? plan.filter(([name]) => isForwardBuffer(name)) : plan;
  return kept.map(([name, bytes]) => ({ name, bytes: Math.max(16, Math.ceil(bytes / 16) * 16), usage: USAGE }));
}

/** Bytes of GPU memory a shape needs (all buffers of planBuffers), chunked as checkShape would. */
export function estimateBytes(shape: BpttShape & { chunk?: number }): number {
  const chunk = shape.chunk ?? shape.steps;
  return planBuffers({ config: validateConfig(shape.config), batch: shape.batch, steps: shape.steps, chunk, streams: shape.streams ?? 1, forwardOnly: shape.forwardOnly }).reduce((s, p) => s + p.bytes, 0);
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
export function chooseChunk(config: RnnConfig, B: number, T: number, limits: ChunkLimits, streams = 1, forwardOnly = false): number {
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  let C = T;
  for (const [name, bytes] of perStep(config, B, streams)) {
    if (bytes === 0 || (forwardOnly && !isForwardBuffer(name))) continue;
    const fit = Math.floor(limit / bytes) - (name.startsWith('hs') || name.startsWith('cs') ? 1 : 0);
    if (fit < 1) {
      throw new BpttError(`buffer ${name}`, `${bytes} bytes per step`, `exceeds this device's limit of ${limit} bytes even for one step (batch=${B}, hidden=${config.hidden}): reduce batch or hidden`);
    }
    C = Math.min(C, fit);
  }
  C = Math.min(C, Math.floor((limits.maxComputeWorkgroupsPerDimension * MATMUL_TILE) / B));
  if (C < 1) throw new BpttError('batch', String(B), `GEMM grid exceeds maxComputeWorkgroupsPerDimension = ${limits.maxComputeWorkgroupsPerDimension}: reduce batch`);
  for (const p of planBuffers({ config: validateConfig(config), batch: B, steps: T, chunk: C, streams, forwardOnly })) {
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
  const recurrence = requireOneOf('recurrence', shape.recurrence ?? 'sequence', RECURRENCES);
  const split = recurrence === 'split';
  const rows = shape.rows === undefined ? (split ? 1 : cellAutoRows(device, config.cell, config.hidden, batch)) : shape.rows;
  if (!RECURRENCE_ROWS.includes(rows)) throw new BpttError('rows', show(rows), 'must be 1, 2 or 4, or 8');
  const steps = requireInt('steps', shape.steps, 1, 1 << 24);
  const streams = requireInt('streams', shape.streams ?? 1, 1, 1 << 12);
  const lossFrom = requireInt('lossFrom', shape.lossFrom ?? 0, 0, steps - 1);
  const lim = device.limits;
  // (the split kernels tile over H: no limit from workgroup memory)
  const hmax = split ? Infinity : cellMaxHidden(device, config.cell, rows);
  if (config.hidden > hmax) {
    throw new BpttError('config.hidden', String(config.hidden), `must be ≤ ${hmax} for cell ${config.cell} on this device (maxComputeWorkgroupStorageSize = ${lim.maxComputeWorkgroupStorageSize} bytes, rows = ${rows} sequences per workgroup)`);
  }
  const wgMax = lim.maxComputeWorkgroupsPerDimension;
  const perGroup = split ? 4 : rows;
  if (Math.ceil(batch / perGroup) > wgMax) throw new BpttError('batch', String(batch), `must be ≤ ${wgMax * perGroup} (maxComputeWorkgroupsPerDimension = ${wgMax}, ${split ? '4 sequences per workgroup in the split recurrence' : `rows = ${rows}`})`);
  const tiles = (n: number) => Math.ceil(n / MATMUL_TILE);
  const GH = GATES[config.cell] * config.hidden;
  if (tiles(GH) > wgMax || tiles(config.outputSize) > wgMax || tiles(config.inputSize) > wgMax) {
    throw new BpttError('config', `G·H=${GH}, Q=${config.outputSize}, d=${config.inputSize}`, `a GEMM grid exceeds maxComputeWorkgroupsPerDimension = ${wgMax}`);
  }
  const forwardOnly = shape.forwardOnly ?? false;
  if (typeof forwardOnly !== 'boolean') throw new BpttError('forwardOnly', show(shape.forwardOnly), 'must be true or false');
  const fit = chooseChunk(config, batch, steps, lim, streams, forwardOnly);
  const chunk = shape.chunk === undefined ? fit : requireInt('chunk', shape.chunk, 1, fit);
  const chunks = Math.ceil(steps / chunk);
  if (forwardOnly && chunks > 1) throw new BpttError('steps', String(steps), `a forward-only window must fit unchunked on this device (at most ${fit} steps for batch=${batch}): reduce steps or batch`);
  return { config, batch, steps, rows, recurrence, chunk, chunks, lastChunk: steps - (chunks - 1) * chunk, streams, lossFrom, forwardOnly };
}
