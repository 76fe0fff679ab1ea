// The delay task separates the truncations as theory says (fixed seeds):
// TBPTT(1, k2) learns lag k only when k2 ≥ k + 1 — the loss at step t must
// reach h_{t−k}, where the symbol it asks for came in. Trained here with the
// library's Trainer and delayTask alone (nothing of study/).
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { delayTask, DELAY_ALPHABET } from '../src/data/delay';
import { delayAccuracy } from '../src/lm/delay-accuracy';
import { truncationFrom, type TruncationSpec } from '../src/engine/truncation';

const STEPS = 200, H = 32, B = 8, T = 12, EVAL_WINDOWS = 2, SEED = 1;

/** Train TBPTT `spec` on lag `lag`, then the argmax accuracy on the windows that follow (state carried on). */
async function run(spec: TruncationSpec, lag: number): Promise<{ accuracy: number; finalLoss: number }> {
  const device = await gpu();
  const task = delayTask(lag, B, T, SEED);
  const trainer = new Trainer(device, { config: charLmConfig(DELAY_ALPHABET, H), batch: B, steps: T, truncation: truncationFrom(spec), optimizer: { kind: 'adam', lr: 0.01 }, clip: 1, seed: SEED });
  try {
    const losses: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const h = await trainer.step(task.next());
      h.stats.then((st) => (losses[i] = st.skipped ? NaN : st.loss));
    }
    await trainer.flush();
    const tail = losses.slice(-STEPS / 10).filter(Number.isFinite);
    const finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
    const accuracy = await delayAccuracy(trainer, task, EVAL_WINDOWS);
    return { accuracy, finalLoss };
  } finally {
    trainer.destroy();
  }
}

describe('delay task', () => {
  it('TBPTT(1, k2) learns lag 3 with k2 = 4 and not with k2 = 3', async () => {
    const short = await run({ kind: 'tbptt', k1: 1, k2: 3 }, 3);
    const enough = await run({ kind: 'tbptt', k1: 1, k2: 4 }, 3);
    console.log(`lag 3: tbptt(1, 3) accuracy ${short.accuracy.toFixed(3)} loss ${short.finalLoss.toFixed(3)}; tbptt(1, 4) accuracy ${enough.accuracy.toFixed(3)} loss ${enough.finalLoss.toFixed(3)} (chance 0.125)`);
    expect(short.accuracy).toBeLessThan(0.35);
    expect(enough.accuracy).toBeGreaterThan(0.7);
  });
});
