#!/usr/bin/env python3
"""The PyTorch half of bench/gpu.sh: the same training step as webgpu-bptt's
(forward over T steps, mean softmax cross-entropy over B·T tokens, BPTT,
global-norm clipping at 1, SGD with lr 1), written two ways a PyTorch user
would: cuDNN's nn.RNN / nn.LSTM with nn.Linear, and a hand-written loop over
the time steps under autograd. One-hot inputs, uniform random tokens and
targets; each step's loss is read back (as our "each awaited" time).

    python3 bench/torch_rnn.py --workloads S:28:256:32:35:rnn,... --steps 10 --json out.json

Without PyTorch it says so on stdout and writes {"torch": null, "reason": ...};
it never needs the network.
"""
import argparse
import json
import math
import statistics
import sys
import time


def parse_workloads(text):
    out = []
    for spec in text.split(','):
        name, V, H, B, T, cell = spec.split(':')
        out.append({'name': name, 'V': int(V), 'H': int(H), 'B': int(B), 'T': int(T), 'cell': cell})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--workloads', required=True, help='name:V:H:B:T:cell,...')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--device', default='auto', help='auto (cuda if available), cuda or cpu')
    ap.add_argument('--json', required=True)
    a = ap.parse_args()
    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        reason = f'import torch failed: {type(e).__name__}: {e}'
        print(f'PyTorch: not installed ({reason}); the PyTorch rows are left out.')
        with open(a.json, 'w') as f:
            json.dump({'torch': None, 'reason': reason, 'rows': []}, f)
        return 0
    import torch.nn as nn
    import torch.nn.functional as F

    dev = torch.device('cuda' if a.device == 'auto' and torch.cuda.is_available() else ('cpu' if a.device == 'auto' else a.device))
    if dev.type == 'cuda':
        dev_name = torch.cuda.get_device_name(dev)
        cudnn = f'cuDNN {torch.backends.cudnn.version()}' if torch.backends.cudnn.is_available() else 'no cuDNN'
    else:
        dev_name = f'CPU ({torch.get_num_threads()} threads)'
        cudnn = 'CPU kernels (cuDNN is CUDA only)'
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == 'cuda' else (lambda: None)
    print(f'PyTorch {torch.__version__} on {dev_name}, {cudnn}')

    def data(w, seed):
        g = torch.Generator().manual_seed(seed)
        tokens = torch.randint(0, w['V'], (w['T'], w['B']), generator=g)
        targets = torch.randint(0, w['V'], (w['T'], w['B']), generator=g)
        x = F.one_hot(tokens, w['V']).float().to(dev)
        return x, targets.to(dev)

    def timed(step, w):
        losses = []
        for _ in range(a.warmup):
            losses.append(step())
        times = []
        for _ in range(a.steps):
            sync()
            t0 = time.perf_counter()
            losses.append(step())  # .item(): the loss is on the CPU when the step ends
            times.append((time.perf_counter() - t0) * 1000)
        first = losses[0]
        return {'min': min(times), 'median': statistics.median(times), 'max': max(times), 'n': len(times)}, first

    def cudnn_step(w):
        torch.manual_seed(1)
        V, H = w['V'], w['H']
        rnn = (nn.LSTM(V, H) if w['cell'] == 'lstm' else nn.RNN(V, H, nonlinearity='tanh')).to(dev)
        out = nn.Linear(H, V).to(dev)
        params = list(rnn.parameters()) + list(out.parameters())
        opt = torch.optim.SGD(params, lr=1.0)
        x, y = data(w, 2)

        def step():
            opt.zero_grad(set_to_none=True)
            hs, _ = rnn(x)
            loss = F.cross_entropy(out(hs).reshape(-1, V), y.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return loss.item()
        return step

    def loop_step(w):
        torch.manual_seed(1)
        V, H, B, T, G = w['V'], w['H'], w['B'], w['T'], (4 if w['cell'] == 'lstm' else 1)
        k = 1 / math.sqrt(H)
        u = lambda *shape: ((torch.rand(*shape, device=dev) * 2 - 1) * k).requires_grad_()
        W_hx, W_hh, b_h, W_qh, b_q = u(G * H, V), u(G * H, H), u(G * H), u(V, H), u(V)
        params = [W_hx, W_hh, b_h, W_qh, b_q]
        x, y = data(w, 2)

        def step():
            for p in params:
                p.grad = None
            h = torch.zeros(B, H, device=dev)
            c = torch.zeros(B, H, device=dev)
            outs = []
            for t in range(T):
                z = x[t] @ W_hx.T + h @ W_hh.T + b_h
                if G == 1:
                    h = torch.tanh(z)
                else:
                    i, f, g, o = z.chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                outs.append(h @ W_qh.T + b_q)
            loss = F.cross_entropy(torch.stack(outs).reshape(-1, V), y.reshape(-1))
            loss.backward()
            norm = torch.sqrt(sum((p.grad ** 2).sum() for p in params))
            scale = torch.clamp(1.0 / norm, max=1.0)
            with torch.no_grad():
                for p in params:
                    p -= 1.0 * scale * p.grad
            return loss.item()
        return step

    rows = []
    for w in parse_workloads(a.workloads):
        kind = 'nn.LSTM' if w['cell'] == 'lstm' else 'nn.RNN'
        for impl, make in ((f'{"cuDNN " if dev.type == "cuda" else ""}{kind}', cudnn_step), ('autograd loop', loop_step)):
            ms, first = timed(make(w), w)
            rows.append({'workload': w['name'], 'impl': f'PyTorch {impl}', 'ms': ms, 'initialLoss': first})
            print(f"  {w['name']} PyTorch {impl}: {ms['median']:.2f} ms/step [{ms['min']:.2f}-{ms['max']:.2f}], initial loss {first:.3f} (ln V = {math.log(w['V']):.3f})")
    with open(a.json, 'w') as f:
        json.dump({'torch': torch.__version__, 'device': dev_name, 'backend': cudnn, 'rows': rows}, f)
    return 0


if __name__ == '__main__':
    sys.exit(main())
