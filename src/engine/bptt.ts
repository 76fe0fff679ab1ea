// The BPTT engine for one shape (B sequences × T steps): it owns every GPU
// buffer of the model's forward and backward pass and encodes a whole step
// with no CPU round trip per timestep. Data is time-major (row r = t·B + b);
// every kernel is bound up front, in the constructor, so encodeStep only
// records. The step, in the order of the math (per chunk; shapes for L layers
// of a cell with G gates, R = B·len rows):
//
//   Zx_l  = X_l W_ih_lᵀ + b_ih_l          (R, G·H)  gather (tokens) or GEMM; X_l = h of layer l − 1
//   Hs_l  = the recurrence                 (len + 1, B, H)  one dispatch for all steps, or one per step ('split') (+ Cs, gates)
//   O     = Hs_top[1..] W_qhᵀ + b_q        (R, Q)
//   L, dO = the loss and ∂L/∂O             (R, Q)  scaled by 1/(B·T)
//   dW_qh = dOᵀ Hs_top[1..], db_q = Σ dO
//   dHtop = dO W_qh                        (R, H)  ∂L/∂h_t of the top layer from the outputs
//   per gradient stream s, layer l = L − 1 … 0:
//     dG  = reverse recurrence with ξ_s    (R, G·H)  ∂L/∂ pre-activations; carried dHc (B, H)
//     dW_ih += dGᵀ X_l, dW_hh += dGhᵀ Hs_l[0..len−1], db_ih += Σ dG, db_hh += Σ dGh
//           (several streams: dG summed over them first, the GEMMs once)
//     dX  = dG W_ih_l                      (R, H)  ∂L/∂h of layer l − 1, from above
//   Σ g² for the global norm
//
// A window too long for the device's buffers runs in chunks (see plan.ts):
// a forward sweep stores each chunk's initial states (checkpoints); then,
// last chunk first, each chunk's forward is recomputed from its checkpoint
// and its backward continues the gradients carried from the chunk after it.
// The weight gradients are zeroed once per step and every GEMM adds to them.
import type { ModelConfig } from '../model/config';
import { paramLayout, checkWeights, packWeights, unpackWeights, layerNames, type ParamLayout, type Weights, type Tensor } from '../model/params';
import { BufferArena, upload } from '../gpu/buffers';
import { readBuffer, readFloats } from '../gpu/readback';
import { BpttError, show } from '../errors';
import { bucketByToken } from '../kernels/embed';
import { createTranspose } from '../kernels/transpose';
import { createCarryState } from '../kernels/carry';
import { createLoss } from '../kernels/loss';
import { createReduceSum } from '../kernels/reduce';
import { STATS } from '../gpu/stats';
import { createSegmentNorms, createPowerIteration, powerIterationMaxHidden, spectralRadius } from '../kernels/diagnostics';
import { checkBatch, checkInputs, chunkLengths, type BatchInput } from './batch';
import { checkShape, planBuffers, cellSizes, type BpttShape, type BufferName } from './plan';
import { xiLayout, stateLayout, diagLayout, POWER_ITERS, type StateLayout, type DiagLayout } from './layout';
import { dispatch, type Dispatch } from './cells';
import { bindChunk, bindForwardChunk, type ChunkContext, type ChunkDispatches, type ChunkForward, type LayerDispatches } from './chunk';
import { sharedPlan, type XiPlan } from './truncation';

export { planBuffers, estimateBytes, checkShape, chooseChunk, type BpttShape, type CheckedShape } from './plan';
export { POWER_ITERS } from './layout';

/** What the diagnostics pass measures (see encodeStep). */
export interface Diagnostics {
  /** ‖∂L/∂h_t‖ of the top layer over the batch, for t = 0 … T − 1 (T; the first gradient stream under TBPTT). */
  dhNorms: Float32Array;
  /** ‖∂L/∂c_t‖ of the top layer (LSTM; else empty). */
  dcNorms: Float32Array;
  /** ρ(W_hh) of layer 0, by power iteration ('rnn' cells; NaN for LSTM/GRU, whose W_hh is not square). */
  spectralRadius: number;
  /** ‖W_hh v_i‖ of each power-iteration step. */
  growth: Float32Array;
}

