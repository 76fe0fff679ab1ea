// The benchmark workloads (V, H, B, T, cell) and the FLOPs a training step needs.
import { charLmConfig, type ModelConfig } from '../src/model/config';

export interface Workload {
  name: string;
  V: number;
  H: number;
  B: number;
  T: number;
  /** The recurrent cell (default 'rnn', the chapter's). */
  cell?: 'rnn' | 'lstm' | 'gru';
}

/** Gates per hidden unit of a workload's cell: G = 4 (LSTM), 3 (GRU), 1 (rnn); a recurrence step is (B×H)·(H×G·H). */
export function cellGates(w: Pick<Workload, 'cell'>): number {
  return w.cell === 'lstm' ? 4 : w.cell === 'gru' ? 3 : 1;
}

export const WORKLOADS: Record<string, Workload> = {
  S: { name: 'S', V: 28, H: 256, B: 32, T: 35 },
  M: { name: 'M', V: 28, H: 512, B: 32, T: 35 },
  L: { name: 'L', V: 96, H: 1024, B: 64, T: 128 },
  // an LSTM at S's size (runs where the engine has the LSTM cell)
  LSTM: { name: 'LSTM', V: 28, H: 256, B: 32, T: 35, cell: 'lstm' },
  // A tiny one for the test suite: checks that the harness runs, not speed.
  tiny: { name: 'tiny', V: 8, H: 16, B: 2, T: 4 },
};

/** The character language model a workload trains. */
export function workloadConfig(w: Workload): ModelConfig {
  return charLmConfig(w.V, w.H, 'tanh', true, w.cell ?? 'rnn');
}

/**
 * FLOPs one training step actually needs (multiply-add = 2), for a cell with
 * G gates (1 for the RNN, 4 for the LSTM, 3 for the GRU). The one-hot input is a gather (no
 * FLOPs) and its gradient a sum (R·G·H adds).
 *   forward recurrence 2R·H·GH, output 2RHQ, loss ≈ 5RQ,
 *   dHo 2RQH, backward recurrence 2R·GH·H, dW_hh 2R·GH·H, dW_qh 2RQH,
 *   dW_hx R·GH, biases R(GH + Q), clip + update ≈ 10 P
 *   (gate nonlinearities and the cell state are left out: O(R·GH))
 */
export function stepFlops(w: Workload): number {
  const R = w.B * w.T, H = w.H, Q = w.V, GH = cellGates(w) * H;
  const P = GH * w.V + GH * H + Q * H + GH + Q;
  return 6 * R * H * GH + 6 * R * H * Q + 5 * R * Q + R * GH + R * (GH + Q) + 10 * P;
}
