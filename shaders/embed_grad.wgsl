// embed_grad.wgsl — ∂L/∂W_hx for token inputs, without atomics.
//
//   dW_hx[j, v] = beta · dW_hx[j, v] + Σ_{r : tokens[r] = v} dZ[r, j]
//
// The positions are pre-grouped by token (CSR): bucket v holds
// order[start[v] .. start[v + 1]). Each thread owns one (j, v) and sums its
// bucket in a fixed order, so the result is deterministic.
//
// dZ: (R, H) row-major; start: (V + 1) u32; order: (R) u32
// dW_hx: (H, V) row-major at G[w_offset]
// Dispatch: (ceil(H / WG), grid2d(V)) (kernel.ts); v = wg.y + wg.z · num_workgroups.y.

override WG: u32 = 64u;

struct Params {
  H: u32,
  V: u32,
  w_offset: u32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dZ: array<f32>;
@group(0) @binding(2) var<storage, read> start: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> G: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u,
        @builtin(workgroup_id) wg: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x;
  let v = wg.y + wg.z * nwg.y;
  if (j >= p.H || v >= p.V) { return; }
  var s = 0.0;
  for (var i = start[v]; i < start[v + 1u]; i++) {
    s += dZ[order[i] * p.H + j];
  }
  let idx = p.w_offset + j * p.V + v;
  if (p.beta != 0.0) { s += p.beta * G[idx]; }
  G[idx] = s;
}
