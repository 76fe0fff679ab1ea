// rnn_forward.wgsl — the forward recurrence, steps t0 ≤ t < t1 in one dispatch.
//
//   h_{t+1} = φ(Zx_t + W_hh h_t)       (Zx_t = W_hx x_t + b_h, precomputed)
//
// State index s: Hs[0] is the initial state, Hs[t + 1] the state after step t.
// Every state is cached in Hs and reused by the backward pass (φ' is computed
// from h, so z need not be stored).
//
// Sequences are independent, so each workgroup owns ROWS of the B sequences
// and walks them through time on its own: no waiting between workgroups
// (WGSL promises no forward progress across them). The current state lives
// in workgroup memory, double buffered.
//
// W_hh: (H, H) row-major at P[w_offset]
// Zx:   (T, B, H)      Hs: (T + 1, B, H)
// Dispatch: (ceil(B / ROWS), 1, 1).

override WG: u32 = 256u;
// Sequences per workgroup, 1 ≤ ROWS ≤ 4; shares each W_hh load among them.
override ROWS: u32 = 1u;
// The hidden size H; sizes the workgroup cache (2 · ROWS · H_MAX floats).
override H_MAX: u32 = 256u;
// 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 1u;

struct Params {
  B: u32,
  H: u32,
  t0: u32,
  t1: u32,
  w_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> Zx: array<f32>;
@group(0) @binding(3) var<storage, read_write> Hs: array<f32>;

var<workgroup> hs: array<f32, 2u * ROWS * H_MAX>;

fn activate(z: f32) -> f32 {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, 0.0); }
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let B = p.B;
  let H = p.H;
  let b0 = wg.x * ROWS;
  let half = ROWS * H_MAX;

  for (var r = 0u; r < ROWS; r++) {
    if (b0 + r >= B) { break; }
    for (var j = li; j < H; j += WG) {
      hs[r * H_MAX + j] = Hs[(p.t0 * B + b0 + r) * H + j];
    }
  }
  workgroupBarrier();

  var cur = 0u;
  for (var t = p.t0; t < p.t1; t++) {
    let nxt = half - cur;
    for (var j = li; j < H; j += WG) {
      var z = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
      for (var r = 0u; r < ROWS; r++) {
        if (b0 + r < B) { z[r] = Zx[(t * B + b0 + r) * H + j]; }
      }
      let w_row = p.w_offset + j * H;
      for (var k = 0u; k < H; k++) {
        let w = P[w_row + k];
        for (var r = 0u; r < ROWS; r++) {
          z[r] = fma(w, hs[cur + r * H_MAX + k], z[r]);
        }
      }
      for (var r = 0u; r < ROWS; r++) {
        let h = activate(z[r]);
        hs[nxt + r * H_MAX + j] = h;
        if (b0 + r < B) { Hs[((t + 1u) * B + b0 + r) * H + j] = h; }
      }
    }
    workgroupBarrier();
    cur = nxt;
  }
}
