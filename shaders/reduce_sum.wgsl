// reduce_sum.wgsl — deterministic two-stage sum (or sum of squares).
//
//   out[out_index] = Σ_{i < n} f(X[x_offset + i]),   f(x) = x, or x² if SQUARE
//
// Stage `partial` (dispatch (n_partials, 1, 1), n_partials ≤ WG): workgroup g
// sums a grid-stride slice into partials[g]. Stage `total` (dispatch (1, 1, 1))
// sums the partials into out[out_index]. The order of additions is fixed, so
// the result is reproducible bit for bit.
// Used for the loss (Σ loss_rows) and the global gradient norm (Σ g²).

// Threads per workgroup.
override WG: u32 = 64u;
override SQUARE: bool = false;

struct Params {
  n: u32,
  x_offset: u32,
  n_partials: u32,
  out_index: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;

// The workgroup's sum: every thread's value into workgroup memory, one
// barrier, then thread 0 adds them in order (the other threads return 0). A
// halving tree takes log2(WG) barriers, and SwiftShader switches between all
// of a workgroup's invocation groups at every barrier: the partial stage of
// S's Σ g² (80,156 values, 64 workgroups) took 4.5 ms with the tree, 1.5 ms
// with this (bench/profile-dispatch.ts 28,256,32,35,4 clip).
fn workgroup_sum(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  var t = 0.0;
  if (li == 0u) {
    for (var i = 0u; i < WG; i++) { t += red[i]; }
  }
  return t;
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  let stride = p.n_partials * WG;
  for (var i = wg.x * WG + li; i < p.n; i += stride) {
    let x = X[p.x_offset + i];
    if (SQUARE) { s += x * x; } else { s += x; }
  }
  let total = workgroup_sum(s, li);
  if (li == 0u) { partials[wg.x] = total; }
}

@compute @workgroup_size(WG)
fn total(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  if (li < p.n_partials) { s = partials[li]; }
  let t = workgroup_sum(s, li);
  if (li == 0u) { out[p.out_index] = t; }
}
