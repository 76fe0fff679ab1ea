// The chapter's forward-mode derivation (real-time recurrent learning:
// a_t = b_t + c_t·a_{t−1}, carried forward in time, src/reference/rtrl64.ts)
// against reverse mode, in float64 on a small model, for the chapter's three
// ways to cut the sum; and the GPU engine's float32 gradient for the same cut
// (the chapter's regular truncation "after τ steps" is TBPTT(1, τ + 1)).
import { forwardVsReverse } from '../src/reference/rtrl64';
import { BpttEngine } from '../src/engine/bptt';
import { explicit, full, tbptt, randomized, xiAt, type Truncation } from '../src/engine/truncation';
import { charLmConfig, type ModelConfig } from '../src/model/config';
import { initWeights, paramShapes, type Weights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import type { Batch } from '../src/reference/rnn64';
import type { StudyOptions } from './options';

/** Forward mode against reverse mode, per truncation. */
export interface ForwardModeResult {
  hidden: number;
  window: number;
  batch: number;
  rows: {
    truncation: string;
    /** max |forward − reverse| over every gradient entry (float64 both). */
    maxAbs: number;
    /** max over tensors of max|forward − reverse| / max|reverse|. */
    maxRel: number;
    /** The GPU engine (float32) against forward mode: max over tensors of max|gpu − forward| / max|forward|. */
    gpuRel: number;
    /** max |gradient entry|, for scale. */
    maxGrad: number;
  }[];
}

async function gpuGrads(device: GPUDevice, c: ModelConfig, w: Weights, batch: Batch, t: Truncation): Promise<Weights> {
  const plan = t.plan(batch.T, batch.B, createRng(0));
  const e = new BpttEngine(device, { config: c, batch: batch.B, steps: batch.T, streams: plan.streams });
  try {
    e.writeWeights(w);
    e.writeBatch({ tokens: Uint32Array.from(batch.tokens!), targets: Uint32Array.from(batch.targets!) });
    e.writeH0();
    e.writeXi(plan);
    e.run();
    return await e.readGradients();
  } finally {
    e.destroy();
  }
}

function relDiff(a: Weights<Float32Array | Float64Array>, b: Weights<Float64Array>): number {
  let worst = 0;
  for (const name of Object.keys(b)) {
    let num = 0, den = 0;
    b[name].forEach((v, i) => {
      num = Math.max(num, Math.abs(a[name][i] - v));
      den = Math.max(den, Math.abs(v));
    });
    worst = Math.max(worst, den > 0 ? num / den : num);
  }
  return worst;
}

/**
 * Forward mode vs reverse mode (and the GPU) on a character model with
 * H = o.rtrlHidden over T = o.rtrlWindow steps of the corpus, B = 2.
 */
export async function forwardMode(device: GPUDevice, o: StudyOptions, ids: Uint32Array, vocab: number): Promise<ForwardModeResult> {
  const B = 2, T = o.rtrlWindow, H = o.rtrlHidden;
  const c = charLmConfig(vocab, H);
  const w = initWeights(c, createRng(3));
  // B stretches of the corpus, time-major
  const tokens: number[] = [], targets: number[] = [];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const at = b * Math.floor(ids.length / B) + t;
      tokens.push(ids[at]);
      targets.push(ids[at + 1]);
    }
  }
  const batch: Batch = { B, T, tokens, targets };
  const tau = Math.max(1, Math.min(o.tau, T - 1));
  // draws with both cuts and kept links after step 0 (redrawn until so), so that each row tests its own gradient
  const pi = 0.6, rng = createRng(11);
  const mixed = (xs: number[]) => xs.slice(1).some((x) => x === 0) && xs.slice(1).some((x) => x !== 0);
  let xiShared = Array.from(randomized(pi).multipliers(T, rng));
  for (let i = 0; i < 100 && !mixed(xiShared); i++) xiShared = Array.from(randomized(pi).multipliers(T, rng));
  const perSeq = randomized(pi, { perSequence: true });
  const draw2d = () => {
    const p = perSeq.plan(T, B, rng);
    return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => xiAt(p, 0, t, b)));
  };
  let xi2d = draw2d();
  for (let i = 0; i < 100 && !(xi2d.every(mixed) && xi2d[0].join() !== xi2d[1].join()); i++) xi2d = draw2d();
  const show = (xs: number[]) => xs.map((x) => Number(x.toPrecision(3))).join(' ');
  const cases: { label: string; opts: Parameters<typeof forwardVsReverse>[3]; gpu: Truncation }[] = [
    { label: 'full', opts: {}, gpu: full() },
    { label: `randomized, one draw of ξ_t (π = ${pi}): ${show(xiShared)}`, opts: { xi: xiShared }, gpu: explicit(xiShared) },
    { label: `randomized, per-sequence ξ_{t,b} (π = ${pi}): ${xi2d.map(show).join(' / ')}`, opts: { xi: xi2d }, gpu: explicit(xi2d) },
    { label: `regular: the sum cut after τ = ${tau} steps (GPU: TBPTT(1, ${tau + 1}))`, opts: { tau }, gpu: tbptt(1, tau + 1) },
  ];
  const rows: ForwardModeResult['rows'] = [];
  for (const k of cases) {
    const r = forwardVsReverse(c, w, batch, k.opts);
    let maxAbs = 0, maxGrad = 0;
    for (const [name] of paramShapes(c)) {
      r.reverse[name].forEach((v, i) => {
        maxAbs = Math.max(maxAbs, Math.abs(r.forward[name][i] - v));
        maxGrad = Math.max(maxGrad, Math.abs(v));
      });
    }
    const g = await gpuGrads(device, c, w, batch, k.gpu);
    rows.push({ truncation: k.label, maxAbs, maxRel: r.maxRelError, gpuRel: relDiff(g, r.forward), maxGrad });
  }
  return { hidden: H, window: T, batch: B, rows };
}
