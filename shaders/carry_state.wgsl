// carry_state.wgsl — the initial state of a minibatch from the last one's
// final state (d2l's sequential partitioning, detached), except after a
// skipped step: a non-finite step must not poison the next ones through the
// carried state, so h0 is zero then, and any non-finite entry is zeroed.
//
//   Hs[i] = (stats.skipped == 0 && is_finite(last[i])) ? last[i] : 0,  i < n
//
// last: the previous window's final states, n = layers · slots · B · H floats
// laid out [layer][slot][B][H] (slot 0 h, slot 1 c for LSTM); stats: the step
// statistics block (src/gpu/stats.ts; u32 word SKIPPED = the skip flag); Hs:
// the state sets [set][layer][slot][B][H] (src/engine/layout.ts), set 0 (the
// window's initial states, the first n floats) written.
// Dispatch: (ceil(n / WG), 1, 1).

override WG: u32 = 64u;
// The skip flag's word in the stats block (STATS.skipped, set by the factory).
override SKIPPED: u32 = 4u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> last: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<u32>;
@group(0) @binding(3) var<storage, read_write> Hs: array<f32>;

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) { return; }
  let v = last[i];
  Hs[i] = select(0.0, v, stats[SKIPPED] == 0u && is_finite(v));
}
