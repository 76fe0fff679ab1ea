// lstm_forward.wgsl — the LSTM forward recurrence, steps t0 ≤ t < t1 in one dispatch.
//
//   a_t  = Zx_t + W_hh h_t [+ b_hh]            (Zx_t = W_ih x_t + b_ih, precomputed;
//                                               gate order i, f, g, o as PyTorch)
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//   c_{t+1} = f ⊙ c_t + i ⊙ g                  h_{t+1} = o ⊙ tanh(c_{t+1})
//
// State index: Hs[t0], Cs[t0] hold the state on entry, Hs[t + 1], Cs[t + 1]
// the state after step t. The post-activation gates [i, f, g, o] of every
// step are stored in G for the backward pass.
//
// Sequences are independent, so each workgroup owns ROWS of the B sequences
// and walks them through time on its own: no waiting between workgroups
// (WGSL promises no forward progress across them). The current h of its ROWS
// sequences lives in workgroup memory, double buffered, as vec4s along k
// (padded with zeros to a multiple of 4). Each thread owns hidden units
// j = li, li + WG, … and computes all four gates of each, so the gate GEMV
// and the cell's pointwise math are fused: k is walked 4 at a time, and per
// 4 k, 16 weight loads and ROWS vec4 loads from workgroup memory feed
// 16 · ROWS multiply-adds. The weights are read transposed
// (WT[k, q] = W_hh[q, k]) so that neighbouring threads read neighbouring
// weights. A thread keeps its units for the whole walk, so c_t is read back
// from Cs where the same thread wrote it (no workgroup memory for c).
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b]; a padded
// step holds h and c and stores zero gates, so the state after the window is
// the state after each sequence's last real step (PyTorch's packed
// sequences). The loss puts no weight on padded steps, so the reverse
// kernel's gradients there are exactly 0 and it needs no lengths.
//
// WT: (H, 4H) row-major from 0     b_hh: (4H) at P[b_offset] (HAS_BIAS)
// Zx: (T, B, 4H)   Hs, Cs: (T + 1, B, H)   G: (T, B, 4H)   lengths: (B) u32
// Dispatch: (ceil(B / ROWS), 1, 1).

override WG: u32 = 64u;
// Sequences per workgroup: 1, 2, 4 or 8.
override ROWS: u32 = 1u;
// The hidden size H; sizes the workgroup cache (2 · ROWS · H4 vec4s).
override H_MAX: u32 = 256u;
// vec4s per cached state: H_MAX rounded up to a multiple of 4, over 4.
override H4: u32 = (H_MAX + 3u) / 4u;
// Add the recurrent bias b_hh (PyTorch's bias_hh_l{k}).
override HAS_BIAS: bool = false;

