// What each cell's recurrence shaders have of their own: the doc comment
// (shapes and contract), the Params fields, the bindings, and the gate math
// (the per-step functions the shared loops call). recurrence-wgsl.ts writes
// the six shaders from these and its one copy of everything the cells share:
// the overrides, the workgroup cache of h, the GEMV over W_hh with ROWS
// sequences per weight load (each thread's neighbouring units), the ξ of each
// sequence and the time loops. Pure strings: no GPU, no imports.

/** The cells with a sequence recurrence (one workgroup walks ROWS sequences through every step). */
export type RecurrenceCell = 'rnn' | 'lstm' | 'gru';

/** One storage binding of a shader (binding 1, 2, … in order): its WGSL name, access, element type and the comment lines above it. */
export interface RecurrenceBinding {
  name: string;
  access: 'read' | 'read_write';
  /** Element type (default f32). */
  type?: 'u32';
  /** Comment lines above the declaration. */
  doc?: string[];
}

/** The shared WGSL helpers (written once in recurrence-wgsl.ts) a shader may ask for. */
export type RecurrenceHelper = 'activate' | 'dactivate' | 'sigmoid' | 'tanh_' | 'xi_of';

/** The parts of one shader that are its cell's own. */
export interface RecurrenceShaderParts {
  /** The head comment: what the kernel computes, its buffers' shapes, the dispatch. */
  doc: string;
  /** Params fields after B, H, t0, t1, each `name: u32` (with `// …` lines above where needed). */
  params: string[];
  bindings: RecurrenceBinding[];
  /** The shared helpers it calls, in the order they are written (before `functions`). */
  helpers: RecurrenceHelper[];
  /** The cell's functions (gate math, writes), after the shared helpers. */
  functions: string;
}

/** A cell's forward shader. */
export interface RecurrenceForwardParts extends RecurrenceShaderParts {
  /** The function main calls per sequence row with that row's recurrent sums: `finish` (rnn, 4 of its 8 units) or `cell` (one unit, every gate). */
  step: 'finish' | 'cell';
}

/** A cell's reverse shader. */
export interface RecurrenceBackwardParts extends RecurrenceShaderParts {
  /** The workgroup memory declarations (the cache the GEMV reads). */
  workgroup: string;
  /** The workgroup array the GEMV reads: f32s along the summed index, ROWS rows. */
  cache: 'dzs' | 'dgs';
  /**
   * rnn only: the statements before the time loop, the pointwise phase in it
   * and the statements after it, written out (∂L/∂z cached along j). The
   * gated cells' pointwise phase is shared: pointwise(r, t, b0, j, m[, x])
   * per unit and sequence.
   */
  inline?: { before: string; phase1: string; after: string };
  /** Gated cells: pointwise takes each sequence's ξ (so the ξ are read before phase 1). */
  pointwiseXi?: boolean;
}

/** Everything a cell has of its own in its two shaders. */
export interface RecurrenceCellParts {
  /** Gate rows per hidden unit in W_hh: 1 (rnn), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n). */
  gates: 1 | 3 | 4;
  forward: RecurrenceForwardParts;
  backward: RecurrenceBackwardParts;
}

const LENGTHS: RecurrenceBinding = { name: 'lengths', access: 'read', type: 'u32' };
const ro = (name: string, doc?: string[]): RecurrenceBinding => ({ name, access: 'read', doc });
const rw = (name: string, doc?: string[]): RecurrenceBinding => ({ name, access: 'read_write', doc });

