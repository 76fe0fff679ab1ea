// Float64 references for the gated cells' recurrence kernels, one plain
// function per kernel (lstm_*.wgsl, gru_*.wgsl, which
// src/kernels/recurrence-wgsl.ts writes), with the kernels' own conventions:
// row-major, time-major (row r = t·B + b), state index 0 = the state on
// entry, gate order as PyTorch (LSTM i, f, g, o; GRU r, z, n). They cover
// steps 0 ≤ t < T; a kernel's chunk t0 ≤ t < t1 is the same computation on
// the tensors' slices from t0.
// test/cell-kernels.test.ts checks every kernel against these on a real
// device, and these backward functions against centred finite differences of
// these forward functions.

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** tanh as the kernels compute it (clamped to ±15, where f32 tanh is ±1 already). */
const tanh = (x: number) => Math.tanh(Math.min(15, Math.max(-15, x)));

/**
 * lstm_forward.wgsl: a = Zx[t] + W_hh h_t [+ b_hh]; i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g);
 * c_{t+1} = f⊙c_t + i⊙g; h_{t+1} = o⊙tanh(c_{t+1}).
 * W_hh: (4H, H); Zx: (T, B, 4H); h0, c0: (B, H). Returns Hs, Cs: (T + 1, B, H), gates: (T, B, 4H) [i, f, g, o].
 */
export function lstmForward64(
  W_hh: ArrayLike<number>, Zx: ArrayLike<number>, h0: ArrayLike<number>, c0: ArrayLike<number>,
  B: number, T: number, H: number, b_hh?: ArrayLike<number>,
): { Hs: Float64Array; Cs: Float64Array; gates: Float64Array } {
  const Hs = new Float64Array((T + 1) * B * H);
  const Cs = new Float64Array((T + 1) * B * H);
  const gates = new Float64Array(T * B * 4 * H);
  for (let i = 0; i < B * H; i++) {
    Hs[i] = h0[i];
    Cs[i] = c0[i];
  }
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = (t * B + b) * H;
      const q = (t * B + b) * 4 * H;
      for (let j = 0; j < H; j++) {
        const a = [0, 1, 2, 3].map((g) => {
          let z = Zx[q + g * H + j] + (b_hh ? b_hh[g * H + j] : 0);
          for (let k = 0; k < H; k++) z += W_hh[(g * H + j) * H + k] * Hs[s + k];
          return z;
        });
        const i = sigmoid(a[0]), f = sigmoid(a[1]), g = tanh(a[2]), o = sigmoid(a[3]);
        const c = f * Cs[s + j] + i * g;
        Cs[s + B * H + j] = c;
        Hs[s + B * H + j] = o * tanh(c);
        gates[q + j] = i;
        gates[q + H + j] = f;
        gates[q + 2 * H + j] = g;
        gates[q + 3 * H + j] = o;
      }
    }
  }
  return { Hs, Cs, gates };
}

/**
 * lstm_backward.wgsl, steps T − 1 … 0: dH[t] = m_t·dHo[t] + carry_h; dC[t] = carry_c + dH[t]⊙o⊙(1 − tanh²c_{t+1});
 * dG[t] = ∂L/∂a (i, f, g, o); carry_c = ξ_{t,b}·dC[t]⊙f; carry_h = ξ_{t,b}·W_hhᵀ dG[t] (ξ = 0: exactly 0).
 * Cs, gates as lstmForward64 returns them; dHo: (T, B, H); xi: (T, B); mask: (T); dHc, dCc: (B, H) the carries in.
 * Returns dG (T, B, 4H), dH, dC (T, B, H) and the carries out.
 */
export function lstmBackward64(
  W_hh: ArrayLike<number>, Cs: ArrayLike<number>, gates: ArrayLike<number>, dHo: ArrayLike<number>,
  xi: ArrayLike<number>, mask: ArrayLike<number>, dHc: ArrayLike<number>, dCc: ArrayLike<number>,
  B: number, T: number, H: number,
): { dG: Float64Array; dH: Float64Array; dC: Float64Array; dHc: Float64Array; dCc: Float64Array } {
  const dG = new Float64Array(T * B * 4 * H);
  const dH = new Float64Array(T * B * H);
  const dC = new Float64Array(T * B * H);
  const ch = Float64Array.from(dHc);
  const cc = Float64Array.from(dCc);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const s = (t * B + b) * H;
      const q = (t * B + b) * 4 * H;
      const x = xi[t * B + b];
      for (let j = 0; j < H; j++) {
        const i = gates[q + j], f = gates[q + H + j], g = gates[q + 2 * H + j], o = gates[q + 3 * H + j];
        const tc = tanh(Cs[s + B * H + j]);
        const dh = mask[t] * dHo[s + j] + ch[b * H + j];
        const dc = cc[b * H + j] + dh * o * (1 - tc * tc);
        dH[s + j] = dh;
        dC[s + j] = dc;
        dG[q + j] = dc * g * i * (1 - i);
        dG[q + H + j] = dc * Cs[s + j] * f * (1 - f);
        dG[q + 2 * H + j] = dc * i * (1 - g * g);
        dG[q + 3 * H + j] = dh * tc * o * (1 - o);
        cc[b * H + j] = x === 0 ? 0 : x * dc * f;
      }
      for (let k = 0; k < H; k++) {
        let sum = 0;
        for (let r = 0; r < 4 * H; r++) sum += W_hh[r * H + k] * dG[q + r];
        ch[b * H + k] = x === 0 ? 0 : x * sum;
      }
    }
  }
  return { dG, dH, dC, dHc: ch, dCc: cc };
}

