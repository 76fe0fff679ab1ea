#!/usr/bin/env python3
"""Golden files written by PyTorch itself, for test/golden-torch.test.ts.

For each cell (nn.RNN, nn.LSTM, nn.GRU) with 2 layers and an nn.Linear output
layer (attributes `rnn` and `fc`, so the state dict's names are
rnn.weight_ih_l0, ..., fc.weight, fc.bias), a fixed seed and nonzero h0 (and
c0), this writes into test/golden/:

  torch_<cell>.safetensors  the float32 state dict as saved
  torch_<cell>.json         tokens, targets, h0/c0, PyTorch's loss (the float32
                            model, and the same in float64 with .double()),
                            h_n/c_n, and PyTorch's float64 gradients for full
                            BPTT and for truncated runs:
                              tbptt(1,3), tbptt(2,5) (T = 7: not a multiple of
                              k1), a per-sequence 2-D xi, a shared xi with
                              zeros, and tbptt(2,5) with a 2-D xi.

Truncation is built from PyTorch's own tools, by definition, one loss at a
time: the loss at step t starts from the state before step j,
j = max(0, (t // k1 + 1) * k1 - k2), `detach()`ed (that cuts the link into
h_j), and steps j .. t run with autograd; between steps s - 1 and s the state
(h and c of every layer) passes through ScaleGrad, the identity whose backward
multiplies the gradient by xi[b][s]. Full BPTT is one call of the module on the
whole sequence and one backward.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/golden/make_golden.py
"""
import json
import os
import struct

import torch
from torch import nn

V, H, B, T, LAYERS = 5, 7, 3, 7, 2
SEED = 20240611
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden')


class Model(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell](V, H, num_layers=LAYERS)
        self.fc = nn.Linear(H, V)


class ScaleGrad(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by s (broadcast (1, B, 1))."""

    @staticmethod
    def forward(ctx, x, s):
        ctx.save_for_backward(s)
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * s, None


def write_safetensors(path, tensors):
    """The safetensors container, written here because Debian has no python3-safetensors:
    an 8-byte little-endian header length, a JSON header {name: {dtype: "F32", shape,
    data_offsets: [begin, end]}} (plus __metadata__), padded with spaces to 8 bytes, then
    the raw little-endian bytes of each tensor in the header's order."""
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(',', ':')).encode('utf-8')
    head += b' ' * ((8 - len(head) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)


def one_hot(tokens, dtype):
    return nn.functional.one_hot(tokens, V).to(dtype)  # (T, B, V)


def full_loss(model, x, targets, state):
    out, last = model.rnn(x, state)  # out: (T, B, H) of the top layer
    logits = model.fc(out)  # (T, B, V)
    return nn.functional.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B)), last


