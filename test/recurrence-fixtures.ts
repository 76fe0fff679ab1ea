// What the recurrence kernel tests share: each cell's two kinds of
// recurrence kernel (the sequence kernels, src/kernels/rnn.ts, lstm.ts,
// gru.ts, and the split recurrence, src/kernels/split.ts), which bind the
// same buffers and dims, so one test body checks both; how a kind names its
// tests and report labels; and the operands the tests build (Wᵀ, ξ and the
// loss mask, merged buffers) and the check that a kernel wrote only its
// chunk. Used by test/kernels.test.ts (rnn), test/cell-kernels.test.ts
// (LSTM, GRU; rnn chunks t0 > 0 and sequence lengths; ξ = 0 of every cell)
// and test/split-recurrence.test.ts.
import { expect } from 'vitest';
import type { Activation, Bound } from '../src/kernels/kernel';
import { createRnnForward, createRnnBackward, maxHidden as maxHiddenRnn, type RnnForwardBuffers, type RnnForwardDims, type RnnBackwardBuffers, type RnnBackwardDims } from '../src/kernels/rnn';
import { createLstmForward, createLstmBackward, maxHiddenLstm } from '../src/kernels/lstm';
import { createGruForward, createGruBackward, maxHiddenGru } from '../src/kernels/gru';
import { createSplitForward, createSplitBackward, type SplitCell, type SplitForwardBuffers, type SplitForwardDims, type SplitBackwardBuffers, type SplitBackwardDims } from '../src/kernels/split';

// ---------------------------------------------------------------------------
// The two kinds of recurrence kernel.

/**
 * Which kernels run a recurrence: 'sequence' (all steps inside one workgroup
 * per `rows` sequences) or 'split' (one dispatch per step; no rows).
 */
export type KernelKind = 'sequence' | 'split';

/** Every kind, in the order the tests run them: the sequence kernels first. */
export const KERNEL_KINDS: readonly KernelKind[] = ['sequence', 'split'];

/**
 * A recurrence kernel as a test drives it. Both kinds of a cell and
 * direction are typed with the sequence kernel's buffers and dims, so the
 * compiler checks that the split recurrence binds the same ones.
 */
export interface RecurrenceKernel<Buffers, Dims> {
  bind(buffers: Buffers, dims: Dims): Bound;
  encode(pass: GPUComputePassEncoder, bound: Bound): void;
}

/**
 * One direction of a cell's recurrence, by kind: a factory taking the
 * hidden size, the sequences per workgroup (`rows`: the sequence kernels'
 * option; the split recurrence ignores it) and the cell's options.
 */
export type ByKind<Options, Buffers, Dims> = Record<KernelKind, (device: GPUDevice, hidden: number, rows: number, options: Options) => RecurrenceKernel<Buffers, Dims>>;

/** The rnn cell's forward (φ, optional b_hh) and reverse (φ) recurrence of each kind, and its largest H. */
export const rnnKernels: {
  forward: ByKind<{ activation: Activation; bias: boolean }, RnnForwardBuffers, RnnForwardDims>;
  backward: ByKind<{ activation: Activation }, RnnBackwardBuffers, RnnBackwardDims>;
  maxHidden: LargestHidden;
} = {
  forward: {
    sequence: (device, hidden, rows, { activation, bias }) => createRnnForward(device, { hidden, activation, rows, bias }),
    split: (device, hidden, _rows, { activation, bias }) => createSplitForward(device, { cell: 'rnn', hidden, activation, bias }),
  },
  backward: {
    sequence: (device, hidden, rows, { activation }) => createRnnBackward(device, { hidden, activation, rows }),
    split: (device, hidden, _rows, { activation }) => createSplitBackward(device, { cell: 'rnn', hidden, activation }),
  },
  maxHidden: { sequence: maxHiddenRnn, split: (device) => maxHiddenRnn(device, 4) },
};

/**
 * The largest H a case may use, by kind: the sequence kernels' for the
 * case's rows; the split recurrence (no limit of its own) takes the sequence
 * kernels' for rows = 4.
 */
export type LargestHidden = Record<KernelKind, (device: GPUDevice, rows: number) => number>;

/**
 * A gated cell's forward (optional b_hh) and reverse recurrence of each kind,
 * and its largest H, from its sequence kernels' factories. The constraints
 * say the split recurrence takes the sequence kernels' buffers and dims.
 */
