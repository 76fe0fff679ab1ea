// The delay task separates the truncations as theory says (fixed seeds):
// TBPTT(1, k2) learns lag k only when k2 ≥ k + 1 — the loss at step t must
// reach h_{t−k}, where the symbol it asks for came in.
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { delayRun } from '../study/delay';
import { DEFAULTS } from '../study/options';
import { truncationFrom, type TruncationSpec } from '../src/engine/truncation';

const opts = { ...DEFAULTS, delaySteps: 300, delayHidden: 32, delayBatch: 16, delayWindow: 12, lr: 0.01, clip: 1, evalWindows: 2 };
const run = async (spec: TruncationSpec, lag: number) => delayRun(await gpu(), { label: JSON.stringify(spec), spec, truncation: truncationFrom(spec) }, lag, opts, 1);

describe('delay task', () => {
  it('TBPTT(1, k2) learns lag 3 with k2 = 4 and not with k2 = 3', async () => {
    const short = await run({ kind: 'tbptt', k1: 1, k2: 3 }, 3);
    const enough = await run({ kind: 'tbptt', k1: 1, k2: 4 }, 3);
    console.log(`lag 3: tbptt(1, 3) accuracy ${short.accuracy.toFixed(3)} loss ${short.finalLoss.toFixed(3)}; tbptt(1, 4) accuracy ${enough.accuracy.toFixed(3)} loss ${enough.finalLoss.toFixed(3)} (chance 0.125)`);
    expect(short.accuracy).toBeLessThan(0.35);
    expect(enough.accuracy).toBeGreaterThan(0.7);
  });
});
