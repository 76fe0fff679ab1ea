// Runs in Chromium: gradients for each truncation strategy and one full
// training step on navigator.gpu; the Node side checks them against float64.
import { requestTrainingDevice, BpttEngine, Trainer, describeAdapter, regular, full, randomized, createRng } from '../../src/index';
import { problem } from './problem';

declare global {
  interface Window {
    __result?: unknown;
  }
}

async function run() {
  const { config, weights, batch, B, T, h0 } = problem();
  const device = await requestTrainingDevice(navigator.gpu);
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const grads: Record<string, Record<string, number[]>> = {};
  const xis: Record<string, number[]> = {};
  for (const [name, s] of [['full', full()], ['regular', regular(2)], ['randomized', randomized(0.5)]] as const) {
    const xi = s.multipliers(T, createRng(5));
    const eng = new BpttEngine(device, { config, batch: B, steps: T });
    eng.writeWeights(weights);
    eng.writeBatch(batch);
    eng.writeXi(xi);
    eng.writeH0(h0);
    eng.run();
    const g = await eng.readGradients();
    grads[name] = Object.fromEntries(Object.entries(g).map(([k, v]) => [k, Array.from(v as Float32Array)]));
    xis[name] = Array.from(xi);
    eng.destroy();
  }
  const trainer = new Trainer(device, { config, batch: B, steps: T, weights, optimizer: { kind: 'sgd', lr: 0.5 }, clip: 0.1 });
  trainer.engine.writeH0(h0);
  const handle = await trainer.step({ ...batch, state: 'reset' });
  const stats = await handle.stats;
  // 'reset' zeroes h0, so the reference for the step uses zeros
  const after = Object.fromEntries(Object.entries(await trainer.weights()).map(([k, v]) => [k, Array.from(v as Float32Array)]));
  trainer.destroy();
  window.__result = { adapter: describeAdapter(device), grads, xis, step: { stats, after }, errors };
  device.destroy();
  document.getElementById('status')!.textContent = 'done';
}

run().catch((e) => {
  window.__result = { failure: String(e?.stack ?? e) };
});
