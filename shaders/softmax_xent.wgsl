// softmax_xent.wgsl — fused softmax cross-entropy and its gradient.
//
//   loss_rows[r] = scale · w_r · (logsumexp(O[r, :]) − O[r, y_r])
//   dO[r, c]     = scale · w_r · (softmax(O[r, :])_c − [c = y_r])
//
// With w = 1 and scale = 1 / (B·T), Σ_r loss_rows = L, the chapter's mean
// loss; the engine passes scale 1 and w_r = lossWeight_r / Σ w over the
// counted positions, 0 on padded and uncounted rows (a weighted mean).
// Rows of weight 0 (and rows before r0) get loss 0 and gradient 0 without
// reading O, so whatever a padded row holds cannot leak in.
// O, dO: (R, Q) row-major; targets: (R) u32 (checked < Q before upload).
// One thread per row, no barriers (measured faster than a workgroup per row
// with tree reductions for the vocabulary sizes of character models).
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
@group(0) @binding(2) var<storage, read> targets: array<u32>;
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
  var m = O[base];
  for (var c = 1u; c < p.Q; c++) { m = max(m, O[base + c]); }
  var se = 0.0;
  for (var c = 0u; c < p.Q; c++) { se += exp(O[base + c] - m); }
  let y = targets[r];
  let inv = 1.0 / se;
  for (var c = 0u; c < p.Q; c++) {
    dO[base + c] = w * (exp(O[base + c] - m) * inv - select(0.0, 1.0, c == y));
  }
  loss_rows[r] = w * (m + log(se) - O[base + y]);
}
