// Time each phase of one forward+backward on its own (submit + wait), for
// finding hot spots; with a phase name as the second argument, each dispatch
// of that phase on its own instead (its pipeline's label, its grid, the
// fastest and the median of 5 runs).
//   node --import ./scripts/register.mjs bench/profile-dispatch.ts V,H,B,T,rows [phase] [--tuned]
// --tuned: tune the step's matmuls first (tuneMatmul, as the bench does), so bind() takes the tuned variants.
import { createNodeDevice } from '../src/node/device';
import { BpttEngine, type Phase, type PassScope } from '../src/engine/bptt';
import { onlyPhase, NO_PASS } from '../src/engine/profile';
import { charLmConfig } from '../src/model/config';
import { initWeights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { tuneMatmul } from '../src/kernels/tune';
import { stepGemmShapes } from '../src/engine/tune-step';

const [V, H, B, T, rows] = (process.argv[2] ?? '28,256,32,35,1').split(',').map(Number);
const device = await createNodeDevice();
const c = charLmConfig(V, H);
if (process.argv.includes('--tuned')) await tuneMatmul(device, stepGemmShapes(c, B, T), { reps: 4 });
const eng = new BpttEngine(device, { config: c, batch: B, steps: T, rows });
eng.writeWeights(initWeights(c, createRng(1)));
const rng = createRng(2);
eng.writeBatch({ tokens: Array.from({ length: B * T }, () => rng.int(V)), targets: Array.from({ length: B * T }, () => rng.int(V)) });
eng.writeXi(new Float32Array(T).fill(1));
eng.writeH0();
const PHASES: Phase[] = ['input', 'forward', 'output', 'backward', 'weight-grads', 'clip'];
const only = process.argv.slice(3).find((a) => !a.startsWith('--')) as Phase | undefined;
if (only) await eachDispatch(only);
else {
  for (let rep = 0; rep < 2; rep++) {
    const times: string[] = [];
    for (const phase of PHASES) {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const scope = onlyPhase(enc, phase);
      eng.encodeStep(enc, { passes: scope });
      scope.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push(`${phase} ${(performance.now() - t0).toFixed(1)}ms`);
    }
    if (rep === 1) console.log(times.join('\n'));
  }
}
eng.destroy();
device.destroy();
process.exit(0);

/** Record `want`'s dispatches of one step, then time each alone. */
async function eachDispatch(want: Phase) {
  if (!PHASES.includes(want)) throw new Error(`unknown phase ${want}: one of ${PHASES.join(', ')}`);
  type Dispatch = { pipe: GPUComputePipeline; groups: Map<number, [GPUBindGroup, number[]]>; xyz: number[] };
  const ds: Dispatch[] = [];
  let pipe: GPUComputePipeline | null = null;
  const groups = new Map<number, [GPUBindGroup, number[]]>();
  const rec = {
    setPipeline(p: GPUComputePipeline) { pipe = p; },
    setBindGroup(i: number, g: GPUBindGroup, offsets: number[] = []) { groups.set(i, [g, [...offsets]]); },
    dispatchWorkgroups(...xyz: number[]) { ds.push({ pipe: pipe!, groups: new Map(groups), xyz }); },
  } as unknown as GPUComputePassEncoder;
  const scope: PassScope = { pass: (p) => (p === want ? rec : NO_PASS), end() {} };
  const step = device.createCommandEncoder();
  eng.encodeStep(step); // one whole step first, so every buffer holds a step's values
  device.queue.submit([step.finish()]);
  await device.queue.onSubmittedWorkDone();
  eng.encodeStep(device.createCommandEncoder(), { passes: scope }); // recorded, never submitted
  for (const d of ds) {
    const ts: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const p = enc.beginComputePass();
      p.setPipeline(d.pipe);
      for (const [i, [g, offsets]] of d.groups) p.setBindGroup(i, g, offsets);
      p.dispatchWorkgroups(...(d.xyz as [number, number, number]));
      p.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    // wall clock, the submit and the wait included
    console.log(`${(d.pipe.label || '?').padEnd(40)} [${d.xyz.join(',')}] min ${ts[0].toFixed(2)} med ${ts[2].toFixed(2)} ms`);
  }
}
