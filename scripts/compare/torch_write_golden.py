"""Write a PyTorch state dict (nn.LSTM as `rnn`, nn.Linear as `fc`) as plain
safetensors, with no metadata, and the outputs PyTorch computes for some
inputs: test/model-checkpoint.test.ts loads it with loadModel(device, bytes,
{ spec }) and must predict the same. The safetensors bytes are written by hand
(8-byte little-endian header length, JSON header, raw f32).

Usage: /usr/bin/python3 scripts/compare/torch_write_golden.py   (writes test/golden/model-api/)
"""
import json, struct, pathlib
import torch
from torch import nn

torch.manual_seed(0)
out = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'golden' / 'model-api'
out.mkdir(parents=True, exist_ok=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5, 2, batch_first=True)
        self.fc = nn.Linear(5, 2)


net = Net()
state = {k: v.detach().float().contiguous() for k, v in net.state_dict().items()}
header, blobs, at = {}, [], 0
for k in sorted(state):
    b = state[k].numpy().tobytes()
    header[k] = {'dtype': 'F32', 'shape': list(state[k].shape), 'data_offsets': [at, at + len(b)]}
    blobs.append(b)
    at += len(b)
head = json.dumps(header).encode()
head += b' ' * ((8 - len(head) % 8) % 8)
(out / 'torch-lstm2.safetensors').write_bytes(struct.pack('<Q', len(head)) + head + b''.join(blobs))

x = torch.randn(2, 4, 3)
with torch.no_grad():
    net64 = net.double()
    o = net64.fc(net64.rnn(x.double())[0])
spec = {'cell': 'lstm', 'layers': 2, 'hidden': 5, 'input': {'features': 3}, 'output': {'regression': 2}, 'returnSequences': True}
(out / 'torch-lstm2.json').write_text(json.dumps({'spec': spec, 'x': x.tolist(), 'outputs': o.tolist()}))
print('wrote', out / 'torch-lstm2.safetensors', 'and .json')
