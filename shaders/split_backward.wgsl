// split_backward.wgsl — ONE step of the reverse-time recurrence of any cell,
// spread over many workgroups (the "split" recurrence; the "sequence" ones
// are rnn_backward.wgsl, lstm_backward.wgsl and gru_backward.wgsl, whose
// equations, buffers and ξ / loss-mask semantics this kernel keeps exactly).
//
// The steps t1 > t ≥ t0 take n + 1 dispatches in one compute pass (n = t1 − t0),
// each with its own Params (a dynamic uniform offset). Dispatch i:
//   1. (i > 0) the carry into step s + 1's input state, for this thread's
//      units, from ∂L/∂(recurrent pre-activations) of step s + 1 that the
//      previous dispatch wrote to dG (all units: only a new dispatch sees them):
//        carry_h = ξ_{s+1,b} · (W_hhᵀ dGh_{s+1})   [gru: + ξ · dh⊙z, kept in dHc]
//      (i = 0: the carry given in dHc, from beyond the window);
//   2. (i < n) the pointwise step s = t1 − 1 − i for these units with that
//      carry: dH, dG (and dC, and the LSTM's c carry); the rnn's and GRU's
//      terms that the next GEMV needs go to dG and dHc;
//   3. (i = n) the carry into h_{t0} goes to dHc (already times ξ_{t0}).
// ξ = 0 cuts exactly (a select, never 0 · x); only the carries are scaled.
//
// Each workgroup owns WG hidden units k (one per thread) of 4 sequences
// b0 … b0 + 3 (the lanes of a vec4). The GEMV Σ_q W_hh[q, k] dGh[b, q] runs
// over the GATES·H gate rows q in tiles of TILE, the tile of dGh (4 sequences
// × TILE rows) in workgroup memory; neighbouring threads read neighbouring
// weights. A thread keeps its units in every dispatch, so the values it
// hands itself across dispatches (the LSTM's c carry, the GRU's dh⊙z) stay
// in dHc, read and written by that thread only.
//
// W_hh: (GATES·H, H) row-major at P[w_offset]
// S: the cached state the cell needs: Hs (rnn, gru) or Cs (lstm), (T + 1, B, H)
// G: (T, B, 4H) the forward's gates (rnn: a placeholder)   dHo: (T, B, H)
// xi: ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dHc: (B, H) the carry into h, in and out; lstm: then the carry into c (B, H)
// dG: (T, B, GATES·H) ∂L/∂ pre-activations (gru: dGi, then dGh at gh_offset)
// dH: (T, B, H) ∂L/∂h_t (lstm: then ∂L/∂c_t at c_offset)
// Dispatch per step: (ceil(H / WG), ceil(B / 4), 1).

// 0 = rnn, 1 = lstm, 2 = gru.
override CELL: u32 = 0u;
// Hidden units per workgroup (one per thread).
override WG: u32 = 32u;
// Gate rows q of dGh per tile of workgroup memory (a multiple of WG; 16 bytes each).
override TILE: u32 = 256u;
// rnn only: 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 1u;
// Gates per unit: rnn 1, lstm 4, gru 3.
override GATES: u32 = select(select(3u, 4u, CELL == 1u), 1u, CELL == 0u);