/**
 * gru_forward.wgsl: r = σ(Zx_r + W_hr h + b_hr), z = σ(Zx_z + W_hz h + b_hz), hn = W_hn h + b_hn,
 * n = tanh(Zx_n + r⊙hn), h_{t+1} = (1 − z)⊙n + z⊙h_t.
 * W_hh: (3H, H); Zx: (T, B, 3H); h0: (B, H). Returns Hs: (T + 1, B, H), gates: (T, B, 4H) [r, z, n, hn].
 */
export function gruForward64(
  W_hh: ArrayLike<number>, Zx: ArrayLike<number>, h0: ArrayLike<number>,
  B: number, T: number, H: number, b_hh?: ArrayLike<number>,
): { Hs: Float64Array; gates: Float64Array } {
  const Hs = new Float64Array((T + 1) * B * H);
  const gates = new Float64Array(T * B * 4 * H);
  for (let i = 0; i < B * H; i++) Hs[i] = h0[i];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = (t * B + b) * H;
      const q = (t * B + b) * 3 * H;
      const o = (t * B + b) * 4 * H;
      for (let j = 0; j < H; j++) {
        const a = [0, 1, 2].map((g) => {
          let z = b_hh ? b_hh[g * H + j] : 0;
          for (let k = 0; k < H; k++) z += W_hh[(g * H + j) * H + k] * Hs[s + k];
          return z;
        });
        const r = sigmoid(Zx[q + j] + a[0]);
        const z = sigmoid(Zx[q + H + j] + a[1]);
        const n = tanh(Zx[q + 2 * H + j] + r * a[2]);
        Hs[s + B * H + j] = (1 - z) * n + z * Hs[s + j];
        gates[o + j] = r;
        gates[o + H + j] = z;
        gates[o + 2 * H + j] = n;
        gates[o + 3 * H + j] = a[2];
      }
    }
  }
  return { Hs, gates };
}

/**
 * gru_backward.wgsl, steps T − 1 … 0: dH[t] = m_t·dHo[t] + carry; dn = dH⊙(1 − z)⊙(1 − n²);
 * dz = dH⊙(h_t − n)⊙z(1 − z); dr = dn⊙hn⊙r(1 − r); dGi[t] = [dr, dz, dn]; dGh[t] = [dr, dz, dn⊙r];
 * carry = ξ_{t,b}·(dH⊙z + W_hhᵀ dGh[t]) (ξ = 0: exactly 0).
 * Hs, gates as gruForward64 returns them; dHo: (T, B, H); xi: (T, B); mask: (T); dHc: (B, H) the carry in.
 * Returns dGi, dGh (T, B, 3H), dH (T, B, H) and the carry out.
 */
export function gruBackward64(
  W_hh: ArrayLike<number>, Hs: ArrayLike<number>, gates: ArrayLike<number>, dHo: ArrayLike<number>,
  xi: ArrayLike<number>, mask: ArrayLike<number>, dHc: ArrayLike<number>,
  B: number, T: number, H: number,
): { dGi: Float64Array; dGh: Float64Array; dH: Float64Array; dHc: Float64Array } {
  const dGi = new Float64Array(T * B * 3 * H);
  const dGh = new Float64Array(T * B * 3 * H);
  const dH = new Float64Array(T * B * H);
  const carry = Float64Array.from(dHc);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const s = (t * B + b) * H;
      const q = (t * B + b) * 3 * H;
      const o = (t * B + b) * 4 * H;
      const x = xi[t * B + b];
      const direct = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const r = gates[o + j], z = gates[o + H + j], n = gates[o + 2 * H + j], hn = gates[o + 3 * H + j];
        const dh = mask[t] * dHo[s + j] + carry[b * H + j];
        dH[s + j] = dh;
        const dn = dh * (1 - z) * (1 - n * n);
        const dz = dh * (Hs[s + j] - n) * z * (1 - z);
        const dr = dn * hn * r * (1 - r);
        dGi[q + j] = dr;
        dGi[q + H + j] = dz;
        dGi[q + 2 * H + j] = dn;
        dGh[q + j] = dr;
        dGh[q + H + j] = dz;
        dGh[q + 2 * H + j] = dn * r;
        direct[j] = dh * z;
      }
      for (let k = 0; k < H; k++) {
        let sum = direct[k];
        for (let r = 0; r < 3 * H; r++) sum += W_hh[r * H + k] * dGh[q + r];
        carry[b * H + k] = x === 0 ? 0 : x * sum;
      }
    }
  }
  return { dGi, dGh, dH, dHc: carry };
}
