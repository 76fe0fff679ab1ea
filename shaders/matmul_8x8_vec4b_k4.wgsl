// matmul_8x8_vec4b_k4.wgsl — register-blocked GEMM, 8×8 of C per thread, k unrolled by 4,
// B read as vec4 along n from array<vec4f>; fused epilogue. Same contract as matmul.wgsl:
//
//   C[M×N] = beta · C + op(A)[M×K] · op(B)[K×N]  (+ bias[N])  then activation
//
// op(A) = A (A stored M×K) or Aᵀ (A stored K×M) when TRANS_A; op(B) = B (B
// stored K×N); row-major, each operand at an element offset.
// Per k: 8 loads of A, 2 vec4 loads of B, 64 multiply-adds into 16 vec4
// accumulators. Edge blocks clamp their loads and guard their stores.
// Needs (checked by the host): no TRANS_B, N % 4 = 0, b_offset % 4 = 0.
// Also K % 4 = 0: the loop takes four k per iteration.
// Dispatch: (ceil(N / (8·WG_X)), ceil(M / (8·WG_Y)), 1).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 0u;
override WG_X: u32 = 4u;
override WG_Y: u32 = 4u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  a_offset: u32,
  b_offset: u32,
  c_offset: u32,
  bias_offset: u32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn load_a(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[p.a_offset + k * p.M + m]; }
  return A[p.a_offset + m * p.K + k];
}

// op(B)[k][n0 .. n0+3]; a group past N (N % 4 = 0) reads the last one, never stored.
fn load_b4(k: u32, n0: u32) -> vec4f {
  return B[(p.b_offset + k * p.N + min(n0, p.N - 4u)) / 4u];
}

fn activate(z: f32) -> f32 {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, 0.0); }
  return z;
}

fn activate4(z: vec4f) -> vec4f {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, vec4f(0.0)); }
  return z;
}

