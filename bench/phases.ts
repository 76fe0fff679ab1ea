// The bench's per-phase profile of one training step: an engine and a
// clip + SGD update of its own (it writes into no trainer), each phase timed
// by timestamp queries where the device has them, else alone by wall clock.
import { BpttEngine, type BpttShape, type Phase, type PassScope } from '../src/engine/bptt';
import type { BatchInput } from '../src/engine/batch';
import { timedPhases, onlyPhase } from '../src/engine/profile';
import { createClipUpdate } from '../src/kernels/clip-update';
import { initWeights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { median } from './stats';

/** One phase's time in one step. */
export interface PhaseTime {
  phase: string;
  /** The median over the repetitions. */
  ms: number;
  /** The fastest repetition (what the recurrence kernels' rows hold against the sweep's fastest run). */
  fastest: number;
  method: 'timestamp-query' | 'wall-clock';
}


/**
 * The step the per-phase profile times: an engine and a clip + SGD update of
 * the bench's own (no trainer's), on a fixed batch with ξ = 1 (full BPTT).
 */
export interface ProfiledStep {
  engine: BpttEngine;
  encodeUpdate(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

export function profiledStep(device: GPUDevice, shape: Omit<BpttShape, 'streams'>, batch: BatchInput): ProfiledStep {
  const engine = new BpttEngine(device, shape);
  const owned: GPUBuffer[] = [];
  try {
    engine.writeWeights(initWeights(engine.config, createRng(1)));
    engine.writeH0();
    engine.writeBatch(batch);
    engine.writeXi(new Float32Array(engine.T).fill(1));
    // SGD keeps no optimizer state: s1 and s2 are placeholders
    const s1 = device.createBuffer({ label: 'bench.profile.s1', size: 16, usage: GPUBufferUsage.STORAGE });
    const s2 = device.createBuffer({ label: 'bench.profile.s2', size: 16, usage: GPUBufferUsage.STORAGE });
    owned.push(s1, s2);
    const update = createClipUpdate(device, 'sgd');
    const bound = update.bind({ stats: engine.buf.stats, params: engine.buf.params, grads: engine.buf.grads, s1, s2 }, { n: engine.layout.total, lr: 1, clip: 1 });
    return {
      engine,
      encodeUpdate: (pass) => update.encode(pass, bound),
      destroy() {
        bound.destroy();
        for (const b of owned) b.destroy();
        engine.destroy();
      },
    };
  } catch (e) {
    for (const b of owned) b.destroy();
    engine.destroy();
    throw e;
  }
}

/** Per-phase times of one step: timestamp queries where the device has them, else each phase alone by wall clock. */
export async function phases(device: GPUDevice, step: ProfiledStep): Promise<PhaseTime[]> {
  const names: Phase[] = ['input', 'forward', 'output', 'backward', 'weight-grads', 'clip'];
  // the fused clip + update belongs to the 'clip' phase
  const update = (scope: PassScope) => step.encodeUpdate(scope.pass('clip'));
  if (device.features.has('timestamp-query')) {
    const n = 2 * 512;
    const qs = device.createQuerySet({ type: 'timestamp', count: n });
    const resolve = device.createBuffer({ size: n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const samples = new Map<Phase, number[]>(names.map((p) => [p, []]));
    for (let rep = 0; rep < 3; rep++) {
      const enc = device.createCommandEncoder();
      const scope = timedPhases(enc, qs);
      step.engine.encodeStep(enc, { passes: scope });
      update(scope);
      scope.end();
      enc.resolveQuerySet(qs, 0, scope.spans.length * 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, scope.spans.length * 16);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      const total = new Map<Phase, number>(names.map((p) => [p, 0]));
      for (const sp of scope.spans) total.set(sp.phase, total.get(sp.phase)! + Number(t[sp.end] - t[sp.begin]) / 1e6);
      for (const p of names) samples.get(p)!.push(total.get(p)!);
    }
    qs.destroy();
    resolve.destroy();
    read.destroy();
    const out = names.map((phase) => ({ phase, ms: median(samples.get(phase)!), fastest: Math.min(...samples.get(phase)!), method: 'timestamp-query' as const }));
    if (out.some((p) => p.ms > 0)) return out;
  }
  const out: PhaseTime[] = [];
  for (const name of names) {
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const scope = onlyPhase(enc, name);
      step.engine.encodeStep(enc, { passes: scope });
      update(scope);
      scope.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push(performance.now() - t0);
    }
    out.push({ phase: name, ms: median(times), fastest: Math.min(...times), method: 'wall-clock' });
  }
  return out;
}

