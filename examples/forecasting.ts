// Forecasting: two features per step (a noisy signal and a clock), predict the signal's next value. LSTM, H = 32.
// node --import ./scripts/register.mjs examples/forecasting.ts   (EXAMPLE_SIZE=tiny: a smoke run)
import { createModel, createRng } from '../src/index';
import { createNodeDevice } from '../src/node/index';
import { size, dump, seed } from './shared';

const [N, epochs, T] = size([640, 8, 24], [32, 1, 24]);
const rng = createRng(1);
const signal = Array.from({ length: N + 256 + T }, (_, t) => Math.sin(t / 8) * Math.cos(t / 29) + 0.1 * rng.normal());
const x = Array.from({ length: N + 256 }, (_, i) => Array.from({ length: T }, (_, t) => [signal[i + t], Math.cos((i + t) / 8)]));
const y = x.map((_, i) => signal[i + T]); // the next value
const [xTrain, yTrain, xTest, yTest] = [x.slice(0, N), y.slice(0, N), x.slice(N), y.slice(N)];

const device = await createNodeDevice({ quiet: true });
const spec = { cell: 'lstm', hidden: 32, input: { features: 2 }, output: { regression: 1 } } as const;
const model = createModel(device, spec, { seed: 1 });
const settings = { epochs, seed, batchSize: 32, optimizer: { kind: 'adam', lr: 0.005 } } as const;
await dump(model, { spec, settings, xTrain, yTrain, xTest, yTest });
await model.fit(xTrain, yTrain, { ...settings, callbacks: { onEpochEnd: (e, logs) => console.log(`epoch ${e + 1}: loss ${logs.loss.toFixed(4)}`) } });

const p = (await model.predict(xTest)).data; // [N][1]
const mse = yTest.reduce((s, v, i) => s + (p[i] - v) ** 2, 0) / yTest.length;
console.log(`held-out MSE ${mse.toFixed(4)} (predicting the last value: ${(yTest.reduce((s, v, i) => s + (xTest[i][T - 1][0] - v) ** 2, 0) / yTest.length).toFixed(4)})`);
model.destroy();
device.destroy();
