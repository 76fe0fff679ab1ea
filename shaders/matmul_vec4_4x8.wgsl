// matmul_vec4_4x8.wgsl — GEMM with vec4 loads from array<vec4f>, 4×8 of C per
// thread, fused epilogue. Same contract as matmul.wgsl:
//
//   C[M×N] = beta · C + op(A)[M×K] · op(B)[K×N]  (+ bias[N])  then activation
//
// op(A) = A (A stored M×K) or Aᵀ (A stored K×M) when TRANS_A; likewise op(B)
// with B stored K×N, or N×K when TRANS_B; all row-major, each operand at an
// element offset. The k loop steps by 4 and works on 4×4 tiles held in
// mat4x4f: am[i] = op(A)[m0 + i][k .. k+3], bm[j] = op(B)[k + j][n0 .. n0+3],
// so acc += bm · am adds the tile's 64 multiply-adds to acc[i] = C[m0 + i][n0 ..].
//
// What the vec4 loads need (the host checks it before choosing this kernel):
// K % 4 = 0, a_offset % 4 = 0, b_offset % 4 = 0, M % 4 = 0 when TRANS_A,
// N % 4 = 0 unless TRANS_B. Edge blocks clamp their loads and guard their
// stores, so M and N need not be multiples of the block.
// Each thread: 4 rows × two groups of 4 columns (two tiles of B per four k).
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
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// op(A)[m0 .. m0+3][k .. k+3]: column i holds row m0 + i (rows clamped to M − 1).
fn tile_a(m0: u32, k: u32) -> mat4x4f {
  if (TRANS_A) {
    // A is K×M: one vec4 holds four rows at one k (m0 is a multiple of 4 below M, and M % 4 = 0).
    let s = p.M / 4u;
    let i = (p.a_offset + k * p.M + min(m0, p.M - 4u)) / 4u;
    return transpose(mat4x4f(A[i], A[i + s], A[i + 2u * s], A[i + 3u * s]));
  }
  let s = p.K / 4u;
  let i = (p.a_offset + k) / 4u;
  let last = p.M - 1u;
  return mat4x4f(A[i + min(m0, last) * s], A[i + min(m0 + 1u, last) * s], A[i + min(m0 + 2u, last) * s], A[i + min(m0 + 3u, last) * s]);
}

// op(B)[k .. k+3][n0 .. n0+3]: column j holds row k + j (columns clamped).
fn tile_b(k: u32, n0: u32) -> mat4x4f {
  if (TRANS_B) {
    // B is N×K: one vec4 holds four k of one column.
    let s = p.K / 4u;
    let i = (p.b_offset + k) / 4u;
    let last = p.N - 1u;
    return transpose(mat4x4f(B[i + min(n0, last) * s], B[i + min(n0 + 1u, last) * s], B[i + min(n0 + 2u, last) * s], B[i + min(n0 + 3u, last) * s]));
  }
  let s = p.N / 4u;
  let i = (p.b_offset + k * p.N + min(n0, p.N - 4u)) / 4u;
  return mat4x4f(B[i], B[i + s], B[i + 2u * s], B[i + 3u * s]);
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
  var acc00 = mat4x4f(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  var acc01 = mat4x4f(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var k = 0u; k < p.K; k += 4u) {
    let a0 = tile_a(m0 + 0u, k);
    let b0 = tile_b(k, n0 + 0u);
    let b1 = tile_b(k, n0 + 4u);
    acc00 += b0 * a0;
    acc01 += b1 * a0;
  }
  for (var i = 0u; i < 4u; i++) {
    store(m0 + 0u + i, n0 + 0u, acc00[i]);
    store(m0 + 0u + i, n0 + 4u, acc01[i]);
  }
}
