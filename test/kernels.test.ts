// Every WGSL kernel on a real WebGPU device against its float64 reference
// (src/reference/kernels64.ts), over several shapes: sizes that are not
// multiples of the workgroup size, B = 1, T = 1, H above 128 and above 256.
// Prints the max error of each case. The kernels checked here:
// matmul (with its bias/tanh/relu epilogues and beta), embed_gather,
// embed_grad, colsum, rnn_forward, rnn_backward, softmax_xent, mse_loss,
// reduce_sum, clip_update, transpose, segment_norms, power_iteration,
// carry_state. The rnn cases also run the split recurrence (cell 'rnn',
// tests named `split …`) with the same buffers and checks. Elsewhere: the
// LSTM and GRU recurrences of both kinds, the rnn's chunks t0 > 0 and
// sequence lengths, and ξ = 0 cutting a non-finite gradient for every cell,
// in test/cell-kernels.test.ts; whole training steps with recurrence
// 'split' and its options in test/split-recurrence.test.ts; the shared
// operands in test/recurrence-fixtures.ts.
import { describe, it, expect } from 'vitest';
import { relErr, kernelHarness, report } from './harness';
import { createRng } from '../src/util/rng';
import { createMatmul } from '../src/kernels/matmul';
import { createEmbedGather, createEmbedGrad, bucketByToken } from '../src/kernels/embed';
import { createColsum } from '../src/kernels/colsum';
import { createAccumulate } from '../src/kernels/accumulate';
import { createLoss } from '../src/kernels/loss';
import { createReduceSum } from '../src/kernels/reduce';
import { createClipUpdate, STATS } from '../src/kernels/clip-update';
import { createTranspose } from '../src/kernels/transpose';
import { createSegmentNorms, createPowerIteration, spectralRadius } from '../src/kernels/diagnostics';
import { createCarryState } from '../src/kernels/carry';
import * as ref from '../src/reference/kernels64';
import { KERNEL_KINDS, rnnKernels, kindTestName, kernelLabel, labelWidth, transpose, xiPattern, maskPattern, cat } from './recurrence-fixtures';

const rng = createRng(2024);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const randi = (n: number, hi: number) => Uint32Array.from({ length: n }, () => rng.int(hi));
const setup = kernelHarness;

