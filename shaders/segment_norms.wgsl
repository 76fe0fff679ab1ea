// segment_norms.wgsl — the Euclidean norm of each of S equal segments:
//
//   out[out_offset + s] = sqrt(Σ_{i < len} X[x_offset + s · len + i]²)
//
// With X = ∂L/∂h as (T, B, H) and len = B·H this is ‖∂L/∂h_t‖ for every
// step t: how gradients vanish or explode going back in time.
// One workgroup per segment, numbered x + y · num_workgroups.x (grid2d in kernel.ts).

// Threads per workgroup; a power of two.
override WG: u32 = 64u;

struct Params {
  segments: u32,
  len: u32,
  out_offset: u32,
  x_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let s = wg.x + wg.y * nwg.x;
  if (s >= p.segments) { return; }
  var acc = 0.0;
  for (var i = li; i < p.len; i += WG) {
    let x = X[p.x_offset + s * p.len + i];
    acc += x * x;
  }
  red[li] = acc;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] = red[li] + red[li + k]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[p.out_offset + s] = sqrt(red[0]); }
}
