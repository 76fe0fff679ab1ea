// rnn_forward.wgsl — the forward recurrence, steps t0 ≤ t < t1 in one dispatch.
//
//   h_{t+1} = φ(Zx_t + W_hh h_t [+ b_hh])   (Zx_t = W_hx x_t + b_h, precomputed;
//                                            b_hh: PyTorch's second bias, stacked models)
//
// State index: Hs[0] is the initial state, Hs[t + 1] the state after step t.
// Every state is cached in Hs and reused by the backward pass (φ' is computed
// from h, so z need not be stored).
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b]; a padded
// step holds the state (h_{t+1} = h_t), so the state after the window is the
// state after each sequence's last real step (PyTorch's packed sequences).
// The loss puts no weight on padded steps, so no gradient reaches them: the
// reverse kernels need no lengths (∂L/∂h_t is 0 from the last real step on).
//
// Sequences are independent, so each workgroup owns ROWS of the B sequences
// and walks them through time on its own: no waiting between workgroups
// (WGSL promises no forward progress across them). The current states live
// in workgroup memory, double buffered. Each thread owns 4 consecutive
// hidden units for all ROWS sequences: up to 16 multiply-adds per 4 weight
// loads in the k loop. The weights are read transposed (WT[k, j] = W_hh[j, k])
// so that neighbouring threads read neighbouring weights.
//
// WT:  (H, H) row-major at WT[w_offset]     b_hh: (H) at P[b_offset] (HAS_BIAS)
// Zx:  (T, B, H)      Hs: (T + 1, B, H)     lengths: (B) u32
// Dispatch: (ceil(B / ROWS), 1, 1).

override WG: u32 = 64u;
// Sequences per workgroup: 1, 2 or 4.
override ROWS: u32 = 1u;
// The hidden size H; sizes the workgroup cache (2 · ROWS · H_MAX floats).
override H_MAX: u32 = 256u;
// 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 1u;
// Add the recurrent bias b_hh (PyTorch's bias_hh_l{k}).
override HAS_BIAS: bool = false;

struct Params {
  B: u32,
  H: u32,
  t0: u32,
  t1: u32,
  w_offset: u32,
  b_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> WT: array<f32>;
@group(0) @binding(2) var<storage, read> Zx: array<f32>;
@group(0) @binding(3) var<storage, read_write> Hs: array<f32>;
@group(0) @binding(4) var<storage, read> P: array<f32>;
@group(0) @binding(5) var<storage, read> lengths: array<u32>;

var<workgroup> hs: array<f32, 2u * ROWS * H_MAX>;

fn activate(z: f32) -> f32 {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, 0.0); }
  return z;
}

// h = φ(acc + Zx) for sequence b0 + r, units j0 … j0 + 3, into both caches
// (past the sequence's length: h held from the current cache half).
fn finish(r: u32, acc: vec4f, t: u32, b0: u32, j0: u32, cur: u32, nxt: u32) {
  let b = b0 + r;
  for (var c = 0u; c < 4u; c++) {
    let j = j0 + c;
    if (j >= p.H) { return; }
    var h = 0.0;
    if (b < p.B) {
      if (t < lengths[b]) {
        var z = acc[c] + Zx[(t * p.B + b) * p.H + j];
        if (HAS_BIAS) { z += P[p.b_offset + j]; }
        h = activate(z);
      } else {
        h = hs[cur + r * H_MAX + j];
      }
      Hs[((t + 1u) * p.B + b) * p.H + j] = h;
    }
    hs[nxt + r * H_MAX + j] = h;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let B = p.B;
  let H = p.H;
  let b0 = wg.x * ROWS;
  let half = ROWS * H_MAX;

  for (var r = 0u; r < ROWS; r++) {
    for (var j = li; j < H; j += WG) {
      var h = 0.0;
      if (b0 + r < B) { h = Hs[(p.t0 * B + b0 + r) * H + j]; }
      hs[r * H_MAX + j] = h;
    }
  }
  workgroupBarrier();

  var cur = 0u;
  for (var t = p.t0; t < p.t1; t++) {
    let nxt = half - cur;
    for (var j0 = li * 4u; j0 < H; j0 += WG * 4u) {
      let jj = vec4u(j0, min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
      var a0 = vec4f(0.0);
      var a1 = vec4f(0.0);
      var a2 = vec4f(0.0);
      var a3 = vec4f(0.0);
      for (var k = 0u; k < H; k++) {
        let row = p.w_offset + k * H;
        let w = vec4f(WT[row + jj.x], WT[row + jj.y], WT[row + jj.z], WT[row + jj.w]);
        a0 += hs[cur + k] * w;
        if (ROWS > 1u) { a1 += hs[cur + H_MAX + k] * w; }
        if (ROWS > 2u) {
          a2 += hs[cur + 2u * H_MAX + k] * w;
          a3 += hs[cur + 3u * H_MAX + k] * w;
        }
      }
      finish(0u, a0, t, b0, j0, cur, nxt);
      if (ROWS > 1u) { finish(1u, a1, t, b0, j0, cur, nxt); }
      if (ROWS > 2u) {
        finish(2u, a2, t, b0, j0, cur, nxt);
        finish(3u, a3, t, b0, j0, cur, nxt);
      }
    }
    workgroupBarrier();
    cur = nxt;
  }
}