/** The phases of a step, for per-phase timing. */
export type Phase = 'input' | 'forward' | 'output' | 'backward' | 'weight-grads' | 'clip';

/**
 * How encodeStep opens compute passes: by default one pass for as long as no
 * copy intervenes; a profiler may open one per phase (with timestamp writes).
 */
export interface PassScope {
  /** The pass to record `phase`'s dispatches into. */
  pass(phase: Phase): GPUComputePassEncoder;
  /** End the open pass (before a copy, and at the end of the step). */
  end(): void;
}

/** One pass at a time, whatever the phase. */
function singlePass(encoder: GPUCommandEncoder, label: string): PassScope {
  let open: GPUComputePassEncoder | null = null;
  return {
    pass: () => (open ??= encoder.beginComputePass({ label })),
    end() {
      open?.end();
      open = null;
    },
  };
}


/**
 * One shape's forward + backward on the GPU: owns every buffer (see
 * planBuffers), encodes the whole step without a CPU round trip per
 * timestep. Data is time-major: row r = t·B + b.
 */
export class BpttEngine {
  readonly config: ModelConfig;
  /** Batch size B. */
  readonly B: number;
  /** Window length T. */
  readonly T: number;
  /** Steps per chunk C (= T unless the window is chunked). */
  readonly C: number;
  /** Number of chunks, ceil(T / C). */
  readonly chunks: number;
  /** Gradient streams S (1 except TBPTT(k1, k2) with k1 < k2). */
  readonly streams: number;
  /** The first step whose loss counts (BpttShape.lossFrom). */
  readonly lossFrom: number;
  /** Forward buffers only (BpttShape.forwardOnly): inference, no loss or gradients. */
  readonly forwardOnly: boolean;
  readonly layout: ParamLayout;
  /** The owner of every buffer below. */
  readonly arena: BufferArena;
  /** The buffers by name (see planBuffers); whole-sequence names alias the chunk ones when unchunked. */
  readonly buf: Record<BufferName, GPUBuffer>;
  private readonly owned: Dispatch[] = [];
  private readonly L: number;
  /** State slots per layer: 1 (h), or 2 for an LSTM (h, c). */
  private readonly slots: number;
  /** Where each layer's h and c sit in a set of states (checkpoints, hCarry). */
  private readonly states: StateLayout;
  /** Where each measurement sits in buf.diag. */
  private readonly diag: DiagLayout;
  private readonly lastChunk: number;
  private readonly transposes: Dispatch[] = [];
  private chunkSteps!: ChunkDispatches;
  private lastSteps!: ChunkDispatches;
  /** The forward dispatches of the (single) chunk of a forward-only engine, or of the last chunk. */
  private forwardSteps!: ChunkForward;
  private readonly losses: Dispatch[] = [];
  private readonly dhNorms: Dispatch[] = [];
  private readonly dcNorms: Dispatch[] = [];
  private lossAllSum?: Dispatch;
  private sumsq!: Dispatch;
  private power?: Dispatch;
  private carry!: Dispatch;
  private readonly csr?: { start: Uint32Array; order: Uint32Array };
  private destroyed = false;

