// The "split" recurrence: one time step per dispatch, its hidden units and
// sequences spread over ceil(H / WG) × ceil(B / 4) workgroups, every step of
// a window recorded into the caller's one compute pass (one bind group, a
// dynamic uniform offset per step, all made at bind time). Beside the
// "sequence" kernels (rnn.ts, lstm.ts, gru.ts: all steps inside one workgroup
// per group of sequences, at most B / rows workgroups), with the same
// buffers, dims and semantics, so the engine swaps one for the other.
// One WGSL file per direction serves all three cells (the cell is an
// `override` constant).
import forwardCode from '../../shaders/split_forward.wgsl';
import backwardCode from '../../shaders/split_backward.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { createTracked, destroyTracked } from '../gpu/buffers';
import { BpttError } from '../errors';
import { Kernel, ceilDiv, F32, ACTIVATION_CODE, type Activation, type StepsBound } from './kernel';
import { bindWithDefault, NO_LENGTH } from './defaults';
import { checkOffset, checkForwardDims, checkBackwardDims } from './gated';
import type { LstmBackwardDims } from './lstm';
import type { GruBackwardDims } from './gru';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const SPLIT_FORWARD_WGSL = forwardCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const SPLIT_BACKWARD_WGSL = backwardCode;

const ForwardParams = uniformStruct({ B: 'u32', H: 'u32', t: 'u32', w_offset: 'u32', b_offset: 'u32' });
const BackwardParams = uniformStruct({
  B: 'u32', H: 'u32', t: 'u32', gemv_t: 'u32', has_step: 'u32', given: 'u32',
  w_offset: 'u32', xi_offset: 'u32', mask_offset: 'u32', c_offset: 'u32', gh_offset: 'u32',
});

/** The cell whose recurrence a split kernel runs (as the model names it; kernels do not import the model). */
export type SplitCell = 'rnn' | 'lstm' | 'gru';

const CELL_CODE: Record<SplitCell, number> = { rnn: 0, lstm: 1, gru: 2 };
const GATES: Record<SplitCell, number> = { rnn: 1, lstm: 4, gru: 3 };
/** Sequences per workgroup: the four lanes of a vec4 in the WGSL. */
const LANES = 4;

/** Pipeline options of the split recurrence kernels. */
export interface SplitKernelOptions {
  cell: SplitCell;
  /** Hidden size H (no limit from workgroup memory: the kernels tile over it). */
  hidden: number;
  /** φ of the 'rnn' cell (default tanh; LSTM and GRU have their own). */
  activation?: Activation;
  /** Forward only: add the recurrent bias b_hh from `params` at `bOffset`. */
  bias?: boolean;
}

/** Step range and offsets of one forward binding: steps t0 ≤ t < t1, one dispatch each. */
export interface SplitForwardDims {
  /** Batch size B. */
  B: number;
  t0: number;
  t1: number;
  /** Element offset of W_hhᵀ (H, G·H) in `weightsT` (default 0). */
  wOffset?: number;
  /** Element offset of b_hh (G·H) in `params` (required with `bias`). */
  bOffset?: number;
}

/** Step range and offsets of one reverse binding (steps t1 > t ≥ t0, n + 1 dispatches): the sequence kernels' dims of every cell. */
export interface SplitBackwardDims extends LstmBackwardDims, GruBackwardDims {}

/**
 * The split forward's buffers, named as the sequence kernels name them:
 * weightsT W_hhᵀ; params (b_hh); zx (T, B, G·H); hs (T + 1, B, H); cs (LSTM);
 * gates (T, B, 4H) (LSTM, GRU); lengths (B) u32 (default: every step real).
 */
export type SplitForwardBuffers = { weightsT: GPUBuffer; params: GPUBuffer; zx: GPUBuffer; hs: GPUBuffer; cs?: GPUBuffer; gates?: GPUBuffer; lengths?: GPUBuffer };

/**
 * The split reverse's buffers, named as the sequence kernels name them: params
 * (W_hh), hs (rnn, GRU) or cs (LSTM), gates (LSTM, GRU), dHo, xi, dHc (the
 * carries in and out), dG, dH.
 */
export type SplitBackwardBuffers = { params: GPUBuffer; hs?: GPUBuffer; cs?: GPUBuffer; gates?: GPUBuffer; dHo: GPUBuffer; xi: GPUBuffer; dHc: GPUBuffer; dG: GPUBuffer; dH: GPUBuffer };

/** A split kernel: binds a window of steps, and records its dispatches (one or more per step) into a pass. */
export interface SplitKernelHandle<B, D> {
  /** The bind group layout (binding 0: the per-dispatch Params, with a dynamic offset). */
  readonly layout: GPUBindGroupLayout;
  /** Check the buffers and dims; make the uniform buffer (one Params per dispatch) and the bind group. */
  bind(buffers: B, dims: D): StepsBound;
  /** Record the binding's dispatches into `pass`. Never submits. */
  encode(pass: GPUComputePassEncoder, bound: StepsBound): void;
}

