// Runs in Chromium: the demo's sequence around a snapshot on its model
// (charLmConfig(28, 32), Adam lr 0.02, batch 8, steps 16): a generation from
// the trainer's params already running when the step is submitted (the page
// samples as soon as a run is built), one training step with diagnostics, the
// step flushed, two more generations started and not awaited (draw → sample),
// then Trainer.snapshot() and the checkpoint bytes made from it (Download
// checkpoint). A second case takes the snapshot with a step still in flight.
// The Node side checks every snapshot against the weights read once all of it
// has settled, the checkpoint bytes against the snapshot, and the one-step
// snapshot against a float64 Adam step.
import { requestTrainingDevice, Trainer, charLmConfig, initWeights, generateText, makeCorpus, epochBatches, createRng, describeAdapter, saveCheckpoint, BUILTIN_CORPUS, type Weights } from '../../src/index';

declare global {
  interface Window {
    __result?: unknown;
  }
}

const plain = (w: Weights) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(v as Float32Array)]));

async function run() {
  const device = await requestTrainingDevice(navigator.gpu);
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const corpus = makeCorpus(BUILTIN_CORPUS);
  const V = corpus.vocab.size, H = 32, B = 8, T = 16, lr = 0.02;
  const config = charLmConfig(V, H);
  const weights = initWeights(config, createRng(0));
  const batches = epochBatches(corpus.ids, B, T, 'sequential', createRng(0));
  const trials = [];
  for (const inflight of [false, true]) {
    const trainer = new Trainer(device, { config, batch: B, steps: T, weights, optimizer: { kind: 'adam', lr }, clip: 1 });
    try {
      const e = trainer.engine;
      let generating = 0;
      const generate = (temperature: number) => {
        generating++;
        return generateText(device, config, e, corpus.vocab, 'the time ', 60, temperature, createRng(1)).finally(() => generating--);
      };
      const early = generate(0); // sampled when the run was built: still running when the step is submitted
      await trainer.step({ ...batches[0], state: 'reset', diagnostics: true });
      if (inflight) await trainer.step({ ...batches[1], state: 'carry', diagnostics: false });
      else await trainer.flush();
      const sampling = generate(0).then(() => generate(1));
      const duringCall = generating;
      const snap = await trainer.snapshot();
      const duringRead = generating;
      const bytes = saveCheckpoint({ config: snap.config, weights: snap.weights, optimizer: snap.optimizer, vocab: corpus.vocab.idxToToken.slice(), step: snap.calls });
      const texts = await Promise.all([early, sampling]);
      const settled = await trainer.weights();
      trials.push({
        inflight, calls: snap.calls, optimizerStep: snap.optimizer.step, lossesFinite: trainer.last !== null && Number.isFinite(trainer.last.loss),
        duringCall, duringRead, texts: texts.length,
        snap: plain(snap.weights), settled: plain(settled), checkpoint: Array.from(bytes),
      });
    } finally {
      trainer.destroy();
    }
  }
  window.__result = {
    adapter: describeAdapter(device), V, H, B, T, lr,
    weights: plain(weights), batch: { tokens: Array.from(batches[0].tokens), targets: Array.from(batches[0].targets) },
    trials, errors,
  };
  document.getElementById('status')!.textContent = 'done';
}

run().catch((e) => {
  window.__result = { failure: String((e as Error)?.stack ?? e) };
});
