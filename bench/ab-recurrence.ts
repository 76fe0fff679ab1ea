// A/B for the sequence recurrence kernels (issue 17): the shipped kernel and
// WGSL variants read from files (same bindings and override constants, each
// compiled under its own kernel name: pipelines are cached per device by
// name), timed in alternating rounds against three of the sweep's variants
// at the per-step shape (B×H)·(H×G·H), each run as the sweep times them
// (timeOnce: the fastest of 5); the fastest window of each counts, and
// each round starts one later in the list (a place in the round moves a time
// by up to 20% on this machine, so list a file twice to see the noise).
//   node --import ./scripts/register.mjs bench/ab-recurrence.ts KERNEL H,B,T,rows[,unitsPerThread] [variant.wgsl[:unitsPerThread] ...]
//   unitsPerThread: a variant's units per thread, which sets its workgroup size (default: the shipped kernel's)
//   KERNEL: rnn_forward, rnn_backward, lstm_forward, lstm_backward, gru_forward or gru_backward
//   ROUNDS=10 …  rounds (default 6)
// The forward's outputs are checked against the shipped kernel's first (the
// reverse kernels carry ∂L/∂h from run to run, so theirs are not).
import { readFileSync } from 'node:fs';
import { createNodeDevice } from '../src/node/device';
import { sequenceKernel, sequenceConstants } from '../src/kernels/sequence-kernel';
import { RNN_FORWARD_WGSL, RNN_BACKWARD_WGSL, maxHidden } from '../src/kernels/rnn';
import { RECURRENCE_UNITS } from '../src/kernels/recurrence-wgsl';
import { LSTM_FORWARD_WGSL, LSTM_BACKWARD_WGSL } from '../src/kernels/lstm';
import { GRU_FORWARD_WGSL, GRU_BACKWARD_WGSL } from '../src/kernels/gru';
import { gatedConstants } from '../src/kernels/gated';
import { uniformStruct } from '../src/gpu/uniform';
import { F32 } from '../src/kernels/kernel';
import { createRng } from '../src/util/rng';
import { prepareVariant, timeOnce } from './gemm-sweep';
import { rotatedRounds } from '../src/gpu/timing';

