// A/B (issue 17): the rnn forward as one matmul per step, fused with tanh
// (h_{t+1} = tanh(C + h_t·W), beta = 1; states in two ping-pong buffers,
// since one dispatch cannot read and write one buffer), against the sequence
// kernel at rows 4 and 8, alternating rounds. A real kernel would first copy
// Zx into C (one copy of T·B·H floats per window), which is not timed here.
//   node --import ./scripts/register.mjs bench/ab-recurrence-gemm.ts H,B,T [matmul variant]
import { createNodeDevice } from '../src/node/device';
import { createRnnForward } from '../src/kernels/rnn';
import { createMatmul } from '../src/kernels/matmul';
import { timeOnce } from './gemm-sweep';

const [H, B, T] = (process.argv[2] ?? '256,32,35').split(',').map(Number);
const variant = process.argv[3];
const device = await createNodeDevice();
const mk = (n: number) => {
  const b = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37) * 0.05;
  device.queue.writeBuffer(b, 0, a); return b;
};
const W = mk(H * H), zx = mk(T * B * H), hs = mk((T + 1) * B * H), hs2 = mk((T + 1) * B * H), params = mk(H);
const seq = [4, 8].map((rows) => { const k = createRnnForward(device, { hidden: H, rows, activation: 'tanh' }); const b = k.bind({ weightsT: W, zx, hs, params }, { B, t0: 0, t1: T, wOffset: 0 }); return { name: `sequence rows ${rows}`, enc: (p: GPUComputePassEncoder) => k.encode(p, b), best: Infinity }; });
const mm = createMatmul(device, { activation: 'tanh', ...(variant ? { variant: variant as any } : {}) });
const hs3 = mk((T + 1) * B * H);
const bounds = Array.from({ length: T }, (_, t) => mm.bind({ a: t % 2 ? hs3 : hs2, b: W, c: t % 2 ? hs2 : hs3 }, { M: B, N: H, K: H, aOffset: t * B * H, cOffset: (t + 1) * B * H, beta: 1 }));
console.log('matmul variant', bounds[0].variant);
const gemm = { name: 'matmul per step', enc: (p: GPUComputePassEncoder) => { for (const b of bounds) mm.encode(p, b); }, best: Infinity };
const all = [...seq, gemm];
for (let r = 0; r < Number(process.env.ROUNDS ?? 6); r++) for (const k of (r % 2 ? [...all].reverse() : all)) k.best = Math.min(k.best, await timeOnce(device, k.enc, 2));
const flop = 2 * B * H * H * T;
for (const k of all) console.log(`${k.name.padEnd(22)} ${k.best.toFixed(1)} ms/window ${(flop / k.best / 1e6).toFixed(2)} GFLOP/s`);
process.exit(0);
