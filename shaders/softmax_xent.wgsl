// softmax_xent.wgsl — fused softmax cross-entropy and its gradient.
//
//   loss_rows[r] = scale · (logsumexp(O[r, :]) − O[r, y_r])
//   dO[r, c]     = scale · (softmax(O[r, :])_c − [c = y_r])
//
// scale is 1 / (B·T) for the chapter's mean loss, so Σ_r loss_rows = L.
// O, dO: (R, Q) row-major; targets: (R) u32 (checked < Q before upload).
// One workgroup per row; dispatch (min(R, 65535), ceil(R / 65535), 1).

// Threads per row; a power of two.
override WG: u32 = 64u;

struct Params {
  R: u32,
  Q: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> O: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> dO: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss_rows: array<f32>;

var<workgroup> red: array<f32, WG>;

fn reduce_max(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red[0]);
}

fn reduce_sum(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red[0]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u,
        @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.R) { return; }
  let base = r * p.Q;

  var m = -3.4e38;
  for (var c = li; c < p.Q; c += WG) { m = max(m, O[base + c]); }
  m = reduce_max(m, li);

  var se = 0.0;
  for (var c = li; c < p.Q; c += WG) { se += exp(O[base + c] - m); }
  se = reduce_sum(se, li);

  let y = targets[r];
  for (var c = li; c < p.Q; c += WG) {
    let prob = exp(O[base + c] - m) / se;
    dO[base + c] = p.scale * (prob - select(0.0, 1.0, c == y));
  }
  if (li == 0u) {
    loss_rows[r] = p.scale * (m + log(se) - O[base + y]);
  }
}
