// The BPTT engine for one shape (B sequences × T steps): it owns every GPU
// buffer of the model's forward and backward pass and encodes them into one
// compute pass, no CPU round trip per timestep.
//
//   Zx  = W_hx x_t + b_h            gather (tokens) or GEMM (dense), all T·B rows at once
//   Hs  = the recurrence             rnn_forward.wgsl, one dispatch for all T steps
//   O   = Hs[1..T] W_qhᵀ + b_q       one GEMM over T·B rows
//   dO, L                             fused loss + gradient
//   dHo = dO W_qh                     one GEMM
//   dZ  = reverse-time recurrence     rnn_backward.wgsl with the multipliers ξ
//   dW_qh = dOᵀ Hs[1..T], dW_hh = dZᵀ Hs[0..T−1], dW_hx = dZᵀ X (or a bucketed
//   gather-sum for tokens), db = column sums: single large GEMMs over T·B rows
//   Σ g² for the global norm
import type { RnnConfig } from '../model/config';
import { validateConfig } from '../model/config';
import { paramLayout, checkWeights, packWeights, unpackWeights, type ParamLayout, type Weights, type Tensor } from '../model/params';
import { BufferArena, STORAGE, COPY_DST, COPY_SRC, upload } from '../gpu/buffers';
import { readBuffer, readFloats } from '../gpu/readback';
import { BpttError, requireInt, show } from '../errors';
import { createMatmul, MATMUL_TILE } from '../kernels/matmul';
import { createEmbedGather, createEmbedGrad, bucketByToken } from '../kernels/embed';
import { createColsum } from '../kernels/colsum';
import { createRnnForward, createRnnBackward, maxHidden, autoRows } from '../kernels/rnn';
import { createTranspose } from '../kernels/transpose';
import { createCarryState } from '../kernels/carry';
import { createLoss } from '../kernels/loss';
import { createReduceSum } from '../kernels/reduce';
import { STATS } from '../kernels/clip-update';
import { createSegmentNorms, createPowerIteration, spectralRadius } from '../kernels/diagnostics';
import type { Bound } from '../kernels/kernel';
import { checkBatch, type BatchInput } from './batch';

/** A model and the minibatch shape an engine is built for. */
export interface BpttShape {
  config: RnnConfig;
  /** B, sequences per minibatch. */
  batch: number;
  /** T, steps per window. */
  steps: number;
  /** Sequences per workgroup in the recurrence kernels: 1, 2 or 4 (default: the most that fit). */
  rows?: number;
}

interface BufferPlan {
  name: BufferName;
  bytes: number;
  usage: number;
}

/** Power-iteration steps for the spectral radius of W_hh (diagnostics). */
export const POWER_ITERS = 48;

/** What the diagnostics pass measures (see encodeDiagnostics). */
export interface Diagnostics {
  /** ‖∂L/∂h_t‖ over the batch, for t = 0 … T − 1 (T). */
  dhNorms: Float32Array;
  /** ρ(W_hh), by power iteration. */
  spectralRadius: number;
  /** ‖W_hh v_i‖ of each power-iteration step. */
  growth: Float32Array;
}

/** One kernel dispatch of the step, bound to this engine's buffers. */
export interface RecordedDispatch {
  /** The step phase it belongs to (for per-phase timing). */
  phase: Phase;
  /** Record it into a compute pass. */
  encode(pass: GPUComputePassEncoder): void;
  /** Free its uniform buffer. */
  destroy(): void;
}

/** The phases of a step, for per-phase timing. */
export type Phase = 'input' | 'forward' | 'output' | 'backward' | 'weight-grads' | 'clip';

type BufferName =
  | 'params' | 'grads' | 'zx' | 'hs' | 'o' | 'dO' | 'dHo' | 'dZ' | 'dHc' | 'xi' | 'input' | 'target'
  | 'start' | 'order' | 'lossRows' | 'partials' | 'stats' | 'hCarry' | 'whhT' | 'diag';

const S = STORAGE | COPY_DST | COPY_SRC;

