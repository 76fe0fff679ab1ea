// Forward mode (RTRL, src/reference/rtrl64.ts) against reverse mode: the
// chapter's a_t = b_t + c_t·a_{t−1} carried forward gives the same gradient
// as backpropagation through time, for full BPTT, randomized truncation (the
// same ξ), the engine's block regular(τ), and the chapter's "terminate the sum
// after τ steps", which is TBPTT(1, τ + 1).
import { describe, it, expect } from 'vitest';
import { validateConfig, type RnnConfig } from '../src/model/config';
import { initWeights, paramShapes } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward, toFloat64 } from '../src/reference/rnn64';
import { referenceCells } from '../src/reference/cells64';
import { rtrlGradients, forwardVsReverse } from '../src/reference/rtrl64';
import { full, randomized, regular } from '../src/engine/truncation';
import { makeBatch } from './fixtures';
import { gradDiff } from './harness';

const T = 8, B = 2;
const configs: [string, RnnConfig][] = [
  ['tokens tanh bias', validateConfig({ input: 'tokens', inputSize: 4, hidden: 4, outputSize: 4, activation: 'tanh', bias: true, loss: 'softmax-xent' })],
  ['tokens identity no bias (the chapter)', validateConfig({ input: 'tokens', inputSize: 3, hidden: 3, outputSize: 3, activation: 'identity', bias: false, loss: 'softmax-xent' })],
  ['tokens relu bias', validateConfig({ input: 'tokens', inputSize: 4, hidden: 5, outputSize: 4, activation: 'relu', bias: true, loss: 'softmax-xent' })],
  ['dense tanh mse', validateConfig({ input: 'dense', inputSize: 3, hidden: 4, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' })],
];

describe('forward mode (RTRL) equals reverse mode', () => {
  for (const [name, c] of configs) {
    const w = toFloat64(c, initWeights(c, createRng(3)));
    const batch = makeBatch(c, B, T, 4);
    const rng = createRng(6);
    const h0 = Array.from({ length: B * c.hidden }, () => 0.5 * rng.normal());

    it(`${name}: full, randomized (same ξ) and the engine's block regular(τ) equal the chapter's reverse-mode reference`, () => {
      const cases: [string, Float32Array][] = [
        ['full', full().multipliers(T)],
        ['randomized(0.5)', randomized(0.5).multipliers(T, createRng(9))],
        ['randomized(0.8)', randomized(0.8).multipliers(T, createRng(10))],
        ['regular(3) blocks: ξ_t = 0 at t = 3, 6', regular(3).multipliers(T)],
      ];
      for (const [what, xi] of cases) {
        const fwd = rtrlGradients(c, w, batch, { h0, xi });
        const rev = referenceForwardBackward(c, w, batch, { h0, xi });
        const err = gradDiff(c, fwd.grads, rev.grads);
        console.log(`${name} ${what}: forward vs reverse max rel error ${err.toExponential(2)}`);
        expect(Math.abs(fwd.loss - rev.loss)).toBeLessThan(1e-12 * rev.loss);
        expect(err, what).toBeLessThan(1e-11);
      }
      // no ξ at all is full BPTT
      expect(gradDiff(c, rtrlGradients(c, w, batch, { h0 }).grads, referenceForwardBackward(c, w, batch, { h0 }).grads)).toBeLessThan(1e-11);
    });

    it(`${name}: per-sequence ξ equals reverse mode with the same [B][T] ξ`, () => {
      const xi = [
        [1, 2, 0, 1, 1, 0.5, 1, 0],
        [0.5, 1, 1, 0, 2, 1, 1, 1],
      ];
      const err = gradDiff(c, rtrlGradients(c, w, batch, { h0, xi }).grads, referenceCells(c, w, batch, { h0: [h0], xi }).grads);
      expect(err).toBeLessThan(1e-11);
    });

    it(`${name}: the chapter's "terminate the sum after τ steps" is TBPTT(1, τ + 1), not TBPTT(1, τ)`, () => {
      for (const tau of [0, 1, 2, 3, T - 1]) {
        const fwd = rtrlGradients(c, w, batch, { h0, tau }).grads;
        const plus1 = referenceCells(c, w, batch, { h0: [h0], tbptt: { k1: 1, k2: tau + 1 } }).grads;
        const err = gradDiff(c, fwd, plus1);
        console.log(`${name} τ = ${tau}: forward (sum of τ + 1 terms) vs TBPTT(1, ${tau + 1}) max rel error ${err.toExponential(2)}`);
        expect(err, `τ = ${tau}`).toBeLessThan(1e-11);
        if (tau >= 1 && tau < T - 1) expect(gradDiff(c, fwd, referenceCells(c, w, batch, { h0: [h0], tbptt: { k1: 1, k2: tau } }).grads)).toBeGreaterThan(1e-4);
      }
      // τ ≥ T − 1 keeps every term: full BPTT
      expect(gradDiff(c, rtrlGradients(c, w, batch, { h0, tau: T - 1 }).grads, referenceForwardBackward(c, w, batch, { h0 }).grads)).toBeLessThan(1e-11);
    });
  }

  it('forwardVsReverse gives the study its numbers, and refuses a model it was not written for', () => {
    const c = configs[0][1];
    const w = toFloat64(c, initWeights(c, createRng(3)));
    const batch = makeBatch(c, B, T, 4);
    for (const opts of [{}, { xi: randomized(0.5).multipliers(T, createRng(1)) }, { tau: 2 }]) {
      const r = forwardVsReverse(c, w, batch, opts);
      console.log(`forwardVsReverse ${r.truncation}: max rel error ${r.maxRelError.toExponential(2)}`);
      expect(r.maxRelError).toBeLessThan(1e-11);
      expect(Object.keys(r.forward).sort()).toEqual(paramShapes(c).map(([n]) => n).sort());
    }
    const lstm = validateConfig({ ...c, cell: 'lstm' });
    expect(() => rtrlGradients(lstm, toFloat64(lstm, initWeights(lstm, createRng(1))), batch)).toThrow(/forward mode is written for the chapter's model/);
    expect(() => rtrlGradients(c, w, batch, { tau: -1 })).toThrow(/tau = -1/);
  });
});
