// split_forward.wgsl — ONE step of the forward recurrence of any cell, spread
// over many workgroups (the "split" recurrence; rnn_forward.wgsl,
// lstm_forward.wgsl and gru_forward.wgsl are the "sequence" one, which walks
// every step inside one workgroup per group of sequences).
//
// WGSL has no barrier between workgroups, so the host records one dispatch
// per step t0 ≤ t < t1, all in one compute pass, each with its own Params
// (a dynamic uniform offset): the dispatch of step t reads the states of
// step t that the previous dispatch wrote (Hs[t], Cs[t]) and writes
// Hs[t + 1], Cs[t + 1] and the gates of step t. Semantics, buffers and
// layouts are those of the sequence kernels:
//
//   rnn:  h_{t+1} = φ(Zx_t + W_hh h_t [+ b_hh])
//   lstm: a = Zx_t + W_hh h_t [+ b_hh] (gates i, f, g, o); c_{t+1} = f⊙c_t + i⊙g,
//         h_{t+1} = o⊙tanh(c_{t+1}); G = [i, f, g, o]
//   gru:  r, z = σ(Zx + W_h h [+ b_h]); hn = W_hn h [+ b_hn]; n = tanh(Zx_n + r⊙hn);
//         h_{t+1} = (1 − z)⊙n + z⊙h_t; G = [r, z, n, hn]
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b]; a padded
// step holds the state (h, and c) and stores zero gates.
//
// Each workgroup owns WG hidden units j (one per thread, all GATES gates of
// each) of 4 sequences b0 … b0 + 3 (the lanes of a vec4): the recurrent sums
// Σ_k WT[k, g·H + j] h_t[b, k] run over k in tiles of TILE, the tile of h_t
// (4 sequences × TILE units) in workgroup memory, so one weight load feeds 4
// multiply-adds and H has no limit from workgroup memory.
//
// WT: W_hhᵀ (H, GATES·H) row-major at WT[w_offset]   b_hh: (GATES·H) at P[b_offset]
// Zx: (T, B, GATES·H)   Hs, Cs: (T + 1, B, H)   G: (T, B, 4H)   lengths: (B) u32
// (rnn binds placeholders for Cs and G; gru for Cs.)
// Dispatch per step: (ceil(H / WG), ceil(B / 4), 1).

// 0 = rnn, 1 = lstm, 2 = gru.
override CELL: u32 = 0u;
// Hidden units per workgroup (one per thread).
override WG: u32 = 32u;
// Units k of h_t per tile of workgroup memory (a multiple of WG; 16 bytes each).
override TILE: u32 = 256u;
// rnn only: 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 1u;
// Add the recurrent bias b_hh (PyTorch's bias_hh_l{k}).
override HAS_BIAS: bool = false;
// Gates per unit: rnn 1, lstm 4, gru 3.
override GATES: u32 = select(select(3u, 4u, CELL == 1u), 1u, CELL == 0u);

struct Params {
  B: u32,
  H: u32,
  // This dispatch's step.
  t: u32,
  w_offset: u32,
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

// h_t of the workgroup's 4 sequences at TILE consecutive units.
var<workgroup> tile: array<vec4f, TILE>;

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// tanh saturates to ±1 in f32 long before |x| = 15; the clamp keeps
// exp-based tanh implementations away from Inf / Inf.
fn tanh_(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

fn activate(z: f32) -> f32 {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, 0.0); }
  return z;
}

// The recurrent bias of gate g, unit j (0 without one).
fn bias(g: u32, j: u32) -> f32 {
  if (HAS_BIAS) { return P[p.b_offset + g * p.H + j]; }
  return 0.0;
}

// Zero gates of a padded step (lstm, gru).
fn zero_gates(s: u32, j: u32) {
  let q = s * 4u * p.H + j;
  for (var g = 0u; g < 4u; g++) { G[q + g * p.H] = 0.0; }
}

// One cell, sequence b, unit j, step t, from the recurrent sums acc (gate
// order as the weights' rows). s = t·B + b indexes the (T, B, ·) tensors.
fn cell(b: u32, j: u32, acc: vec4f) {
  let H = p.H;
  let t = p.t;
  let s = t * p.B + b;
  let now = s * H + j;          // Hs[t], Cs[t]
  let nxt = now + p.B * H;      // Hs[t + 1], Cs[t + 1]
  let h = Hs[now];
  if (t >= lengths[b]) {
    // a padded step: the state is held, the gates are zero
    Hs[nxt] = h;
    if (CELL == 1u) { Cs[nxt] = Cs[now]; }
    if (CELL != 0u) { zero_gates(s, j); }
    return;
  }
  let z = s * GATES * H + j;    // Zx[t, b, g·H + j] at z + g·H
  if (CELL == 0u) {
    Hs[nxt] = activate(acc.x + Zx[z] + bias(0u, j));
  } else if (CELL == 1u) {
    let a = acc + vec4f(Zx[z], Zx[z + H], Zx[z + 2u * H], Zx[z + 3u * H]) + vec4f(bias(0u, j), bias(1u, j), bias(2u, j), bias(3u, j));
    let ig = sigmoid(a.x);
    let fg = sigmoid(a.y);
    let gg = tanh_(a.z);
    let og = sigmoid(a.w);
    let c = fg * Cs[now] + ig * gg;
    Cs[nxt] = c;
    Hs[nxt] = og * tanh_(c);
    let q = s * 4u * H + j;
    G[q] = ig;
    G[q + H] = fg;
    G[q + 2u * H] = gg;
    G[q + 3u * H] = og;
  } else {
    let a = acc.xyz + vec3f(bias(0u, j), bias(1u, j), bias(2u, j));
    let rg = sigmoid(Zx[z] + a.x);
    let zg = sigmoid(Zx[z + H] + a.y);
    let ng = tanh_(Zx[z + 2u * H] + rg * a.z);
    Hs[nxt] = (1.0 - zg) * ng + zg * h;
    let q = s * 4u * H + j;
    G[q] = rg;
    G[q + H] = zg;
    G[q + 2u * H] = ng;
    G[q + 3u * H] = a.z;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let B = p.B;
  let H = p.H;
  let GH = GATES * H;
  let j = wg.x * WG + li;
  let b0 = wg.y * 4u;
  let base = p.t * B * H;
  // acc[g][r]: gate g of unit j, sequence b0 + r. Initialised explicitly:
  // SwiftShader was seen to keep stale values of uninitialised `var`s.
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < H; k0 += TILE) {
    for (var i = li; i < TILE; i += WG) {
      var v = vec4f(0.0);
      let k = k0 + i;
      if (k < H) {
        for (var r = 0u; r < 4u; r++) {
          if (b0 + r < B) { v[r] = Hs[base + (b0 + r) * H + k]; }
        }
      }
      tile[i] = v;
    }
    workgroupBarrier();
    if (j < H) {
      let n = min(TILE, H - k0);
      for (var kk = 0u; kk < n; kk++) {
        let w = p.w_offset + (k0 + kk) * GH + j;
        let x = tile[kk];
        acc0 += WT[w] * x;
        if (GATES > 1u) {
          acc1 += WT[w + H] * x;
          acc2 += WT[w + 2u * H] * x;
        }
        if (GATES > 3u) { acc3 += WT[w + 3u * H] * x; }
      }
    }
    workgroupBarrier();
  }
  if (j >= H) { return; }
  for (var r = 0u; r < 4u; r++) {
    if (b0 + r >= B) { return; }
    cell(b0 + r, j, vec4f(acc0[r], acc1[r], acc2[r], acc3[r]));
  }
}