/** Every buffer a shape needs, in bytes (the memory estimate and the allocation plan). */
export function planBuffers(shape: BpttShape): BufferPlan[] {
  const c = shape.config;
  const B = shape.batch, T = shape.steps, R = B * T;
  const H = c.hidden, Q = c.outputSize, d = c.inputSize;
  const L = paramLayout(c);
  const tokens = c.input === 'tokens';
  const plan: [BufferName, number][] = [
    ['params', L.total * 4],
    ['grads', L.total * 4],
    ['zx', R * H * 4],
    ['hs', (T + 1) * B * H * 4],
    ['o', R * Q * 4],
    ['dO', R * Q * 4],
    ['dHo', R * H * 4],
    ['dZ', R * H * 4],
    ['dHc', B * H * 4],
    ['xi', T * 4],
    ['input', tokens ? R * 4 : R * d * 4],
    ['target', c.loss === 'mse' ? R * Q * 4 : R * 4],
    ['start', tokens ? (d + 1) * 4 : 16],
    ['order', tokens ? R * 4 : 16],
    ['lossRows', R * 4],
    ['partials', 64 * 4],
    ['stats', STATS.byteSize],
    ['hCarry', B * H * 4],
    ['whhT', H * H * 4],
    ['diag', (T + POWER_ITERS) * 4],
  ];
  return plan.map(([name, bytes]) => ({ name, bytes: Math.max(16, Math.ceil(bytes / 16) * 16), usage: S }));
}

/** Bytes of GPU memory a shape needs (all buffers of planBuffers). */
export function estimateBytes(shape: BpttShape): number {
  return planBuffers(shape).reduce((s, p) => s + p.bytes, 0);
}

/** Check a shape against the device's limits; throws BpttError naming what to reduce. */
export function checkShape(device: GPUDevice, shape: BpttShape): BpttShape {
  const config = validateConfig(shape.config);
  const batch = requireInt('batch', shape.batch, 1, 1 << 20);
  const rows = shape.rows === undefined ? autoRows(device, config.hidden, batch) : shape.rows;
  if (rows !== 1 && rows !== 2 && rows !== 4) throw new BpttError('rows', show(rows), 'must be 1, 2 or 4');
  const steps = requireInt('steps', shape.steps, 1, 1 << 20);
  const lim = device.limits;
  const hmax = maxHidden(device, rows);
  if (config.hidden > hmax) {
    throw new BpttError('config.hidden', String(config.hidden), `must be ≤ ${hmax} on this device (maxComputeWorkgroupStorageSize = ${lim.maxComputeWorkgroupStorageSize} bytes holds 2·rows·H floats, rows = ${rows})`);
  }
  const wgMax = lim.maxComputeWorkgroupsPerDimension;
  if (Math.ceil(batch / rows) > wgMax) throw new BpttError('batch', String(batch), `must be ≤ ${wgMax * rows} (maxComputeWorkgroupsPerDimension = ${wgMax}, rows = ${rows})`);
  const R = batch * steps;
  const tiles = (n: number) => Math.ceil(n / MATMUL_TILE);
  if (tiles(R) > wgMax || tiles(config.hidden) > wgMax || tiles(config.outputSize) > wgMax || tiles(config.inputSize) > wgMax) {
    throw new BpttError('batch·steps', String(R), `GEMM grid exceeds maxComputeWorkgroupsPerDimension = ${wgMax}: reduce batch or steps`);
  }
  const fixed = { config, batch, steps, rows };
  for (const p of planBuffers(fixed)) {
    const limit = Math.min(lim.maxBufferSize, lim.maxStorageBufferBindingSize);
    if (p.bytes > limit) {
      throw new BpttError(
        `buffer ${p.name}`,
        `${p.bytes} bytes`,
        `exceeds this device's limit of ${limit} bytes (min of maxBufferSize, maxStorageBufferBindingSize) for batch=${batch}, steps=${steps}, hidden=${config.hidden}: reduce steps or batch`,
      );
    }
  }
  return fixed;
}

/**
 * One shape's forward + backward on the GPU: owns every buffer (see
 * planBuffers), encodes the whole step into one compute pass. Data is
 * time-major: row r = t·B + b.
 */
export class BpttEngine {
  readonly config: RnnConfig;
  readonly B: number;
  readonly T: number;
  readonly layout: ParamLayout;
  readonly arena: BufferArena;
  readonly buf: Record<BufferName, GPUBuffer>;
  /** The recorded dispatches, in order, each with the phase it belongs to. */
  readonly bound: RecordedDispatch[] = [];
  private phase: Phase = 'input';
  private readonly csr?: { start: Uint32Array; order: Uint32Array };
  private readonly diagnostics: { encode(pass: GPUComputePassEncoder): void; destroy(): void }[] = [];
  private carry!: { encode(pass: GPUComputePassEncoder): void; destroy(): void };
  private destroyed = false;

