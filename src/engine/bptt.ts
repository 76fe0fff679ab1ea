// The BPTT engine for one shape (B sequences × T steps): it owns every GPU
// buffer of the model's forward and backward pass and encodes a whole step
// with no CPU round trip per timestep.
//
//   Zx  = W_hx x_t + b_h            gather (tokens) or GEMM (dense), all rows at once
//   Hs  = the recurrence             rnn_forward.wgsl, one dispatch for all steps
//   O   = Hs[1..T] W_qhᵀ + b_q       one GEMM over T·B rows
//   dO, L                             fused loss + gradient
//   dHo = dO W_qh                     one GEMM
//   dZ  = reverse-time recurrence     rnn_backward.wgsl with the multipliers ξ
//   dW_qh = dOᵀ Hs[1..T], dW_hh = dZᵀ Hs[0..T−1], dW_hx = dZᵀ X (or a bucketed
//   gather-sum for tokens), db = column sums: single large GEMMs over T·B rows
//   Σ g² for the global norm
//
// A window too long for the device's buffers runs in chunks (see plan.ts):
// a forward pass stores each chunk's initial state; then, last chunk first,
// each chunk's forward is recomputed from its state and its backward continues
// the gradient carried from the chunk after it (dHc), adding its weight
// gradients to the ones before (beta = 1).
import type { RnnConfig } from '../model/config';
import { paramLayout, checkWeights, packWeights, unpackWeights, type ParamLayout, type Weights, type Tensor } from '../model/params';
import { BufferArena, upload } from '../gpu/buffers';
import { readBuffer, readFloats } from '../gpu/readback';
import { BpttError, show } from '../errors';
import { createMatmul } from '../kernels/matmul';
import { createEmbedGather, createEmbedGrad, bucketByToken } from '../kernels/embed';
import { createColsum } from '../kernels/colsum';
import { createRnnForward, createRnnBackward } from '../kernels/rnn';
import { createTranspose } from '../kernels/transpose';
import { createCarryState } from '../kernels/carry';
import { createLoss } from '../kernels/loss';
import { createReduceSum } from '../kernels/reduce';
import { STATS } from '../kernels/clip-update';
import { createSegmentNorms, createPowerIteration, spectralRadius } from '../kernels/diagnostics';
import type { Bound } from '../kernels/kernel';
import { checkBatch, type BatchInput } from './batch';
import { checkShape, planBuffers, POWER_ITERS, type BpttShape, type BufferName } from './plan';

export { planBuffers, estimateBytes, checkShape, chooseChunk, POWER_ITERS, type BpttShape, type CheckedShape } from './plan';

/** What the diagnostics pass measures (see encodeStep). */
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

/** The dispatches of one chunk length. */
interface ChunkDispatches {
  /** Input projection and forward recurrence only (the checkpoint pass). */
  forward: RecordedDispatch[];
  /** The chunk's whole forward and backward. */
  step: RecordedDispatch[];
}

/**
 * One shape's forward + backward on the GPU: owns every buffer (see
 * planBuffers), encodes the whole step without a CPU round trip per
 * timestep. Data is time-major: row r = t·B + b.
 */
export class BpttEngine {
  readonly config: RnnConfig;
  /** Batch size B. */
  readonly B: number;
  /** Window length T. */
  readonly T: number;
  /** Steps per chunk C (= T unless the window is chunked). */
  readonly C: number;
  /** Number of chunks, ceil(T / C). */
  readonly chunks: number;
  readonly layout: ParamLayout;
  /** The owner of every buffer below. */
  readonly arena: BufferArena;
  /** The buffers by name (see planBuffers); whole-sequence names alias the chunk ones when unchunked. */
  readonly buf: Record<BufferName, GPUBuffer>;
  /** The step's dispatches, in order (unchunked engines; per-phase timing uses them). */
  readonly bound: RecordedDispatch[] = [];
  private readonly owned: { destroy(): void }[] = [];
  private full?: ChunkDispatches;
  private last?: ChunkDispatches;
  private finish: RecordedDispatch[] = [];
  private normsAt: RecordedDispatch[] = [];
  private power?: RecordedDispatch;
  private carry!: RecordedDispatch;
  private readonly csr?: { start: Uint32Array; order: Uint32Array };
  private readonly lastChunk: number;
  private destroyed = false;

