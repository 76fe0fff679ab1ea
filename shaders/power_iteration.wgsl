// power_iteration.wgsl — the spectral radius of W_hh by power iteration.
//
//   v_0 = a fixed pseudo-random unit vector
//   y_i = W_hh v_i,  growth[i] = ‖y_i‖,  v_{i+1} = y_i / ‖y_i‖      (i < iters)
//
// The spectral radius ρ(W_hh) is the limit of the geometric mean of
// growth[i] (Gelfand: ρ = lim ‖Wᵏ‖^{1/k}); this also holds when the dominant
// eigenvalues are a complex pair and v never settles. ρ > 1 makes gradients
// explode through time, ρ < 1 makes them vanish (the chapter's point about
// powers of W_hh). v after many steps aligns with the top eigenvector
// (the chapter's exercise 1).
// W_hh: (H, H) row-major at P[w_offset]; growth[out_offset + i]: (iters) written.
// One workgroup; dispatch (1, 1, 1). H ≤ H_MAX.

override WG: u32 = 64u;
override H_MAX: u32 = 256u;

struct Params {
  H: u32,
  w_offset: u32,
  iters: u32,
  out_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> growth: array<f32>;

var<workgroup> v: array<f32, H_MAX>;
var<workgroup> y: array<f32, H_MAX>;
var<workgroup> red: array<f32, WG>;

fn sum_all(x: f32, li: u32) -> f32 {
  red[li] = x;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] = red[li] + red[li + k]; }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red[0]);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32) {
  let H = p.H;
  var ss = 0.0;
  for (var j = li; j < H; j += WG) {
    // a fixed, sign-mixed start vector (a hash of j)
    let hsh = (j * 2654435761u) ^ 0x9e3779b9u;
    let x = f32(hsh % 2001u) / 1000.0 - 1.0 + 0.001;
    v[j] = x;
    ss += x * x;
  }
  var norm = sqrt(sum_all(ss, li));
  for (var j = li; j < H; j += WG) { v[j] = v[j] / norm; }
  workgroupBarrier();
  for (var i = 0u; i < p.iters; i++) {
    var part = 0.0;
    for (var j = li; j < H; j += WG) {
      var acc = 0.0;
      for (var k = 0u; k < H; k++) { acc += P[p.w_offset + j * H + k] * v[k]; }
      y[j] = acc;
      part += acc * acc;
    }
    norm = sqrt(sum_all(part, li));
    if (li == 0u) { growth[p.out_offset + i] = norm; }
    let inv = select(0.0, 1.0 / norm, norm > 0.0);
    for (var j = li; j < H; j += WG) { v[j] = y[j] * inv; }
    workgroupBarrier();
  }
}