def truncated_grads(model, x, targets, state, cell, xi=None, tbptt=None):
    """PyTorch's gradient of the truncated loss, one loss at a time (see the docstring)."""
    model.zero_grad()
    as_tuple = (lambda s: s) if cell == 'lstm' else (lambda s: (s,))
    from_tuple = (lambda s: s) if cell == 'lstm' else (lambda s: s[0])
    for t in range(T):
        j = 0 if tbptt is None else max(0, (t // tbptt[0] + 1) * tbptt[0] - tbptt[1])
        with torch.no_grad():
            s = state
            for u in range(j):
                _, s = model.rnn(x[u : u + 1], s)
        s = tuple(v.detach() for v in as_tuple(s))  # the link from h_{j-1} into h_j is cut
        for u in range(j, t + 1):
            if xi is not None and u > j:
                scale = xi[:, u].reshape(1, B, 1)
                s = tuple(ScaleGrad.apply(v, scale) for v in s)
            out, s = model.rnn(x[u : u + 1], from_tuple(s))
            s = as_tuple(s)
        loss_t = nn.functional.cross_entropy(model.fc(out[0]), targets[t], reduction='sum') / (B * T)
        loss_t.backward()
    return {k: p.grad.detach().clone() for k, p in model.named_parameters()}


def flat(t):
    return [float(v) for v in t.detach().to(torch.float64).reshape(-1)]


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, cell in enumerate(['rnn', 'lstm', 'gru']):
        torch.manual_seed(SEED + i)
        model = Model(cell)
        tokens = torch.randint(0, V, (T, B))
        targets = torch.randint(0, V, (T, B))
        h0 = 0.5 * torch.randn(LAYERS, B, H)  # float32: both models start from these exact values
        c0 = 0.5 * torch.randn(LAYERS, B, H) if cell == 'lstm' else None
        write_safetensors(os.path.join(OUT, f'torch_{cell}.safetensors'), model.state_dict())

        # the float32 model as saved
        state32 = (h0, c0) if cell == 'lstm' else h0
        with torch.no_grad():
            loss32, _ = full_loss(model, one_hot(tokens, torch.float32), targets, state32)

        # the same in float64
        model.double()
        x = one_hot(tokens, torch.float64)
        state = (h0.double(), c0.double()) if cell == 'lstm' else h0.double()
        model.zero_grad()
        loss64, last = full_loss(model, x, targets, state)
        loss64.backward()
        runs = [{'name': 'full', 'grads': {k: flat(p.grad) for k, p in model.named_parameters()}}]
        # the per-loss construction with no truncation must be full BPTT
        check = truncated_grads(model, x, targets, state, cell)
        for k, p in model.named_parameters():
            assert torch.allclose(check[k], torch.tensor(runs[0]['grads'][k], dtype=torch.float64).reshape(p.shape), rtol=1e-10, atol=1e-14), k

        shared = [1.0, 1.0, 0.0, 1.5, 1.0, 0.0, 2.0]
        per_seq = [[1.0, 1 / 0.7, 0.0, 1 / 0.7, 1.0, 1 / 0.7, 0.0],
                   [1.0, 0.0, 1 / 0.7, 1 / 0.7, 0.0, 1.0, 1 / 0.7],
                   [0.5, 1.0, 1.0, 0.0, 2.0, 1.0, 1.0]]
        cases = [
            ('tbptt(1,3)', None, (1, 3)),
            ('tbptt(2,5)', None, (2, 5)),
            ('xi per sequence', per_seq, None),
            ('xi shared with zeros', [shared] * B, None),
            ('tbptt(2,5) + xi per sequence', per_seq, (2, 5)),
        ]
        for name, xi, tb in cases:
            g = truncated_grads(model, x, targets, state, cell, None if xi is None else torch.tensor(xi, dtype=torch.float64), tb)
            run = {'name': name, 'grads': {k: flat(v) for k, v in g.items()}}
            if tb is not None:
                run['tbptt'] = {'k1': tb[0], 'k2': tb[1]}
            if xi is not None:
                run['xi'] = shared if name.startswith('xi shared') else xi
            runs.append(run)

        h_n = last[0] if cell == 'lstm' else last
        golden = {
            'about': 'written by scripts/golden/make_golden.py with PyTorch ' + torch.__version__,
            'config': {'cell': cell, 'layers': LAYERS, 'input': 'tokens', 'inputSize': V, 'hidden': H, 'outputSize': V,
                       'activation': 'tanh', 'bias': True, 'loss': 'softmax-xent'},
            'B': B, 'T': T,
            'tokens': tokens.tolist(),  # [T][B]
            'targets': targets.tolist(),  # [T][B]
            'h0': h0.double().tolist(),  # [layers][B][H]
            'loss_float32': float(loss32),
            'loss_float64': float(loss64),
            'h_last': h_n.detach().tolist(),
            'runs': runs,
        }
        if cell == 'lstm':
            golden['c0'] = c0.double().tolist()
            golden['c_last'] = last[1].detach().tolist()
        with open(os.path.join(OUT, f'torch_{cell}.json'), 'w') as f:
            json.dump(golden, f)
            f.write('\n')
        print(f'{cell}: loss float32 {float(loss32):.9f}, float64 {float(loss64):.17g}')


if __name__ == '__main__':
    main()