struct Params {
  B: u32,
  H: u32,
  // The pointwise step (when has_step).
  t: u32,
  // The step whose dGh the GEMV reads and whose ξ scales the carry (t + 1, or t0 in the last dispatch).
  gemv_t: u32,
  // 1: run the pointwise step t (every dispatch but the last).
  has_step: u32,
  // 1: the carry is the one given in dHc (the first dispatch); 0: the GEMV of step gemv_t.
  given: u32,
  w_offset: u32,
  xi_offset: u32,
  mask_offset: u32,
  // lstm: element offset of ∂L/∂c_t in dH (after ∂L/∂h_t).
  c_offset: u32,
  // Element offset of dGh in dG (gru: after dGi; else 0).
  gh_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> dHo: array<f32>;
@group(0) @binding(5) var<storage, read> xi: array<f32>;
@group(0) @binding(6) var<storage, read_write> dHc: array<f32>;
@group(0) @binding(7) var<storage, read_write> dG: array<f32>;
@group(0) @binding(8) var<storage, read_write> dH: array<f32>;

// dGh of step gemv_t of the workgroup's 4 sequences at TILE consecutive gate rows.
var<workgroup> tile: array<vec4f, TILE>;

// tanh as in lstm_forward.wgsl.
fn tanh_(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

fn dactivate(h: f32) -> f32 {
  if (ACTIVATION == 1u) { return 1.0 - h * h; }
  if (ACTIVATION == 2u) { return select(0.0, 1.0, h > 0.0); }
  return 1.0;
}

// ξ of sequence b at step t.
fn xi_of(t: u32, b: u32) -> f32 {
  return xi[p.xi_offset + t * p.B + b];
}

// The carry into the input state of step gemv_t, sequence b, unit k, from
// the GEMV term acc (ξ = 0 cuts exactly; the GRU adds its own dh⊙z of that step).
fn carry_from(b: u32, k: u32, acc: f32) -> f32 {
  let x = xi_of(p.gemv_t, b);
  var v = acc;
  if (CELL == 2u) { v += dHc[b * p.H + k]; }
  return select(x * v, 0.0, x == 0.0);
}

// The pointwise step t of sequence b, unit k, with dh's carry `carry`.
fn pointwise(b: u32, k: u32, carry: f32) {
  let H = p.H;
  let t = p.t;
  let s = (t * p.B + b) * H + k;          // (T, B, H) tensors; S[t] (states: + B·H for t + 1)
  let q = (t * p.B + b) * 4u * H + k;     // the stored gates
  let o = (t * p.B + b) * GATES * H + k;  // dG
  let dh = xi[p.mask_offset + t] * dHo[s] + carry;
  dH[s] = dh;
  if (CELL == 0u) {
    dG[o] = dh * dactivate(S[s + p.B * H]);
  } else if (CELL == 1u) {
    let ig = G[q];
    let fg = G[q + H];
    let gg = G[q + 2u * H];
    let og = G[q + 3u * H];
    let tc = tanh_(S[s + p.B * H]);
    let cc = p.B * H + b * H + k;          // the c carry in dHc
    let dc = dHc[cc] + dh * og * (1.0 - tc * tc);
    dH[p.c_offset + s] = dc;
    dG[o] = dc * gg * ig * (1.0 - ig);
    dG[o + H] = dc * S[s] * fg * (1.0 - fg);
    dG[o + 2u * H] = dc * ig * (1.0 - gg * gg);
    dG[o + 3u * H] = dh * tc * og * (1.0 - og);
    let x = xi_of(t, b);
    dHc[cc] = select(x * dc * fg, 0.0, x == 0.0);
  } else {
    let rg = G[q];
    let zg = G[q + H];
    let ng = G[q + 2u * H];
    let hn = G[q + 3u * H];
    let dn = dh * (1.0 - zg) * (1.0 - ng * ng);
    let dz = dh * (S[s] - ng) * zg * (1.0 - zg);
    let dr = dn * hn * rg * (1.0 - rg);
    dG[o] = dr;
    dG[o + H] = dz;
    dG[o + 2u * H] = dn;
    let oh = p.gh_offset + o;
    dG[oh] = dr;
    dG[oh + H] = dz;
    dG[oh + 2u * H] = dn * rg;
    dHc[b * H + k] = dh * zg;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let B = p.B;
  let H = p.H;
  let GH = GATES * H;
  let k = wg.x * WG + li;
  let b0 = wg.y * 4u;
  // Initialised explicitly: SwiftShader was seen to keep stale values of
  // uninitialised `var`s.
  var acc = vec4f(0.0);
  if (p.given == 0u) {
    let base = p.gh_offset + p.gemv_t * B * GH;
    for (var q0 = 0u; q0 < GH; q0 += TILE) {
      for (var i = li; i < TILE; i += WG) {
        var v = vec4f(0.0);
        let q = q0 + i;
        if (q < GH) {
          for (var r = 0u; r < 4u; r++) {
            if (b0 + r < B) { v[r] = dG[base + (b0 + r) * GH + q]; }
          }
        }
        tile[i] = v;
      }
      workgroupBarrier();
      if (k < H) {
        let n = min(TILE, GH - q0);
        for (var qq = 0u; qq < n; qq++) {
          acc += P[p.w_offset + (q0 + qq) * H + k] * tile[qq];
        }
      }
      workgroupBarrier();
    }
  }
  if (k >= H) { return; }
  for (var r = 0u; r < 4u; r++) {
    let b = b0 + r;
    if (b >= B) { return; }
    var carry = 0.0;
    if (p.given == 1u) {
      carry = dHc[b * H + k];
    } else {
      carry = carry_from(b, k, acc[r]);
    }
    if (p.has_step == 1u) {
      pointwise(b, k, carry);
    } else {
      dHc[b * H + k] = carry;
    }
  }
}