describe('matmul.wgsl', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [65, 33, 130], [130, 70, 200]];
  for (const [M, N, K] of shapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`, async () => {
        const { device, up, zeros, run, read } = await setup();
        const A = randn(M * K), B = randn(K * N);
        const k = createMatmul(device, { transA, transB });
        const c = zeros(M * N);
        run(k, k.bind({ a: up(A), b: up(B), c }, { M, N, K }));
        report(`matmul ${M}x${N}x${K} tA=${+transA} tB=${+transB}`, relErr(await read(c, M * N), ref.matmul64(A, B, M, N, K, { transA, transB })), 1e-5);
      });
    }
  }
  it('bias + tanh epilogue, beta = 1, element offsets', async () => {
    const { device, up, run, read } = await setup();
    const M = 37, N = 70, K = 19, ao = 3, bo = 64, co = 128, bio = 5;
    const A = randn(ao + M * K), B = randn(bo + N * K), C0 = randn(co + M * N), bias = randn(bio + N);
    const k = createMatmul(device, { transB: true, bias: true, activation: 'tanh' });
    const c = up(C0);
    run(k, k.bind({ a: up(A), b: up(B), c, bias: up(bias) }, { M, N, K, aOffset: ao, bOffset: bo, cOffset: co, biasOffset: bio, beta: 1 }));
    const want = ref.matmul64(A.subarray(ao), B.subarray(bo), M, N, K, { transB: true, bias: bias.subarray(bio), activation: 'tanh', C: C0.subarray(co), beta: 1 });
    report('matmul bias+tanh beta=1 offsets', relErr(await read(c, M * N, co), want), 1e-5);
    expect(Array.from(await read(c, co))).toEqual(Array.from(C0.subarray(0, co))); // nothing before the offset touched
  });
  // the relu epilogue, and C = beta·C + A·B with beta ≠ 1 (0.5 and 2), on shapes that do and do not fill a tile
  for (const [M, N, K] of [[5, 7, 3], [64, 64, 32], [33, 70, 130]] as const) {
    for (const beta of [0.5, 2]) {
      it(`relu epilogue with bias, beta = ${beta}: M=${M} N=${N} K=${K}`, async () => {
        const { device, up, run, read } = await setup();
        const A = randn(M * K), B = randn(K * N), C0 = randn(M * N), bias = randn(N, 0.5);
        const k = createMatmul(device, { bias: true, activation: 'relu' });
        const c = up(C0);
        run(k, k.bind({ a: up(A), b: up(B), c, bias: up(bias) }, { M, N, K, beta }));
        const want = ref.matmul64(A, B, M, N, K, { bias, activation: 'relu', C: C0, beta });
        const got = await read(c, M * N);
        // relu really clipped: about half the outputs are exactly 0, where the float64 result is ≤ 0
        const zeros = want.filter((v) => v === 0).length;
        expect(zeros).toBeGreaterThan((M * N) / 5);
        want.forEach((v, i) => v === 0 && expect(got[i]).toBe(0));
        report(`matmul relu+bias beta=${beta} ${M}x${N}x${K}`, relErr(got, want), 1e-5);
      });
    }
  }
  it('beta = 0.5 without epilogue, transposed operands and offsets', async () => {
    const { device, up, run, read } = await setup();
    const M = 19, N = 40, K = 66, ao = 7, bo = 3, co = 11;
    const A = randn(ao + M * K), B = randn(bo + N * K), C0 = randn(co + M * N + 4);
    const k = createMatmul(device, { transA: true, transB: true });
    const c = up(C0);
    run(k, k.bind({ a: up(A), b: up(B), c }, { M, N, K, aOffset: ao, bOffset: bo, cOffset: co, beta: 0.5 }));
    const want = ref.matmul64(A.subarray(ao), B.subarray(bo), M, N, K, { transA: true, transB: true, C: C0.subarray(co), beta: 0.5 });
    report('matmul beta=0.5 tA tB offsets', relErr(await read(c, M * N, co), want), 1e-5);
    const all = await read(c, C0.length);
    expect(Array.from(all.subarray(0, co))).toEqual(Array.from(C0.subarray(0, co)));
    expect(Array.from(all.subarray(co + M * N))).toEqual(Array.from(C0.subarray(co + M * N))); // nor after the end
  });
});

describe('embed_gather.wgsl / embed_grad.wgsl', () => {
  for (const [R, H, V] of [[1, 1, 2], [6, 13, 5], [40, 130, 3], [9, 257, 30]]) {
    it(`R=${R} H=${H} V=${V}`, async () => {
      const { device, up, zeros, run, read } = await setup();
      const W = randn(H * V), bh = randn(H), tokens = randi(R, V), dZ = randn(R * H);
      const P = new Float32Array(64 + H * V + 64 + H);
      P.set(W, 64);
      P.set(bh, 128 + H * V);
      const g = createEmbedGather(device, { bias: true });
      const zx = zeros(R * H);
      run(g, g.bind({ params: up(P), tokens: up(tokens), zx }, { R, H, V, wOffset: 64, bOffset: 128 + H * V }));
      report(`embed_gather R=${R} H=${H} V=${V}`, relErr(await read(zx, R * H), ref.embedGather64(W, tokens, H, V, bh)), 1e-7);
      const { start, order } = bucketByToken(tokens, V);
      const eg = createEmbedGrad(device);
      const G = zeros(H * V + 64);
      run(eg, eg.bind({ dZ: up(dZ), start: up(start), order: up(order), grads: G }, { R, H, V, wOffset: 64 }));
      report(`embed_grad R=${R} H=${H} V=${V}`, relErr(await read(G, H * V, 64), ref.embedGrad64(dZ, tokens, H, V)), 1e-6);
    });
  }
});

describe('accumulate.wgsl', () => {
  for (const [n, beta] of [[1, 0], [1000, 1], [70_001, 0.5]]) {
    it(`n=${n} beta=${beta}`, async () => {
      const { device, up, run, read } = await setup();
      const x = randn(n), y0 = randn(n);
      if (beta === 0) y0[0] = NaN; // overwritten, not scaled
      const k = createAccumulate(device);
      const y = up(y0);
      run(k, k.bind({ x: up(x), y }, { n, beta }));
      report(`accumulate n=${n} beta=${beta}`, relErr(await read(y, n), ref.accumulate64(x, y0, beta)), 1e-6);
    });
  }
});

describe('colsum.wgsl', () => {
  for (const [R, N] of [[1, 1], [100, 70], [7, 300]]) {
    it(`R=${R} N=${N}`, async () => {
      const { device, up, zeros, run, read } = await setup();
      const X = randn(R * N);
      const k = createColsum(device);
      const out = zeros(N + 3);
      run(k, k.bind({ x: up(X), out }, { R, N, outOffset: 3 }));
      report(`colsum R=${R} N=${N}`, relErr(await read(out, N, 3), ref.colsum64(X, R, N)), 1e-6);
    });
  }
});

// The rnn recurrence: every case runs on both kinds of kernel, which bind
// the same buffers and dims (test/recurrence-fixtures.ts): the sequence
// kernels (rnn_forward.wgsl / rnn_backward.wgsl at `rows` sequences per
// workgroup) and the split recurrence (src/kernels/split.ts, cell 'rnn'; no
// rows), whose tests are named `split …`.
describe('rnn_forward.wgsl / rnn_backward.wgsl', () => {
  const cases: [number, number, number, 'tanh' | 'identity' | 'relu', number][] = [
    [1, 1, 1, 'tanh', 1],
    [3, 5, 13, 'tanh', 1],
    [1, 4, 130, 'relu', 1],
    [5, 3, 33, 'identity', 2],
    [3, 2, 257, 'tanh', 4],
    [6, 3, 70, 'tanh', 4],
    [1, 2, 1030, 'identity', 1],
    [11, 3, 21, 'tanh', 8], // rows 8: B not a multiple of it
  ];
  for (const kind of KERNEL_KINDS) {
    for (const [B, T, H, activation, rows] of cases) {
      const bias = rows !== 2; // b_hh (stacked models) on most cases
      const shape = `B=${B} T=${T} H=${H}`;
      // the sequence kernels' names and labels carry φ and rows; the split's, φ and bias in the name only
      const rowsTag = kind === 'sequence' ? ` ${activation} rows=${rows}` : '';
      const width = labelWidth(kind, 48);
      it(kindTestName(kind, kind === 'sequence' ? `${shape}${rowsTag}` : `${shape} ${activation}${bias ? ' bias' : ''}`), async () => {
        const { device, up, zeros, run, read } = await setup();
        const W = randn(H * H, 1 / Math.sqrt(H)), Zx = randn(T * B * H), h0 = randn(B * H, 0.5);
        const b_hh = randn(H);
        const bOffset = 64 + Math.ceil((H * H) / 64) * 64;
        const P = new Float32Array(bOffset + H);
        P.set(W, 64);
        P.set(b_hh, bOffset);
        const params = up(P);
        const WT = new Float32Array(64 + H * H);
        WT.set(transpose(W, H, H), 64);
        const hsInit = new Float32Array((T + 1) * B * H);
        hsInit.set(h0);
        const hs = up(hsInit);
        const fwd = rnnKernels.forward[kind](device, H, rows, { activation, bias });
        run(fwd, fwd.bind({ weightsT: up(WT), zx: up(Zx), hs, params }, { B, t0: 0, t1: T, wOffset: 64, bOffset }));
        const HsRef = ref.rnnForward64(W, Zx, h0, B, T, H, activation, bias ? b_hh : undefined);
        const HsGpu = await read(hs, (T + 1) * B * H);
        report(`${kernelLabel(kind, 'rnn', 'forward')} ${shape}${rowsTag}`, relErr(HsGpu, HsRef), 1e-5, width);

        const dHo = randn(T * B * H), dHc0 = randn(B * H);
        // ξ per step and sequence (0, 2 or 1), and a loss mask with a zero; the mask first, then ξ
        const xi = xiPattern(T, B), mask = maskPattern(T, 3);
        const bwd = rnnKernels.backward[kind](device, H, rows, { activation });
        const dHc = up(dHc0), dZ = zeros(T * B * H), dH = zeros(T * B * H);
        run(bwd, bwd.bind({ params, hs, dHo: up(dHo), xi: up(cat(mask, xi)), dHc, dG: dZ, dH }, { B, t0: 0, t1: T, wOffset: 64, xiOffset: T, maskOffset: 0 }));
        // the backward reference uses the GPU's own states, so only this kernel is measured
        const want = ref.rnnBackward64(W, HsGpu, dHo, xi, mask, dHc0, B, T, H, activation);
        const backward = kernelLabel(kind, 'rnn', 'backward');
        report(`${backward} dZ ${shape}${rowsTag}`, relErr(await read(dZ, T * B * H), want.dZ), 1e-5, width);
        report(`${backward} dH ${shape}`, relErr(await read(dH, T * B * H), want.dH), 1e-5, width);
        report(`${backward} carry ${shape}`, relErr(await read(dHc, B * H), want.carry), 1e-5, width);
      });
    }
  }
});

describe('softmax_xent.wgsl / mse_loss.wgsl', () => {
  for (const [R, Q, r0] of [[1, 2, 0], [7, 65, 0], [3, 300, 0], [9, 11, 4]]) {
    it(`R=${R} Q=${Q} r0=${r0}`, async () => {
      const { device, up, run, read } = await setup();
      const O = randn(R * Q, 3), targets = randi(R, Q), Y = randn(R * Q);
      for (const kind of ['softmax-xent', 'mse'] as const) {
        const k = createLoss(device, kind);
        // rows before r0 must be overwritten with zeros: start them at garbage
        const dO = up(randn(R * Q)), lossRows = up(randn(R));
        run(k, k.bind({ o: up(O), targets: up(kind === 'mse' ? Y : targets), dO, lossRows }, { R, Q, scale: 1 / R, r0 }));
        const want = kind === 'mse' ? ref.mse64(O, Y, R, Q, 1 / R, r0) : ref.softmaxXent64(O, targets, R, Q, 1 / R, r0);
        report(`${kind} dO R=${R} Q=${Q} r0=${r0}`, relErr(await read(dO, R * Q), want.dO), 1e-5);
        report(`${kind} loss R=${R} Q=${Q} r0=${r0}`, relErr(await read(lossRows, R), want.lossRows), 1e-5);
      }
    });
  }
});

describe('reduce_sum.wgsl', () => {
  for (const n of [1, 1000, 5_000, 70_001]) { // 1, 1, 5 and 64 workgroups of partial sums
    it(`n=${n}`, async () => {
      const { device, up, zeros, run, read } = await setup();
      const X = randn(n + 5);
      for (const square of [false, true]) {
        const k = createReduceSum(device, { square });
        const out = zeros(4);
        run(k, k.bind({ x: up(X), partials: zeros(256), out }, { n, xOffset: 5, outIndex: 2 }));
        const want = ref.reduceSum64(X.subarray(5), square);
        const got = (await read(out, 1, 2))[0];
        // error relative to Σ|x|, the scale of f32 summation error (a sum can cancel to near 0)
        const scale = ref.reduceSum64(X.subarray(5).map(Math.abs), square);
        report(`reduce_sum n=${n} square=${square}`, Math.abs(got - want) / scale, 1e-6);
      }
    });
  }
});

describe('clip_update.wgsl', () => {
  for (const kind of ['sgd', 'adagrad', 'adam'] as const) {
    it(`${kind}: 3 steps with clipping, then a NaN step that is skipped`, async () => {
      const { device, up, zeros, run, read } = await setup();
      const n = 1000;
      const P0 = randn(n);
      const params = up(P0), grads = zeros(n), stats = zeros(STATS.byteSize / 4), s1 = zeros(n), s2 = zeros(n);
      const k = createClipUpdate(device, kind);
      const o = { kind, lr: 0.1, clip: 5, beta1: 0.8, beta2: 0.99, eps: 1e-6 };
      const P = Float64Array.from(P0);
      const st = { s1: new Float64Array(n), s2: new Float64Array(n), step: 0 };
      const sq = createReduceSum(device, { square: true });
      for (let step = 0; step < 4; step++) {
        const G = randn(n, step === 1 ? 0.01 : 1); // step 1 is under the clip threshold
        const loss = step === 3 ? NaN : 1.5;
        if (step === 3) G[7] = Infinity;
        device.queue.writeBuffer(grads, 0, G);
        device.queue.writeBuffer(stats, 0, new Float32Array([loss]));
        run(sq, sq.bind({ x: grads, partials: zeros(256), out: stats }, { n, outIndex: STATS.gradSumsq }));
        run(k, k.bind({ stats, params, grads, s1, s2 }, { n, ...o }));
        const want = ref.clipUpdate64(P, G, loss, st, o);
        const s = STATS.decode((await read(stats, STATS.byteSize / 4)).buffer as ArrayBuffer);
        expect(s.skipped).toBe(want.skipped);
        if (!want.skipped) expect(Math.abs(s.clipScale - want.scale) / want.scale).toBeLessThan(1e-5);
        report(`clip_update ${kind} step ${step}${want.skipped ? ' (skipped)' : ''}`, relErr(await read(params, n), P), 1e-5);
      }
      const s = STATS.decode((await read(stats, STATS.byteSize / 4)).buffer as ArrayBuffer);
      expect(s.step).toBe(3);
      expect(s.skippedTotal).toBe(1);
      expect(s.clippedTotal).toBe(2);
    });
  }
});

describe('transpose.wgsl', () => {
  for (const [rows, cols, xOffset] of [[1, 1, 0], [5, 7, 3], [130, 67, 64], [9, 257, 1]] as const) {
    it(`rows=${rows} cols=${cols} xOffset=${xOffset}`, async () => {
      const { device, up, zeros, run, read } = await setup();
      const X = randn(xOffset + rows * cols);
      const k = createTranspose(device);
      const out = zeros(rows * cols);
      run(k, k.bind({ x: up(X), out }, { rows, cols, xOffset }));
      const got = await read(out, rows * cols);
      const want = ref.transpose64(X, rows, cols, xOffset);
      report(`transpose ${rows}x${cols} offset ${xOffset}`, relErr(got, want), 1e-30);
      expect(Array.from(got)).toEqual(Array.from(want)); // a copy: exact
    });
  }
});

describe('segment_norms.wgsl', () => {
  // len below, at and above the workgroup size (64); S past 65535 wraps into the y dimension
  for (const [S, len, outOffset, xOffset] of [[1, 1, 0, 0], [7, 64, 2, 0], [35, 514, 0, 0], [3, 1000, 5, 0], [65537, 1, 1, 0], [6, 70, 0, 33]] as const) {
    it(`S=${S} len=${len} outOffset=${outOffset} xOffset=${xOffset}`, async () => {
      const { device, up, run, read } = await setup();
      const X = randn(xOffset + S * len);
      const k = createSegmentNorms(device);
      const out = up(new Float32Array(outOffset + S + 1).fill(-1));
      run(k, k.bind({ x: up(X), out }, { segments: S, len, outOffset, xOffset }));
      const all = await read(out, outOffset + S + 1);
      report(`segment_norms S=${S} len=${len} xOffset=${xOffset}`, relErr(all.subarray(outOffset, outOffset + S), ref.segmentNorms64(X, S, len, xOffset)), 1e-6);
      expect(all[outOffset + S]).toBe(-1); // nothing past the last segment written
      if (outOffset) expect(all[0]).toBe(-1);
    });
  }
});

describe('power_iteration.wgsl', () => {
  for (const [H, iters, wOffset] of [[1, 5, 0], [13, 30, 64], [130, 40, 3], [300, 20, 0]] as const) {
    it(`H=${H} iters=${iters} wOffset=${wOffset}`, async () => {
      const { device, up, run, read } = await setup();
      const W = randn(wOffset + H * H, 1.2 / Math.sqrt(H));
      const k = createPowerIteration(device, H);
      const growth = up(new Float32Array(iters + 2).fill(-1));
      run(k, k.bind({ params: up(W), growth }, { wOffset, iters, outOffset: 1 }));
      const all = await read(growth, iters + 2);
      const want = ref.powerIteration64(W, H, iters, wOffset);
      report(`power_iteration H=${H} iters=${iters}`, relErr(all.subarray(1, 1 + iters), want), 1e-5);
      expect([all[0], all[iters + 1]]).toEqual([-1, -1]);
    });
  }
  it('ρ of a symmetric matrix with known eigenvalues (largest |λ| = 1.3)', async () => {
    const { device, up, zeros, run, read } = await setup();
    // W = Q diag(λ) Qᵀ with Q = I − 2uuᵀ (a Householder reflection), λ = −1.3, 0.6, 0.5, …
    const H = 40, iters = 60;
    const u = Float64Array.from({ length: H }, () => rng.normal());
    const nu = Math.hypot(...u);
    const Q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i] * u[j]) / (nu * nu);
    const lambda = Float64Array.from({ length: H }, (_, i) => (i === 0 ? -1.3 : 0.6 - (0.5 * i) / H));
    const W = new Float32Array(H * H);
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += Q(i, k) * lambda[k] * Q(j, k);
      W[i * H + j] = s;
    }
    const k = createPowerIteration(device, H);
    const growth = zeros(iters);
    run(k, k.bind({ params: up(W), growth }, { wOffset: 0, iters }));
    const rho = spectralRadius(await read(growth, iters));
    report('power_iteration ρ vs known 1.3', Math.abs(rho - 1.3) / 1.3, 1e-4);
  });
});

describe('carry_state.wgsl', () => {
  for (const n of [1, 70, 1000]) {
    for (const skipped of [false, true]) {
      it(`n=${n} ${skipped ? 'after a skipped step: zeros' : 'carried, non-finite entries zeroed'}`, async () => {
        const { device, up, run, read } = await setup();
        const last = randn(n);
        if (n > 5) [last[1], last[2], last[3], last[4]] = [NaN, Infinity, -Infinity, -0];
        const stats = new Uint32Array(STATS.byteSize / 4);
        stats[4] = skipped ? 1 : 0; // Stats.skipped
        const hsInit = new Float32Array(n + 6).fill(7); // entries past n are the rest of Hs: untouched
        const hs = up(hsInit);
        const k = createCarryState(device);
        run(k, k.bind({ last: up(last), stats: up(stats), hs }, { n }));
        const all = await read(hs, n + 6);
        const want = ref.carryState64(last, skipped, n);
        report(`carry_state n=${n} skipped=${skipped}`, relErr(all.subarray(0, n), want), 1e-30);
        expect(Array.from(all.subarray(0, n))).toEqual(Array.from(want)); // a copy or a zero: exact
        expect(Array.from(all.subarray(n))).toEqual(new Array(6).fill(7));
      });
    }
  }
});
