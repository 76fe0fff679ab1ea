#!/usr/bin/env python3
"""Golden files for variable-length batches, written by PyTorch's packed sequences,
for test/golden-packed.test.ts.

Every case is nn.RNN (tanh) / nn.LSTM / nn.GRU (attribute `rnn`, biases on) with
dense input d = 3, H = 5, B = 4, T = 6 and an nn.Linear head (`fc`, Q = 4). The
batch has distinct, unsorted lengths [6, 3, 1, 4]; the forward pass is, by
definition, PyTorch's:

  packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
  out, last = rnn(packed)              # zero initial state
  out, _ = pad_packed_sequence(out, total_length=T)
  logits = fc(out)                     # (T, B, Q)

so padded steps change no state and `last` (h_n, c_n) is each sequence's state
at its last real step. The losses:

  many-to-many, 'softmax-xent': F.cross_entropy over (T·B) rows with the targets
      of padded steps set to -100 (ignore_index): the mean over the real (t, b).
  many-to-many, 'mse': F.mse_loss over the real (t, b) rows (all Q values):
      mean over real positions of sum_q d^2 / Q.
  many-to-one ('softmax-xent'): F.cross_entropy(fc(h_n[top]), y) over B, the
      head applied to each sequence's last real top-layer state. In the
      engine's terms: loss weight 1 at t = lengths[b] - 1, 0 elsewhere.

The model is built from a seed in float32 (so the weights, and x, are exactly
representable in float32, the GPU's precision) and then run in float64
(.double()); the loss, outputs, final states and gradients are float64.

Each case goes to test/golden/packed/<name>.json with:
  config      the engine's RnnConfig (cell, layers, input 'dense', inputSize d,
              hidden H, outputSize Q, activation, bias, loss)
  many_to_one true for the many-to-one case
  B, T, lengths
  weights     by PyTorch's names without the module prefix: weight_ih_l0, ...,
              and the head as W_qh (fc.weight) / b_q (fc.bias); row-major, flat
  x           (T, B, d) time-major, nested [T][B][d]; padded steps hold random
              values too (PyTorch never reads them; neither may the engine)
  targets     [T][B] class ids, valid everywhere: many-to-many xent gives
              PyTorch -100 (ignored) at padded steps; many-to-one uses only
              targets[lengths[b] - 1][b]. y [T][B][Q] for mse, likewise
              random at padded steps, which the loss does not see
  loss_weights [T][B]: 1 where the loss is taken, 0 elsewhere (the engine's
              lossWeights for the same loss)
  outputs     [T][B][Q] logits fc(out) at real steps, null at padded steps
  h_n, c_n    [layers][B][H] (c_n for LSTM)
  loss        float64
  grads       float64 gradient of every parameter, same names as weights

Run with Debian's python3-torch:  /usr/bin/python3 scripts/golden/make_packed.py
"""
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
import torch.nn.functional as F

D, H, B, T, Q = 3, 5, 4, 6, 4
LENGTHS = [6, 3, 1, 4]
SEED = 20261205
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'packed')

# (name, cell, layers, loss, many_to_one)
CASES = [
    ('rnn_l1_xent', 'rnn', 1, 'softmax-xent', False),
    ('rnn_l2_xent', 'rnn', 2, 'softmax-xent', False),
    ('lstm_l1_xent', 'lstm', 1, 'softmax-xent', False),
    ('lstm_l2_xent', 'lstm', 2, 'softmax-xent', False),
    ('gru_l1_xent', 'gru', 1, 'softmax-xent', False),
    ('gru_l2_xent', 'gru', 2, 'softmax-xent', False),
    ('gru_l2_mse', 'gru', 2, 'mse', False),
    ('lstm_l2_many_to_one', 'lstm', 2, 'softmax-xent', True),
]


class Model(nn.Module):
    def __init__(self, cell, layers):
        super().__init__()
        self.rnn = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell](D, H, num_layers=layers, bias=True)
        self.fc = nn.Linear(H, Q)


def our_name(k):
    """rnn.weight_ih_l0 -> weight_ih_l0; fc.weight -> W_qh; fc.bias -> b_q."""
    return {'fc.weight': 'W_qh', 'fc.bias': 'b_q'}.get(k, k[len('rnn.'):])


def flat(t):
    return [float(v) for v in t.detach().to(torch.float64).reshape(-1)]