const RNN: RecurrenceCellParts = {
  gates: 1,
  forward: {
    doc: `// rnn_forward.wgsl — the forward recurrence, steps t0 ≤ t < t1 in one dispatch.
//
//   h_{t+1} = φ(Zx_t + W_hh h_t [+ b_hh])   (Zx_t = W_hx x_t + b_h, precomputed;
//                                            b_hh: PyTorch's second bias, stacked models)
//
// State index: Hs[0] is the initial state, Hs[t + 1] the state after step t.
// Every state is cached in Hs and reused by the backward pass (φ' is computed
// from h, so z need not be stored).
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b]; a padded
// step holds the state (h_{t+1} = h_t), so the state after the window is the
// state after each sequence's last real step (PyTorch's packed sequences).
// The loss puts no weight on padded steps, so no gradient reaches them: the
// reverse kernels need no lengths (∂L/∂h_t is 0 from the last real step on).
//
// Sequences are independent, so each workgroup owns ROWS of the B sequences
// and walks them through time on its own: no waiting between workgroups
// (WGSL promises no forward progress across them). The current states live
// in workgroup memory, double buffered. Each thread owns the 8 neighbouring
// hidden units j0 … j0 + 7 (j0 = 8·li, then 8·WG further while j0 < H) for
// all ROWS sequences, and walks k one at a time: per k, 8 weight loads and
// ROWS workgroup loads feed 8 · ROWS multiply-adds (the shape of the GEMM
// sweep's 8×8 register block; issue 17's A/B: 1.2–1.35× faster than 4 units
// strided by WG with vec4 loads along k). The weights are read transposed
// (WT[k, j] = W_hh[j, k]) so that a thread's 8 weights are side by side.
//
// WT:  (H, H) row-major at WT[w_offset]     b_hh: (H) at P[b_offset] (HAS_BIAS)
// Zx:  (T, B, H)      Hs: (T + 1, B, H)     lengths: (B) u32
// Dispatch: (ceil(B / ROWS), 1, 1).`,
    params: ['w_offset', 'b_offset'],
    bindings: [ro('WT'), ro('Zx'), rw('Hs'), ro('P'), LENGTHS],
    helpers: ['activate'],
    step: 'finish',
    functions: `// h = φ(acc + Zx) for sequence b0 + r, units jj (those ≥ H skipped), into
// Hs and the next cache half (past the sequence's length: h held from the
// current cache half).
fn finish(r: u32, acc: vec4f, t: u32, b0: u32, jj: vec4u, cur: u32, nxt: u32) {
  let b = b0 + r;
  for (var c = 0u; c < 4u; c++) {
    let j = jj[c];
    if (j < p.H) {
      var h = 0.0;
      if (b < p.B) {
        if (t < lengths[b]) {
          var z = acc[c] + Zx[(t * p.B + b) * p.H + j];
          if (HAS_BIAS) { z += P[p.b_offset + j]; }
          h = activate(z);
        } else {
          h = hs[cur + r * H_MAX + j];
        }
        Hs[((t + 1u) * p.B + b) * p.H + j] = h;
      }
      hs[nxt + r * H_MAX + j] = h;
    }
  }
}`,
  },
  backward: {
    doc: `// rnn_backward.wgsl — the reverse-time recurrence, steps t1 > t ≥ t0 in one
// dispatch, with the per-step multiplier ξ that implements truncation.
//
//   ∂L/∂h_t  = m_t · ∂L/∂h_t|outside + carry_t
//   ∂L/∂z_t  = ∂L/∂h_t ⊙ φ'(z_t)                       (φ' from the cached h)
//   carry_{t-1} = ξ_{t,b} · W_hhᵀ ∂L/∂z_t               (into the state before step t)
//
// ξ = 1 everywhere is full BPTT; ξ_t = 0 at window starts is regular
// truncation; ξ ∈ {0, 1/π_t} is randomized truncation (shared by the batch,
// or drawn per sequence b). Only the carry is scaled, so ∂L/∂z_t itself (and
// the weight-gradient terms of step t) is not. The loss mask m_t selects the
// losses of one gradient stream (TBPTT(k1, k2) runs several; 1 otherwise).
//
// State indexing as in rnn_forward.wgsl: Hs[t + 1] = h after step t.
// W_hh: (H, H) row-major at P[w_offset] (row j: W_hh[j, k] over k, so a
//       thread owning units k … k + 7 reads them side by side)
// Hs:  (T + 1, B, H)   dHo: (T, B, H) ∂L/∂h from outside the recurrence
//      (the output layer or the layer above)
// xi:  ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dZ:  (T, B, H) ∂L/∂z (written)
// dH:  (T, B, H) the whole ∂L/∂h_t (m_t·dHo + carry; written, for ‖∂L/∂h_t‖)
// dHc: (B, H) in: gradient reaching Hs[t1] from beyond the window (0 for a
//      fresh window); out: gradient reaching Hs[t0] (already times ξ_t0).
// Each workgroup owns ROWS sequences; dispatch (ceil(B / ROWS), 1, 1).
// ∂L/∂z of the step is cached in workgroup memory; each thread owns the 8
// neighbouring output units k0 … k0 + 7 (k0 = 8·li, then 8·WG further) of
// the GEMV and walks j one at a time: per j, 8 weight loads and ROWS
// workgroup loads feed 8 · ROWS multiply-adds (as in rnn_forward.wgsl).`,
    params: ['w_offset', 'xi_offset', 'mask_offset'],
    bindings: [ro('P'), ro('Hs'), ro('dHo'), ro('xi'), rw('dHc'), rw('dZ'), rw('dH')],
    helpers: ['dactivate', 'xi_of'],
    cache: 'dzs',
    workgroup: `// ∂L/∂z of sequence r, unit j at dzs[r · H_MAX + j].
var<workgroup> dzs: array<f32, ROWS * H_MAX>;
var<workgroup> carry: array<f32, ROWS * H_MAX>;`,
    functions: `// ξ = 0 cuts exactly (no 0 · Inf); the kernel never scales ∂L/∂z itself.
// Units kk (those ≥ H skipped).
fn put_carry(r: u32, kk: vec4u, x: f32, acc: vec4f) {
  for (var c = 0u; c < 4u; c++) {
    if (kk[c] < p.H) { carry[r * H_MAX + kk[c]] = select(x * acc[c], 0.0, x == 0.0); }
  }
}`,
    inline: {
      before: `  for (var r = 0u; r < ROWS; r++) {
    for (var j = li; j < H; j += WG) {
      var c = 0.0;
      if (b0 + r < B) { c = dHc[(b0 + r) * H + j]; }
      carry[r * H_MAX + j] = c;
    }
  }
  workgroupBarrier();`,
      phase1: `    for (var r = 0u; r < ROWS; r++) {
      let b = b0 + r;
      for (var j = li; j < H; j += WG) {
        var dz = 0.0;
        if (b < B) {
          let row = (t * B + b) * H + j;
          let dh = m * dHo[row] + carry[r * H_MAX + j];
          dH[row] = dh;
          dz = dh * dactivate(Hs[row + B * H]);
          dZ[row] = dz;
        }
        dzs[r * H_MAX + j] = dz;
      }
    }`,
      after: `  for (var r = 0u; r < ROWS; r++) {
    if (b0 + r >= B) { break; }
    for (var j = li; j < H; j += WG) {
      dHc[(b0 + r) * H + j] = carry[r * H_MAX + j];
    }
  }`,
    },
  },
};

