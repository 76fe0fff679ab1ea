// mse_loss.wgsl — mean squared error on dense targets and its gradient.
//
//   l(o, y)      = (1/Q) Σ_c (o_c − y_c)²      (PyTorch's MSELoss per position)
//   loss_rows[r] = scale · w_r · l(O[r, :], Y[r, :])
//   dO[r, c]     = scale · w_r · 2 (O[r, c] − Y[r, c]) / Q
//
// With w = 1 and scale = 1 / (B·T), Σ_r loss_rows = L, the mean over all
// positions; the engine passes scale 1 and w_r = lossWeight_r / Σ w over the
// counted positions, 0 on padded and uncounted rows. Rows of weight 0 (and rows
// before r0) get loss 0 and gradient 0 without reading O.
// O, Y, dO: (R, Q) row-major. One thread per row.
// Dispatch: grid2d(ceil(R / WG)) (kernel.ts): x · y ≥ the groups, row gid.x + gid.y · x · WG.

override WG: u32 = 64u;

struct Params {
  R: u32,
  Q: u32,
  scale: f32,
  // Rows before r0 do not count: loss 0, gradient 0 (streaming TBPTT's
  // window keeps earlier steps for their gradient path, not their losses).
  r0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> O: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> dO: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss_rows: array<f32>;
// Per-row weights w_r ≥ 0, times scale (the engine: lossWeight_r / Σ w over
// the counted positions, 0 on padded and uncounted ones).
@group(0) @binding(5) var<storage, read> weights: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.R) { return; }
  let base = r * p.Q;
  let w = p.scale * weights[r];
  if (r < p.r0 || w == 0.0) {
    for (var c = 0u; c < p.Q; c++) { dO[base + c] = 0.0; }
    loss_rows[r] = 0.0;
    return;
  }
  let q = f32(p.Q);
  var s = 0.0;
  for (var c = 0u; c < p.Q; c++) {
    let d = O[base + c] - Y[base + c];
    dO[base + c] = w * 2.0 * d / q;
    s += d * d;
  }
  loss_rows[r] = w * s / q;
}
