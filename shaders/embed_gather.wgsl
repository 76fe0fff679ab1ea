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
// Dispatch: (ceil(H / WG), grid2d(ceil(R / ROWS_PER_WG))) (kernel.ts);
// workgroup (y, z) gathers rows g · ROWS_PER_WG … (g + 1) · ROWS_PER_WG − 1,
// g = wg.y + wg.z · num_workgroups.y. One row per workgroup made T·B·H/WG
// workgroups, and SwiftShader pays for each: 11 ms against 5 ms on S
// (bench/profile-dispatch.ts input).

override WG: u32 = 64u;
override ROWS_PER_WG: u32 = 8u;
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
  let r0 = (wg.y + wg.z * nwg.y) * ROWS_PER_WG;
  if (j >= p.H) { return; }
  var b = 0.0;
  if (HAS_BIAS) { b = P[p.b_offset + j]; }
  let w = p.w_offset + j * p.V;
  for (var i = 0u; i < ROWS_PER_WG; i++) {
    let r = r0 + i;
    if (r >= p.R) { break; }
    Zx[r * p.H + j] = P[w + tokens[r]] + b;
  }
}
