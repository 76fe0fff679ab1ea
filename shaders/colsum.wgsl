// colsum.wgsl — column sums, for the bias gradients.
//
//   out[out_offset + c] = beta · out[out_offset + c] + Σ_r X[x_offset + r·N + c]
//
// db_h = Σ_t Σ_b dz_t and db_q = Σ_t Σ_b ∂L/∂o_t are column sums of dZ, dO.
// X: (R, N) row-major. One thread per column sums its rows in order
// (deterministic; neighbouring threads read neighbouring columns).
// Dispatch: (ceil(N / WG), 1, 1).

override WG: u32 = 64u;

struct Params {
  R: u32,
  N: u32,
  x_offset: u32,
  out_offset: u32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.N) { return; }
  var s = 0.0;
  for (var r = 0u; r < p.R; r++) {
    s += X[p.x_offset + r * p.N + c];
  }
  let idx = p.out_offset + c;
  if (p.beta != 0.0) { s += p.beta * out[idx]; }
  out[idx] = s;
}