def make(i, name, cell, layers, loss_kind, many_to_one):
    torch.manual_seed(SEED + i)
    model = Model(cell, layers)
    lengths = torch.tensor(LENGTHS)
    real = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)
    x = torch.randn(T, B, D)  # float32 values; padded steps hold values too, which must not matter
    model.double()
    x = x.double()

    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, last = model.rnn(packed)
    out, _ = pad_packed_sequence(out, total_length=T)  # (T, B, H), zeros at padded steps
    logits = model.fc(out)  # (T, B, Q)
    h_n = last[0] if cell == 'lstm' else last
    c_n = last[1] if cell == 'lstm' else None

    # h_n really is each sequence's state at its last real step, and each
    # sequence run alone (unpadded) gives the same outputs and final states
    for b in range(B):
        n = LENGTHS[b]
        assert torch.equal(h_n[-1, b], out[n - 1, b]), (name, b)
        with torch.no_grad():
            alone, last_b = model.rnn(x[:n, b : b + 1])
        assert torch.allclose(alone[:, 0], out[:n, b], rtol=0, atol=1e-14), (name, b)
        assert torch.allclose(last_b[0] if cell == 'lstm' else last_b, (h_n if cell != 'lstm' else last[0])[:, b : b + 1], rtol=0, atol=1e-14), (name, b)
        if cell == 'lstm':
            assert torch.allclose(last_b[1], c_n[:, b : b + 1], rtol=0, atol=1e-14), (name, b)
        assert float(out[n:, b].abs().max() if n < T else 0) == 0.0, (name, b)

    weights_tb = real.to(torch.float64)  # the engine's loss weights (T, B)
    case = {}
    if many_to_one:
        # targets (T, B) of valid ids everywhere; the loss uses targets[lengths[b] - 1][b] only
        targets = torch.randint(0, Q, (T, B))
        last_targets = torch.tensor([int(targets[LENGTHS[b] - 1, b]) for b in range(B)])
        loss = F.cross_entropy(model.fc(h_n[-1]), last_targets)
        weights_tb = torch.zeros(T, B, dtype=torch.float64)
        for b in range(B):
            weights_tb[LENGTHS[b] - 1, b] = 1.0
        # the same loss through the per-step logits with weight 1 at t = lengths[b] - 1
        rows = -F.log_softmax(logits, dim=2).gather(2, targets.unsqueeze(2))[..., 0]
        alt = (rows * weights_tb).sum() / weights_tb.sum()
        assert abs(float(alt) - float(loss)) < 1e-13 * abs(float(loss)), name
        case['targets'] = targets.tolist()
    elif loss_kind == 'softmax-xent':
        # targets (T, B) of valid ids everywhere; PyTorch sees -100 (ignored) at padded steps
        targets = torch.randint(0, Q, (T, B))
        ignored = targets.clone()
        ignored[~real] = -100
        loss = F.cross_entropy(logits.reshape(T * B, Q), ignored.reshape(T * B), ignore_index=-100)
        case['targets'] = targets.tolist()
    else:
        # y (T, B, Q) everywhere; the loss sees the real (t, b) only
        y = torch.randn(T, B, Q).double()
        loss = F.mse_loss(logits[real], y[real])
        case['y'] = y.tolist()

    model.zero_grad()
    loss.backward()

    outputs = [[logits[t, b].tolist() if LENGTHS[b] > t else None for b in range(B)] for t in range(T)]
    sd = dict(model.named_parameters())
    config = {'cell': cell, 'layers': layers, 'input': 'dense', 'inputSize': D, 'hidden': H, 'outputSize': Q,
              'activation': 'tanh', 'bias': True, 'loss': loss_kind}
    golden = {
        'about': 'written by scripts/golden/make_packed.py with PyTorch ' + torch.__version__ + ' (pack_padded_sequence, float64)',
        'name': name,
        'config': config,
        'many_to_one': many_to_one,
        'B': B, 'T': T,
        'lengths': LENGTHS,
        'weights': {our_name(k): flat(p) for k, p in sd.items()},
        'x': x.tolist(),
        **case,
        'loss_weights': weights_tb.tolist(),
        'outputs': outputs,
        'h_n': h_n.detach().tolist(),
        'loss': float(loss),
        'grads': {our_name(k): flat(p.grad) for k, p in sd.items()},
    }
    if c_n is not None:
        golden['c_n'] = c_n.detach().tolist()
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(golden, f)
        f.write('\n')
    print(f'{name}: loss {float(loss):.17g}')


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, c in enumerate(CASES):
        make(i, *c)


if __name__ == '__main__':
    main()
