// accumulate.wgsl — y = x + beta·y over n floats.
//
// Sums the gradient streams of TBPTT(k1, k2): each stream's ∂L/∂ of the
// pre-activations (dG) is added into one sum (beta = 0 for the first stream,
// 1 after), so the weight-gradient GEMMs run once over the sum instead of
// once per stream (the GEMMs are linear in dG).
// Dispatch: grid2d(ceil(n / WG)) (kernel.ts): x · y ≥ the groups, index gid.x + gid.y · x · WG.

override WG: u32 = 256u;

struct Params {
  n: u32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  // beta = 0 overwrites (y may hold anything, NaN included)
  if (p.beta == 0.0) {
    y[i] = x[i];
  } else {
    y[i] = x[i] + p.beta * y[i];
  }
}
