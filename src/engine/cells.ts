// The recurrence kernels of each cell behind one shape, so the engine's step
// reads the same for the chapter's RNN, LSTM and GRU:
//
//   forward:  Hs[t + 1] (and Cs, and the stored gates) from Zx = X W_ihᵀ + b_ih
//   backward: dG = ∂L/∂(pre-activations) per step, dH = ∂L/∂h_t, and dHc, the
//             gradient handed back into the state before the window (times ξ)
//
// Every cell's kernels name their buffers alike (weightsT, params, zx, hs, cs,
// gates, lengths; hs, cs, gates, dHo, xi, dHc, dG, dH), so a cell is one row
// of a table (KERNELS below) and the engine binds all of them the same way.
// For 'rnn' dG is ∂L/∂z (one gate); for LSTM the input and recurrent
// pre-activations are the same sum, so dG serves both weight GEMMs; GRU's
// n gate gives the recurrent side its own dGh = [dr, dz, dn ⊙ r], kept in
// the same buffer after dGi. (Each reverse kernel binds at most 8 storage
// buffers, WebGPU's default per stage: LSTM keeps the gradients handed back
// into h and c in one buffer and ∂L/∂c_t after ∂L/∂h_t.)
import type { CellKind, ModelConfig } from '../model/config';
import type { Bound } from '../kernels/kernel';
import { createRnnForward, createRnnBackward, maxHidden as maxHiddenRnn } from '../kernels/rnn';
import { chooseRows } from '../kernels/sequence-kernel';
import { createLstmForward, createLstmBackward, maxHiddenLstm } from '../kernels/lstm';
import { createGruForward, createGruBackward, maxHiddenGru } from '../kernels/gru';
import { createSplitForward, createSplitBackward } from '../kernels/split';

/**
 * How a layer's recurrences run: 'sequence', every step inside one workgroup
 * per `rows` sequences (rnn.ts, lstm.ts, gru.ts; one dispatch per window), or
 * 'split', each step spread over ceil(H / 32) × ceil(B / 4) workgroups
 * (split.ts; one dispatch per step, all in the same compute pass).
 */
export type Recurrence = 'sequence' | 'split';
/** The recurrence variants, for checking an option. */
export const RECURRENCES: readonly Recurrence[] = ['sequence', 'split'];

/** The buffers one layer's forward recurrence reads and writes. */
export interface CellForwardBuffers {
  weightsT: GPUBuffer;
  params: GPUBuffer;
  zx: GPUBuffer;
  hs: GPUBuffer;
  cs?: GPUBuffer;
  gates?: GPUBuffer;
  /** (B) u32: steps t ≥ lengths[b] hold the state. */
  lengths: GPUBuffer;
}

/** The buffers one layer's reverse recurrence reads and writes. */
export interface CellBackwardBuffers {
  params: GPUBuffer;
  hs: GPUBuffer;
  cs?: GPUBuffer;
  gates?: GPUBuffer;
  dHo: GPUBuffer;
  xi: GPUBuffer;
  /** The gradients handed back across steps and chunks: into h (B, H), then for LSTM into c (B, H). */
  dHc: GPUBuffer;
  /** ∂L/∂ pre-activations (GRU: dGi, then dGh at ghOffset). */
  dG: GPUBuffer;
  /** ∂L/∂h_t (LSTM: then ∂L/∂c_t at cOffset). */
  dH: GPUBuffer;
}