  /** Allocate a shape's buffers and bind groups; everything is checked first. */
  constructor(readonly device: GPUDevice, shape: BpttShape) {
    const s = checkShape(device, shape);
    this.config = s.config;
    this.B = s.batch;
    this.T = s.steps;
    this.C = s.chunk;
    this.chunks = s.chunks;
    this.lastChunk = s.lastChunk;
    this.layout = paramLayout(this.config);
    this.arena = new BufferArena(device, 'bptt');
    try {
      const buf = {} as Record<BufferName, GPUBuffer>;
      for (const p of planBuffers(s)) buf[p.name] = this.arena.create(p.name, p.bytes, p.usage);
      if (this.chunks === 1) {
        for (const [all, one] of [['inputAll', 'input'], ['targetAll', 'target'], ['xiAll', 'xi'], ['lossAll', 'lossRows']] as const) buf[all] = buf[one];
      }
      this.buf = buf;
      if (this.config.input === 'tokens') {
        this.csr = { start: new Uint32Array(this.chunks * (this.config.inputSize + 1)), order: new Uint32Array(this.B * this.T) };
      }
      this.build(s.rows);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private record(list: RecordedDispatch[], phase: Phase, kernel: { encode(pass: GPUComputePassEncoder, b: Bound): void }, b: Bound): RecordedDispatch {
    const d: RecordedDispatch = { phase, encode: (pass) => kernel.encode(pass, b), destroy: () => b.destroy() };
    this.owned.push(d);
    list.push(d);
    return d;
  }

  /** The dispatches for a chunk of `len` steps; beta 0 overwrites the gradients, 1 adds to them. */
  private chunkDispatches(rows: number, len: number, beta: number, whole: boolean): ChunkDispatches {
    const c = this.config, dev = this.device, buf = this.buf, L = this.layout.byName;
    const B = this.B, R = B * len, H = c.hidden, Q = c.outputSize, d = c.inputSize, bias = c.bias;
    const forward: RecordedDispatch[] = [], step: RecordedDispatch[] = [];
    const both = (phase: Phase, k: { encode(p: GPUComputePassEncoder, b: Bound): void }, make: () => Bound) => {
      this.record(forward, phase, k, make());
      this.record(step, phase, k, make());
    };
    // 1. input projection for all steps of the chunk
    if (c.input === 'tokens') {
      const k = createEmbedGather(dev, { bias });
      both('input', k, () => k.bind({ params: buf.params, tokens: buf.input, zx: buf.zx }, { R, H, V: d, wOffset: L.W_hx!.offset, bOffset: L.b_h?.offset }));
    } else {
      const k = createMatmul(dev, { transB: true, bias });
      both('input', k, () => k.bind({ a: buf.input, b: buf.params, c: buf.zx, bias: buf.params }, { M: R, N: H, K: d, bOffset: L.W_hx!.offset, biasOffset: L.b_h?.offset }));
    }
    // 2. the forward recurrence (it reads W_hhᵀ: neighbouring threads, neighbouring weights)
    const tr = createTranspose(dev);
    both('forward', tr, () => tr.bind({ x: buf.params, out: buf.whhT }, { rows: H, cols: H, xOffset: L.W_hh!.offset }));
    const fwd = createRnnForward(dev, { hidden: H, activation: c.activation, rows });
    both('forward', fwd, () => fwd.bind({ weightsT: buf.whhT, zx: buf.zx, hs: buf.hs }, { B, t0: 0, t1: len, wOffset: 0 }));
    // 3. outputs O = Hs[1..len] W_qhᵀ + b_q
    const out = createMatmul(dev, { transB: true, bias });
    this.record(step, 'output', out, out.bind({ a: buf.hs, b: buf.params, c: buf.o, bias: buf.params }, { M: R, N: Q, K: H, aOffset: B * H, bOffset: L.W_qh!.offset, biasOffset: L.b_q?.offset }));
    // 4. loss and ∂L/∂O, scaled by 1/(B·T) for the mean over the whole window
    const loss = createLoss(dev, c.loss);
    this.record(step, 'output', loss, loss.bind({ o: buf.o, targets: buf.target, dO: buf.dO, lossRows: buf.lossRows }, { R, Q, scale: 1 / (B * this.T) }));
    if (whole) {
      const sum = createReduceSum(dev);
      this.record(step, 'output', sum, sum.bind({ x: buf.lossRows, partials: buf.partials, out: buf.stats }, { n: R, outIndex: STATS.loss }));
    }
    // 5. ∂L/∂h from the outputs: dHo = dO W_qh
    const dho = createMatmul(dev);
    this.record(step, 'output', dho, dho.bind({ a: buf.dO, b: buf.params, c: buf.dHo }, { M: R, N: H, K: Q, bOffset: L.W_qh!.offset }));
    // 6. reverse-time recurrence, continuing the gradient carried in dHc
    const bwd = createRnnBackward(dev, { hidden: H, activation: c.activation, rows });
    this.record(step, 'backward', bwd, bwd.bind({ params: buf.params, hs: buf.hs, dHo: buf.dHo, xi: buf.xi, dHc: buf.dHc, dZ: buf.dZ }, { B, t0: 0, t1: len, wOffset: L.W_hh!.offset }));
    // 7. weight gradients, each one GEMM over all rows of the chunk
    const tA = createMatmul(dev, { transA: true });
    this.record(step, 'weight-grads', tA, tA.bind({ a: buf.dO, b: buf.hs, c: buf.grads }, { M: Q, N: H, K: R, bOffset: B * H, cOffset: L.W_qh!.offset, beta }));
    this.record(step, 'weight-grads', tA, tA.bind({ a: buf.dZ, b: buf.hs, c: buf.grads }, { M: H, N: H, K: R, cOffset: L.W_hh!.offset, beta }));
    if (c.input === 'tokens') {
      const eg = createEmbedGrad(dev);
      this.record(step, 'weight-grads', eg, eg.bind({ dZ: buf.dZ, start: buf.start, order: buf.order, grads: buf.grads }, { R, H, V: d, wOffset: L.W_hx!.offset, beta }));
    } else {
      this.record(step, 'weight-grads', tA, tA.bind({ a: buf.dZ, b: buf.input, c: buf.grads }, { M: H, N: d, K: R, cOffset: L.W_hx!.offset, beta }));
    }
    if (bias) {
      const cs = createColsum(dev);
      this.record(step, 'weight-grads', cs, cs.bind({ x: buf.dO, out: buf.grads }, { R, N: Q, outOffset: L.b_q!.offset, beta }));
      this.record(step, 'weight-grads', cs, cs.bind({ x: buf.dZ, out: buf.grads }, { R, N: H, outOffset: L.b_h!.offset, beta }));
    }
    // 8. Σ g² over all gradients (padding stays zero)
    if (whole) this.sumsq(step);
    return { forward, step };
  }

  private sumsq(list: RecordedDispatch[]) {
    const sq = createReduceSum(this.device, { square: true });
    this.record(list, 'clip', sq, sq.bind({ x: this.buf.grads, partials: this.buf.partials, out: this.buf.stats }, { n: this.layout.total, outIndex: STATS.gradSumsq }));
  }

  private build(rows: number) {
    const dev = this.device, buf = this.buf, B = this.B, H = this.config.hidden;
    if (this.chunks === 1) {
      this.bound.push(...this.chunkDispatches(rows, this.T, 0, true).step);
    } else {
      // the last chunk is processed first (beta 0); the others add to it
      this.last = this.chunkDispatches(rows, this.lastChunk, 0, false);
      this.full = this.chunkDispatches(rows, this.C, 1, false);
      const sum = createReduceSum(dev);
      this.record(this.finish, 'output', sum, sum.bind({ x: buf.lossAll, partials: buf.partials, out: buf.stats }, { n: B * this.T, outIndex: STATS.loss }));
      this.sumsq(this.finish);
    }
    // the carried state (encodeCarryState): into the window's initial state
    const carry = createCarryState(dev);
    const states = this.chunks === 1 ? buf.hs : buf.checkpoints;
    this.carry = this.record([], 'input', carry, carry.bind({ last: buf.hCarry, stats: buf.stats, hs: states }, { n: B * H }));
    // diagnostics: ‖∂L/∂h_t‖ (the backward pass leaves ∂L/∂h in dHo), per chunk, and ρ(W_hh)
    const norms = createSegmentNorms(dev);
    for (let k = 0; k < this.chunks; k++) {
      const len = this.chunkLength(k);
      this.record(this.normsAt, 'clip', norms, norms.bind({ x: buf.dHo, out: buf.diag }, { segments: len, len: B * H, outOffset: k * this.C }));
    }
    if (H <= Math.floor((dev.limits.maxComputeWorkgroupStorageSize - 256) / 8)) {
      const power = createPowerIteration(dev, H);
      this.power = this.record([], 'clip', power, power.bind({ params: buf.params, growth: buf.diag }, { wOffset: this.layout.byName.W_hh!.offset, iters: POWER_ITERS, outOffset: this.T }));
    }
  }

  /** Steps in chunk k (the last one may be shorter). */
  private chunkLength(k: number): number {
    return k === this.chunks - 1 ? this.lastChunk : this.C;
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

  /** Check and upload one minibatch (time-major), and group each chunk's rows by token. */
  writeBatch(batch: BatchInput): void {
    this.live();
    const { input, target } = checkBatch(this.config, this.B, this.T, batch);
    upload(this.device, this.buf.inputAll, input);
    upload(this.device, this.buf.targetAll, target);
    if (this.csr) {
      const V = this.config.inputSize, rowsPer = this.C * this.B;
      for (let k = 0; k < this.chunks; k++) {
        const len = this.chunkLength(k);
        const tokens = (input as Uint32Array).subarray(k * rowsPer, k * rowsPer + len * this.B);
        bucketByToken(tokens, V, this.csr.start.subarray(k * (V + 1), (k + 1) * (V + 1)), this.csr.order.subarray(k * rowsPer, k * rowsPer + tokens.length));
      }
      upload(this.device, this.chunks === 1 ? this.buf.start : this.buf.startAll, this.csr.start);
      upload(this.device, this.chunks === 1 ? this.buf.order : this.buf.orderAll, this.csr.order);
    }
  }

  /** Upload the per-step multipliers ξ (T). */
  writeXi(xi: Float32Array): void {
    this.live();
    if (xi.length !== this.T) throw new BpttError('xi', `length ${xi.length}`, `must have T = ${this.T} entries`);
    upload(this.device, this.buf.xiAll, xi);
  }

  /** The buffer holding the window's initial state at offset 0 (and, at the end, the final state). */
  private get states(): GPUBuffer {
    return this.chunks === 1 ? this.buf.hs : this.buf.checkpoints;
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
    upload(this.device, this.states, data);
  }

  /** Byte offset of the final state h_T in `states`. */
  private get finalOffset(): number {
    return (this.chunks === 1 ? this.T : this.chunks) * this.B * this.config.hidden * 4;
  }

  /**
   * Carry the last state into h0 for the next minibatch, detached (d2l's
   * sequential partitioning); zero instead after a skipped (non-finite) step.
   * Recorded into `encoder` before the step.
   */
  encodeCarryState(encoder: GPUCommandEncoder): void {
    const bytes = this.B * this.config.hidden * 4;
    encoder.copyBufferToBuffer(this.states, this.finalOffset, this.buf.hCarry, 0, bytes);
    const pass = encoder.beginComputePass({ label: 'bptt.carry' });
    this.carry.encode(pass);
    pass.end();
  }

  /** Zero the initial state (random sampling: no state between minibatches). */
  encodeResetState(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.states, 0, this.B * this.config.hidden * 4);
  }

  /** Record what must happen before the step's passes (the gradient carried into the window is zero). */
  encodePrologue(encoder: GPUCommandEncoder): void {
    this.live();
    encoder.clearBuffer(this.buf.dHc);
  }

  /**
   * Record forward, loss, BPTT, weight gradients and Σg² into `encoder`; with
   * `diagnostics`, also ‖∂L/∂h_t‖ per step and ρ(W_hh) into buf.diag.
   */
  encodeStep(encoder: GPUCommandEncoder, opts: { diagnostics?: boolean } = {}): void {
    this.encodePrologue(encoder);
    if (this.chunks === 1) {
      const pass = encoder.beginComputePass({ label: 'bptt' });
      for (const b of this.bound) b.encode(pass);
      if (opts.diagnostics) this.encodeDiagnostics(pass);
      pass.end();
      return;
    }
    const B = this.B, H = this.config.hidden, n = this.chunks, C = this.C, buf = this.buf;
    const stateBytes = B * H * 4;
    const inBytes = (this.config.input === 'tokens' ? 1 : this.config.inputSize) * B * 4;
    const tgBytes = (this.config.loss === 'mse' ? this.config.outputSize : 1) * B * 4;
    const V1 = this.config.inputSize + 1;
    const slices = (k: number, len: number, targets: boolean) => {
      encoder.copyBufferToBuffer(buf.inputAll, k * C * inBytes, buf.input, 0, len * inBytes);
      encoder.copyBufferToBuffer(buf.checkpoints, k * stateBytes, buf.hs, 0, stateBytes);
      if (!targets) return;
      encoder.copyBufferToBuffer(buf.targetAll, k * C * tgBytes, buf.target, 0, len * tgBytes);
      encoder.copyBufferToBuffer(buf.xiAll, k * C * 4, buf.xi, 0, len * 4);
      if (this.csr) {
        encoder.copyBufferToBuffer(buf.startAll, k * V1 * 4, buf.start, 0, V1 * 4);
        encoder.copyBufferToBuffer(buf.orderAll, k * C * B * 4, buf.order, 0, len * B * 4);
      }
    };
    // forward through the chunks, keeping each chunk's initial state
    for (let k = 0; k < n; k++) {
      const len = this.chunkLength(k);
      slices(k, len, false);
      const pass = encoder.beginComputePass({ label: `bptt.forward.${k}` });
      for (const d of (k === n - 1 ? this.last! : this.full!).forward) d.encode(pass);
      pass.end();
      encoder.copyBufferToBuffer(buf.hs, len * stateBytes, buf.checkpoints, (k + 1) * stateBytes, stateBytes);
    }
    // backward, last chunk first: recompute its forward, continue the carried gradient
    for (let k = n - 1; k >= 0; k--) {
      const len = this.chunkLength(k);
      slices(k, len, true);
      const pass = encoder.beginComputePass({ label: `bptt.chunk.${k}` });
      for (const d of (k === n - 1 ? this.last! : this.full!).step) d.encode(pass);
      if (opts.diagnostics) this.normsAt[k].encode(pass);
      pass.end();
      encoder.copyBufferToBuffer(buf.lossRows, 0, buf.lossAll, k * C * B * 4, len * B * 4);
    }
    const pass = encoder.beginComputePass({ label: 'bptt.finish' });
    for (const d of this.finish) d.encode(pass);
    if (opts.diagnostics) this.power?.encode(pass);
    pass.end();
  }

  /** Unchunked: ‖∂L/∂h_t‖ of the last step's ∂L/∂h and ρ(W_hh), into buf.diag. */
  private encodeDiagnostics(pass: GPUComputePassEncoder): void {
    this.normsAt[0].encode(pass);
    this.power?.encode(pass);
  }

  /** Decode a copy of buf.diag. */
  decodeDiagnostics(data: ArrayBuffer): Diagnostics {
    const f = new Float32Array(data, 0, this.T + POWER_ITERS);
    const growth = f.slice(this.T);
    return { dhNorms: f.slice(0, this.T), growth, spectralRadius: this.power ? spectralRadius(growth) : NaN };
  }

  /** One forward + backward, submitted (no update); with diagnostics when asked. */
  run(opts: { diagnostics?: boolean } = {}): void {
    this.live();
    const enc = this.device.createCommandEncoder({ label: 'bptt.forwardBackward' });
    this.encodeStep(enc, opts);
    this.device.queue.submit([enc.finish()]);
  }

  /**
   * The diagnostics of the last step: unchunked engines measure them now from
   * what the last step left; chunked ones need that step run with diagnostics.
   */
  async readDiagnostics(): Promise<Diagnostics> {
    this.live();
    if (this.chunks === 1) {
      const enc = this.device.createCommandEncoder({ label: 'bptt.diagnostics' });
      const pass = enc.beginComputePass();
      this.encodeDiagnostics(pass);
      pass.end();
      this.device.queue.submit([enc.finish()]);
    }
    return this.decodeDiagnostics(await readBuffer(this.device, this.buf.diag, 0, (this.T + POWER_ITERS) * 4));
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

  /** All states Hs: ((T + 1), B, H) (unchunked engines; a chunked one keeps only each chunk's first state). */
  async readStates(): Promise<Float32Array> {
    this.live();
    if (this.chunks > 1) throw new BpttError('readStates', 'chunked engine', `only chunk boundaries are kept (chunk = ${this.C} < steps = ${this.T}); use readLastState`);
    return readFloats(this.device, this.buf.hs, 0, (this.T + 1) * this.B * this.config.hidden);
  }

  /** The final state h_T: (B, H). */
  async readLastState(): Promise<Float32Array> {
    this.live();
    const n = this.B * this.config.hidden;
    return readFloats(this.device, this.states, this.finalOffset / 4, n);
  }

  /** ∂L/∂h0 (B, H) of the last pass (times ξ_0). */
  async readDh0(): Promise<Float32Array> {
    this.live();
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
    for (const d of this.owned) d.destroy();
    this.owned.length = 0;
    this.bound.length = 0;
    this.arena.destroy();
  }
}
