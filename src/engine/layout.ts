// The engine's binary layouts, each owned here and nowhere else:
//
//   the multipliers (ξ and loss masks) of a window or chunk of n steps and
//   B sequences: per gradient stream s, the loss mask m_0 … m_{n−1}, then
//   ξ_{t,b} time-major; on the GPU a chunk buffer also keeps, after the
//   streams, the all-ones loss mask of the layers below the top (n floats):
//
//     [ s = 0: m (n) | ξ (n·B) ][ s = 1: … ] … [ ones (n) ]
//
//   the states (one set per chunk boundary: a checkpoint): every layer's h,
//   and c for an LSTM, each (B, H):
//
//     [ set k ][ layer l ][ slot (0 = h, 1 = c) ][ B ][ H ]
//
//   the diagnostics buffer: ‖∂L/∂h_t‖ of the top layer (T), ‖W_hh v_i‖ of each
//   power-iteration step (POWER_ITERS), then ‖∂L/∂c_t‖ (T, LSTM only).

/** Offsets (in floats) into the multipliers of `steps` steps and `B` sequences. */
export interface XiLayout {
  /** Floats per stream: steps + steps·B. */
  readonly stride: number;
  /** Where stream s's loss mask m_t is. */
  mask(s: number, t: number): number;
  /** Where stream s's ξ_{t,b} is. */
  xi(s: number, t: number, b?: number): number;
  /** Where the all-ones mask of the lower layers starts, after `streams` streams (GPU chunk buffers). */
  ones(streams: number): number;
}

/** The multipliers' layout for windows (or chunks) of `steps` steps and `B` sequences. */
export function xiLayout(steps: number, B: number): XiLayout {
  const stride = steps + steps * B;
  return {
    stride,
    mask: (s, t) => s * stride + t,
    xi: (s, t, b = 0) => s * stride + steps + t * B + b,
    ones: (streams) => streams * stride,
  };
}

/** Offsets (in floats) into sets of states. */
export interface StateLayout {
  /** Floats of one set: layers · slots · B · H. */
  readonly floats: number;
  /** Floats of one state (B · H). */
  readonly state: number;
  /** Where layer l's slot (0 = h, 1 = c) starts in set k (default 0). */
  at(l: number, slot: number, k?: number): number;
}

/** The states of `layers` layers with `slots` states each (2 for an LSTM: h and c), B sequences of H units. */
export function stateLayout(layers: number, slots: number, B: number, H: number): StateLayout {
  const state = B * H, floats = layers * slots * state;
  return { floats, state, at: (l, slot, k = 0) => k * floats + (l * slots + slot) * state };
}

/** Power-iteration steps for the spectral radius of W_hh (diagnostics). */
export const POWER_ITERS = 48;

/** Offsets (in floats) into the diagnostics buffer of a window of T steps. */
export interface DiagLayout {
  /** ‖∂L/∂h_t‖ from 0 (T). */
  readonly dh: number;
  /** ‖W_hh v_i‖ (POWER_ITERS). */
  readonly growth: number;
  /** ‖∂L/∂c_t‖ (T, LSTM). */
  readonly dc: number;
  readonly floats: number;
}

/** The diagnostics of T steps, with ‖∂L/∂c_t‖ when `slots` is 2 (LSTM). */
export function diagLayout(T: number, slots: number): DiagLayout {
  return { dh: 0, growth: T, dc: T + POWER_ITERS, floats: T * slots + POWER_ITERS };
}