const LSTM: RecurrenceCellParts = {
  gates: 4,
  forward: {
    doc: `// lstm_forward.wgsl — the LSTM forward recurrence, steps t0 ≤ t < t1 in one dispatch.
//
//   a_t  = Zx_t + W_hh h_t [+ b_hh]            (Zx_t = W_ih x_t + b_ih, precomputed;
//                                               gate order i, f, g, o as PyTorch)
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//   c_{t+1} = f ⊙ c_t + i ⊙ g                  h_{t+1} = o ⊙ tanh(c_{t+1})
//
// State index: Hs[t0], Cs[t0] hold the state on entry, Hs[t + 1], Cs[t + 1]
// the state after step t. The post-activation gates [i, f, g, o] of every
// step are stored in G for the backward pass.
//
// Sequences are independent, so each workgroup owns ROWS of the B sequences
// and walks them through time on its own: no waiting between workgroups
// (WGSL promises no forward progress across them). The current h of its ROWS
// sequences lives in workgroup memory, double buffered. Each thread owns the
// 2 neighbouring hidden units j, j + 1 (j = 2·li, then 2·WG further) and
// computes all four gates of each, so the gate GEMV and the cell's pointwise
// math are fused: k is walked one at a time, and per k, 8 weight loads and
// ROWS workgroup loads feed 8 · ROWS multiply-adds (as rnn_forward.wgsl's 8
// units). The weights are read transposed (WT[k, q] = W_hh[q, k]) so that
// a thread's weights of one gate are side by side. A thread keeps its units
// for the whole walk, so c_t is read back
// from Cs where the same thread wrote it (no workgroup memory for c).
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b]; a padded
// step holds h and c and stores zero gates, so the state after the window is
// the state after each sequence's last real step (PyTorch's packed
// sequences). The loss puts no weight on padded steps, so the reverse
// kernel's gradients there are exactly 0 and it needs no lengths.
//
// WT: (H, 4H) row-major from 0     b_hh: (4H) at P[b_offset] (HAS_BIAS)
// Zx: (T, B, 4H)   Hs, Cs: (T + 1, B, H)   G: (T, B, 4H)   lengths: (B) u32
// Dispatch: (ceil(B / ROWS), 1, 1).`,
    params: ['b_offset'],
    bindings: [ro('WT'), ro('P'), ro('Zx'), rw('Hs'), rw('Cs'), rw('G'), LENGTHS],
    helpers: ['sigmoid', 'tanh_'],
    step: 'cell',
    functions: `// The cell of sequence b0 + r, unit j, step t, from the recurrent sums acc
// (i, f, g, o); writes c, h, the gates, and h into the next cache half.
fn cell(r: u32, acc: vec4f, t: u32, b0: u32, j: u32, cur: u32, nxt: u32) {
  let b = b0 + r;
  let H = p.H;
  var h = 0.0;
  if (b < p.B && t >= lengths[b]) {
    // a padded step: the state is held, the gates are zero
    let s = (t * p.B + b) * H + j;
    h = hs[cur + r * H_MAX + j];
    Cs[s + p.B * H] = Cs[s];
    Hs[s + p.B * H] = h;
    let q = (t * p.B + b) * 4u * H + j;
    G[q] = 0.0;
    G[q + H] = 0.0;
    G[q + 2u * H] = 0.0;
    G[q + 3u * H] = 0.0;
  } else if (b < p.B) {
    let q = (t * p.B + b) * 4u * H + j;
    var a = acc + vec4f(Zx[q], Zx[q + H], Zx[q + 2u * H], Zx[q + 3u * H]);
    if (HAS_BIAS) {
      let o = p.b_offset + j;
      a += vec4f(P[o], P[o + H], P[o + 2u * H], P[o + 3u * H]);
    }
    let ig = sigmoid(a.x);
    let fg = sigmoid(a.y);
    let gg = tanh_(a.z);
    let og = sigmoid(a.w);
    let s = (t * p.B + b) * H + j;
    let c = fg * Cs[s] + ig * gg;
    h = og * tanh_(c);
    Cs[s + p.B * H] = c;
    Hs[s + p.B * H] = h;
    G[q] = ig;
    G[q + H] = fg;
    G[q + 2u * H] = gg;
    G[q + 3u * H] = og;
  }
  hs[nxt + r * H_MAX + j] = h;
}`,
  },
  backward: {
    doc: `// lstm_backward.wgsl — the LSTM reverse-time recurrence, steps t1 > t ≥ t0 in
// one dispatch, with the multiplier ξ that implements truncation.
//
// With i, f, g, o the stored gates of step t, c = Cs[t + 1], c_prev = Cs[t]:
//   dh   = m_t · dHo_t + carry_h                   (∂L/∂h_{t+1}, written to dHC)
//   dc   = carry_c + dh ⊙ o ⊙ (1 − tanh²c)         (∂L/∂c_{t+1}, written to dHC at c_offset)
//   dG_t = [dc⊙g⊙i(1−i), dc⊙c_prev⊙f(1−f), dc⊙i⊙(1−g²), dh⊙tanh c⊙o(1−o)]
//          (∂L/∂ pre-activations, gate order i, f, g, o)
//   carry_c ← ξ_{t,b} · dc ⊙ f                      (into c_t)
//   carry_h ← ξ_{t,b} · W_hhᵀ dG_t                  (into h_t)
//
// ξ = 0 cuts exactly (a select, never 0 · x). Only the carries are scaled;
// dG_t itself (and so the weight-gradient terms of step t) is not. The loss
// mask m_t selects the losses of one gradient stream (1 otherwise).
//
// Each workgroup owns ROWS sequences; each thread owns the 8 neighbouring
// hidden units j0 … j0 + 7 (j0 = 8·li, then 8·WG further) in both phases, so
// the carries of its units are kept in dHCc, read and written by that thread
// only. Phase 1 (pointwise) puts dG of the ROWS sequences in workgroup
// memory; phase 2 is the GEMV carry_h[k] = Σ_q W_hh[q, k] dG[q] over the 4H
// gate rows q, walked one at a time: per q, 8 weight loads and ROWS
// workgroup loads feed 8 · ROWS multiply-adds (as in rnn_backward.wgsl).
//
// W_hh: (4H, H) row-major at P[w_offset]
// Cs: (T + 1, B, H)   G: (T, B, 4H)   dHo: (T, B, H)
// xi: ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dHCc: (2, B, H) in: the gradients into h_{t1}, then c_{t1}; out: into h_{t0}, c_{t0}
// dG: (T, B, 4H)   dHC: ∂L/∂h (T, B, H), then ∂L/∂c (T, B, H) at c_offset
//      (written for t0 ≤ t < t1)
// Dispatch: (ceil(B / ROWS), 1, 1).`,
    params: ['w_offset', 'xi_offset', 'mask_offset', '// Element offset of ∂L/∂c_t in dHC (after ∂L/∂h_t).', 'c_offset'],
    bindings: [
      ro('P'), ro('Cs'), ro('G'), ro('dHo'), ro('xi'),
      rw('dHCc', ['// The carried gradients: into h at [b·H + j], into c at [B·H + b·H + j].']),
      rw('dG'),
      rw('dHC', ['// ∂L/∂h_t at [row], ∂L/∂c_t at [c_offset + row] (8 storage buffers in all:', "// WebGPU's default maxStorageBuffersPerShaderStage)."]),
    ],
    helpers: ['tanh_', 'xi_of'],
    cache: 'dgs',
    workgroup: `// dG of sequence r, gate g, unit j at dgs[r · 4 · H_MAX + g · H + j] (gates i, f, g, o).
var<workgroup> dgs: array<f32, ROWS * 4u * H_MAX>;`,
    pointwiseXi: true,
    functions: `// Phase 1 for sequence b0 + r, unit j, step t: dh, dc, dG; carry_c.
fn pointwise(r: u32, t: u32, b0: u32, j: u32, m: f32, x: f32) {
  let b = b0 + r;
  let H = p.H;
  var d = vec4f(0.0);
  if (b < p.B) {
    let s = (t * p.B + b) * H + j;
    let q = (t * p.B + b) * 4u * H + j;
    let ig = G[q];
    let fg = G[q + H];
    let gg = G[q + 2u * H];
    let og = G[q + 3u * H];
    let tc = tanh_(Cs[s + p.B * H]);
    let dh = m * dHo[s] + dHCc[b * H + j];
    let dc = dHCc[p.B * H + b * H + j] + dh * og * (1.0 - tc * tc);
    dHC[s] = dh;
    dHC[p.c_offset + s] = dc;
    d = vec4f(
      dc * gg * ig * (1.0 - ig),
      dc * Cs[s] * fg * (1.0 - fg),
      dc * ig * (1.0 - gg * gg),
      dh * tc * og * (1.0 - og),
    );
    dG[q] = d.x;
    dG[q + H] = d.y;
    dG[q + 2u * H] = d.z;
    dG[q + 3u * H] = d.w;
    dHCc[p.B * H + b * H + j] = select(x * dc * fg, 0.0, x == 0.0);
  }
  let ci = r * 4u * H_MAX + j;
  dgs[ci] = d.x;
  dgs[ci + H] = d.y;
  dgs[ci + 2u * H] = d.z;
  dgs[ci + 3u * H] = d.w;
}

// carry_h of sequence b, units k: ξ · (W_hhᵀ dG)[k] (k.x … k.w; those ≥ H skipped).
fn put_carry(b: u32, k: vec4u, x: f32, acc: vec4f) {
  if (b >= p.B) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (k[c] < p.H) { dHCc[b * p.H + k[c]] = select(x * acc[c], 0.0, x == 0.0); }
  }
}`,
  },
};