  /** Allocate a shape's buffers and bind every kernel; everything is checked first. */
  constructor(readonly device: GPUDevice, shape: BpttShape) {
    const s = checkShape(device, shape);
    this.config = s.config;
    this.B = s.batch;
    this.T = s.steps;
    this.C = s.chunk;
    this.chunks = s.chunks;
    this.streams = s.streams;
    this.lossFrom = s.lossFrom;
    this.forwardOnly = s.forwardOnly;
    this.lastChunk = s.lastChunk;
    ({ L: this.L, slots: this.slots } = cellSizes(this.config));
    this.states = stateLayout(this.L, this.slots, this.B, this.config.hidden);
    this.diag = diagLayout(this.T, this.slots);
    this.layout = paramLayout(this.config);
    this.arena = new BufferArena(device, 'bptt');
    try {
      const buf: Record<BufferName, GPUBuffer> = {};
      for (const p of planBuffers(s)) buf[p.name] = this.arena.create(p.name, p.bytes, p.usage);
      if (this.chunks === 1) {
        for (const [all, one] of [['inputAll', 'input'], ['targetAll', 'target'], ['xiAll', 'xi'], ['lossAll', 'lossRows'], ['startAll', 'start'], ['orderAll', 'order'], ['lengthsAll', 'lengths'], ['lossWAll', 'lossW']]) buf[all] = buf[one];
      }
      this.buf = buf;
      // every step real until a batch says otherwise
      upload(device, buf.lengthsAll, chunkLengths(new Uint32Array(this.B).fill(this.T), this.C, this.chunks));
      // the loss mask of the layers below the top: all ones, after the streams' multipliers
      if (!this.forwardOnly) upload(device, buf.xi, new Float32Array(this.C).fill(1), this.onesOffset * 4);
      if (this.config.input === 'tokens' && !this.forwardOnly) {
        // the embedding gradient's token buckets (the forward gather needs none)
        this.csr = { start: new Uint32Array(this.chunks * (this.config.inputSize + 1)), order: new Uint32Array(this.B * this.T) };
      }
      const ctx: ChunkContext = { device, config: this.config, buf, layout: this.layout, B: this.B, T: this.T, C: this.C, chunks: this.chunks, L: this.L, streams: this.streams, own: (d) => this.own(d) };
      if (this.forwardOnly) {
        this.forwardSteps = bindForwardChunk(ctx, s, this.T);
        this.bindTransposes();
      } else {
        this.chunkSteps = bindChunk(ctx, s, this.C);
        this.lastSteps = this.lastChunk === this.C ? this.chunkSteps : bindChunk(ctx, s, this.lastChunk);
        this.forwardSteps = this.lastSteps;
        this.bindTransposes();
        this.bindStep();
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private own(d: Dispatch): Dispatch {
    this.owned.push(d);
    return d;
  }

  /** Where the all-ones loss mask of the lower layers starts in `xi`. */
  private get onesOffset(): number {
    return xiLayout(this.C, this.B).ones(this.streams);
  }


  /** Bind W_hhᵀ of every layer: the forward recurrence reads it (H, G·H), neighbouring threads reading neighbouring weights. */
  private bindTransposes() {
    const c = this.config, H = c.hidden;
    const { G } = cellSizes(c);
    const tr = createTranspose(this.device);
    for (let l = 0; l < this.L; l++) {
      const at = this.layout.byName[layerNames(c, l).W_hh]!.offset;
      this.transposes.push(this.own(dispatch(tr, tr.bind({ x: this.buf.params, out: this.buf[`whhT${l}`] }, { rows: G * H, cols: H, xOffset: at }))));
    }
  }

  /** Bind what runs once per step: the loss, the norms, the carried state, the diagnostics. */
  private bindStep() {
    const c = this.config, dev = this.device, buf = this.buf, B = this.B, H = c.hidden;
    // loss and ∂L/∂O per chunk, each row weighted (lossW: 1 / Σ w on the counted positions, 0 elsewhere; see batch.ts)
    const lk = createLoss(dev, c.loss);
    for (let k = 0; k < this.chunks; k++) {
      const len = this.chunkLength(k);
      this.losses.push(this.own(dispatch(lk, lk.bind({ o: buf.o, targets: buf.target, dO: buf.dO, lossRows: buf.lossRows, weights: buf.lossW }, { R: B * len, Q: c.outputSize, scale: 1 }))));
    }
    const sum = createReduceSum(dev);
    if (this.chunks > 1) {
      this.lossAllSum = this.own(dispatch(sum, sum.bind({ x: buf.lossAll, partials: buf.partials, out: buf.stats }, { n: B * this.T, outIndex: STATS.loss })));
    }
    const sq = createReduceSum(dev, { square: true });
    this.sumsq = this.own(dispatch(sq, sq.bind({ x: buf.grads, partials: buf.partials, out: buf.stats }, { n: this.layout.total, outIndex: STATS.gradSumsq })));
    // the state carried into the next window (encodeCarryState), zeroed after a skipped step
    const carry = createCarryState(dev);
    this.carry = this.own(dispatch(carry, carry.bind({ last: buf.hCarry, stats: buf.stats, hs: buf.checkpoints }, { n: this.states.floats })));
    // diagnostics: ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) of the top layer per chunk, ρ(W_hh) of layer 0
    const norms = createSegmentNorms(dev);
    for (let k = 0; k < this.chunks; k++) {
      const len = this.chunkLength(k);
      this.dhNorms.push(this.own(dispatch(norms, norms.bind({ x: buf.dH, out: buf.diag }, { segments: len, len: B * H, outOffset: this.diag.dh + k * this.C }))));
      // (an LSTM's ∂L/∂c_t follows its ∂L/∂h_t in dH)
      if (this.slots === 2) this.dcNorms.push(this.own(dispatch(norms, norms.bind({ x: buf.dH, out: buf.diag }, { segments: len, len: B * H, xOffset: this.C * B * H, outOffset: this.diag.dc + k * this.C }))));
    }
    if (c.cell === 'rnn' && H <= powerIterationMaxHidden(dev)) {
      const power = createPowerIteration(dev, H);
      const at = this.layout.byName[layerNames(c, 0).W_hh]!.offset;
      this.power = this.own(dispatch(power, power.bind({ params: buf.params, growth: buf.diag }, { wOffset: at, iters: POWER_ITERS, outOffset: this.diag.growth })));
    }
  }

  /** Steps in chunk k (the last one may be shorter). */
  private chunkLength(k: number): number {
    return k === this.chunks - 1 ? this.lastChunk : this.C;
  }

  private live() {
    if (this.destroyed) throw new BpttError('engine', 'destroyed', 'this BpttEngine was destroyed; create a new one');
  }

  /** Refuse what a forward-only engine cannot do. */
  private training(what: string) {
    this.live();
    if (this.forwardOnly) throw new BpttError(what, 'forward-only engine', 'needs an engine built without forwardOnly (it has no loss or gradient buffers)');
  }

  /** False once destroy() has run (its buffers are gone). */
  get alive(): boolean {
    return !this.destroyed;
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

  /**
   * Check and upload one minibatch (time-major): inputs, targets, the
   * sequence lengths and the loss weights; group each chunk's rows by token.
   */
  writeBatch(batch: BatchInput): void {
    this.training('writeBatch');
    const { input, target, lengths, weights } = checkBatch(this.config, this.B, this.T, batch, this.lossFrom);
    upload(this.device, this.buf.targetAll, target);
    upload(this.device, this.buf.lossWAll, weights);
    this.uploadInputs(input, lengths);
  }

  /** Check and upload the inputs and sequence lengths alone (forward-only engines: no targets). */
  writeInputs(batch: Pick<BatchInput, 'tokens' | 'x' | 'lengths'>): void {
    this.live();
    // a training engine's loss weights follow its lengths: they come together through writeBatch
    if (!this.forwardOnly) throw new BpttError('writeInputs', 'training engine', 'is for forward-only engines; a training engine takes inputs, targets and lengths together through writeBatch');
    const { input, lengths } = checkInputs(this.config, this.B, this.T, batch);
    this.uploadInputs(input, lengths);
  }

  private uploadInputs(input: Uint32Array | Float32Array, lengths: Uint32Array) {
    upload(this.device, this.buf.inputAll, input);
    upload(this.device, this.buf.lengthsAll, chunkLengths(lengths, this.C, this.chunks));
    if (this.csr) {
      const V = this.config.inputSize, rowsPer = this.C * this.B;
      for (let k = 0; k < this.chunks; k++) {
        const len = this.chunkLength(k);
        const tokens = (input as Uint32Array).subarray(k * rowsPer, k * rowsPer + len * this.B);
        // padded rows (gradient 0) stay out of the buckets
        const real = (r: number) => k * this.C + Math.floor(r / this.B) < lengths[r % this.B];
        bucketByToken(tokens, V, this.csr.start.subarray(k * (V + 1), (k + 1) * (V + 1)), this.csr.order.subarray(k * rowsPer, k * rowsPer + tokens.length), real);
      }
      upload(this.device, this.buf.startAll, this.csr.start);
      upload(this.device, this.buf.orderAll, this.csr.order);
    }
  }

  /**
   * Upload the window's multipliers: a plan from Truncation.plan (its
   * streams must match this engine's), or one ξ per step shared by the batch (T).
   */
  writeXi(xi: XiPlan | Float32Array): void {
    this.training('writeXi');
    if (xi instanceof Float32Array) {
      if (xi.length !== this.T) throw new BpttError('xi', `length ${xi.length}`, `must have T = ${this.T} entries`);
      xi = sharedPlan(xi, this.B);
    }
    if (xi.T !== this.T || xi.B !== this.B) throw new BpttError('xi', `plan for T=${xi.T}, B=${xi.B}`, `must be for T = ${this.T}, B = ${this.B}`);
    if (xi.streams !== this.streams) throw new BpttError('xi', `${xi.streams} streams`, `this engine was built for ${this.streams} (BpttShape.streams = truncation.streams(T))`);
    upload(this.device, this.buf.xiAll, xi.data);
  }

  /** Bytes of one set of states (every layer's h, and c for LSTM; a checkpoint). */
  get stateBytes(): number {
    return this.states.floats * 4;
  }

  /**
   * Set the initial states, each [layers][B][H] flattened (layer-major);
   * zeros when absent. c0 only for LSTM.
   */
  writeH0(h0?: ArrayLike<number>, c0?: ArrayLike<number>): void {
    this.live();
    const n = this.B * this.config.hidden, L = this.L;
    const data = new Float32Array(this.states.floats);
    const put = (name: string, v: ArrayLike<number> | undefined, slot: number) => {
      if (!v) return;
      if (v.length !== L * n) throw new BpttError(name, `length ${v.length}`, `must have layers·B·H = ${L * n} entries`);
      for (let l = 0; l < L; l++) {
        for (let i = 0; i < n; i++) {
          const x = v[l * n + i];
          if (!Number.isFinite(x)) throw new BpttError(`${name}[${l * n + i}]`, show(x), 'must be finite');
          data[this.states.at(l, slot) + i] = x;
        }
      }
    };
    put('h0', h0, 0);
    if (c0 && this.slots !== 2) throw new BpttError('c0', 'given', `only an LSTM has a cell state (cell = ${this.config.cell})`);
    put('c0', c0, 1);
    upload(this.device, this.buf.checkpoints, data);
  }

  /**
   * Carry the last states into the next window's initial states, detached
   * (d2l's sequential partitioning); zeros instead after a skipped
   * (non-finite) step. Recorded into `encoder` before the step. `from`
   * (unchunked engines) carries the states after that many steps of the last
   * window instead (streaming TBPTT's windows overlap).
   */
  encodeCarryState(encoder: GPUCommandEncoder, from = this.T): void {
    this.training('encodeCarryState');
    if (from === this.T) encoder.copyBufferToBuffer(this.buf.checkpoints, this.states.at(0, 0, this.chunks) * 4, this.buf.hCarry, 0, this.stateBytes);
    else {
      if (this.chunks > 1 || !(Number.isInteger(from) && from >= 0 && from < this.T)) throw new BpttError('from', show(from), `must be a step in [0, ${this.T}] of an unchunked window`);
      const n = this.B * this.config.hidden * 4;
      for (let l = 0; l < this.L; l++) {
        for (let slot = 0; slot < this.slots; slot++) {
          encoder.copyBufferToBuffer(this.buf[`${slot === 0 ? 'hs' : 'cs'}${l}`], from * n, this.buf.hCarry, this.states.at(l, slot) * 4, n);
        }
      }
    }
    const pass = encoder.beginComputePass({ label: 'bptt.carry' });
    this.carry.encode(pass);
    pass.end();
  }

  /** Zero the initial states (random sampling: no state between minibatches). */
  encodeResetState(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.buf.checkpoints, 0, this.stateBytes);
  }

  /** Copy chunk k's slice of the window (inputs; with `targets`, targets, ξ and token buckets) into the chunk buffers. */
  private encodeChunkInputs(encoder: GPUCommandEncoder, k: number, len: number, targets: boolean) {
    if (this.chunks === 1) return;
    const c = this.config, buf = this.buf, B = this.B, C = this.C;
    const inBytes = (c.input === 'tokens' ? 1 : c.inputSize) * B * 4;
    encoder.copyBufferToBuffer(buf.inputAll, k * C * inBytes, buf.input, 0, len * inBytes);
    encoder.copyBufferToBuffer(buf.lengthsAll, k * B * 4, buf.lengths, 0, B * 4);
    if (!targets) return;
    const tgBytes = (c.loss === 'mse' ? c.outputSize : 1) * B * 4;
    encoder.copyBufferToBuffer(buf.targetAll, k * C * tgBytes, buf.target, 0, len * tgBytes);
    encoder.copyBufferToBuffer(buf.lossWAll, k * C * B * 4, buf.lossW, 0, len * B * 4);
    // each stream's loss mask and ξ for steps k·C … k·C + len − 1
    const whole = xiLayout(this.T, B), chunk = xiLayout(C, B);
    for (let s = 0; s < this.streams; s++) {
      encoder.copyBufferToBuffer(buf.xiAll, whole.mask(s, k * C) * 4, buf.xi, chunk.mask(s, 0) * 4, len * 4);
      encoder.copyBufferToBuffer(buf.xiAll, whole.xi(s, k * C) * 4, buf.xi, chunk.xi(s, 0) * 4, len * B * 4);
    }
    if (this.csr) {
      const V1 = c.inputSize + 1;
      encoder.copyBufferToBuffer(buf.startAll, k * V1 * 4, buf.start, 0, V1 * 4);
      encoder.copyBufferToBuffer(buf.orderAll, k * C * B * 4, buf.order, 0, len * B * 4);
    }
  }

  /** Copy checkpoint k (every layer's h, and c) into each layer's state 0, or state `len` out to checkpoint k. */
  private encodeStates(encoder: GPUCommandEncoder, k: number, len: number, out: boolean) {
    const n = this.B * this.config.hidden * 4;
    for (let l = 0; l < this.L; l++) {
      for (let slot = 0; slot < this.slots; slot++) {
        const states = this.buf[`${slot === 0 ? 'hs' : 'cs'}${l}`];
        const at = this.states.at(l, slot, k) * 4;
        if (out) encoder.copyBufferToBuffer(states, len * n, this.buf.checkpoints, at, n);
        else encoder.copyBufferToBuffer(this.buf.checkpoints, at, states, 0, n);
      }
    }
  }

  /** The chunk's forward pass, every layer: input projection, then the recurrence. */
  private encodeForward(pass: PassScope, steps: ChunkForward) {
    for (const layer of steps.layers) {
      layer.input.encode(pass.pass('input'));
      layer.forward.encode(pass.pass('forward'));
    }
  }

  /**
   * Record a whole forward + backward into `encoder`: forward, loss, BPTT per
   * gradient stream, weight gradients and Σg²; with `diagnostics`, also
   * ‖∂L/∂h_t‖ per step and ρ(W_hh) into buf.diag. `passes` (profiling only)
   * decides how compute passes are opened.
   */
  encodeStep(encoder: GPUCommandEncoder, opts: { diagnostics?: boolean; passes?: PassScope } = {}): void {
    this.training('encodeStep');
    const buf = this.buf, n = this.chunks;
    const passes = opts.passes ?? singlePass(encoder, 'bptt');
    // every weight GEMM below adds to the gradients; the carried gradients start at zero
    encoder.clearBuffer(buf.grads);
    for (let s = 0; s < this.streams; s++) {
      for (let l = 0; l < this.L; l++) encoder.clearBuffer(buf[`dHc${s}.${l}`]);
    }
    // W_hhᵀ for the forward recurrences (the weights do not change within a step)
    for (const t of this.transposes) t.encode(passes.pass('forward'));
    // forward through the chunks, keeping each chunk's initial states
    for (let k = 0; k < n; k++) {
      const steps = k === n - 1 ? this.lastSteps : this.chunkSteps;
      passes.end();
      this.encodeChunkInputs(encoder, k, steps.len, n === 1);
      this.encodeStates(encoder, k, 0, false);
      this.encodeForward(passes, steps);
      if (n > 1) {
        passes.end();
        this.encodeStates(encoder, k + 1, steps.len, true);
      }
    }
    // backward, last chunk first: recompute its forward (chunked), then the output layer and the reverse recurrences
    for (let k = n - 1; k >= 0; k--) {
      const steps = k === n - 1 ? this.lastSteps : this.chunkSteps;
      if (n > 1) {
        passes.end();
        this.encodeChunkInputs(encoder, k, steps.len, true);
        this.encodeStates(encoder, k, 0, false);
        this.encodeForward(passes, steps);
      }
      steps.output.encode(passes.pass('output'));
      this.losses[k].encode(passes.pass('output'));
      steps.lossSum?.encode(passes.pass('output'));
      steps.dW_qh.encode(passes.pass('weight-grads'));
      steps.db_q?.encode(passes.pass('weight-grads'));
      steps.dHtop.encode(passes.pass('output'));
      const weightGrads = (layer: LayerDispatches) => {
        const wg = passes.pass('weight-grads');
        layer.dW_ih.encode(wg);
        layer.dW_hh.encode(wg);
        layer.db_ih?.encode(wg);
        layer.db_hh?.encode(wg);
      };
      for (let s = 0; s < this.streams; s++) {
        for (let l = this.L - 1; l >= 0; l--) {
          const layer = steps.layers[l];
          layer.backward[s].encode(passes.pass('backward'));
          // one stream: the weight gradients of this layer now, while dG is its own
          if (!layer.sum) weightGrads(layer);
          else for (const d of layer.sum[s === 0 ? 0 : 1]) d.encode(passes.pass('weight-grads'));
          layer.dX?.encode(passes.pass('backward'));
        }
        if (s === 0 && opts.diagnostics) {
          this.dhNorms[k].encode(passes.pass('clip'));
          this.dcNorms[k]?.encode(passes.pass('clip'));
        }
      }
      // several streams: the weight gradients once, over the streams' sum
      if (this.streams > 1) for (const layer of steps.layers) weightGrads(layer);
      if (n > 1) {
        passes.end();
        encoder.copyBufferToBuffer(buf.lossRows, 0, buf.lossAll, k * this.C * this.B * 4, steps.len * this.B * 4);
      }
    }
    // the loss of the whole window (chunked), Σ g², and ρ(W_hh)
    this.lossAllSum?.encode(passes.pass('output'));
    this.sumsq.encode(passes.pass('clip'));
    if (opts.diagnostics) this.power?.encode(passes.pass('clip'));
    passes.end();
    if (n === 1) this.encodeStates(encoder, 1, this.T, true);
  }

  /**
   * Forward only, for generation: the window's states from the initial ones
   * and the outputs O (T, B, Q) into buf.o; no loss, no gradients. The final
   * states land where encodeCarryState takes them from. Unchunked engines.
   */
  encodeForwardOnly(encoder: GPUCommandEncoder): void {
    this.live();
    if (this.chunks > 1) throw new BpttError('encodeForwardOnly', `${this.chunks} chunks`, 'needs an unchunked engine (a window whose buffers fit)');
    const passes = singlePass(encoder, 'bptt.forwardOnly');
    for (const t of this.transposes) t.encode(passes.pass('forward'));
    passes.end();
    this.encodeStates(encoder, 0, 0, false);
    this.encodeForward(passes, this.forwardSteps);
    this.forwardSteps.output.encode(passes.pass('output'));
    passes.end();
    this.encodeStates(encoder, 1, this.T, true);
  }

  /**
   * Make the last forward pass's final states (each sequence's state after
   * its last real step) the initial states of the next one, on the GPU: for
   * stateful step-by-step inference. Unchunked engines.
   */
  encodeKeepState(encoder: GPUCommandEncoder): void {
    this.live();
    // (a buffer cannot be copied onto itself: through hCarry)
    encoder.copyBufferToBuffer(this.buf.checkpoints, this.states.at(0, 0, this.chunks) * 4, this.buf.hCarry, 0, this.stateBytes);
    encoder.copyBufferToBuffer(this.buf.hCarry, 0, this.buf.checkpoints, 0, this.stateBytes);
  }

  /** The outputs O (T, B, Q) of the last pass (a readback). */
  async readOutputs(): Promise<Float32Array> {
    this.live();
    return readFloats(this.device, this.buf.o, 0, this.T * this.B * this.config.outputSize);
  }

  /** Decode a copy of buf.diag. */
  decodeDiagnostics(data: ArrayBuffer): Diagnostics {
    const T = this.T;
    const d = this.diag;
    const f = new Float32Array(data, 0, d.floats);
    const growth = f.slice(d.growth, d.growth + POWER_ITERS);
    return {
      dhNorms: f.slice(d.dh, d.dh + T),
      dcNorms: f.slice(d.dc),
      growth,
      spectralRadius: this.power ? spectralRadius(growth) : NaN,
    };
  }

  /** Bytes of buf.diag that decodeDiagnostics reads. */
  get diagnosticsBytes(): number {
    return this.diag.floats * 4;
  }

  /** One forward + backward, submitted (no update); with diagnostics when asked. */
  run(opts: { diagnostics?: boolean } = {}): void {
    this.training('run');
    const enc = this.device.createCommandEncoder({ label: 'bptt.forwardBackward' });
    this.encodeStep(enc, opts);
    this.device.queue.submit([enc.finish()]);
  }

  /**
   * The diagnostics of the last step: unchunked engines measure them now from
   * what the last step left; chunked ones need that step run with diagnostics.
   */
  async readDiagnostics(): Promise<Diagnostics> {
    this.training('readDiagnostics');
    if (this.chunks === 1) {
      const enc = this.device.createCommandEncoder({ label: 'bptt.diagnostics' });
      const pass = enc.beginComputePass();
      this.dhNorms[0].encode(pass);
      this.dcNorms[0]?.encode(pass);
      this.power?.encode(pass);
      pass.end();
      this.device.queue.submit([enc.finish()]);
    }
    return this.decodeDiagnostics(await readBuffer(this.device, this.buf.diag, 0, this.diagnosticsBytes));
  }

  /** The gradients of the last pass, per parameter (a readback). */
  async readGradients(): Promise<Weights> {
    this.training('readGradients');
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
    this.training('readLoss');
    return new Float32Array(await readBuffer(this.device, this.buf.stats, 0, 4))[0];
  }

  /** The final states of every layer, slot 0 (h) or 1 (c), [layers][B][H] flattened. */
  private async readFinal(slot: number): Promise<Float32Array> {
    this.live();
    const { state: n, floats } = this.states;
    const all = await readFloats(this.device, this.buf.checkpoints, this.states.at(0, 0, this.chunks), floats);
    const out = new Float32Array(this.L * n);
    for (let l = 0; l < this.L; l++) out.set(all.subarray(this.states.at(l, slot), this.states.at(l, slot) + n), l * n);
    return out;
  }

  /** The final hidden states h_T of every layer: [layers][B][H] flattened. */
  readLastState(): Promise<Float32Array> {
    return this.readFinal(0);
  }

  /** The final cell states c_T of an LSTM: [layers][B][H] flattened. */
  readLastCell(): Promise<Float32Array> {
    if (this.slots !== 2) throw new BpttError('readLastCell', this.config.cell, 'only an LSTM has a cell state');
    return this.readFinal(1);
  }

  /** ∂L/∂h0 of every layer ([layers][B][H], times ξ_0), summed over the gradient streams. */
  async readDh0(): Promise<Float32Array> {
    this.training('readDh0');
    const n = this.B * this.config.hidden;
    const out = new Float32Array(this.L * n);
    for (let s = 0; s < this.streams; s++) {
      for (let l = 0; l < this.L; l++) {
        const g = await readFloats(this.device, this.buf[`dHc${s}.${l}`], 0, n);
        for (let i = 0; i < n; i++) out[l * n + i] += g[i];
      }
    }
    return out;
  }

  /** Same as destroy(). */
  dispose(): void {
    this.destroy();
  }

  /** Destroy every GPU buffer and uniform this engine owns. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const d of this.owned) d.destroy();
    this.owned.length = 0;
    this.arena.destroy();
  }
}
