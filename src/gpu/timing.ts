// The one GPU timer (timePass), used by the matmul tuner (src/kernels/tune.ts)
// and the bench's GEMM sweep and rows (bench/gemm-sweep.ts, bench/core.ts), so
// their numbers are measured the same way; and rotatedRounds, the order in
// which both tuners (src/kernels/tune.ts, src/engine/tune-step.ts) and the
// bench's side-by-side rows time their candidates.
import { BufferArena } from './buffers';

/** How timePass measured: timestamp queries where the device has them and they tick, else wall clock. */
export type TimingMethod = 'timestamp-query' | 'wall-clock';

/** Options of timePass beyond the number of runs. */
export interface TimingOptions {
  /** ms of back-to-back copies one run aims at, so a small kernel is not lost in submit overhead (default 20). */
  targetMs?: number;
  /** Run once more before the sizing run and discard it (pipeline creation, first-touch paging; default false). */
  warmup?: boolean;
}

/**
 * Time `encode` (one dispatch's worth of work): a sizing run of one copy,
 * then `reps` runs of `inner` back-to-back copies in one pass (enough for
 * about `targetMs`; at most 64), with timestamp queries when the device has
 * them and they tick, else wall clock from submit to onSubmittedWorkDone.
 * A kernel slower than 1.5 s gets one run. Returns the fastest run's ms per
 * copy (on a shared machine the fastest run is the one least disturbed).
 */
export async function timePass(
  device: GPUDevice,
  encode: (pass: GPUComputePassEncoder) => void,
  reps = 3,
  o: TimingOptions = {},
): Promise<{ ms: number; method: TimingMethod }> {
  const arena = new BufferArena(device, 'timePass');
  let qs: GPUQuerySet | undefined;
  try {
    let resolve: GPUBuffer | undefined, read: GPUBuffer | undefined;
    if (device.features.has('timestamp-query')) {
      qs = device.createQuerySet({ type: 'timestamp', count: 2 });
      resolve = arena.create('resolve', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
      read = arena.create('read', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    }
    const once = async (inner: number): Promise<[number, number]> => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass(qs ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
      for (let i = 0; i < inner; i++) encode(pass);
      pass.end();
      if (qs) {
        enc.resolveQuerySet(qs, 0, 2, resolve!, 0);
        enc.copyBufferToBuffer(resolve!, 0, read!, 0, 16);
      }
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wall = (performance.now() - t0) / inner;
      if (!qs) return [NaN, wall];
      await read!.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read!.getMappedRange().slice(0));
      read!.unmap();
      return [Number(t[1] - t[0]) / 1e6 / inner, wall];
    };
    if (o.warmup) await once(1);
    const [, first] = await once(1);
    const inner = Math.max(1, Math.min(64, Math.ceil((o.targetMs ?? 20) / Math.max(first, 1e-3))));
    const runs = first > 1500 ? 1 : reps;
    const stamps: number[] = [], walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      const [s, w] = await once(inner);
      stamps.push(s);
      walls.push(w);
    }
    const ms = Math.min(...stamps);
    return Number.isFinite(ms) && ms > 0 ? { ms, method: 'timestamp-query' } : { ms: Math.min(...walls), method: 'wall-clock' };
  } finally {
    qs?.destroy();
    arena.destroy();
  }
}

/**
 * `rounds` rounds of every run in `runs`, each round starting one later in
 * the list. Timed in a fixed order, whatever ran first in a round measured
 * slower on SwiftShader: our matmul at dH (1120×256×28), always first, read
 * 61–86% of the fastest of the sweep's three best in four runs of this loop,
 * and 77–92% in four runs with the order rotated.
 */
export async function rotatedRounds(rounds: number, runs: (() => Promise<void>)[]): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < runs.length; i++) await runs[(i + r) % runs.length]();
  }
}