struct Params {
  B: u32,
  H: u32,
  t0: u32,
  t1: u32,
  b_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> WT: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<f32>;
@group(0) @binding(3) var<storage, read> Zx: array<f32>;
@group(0) @binding(4) var<storage, read_write> Hs: array<f32>;
@group(0) @binding(5) var<storage, read_write> Cs: array<f32>;
@group(0) @binding(6) var<storage, read_write> G: array<f32>;
@group(0) @binding(7) var<storage, read> lengths: array<u32>;

// h of sequence r, unit j at hs[half + r · H4 + j / 4][j % 4] (half: 0 or ROWS · H4).
var<workgroup> hs: array<vec4f, 2u * ROWS * H4>;

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// tanh saturates to ±1 in f32 long before |x| = 15; the clamp keeps
// exp-based tanh implementations away from Inf / Inf.
fn tanh_(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

// The cell of sequence b0 + r, unit j, step t, from the recurrent sums acc
// (i, f, g, o); writes c, h, the gates, and h into the next cache half.
fn cell(r: u32, acc: vec4f, t: u32, b0: u32, j: u32, cur: u32, nxt: u32) {
  let b = b0 + r;
  let H = p.H;
  var h = 0.0;
  if (b < p.B && t >= lengths[b]) {
    // a padded step: the state is held, the gates are zero
    let s = (t * p.B + b) * H + j;
    h = hs[cur + r * H4 + j / 4u][j % 4u];
    Cs[s + p.B * H] = Cs[s];
    Hs[s + p.B * H] = h;
    let q = (t * p.B + b) * 4u * H + j;
    G[q] = 0.0;
    G[q + H] = 0.0;
    G[q + 2u * H] = 0.0;
    G[q + 3u * H] = 0.0;
  } else if (b < p.B) {
    let q = (t * p.B + b) * 4u * H + j;
    var a = acc + vec4f(Zx[q], Zx[q + H], Zx[q + 2u * H], Zx[q + 3u * H]);
    if (HAS_BIAS) {
      let o = p.b_offset + j;
      a += vec4f(P[o], P[o + H], P[o + 2u * H], P[o + 3u * H]);
    }
    let ig = sigmoid(a.x);
    let fg = sigmoid(a.y);
    let gg = tanh_(a.z);
    let og = sigmoid(a.w);
    let s = (t * p.B + b) * H + j;
    let c = fg * Cs[s] + ig * gg;
    h = og * tanh_(c);
    Cs[s + p.B * H] = c;
    Hs[s + p.B * H] = h;
    G[q] = ig;
    G[q + H] = fg;
    G[q + 2u * H] = gg;
    G[q + 3u * H] = og;
  }
  hs[nxt + r * H4 + j / 4u][j % 4u] = h;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let B = p.B;
  let H = p.H;
  let b0 = wg.x * ROWS;
  let half = ROWS * H4;

  // both halves: the states of t0, zeros past H (the padding stays 0)
  for (var r = 0u; r < ROWS; r++) {
    for (var j = li; j < 4u * H4; j += WG) {
      var h = 0.0;
      if (b0 + r < B && j < H) { h = Hs[(p.t0 * B + b0 + r) * H + j]; }
      hs[r * H4 + j / 4u][j % 4u] = h;
      hs[half + r * H4 + j / 4u][j % 4u] = 0.0;
    }
  }
  workgroupBarrier();

  var cur = 0u;
  for (var t = p.t0; t < p.t1; t++) {
    let nxt = half - cur;
    for (var j = li; j < H; j += WG) {
      // Initialised explicitly: SwiftShader was seen to keep the previous
      // iteration's value of an uninitialised `var` declared in a loop.
      var a0 = vec4f(0.0);
      var a1 = vec4f(0.0);
      var a2 = vec4f(0.0);
      var a3 = vec4f(0.0);
      var a4 = vec4f(0.0);
      var a5 = vec4f(0.0);
      var a6 = vec4f(0.0);
      var a7 = vec4f(0.0);
      for (var k4 = 0u; k4 < H4; k4++) {
        // rows past H read row H − 1 against a cached 0
        let k = 4u * k4;
        let q0 = min(k, H - 1u) * 4u * H + j;
        let q1 = min(k + 1u, H - 1u) * 4u * H + j;
        let q2 = min(k + 2u, H - 1u) * 4u * H + j;
        let q3 = min(k + 3u, H - 1u) * 4u * H + j;
        let w0 = vec4f(WT[q0], WT[q0 + H], WT[q0 + 2u * H], WT[q0 + 3u * H]);
        let w1 = vec4f(WT[q1], WT[q1 + H], WT[q1 + 2u * H], WT[q1 + 3u * H]);
        let w2 = vec4f(WT[q2], WT[q2 + H], WT[q2 + 2u * H], WT[q2 + 3u * H]);
        let w3 = vec4f(WT[q3], WT[q3 + H], WT[q3 + 2u * H], WT[q3 + 3u * H]);
        let h0 = hs[cur + k4];
        a0 += h0.x * w0 + h0.y * w1 + h0.z * w2 + h0.w * w3;
        if (ROWS > 1u) {
          let h1 = hs[cur + H4 + k4];
          a1 += h1.x * w0 + h1.y * w1 + h1.z * w2 + h1.w * w3;
        }
        if (ROWS > 2u) {
          let h2 = hs[cur + 2u * H4 + k4];
          a2 += h2.x * w0 + h2.y * w1 + h2.z * w2 + h2.w * w3;
          let h3 = hs[cur + 3u * H4 + k4];
          a3 += h3.x * w0 + h3.y * w1 + h3.z * w2 + h3.w * w3;
        }
        if (ROWS > 4u) {
          let h4 = hs[cur + 4u * H4 + k4];
          a4 += h4.x * w0 + h4.y * w1 + h4.z * w2 + h4.w * w3;
          let h5 = hs[cur + 5u * H4 + k4];
          a5 += h5.x * w0 + h5.y * w1 + h5.z * w2 + h5.w * w3;
          let h6 = hs[cur + 6u * H4 + k4];
          a6 += h6.x * w0 + h6.y * w1 + h6.z * w2 + h6.w * w3;
          let h7 = hs[cur + 7u * H4 + k4];
          a7 += h7.x * w0 + h7.y * w1 + h7.z * w2 + h7.w * w3;
        }
      }
      cell(0u, a0, t, b0, j, cur, nxt);
      if (ROWS > 1u) { cell(1u, a1, t, b0, j, cur, nxt); }
      if (ROWS > 2u) {
        cell(2u, a2, t, b0, j, cur, nxt);
        cell(3u, a3, t, b0, j, cur, nxt);
      }
      if (ROWS > 4u) {
        cell(4u, a4, t, b0, j, cur, nxt);
        cell(5u, a5, t, b0, j, cur, nxt);
        cell(6u, a6, t, b0, j, cur, nxt);
        cell(7u, a7, t, b0, j, cur, nxt);
      }
    }
    workgroupBarrier();
    cur = nxt;
  }
}
