// Choosing matmul variants per device and shape: time the variants at the
// shapes a model will run (tuneMatmul) and keep the fastest per shape bucket,
// or pin one variant (pinMatmulVariant). createMatmul's bind() reads the
// choices, so an engine built after tuning uses them without any change of
// its own. The GEMMs of a training step (stepGemmShapes) and the recurrences'
// rows (tuneRecurrenceRows) are the engine's: src/engine/tune-step.ts.
import { BufferArena } from '../gpu/buffers';
import { timePass, rotatedRounds, type TimingMethod } from '../gpu/timing';
import { BpttError, show, requirePositiveInt } from '../errors';
import { median } from '../util/median';
import { createMatmul, matmulVariantFits, MATMUL_VARIANTS, type MatmulVariant, type MatmulKernelHandle, type MatmulBound } from './matmul';
import { recordChoice, setPinned, shapeBucket, type GemmShape } from './matmul-choice';

export { shapeBucket, tunedChoices, clearChoices, type GemmShape } from './matmul-choice';
export { timePass } from '../gpu/timing';

/** Options of tuneMatmul. */
export interface TuneOptions {
  /** The variants to time (default: every one of MATMUL_VARIANTS that fits the shape). */
  candidates?: readonly MatmulVariant[];
  /** Screening rounds over the variants, a positive integer (default 3; each variant's fastest run counts). */
  reps?: number;
  /** How many of the screen's fastest are re-timed in the final, a positive integer (default 3; 1 skips the final). */
  finalists?: number;
  /** Rounds of the final, a positive integer (default 4; each finalist's median round counts). */
  finalRounds?: number;
  /** Re-time shapes whose bucket was already tuned in this call (default false). */
  repeatBuckets?: boolean;
}

/**
 * A shape to tune, bound as its user binds it: with a bias, and accumulating
 * (beta) where the user does. The choice is kept per shape bucket
 * (shapeBucket: the sizes and transposes), so the first shape of a bucket
 * decides for every binding in it, whatever their bias and beta.
 */
export interface TuneShape extends GemmShape {
  bias?: boolean;
  beta?: number;
}

/** What tuneMatmul measured at one shape. */
export interface TuneResult {
  shape: GemmShape;
  bucket: string;
  /** ms per GEMM of each variant screened (the fastest of its screening runs). */
  ms: Partial<Record<MatmulVariant, number>>;
  /** ms per GEMM of each finalist: the median of its final rounds (each round the fastest of 3 runs of ~30 ms). */
  final: Partial<Record<MatmulVariant, number>>;
  /** The finalist with the fastest median (the screen's fastest when there is no final), now the device's choice for the bucket. */
  best: MatmulVariant;
  method: TimingMethod;
}

/**
 * Time the matmul variants at each shape on `device` and make the fastest the
 * device's choice for the shape's bucket (in memory, and in localStorage in a
 * browser, keyed by the adapter). Matmuls bound afterwards use it. Buffers
 * are made and destroyed here; shapes sharing a bucket are timed once.
 *
 * Two stages, both in rotated rounds (rotatedRounds) so that a change in the
 * machine's load falls on every variant alike: a screen of every variant
 * (one short run each per round, the fastest counts), then a final of the
 * screen's `finalists` fastest, each round ~30 ms runs of back-to-back copies,
 * where the median round decides. One short run per variant is cheap but
 * noisy on a shared CPU: with the screen alone, the bench's tuner picked
 * vec4@16x4 for M's dW_qh in two runs, and that variant read 84–89% of
 * 8x8-vb@4x4 in the bench's own rotated rounds.
 */
export async function tuneMatmul(device: GPUDevice, shapes: readonly TuneShape[], o: TuneOptions = {}): Promise<TuneResult[]> {
  for (const v of o.candidates ?? []) pinCheck(v);
  const reps = requirePositiveInt('reps', o.reps ?? 3), finalists = requirePositiveInt('finalists', o.finalists ?? 3), finalRounds = requirePositiveInt('finalRounds', o.finalRounds ?? 4);
  const seen = new Set<string>();
  const out: TuneResult[] = [];
  for (const s of shapes) {
    for (const f of ['M', 'N', 'K'] as const) {
      requirePositiveInt(`shape.${f}`, s[f]);
    }
    const bucket = shapeBucket(s);
    if (seen.has(bucket) && !o.repeatBuckets) continue;
    seen.add(bucket);
    const arena = new BufferArena(device, 'tuneMatmul');
    try {
      const usage = GPUBufferUsage.STORAGE;
      const a = arena.create('a', s.M * s.K * 4, usage), b = arena.create('b', s.K * s.N * 4, usage), c = arena.create('c', s.M * s.N * 4, usage);
      const bias = s.bias ? arena.create('bias', s.N * 4, usage) : undefined;
      const opts = { transA: s.transA, transB: s.transB };
      const fits = (o.candidates ?? MATMUL_VARIANTS).filter((v) => matmulVariantFits(device, v, opts, s));
      if (!fits.length) continue;
      const ms: TuneResult['ms'] = {}, final: TuneResult['final'] = {};
      let method: TimingMethod = 'wall-clock';
      const kernels: { v: MatmulVariant; mm: MatmulKernelHandle; bound: MatmulBound }[] = [];
      const time = async (k: (typeof kernels)[number], runs: number, targetMs?: number) => {
        const t = await timePass(device, (pass) => k.mm.encode(pass, k.bound), runs, { targetMs });
        method = t.method;
        return t.ms;
      };
      try {
        for (const v of fits) {
          const mm = createMatmul(device, { ...opts, bias: s.bias, variant: v });
          kernels.push({ v, mm, bound: mm.bind({ a, b, c, bias }, { M: s.M, N: s.N, K: s.K, beta: s.beta }) });
        }
        await rotatedRounds(reps, kernels.map((k) => async () => {
          ms[k.v] = Math.min(ms[k.v] ?? Infinity, await time(k, 1));
        }));
        const chosen = [...kernels].sort((x, y) => ms[x.v]! - ms[y.v]!).slice(0, finalists);
        if (chosen.length > 1) {
          const rounds = new Map(chosen.map((k) => [k.v, [] as number[]]));
          await rotatedRounds(finalRounds, chosen.map((k) => async () => {
            rounds.get(k.v)!.push(await time(k, 3, 30));
          }));
          for (const [v, r] of rounds) final[v] = median(r);
        }
      } finally {
        for (const k of kernels) k.bound.destroy();
      }
      const decided = Object.keys(final).length ? final : ms;
      const best = (Object.entries(decided) as [MatmulVariant, number][]).sort((x, y) => x[1] - y[1])[0][0];
      recordChoice(device, s, best);
      out.push({ shape: { M: s.M, N: s.N, K: s.K, transA: s.transA, transB: s.transB }, bucket, ms, final, best, method });
    } finally {
      arena.destroy();
    }
  }
  return out;
}

function pinCheck(v: string): MatmulVariant {
  if (!(MATMUL_VARIANTS as readonly string[]).includes(v)) throw new BpttError('variant', show(v), `must be one of ${MATMUL_VARIANTS.join(', ')}`);
  return v as MatmulVariant;
}

/**
 * Use `variant` for every matmul bound on `device` from now on, wherever it
 * fits the shape (see matmulVariantFits; elsewhere the scalar fallback runs).
 * `undefined` unpins and returns to the tuned choices and the heuristic.
 */
export function pinMatmulVariant(device: GPUDevice, variant: MatmulVariant | undefined): void {
  setPinned(device, variant === undefined ? undefined : pinCheck(variant));
}