function gatedKernels<FB extends SplitForwardBuffers, FD extends SplitForwardDims, BB extends SplitBackwardBuffers, BD extends SplitBackwardDims>(
  cell: 'lstm' | 'gru',
  forward: (device: GPUDevice, o: { hidden: number; rows: number; bias: boolean }) => RecurrenceKernel<FB, FD>,
  backward: (device: GPUDevice, o: { hidden: number; rows: number }) => RecurrenceKernel<BB, BD>,
  maxHidden: (device: GPUDevice, rows: number) => number,
): { forward: ByKind<{ bias: boolean }, FB, FD>; backward: ByKind<object, BB, BD>; maxHidden: LargestHidden } {
  return {
    forward: {
      sequence: (device, hidden, rows, { bias }) => forward(device, { hidden, rows, bias }),
      split: (device, hidden, _rows, { bias }) => createSplitForward(device, { cell, hidden, bias }),
    },
    backward: {
      sequence: (device, hidden, rows) => backward(device, { hidden, rows }),
      split: (device, hidden) => createSplitBackward(device, { cell, hidden }),
    },
    maxHidden: { sequence: maxHidden, split: (device) => maxHidden(device, 4) },
  };
}

/** The LSTM's recurrence kernels of each kind, and its largest H. */
export const lstmKernels = gatedKernels('lstm', createLstmForward, createLstmBackward, maxHiddenLstm);

/** The GRU's recurrence kernels of each kind, and its largest H. */
export const gruKernels = gatedKernels('gru', createGruForward, createGruBackward, maxHiddenGru);

/** A test's name for `kind`: the sequence kernels' as given, the split recurrence's after `split `. */
export const kindTestName = (kind: KernelKind, name: string) => (kind === 'split' ? `split ${name}` : name);

/**
 * The kernel at the start of a report label: the sequence kernel by its WGSL
 * (`lstm_forward`), the split recurrence as `split lstm forward`.
 */
export const kernelLabel = (kind: KernelKind, cell: SplitCell, direction: 'forward' | 'backward') => (kind === 'split' ? `split ${cell} ${direction}` : `${cell}_${direction}`);

/** The width of a report label: the test file's own for the sequence kernels, 56 for the (longer) split labels. */
export const labelWidth = (kind: KernelKind, sequenceWidth: number) => (kind === 'split' ? 56 : sequenceWidth);

// ---------------------------------------------------------------------------
// Operands and checks.

/** W (rows, cols) row-major → Wᵀ (cols, rows) row-major, as createTranspose makes it. */
export function transpose(W: Float32Array, rows: number, cols: number): Float32Array {
  const WT = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) WT[c * rows + r] = W[r * cols + c];
  return WT;
}

/** ξ per (t, b): 0, 2 or 1 in a pattern that gives each sequence its own cuts. */
export const xiPattern = (T: number, B: number) => Float32Array.from({ length: T * B }, (_, i) => ((i + Math.floor(i / B)) % 3 === 1 ? 0 : i % 3 === 2 ? 2 : 1));

/** A loss mask with a zero: m_t = 0 where t % 4 = `zeroAt` (default 2), else 1. */
export const maskPattern = (T: number, zeroAt = 2) => Float32Array.from({ length: T }, (_, t) => (t % 4 === zeroAt ? 0 : 1));

/** Two arrays back to back (the kernels' merged buffers: mask and ξ, the two carries, dGi and dGh). */
export const cat = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** The elements of a (T[+1], B, n) tensor outside rows [from, to) are unchanged. */
export function expectUntouched(got: Float32Array, before: Float32Array, rowLen: number, from: number, to: number) {
  expect(Array.from(got.subarray(0, from * rowLen))).toEqual(Array.from(before.subarray(0, from * rowLen)));
  expect(Array.from(got.subarray(to * rowLen))).toEqual(Array.from(before.subarray(to * rowLen)));
}

/** The ξ buffer: the loss mask (maskPattern) at maskOffset, ξ (T, B) (xiPattern) at xiOffset, padding around. */
export function xiBuffer(T: number, B: number) {
  const xi = xiPattern(T, B), mask = maskPattern(T);
  const maskOffset = 3, xiOffset = 5 + T;
  const buf = new Float32Array(xiOffset + T * B + 2).fill(7);
  buf.set(mask, maskOffset);
  buf.set(xi, xiOffset);
  return { buf, xi, mask, maskOffset, xiOffset };
}