  /** Allocate a shape's buffers and bind groups; everything is checked first. */
  constructor(readonly device: GPUDevice, shape: BpttShape) {
    const s = checkShape(device, shape);
    this.config = s.config;
    this.B = s.batch;
    this.T = s.steps;
    this.layout = paramLayout(this.config);
    this.arena = new BufferArena(device, 'bptt');
    try {
      const buf = {} as Record<BufferName, GPUBuffer>;
      for (const p of planBuffers(s)) buf[p.name] = this.arena.create(p.name, p.bytes, p.usage);
      this.buf = buf;
      if (this.config.input === 'tokens') {
        this.csr = { start: new Uint32Array(this.config.inputSize + 1), order: new Uint32Array(this.B * this.T) };
      }
      this.buildPasses(s.rows!);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private add(kernel: { encode(pass: GPUComputePassEncoder, b: Bound): void }, b: Bound) {
    this.bound.push({ phase: this.phase, encode: (pass) => kernel.encode(pass, b), destroy: () => b.destroy() });
  }

  private buildPasses(rows: number) {
    const c = this.config, dev = this.device, buf = this.buf, L = this.layout.byName;
    const B = this.B, T = this.T, R = B * T, H = c.hidden, Q = c.outputSize, d = c.inputSize;
    const bias = c.bias;
    // 1. input projection for all steps
    if (c.input === 'tokens') {
      const k = createEmbedGather(dev, { bias });
      this.add(k, k.bind({ params: buf.params, tokens: buf.input, zx: buf.zx }, { R, H, V: d, wOffset: L.W_hx!.offset, bOffset: L.b_h?.offset }));
    } else {
      const k = createMatmul(dev, { transB: true, bias });
      this.add(k, k.bind({ a: buf.input, b: buf.params, c: buf.zx, bias: buf.params }, { M: R, N: H, K: d, bOffset: L.W_hx!.offset, biasOffset: L.b_h?.offset }));
    }
    // 2. the forward recurrence (it reads W_hhᵀ: neighbouring threads, neighbouring weights)
    this.phase = 'forward';
    const tr = createTranspose(dev);
    this.add(tr, tr.bind({ x: buf.params, out: buf.whhT }, { rows: H, cols: H, xOffset: L.W_hh!.offset }));
    const fwd = createRnnForward(dev, { hidden: H, activation: c.activation, rows });
    this.add(fwd, fwd.bind({ weightsT: buf.whhT, zx: buf.zx, hs: buf.hs }, { B, t0: 0, t1: T, wOffset: 0 }));
    // 3. outputs O = Hs[1..T] W_qhᵀ + b_q
    this.phase = 'output';
    const out = createMatmul(dev, { transB: true, bias });
    this.add(out, out.bind({ a: buf.hs, b: buf.params, c: buf.o, bias: buf.params }, { M: R, N: Q, K: H, aOffset: B * H, bOffset: L.W_qh!.offset, biasOffset: L.b_q?.offset }));
    // 4. loss and ∂L/∂O; 5. L = Σ loss rows
    const loss = createLoss(dev, c.loss);
    this.add(loss, loss.bind({ o: buf.o, targets: buf.target, dO: buf.dO, lossRows: buf.lossRows }, { R, Q, scale: 1 / R }));
    const sum = createReduceSum(dev);
    this.add(sum, sum.bind({ x: buf.lossRows, partials: buf.partials, out: buf.stats }, { n: R, outIndex: STATS.loss }));
    // 6. ∂L/∂h from the outputs: dHo = dO W_qh
    const dho = createMatmul(dev);
    this.add(dho, dho.bind({ a: buf.dO, b: buf.params, c: buf.dHo }, { M: R, N: H, K: Q, bOffset: L.W_qh!.offset }));
    // 7. reverse-time recurrence
    this.phase = 'backward';
    const bwd = createRnnBackward(dev, { hidden: H, activation: c.activation, rows });
    this.add(bwd, bwd.bind({ params: buf.params, hs: buf.hs, dHo: buf.dHo, xi: buf.xi, dHc: buf.dHc, dZ: buf.dZ }, { B, t0: 0, t1: T, wOffset: L.W_hh!.offset }));
    // 8. weight gradients, each one GEMM over all T·B rows
    this.phase = 'weight-grads';
    const tA = createMatmul(dev, { transA: true });
    this.add(tA, tA.bind({ a: buf.dO, b: buf.hs, c: buf.grads }, { M: Q, N: H, K: R, bOffset: B * H, cOffset: L.W_qh!.offset }));
    this.add(tA, tA.bind({ a: buf.dZ, b: buf.hs, c: buf.grads }, { M: H, N: H, K: R, cOffset: L.W_hh!.offset }));
    if (c.input === 'tokens') {
      const eg = createEmbedGrad(dev);
      this.add(eg, eg.bind({ dZ: buf.dZ, start: buf.start, order: buf.order, grads: buf.grads }, { R, H, V: d, wOffset: L.W_hx!.offset }));
    } else {
      this.add(tA, tA.bind({ a: buf.dZ, b: buf.input, c: buf.grads }, { M: H, N: d, K: R, cOffset: L.W_hx!.offset }));
    }
    if (bias) {
      const cs = createColsum(dev);
      this.add(cs, cs.bind({ x: buf.dO, out: buf.grads }, { R, N: Q, outOffset: L.b_q!.offset }));
      this.add(cs, cs.bind({ x: buf.dZ, out: buf.grads }, { R, N: H, outOffset: L.b_h!.offset }));
    }
    // 9. Σ g² over all gradients (padding stays zero)
    this.phase = 'clip';
    const sq = createReduceSum(dev, { square: true });
    this.add(sq, sq.bind({ x: buf.grads, partials: buf.partials, out: buf.stats }, { n: this.layout.total, outIndex: STATS.gradSumsq }));
    // the carried state (encodeCarryState), outside the step's pass
    const cs2 = createCarryState(dev);
    const cb = cs2.bind({ last: buf.hCarry, stats: buf.stats, hs: buf.hs }, { n: B * H });
    this.carry = { encode: (p) => cs2.encode(p, cb), destroy: () => cb.destroy() };
    // diagnostics, encoded only on request: ‖∂L/∂h_t‖ (the backward pass left ∂L/∂h in dHo) and ρ(W_hh)
    const norms = createSegmentNorms(dev);
    const nb = norms.bind({ x: buf.dHo, out: buf.diag }, { segments: T, len: B * H });
    this.diagnostics.push({ encode: (p) => norms.encode(p, nb), destroy: () => nb.destroy() });
    if (H <= Math.floor((dev.limits.maxComputeWorkgroupStorageSize - 256) / 8)) {
      const power = createPowerIteration(dev, H);
      const pb = power.bind({ params: buf.params, growth: buf.diag }, { wOffset: L.W_hh!.offset, iters: POWER_ITERS, outOffset: T });
      this.diagnostics.push({ encode: (p) => power.encode(p, pb), destroy: () => pb.destroy() });
    }
  }

  private live() {
    if (this.destroyed) throw new BpttError('engine', 'destroyed', 'this BpttEngine was destroyed; create a new one');
  }

  /** Upload weights (checked: every tensor present, right length, finite). */
  writeWeights(w: Weights<Tensor>): void {
    this.live();
    checkWeights(this.config, w);
    upload(this.device, this.buf.params, packWeights(this.layout, w));
  }

  /** Upload the flat parameter vector as is (layout of this.layout). */
  writeFlatParams(flat: Float32Array): void {
    this.live();
    if (flat.length !== this.layout.total) throw new BpttError('params', `length ${flat.length}`, `must be ${this.layout.total}`);
    upload(this.device, this.buf.params, flat);
  }

  /** Check and upload one minibatch (time-major). */
  writeBatch(batch: BatchInput): void {
    this.live();
    const { input, target } = checkBatch(this.config, this.B, this.T, batch);
    upload(this.device, this.buf.input, input);
    upload(this.device, this.buf.target, target);
    if (this.csr) {
      bucketByToken(input as Uint32Array, this.config.inputSize, this.csr.start, this.csr.order);
      upload(this.device, this.buf.start, this.csr.start);
      upload(this.device, this.buf.order, this.csr.order);
    }
  }

  /** Upload the per-step multipliers ξ (T). */
  writeXi(xi: Float32Array): void {
    this.live();
    if (xi.length !== this.T) throw new BpttError('xi', `length ${xi.length}`, `must have T = ${this.T} entries`);
    upload(this.device, this.buf.xi, xi);
  }

  /** Set the initial state h0 (B, H); zeros when absent. */
  writeH0(h0?: ArrayLike<number>): void {
    this.live();
    const n = this.B * this.config.hidden;
    const data = new Float32Array(n);
    if (h0) {
      if (h0.length !== n) throw new BpttError('h0', `length ${h0.length}`, `must have B·H = ${n} entries`);
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(h0[i])) throw new BpttError(`h0[${i}]`, show(h0[i]), 'must be finite');
        data[i] = h0[i];
      }
    }
    upload(this.device, this.buf.hs, data);
  }

