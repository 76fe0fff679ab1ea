// Choosing matmul variants per device and shape: time the variants at the
// shapes a model will run (tuneMatmul) and keep the fastest per shape bucket,
// or pin one variant (pinMatmulVariant). createMatmul's bind() reads the
// choices, so an engine built after tuning uses them without any change of
// its own. The GEMMs of a training step (stepGemmShapes) and the recurrences'
// rows (tuneRecurrenceRows) are the engine's: src/engine/tune-step.ts.
import { BufferArena } from '../gpu/buffers';
import { timePass, type TimingMethod } from '../gpu/timing';
import { BpttError, show } from '../errors';
import { createMatmul, matmulVariantFits, MATMUL_VARIANTS, type MatmulVariant } from './matmul';
import { recordChoice, setPinned, shapeBucket, type GemmShape } from './matmul-choice';

export { shapeBucket, tunedChoices, clearChoices, type GemmShape } from './matmul-choice';
export { timePass } from '../gpu/timing';

/** Options of tuneMatmul. */
export interface TuneOptions {
  /** The variants to time (default: every one of MATMUL_VARIANTS that fits the shape). */
  candidates?: readonly MatmulVariant[];
  /** Rounds over the variants (default 3; each variant's fastest run counts). */
  reps?: number;
  /** Re-time shapes whose bucket was already tuned in this call (default false). */
  repeatBuckets?: boolean;
}

/** What tuneMatmul measured at one shape. */
export interface TuneResult {
  shape: GemmShape;
  bucket: string;
  /** ms per GEMM of each variant timed (the fastest of its runs). */
  ms: Partial<Record<MatmulVariant, number>>;
  /** The fastest, now the device's choice for the bucket. */
  best: MatmulVariant;
  method: TimingMethod;
}

/**
 * Time the matmul variants at each shape on `device` and make the fastest the
 * device's choice for the shape's bucket (in memory, and in localStorage in a
 * browser, keyed by the adapter). Matmuls bound afterwards use it. Buffers
 * are made and destroyed here; shapes sharing a bucket are timed once.
 */
export async function tuneMatmul(device: GPUDevice, shapes: readonly GemmShape[], o: TuneOptions = {}): Promise<TuneResult[]> {
  for (const v of o.candidates ?? []) pinCheck(v);
  const seen = new Set<string>();
  const out: TuneResult[] = [];
  for (const s of shapes) {
    for (const f of ['M', 'N', 'K'] as const) {
      if (!Number.isInteger(s[f]) || s[f] < 1) throw new BpttError(`shape.${f}`, show(s[f]), 'must be a positive integer');
    }
    const bucket = shapeBucket(s);
    if (seen.has(bucket) && !o.repeatBuckets) continue;
    seen.add(bucket);
    const arena = new BufferArena(device, 'tuneMatmul');
    try {
      const usage = GPUBufferUsage.STORAGE;
      const a = arena.create('a', s.M * s.K * 4, usage), b = arena.create('b', s.K * s.N * 4, usage), c = arena.create('c', s.M * s.N * 4, usage);
      const ms: TuneResult['ms'] = {};
      let method: TuneResult['method'] = 'wall-clock';
      const opts = { transA: s.transA, transB: s.transB };
      const kernels = (o.candidates ?? MATMUL_VARIANTS)
        .filter((v) => matmulVariantFits(device, v, opts, s))
        .map((v) => {
          const mm = createMatmul(device, { ...opts, variant: v });
          return { v, mm, bound: mm.bind({ a, b, c }, s) };
        });
      try {
        // round robin, so a change in the machine's load falls on every variant alike
        for (let round = 0; round < (o.reps ?? 3); round++) {
          for (const { v, mm, bound } of kernels) {
            const t = await timePass(device, (pass) => mm.encode(pass, bound), 1);
            ms[v] = Math.min(ms[v] ?? Infinity, t.ms);
            method = t.method;
          }
        }
      } finally {
        for (const k of kernels) k.bound.destroy();
      }
      const ranked = (Object.entries(ms) as [MatmulVariant, number][]).sort((x, y) => x[1] - y[1]);
      if (!ranked.length) continue;
      recordChoice(device, s, ranked[0][0]);
      out.push({ shape: { ...s }, bucket, ms, best: ranked[0][0], method });
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
