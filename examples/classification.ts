// Sequence classification, many-to-one: is the sum of a sequence of 16 numbers positive? GRU, H = 16, two classes.
// node --import ./scripts/register.mjs examples/classification.ts   (EXAMPLE_SIZE=tiny: a smoke run)
import { createModel, createRng } from '../src/index';
import { createNodeDevice } from '../src/node/index';
import { size, dump, seed } from './shared';

const [N, epochs] = size([1024, 5], [32, 1]);
const rng = createRng(2);
const x = Array.from({ length: N + 512 }, () => Array.from({ length: 16 }, () => [rng.normal()]));
const y = x.map((seq) => (seq.reduce((s, [v]) => s + v, 0) > 0 ? 1 : 0)); // one class id per sequence
const [xTrain, yTrain, xTest, yTest] = [x.slice(0, N), y.slice(0, N), x.slice(N), y.slice(N)];

const device = await createNodeDevice({ quiet: true });
// returnSequences false (the default): the output and the loss at each sequence's last step
const spec = { cell: 'gru', hidden: 16, input: { features: 1 }, output: { classes: 2 } } as const;
const model = createModel(device, spec, { seed: 2 });
const settings = { epochs, seed, batchSize: 32, optimizer: { kind: 'adam', lr: 0.01 } } as const;
await dump(model, { spec, settings, xTrain, yTrain, xTest, yTest });
await model.fit(xTrain, yTrain, {
  ...settings,
  validationData: [xTest, yTest],
  callbacks: { onEpochEnd: (e, l) => console.log(`epoch ${e + 1}: loss ${l.loss.toFixed(4)} accuracy ${l.accuracy.toFixed(3)} val_accuracy ${l.val_accuracy.toFixed(3)}`) },
});
const { accuracy } = await model.evaluate(xTest, yTest);
const p = (await model.predict(xTest.slice(0, 3))).toArray() as number[][]; // class probabilities, [3][2]
console.log(`held-out accuracy ${accuracy!.toFixed(4)}; P(sum > 0) of the first three: ${p.map((q) => q[1].toFixed(3)).join(', ')} (labels ${yTest.slice(0, 3).join(', ')})`);
model.destroy();
device.destroy();
