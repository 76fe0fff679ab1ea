// The benchmark workloads (V, H, B, T) and the FLOPs a training step needs.

export interface Workload {
  name: string;
  V: number;
  H: number;
  B: number;
  T: number;
}

export const WORKLOADS: Record<string, Workload> = {
  S: { name: 'S', V: 28, H: 256, B: 32, T: 35 },
  M: { name: 'M', V: 28, H: 512, B: 32, T: 35 },
  L: { name: 'L', V: 96, H: 1024, B: 64, T: 128 },
  // A tiny one for the test suite: checks that the harness runs, not speed.
  tiny: { name: 'tiny', V: 8, H: 16, B: 2, T: 4 },
};

/**
 * FLOPs one training step actually needs (multiply-add = 2). The one-hot
 * input is a gather (no FLOPs) and its gradient a sum (R·H adds).
 *   forward recurrence 2RH², output 2RHQ, loss ≈ 5RQ,
 *   dHo 2RQH, backward recurrence 2RH², dW_hh 2RH², dW_qh 2RQH, dW_hx RH,
 *   biases R(H + Q), clip + update ≈ 10 P
 */
export function stepFlops(w: Workload): number {
  const R = w.B * w.T, H = w.H, Q = w.V;
  const P = H * w.V + H * H + Q * H + H + Q;
  return 6 * R * H * H + 6 * R * H * Q + 5 * R * Q + R * H + R * (H + Q) + 10 * P;
}

/** The GEMM shapes [M, N, K, count] whose FLOPs make up a step (for the ceiling). */
export function stepGemms(w: Workload): [number, number, number, number][] {
  const R = w.B * w.T, H = w.H, Q = w.V;
  return [
    [w.B, H, H, 2 * w.T], // the recurrences: T steps forward, T backward, (B×H)·(H×H) each
    [R, H, H, 1], // dW_hh = dZᵀ H over all rows
    [R, Q, H, 3], // output, dHo, dW_qh
  ];
}
