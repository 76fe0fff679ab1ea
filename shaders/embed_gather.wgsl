// embed_gather.wgsl — input projection for token inputs.
//
// x_t is one-hot over V, so W_hx x_t is column tok of W_hx: a gather, never a
// dense one-hot matmul.
//
//   Zx[r, j] = W_hx[j, tokens[r]] (+ b_h[j])        r = t·B + b, j < H
//
// W_hx: (H, V) row-major at P[w_offset]; b_h: (H) at P[b_offset]
// tokens: (R) u32, R = T·B rows in time-major order
// Zx: (R, H) row-major
// Dispatch: (ceil(H / WG), grid2d(R)) (kernel.ts); rows are
// wg.y + wg.z · num_workgroups.y.

override WG: u32 = 64u;
override HAS_BIAS: bool = false;

struct Params {
  R: u32,
  H: u32,
  V: u32,
  w_offset: u32,
  b_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read_write> Zx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u,
        @builtin(workgroup_id) wg: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x;
  let r = wg.y + wg.z * nwg.y;
  if (j >= p.H || r >= p.R) { return; }
  var z = P[p.w_offset + j * p.V + tokens[r]];
  if (HAS_BIAS) { z += P[p.b_offset + j]; }
  Zx[r * p.H + j] = z;
}