  /**
   * Carry the last state into h0 for the next minibatch, detached (d2l's
   * sequential partitioning); zero instead after a skipped (non-finite) step.
   * Recorded into `encoder` before the step's pass.
   */
  encodeCarryState(encoder: GPUCommandEncoder): void {
    const bytes = this.B * this.config.hidden * 4;
    encoder.copyBufferToBuffer(this.buf.hs, this.T * bytes, this.buf.hCarry, 0, bytes);
    const pass = encoder.beginComputePass({ label: 'bptt.carry' });
    this.carry.encode(pass);
    pass.end();
  }

  /** Zero the initial state (random sampling: no state between minibatches). */
  encodeResetState(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.buf.hs, 0, this.B * this.config.hidden * 4);
  }

  /** Record what must happen before the pass (the gradient carried into the window is zero). */
  encodePrologue(encoder: GPUCommandEncoder): void {
    this.live();
    encoder.clearBuffer(this.buf.dHc);
  }

  /** Record forward, loss, BPTT, weight gradients and Σg² into `pass`. */
  encodeForwardBackward(pass: GPUComputePassEncoder): void {
    this.live();
    for (const b of this.bound) b.encode(pass);
  }

  /**
   * Record the diagnostics into `pass`, after encodeForwardBackward:
   * ‖∂L/∂h_t‖ per step and the power iteration on W_hh (into buf.diag).
   */
  encodeDiagnostics(pass: GPUComputePassEncoder): void {
    this.live();
    for (const d of this.diagnostics) d.encode(pass);
  }

  /** Decode a copy of buf.diag. */
  decodeDiagnostics(data: ArrayBuffer): Diagnostics {
    const f = new Float32Array(data, 0, this.T + POWER_ITERS);
    const growth = f.slice(this.T);
    const hasPower = this.diagnostics.length > 1;
    return { dhNorms: f.slice(0, this.T), growth, spectralRadius: hasPower ? spectralRadius(growth) : NaN };
  }

  /** Run the diagnostics on the last pass's ∂L/∂h and the current weights, and read them. */
  async readDiagnostics(): Promise<Diagnostics> {
    const enc = this.device.createCommandEncoder({ label: 'bptt.diagnostics' });
    const pass = enc.beginComputePass();
    this.encodeDiagnostics(pass);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    return this.decodeDiagnostics(await readBuffer(this.device, this.buf.diag, 0, (this.T + POWER_ITERS) * 4));
  }

  /** One forward + backward, submitted (no update). */
  run(): void {
    const enc = this.device.createCommandEncoder({ label: 'bptt.forwardBackward' });
    this.encodePrologue(enc);
    const pass = enc.beginComputePass({ label: 'bptt' });
    this.encodeForwardBackward(pass);
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** The gradients of the last pass, per parameter (a readback). */
  async readGradients(): Promise<Weights> {
    this.live();
    return unpackWeights(this.layout, await readFloats(this.device, this.buf.grads));
  }

  /** The current weights, per parameter (a readback). */
  async readWeights(): Promise<Weights> {
    this.live();
    return unpackWeights(this.layout, await readFloats(this.device, this.buf.params));
  }

  /** The flat parameter buffer (layout of this.layout; a readback). */
  async readFlatParams(): Promise<Float32Array> {
    this.live();
    return readFloats(this.device, this.buf.params, 0, this.layout.total);
  }

  /** The loss of the last pass (a readback). */
  async readLoss(): Promise<number> {
    this.live();
    return new Float32Array(await readBuffer(this.device, this.buf.stats, 0, 4))[0];
  }

  /** States Hs: ((T + 1), B, H). */
  async readStates(): Promise<Float32Array> {
    this.live();
    return readFloats(this.device, this.buf.hs, 0, (this.T + 1) * this.B * this.config.hidden);
  }

  /** The final state h_T: (B, H). */
  async readLastState(): Promise<Float32Array> {
    const n = this.B * this.config.hidden;
    return readFloats(this.device, this.buf.hs, this.T * n, n);
  }

  /** ∂L/∂h0 (B, H) of the last pass (times ξ_0). */
  async readDh0(): Promise<Float32Array> {
    return readFloats(this.device, this.buf.dHc, 0, this.B * this.config.hidden);
  }

  /** Same as destroy(). */
  dispose(): void {
    this.destroy();
  }

  /** Destroy every GPU buffer and bind group this engine owns. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of [...this.bound, ...this.diagnostics]) b.destroy();
    this.carry?.destroy();
    this.bound.length = 0;
    this.diagnostics.length = 0;
    this.arena.destroy();
  }
}
