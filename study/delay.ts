// The delay task's accuracy against the lag k, per strategy: a small RNN
// trained on the endless streams of delayTask(k), then measured on the
// windows that follow (fresh symbols, state carried on from training).
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { delayTask, DELAY_ALPHABET } from '../src/data/delay';
import { delayAccuracy } from '../src/lm/delay-accuracy';
import type { StudyOptions } from './options';
import type { Strategy } from './strategies';

/** One strategy at one lag with one seed. */
export interface DelayRun {
  label: string;
  lag: number;
  seed: number;
  /** Share of the evaluated positions whose argmax output is the target (chance 1/8). */
  accuracy: number;
  /** Mean training loss over the last tenth of the steps (chance: ln 8 ≈ 2.08). */
  finalLoss: number;
}

/** Train one strategy on the delay task with lag k, then measure its accuracy. */
export async function delayRun(device: GPUDevice, s: Strategy, lag: number, o: StudyOptions, seed: number): Promise<DelayRun> {
  const B = o.delayBatch, T = o.delayWindow;
  const task = delayTask(lag, B, T, seed);
  const trainer = new Trainer(device, {
    config: charLmConfig(DELAY_ALPHABET, o.delayHidden),
    batch: B,
    steps: T,
    truncation: s.truncation,
    optimizer: { kind: 'adam', lr: o.lr },
    clip: o.clip,
    seed,
  });
  try {
    const losses: number[] = [];
    for (let i = 0; i < o.delaySteps; i++) {
      const h = await trainer.step(task.next());
      h.stats.then((st) => (losses[i] = st.skipped ? NaN : st.loss));
    }
    await trainer.flush();
    const tail = losses.slice(-Math.max(1, Math.round(o.delaySteps / 10))).filter(Number.isFinite);
    const finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
    // accuracy on the next windows: the forward pass only, the state carried on from training
    const accuracy = await delayAccuracy(trainer, task, o.evalWindows);
    return { label: s.label, lag, seed, accuracy, finalLoss };
  } finally {
    trainer.destroy();
  }
}
