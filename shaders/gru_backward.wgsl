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
// Each workgroup owns ROWS sequences; each thread owns hidden units
// j = li, li + WG, … in both phases, so the carry of its units stays in dHc,
// read and written by that thread only (phase 1 leaves dh ⊙ z there for
// phase 2). Phase 1 (pointwise) puts dGh of the ROWS sequences in workgroup
// memory; phase 2 is the GEMV Σ_q W_hh[q, k] dGh[q] over the 3H gate rows.
//
// W_hh: (3H, H) row-major at P[w_offset]
// Hs: (T + 1, B, H)   G: (T, B, 4H) [r, z, n, hn]   dHo: (T, B, H)
// xi: ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dHc: (B, H) in: the gradient into h_{t1}; out: into h_{t0}
// dGi, dGh: (T, B, 3H)   dH: (T, B, H)   (written for t0 ≤ t < t1)
// Dispatch: (ceil(B / ROWS), 1, 1).

override WG: u32 = 64u;
// Sequences per workgroup: 1, 2 or 4.
override ROWS: u32 = 1u;
// The hidden size H; sizes the workgroup cache (3 · ROWS · H_MAX floats).
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

var<workgroup> dgs: array<f32, 3u * ROWS * H_MAX>;

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
  let o = r * 3u * H_MAX + j;
  dgs[o] = d.x;
  dgs[o + H] = d.y;
  dgs[o + 2u * H] = d.z;
}

// The carry of sequence b, unit k: ξ · (dh ⊙ z + W_hhᵀ dGh)[k].
fn put_carry(b: u32, k: u32, x: f32, acc: f32) {
  if (b >= p.B) { return; }
  let i = b * p.H + k;
  dHc[i] = select(x * (dHc[i] + acc), 0.0, x == 0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let b0 = wg.x * ROWS;

  for (var s = p.t1; s > p.t0; s--) {
    let t = s - 1u;
    let m = xi[p.mask_offset + t];
    for (var j = li; j < H; j += WG) {
      pointwise(0u, t, b0, j, m);
      if (ROWS > 1u) { pointwise(1u, t, b0, j, m); }
      if (ROWS > 2u) {
        pointwise(2u, t, b0, j, m);
        pointwise(3u, t, b0, j, m);
      }
    }
    workgroupBarrier();
    let x0 = xi_of(t, b0);
    var x1 = 0.0;
    var x2 = 0.0;
    var x3 = 0.0;
    if (ROWS > 1u) { x1 = xi_of(t, b0 + 1u); }
    if (ROWS > 2u) {
      x2 = xi_of(t, b0 + 2u);
      x3 = xi_of(t, b0 + 3u);
    }
    let any = x0 != 0.0 || x1 != 0.0 || x2 != 0.0 || x3 != 0.0;
    for (var k = li; k < H; k += WG) {
      // Initialised explicitly: SwiftShader was seen to keep the previous
      // iteration's value of an uninitialised `var` declared in a loop.
      var a0 = 0.0;
      var a1 = 0.0;
      var a2 = 0.0;
      var a3 = 0.0;
      if (any) {
        for (var q = 0u; q < 3u * H; q++) {
          let w = P[p.w_offset + q * H + k];
          a0 += dgs[q] * w;
          if (ROWS > 1u) { a1 += dgs[3u * H_MAX + q] * w; }
          if (ROWS > 2u) {
            a2 += dgs[6u * H_MAX + q] * w;
            a3 += dgs[9u * H_MAX + q] * w;
          }
        }
      }
      put_carry(b0, k, x0, a0);
      if (ROWS > 1u) { put_carry(b0 + 1u, k, x1, a1); }
      if (ROWS > 2u) {
        put_carry(b0 + 2u, k, x2, a2);
        put_carry(b0 + 3u, k, x3, a3);
      }
    }
    workgroupBarrier();
  }
}
