// gru_backward.wgsl — the GRU reverse-time recurrence, steps t1 > t ≥ t0 in
// one dispatch, with the multiplier ξ that implements truncation.
//
// With r, z, n, hn the stored gates of step t and h_prev = Hs[t]:
//   dh  = m_t · dHo_t + carry                 (∂L/∂h_{t+1}, written to dH)
//   dn  = dh ⊙ (1 − z) ⊙ (1 − n²)             (∂L/∂ n's pre-activation)
//   dz  = dh ⊙ (h_prev − n) ⊙ z(1 − z)
//   dr  = dn ⊙ hn ⊙ r(1 − r)
//   dGi_t = [dr, dz, dn]        (∂L/∂ of W_ih x + b_ih per gate)
//   dGh_t = [dr, dz, dn ⊙ r]    (∂L/∂ of W_hh h + b_hh per gate)
//   carry ← ξ_{t,b} · (dh ⊙ z + W_hhᵀ dGh_t)  (into h_t)
//
// ξ = 0 cuts exactly (a select, never 0 · x). Only the carry is scaled; the
// weight-gradient terms of step t are not. The loss mask m_t selects the
// losses of one gradient stream (1 otherwise).
//
// Each workgroup owns ROWS sequences; each thread owns the 4 hidden units
// j = j0 + li + c·WG (c = 0 … 3; j0 = 0, 4·WG, …) in both phases, so the
// carry of its units stays in dHc, read and written by that thread only
// (phase 1 leaves dh ⊙ z there for phase 2), and neighbouring threads read
// neighbouring weights. Phase 1 (pointwise) puts dGh of the ROWS sequences
// in workgroup memory as one vec4 (r, z, n, 0) per unit; phase 2 is the
// GEMV Σ_q W_hh[q, k] dGh[q] over the 3H gate rows, walked one unit j (3
// gate rows) at a time: 12 weight loads and ROWS vec4 loads from workgroup
// memory feed 12 · ROWS multiply-adds.
//
// W_hh: (3H, H) row-major at P[w_offset]
// Hs: (T + 1, B, H)   G: (T, B, 4H) [r, z, n, hn]   dHo: (T, B, H)
// xi: ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dHc: (B, H) in: the gradient into h_{t1}; out: into h_{t0}
// dGi, dGh: (T, B, 3H)   dH: (T, B, H)   (written for t0 ≤ t < t1)
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
  // Element offset of dGh in dG (after dGi).
  gh_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> Hs: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> dHo: array<f32>;
@group(0) @binding(5) var<storage, read> xi: array<f32>;
@group(0) @binding(6) var<storage, read_write> dHc: array<f32>;
// dGi at [o], dGh at [gh_offset + o] (one binding: 8 storage buffers in all,
// WebGPU's default maxStorageBuffersPerShaderStage).
@group(0) @binding(7) var<storage, read_write> dG: array<f32>;
@group(0) @binding(8) var<storage, read_write> dH: array<f32>;

// dGh of sequence r, unit j: (r, z, n, 0) at [r · H_MAX + j].
var<workgroup> dgs: array<vec4f, ROWS * H_MAX>;

// ξ of sequence b at step t (0 past the batch).
fn xi_of(t: u32, b: u32) -> f32 {
  if (b >= p.B) { return 0.0; }
  return xi[p.xi_offset + t * p.B + b];
}

// Phase 1 for sequence b0 + r, unit j, step t: dh, dGi, dGh; dh ⊙ z into dHc.
fn pointwise(r: u32, t: u32, b0: u32, j: u32, m: f32) {
  let b = b0 + r;
  let H = p.H;
  var d = vec3f(0.0);
  if (b < p.B) {
    let s = (t * p.B + b) * H + j;
    let q = (t * p.B + b) * 4u * H + j;
    let rg = G[q];
    let zg = G[q + H];
    let ng = G[q + 2u * H];
    let hn = G[q + 3u * H];
    let dh = m * dHo[s] + dHc[b * H + j];
    dH[s] = dh;
    let dn = dh * (1.0 - zg) * (1.0 - ng * ng);
    let dz = dh * (Hs[s] - ng) * zg * (1.0 - zg);
    let dr = dn * hn * rg * (1.0 - rg);
    let o = (t * p.B + b) * 3u * H + j;
    dG[o] = dr;
    dG[o + H] = dz;
    dG[o + 2u * H] = dn;
    d = vec3f(dr, dz, dn * rg);
    let oh = p.gh_offset + o;
    dG[oh] = d.x;
    dG[oh + H] = d.y;
    dG[oh + 2u * H] = d.z;
    dHc[b * H + j] = dh * zg;
  }
  dgs[r * H_MAX + j] = vec4f(d, 0.0);
}

// The carry of sequence b, units k: ξ · (dh ⊙ z + W_hhᵀ dGh)[k] (k.x … k.w;
// those ≥ H skipped).
fn put_carry(b: u32, k: vec4u, x: f32, acc: vec4f) {
  if (b >= p.B) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (k[c] < p.H) {
      let i = b * p.H + k[c];
      dHc[i] = select(x * (dHc[i] + acc[c]), 0.0, x == 0.0);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let b0 = wg.x * ROWS;

  for (var s = p.t1; s > p.t0; s--) {
    let t = s - 1u;
    let m = xi[p.mask_offset + t];
    for (var j0 = 0u; j0 < H; j0 += 4u * WG) {
      for (var c = 0u; c < 4u; c++) {
        let j = j0 + li + c * WG;
        if (j < H) {
          pointwise(0u, t, b0, j, m);
          if (ROWS > 1u) { pointwise(1u, t, b0, j, m); }
          if (ROWS > 2u) {
            pointwise(2u, t, b0, j, m);
            pointwise(3u, t, b0, j, m);
          }
          if (ROWS > 4u) {
            pointwise(4u, t, b0, j, m);
            pointwise(5u, t, b0, j, m);
            pointwise(6u, t, b0, j, m);
            pointwise(7u, t, b0, j, m);
          }
        }
      }
    }
    workgroupBarrier();
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
          let rr = j * H;
          let rz = rr + H * H;
          let rn = rz + H * H;
          let wr = vec4f(P[rr + kc.x], P[rr + kc.y], P[rr + kc.z], P[rr + kc.w]);
          let wz = vec4f(P[rz + kc.x], P[rz + kc.y], P[rz + kc.z], P[rz + kc.w]);
          let wn = vec4f(P[rn + kc.x], P[rn + kc.y], P[rn + kc.z], P[rn + kc.w]);
          let d0 = dgs[j];
          a0 += d0.x * wr + d0.y * wz + d0.z * wn;
          if (ROWS > 1u) {
            let d1 = dgs[H_MAX + j];
            a1 += d1.x * wr + d1.y * wz + d1.z * wn;
          }
          if (ROWS > 2u) {
            let d2 = dgs[2u * H_MAX + j];
            a2 += d2.x * wr + d2.y * wz + d2.z * wn;
            let d3 = dgs[3u * H_MAX + j];
            a3 += d3.x * wr + d3.y * wz + d3.z * wn;
          }
          if (ROWS > 4u) {
            let d4 = dgs[4u * H_MAX + j];
            a4 += d4.x * wr + d4.y * wz + d4.z * wn;
            let d5 = dgs[5u * H_MAX + j];
            a5 += d5.x * wr + d5.y * wz + d5.z * wn;
            let d6 = dgs[6u * H_MAX + j];
            a6 += d6.x * wr + d6.y * wz + d6.z * wn;
            let d7 = dgs[7u * H_MAX + j];
            a7 += d7.x * wr + d7.y * wz + d7.z * wn;
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
