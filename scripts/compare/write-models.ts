// Write model files for the PyTorch interop check (torch_strict_load.py):
// for each cell and depth, a small model trained two Adam steps (so the file
// holds optimizer state), saved with Model.save(), beside a JSON of inputs
// and our predictions. Usage:
//   node --import ./scripts/register.mjs scripts/compare/write-models.ts [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createModel, type ModelSpec } from '../../src/index';
import { createNodeDevice } from '../../src/node/device';
import { createRng } from '../../src/util/rng';

const out = process.argv[2] ?? join(tmpdir(), 'webgpu-bptt-interop');
mkdirSync(out, { recursive: true });
const device = await createNodeDevice({ quiet: true });
const specs: [string, ModelSpec][] = [
  ['rnn1', { cell: 'rnn', hidden: 5, input: { features: 3 }, output: { regression: 2 }, returnSequences: true }],
  ['rnn2-relu', { cell: 'rnn', layers: 2, activation: 'relu', hidden: 5, input: { features: 3 }, output: { regression: 2 }, returnSequences: true }],
  ['lstm2', { cell: 'lstm', layers: 2, hidden: 6, input: { features: 3 }, output: { regression: 1 }, returnSequences: true }],
  ['gru1-tokens', { cell: 'gru', hidden: 4, input: { tokens: 5 }, output: { classes: 3 }, returnSequences: true }],
  ['lstm1-nobias', { cell: 'lstm', hidden: 4, bias: false, input: { features: 3 }, output: { regression: 1 }, returnSequences: true }],
];
const rng = createRng(1);
for (const [name, spec] of specs) {
  const tokens = 'tokens' in spec.input;
  const N = 3, T = 4;
  const x = Array.from({ length: N }, () => Array.from({ length: T }, () => (tokens ? rng.int(5) : [rng.normal(), rng.normal(), rng.normal()])));
  const y = 'classes' in spec.output ? x.map((s) => s.map(() => rng.int(3))) : x.map((s) => s.map(() => Array.from({ length: (spec.output as { regression: number }).regression }, () => rng.normal())));
  const model = createModel(device, spec, { seed: 7 });
  await model.fit(x, y, { epochs: 2, batchSize: N, optimizer: { kind: 'adam', lr: 0.01 } });
  const pred = await model.predict(x);
  writeFileSync(join(out, `${name}.safetensors`), await model.save());
  writeFileSync(join(out, `${name}.json`), JSON.stringify({ spec, x, predictions: pred.toArray() }));
  console.log(`wrote ${name}.safetensors (steps ${model.steps})`);
  model.destroy();
}
device.destroy();
