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
// in workgroup memory, double buffered, as vec4s along k (zero-padded to a
// multiple of 4). Each thread owns the 4 hidden units j0 + li + c·WG
// (c = 0 … 3) for all ROWS sequences, and walks k 4 at a time: per 4 k,
// 16 weight loads and ROWS vec4 workgroup loads feed 16 · ROWS multiply-adds.
// The weights are read transposed (WT[k, j] = W_hh[j, k]) so that
// neighbouring threads read neighbouring weights.
//
// WT:  (H, H) row-major at WT[w_offset]     b_hh: (H) at P[b_offset] (HAS_BIAS)
// Zx:  (T, B, H)      Hs: (T + 1, B, H)     lengths: (B) u32
// Dispatch: (ceil(B / ROWS), 1, 1).

override WG: u32 = 64u;
// Sequences per workgroup: 1, 2, 4 or 8.
override ROWS: u32 = 1u;
// The hidden size H; sizes the workgroup cache (2 · ROWS · H4 vec4s).
override H_MAX: u32 = 256u;
// vec4s per cached state: H_MAX rounded up to a multiple of 4, over 4.
override H4: u32 = (H_MAX + 3u) / 4u;
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

// h of sequence r, unit j at hs[half + r · H4 + j / 4][j % 4] (half: 0 or ROWS · H4).
var<workgroup> hs: array<vec4f, 2u * ROWS * H4>;

fn activate(z: f32) -> f32 {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, 0.0); }
  return z;
}

// h = φ(acc + Zx) for sequence b0 + r, units jj (those ≥ H skipped), into
// Hs and the next cache half (past the sequence's length: h held from the
// current cache half).
fn finish(r: u32, acc: vec4f, t: u32, b0: u32, jj: vec4u, cur: u32, nxt: u32) {
  let b = b0 + r;
  for (var c = 0u; c < 4u; c++) {
    let j = jj[c];
    if (j < p.H) {
      var h = 0.0;
      if (b < p.B) {
        if (t < lengths[b]) {
          var z = acc[c] + Zx[(t * p.B + b) * p.H + j];
          if (HAS_BIAS) { z += P[p.b_offset + j]; }
          h = activate(z);
        } else {
          h = hs[cur + r * H4 + j / 4u][j % 4u];
        }
        Hs[((t + 1u) * p.B + b) * p.H + j] = h;
      }
      hs[nxt + r * H4 + j / 4u][j % 4u] = h;
    }
  }
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
    for (var j0 = 0u; j0 < H; j0 += 4u * WG) {
      let jj = vec4u(j0 + li, j0 + li + WG, j0 + li + 2u * WG, j0 + li + 3u * WG);
      // columns past H read column H − 1 (their sums are dropped)
      let jc = min(jj, vec4u(H - 1u)) + vec4u(p.w_offset);
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
        let r0 = min(k, H - 1u) * H;
        let r1 = min(k + 1u, H - 1u) * H;
        let r2 = min(k + 2u, H - 1u) * H;
        let r3 = min(k + 3u, H - 1u) * H;
        let w0 = vec4f(WT[r0 + jc.x], WT[r0 + jc.y], WT[r0 + jc.z], WT[r0 + jc.w]);
        let w1 = vec4f(WT[r1 + jc.x], WT[r1 + jc.y], WT[r1 + jc.z], WT[r1 + jc.w]);
        let w2 = vec4f(WT[r2 + jc.x], WT[r2 + jc.y], WT[r2 + jc.z], WT[r2 + jc.w]);
        let w3 = vec4f(WT[r3 + jc.x], WT[r3 + jc.y], WT[r3 + jc.z], WT[r3 + jc.w]);
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
      finish(0u, a0, t, b0, jj, cur, nxt);
      if (ROWS > 1u) { finish(1u, a1, t, b0, jj, cur, nxt); }
      if (ROWS > 2u) {
        finish(2u, a2, t, b0, jj, cur, nxt);
        finish(3u, a3, t, b0, jj, cur, nxt);
      }
      if (ROWS > 4u) {
        finish(4u, a4, t, b0, jj, cur, nxt);
        finish(5u, a5, t, b0, jj, cur, nxt);
        finish(6u, a6, t, b0, jj, cur, nxt);
        finish(7u, a7, t, b0, jj, cur, nxt);
      }
    }
    workgroupBarrier();
    cur = nxt;
  }
}
