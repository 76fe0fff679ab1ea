// matmul_4x8.wgsl — register-blocked GEMM, 4×8 of C per thread, k one at a time,
// scalar loads; fused epilogue. Same contract as matmul.wgsl:
//
//   C[M×N] = beta · C + op(A)[M×K] · op(B)[K×N]  (+ bias[N])  then activation
//
// op(A) = A (A stored M×K) or Aᵀ (A stored K×M) when TRANS_A; op(B) = B (B
// stored K×N) or Bᵀ (B stored N×K) when TRANS_B; row-major, each operand at an element offset.
// Per k: 4 loads of A, 8 loads of B, 32 multiply-adds into 8 vec4
// accumulators. Edge blocks clamp their loads and guard their stores.
// Any M, N, K and offsets.
// Dispatch: (ceil(N / (8·WG_X)), ceil(M / (4·WG_Y)), 1).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 0u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

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
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn load_a(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[p.a_offset + k * p.M + m]; }
  return A[p.a_offset + m * p.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (TRANS_B) { return B[p.b_offset + n * p.K + k]; }
  return B[p.b_offset + k * p.N + n];
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
  let m0 = gid.y * 4u;
  if (n0 >= p.N || m0 >= p.M) { return; }
  let mi0 = min(m0 + 0u, p.M - 1u);
  let mi1 = min(m0 + 1u, p.M - 1u);
  let mi2 = min(m0 + 2u, p.M - 1u);
  let mi3 = min(m0 + 3u, p.M - 1u);
  let ni0 = min(n0 + 0u, p.N - 1u);
  let ni1 = min(n0 + 1u, p.N - 1u);
  let ni2 = min(n0 + 2u, p.N - 1u);
  let ni3 = min(n0 + 3u, p.N - 1u);
  let ni4 = min(n0 + 4u, p.N - 1u);
  let ni5 = min(n0 + 5u, p.N - 1u);
  let ni6 = min(n0 + 6u, p.N - 1u);
  let ni7 = min(n0 + 7u, p.N - 1u);
  var acc00 = vec4f(0.0);
  var acc01 = vec4f(0.0);
  var acc10 = vec4f(0.0);
  var acc11 = vec4f(0.0);
  var acc20 = vec4f(0.0);
  var acc21 = vec4f(0.0);
  var acc30 = vec4f(0.0);
  var acc31 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b0 = vec4f(load_b(k, ni0), load_b(k, ni1), load_b(k, ni2), load_b(k, ni3));
    let b1 = vec4f(load_b(k, ni4), load_b(k, ni5), load_b(k, ni6), load_b(k, ni7));
    let a0 = load_a(mi0, k);
    acc00 += a0 * b0; acc01 += a0 * b1;
    let a1 = load_a(mi1, k);
    acc10 += a1 * b0; acc11 += a1 * b1;
    let a2 = load_a(mi2, k);
    acc20 += a2 * b0; acc21 += a2 * b1;
    let a3 = load_a(mi3, k);
    acc30 += a3 * b0; acc31 += a3 * b1;
  }
  store(m0 + 0u, n0 + 0u, acc00); store(m0 + 0u, n0 + 4u, acc01);
  store(m0 + 1u, n0 + 0u, acc10); store(m0 + 1u, n0 + 4u, acc11);
  store(m0 + 2u, n0 + 0u, acc20); store(m0 + 2u, n0 + 4u, acc21);
  store(m0 + 3u, n0 + 0u, acc30); store(m0 + 3u, n0 + 4u, acc31);
}
