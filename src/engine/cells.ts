// The recurrence kernels of each cell behind one shape, so the engine's step
// reads the same for the chapter's RNN, LSTM and GRU:
//
//   forward:  Hs[t + 1] (and Cs, and the stored gates) from Zx = X W_ihᵀ + b_ih
//   backward: dG = ∂L/∂(pre-activations) per step, dH = ∂L/∂h_t, carries with ξ
//
// For 'rnn' dG is ∂L/∂z (one gate); for LSTM the input and recurrent
// pre-activations are the same sum, so dG serves both weight GEMMs; GRU's
// n gate gives the recurrent side its own dGh = [dr, dz, dn ⊙ r], kept in
// the same buffer after dGi. (Each reverse kernel binds at most 8 storage
// buffers, WebGPU's default per stage: LSTM keeps its two carries in one
// buffer and ∂L/∂c_t after ∂L/∂h_t.)
import type { CellKind, ModelConfig } from '../model/config';
import type { Bound } from '../kernels/kernel';
import { createRnnForward, createRnnBackward, maxHidden as maxHiddenRnn } from '../kernels/rnn';
import { createLstmForward, createLstmBackward, maxHiddenLstm } from '../kernels/lstm';
import { createGruForward, createGruBackward, maxHiddenGru } from '../kernels/gru';

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
  /** The carried gradients: into h (B, H), then for LSTM into c (B, H). */
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

/** Sequences per workgroup: the most of 4, 2, 1 that the batch and the workgroup memory allow. */
export function cellAutoRows(device: GPUDevice, cell: CellKind, hidden: number, batch: number): number {
  for (const rows of [4, 2]) if (batch >= rows && hidden <= cellMaxHidden(device, cell, rows)) return rows;
  return 1;
}

function fail(name: string): never {
  throw new Error(`cell buffers: ${name} is missing (an engine bug)`);
}

/** The recurrence kernels of layer `layer` of `c` (b_hh in the recurrence when the layer has one). */
export function createCell(device: GPUDevice, c: ModelConfig, rows: number, recurrentBias: boolean): CellKernels {
  const hidden = c.hidden;
  switch (c.cell) {
    case 'rnn': {
      const fwd = createRnnForward(device, { hidden, activation: c.activation, rows, bias: recurrentBias });
      const bwd = createRnnBackward(device, { hidden, activation: c.activation, rows });
      return {
        forward: (b, d) => dispatch(fwd, fwd.bind({ weightsT: b.weightsT, params: b.params, zx: b.zx, hs: b.hs, lengths: b.lengths }, { B: d.B, t0: 0, t1: d.len, wOffset: 0, bOffset: d.bOffset })),
        backward: (b, d) =>
          dispatch(
            bwd,
            bwd.bind(
              { params: b.params, hs: b.hs, dHo: b.dHo, xi: b.xi, dHc: b.dHc, dZ: b.dG, dH: b.dH },
              { B: d.B, t0: 0, t1: d.len, wOffset: d.wOffset, xiOffset: d.xiOffset, maskOffset: d.maskOffset },
            ),
          ),
      };
    }
    case 'lstm': {
      const fwd = createLstmForward(device, { hidden, rows, bias: recurrentBias });
      const bwd = createLstmBackward(device, { hidden, rows });
      const need = (name: string, b?: GPUBuffer) => b ?? fail(name);
      return {
        forward: (b, d) =>
          dispatch(fwd, fwd.bind({ weightsT: b.weightsT, params: b.params, zx: b.zx, hs: b.hs, cs: need('cs', b.cs), gates: need('gates', b.gates), lengths: b.lengths }, { B: d.B, t0: 0, t1: d.len, bOffset: d.bOffset ?? 0 })),
        backward: (b, d) =>
          dispatch(
            bwd,
            bwd.bind(
              { params: b.params, cs: need('cs', b.cs), gates: need('gates', b.gates), dHo: b.dHo, xi: b.xi, dHCc: b.dHc, dG: b.dG, dHC: b.dH },
              { B: d.B, t0: 0, t1: d.len, wOffset: d.wOffset, xiOffset: d.xiOffset, maskOffset: d.maskOffset, cOffset: d.cOffset },
            ),
          ),
      };
    }
    case 'gru': {
      const fwd = createGruForward(device, { hidden, rows, bias: recurrentBias });
      const bwd = createGruBackward(device, { hidden, rows });
      const need = (name: string, b?: GPUBuffer) => b ?? fail(name);
      return {
        forward: (b, d) => dispatch(fwd, fwd.bind({ weightsT: b.weightsT, params: b.params, zx: b.zx, hs: b.hs, gates: need('gates', b.gates), lengths: b.lengths }, { B: d.B, t0: 0, t1: d.len, bOffset: d.bOffset ?? 0 })),
        backward: (b, d) =>
          dispatch(
            bwd,
            bwd.bind(
              { params: b.params, hs: b.hs, gates: need('gates', b.gates), dHo: b.dHo, xi: b.xi, dHc: b.dHc, dG: b.dG, dH: b.dH },
              { B: d.B, t0: 0, t1: d.len, wOffset: d.wOffset, xiOffset: d.xiOffset, maskOffset: d.maskOffset, ghOffset: d.ghOffset },
            ),
          ),
      };
    }
  }
}
