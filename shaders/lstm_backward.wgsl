// lstm_backward.wgsl — the LSTM reverse-time recurrence, steps t1 > t ≥ t0 in
// one dispatch, with the multiplier ξ that implements truncation.
//
// With i, f, g, o the stored gates of step t, c = Cs[t + 1], c_prev = Cs[t]:
//   dh   = m_t · dHo_t + carry_h                   (∂L/∂h_{t+1}, written to dHC)
//   dc   = carry_c + dh ⊙ o ⊙ (1 − tanh²c)         (∂L/∂c_{t+1}, written to dHC at c_offset)
//   dG_t = [dc⊙g⊙i(1−i), dc⊙c_prev⊙f(1−f), dc⊙i⊙(1−g²), dh⊙tanh c⊙o(1−o)]
//          (∂L/∂ pre-activations, gate order i, f, g, o)
//   carry_c ← ξ_{t,b} · dc ⊙ f                      (into c_t)
//   carry_h ← ξ_{t,b} · W_hhᵀ dG_t                  (into h_t)
//
// ξ = 0 cuts exactly (a select, never 0 · x). Only the carries are scaled;
// dG_t itself (and so the weight-gradient terms of step t) is not. The loss
// mask m_t selects the losses of one gradient stream (1 otherwise).
//
// Each workgroup owns ROWS sequences; each thread owns the 4 hidden units
// j = j0 + li + c·WG (c = 0 … 3; j0 = 0, 4·WG, …) in both phases, so the
// carries of its units are kept in dHCc, read and written by that thread
// only, and neighbouring threads read neighbouring weights and states.
// Phase 1 (pointwise) puts dG of the ROWS sequences in workgroup memory as
// one vec4 (i, f, g, o) per unit; phase 2 is the GEMV
// carry_h[k] = Σ_q W_hh[q, k] dG[q] over the 4H gate rows, walked one unit j
// (4 gate rows) at a time: per j, 16 weight loads and ROWS vec4 loads from
// workgroup memory feed 16 · ROWS multiply-adds.
//
// W_hh: (4H, H) row-major at P[w_offset]
// Cs: (T + 1, B, H)   G: (T, B, 4H)   dHo: (T, B, H)
// xi: ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dHCc: (2, B, H) in: the gradients into h_{t1}, then c_{t1}; out: into h_{t0}, c_{t0}
// dG: (T, B, 4H)   dHC: ∂L/∂h (T, B, H), then ∂L/∂c (T, B, H) at c_offset
//      (written for t0 ≤ t < t1)
// Dispatch: (ceil(B / ROWS), 1, 1).

override WG: u32 = 64u;
// Sequences per workgroup: 1, 2, 4 or 8.
override ROWS: u32 = 1u;
// The hidden size H; sizes the workgroup cache (4 · ROWS · H_MAX floats).
override H_MAX: u32 = 256u;