const kernel = process.argv[2] as keyof typeof KERNELS;
const [H, B, T, rows, upt] = (process.argv[3] ?? '256,32,35,8').split(',').map(Number);
const device = await createNodeDevice();
// U(±scale) from a fixed seed; the weights at U(±1/√H), so W_hh's spectral
// radius is about 0.6 and the carried gradients stay finite over the windows
const fill = (n: number, scale = 0.5) => {
  const rng = createRng(n);
  return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * scale);
};
const mk = (n: number, scale?: number) => {
  const b = device.createBuffer({ size: n * F32, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  device.queue.writeBuffer(b, 0, fill(n, scale));
  return b;
};
const xi = device.createBuffer({ size: (T * B + T) * F32, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(xi, 0, new Float32Array(T * B + T).fill(1));
const steps = T * B * H, states = (T + 1) * B * H;
const reverse = { B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32', xi_offset: 'u32', mask_offset: 'u32' } as const;
const reverseDims = { t0: 0, t1: T, w_offset: 0, xi_offset: 0, mask_offset: T * B };

/** Each kernel's shipped text, Params, bindings, buffers (element counts), uniforms and gates G. */
const KERNELS = {
  rnn_forward: {
    code: RNN_FORWARD_WGSL, G: 1, params: { B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32', b_offset: 'u32' },
    buffers: { weightsT: H * H, zx: steps, hs: states, params: H, lengths: B }, uniforms: { t0: 0, t1: T, w_offset: 0, b_offset: 0 }, out: 'hs',
  },
  rnn_backward: {
    code: RNN_BACKWARD_WGSL, G: 1, params: reverse,
    buffers: { params: H * H, hs: states, dHo: steps, xi: 0, dHc: B * H, dG: steps, dH: steps }, uniforms: reverseDims, out: null,
  },
  lstm_forward: {
    code: LSTM_FORWARD_WGSL, G: 4, params: { B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', b_offset: 'u32' },
    buffers: { weightsT: 4 * H * H, params: 4 * H, zx: 4 * steps, hs: states, cs: states, gates: 4 * steps, lengths: B }, uniforms: { t0: 0, t1: T, b_offset: 0 }, out: 'hs',
  },
  lstm_backward: {
    code: LSTM_BACKWARD_WGSL, G: 4, params: { ...reverse, c_offset: 'u32' },
    buffers: { params: 4 * H * H, cs: states, gates: 4 * steps, dHo: steps, xi: 0, dHc: 2 * B * H, dG: 4 * steps, dH: 2 * steps }, uniforms: { ...reverseDims, c_offset: steps }, out: null,
  },
  gru_forward: {
    code: GRU_FORWARD_WGSL, G: 3, params: { B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', b_offset: 'u32' },
    buffers: { weightsT: 3 * H * H, params: 3 * H, zx: 3 * steps, hs: states, gates: 4 * steps, lengths: B }, uniforms: { t0: 0, t1: T, b_offset: 0 }, out: 'hs',
  },
  gru_backward: {
    code: GRU_BACKWARD_WGSL, G: 3, params: { ...reverse, gh_offset: 'u32' },
    buffers: { params: 3 * H * H, hs: states, gates: 4 * steps, dHo: steps, xi: 0, dHc: B * H, dG: 6 * steps, dH: steps }, uniforms: { ...reverseDims, gh_offset: 3 * steps }, out: null,
  },
} as const;
const spec = KERNELS[kernel];
if (!spec) throw new Error(`KERNEL must be one of ${Object.keys(KERNELS).join(', ')}, not ${kernel}`);
const names = Object.keys(spec.buffers);
// (no lengths buffer: the kernel's default, every step real)
const bufs: Record<string, GPUBuffer> = Object.fromEntries(names.filter((n) => n !== 'lengths').map((n, i) => [n, n === 'xi' ? xi : mk((spec.buffers as Record<string, number>)[n], i === 0 ? 1 / Math.sqrt(H) : 0.5)]));
const bytes = Object.fromEntries(names.map((n) => [n, n === 'xi' || n === 'lengths' ? (n === 'xi' ? (T * B + T) * F32 : B * 4) : (spec.buffers as Record<string, number>)[n] * F32]));
const written = kernel.endsWith('forward') ? ['hs', 'cs', 'gates'] : ['dHc', 'dG', 'dH'];
const bindings = names.map((n) => [n, written.includes(n) ? 'rw' : 'read'] as const);

const variants: { name: string; code: string; upt?: number }[] = [{ name: 'shipped', code: spec.code as string }];
for (const f of process.argv.slice(4)) {
  const [path, u] = f.split(':');
  variants.push({ name: path, code: readFileSync(path, 'utf8'), upt: u === undefined ? upt : Number(u) });
}
const kernels = variants.map((v, i) => {
  // the shipped kernel's constants; a variant's unitsPerThread sets its workgroup size as sequenceConstants does
  const c = spec.G === 1 ? sequenceConstants(device, '', H, rows, (r) => maxHidden(device, r), '', RECURRENCE_UNITS) : gatedConstants(device, kernel, { hidden: H, rows }, kernel.endsWith('forward') ? 'forward' : 'backward').c;
  if (v.upt !== undefined) c.WG = sequenceConstants(device, '', H, rows, () => H, '', v.upt).WG;
  if (spec.G === 1) c.ACTIVATION = 1;
  const k = sequenceKernel(device, { name: `${kernel}.ab${i}`, code: v.code, params: uniformStruct(spec.params as Record<string, 'u32'>), bindings }, c, rows, (d: { B: number }) => ({
    uniforms: { B: d.B, H, ...spec.uniforms },
    bytes,
  }));
  const bound = k.bind(bufs, { B });
  return { name: v.name, best: Infinity, encode: (p: GPUComputePassEncoder) => k.encode(p, bound) };
});

async function read(buffer: GPUBuffer): Promise<Float32Array> {
  const st = device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(buffer, 0, st, 0, st.size);
  device.queue.submit([e.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const a = new Float32Array(st.getMappedRange().slice(0));
  st.destroy();
  return a;
}
if (spec.out) {
  let ref: Float32Array | null = null;
  for (const k of kernels) {
    device.queue.writeBuffer(bufs[spec.out], 0, fill(states)); // every kernel starts from the same states
    const e = device.createCommandEncoder();
    const p = e.beginComputePass();
    k.encode(p);
    p.end();
    device.queue.submit([e.finish()]);
    const out = await read(bufs[spec.out]);
    if (!ref) ref = out;
    else console.log(`${k.name}: max |Δ| against shipped ${out.reduce((m, x, j) => Math.max(m, Math.abs(x - ref![j])), 0).toExponential(2)}`);
  }
}

// three of the sweep's variants, the best three at these shapes in the bench's runs
const sweep = ['8x8-vb@8x8', '8x8-vb@4x4', '8x8@4x4'].map((v) => ({ name: v, best: Infinity, ...prepareVariant(device, { M: B, N: spec.G * H, K: H, transA: false, transB: false }, v) }));
const all = [
  ...kernels.map((k) => ({ k, time: () => timeOnce(device, k.encode) })),
  ...sweep.map((k) => ({ k, time: async () => (await timeOnce(device, k.encode)) * T })),
];
await rotatedRounds(Number(process.env.ROUNDS ?? 6), all.map(({ k, time }) => async () => { k.best = Math.min(k.best, await time()); }));
const ceiling = Math.min(...sweep.map((s) => s.best));
const flop = 2 * B * spec.G * H * H * T;
for (const { k } of all) console.log(`${k.name.padEnd(30)} ${k.best.toFixed(1)} ms/window  ${(flop / k.best / 1e6).toFixed(2)} GFLOP/s  ${((100 * ceiling) / k.best).toFixed(0)}%`);
process.exit(0);
