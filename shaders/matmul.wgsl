// matmul.wgsl — tiled GEMM with a fused epilogue.
//
//   C[M×N] = beta · C + op(A)[M×K] · op(B)[K×N]  (+ bias[N])  then activation
//
// op(A) = A   (A stored M×K row-major)  or  Aᵀ (A stored K×M) when TRANS_A;
// op(B) = B   (B stored K×N row-major)  or  Bᵀ (B stored N×K) when TRANS_B.
// Every operand is addressed from an element offset, so several tensors can
// live in one buffer (weights and gradients do in webgpu-bptt).
//
// Each workgroup of 16×16 threads owns a 64×64 tile of C; each thread owns a
// 4×4 block (rows ty + 16·i, columns tx + 16·j: conflict-free workgroup reads).
// Dispatch: (ceil(N / 64), ceil(M / 64), 1).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// 0 = identity, 1 = tanh, 2 = relu
override ACTIVATION: u32 = 0u;

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

const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> As: array<f32, 1024>; // As[k * BM + m]
var<workgroup> Bs: array<f32, 1024>; // Bs[k * BN + n]

fn load_a(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return A[p.a_offset + k * p.M + m]; }
  return A[p.a_offset + m * p.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return B[p.b_offset + n * p.K + k]; }
  return B[p.b_offset + k * p.N + n];
}

fn activate(z: f32) -> f32 {
  if (ACTIVATION == 1u) { return tanh(z); }
  if (ACTIVATION == 2u) { return max(z, 0.0); }
  return z;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u,
        @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  var acc = array<f32, 16>();

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Stage a BM×BK tile of op(A) and a BK×BN tile of op(B); the element order
    // follows the storage order so that neighbouring threads read neighbours.
    for (var i = 0u; i < 4u; i++) {
      let e = li + i * 256u;
      if (TRANS_A) {
        let m = e % BM; let k = e / BM;
        As[k * BM + m] = load_a(row0 + m, k0 + k);
      } else {
        let k = e % BK; let m = e / BK;
        As[k * BM + m] = load_a(row0 + m, k0 + k);
      }
      if (TRANS_B) {
        let k = e % BK; let n = e / BK;
        Bs[k * BN + n] = load_b(k0 + k, col0 + n);
      } else {
        let n = e % BN; let k = e / BN;
        Bs[k * BN + n] = load_b(k0 + k, col0 + n);
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      var a = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
      var b = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
      for (var i = 0u; i < 4u; i++) {
        a[i] = As[k * BM + lid.y + 16u * i];
        b[i] = Bs[k * BN + lid.x + 16u * i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 16u * j;
      if (c >= p.N) { continue; }
      let idx = p.c_offset + r * p.N + c;
      var v = acc[i * 4u + j];
      if (p.beta != 0.0) { v += p.beta * C[idx]; }
      if (HAS_BIAS) { v += bias[p.bias_offset + c]; }
      C[idx] = activate(v);
    }
  }
}
