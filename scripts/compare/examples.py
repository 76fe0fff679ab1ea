"""Train PyTorch on the data an example trained on, with the same
architecture, optimizer and number of steps, and print the held-out metric.

  node --import ./scripts/register.mjs examples/forecasting.ts --dump /tmp/f.json
  /usr/bin/python3 scripts/compare/examples.py /tmp/f.json

The dump holds the model spec (cell, layers, hidden, input, output,
returnSequences), the fit settings (epochs, batchSize, Adam's lr) and the
train / test arrays. Sequences of different lengths (ragged rows) run as
PyTorch packed sequences; a many-to-one head reads each sequence's last real
step. The weights start from the example's initial weights (its model file,
loaded with load_state_dict(strict=True)); each epoch shuffles the training
sequences in PyTorch's own order (per seed).
Prints the held-out MSE (regression) or accuracy (classes) per seed.
"""
import base64, json, struct, sys
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        inp, out = spec['input'], spec['output']
        self.tokens = inp.get('tokens')
        d = self.tokens or inp['features']
        H, L, cell = spec['hidden'], spec.get('layers', 1), spec.get('cell', 'lstm')
        kw = dict(num_layers=L, bias=spec.get('bias', True), batch_first=True)
        if cell == 'rnn':
            kw['nonlinearity'] = spec.get('activation', 'tanh')
        self.rnn = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell](d, H, **kw)
        self.classes = out.get('classes')
        self.fc = nn.Linear(H, self.classes or out['regression'], bias=spec.get('bias', True))
        self.seq = spec.get('returnSequences', False)

    def forward(self, x, lengths):
        if self.tokens:
            x = nn.functional.one_hot(x, self.tokens).float()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=x.shape[1])
        o = self.fc(h)  # (B, T, Q)
        if self.seq:
            return o
        return o[torch.arange(len(lengths)), lengths - 1]  # each sequence's last real step


def initial_state(b64):
    """The tensors of a safetensors file (read by hand: header length, JSON header, raw f32)."""
    raw = base64.b64decode(b64)
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    data = raw[8 + n:]
    return {k: torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v['shape']).clone()
            for k, v in header.items() for a, b in [v['data_offsets']]}


def tensors(spec, xs, ys):
    lengths = torch.tensor([len(s) for s in xs])
    T = int(lengths.max())
    tokens = 'tokens' in spec['input']
    width = None if tokens else len(xs[0][0])
    x = torch.zeros((len(xs), T) if tokens else (len(xs), T, width), dtype=torch.long if tokens else torch.float32)
    for i, s in enumerate(xs):
        x[i, :len(s)] = torch.tensor(s)
    classes = 'classes' in spec['output']
    if spec.get('returnSequences', False):
        y = torch.zeros((len(xs), T) if classes else (len(xs), T, spec['output']['regression']), dtype=torch.long if classes else torch.float32)
        for i, s in enumerate(ys):
            y[i, :len(s)] = torch.tensor(s)
    else:
        y = torch.tensor(ys, dtype=torch.long if classes else torch.float32)
        if not classes and y.dim() == 1:
            y = y[:, None]
    return x, lengths, y


def loss_and_metric(net, x, lengths, y):
    o = net(x, lengths)
    if net.seq:  # mean over the real positions
        mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]
        o, y = o[mask], y[mask]
    if net.classes:
        return nn.functional.cross_entropy(o, y), (o.argmax(-1) == y).float().mean().item()
    return nn.functional.mse_loss(o, y), None


def run(d, seed):
    torch.manual_seed(seed)
    spec, st = d['spec'], d['settings']
    net = Net(spec)
    net.load_state_dict(initial_state(d['initial']), strict=True)
    opt = torch.optim.Adam(net.parameters(), lr=st['optimizer']['lr'])
    x, lengths, y = tensors(spec, d['xTrain'], d['yTrain'])
    B, steps = st['batchSize'], 0
    for _ in range(st['epochs']):
        order = torch.randperm(len(x))
        for i in range(0, len(x), B):
            idx = order[i:i + B]
            loss, _ = loss_and_metric(net, x[idx], lengths[idx], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
    with torch.no_grad():
        loss, acc = loss_and_metric(net, *tensors(spec, d['xTest'], d['yTest']))
    return steps, loss.item(), acc


if __name__ == '__main__':
    d = json.load(open(sys.argv[1]))
    seeds = [int(s) for s in sys.argv[2:]] or [0, 1, 2]
    for seed in seeds:
        steps, loss, acc = run(d, seed)
        metric = f'held-out accuracy {acc:.4f} (loss {loss:.4f})' if acc is not None else f'held-out MSE {loss:.4f}'
        print(f'PyTorch seed {seed}: {steps} Adam steps, {metric}')
