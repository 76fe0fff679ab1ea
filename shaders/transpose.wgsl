// transpose.wgsl — out[c, r] = X[x_offset + r·cols + c] for an (rows, cols)
// row-major X. The forward recurrence reads W_hhᵀ so that neighbouring
// threads read neighbouring weights.
// Dispatch: (ceil(cols / 8), ceil(rows / 8), 1).

struct Params {
  rows: u32,
  cols: u32,
  x_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let r = gid.y;
  if (r >= p.rows || c >= p.cols) { return; }
  out[c * p.rows + r] = X[p.x_offset + r * p.cols + c];
}
