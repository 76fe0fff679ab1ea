// predict at the size: N = 10,000 sequences of T = 50 steps, d = 4
// features, an LSTM with H = 64, forward only. Prints the live-buffer tally
// (no training buffer exists: no gradients, loss, targets or ξ), what a
// training engine of the same shape would allocate, the time, and stream()
// against predict on a few sequences.
//   node --import ./scripts/register.mjs scripts/predict-large.ts [N] [batchSize]
import { createModel, liveMemory, planBuffers, createRng } from '../src/index';
import { createNodeDevice } from '../src/node/index';

const N = Number(process.argv[2] ?? 10_000), batchSize = Number(process.argv[3] ?? 1000);
const T = 50, d = 4, H = 64;
const device = await createNodeDevice({ quiet: true });
const model = createModel(device, { cell: 'lstm', hidden: H, input: { features: d }, output: { regression: 1 }, returnSequences: true }, { seed: 1 });
const rng = createRng(1);
const x = { data: Float32Array.from({ length: N * T * d }, () => rng.normal()), shape: [N, T, d] };
const before = liveMemory(device);
const t0 = performance.now();
const out = await model.predict(x, { batchSize });
const ms = performance.now() - t0;
const runner = model.forward(Math.min(batchSize, N), T);
const during = liveMemory(device);
const names = Object.keys(runner.engine.buf).filter((n) => runner.engine.buf[n] !== undefined).sort(); // (unchunked aliases of absent buffers are undefined)
const trainingNames = ['grads', 'dO', 'dH', 'target', 'xi', 'lossRows', 'lossW', 'diag', 'partials'].filter((n) => names.includes(n) || names.some((k) => k.startsWith('dHc')));
const trainBytes = planBuffers({ config: model.config, batch: runner.B, steps: T, chunk: T, streams: 1 }).reduce((s, p) => s + p.bytes, 0);
console.log(`predict N=${N} T=${T} d=${d} LSTM H=${H}: outputs [${out.shape.join('][')}] in ${(ms / 1000).toFixed(1)} s (batches of ${runner.B})`);
console.log(`live GPU buffers during predict: ${during.buffers - before.buffers} buffers, ${((during.bytes - before.bytes) / 2 ** 20).toFixed(2)} MiB: ${names.join(', ')}`);
console.log(`training buffers present: ${trainingNames.length ? trainingNames.join(', ') : 'none'}; a training engine of the same shape would plan ${(trainBytes / 2 ** 20).toFixed(2)} MiB`);
// stream() on the first 4 sequences, 10 steps per call, against predict
const s = model.stream({ batch: 4 });
let worst = 0;
for (let t0 = 0; t0 < T; t0 += 10) {
  const chunk = Array.from({ length: 4 }, (_, n) => Array.from({ length: 10 }, (_, t) => Array.from(x.data.subarray(((n * T) + t0 + t) * d, ((n * T) + t0 + t + 1) * d))));
  const o = await s.step(chunk);
  for (let n = 0; n < 4; n++) for (let t = 0; t < 10; t++) worst = Math.max(worst, Math.abs(o.data[n * 10 + t] - out.data[n * T + t0 + t]));
}
console.log(`stream() vs predict on 4 sequences × ${T} steps: max |Δ| = ${worst.toExponential(2)}`);
s.destroy();
model.destroy();
console.log(`after destroy: ${liveMemory(device).buffers - before.buffers} buffers`);
device.destroy();