/** A kernel bound to its buffers: records itself into a pass; owns its uniform buffer. */
export interface Dispatch {
  encode(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

/** Pair a kernel with one of its bindings. */
export function dispatch(kernel: { encode(pass: GPUComputePassEncoder, b: Bound): void }, bound: Bound): Dispatch {
  return { encode: (pass) => kernel.encode(pass, bound), destroy: () => bound.destroy() };
}

/** One layer's recurrence kernels, bound per chunk length and stream by the engine. */
export interface CellKernels {
  forward(b: CellForwardBuffers, d: { B: number; len: number; bOffset?: number }): Dispatch;
  backward(b: CellBackwardBuffers, d: { B: number; len: number; wOffset: number; xiOffset: number; maskOffset: number; cOffset?: number; ghOffset?: number }): Dispatch;
}

/** The largest H the cell's recurrence kernels take with `rows` sequences per workgroup. */
export function cellMaxHidden(device: GPUDevice, cell: CellKind, rows: number): number {
  switch (cell) {
    case 'rnn':
      return maxHiddenRnn(device, rows);
    case 'lstm':
      return maxHiddenLstm(device, rows);
    case 'gru':
      return maxHiddenGru(device, rows);
  }
}

/** Sequences per workgroup when none is given: chooseRows, with the workgroup memory of the cell's kernels. */
export function cellAutoRows(device: GPUDevice, cell: CellKind, hidden: number, batch: number): number {
  return chooseRows(device, (rows) => cellMaxHidden(device, cell, rows), hidden, batch);
}

/** A recurrence kernel as the engine binds it: every cell's kernels name their buffers alike (see the interfaces above). */
interface CellKernel<B, D> {
  bind(buffers: B, dims: D): Bound;
  encode(pass: GPUComputePassEncoder, bound: Bound): void;
}
type ForwardDims = { B: number; t0: number; t1: number; wOffset: number; bOffset?: number };
type BackwardDims = { B: number; t0: number; t1: number; wOffset: number; xiOffset: number; maskOffset: number; cOffset?: number; ghOffset?: number };

/**
 * Each cell's two kernels, by name. A kernel reads the buffers its bindings
 * name and checks that each is there (an LSTM's cs and gates, a GRU's gates);
 * the dims a cell does not use are ignored.
 */
const KERNELS: Record<CellKind, { forward(device: GPUDevice, c: ModelConfig, rows: number, bias: boolean): CellKernel<CellForwardBuffers, ForwardDims>; backward(device: GPUDevice, c: ModelConfig, rows: number): CellKernel<CellBackwardBuffers, BackwardDims> }> = {
  rnn: {
    forward: (device, c, rows, bias) => createRnnForward(device, { hidden: c.hidden, activation: c.activation, rows, bias }),
    backward: (device, c, rows) => createRnnBackward(device, { hidden: c.hidden, activation: c.activation, rows }),
  },
  lstm: {
    forward: (device, c, rows, bias) => createLstmForward(device, { hidden: c.hidden, rows, bias }) as CellKernel<CellForwardBuffers, ForwardDims>,
    backward: (device, c, rows) => createLstmBackward(device, { hidden: c.hidden, rows }) as CellKernel<CellBackwardBuffers, BackwardDims>,
  },
  gru: {
    forward: (device, c, rows, bias) => createGruForward(device, { hidden: c.hidden, rows, bias }) as CellKernel<CellForwardBuffers, ForwardDims>,
    backward: (device, c, rows) => createGruBackward(device, { hidden: c.hidden, rows }) as CellKernel<CellBackwardBuffers, BackwardDims>,
  },
};

/** The split kernels of every cell (they take the sequence kernels' buffers and dims; rows does not apply). */
const SPLIT = {
  forward: (device: GPUDevice, c: ModelConfig, _rows: number, bias: boolean): CellKernel<CellForwardBuffers, ForwardDims> => createSplitForward(device, { cell: c.cell, hidden: c.hidden, activation: c.activation, bias }),
  backward: (device: GPUDevice, c: ModelConfig): CellKernel<CellBackwardBuffers, BackwardDims> => createSplitBackward(device, { cell: c.cell, hidden: c.hidden, activation: c.activation }),
};

/** Which recurrence kernels a layer uses: the variant, and for 'sequence' the sequences per workgroup. */
export interface RecurrenceChoice {
  recurrence: Recurrence;
  /** Sequences per workgroup of the 'sequence' kernels (1, 2, 4 or 8). */
  rows: number;
}

/** The recurrence kernels of one layer of `c` (b_hh in the recurrence when the layer has one). */
export function createCell(device: GPUDevice, c: ModelConfig, choice: RecurrenceChoice, recurrentBias: boolean): CellKernels {
  const kernels = choice.recurrence === 'split' ? SPLIT : KERNELS[c.cell];
  const rows = choice.rows;
  const fwd = kernels.forward(device, c, rows, recurrentBias);
  const bwd = kernels.backward(device, c, rows);
  return {
    forward: (b, d) => dispatch(fwd, fwd.bind(b, { B: d.B, t0: 0, t1: d.len, wOffset: 0, bOffset: d.bOffset })),
    backward: (b, d) => dispatch(bwd, bwd.bind(b, { B: d.B, t0: 0, t1: d.len, wOffset: d.wOffset, xiOffset: d.xiOffset, maskOffset: d.maskOffset, cOffset: d.cOffset, ghOffset: d.ghOffset })),
  };
}
