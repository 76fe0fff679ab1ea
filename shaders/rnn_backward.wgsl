// rnn_backward.wgsl — the reverse-time recurrence, steps t1 > t ≥ t0 in one
// dispatch, with the per-step multiplier ξ that implements truncation.
//
//   ∂L/∂h_t  = m_t · ∂L/∂h_t|outside + carry_t
//   ∂L/∂z_t  = ∂L/∂h_t ⊙ φ'(z_t)                       (φ' from the cached h)
//   carry_{t-1} = ξ_{t,b} · W_hhᵀ ∂L/∂z_t               (into the state before step t)
//
// ξ = 1 everywhere is full BPTT; ξ_t = 0 at window starts is regular
// truncation; ξ ∈ {0, 1/π_t} is randomized truncation (shared by the batch,
// or drawn per sequence b). Only the carry is scaled, so ∂L/∂z_t itself (and
// the weight-gradient terms of step t) is not. The loss mask m_t selects the
// losses of one gradient stream (TBPTT(k1, k2) runs several; 1 otherwise).
//
// State indexing as in rnn_forward.wgsl: Hs[t + 1] = h after step t.
// W_hh: (H, H) row-major at P[w_offset] (row j: W_hh[j, k] over k, so a
//       thread owning units k … k + 3 reads them side by side)
// Hs:  (T + 1, B, H)   dHo: (T, B, H) ∂L/∂h from outside the recurrence
//      (the output layer or the layer above)
// xi:  ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dZ:  (T, B, H) ∂L/∂z (written)
// dH:  (T, B, H) the whole ∂L/∂h_t (m_t·dHo + carry; written, for ‖∂L/∂h_t‖)
// dHc: (B, H) in: gradient reaching Hs[t1] from beyond the window (0 for a
//      fresh window); out: gradient reaching Hs[t0] (already times ξ_t0).
// Each workgroup owns ROWS sequences; dispatch (ceil(B / ROWS), 1, 1).
// ∂L/∂z of the step is cached in workgroup memory as vec4s along j
// (zero-padded to a multiple of 4); each thread owns the 4 output units
// k0 + li + c·WG (c = 0 … 3) of the GEMV and walks j 4 at a time: per 4 j,
// 16 weight loads (neighbouring threads, neighbouring weights) and ROWS vec4
// workgroup loads feed 16 · ROWS multiply-adds.

override WG: u32 = 64u;
// Sequences per workgroup: 1, 2, 4 or 8.
override ROWS: u32 = 1u;
override H_MAX: u32 = 256u;
// vec4s per cached ∂L/∂z: H_MAX rounded up to a multiple of 4, over 4.
override H4: u32 = (H_MAX + 3u) / 4u;
// 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 1u;

