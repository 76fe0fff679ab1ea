"""Load model files written by Model.save() into PyTorch with strict=True.

For each <name>.safetensors (and its <name>.json from write-models.ts): build
nn.RNN / nn.LSTM / nn.GRU as `rnn` plus nn.Linear as `fc` from the file's
model_spec, load the file's tensors with load_state_dict(strict=True) (the
optimizer state is in the metadata, which strict loading never sees), run the
JSON's inputs and compare with the predictions our code made.

The safetensors format is read by hand (no `safetensors` module needed):
an 8-byte little-endian header length, a JSON header, then the raw bytes.

Usage: /usr/bin/python3 scripts/compare/torch_strict_load.py [dir]  (default: the temp dir's webgpu-bptt-interop)
"""
import json, struct, sys, pathlib, tempfile
import torch
from torch import nn


def read_safetensors(path):
    raw = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        assert info['dtype'] == 'F32', info['dtype']
        a, b = info['data_offsets']
        t = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(info['shape'])
        tensors[name] = t.clone()
    return tensors, meta


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        cell = spec.get('cell', 'lstm')
        inp = spec['input']
        self.tokens = inp.get('tokens')
        d = inp['tokens'] if 'tokens' in inp else inp['features']
        H, L, bias = spec['hidden'], spec.get('layers', 1), spec.get('bias', True)
        if cell == 'rnn':
            self.rnn = nn.RNN(d, H, L, nonlinearity=spec.get('activation', 'tanh'), bias=bias, batch_first=True)
        else:
            self.rnn = {'lstm': nn.LSTM, 'gru': nn.GRU}[cell](d, H, L, bias=bias, batch_first=True)
        out = spec['output']
        self.classes = 'classes' in out
        self.fc = nn.Linear(H, out['classes'] if self.classes else out['regression'], bias=bias)

    def forward(self, x):
        if self.tokens:
            x = nn.functional.one_hot(x, self.tokens).double()
        o = self.fc(self.rnn(x)[0])
        return o.softmax(-1) if self.classes else o


def check(stem):
    tensors, meta = read_safetensors(stem.with_suffix('.safetensors'))
    spec = json.loads(meta['model_spec'])
    net = Net(spec).double()
    result = net.load_state_dict({k: v.double() for k, v in tensors.items()}, strict=True)
    case = json.loads(stem.with_suffix('.json').read_text())
    x = torch.tensor(case['x'], dtype=torch.long if net.tokens else torch.float64)
    with torch.no_grad():
        got = net(x)
    ours = torch.tensor(case['predictions'], dtype=torch.float64)
    err = (got - ours).abs().max().item()
    opt = json.loads(meta['model_optimizer']) if 'model_optimizer' in meta else None
    print(f"{stem.name}: load_state_dict(strict=True) {result}; {len(tensors)} tensors "
          f"({', '.join(sorted(tensors))}); optimizer in metadata: {opt['kind'] if opt else None} step {opt['step'] if opt else '-'}; "
          f"max |torch - ours| = {err:.2e}")
    assert err < 1e-5, err
    return err


if __name__ == '__main__':
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(tempfile.gettempdir()) / 'webgpu-bptt-interop')
    stems = sorted(p.with_suffix('') for p in root.glob('*.safetensors'))
    assert stems, f'no .safetensors files in {root}'
    worst = max(check(s) for s in stems)
    print(f'all {len(stems)} files loaded strictly; worst max |torch - ours| = {worst:.2e}')