const GRU: RecurrenceCellParts = {
  gates: 3,
  forward: {
    doc: `// gru_forward.wgsl — the GRU forward recurrence, steps t0 ≤ t < t1 in one dispatch.
//
//   Zx_t = W_ih x_t + b_ih (precomputed; gate order r, z, n as PyTorch)
//   r  = σ(Zx_r + W_hr h_t [+ b_hr])      z = σ(Zx_z + W_hz h_t [+ b_hz])
//   hn = W_hn h_t [+ b_hn]                n = tanh(Zx_n + r ⊙ hn)
//   h_{t+1} = (1 − z) ⊙ n + z ⊙ h_t
//
// State index: Hs[t0] holds the state on entry, Hs[t + 1] the state after
// step t. [r, z, n, hn] of every step are stored in G for the backward pass
// (hn is needed for ∂L/∂r).
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b]; a padded
// step holds h and stores zero gates, so the state after the window is the
// state after each sequence's last real step (PyTorch's packed sequences).
// The loss puts no weight on padded steps, so the reverse kernel's gradients
// there are exactly 0 and it needs no lengths.
//
// Each workgroup owns ROWS sequences and walks them through time alone (no
// waiting between workgroups); their h lives in workgroup memory, double
// buffered. Each thread owns the 2 neighbouring hidden units j, j + 1
// (j = 2·li, then 2·WG further) and computes the three recurrent sums of
// each (k walked one at a time: 6 weight loads and ROWS workgroup loads feed
// 6 · ROWS multiply-adds) and then the cell, fused. The weights are read
// transposed (WT[k, q] = W_hh[q, k]): a gate's 2 weights side by side.
//
// WT: (H, 3H) row-major from 0     b_hh: (3H) at P[b_offset] (HAS_BIAS)
// Zx: (T, B, 3H)   Hs: (T + 1, B, H)   G: (T, B, 4H)   lengths: (B) u32
// Dispatch: (ceil(B / ROWS), 1, 1).`,
    params: ['b_offset'],
    bindings: [ro('WT'), ro('P'), ro('Zx'), rw('Hs'), rw('G'), LENGTHS],
    helpers: ['sigmoid', 'tanh_'],
    step: 'cell',
    functions: `// The cell of sequence b0 + r, unit j, step t, from the recurrent sums acc
// (r, z, n); writes h, the gates, and h into the next cache half.
fn cell(r: u32, acc: vec3f, t: u32, b0: u32, j: u32, cur: u32, nxt: u32) {
  let b = b0 + r;
  let H = p.H;
  var h = 0.0;
  if (b < p.B && t >= lengths[b]) {
    // a padded step: the state is held, the gates are zero
    h = hs[cur + r * H_MAX + j];
    Hs[((t + 1u) * p.B + b) * H + j] = h;
    let g = (t * p.B + b) * 4u * H + j;
    G[g] = 0.0;
    G[g + H] = 0.0;
    G[g + 2u * H] = 0.0;
    G[g + 3u * H] = 0.0;
  } else if (b < p.B) {
    var a = acc;
    if (HAS_BIAS) {
      let o = p.b_offset + j;
      a += vec3f(P[o], P[o + H], P[o + 2u * H]);
    }
    let q = (t * p.B + b) * 3u * H + j;
    let rg = sigmoid(Zx[q] + a.x);
    let zg = sigmoid(Zx[q + H] + a.y);
    let ng = tanh_(Zx[q + 2u * H] + rg * a.z);
    h = (1.0 - zg) * ng + zg * hs[cur + r * H_MAX + j];
    Hs[((t + 1u) * p.B + b) * H + j] = h;
    let g = (t * p.B + b) * 4u * H + j;
    G[g] = rg;
    G[g + H] = zg;
    G[g + 2u * H] = ng;
    G[g + 3u * H] = a.z;
  }
  hs[nxt + r * H_MAX + j] = h;
}`,
  },
  backward: {
    doc: `// gru_backward.wgsl — the GRU reverse-time recurrence, steps t1 > t ≥ t0 in
// one dispatch, with the multiplier ξ that implements truncation.
//
// With r, z, n, hn the stored gates of step t and h_prev = Hs[t]:
//   dh  = m_t · dHo_t + carry                 (∂L/∂h_{t+1}, written to dH)
//   dn  = dh ⊙ (1 − z) ⊙ (1 − n²)             (∂L/∂ n's pre-activation)
//   dz  = dh ⊙ (h_prev − n) ⊙ z(1 − z)
//   dr  = dn ⊙ hn ⊙ r(1 − r)
//   dGi_t = [dr, dz, dn]        (∂L/∂ of W_ih x + b_ih per gate)
//   dGh_t = [dr, dz, dn ⊙ r]    (∂L/∂ of W_hh h + b_hh per gate)
//   carry ← ξ_{t,b} · (dh ⊙ z + W_hhᵀ dGh_t)  (into h_t)
//
// ξ = 0 cuts exactly (a select, never 0 · x). Only the carry is scaled; the
// weight-gradient terms of step t are not. The loss mask m_t selects the
// losses of one gradient stream (1 otherwise).
//
// Each workgroup owns ROWS sequences; each thread owns the 8 neighbouring
// hidden units j0 … j0 + 7 (j0 = 8·li, then 8·WG further) in both phases, so
// the carry of its units stays in dHc, read and written by that thread only
// (phase 1 leaves dh ⊙ z there for phase 2). Phase 1 (pointwise) puts dGh of
// the ROWS sequences in workgroup memory; phase 2 is the GEMV
// Σ_q W_hh[q, k] dGh[q] over the 3H gate rows q, walked one at a time: per
// q, 8 weight loads and ROWS workgroup loads feed 8 · ROWS multiply-adds.
//
// W_hh: (3H, H) row-major at P[w_offset]
// Hs: (T + 1, B, H)   G: (T, B, 4H) [r, z, n, hn]   dHo: (T, B, H)
// xi: ξ_{t,b} at xi[xi_offset + t·B + b], m_t at xi[mask_offset + t]
// dHc: (B, H) in: the gradient into h_{t1}; out: into h_{t0}
// dGi, dGh: (T, B, 3H)   dH: (T, B, H)   (written for t0 ≤ t < t1)
// Dispatch: (ceil(B / ROWS), 1, 1).`,
    params: ['w_offset', 'xi_offset', 'mask_offset', '// Element offset of dGh in dG (after dGi).', 'gh_offset'],
    bindings: [
      ro('P'), ro('Hs'), ro('G'), ro('dHo'), ro('xi'), rw('dHc'),
      rw('dG', ['// dGi at [o], dGh at [gh_offset + o] (one binding: 8 storage buffers in all,', "// WebGPU's default maxStorageBuffersPerShaderStage)."]),
      rw('dH'),
    ],
    helpers: ['xi_of'],
    cache: 'dgs',
    workgroup: `// dGh of sequence r, gate g, unit j at dgs[r · 3 · H_MAX + g · H + j] (gates r, z, n).
var<workgroup> dgs: array<f32, ROWS * 3u * H_MAX>;`,
    functions: `// Phase 1 for sequence b0 + r, unit j, step t: dh, dGi, dGh; dh ⊙ z into dHc.
fn pointwise(r: u32, t: u32, b0: u32, j: u32, m: f32) {
  let b = b0 + r;
  let H = p.H;
  var d = vec3f(0.0);
  if (b < p.B) {
    let s = (t * p.B + b) * H + j;
    let q = (t * p.B + b) * 4u * H + j;
    let rg = G[q];
    let zg = G[q + H];
    let ng = G[q + 2u * H];
    let hn = G[q + 3u * H];
    let dh = m * dHo[s] + dHc[b * H + j];
    dH[s] = dh;
    let dn = dh * (1.0 - zg) * (1.0 - ng * ng);
    let dz = dh * (Hs[s] - ng) * zg * (1.0 - zg);
    let dr = dn * hn * rg * (1.0 - rg);
    let o = (t * p.B + b) * 3u * H + j;
    dG[o] = dr;
    dG[o + H] = dz;
    dG[o + 2u * H] = dn;
    d = vec3f(dr, dz, dn * rg);
    let oh = p.gh_offset + o;
    dG[oh] = d.x;
    dG[oh + H] = d.y;
    dG[oh + 2u * H] = d.z;
    dHc[b * H + j] = dh * zg;
  }
  let ci = r * 3u * H_MAX + j;
  dgs[ci] = d.x;
  dgs[ci + H] = d.y;
  dgs[ci + 2u * H] = d.z;
}

// The carry of sequence b, units k: ξ · (dh ⊙ z + W_hhᵀ dGh)[k] (k.x … k.w;
// those ≥ H skipped).
fn put_carry(b: u32, k: vec4u, x: f32, acc: vec4f) {
  if (b >= p.B) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (k[c] < p.H) {
      let i = b * p.H + k[c];
      dHc[i] = select(x * (dHc[i] + acc[c]), 0.0, x == 0.0);
    }
  }
}`,
  },
};

/** Each cell's own parts of its two recurrence shaders. */
export const RECURRENCE_CELLS: Record<RecurrenceCell, RecurrenceCellParts> = { rnn: RNN, lstm: LSTM, gru: GRU };