// Four columns of one row of C: straight-line when all four are inside C
// (at a small K this epilogue costs as much as the k loop), else one by one.
fn store(m: u32, n0: u32, v: vec4f) {
  if (m >= p.M) { return; }
  if (n0 + 4u <= p.N) {
    let i = p.c_offset + m * p.N + n0;
    var x = v;
    if (p.beta != 0.0) { x += p.beta * vec4f(C[i], C[i + 1u], C[i + 2u], C[i + 3u]); }
    if (HAS_BIAS) {
      let j = p.bias_offset + n0;
      x += vec4f(bias[j], bias[j + 1u], bias[j + 2u], bias[j + 3u]);
    }
    x = activate4(x);
    C[i] = x.x;
    C[i + 1u] = x.y;
    C[i + 2u] = x.z;
    C[i + 3u] = x.w;
    return;
  }
  for (var c = 0u; c < 4u; c++) {
    let n = n0 + c;
    if (n >= p.N) { return; }
    let idx = p.c_offset + m * p.N + n;
    var x = v[c];
    if (p.beta != 0.0) { x += p.beta * C[idx]; }
    if (HAS_BIAS) { x += bias[p.bias_offset + n]; }
    C[idx] = activate(x);
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * 8u;
  if (n0 >= p.N || m0 >= p.M) { return; }
  let mi0 = min(m0 + 0u, p.M - 1u);
  let mi1 = min(m0 + 1u, p.M - 1u);
  let mi2 = min(m0 + 2u, p.M - 1u);
  let mi3 = min(m0 + 3u, p.M - 1u);
  let mi4 = min(m0 + 4u, p.M - 1u);
  let mi5 = min(m0 + 5u, p.M - 1u);
  let mi6 = min(m0 + 6u, p.M - 1u);
  let mi7 = min(m0 + 7u, p.M - 1u);
  var acc00 = vec4f(0.0);
  var acc01 = vec4f(0.0);
  var acc10 = vec4f(0.0);
  var acc11 = vec4f(0.0);
  var acc20 = vec4f(0.0);
  var acc21 = vec4f(0.0);
  var acc30 = vec4f(0.0);
  var acc31 = vec4f(0.0);
  var acc40 = vec4f(0.0);
  var acc41 = vec4f(0.0);
  var acc50 = vec4f(0.0);
  var acc51 = vec4f(0.0);
  var acc60 = vec4f(0.0);
  var acc61 = vec4f(0.0);
  var acc70 = vec4f(0.0);
  var acc71 = vec4f(0.0);
  for (var k = 0u; k < p.K; k += 4u) {
    let b0_0 = load_b4(k + 0u, n0 + 0u);
    let b1_0 = load_b4(k + 0u, n0 + 4u);
    let a0_0 = load_a(mi0, k + 0u);
    acc00 += a0_0 * b0_0; acc01 += a0_0 * b1_0;
    let a1_0 = load_a(mi1, k + 0u);
    acc10 += a1_0 * b0_0; acc11 += a1_0 * b1_0;
    let a2_0 = load_a(mi2, k + 0u);
    acc20 += a2_0 * b0_0; acc21 += a2_0 * b1_0;
    let a3_0 = load_a(mi3, k + 0u);
    acc30 += a3_0 * b0_0; acc31 += a3_0 * b1_0;
    let a4_0 = load_a(mi4, k + 0u);
    acc40 += a4_0 * b0_0; acc41 += a4_0 * b1_0;
    let a5_0 = load_a(mi5, k + 0u);
    acc50 += a5_0 * b0_0; acc51 += a5_0 * b1_0;
    let a6_0 = load_a(mi6, k + 0u);
    acc60 += a6_0 * b0_0; acc61 += a6_0 * b1_0;
    let a7_0 = load_a(mi7, k + 0u);
    acc70 += a7_0 * b0_0; acc71 += a7_0 * b1_0;
    let b0_1 = load_b4(k + 1u, n0 + 0u);
    let b1_1 = load_b4(k + 1u, n0 + 4u);
    let a0_1 = load_a(mi0, k + 1u);
    acc00 += a0_1 * b0_1; acc01 += a0_1 * b1_1;
    let a1_1 = load_a(mi1, k + 1u);
    acc10 += a1_1 * b0_1; acc11 += a1_1 * b1_1;
    let a2_1 = load_a(mi2, k + 1u);
    acc20 += a2_1 * b0_1; acc21 += a2_1 * b1_1;
    let a3_1 = load_a(mi3, k + 1u);
    acc30 += a3_1 * b0_1; acc31 += a3_1 * b1_1;
    let a4_1 = load_a(mi4, k + 1u);
    acc40 += a4_1 * b0_1; acc41 += a4_1 * b1_1;
    let a5_1 = load_a(mi5, k + 1u);
    acc50 += a5_1 * b0_1; acc51 += a5_1 * b1_1;
    let a6_1 = load_a(mi6, k + 1u);
    acc60 += a6_1 * b0_1; acc61 += a6_1 * b1_1;
    let a7_1 = load_a(mi7, k + 1u);
    acc70 += a7_1 * b0_1; acc71 += a7_1 * b1_1;
    let b0_2 = load_b4(k + 2u, n0 + 0u);
    let b1_2 = load_b4(k + 2u, n0 + 4u);
    let a0_2 = load_a(mi0, k + 2u);
    acc00 += a0_2 * b0_2; acc01 += a0_2 * b1_2;
    let a1_2 = load_a(mi1, k + 2u);
    acc10 += a1_2 * b0_2; acc11 += a1_2 * b1_2;
    let a2_2 = load_a(mi2, k + 2u);
    acc20 += a2_2 * b0_2; acc21 += a2_2 * b1_2;
    let a3_2 = load_a(mi3, k + 2u);
    acc30 += a3_2 * b0_2; acc31 += a3_2 * b1_2;
    let a4_2 = load_a(mi4, k + 2u);
    acc40 += a4_2 * b0_2; acc41 += a4_2 * b1_2;
    let a5_2 = load_a(mi5, k + 2u);
    acc50 += a5_2 * b0_2; acc51 += a5_2 * b1_2;
    let a6_2 = load_a(mi6, k + 2u);
    acc60 += a6_2 * b0_2; acc61 += a6_2 * b1_2;
    let a7_2 = load_a(mi7, k + 2u);
    acc70 += a7_2 * b0_2; acc71 += a7_2 * b1_2;
    let b0_3 = load_b4(k + 3u, n0 + 0u);
    let b1_3 = load_b4(k + 3u, n0 + 4u);
    let a0_3 = load_a(mi0, k + 3u);
    acc00 += a0_3 * b0_3; acc01 += a0_3 * b1_3;
    let a1_3 = load_a(mi1, k + 3u);
    acc10 += a1_3 * b0_3; acc11 += a1_3 * b1_3;
    let a2_3 = load_a(mi2, k + 3u);
    acc20 += a2_3 * b0_3; acc21 += a2_3 * b1_3;
    let a3_3 = load_a(mi3, k + 3u);
    acc30 += a3_3 * b0_3; acc31 += a3_3 * b1_3;
    let a4_3 = load_a(mi4, k + 3u);
    acc40 += a4_3 * b0_3; acc41 += a4_3 * b1_3;
    let a5_3 = load_a(mi5, k + 3u);
    acc50 += a5_3 * b0_3; acc51 += a5_3 * b1_3;
    let a6_3 = load_a(mi6, k + 3u);
    acc60 += a6_3 * b0_3; acc61 += a6_3 * b1_3;
    let a7_3 = load_a(mi7, k + 3u);
    acc70 += a7_3 * b0_3; acc71 += a7_3 * b1_3;
  }
  store(m0 + 0u, n0 + 0u, acc00); store(m0 + 0u, n0 + 4u, acc01);
  store(m0 + 1u, n0 + 0u, acc10); store(m0 + 1u, n0 + 4u, acc11);
  store(m0 + 2u, n0 + 0u, acc20); store(m0 + 2u, n0 + 4u, acc21);
  store(m0 + 3u, n0 + 0u, acc30); store(m0 + 3u, n0 + 4u, acc31);
  store(m0 + 4u, n0 + 0u, acc40); store(m0 + 4u, n0 + 4u, acc41);
  store(m0 + 5u, n0 + 0u, acc50); store(m0 + 5u, n0 + 4u, acc51);
  store(m0 + 6u, n0 + 0u, acc60); store(m0 + 6u, n0 + 4u, acc61);
  store(m0 + 7u, n0 + 0u, acc70); store(m0 + 7u, n0 + 4u, acc71);
}