struct Params {
  B: u32,
  H: u32,
  t0: u32,
  t1: u32,
  w_offset: u32,
  xi_offset: u32,
  mask_offset: u32,
  // Element offset of ∂L/∂c_t in dHC (after ∂L/∂h_t).
  c_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> Cs: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> dHo: array<f32>;
@group(0) @binding(5) var<storage, read> xi: array<f32>;
// The carried gradients: into h at [b·H + j], into c at [B·H + b·H + j].
@group(0) @binding(6) var<storage, read_write> dHCc: array<f32>;
@group(0) @binding(7) var<storage, read_write> dG: array<f32>;
// ∂L/∂h_t at [row], ∂L/∂c_t at [c_offset + row] (8 storage buffers in all:
// WebGPU's default maxStorageBuffersPerShaderStage).
@group(0) @binding(8) var<storage, read_write> dHC: array<f32>;

// dG of sequence r, unit j: (i, f, g, o) at [r · H_MAX + j].
var<workgroup> dgs: array<vec4f, ROWS * H_MAX>;

// tanh as in lstm_forward.wgsl.
fn tanh_(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

// ξ of sequence b at step t (0 past the batch).
fn xi_of(t: u32, b: u32) -> f32 {
  if (b >= p.B) { return 0.0; }
  return xi[p.xi_offset + t * p.B + b];
}

// Phase 1 for sequence b0 + r, unit j, step t: dh, dc, dG; carry_c.
fn pointwise(r: u32, t: u32, b0: u32, j: u32, m: f32, x: f32) {
  let b = b0 + r;
  let H = p.H;
  var d = vec4f(0.0);
  if (b < p.B) {
    let s = (t * p.B + b) * H + j;
    let q = (t * p.B + b) * 4u * H + j;
    let ig = G[q];
    let fg = G[q + H];
    let gg = G[q + 2u * H];
    let og = G[q + 3u * H];
    let tc = tanh_(Cs[s + p.B * H]);
    let dh = m * dHo[s] + dHCc[b * H + j];
    let dc = dHCc[p.B * H + b * H + j] + dh * og * (1.0 - tc * tc);
    dHC[s] = dh;
    dHC[p.c_offset + s] = dc;
    d = vec4f(
      dc * gg * ig * (1.0 - ig),
      dc * Cs[s] * fg * (1.0 - fg),
      dc * ig * (1.0 - gg * gg),
      dh * tc * og * (1.0 - og),
    );
    dG[q] = d.x;
    dG[q + H] = d.y;
    dG[q + 2u * H] = d.z;
    dG[q + 3u * H] = d.w;
    dHCc[p.B * H + b * H + j] = select(x * dc * fg, 0.0, x == 0.0);
  }
  dgs[r * H_MAX + j] = d;
}

// carry_h of sequence b, units k: ξ · (W_hhᵀ dG)[k] (k.x … k.w; those ≥ H skipped).
fn put_carry(b: u32, k: vec4u, x: f32, acc: vec4f) {
  if (b >= p.B) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (k[c] < p.H) { dHCc[b * p.H + k[c]] = select(x * acc[c], 0.0, x == 0.0); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let b0 = wg.x * ROWS;

  for (var s = p.t1; s > p.t0; s--) {
    let t = s - 1u;
    let m = xi[p.mask_offset + t];
    let x0 = xi_of(t, b0);
    var x1 = 0.0;
    var x2 = 0.0;
    var x3 = 0.0;
    var x4 = 0.0;
    var x5 = 0.0;
    var x6 = 0.0;
    var x7 = 0.0;
    if (ROWS > 1u) { x1 = xi_of(t, b0 + 1u); }
    if (ROWS > 2u) {
      x2 = xi_of(t, b0 + 2u);
      x3 = xi_of(t, b0 + 3u);
    }
    if (ROWS > 4u) {
      x4 = xi_of(t, b0 + 4u);
      x5 = xi_of(t, b0 + 5u);
      x6 = xi_of(t, b0 + 6u);
      x7 = xi_of(t, b0 + 7u);
    }
    for (var j0 = 0u; j0 < H; j0 += 4u * WG) {
      for (var c = 0u; c < 4u; c++) {
        let j = j0 + li + c * WG;
        if (j < H) {
          pointwise(0u, t, b0, j, m, x0);
          if (ROWS > 1u) { pointwise(1u, t, b0, j, m, x1); }
          if (ROWS > 2u) {
            pointwise(2u, t, b0, j, m, x2);
            pointwise(3u, t, b0, j, m, x3);
          }
          if (ROWS > 4u) {
            pointwise(4u, t, b0, j, m, x4);
            pointwise(5u, t, b0, j, m, x5);
            pointwise(6u, t, b0, j, m, x6);
            pointwise(7u, t, b0, j, m, x7);
          }
        }
      }
    }
    workgroupBarrier();
    let any = x0 != 0.0 || x1 != 0.0 || x2 != 0.0 || x3 != 0.0 ||
      x4 != 0.0 || x5 != 0.0 || x6 != 0.0 || x7 != 0.0;
    for (var j0 = 0u; j0 < H; j0 += 4u * WG) {
      let k = vec4u(j0 + li, j0 + li + WG, j0 + li + 2u * WG, j0 + li + 3u * WG);
      // columns past H read column H − 1 (their sums are dropped)
      let kc = min(k, vec4u(H - 1u)) + vec4u(p.w_offset);
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
      if (any) {
        for (var j = 0u; j < H; j++) {
          let ri = j * H;
          let rf = ri + H * H;
          let rg = rf + H * H;
          let ro = rg + H * H;
          let wi = vec4f(P[ri + kc.x], P[ri + kc.y], P[ri + kc.z], P[ri + kc.w]);
          let wf = vec4f(P[rf + kc.x], P[rf + kc.y], P[rf + kc.z], P[rf + kc.w]);
          let wg_ = vec4f(P[rg + kc.x], P[rg + kc.y], P[rg + kc.z], P[rg + kc.w]);
          let wo = vec4f(P[ro + kc.x], P[ro + kc.y], P[ro + kc.z], P[ro + kc.w]);
          let d0 = dgs[j];
          a0 += d0.x * wi + d0.y * wf + d0.z * wg_ + d0.w * wo;
          if (ROWS > 1u) {
            let d1 = dgs[H_MAX + j];
            a1 += d1.x * wi + d1.y * wf + d1.z * wg_ + d1.w * wo;
          }
          if (ROWS > 2u) {
            let d2 = dgs[2u * H_MAX + j];
            a2 += d2.x * wi + d2.y * wf + d2.z * wg_ + d2.w * wo;
            let d3 = dgs[3u * H_MAX + j];
            a3 += d3.x * wi + d3.y * wf + d3.z * wg_ + d3.w * wo;
          }
          if (ROWS > 4u) {
            let d4 = dgs[4u * H_MAX + j];
            a4 += d4.x * wi + d4.y * wf + d4.z * wg_ + d4.w * wo;
            let d5 = dgs[5u * H_MAX + j];
            a5 += d5.x * wi + d5.y * wf + d5.z * wg_ + d5.w * wo;
            let d6 = dgs[6u * H_MAX + j];
            a6 += d6.x * wi + d6.y * wf + d6.z * wg_ + d6.w * wo;
            let d7 = dgs[7u * H_MAX + j];
            a7 += d7.x * wi + d7.y * wf + d7.z * wg_ + d7.w * wo;
          }
        }
      }
      put_carry(b0, k, x0, a0);
      if (ROWS > 1u) { put_carry(b0 + 1u, k, x1, a1); }
      if (ROWS > 2u) {
        put_carry(b0 + 2u, k, x2, a2);
        put_carry(b0 + 3u, k, x3, a3);
      }
      if (ROWS > 4u) {
        put_carry(b0 + 4u, k, x4, a4);
        put_carry(b0 + 5u, k, x5, a5);
        put_carry(b0 + 6u, k, x6, a6);
        put_carry(b0 + 7u, k, x7, a7);
      }
    }
    workgroupBarrier();
  }
}
