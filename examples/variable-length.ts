// Variable-length sequences: strings of a, b, c of 4 to 24 tokens; does a occur more often than b?
// Ragged arrays need no padding or lengths argument: each row's length is its sequence's length,
// padded steps change no state and count for nothing, the answer is read at each sequence's last real step.
// node --import ./scripts/register.mjs examples/variable-length.ts   (EXAMPLE_SIZE=tiny: a smoke run)
import { createModel, createRng } from '../src/index';
import { createNodeDevice } from '../src/node/index';
import { size, dump, seed } from './shared';

const [N, epochs] = size([768, 10], [32, 1]);
const rng = createRng(3);
const x = Array.from({ length: N + 512 }, () => Array.from({ length: 4 + rng.int(21) }, () => rng.int(3))); // token ids: 0 = a, 1 = b, 2 = c
const count = (seq: number[], id: number) => seq.filter((t) => t === id).length;
const y = x.map((seq) => (count(seq, 0) > count(seq, 1) ? 1 : 0));
const [xTrain, yTrain, xTest, yTest] = [x.slice(0, N), y.slice(0, N), x.slice(N), y.slice(N)];

const device = await createNodeDevice({ quiet: true });
const spec = { cell: 'lstm', hidden: 16, input: { tokens: 3 }, output: { classes: 2 } } as const;
const model = createModel(device, spec, { seed: 3 });
const settings = { epochs, seed, batchSize: 32, optimizer: { kind: 'adam', lr: 0.01 } } as const;
await dump(model, { spec, settings, xTrain, yTrain, xTest, yTest });
await model.fit(xTrain, yTrain, { ...settings, callbacks: { onEpochEnd: (e, l) => console.log(`epoch ${e + 1}: loss ${l.loss.toFixed(4)} accuracy ${l.accuracy.toFixed(3)}`) } });
console.log(`held-out accuracy ${(await model.evaluate(xTest, yTest)).accuracy!.toFixed(4)}`);

// Step by step: a stream keeps the state on the GPU; after the last token it agrees with predict.
const seq = [0, 1, 0, 2, 0, 1, 1, 1];
const stream = model.stream();
const steps = (await stream.step([seq])).toArray() as number[][][]; // [1][8][2]: P(class) after each token
console.log('P(more a than b) token by token:', steps[0].map((p, t) => `${'abc'[seq[t]]} ${p[1].toFixed(2)}`).join('  '));
console.log('predict on the whole sequence:', ((await model.predict([seq])).toArray() as number[][])[0][1].toFixed(2));
stream.destroy();
model.destroy();
device.destroy();
