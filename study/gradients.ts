// Each strategy's gradient against the full-window gradient at fixed
// weights and on a fixed minibatch, averaged over draws of ξ:
//   bias     ‖E g − g_full‖
//   variance E‖g − E g‖²  (the sample variance over the draws, 1/(D − 1))
//   error    E‖g − g_full‖²  (= bias² + variance up to sampling noise)
// with E over the strategy's randomness (one draw for the deterministic ones).
// The GPU engine computes every gradient with the strategy's multipliers.
import { BpttEngine } from '../src/engine/bptt';
import type { ModelConfig } from '../src/model/config';
import { paramShapes, type Weights } from '../src/model/params';
import type { Minibatch } from '../src/data/partition';
import { createRng } from '../src/util/rng';
import type { Strategy } from './strategies';

/** One strategy's gradient statistics. */
export interface GradientStats {
  label: string;
  /** Draws of ξ averaged over (1 for deterministic strategies). */
  draws: number;
  /** ‖E g − g_full‖. */
  bias: number;
  /** E‖g − E g‖². */
  variance: number;
  /** Standard error of the variance estimate (std of ‖g − mean‖² over the draws / √draws). */
  varianceSe: number;
  /** E‖g − g_full‖². */
  error: number;
  /** bias / ‖g_full‖, variance / ‖g_full‖², error / ‖g_full‖². */
  relBias: number;
  relVariance: number;
  relError: number;
  /**
   * What bias the draws' noise alone gives an unbiased strategy:
   * √(variance / draws), the expected size of ‖mean − E g‖.
   */
  noiseFloor: number;
  /** noiseFloor / ‖g_full‖. */
  relNoiseFloor: number;
  /** cos(E g, g_full). */
  cosine: number;
  /**
   * Share of Σ_draws ‖g − g_full‖² carried by the largest 5% of the draws
   * (at least one): near 5% for light tails; large when a few extreme draws
   * dominate, and then the sample variance is unreliable. 0 for one draw.
   */
  tailShare: number;
}

/** The gradient of one pass, every parameter in paramShapes order, as float64. */
function flatten(config: ModelConfig, g: Weights): Float64Array {
  const names = paramShapes(config).map(([n]) => n);
  const out = new Float64Array(names.reduce((a, n) => a + g[n].length, 0));
  let at = 0;
  for (const n of names) {
    out.set(g[n], at);
    at += g[n].length;
  }
  return out;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
const dist2 = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0);

/** The gradients of `draws` draws of a strategy's ξ at fixed weights on one minibatch (state reset). */
export async function sampleGradients(device: GPUDevice, config: ModelConfig, weights: Weights, batch: Minibatch, s: Strategy, draws: number, seed: number): Promise<Float64Array[]> {
  const B = batch.starts.length, T = batch.tokens.length / B;
  const engine = new BpttEngine(device, { config, batch: B, steps: T, streams: s.truncation.streams(T) });
  try {
    engine.writeWeights(weights);
    engine.writeBatch(batch);
    engine.writeH0();
    const rng = createRng(seed);
    const n = s.spec.kind === 'randomized' ? draws : 1;
    const out: Float64Array[] = [];
    for (let d = 0; d < n; d++) {
      engine.writeXi(s.truncation.plan(T, B, rng));
      engine.run();
      out.push(flatten(engine.config, await engine.readGradients()));
    }
    return out;
  } finally {
    engine.destroy();
  }
}

/** Bias, variance and error of sampled gradients against g_full. */
export function gradientStats(label: string, samples: Float64Array[], gFull: Float64Array): GradientStats {
  const D = samples.length;
  const mean = new Float64Array(gFull.length);
  for (const g of samples) g.forEach((x, i) => (mean[i] += x / D));
  const bias = Math.sqrt(dist2(mean, gFull));
  const dev = samples.map((g) => dist2(g, mean));
  const variance = D > 1 ? dev.reduce((a, x) => a + x, 0) / (D - 1) : 0;
  const devMean = dev.reduce((a, x) => a + x, 0) / D;
  const varianceSe = D > 1 ? Math.sqrt(dev.reduce((a, x) => a + (x - devMean) ** 2, 0) / (D - 1) / D) : 0;
  const error = samples.reduce((a, g) => a + dist2(g, gFull), 0) / D;
  const norm2 = dot(gFull, gFull);
  const errs = samples.map((g) => dist2(g, gFull)).sort((a, b) => b - a);
  const errSum = errs.reduce((a, x) => a + x, 0);
  const tail = errs.slice(0, Math.ceil(D / 20)).reduce((a, x) => a + x, 0);
  return {
    label,
    draws: D,
    bias,
    variance,
    varianceSe,
    error,
    relBias: bias / Math.sqrt(norm2),
    relVariance: variance / norm2,
    relError: error / norm2,
    noiseFloor: Math.sqrt(variance / D),
    relNoiseFloor: Math.sqrt(variance / D / norm2),
    cosine: dot(mean, gFull) / Math.sqrt(dot(mean, mean) * norm2),
    tailShare: D > 1 && errSum > 0 ? tail / errSum : 0,
  };
}