/** Hidden units per workgroup (one thread each). */
function unitsPerWorkgroup(device: GPUDevice): number {
  return Math.min(32, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
}

/** Workgroups of one dispatch of the split kernels: ceil(H / 32) × ceil(B / 4). */
export function splitWorkgroups(hidden: number, batch: number, unitsPerGroup = 32): [number, number, number] {
  return [ceilDiv(hidden, unitsPerGroup), ceilDiv(batch, LANES), 1];
}

function constants(device: GPUDevice, name: string, o: SplitKernelOptions): Record<string, number | boolean> {
  if (!(o.cell in CELL_CODE)) throw new BpttError(`${name}.cell`, String(o.cell), "must be 'rnn', 'lstm' or 'gru'");
  if (!Number.isInteger(o.hidden) || o.hidden < 1) throw new BpttError(`${name}.hidden`, String(o.hidden), 'must be a positive integer');
  const c: Record<string, number | boolean> = { CELL: CELL_CODE[o.cell], WG: unitsPerWorkgroup(device) };
  if (o.cell === 'rnn') c.ACTIVATION = ACTIVATION_CODE[o.activation ?? 'tanh'];
  return c;
}

/**
 * Bind with placeholders for the buffers this cell does not read (the
 * layout binds every buffer of every cell); the Bound owns them.
 */
function withPlaceholders<K extends string, U extends K>(device: GPUDevice, given: Omit<Record<K, GPUBuffer>, U> & Partial<Record<U, GPUBuffer>>, names: readonly U[], bind: (b: Record<K, GPUBuffer>) => StepsBound): StepsBound {
  const own: GPUBuffer[] = [];
  const all = { ...given } as Record<K, GPUBuffer>;
  for (const n of names) {
    if (all[n]) continue;
    const b = createTracked(device, { label: `split.${n}.unused`, size: 16, usage: GPUBufferUsage.STORAGE });
    own.push(b);
    all[n] = b;
  }
  const release = () => own.splice(0).forEach((b) => destroyTracked(device, b));
  let bound: StepsBound;
  try {
    bound = bind(all);
  } catch (e) {
    release();
    throw e;
  }
  return {
    ...bound,
    destroy() {
      bound.destroy();
      release();
    },
  };
}

/**
 * The forward recurrence of `cell` for steps t0 ≤ t < t1, one dispatch per
 * step over ceil(H / 32) × ceil(B / 4) workgroups; equations, buffers and
 * sequence lengths as createRnnForward / createLstmForward / createGruForward.
 */
export function createSplitForward(device: GPUDevice, options: SplitKernelOptions): SplitKernelHandle<SplitForwardBuffers, SplitForwardDims> {
  const name = `split_forward`;
  const c = constants(device, name, options);
  c.HAS_BIAS = options.bias ?? false;
  const H = options.hidden, G = GATES[options.cell], cell = options.cell;
  const k = new Kernel(
    device,
    {
      name,
      code: forwardCode,
      entryPoints: ['main'],
      params: ForwardParams,
      steps: true,
      bindings: [['weightsT', 'read'], ['params', 'read'], ['zx', 'read'], ['hs', 'rw'], ['cs', 'rw'], ['gates', 'rw'], ['lengths', 'read']],
    },
    c,
  );
  return {
    layout: k.layout,
    bind(b: SplitForwardBuffers, d: SplitForwardDims): StepsBound {
      const bOffset = checkForwardDims(name, options.bias, d);
      const wOffset = checkOffset(`${name}.wOffset`, d.wOffset ?? 0);
      if (cell === 'lstm' && !b.cs) throw new BpttError(`${name}.cs`, 'missing', 'an LSTM needs its cell states');
      if (cell !== 'rnn' && !b.gates) throw new BpttError(`${name}.gates`, 'missing', `a ${cell.toUpperCase()} stores its gates`);
      const state = (d.t1 + 1) * d.B * H * F32;
      const steps = Array.from({ length: d.t1 - d.t0 }, (_, i) => ({ B: d.B, H, t: d.t0 + i, w_offset: wOffset, b_offset: bOffset }));
      return bindWithDefault(device, b.lengths, `${name}.lengths`, d.B, NO_LENGTH, 'u32', (lengths) =>
        withPlaceholders<'weightsT' | 'params' | 'zx' | 'hs' | 'cs' | 'gates' | 'lengths', 'cs' | 'gates'>(device, { ...b, lengths }, ['cs', 'gates'], (all) =>
          k.bindSteps(
            all,
            steps,
            {
              weightsT: (wOffset + G * H * H) * F32,
              params: options.bias ? (bOffset + G * H) * F32 : 4,
              zx: d.t1 * d.B * G * H * F32,
              hs: state,
              cs: cell === 'lstm' ? state : 4,
              gates: cell === 'rnn' ? 4 : d.t1 * d.B * 4 * H * F32,
              lengths: d.B * 4,
            },
            splitWorkgroups(H, d.B, c.WG as number),
          ),
        ),
      );
    },
    encode: (pass, bound) => k.encodeSteps(pass, bound),
  };
}

/**
 * The reverse-time recurrence of `cell` for steps t1 > t ≥ t0 (with ξ and the
 * loss mask), n + 1 dispatches for n steps over ceil(H / 32) × ceil(B / 4)
 * workgroups; equations, buffers and the carries in dHc as createRnnBackward /
 * createLstmBackward / createGruBackward.
 */
export function createSplitBackward(device: GPUDevice, options: Omit<SplitKernelOptions, 'bias'>): SplitKernelHandle<SplitBackwardBuffers, SplitBackwardDims> {
  const name = 'split_backward';
  const c = constants(device, name, options);
  const H = options.hidden, G = GATES[options.cell], cell = options.cell;
  const k = new Kernel(
    device,
    {
      name,
      code: backwardCode,
      entryPoints: ['main'],
      params: BackwardParams,
      steps: true,
      bindings: [['params', 'read'], ['state', 'read'], ['gates', 'read'], ['dHo', 'read'], ['xi', 'read'], ['dHc', 'rw'], ['dG', 'rw'], ['dH', 'rw']],
    },
    c,
  );
  return {
    layout: k.layout,
    bind(b: SplitBackwardBuffers, d: SplitBackwardDims): StepsBound {
      const { wOffset, xiOffset, maskOffset, xiBytes } = checkBackwardDims(name, d);
      const stepFloats = d.t1 * d.B * H;
      const cOffset = cell === 'lstm' ? checkOffset(`${name}.cOffset`, d.cOffset ?? stepFloats) : 0;
      const ghOffset = cell === 'gru' ? checkOffset(`${name}.ghOffset`, d.ghOffset ?? G * stepFloats) : 0;
      if (cOffset && cOffset < stepFloats) throw new BpttError(`${name}.cOffset`, String(cOffset), `must be ≥ t1·B·H = ${stepFloats} (∂L/∂c_t after ∂L/∂h_t)`);
      if (ghOffset && ghOffset < G * stepFloats) throw new BpttError(`${name}.ghOffset`, String(ghOffset), `must be ≥ t1·B·3H = ${G * stepFloats} (dGh after dGi)`);
      const state = cell === 'lstm' ? b.cs : b.hs;
      if (!state) throw new BpttError(`${name}.${cell === 'lstm' ? 'cs' : 'hs'}`, 'missing', 'the reverse recurrence reads the cached states');
      if (cell !== 'rnn' && !b.gates) throw new BpttError(`${name}.gates`, 'missing', `a ${cell.toUpperCase()} reads its stored gates`);
      // dispatch i: the pointwise step t1 − 1 − i (i < n) after the carry from
      // the GEMV of step t1 − i (i > 0; i = 0: the carry given in dHc)
      const n = d.t1 - d.t0;
      const steps = n === 0 ? [] : Array.from({ length: n + 1 }, (_, i) => ({
        B: d.B, H, t: i < n ? d.t1 - 1 - i : 0, gemv_t: i > 0 ? d.t1 - i : 0, has_step: i < n ? 1 : 0, given: i === 0 ? 1 : 0,
        w_offset: wOffset, xi_offset: xiOffset, mask_offset: maskOffset, c_offset: cOffset, gh_offset: ghOffset,
      }));
      const bytes = stepFloats * F32;
      return withPlaceholders<'params' | 'state' | 'gates' | 'dHo' | 'xi' | 'dHc' | 'dG' | 'dH', 'gates'>(device, { params: b.params, state, gates: b.gates, dHo: b.dHo, xi: b.xi, dHc: b.dHc, dG: b.dG, dH: b.dH }, ['gates'], (all) =>
        k.bindSteps(
          all,
          steps,
          {
            params: (wOffset + G * H * H) * F32,
            state: (d.t1 + 1) * d.B * H * F32,
            gates: cell === 'rnn' ? 4 : 4 * bytes,
            dHo: bytes,
            xi: xiBytes,
            dHc: (cell === 'lstm' ? 2 : 1) * d.B * H * F32,
            dG: ghOffset * F32 + G * bytes,
            dH: cOffset * F32 + bytes,
          },
          splitWorkgroups(H, d.B, c.WG as number),
        ),
      );
    },
    encode: (pass, bound) => k.encodeSteps(pass, bound),
  };
}
