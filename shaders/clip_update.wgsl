// clip_update.wgsl — global-norm gradient clipping fused with the optimizer
// update, decided on the GPU (no readback inside a training step).
//
// Entry `finalize` (dispatch (1, 1, 1)) reads stats.loss and stats.grad_sumsq
// (written by reduce_sum.wgsl) and sets
//   grad_norm  = sqrt(Σ g²)
//   clip_scale = min(1, θ / grad_norm)         (θ = p.clip; θ ≤ 0 turns clipping off)
//   lr         = the schedule's rate for update number s = step (the updates
//                applied so far; src/engine/schedule.ts's lrAt, in f32)
//   skipped    = 1 if the loss or the norm is NaN or ±Inf, else 0 (and step += 1)
// Entry `update` (dispatch (min(ceil(n / WG), 65535), 1, 1); grid-stride)
// applies, unless skipped, with lr = stats.lr,
//   g = clip_scale · G[i]
//   SGD:     θ_i −= lr · g
//   Adagrad: s_i += g²;  θ_i −= lr · g / (sqrt(s_i) + eps)
//   Adam:    m_i = β1 m_i + (1 − β1) g;  v_i = β2 v_i + (1 − β2) g²;
//            θ_i −= lr · m̂ / (sqrt(v̂) + eps),  m̂ = m / (1 − β1^step), v̂ = v / (1 − β2^step)
// Non-finite gradients therefore never reach the weights, and a skipped step
// does not advance the schedule.
//
// Schedules (p.sched; p.lr is the base rate, w = p.warmup):
//   s < w: lr · s / w;  then u = s − w and
//   0 constant: lr;  1 step: lr · gamma^⌊u / every⌋;
//   2 cosine: min + (lr − min) · ½(1 + cos(π · min(u, span) / span)), span = total − w,
//     evaluated as sin²(π/2 · left / span) with left = span − min(u, span) and
//     short Taylor series (no reliance on the platform's sin/cos accuracy).
//
// P (weights), G (gradients), S1, S2 (optimizer state): (n) flat, same layout.

override WG: u32 = 256u;
// 0 = SGD, 1 = Adagrad, 2 = Adam
override OPTIMIZER: u32 = 0u;

struct Params {
  n: u32,
  lr: f32,
  clip: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  sched: u32,
  warmup: u32,
  every: u32,
  gamma: f32,
  total: u32,
  lr_min: f32,
}

struct Stats {
  loss: f32,
  grad_sumsq: f32,
  grad_norm: f32,
  clip_scale: f32,
  skipped: u32,
  step: u32,
  skipped_total: u32,
  clipped_total: u32,
  lr: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> stats: Stats;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read_write> S1: array<f32>;
@group(0) @binding(5) var<storage, read_write> S2: array<f32>;

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// x^k for an integer k ≥ 0 by repeated squaring.
fn powi(x: f32, k: u32) -> f32 {
  var r = 1.0;
  var b = x;
  for (var i = 0u; i < 32u; i++) {
    if (((k >> i) & 1u) == 1u) { r *= b; }
    b *= b;
  }
  return r;
}

// sin(a) and cos(a) for 0 ≤ a ≤ π/4 (Taylor; error below f32 rounding).
fn sin_small(a: f32) -> f32 {
  let a2 = a * a;
  return a * (1.0 - a2 / 6.0 * (1.0 - a2 / 20.0 * (1.0 - a2 / 42.0 * (1.0 - a2 / 72.0 * (1.0 - a2 / 110.0)))));
}
fn cos_small(a: f32) -> f32 {
  let a2 = a * a;
  return 1.0 - a2 / 2.0 * (1.0 - a2 / 12.0 * (1.0 - a2 / 30.0 * (1.0 - a2 / 56.0 * (1.0 - a2 / 90.0 * (1.0 - a2 / 132.0)))));
}

// The rate of update number s (0-based).
fn rate(s: u32) -> f32 {
  if (s < p.warmup) { return p.lr * (f32(s) / f32(p.warmup)); }
  let u = s - p.warmup;
  if (p.sched == 1u) { return p.lr * powi(p.gamma, u / p.every); }
  if (p.sched == 2u) {
    let span = p.total - p.warmup;
    let done = min(u, span);
    let left = span - done;
    let half_pi = 1.5707963267948966;
    // ½(1 + cos(π done/span)) = sin²(π/2 · left/span) = cos²(π/2 · done/span)
    var c = 0.0;
    if (left <= done) { c = sin_small(half_pi * (f32(left) / f32(span))); }
    else { c = cos_small(half_pi * (f32(done) / f32(span))); }
    return p.lr_min + (p.lr - p.lr_min) * (c * c);
  }
  return p.lr;
}

@compute @workgroup_size(1)
fn finalize() {
  let norm = sqrt(stats.grad_sumsq);
  stats.grad_norm = norm;
  stats.lr = rate(stats.step);
  if (!is_finite(stats.loss) || !is_finite(norm)) {
    stats.skipped = 1u;
    stats.skipped_total += 1u;
    stats.clip_scale = 0.0;
    return;
  }
  stats.skipped = 0u;
  stats.step += 1u;
  var scale = 1.0;
  if (p.clip > 0.0 && norm > p.clip) {
    scale = p.clip / norm;
    stats.clipped_total += 1u;
  }
  stats.clip_scale = scale;
}

@compute @workgroup_size(WG)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  if (stats.skipped != 0u) { return; }
  for (var i = gid.x; i < p.n; i += nwg.x * WG) {
    step_one(i);
  }
}

fn step_one(i: u32) {
  let lr = stats.lr;
  let g = stats.clip_scale * G[i];
  if (OPTIMIZER == 0u) {
    P[i] -= lr * g;
  } else if (OPTIMIZER == 1u) {
    let s = S1[i] + g * g;
    S1[i] = s;
    P[i] -= lr * g / (sqrt(s) + p.eps);
  } else {
    let m = p.beta1 * S1[i] + (1.0 - p.beta1) * g;
    let v = p.beta2 * S2[i] + (1.0 - p.beta2) * g * g;
    S1[i] = m;
    S2[i] = v;
    let t = f32(stats.step);
    let m_hat = m / (1.0 - pow(p.beta1, t));
    let v_hat = v / (1.0 - pow(p.beta2, t));
    P[i] -= lr * m_hat / (sqrt(v_hat) + p.eps);
  }
}
