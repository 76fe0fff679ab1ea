// validateConfig as a PyTorch user writes configs: `activation` may be left
// out (the rnn cell's φ is tanh then, as nn.RNN's default); LSTM and GRU have
// fixed nonlinearities, so there it is omitted or 'tanh' and anything else is
// refused by name — in the CLI too, before any GPU work.
import { describe, it, expect, vi } from 'vitest';
import { main } from '../src/cli/main';
import { validateConfig } from '../src/model/config';
import { BpttError } from '../src/errors';

const base = { input: 'tokens', inputSize: 5, hidden: 4, outputSize: 5, bias: true, loss: 'softmax-xent' } as const;

describe('validateConfig: activation', () => {
  it('omitted: tanh for every cell', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) expect(validateConfig({ ...base, cell }).activation).toBe('tanh');
    expect(validateConfig({ ...base }).activation).toBe('tanh'); // cell omitted too: the chapter's rnn
  });

  it('rnn keeps any of its activations; lstm and gru accept tanh', () => {
    for (const activation of ['tanh', 'identity', 'relu'] as const) expect(validateConfig({ ...base, activation }).activation).toBe(activation);
    for (const cell of ['lstm', 'gru'] as const) expect(validateConfig({ ...base, cell, activation: 'tanh' }).activation).toBe('tanh');
  });

  it('lstm and gru refuse any other activation by name, value and cell', () => {
    for (const cell of ['lstm', 'gru'] as const) {
      for (const activation of ['relu', 'identity']) {
        const f = () => validateConfig({ ...base, cell, activation });
        expect(f).toThrow(BpttError);
        expect(f).toThrow(`config.activation = "${activation}": is not used by the ${cell} cell (its nonlinearities are fixed, as in PyTorch): omit it or give "tanh"`);
      }
    }
    // an unknown one is refused as before, for every cell
    expect(() => validateConfig({ ...base, activation: 'sigmoid' })).toThrow(/config\.activation = "sigmoid": must be one of "tanh", "identity", "relu"/);
  });

  it('train --cell lstm --activation relu is refused through the config, before any GPU work', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const code = await main(['train', '--cell', 'lstm', '--activation', 'relu', '--hidden', '4', '--steps', '4', '--batch', '2', '--epochs', '1', '--quiet']);
      expect(code).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/config\.activation = "relu": is not used by the lstm cell/);
    } finally {
      err.mockRestore();
    }
  });
});