struct Params {
  B: u32,
  H: u32,
  t0: u32,
  t1: u32,
  w_offset: u32,
  xi_offset: u32,
  mask_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> Hs: array<f32>;
@group(0) @binding(3) var<storage, read> dHo: array<f32>;
@group(0) @binding(4) var<storage, read> xi: array<f32>;
@group(0) @binding(5) var<storage, read_write> dHc: array<f32>;
@group(0) @binding(6) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(7) var<storage, read_write> dH: array<f32>;

// ∂L/∂z of sequence r, unit j at dzs[r · H4 + j / 4][j % 4].
var<workgroup> dzs: array<vec4f, ROWS * H4>;
var<workgroup> carry: array<f32, ROWS * H_MAX>;

fn dactivate(h: f32) -> f32 {
  if (ACTIVATION == 1u) { return 1.0 - h * h; }
  if (ACTIVATION == 2u) { return select(0.0, 1.0, h > 0.0); }
  return 1.0;
}

// ξ of sequence b0 + r at step t (0 past the batch).
fn xi_of(t: u32, b: u32) -> f32 {
  if (b >= p.B) { return 0.0; }
  return xi[p.xi_offset + t * p.B + b];
}

// ξ = 0 cuts exactly (no 0 · Inf); the kernel never scales ∂L/∂z itself.
// Units kk (those ≥ H skipped).
fn put_carry(r: u32, kk: vec4u, x: f32, acc: vec4f) {
  for (var c = 0u; c < 4u; c++) {
    if (kk[c] < p.H) { carry[r * H_MAX + kk[c]] = select(x * acc[c], 0.0, x == 0.0); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let B = p.B;
  let H = p.H;
  let b0 = wg.x * ROWS;

  for (var r = 0u; r < ROWS; r++) {
    for (var j = li; j < H; j += WG) {
      var c = 0.0;
      if (b0 + r < B) { c = dHc[(b0 + r) * H + j]; }
      carry[r * H_MAX + j] = c;
    }
  }
  workgroupBarrier();

  for (var s = p.t1; s > p.t0; s--) {
    let t = s - 1u;
    let m = xi[p.mask_offset + t];
    for (var r = 0u; r < ROWS; r++) {
      let b = b0 + r;
      for (var j = li; j < 4u * H4; j += WG) {
        var dz = 0.0;
        if (b < B && j < H) {
          let row = (t * B + b) * H + j;
          let dh = m * dHo[row] + carry[r * H_MAX + j];
          dH[row] = dh;
          dz = dh * dactivate(Hs[row + B * H]);
          dZ[row] = dz;
        }
        dzs[r * H4 + j / 4u][j % 4u] = dz;
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
    for (var k0 = 0u; k0 < H; k0 += 4u * WG) {
      let kk = vec4u(k0 + li, k0 + li + WG, k0 + li + 2u * WG, k0 + li + 3u * WG);
      // columns past H read column H − 1 (their sums are dropped)
      let kc = min(kk, vec4u(H - 1u)) + vec4u(p.w_offset);
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
        for (var j4 = 0u; j4 < H4; j4++) {
          // rows past H read row H − 1 against a cached 0
          let j = 4u * j4;
          let r0 = min(j, H - 1u) * H;
          let r1 = min(j + 1u, H - 1u) * H;
          let r2 = min(j + 2u, H - 1u) * H;
          let r3 = min(j + 3u, H - 1u) * H;
          let w0 = vec4f(P[r0 + kc.x], P[r0 + kc.y], P[r0 + kc.z], P[r0 + kc.w]);
          let w1 = vec4f(P[r1 + kc.x], P[r1 + kc.y], P[r1 + kc.z], P[r1 + kc.w]);
          let w2 = vec4f(P[r2 + kc.x], P[r2 + kc.y], P[r2 + kc.z], P[r2 + kc.w]);
          let w3 = vec4f(P[r3 + kc.x], P[r3 + kc.y], P[r3 + kc.z], P[r3 + kc.w]);
          let d0 = dzs[j4];
          a0 += d0.x * w0 + d0.y * w1 + d0.z * w2 + d0.w * w3;
          if (ROWS > 1u) {
            let d1 = dzs[H4 + j4];
            a1 += d1.x * w0 + d1.y * w1 + d1.z * w2 + d1.w * w3;
          }
          if (ROWS > 2u) {
            let d2 = dzs[2u * H4 + j4];
            a2 += d2.x * w0 + d2.y * w1 + d2.z * w2 + d2.w * w3;
            let d3 = dzs[3u * H4 + j4];
            a3 += d3.x * w0 + d3.y * w1 + d3.z * w2 + d3.w * w3;
          }
          if (ROWS > 4u) {
            let d4 = dzs[4u * H4 + j4];
            a4 += d4.x * w0 + d4.y * w1 + d4.z * w2 + d4.w * w3;
            let d5 = dzs[5u * H4 + j4];
            a5 += d5.x * w0 + d5.y * w1 + d5.z * w2 + d5.w * w3;
            let d6 = dzs[6u * H4 + j4];
            a6 += d6.x * w0 + d6.y * w1 + d6.z * w2 + d6.w * w3;
            let d7 = dzs[7u * H4 + j4];
            a7 += d7.x * w0 + d7.y * w1 + d7.z * w2 + d7.w * w3;
          }
        }
      }
      put_carry(0u, kk, x0, a0);
      if (ROWS > 1u) { put_carry(1u, kk, x1, a1); }
      if (ROWS > 2u) {
        put_carry(2u, kk, x2, a2);
        put_carry(3u, kk, x3, a3);
      }
      if (ROWS > 4u) {
        put_carry(4u, kk, x4, a4);
        put_carry(5u, kk, x5, a5);
        put_carry(6u, kk, x6, a6);
        put_carry(7u, kk, x7, a7);
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < ROWS; r++) {
    if (b0 + r >= B) { break; }
    for (var j = li; j < H; j += WG) {
      dHc[(b0 + r) * H + j] = carry[r * H_MAX + j];
    }
  }
}
