// The delay task's held-out accuracy: the next windows of the task's streams,
// forward only, the state carried on from training, each step's argmax
// against its target. One definition for the study and the tests.
import type { Trainer } from '../engine/trainer';
import { DELAY_ALPHABET, type DelayTask } from '../data/delay';

/** The share of steps whose argmax output is the target, over the task's next `windows` windows (the trainer's state carried on). */
export async function delayAccuracy(trainer: Trainer, task: DelayTask, windows: number): Promise<number> {
  const e = trainer.engine, device = trainer.device, R = e.T * e.B;
  let right = 0, total = 0;
  for (let w = 0; w < windows; w++) {
    const mb = task.next();
    e.writeBatch(mb);
    const enc = device.createCommandEncoder({ label: 'delay.accuracy' });
    e.encodeCarryState(enc);
    e.encodeForwardOnly(enc);
    device.queue.submit([enc.finish()]);
    const out = await e.readOutputs();
    for (let r = 0; r < R; r++) {
      let best = 0;
      for (let q = 1; q < DELAY_ALPHABET; q++) if (out[r * DELAY_ALPHABET + q] > out[r * DELAY_ALPHABET + best]) best = q;
      if (best === mb.targets[r]) right++;
      total++;
    }
  }
  return right / total;
}
