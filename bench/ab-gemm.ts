// A/B (issue 17) at one GEMM shape: the library's matmul variants, edited
// copies of their WGSL (each compiled under its own kernel name: shader
// modules are cached per device by name), and the sweep's variants, in rounds, each
// round starting one later in the list. Each of ours is first checked
// against float64 at sampled entries of C. Printed per entry: its fastest
// run, and round by round the fastest sweep variant's time over its own,
// median [quartiles]: on this machine one kernel's runs spread by ±15% within
// seconds, so only the paired per-round ratios separate 10% (a sweep variant
// compiled through the library's Kernel class, also listed, is the control).
//   node --import ./scripts/register.mjs bench/ab-gemm.ts M,N,K[,tA][,tB] ours=V1,V2 sweep=S1,S2 [edit=NAME,…] [beta=1]
//   ROUNDS=40 …  rounds (default 8)
// beta=1 binds ours as the engine binds a weight gradient (C += op(A)·op(B)).
// A change to the generator is compared by running this at each commit.
// Edits (applied to each of ours): plain-store (the sweep's guarded scalar
// stores: no beta, bias or activation), runtime-beta (HAS_BETA true: the
// epilogue branches on the uniform beta, as every matmul did before).
import { createNodeDevice } from '../src/node/device';
import { Kernel, F32 } from '../src/kernels/kernel';
import { matmulWgsl } from '../src/kernels/matmul-wgsl';
import { parseMatmulVariant, type MatmulVariant } from '../src/kernels/matmul-spec';
import { MATMUL_PARAMS, MATMUL_BINDINGS } from '../src/kernels/matmul';
import { uniformStruct } from '../src/gpu/uniform';
import { timePass, rotatedRounds } from '../src/gpu/timing';
import { prepareVariant, sweepWgsl, SWEEP, sweepName, type SweepShape } from './gemm-sweep';
import { median } from './stats';

const EDITS: Record<string, (code: string) => string> = {
  'plain-store': (code) => code.replace(/fn store\(m: u32, n0: u32, v: vec4f\) \{[\s\S]*?\n\}\n/, `fn store(m: u32, n0: u32, v: vec4f) {
  for (var c = 0u; c < 4u; c++) { if (m < p.M && n0 + c < p.N) { C[m * p.N + n0 + c] = v[c]; } }
}
`),
};


/** Parse `M,N,K[,tA][,tB] ours=… sweep=… edit=… beta=…`. */
function parseAbArgs(argv: string[]) {
  const [dims, ...rest] = argv;
  const parts = (dims ?? '1120,256,28').split(',');
  const [M, N, K] = parts.slice(0, 3).map(Number);
  const kv = Object.fromEntries(rest.map((a) => a.split('=')).map(([k, v]) => [k, (v ?? '').split(',').filter(Boolean)]));
  return { shape: { M, N, K, transA: parts.includes('tA'), transB: parts.includes('tB') } as SweepShape, ours: (kv.ours ?? ['8x8@4x4']) as MatmulVariant[], sweep: kv.sweep ?? ['8x8@4x4'], edits: kv.edit ?? [], beta: Number(kv.beta?.[0] ?? 0) };
}

async function abGemm(device: GPUDevice, a: ReturnType<typeof parseAbArgs>, rounds: number, log: (l: string) => void): Promise<void> {
  const { shape: sh } = a;
  const fill = (n: number, seed: number): Float32Array<ArrayBuffer> => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
  const A = fill(sh.M * sh.K, 1), B = fill(sh.K * sh.N, 2);
  const mk = (data: Float32Array<ArrayBuffer> | number, extra = 0) => {
    const n = typeof data === 'number' ? data : data.length;
    const b = device.createBuffer({ size: Math.ceil(((n + extra) * F32) / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    if (typeof data !== 'number') device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const bufs = { a: mk(A), b: mk(B), c: mk(sh.M * sh.N), bias: mk(sh.N) };
  const bounds: { destroy(): void }[] = [];
  const entries: { name: string; encode: (p: GPUComputePassEncoder) => void; check: boolean }[] = [];
  const kernels = [...a.ours.map((v) => ({ v, edit: '' })), ...a.ours.flatMap((v) => a.edits.map((edit) => ({ v, edit })))];
  for (const { v, edit } of kernels) {
    const { shader, spec, wx, wy } = parseMatmulVariant(v);
    let code = matmulWgsl(shader);
    if (edit && edit !== 'runtime-beta') {
      if (!EDITS[edit]) throw new Error(`edit must be one of ${[...Object.keys(EDITS), 'runtime-beta'].join(', ')}, not ${edit}`);
      const edited = EDITS[edit](code);
      if (edited === code) throw new Error(`edit ${edit} changed nothing in ${shader}`);
      code = edited;
    }
    const k = new Kernel(device, { name: `ab-gemm.${shader}.${edit || 'as-generated'}`, code, entryPoints: ['main'], params: MATMUL_PARAMS, bindings: MATMUL_BINDINGS }, { TRANS_A: !!sh.transA, TRANS_B: !!sh.transB, HAS_BIAS: false, HAS_BETA: a.beta !== 0 || edit === 'runtime-beta', ACTIVATION: 0, WG_X: wx, WG_Y: wy });
    const bound = k.bindChecked(bufs, { M: sh.M, N: sh.N, K: sh.K, a_offset: 0, b_offset: 0, c_offset: 0, bias_offset: 0, beta: a.beta }, { a: 0, b: 0, c: 0, bias: 0 }, [[Math.ceil(sh.N / (spec.tn * wx)), Math.ceil(sh.M / (spec.tm * wy)), 1]]);
    bounds.push(bound);
    entries.push({ name: `ours ${v}${edit ? ` ${edit}` : ''}`, encode: (p) => k.encode(p, bound), check: true });
  }
  for (const v of a.sweep) {
    const spec = SWEEP.find((x) => sweepName(x) === v)!;
    const P4 = uniformStruct({ M: 'u32', N: 'u32', K: 'u32', pad: 'u32' });
    const k = new Kernel(device, { name: `ab-gemm.sweep-text.${v}${sh.transA ? '.tA' : ''}${sh.transB ? '.tB' : ''}`, code: sweepWgsl(spec, sh), entryPoints: ['main'], params: P4, bindings: [['a', 'read'], ['b', 'read'], ['c', 'rw']] as const }, {});
    const bound = k.bindChecked({ a: bufs.a, b: bufs.b, c: bufs.c }, { M: sh.M, N: sh.N, K: sh.K, pad: 0 }, { a: 0, b: 0, c: 0 }, [[Math.ceil(sh.N / (spec.tn * spec.wg[0])), Math.ceil(sh.M / (spec.tm * spec.wg[1])), 1]]);
    bounds.push(bound);
    entries.push({ name: `sweep text in Kernel ${v}`, encode: (p) => k.encode(p, bound), check: true });
  }
  const sweeps = a.sweep.map((v) => ({ v, ...prepareVariant(device, sh, v) }));
  for (const s of sweeps) entries.push({ name: `sweep ${s.v}`, encode: s.encode, check: false });

  // each of ours against float64 at sampled entries of C
  const at = (m: number, k: number) => (sh.transA ? A[k * sh.M + m] : A[m * sh.K + k]);
  const bt = (k: number, n: number) => (sh.transB ? B[n * sh.K + k] : B[k * sh.N + n]);
  const read = device.createBuffer({ size: bufs.c.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  for (const e of entries.filter((x) => x.check)) {
    device.queue.writeBuffer(bufs.c, 0, new Float32Array(sh.M * sh.N)); // beta · 0 + op(A)·op(B)
    const enc = device.createCommandEncoder();
    const p = enc.beginComputePass();
    e.encode(p);
    p.end();
    enc.copyBufferToBuffer(bufs.c, 0, read, 0, read.size);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const C = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    let err = 0;
    for (let i = 0; i < 64; i++) {
      const m = (i * 7919) % sh.M, n = (i * 104729 + 3) % sh.N;
      let s = 0;
      for (let k = 0; k < sh.K; k++) s += at(m, k) * bt(k, n);
      err = Math.max(err, Math.abs(C[m * sh.N + n] - s));
    }
    if (!(err < 1e-4 * sh.K)) throw new Error(`${e.name}: max |Δ| against float64 ${err}`);
  }
  read.destroy();

  // rounds: each entry timed once per round (timePass: a sizing run, then one run of ~20 ms of back-to-back copies)
  const times = entries.map(() => [] as number[]);
  await rotatedRounds(rounds, entries.map((e, j) => async () => { times[j].push((await timePass(device, e.encode, 1, { targetMs: 20 })).ms); }));
  // against the sweep entry with the fastest run: the fastest runs' ratio, and the median [quartiles] of the per-round ratios
  // (a sweep entry is the control: the same kernel in each round, so its ratios show this machine's noise)
  const flop = 2 * sh.M * sh.N * sh.K;
  const fastest = times.map((t) => Math.min(...t));
  const sweepIdx = entries.map((e, i) => (e.check ? -1 : i)).filter((i) => i >= 0);
  const ref = sweepIdx.reduce((x, y) => (fastest[y] < fastest[x] ? y : x));
  const q = (xs: number[], f: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(f * xs.length))];
  log(`${sh.M}×${sh.N}×${sh.K}${sh.transA ? ' Aᵀ' : ''}${sh.transB ? ' Bᵀ' : ''}, ${rounds} rounds; against ${entries[ref].name}`);
  for (const [i, e] of entries.entries()) {
    const ratios = times[i].map((t, r) => times[ref][r] / t);
    log(`${e.name.padEnd(34)} ${(fastest[i] * 1000).toFixed(0).padStart(6)} µs  ${(flop / fastest[i] / 1e6).toFixed(2)} GFLOP/s  fastest ${((100 * fastest[ref]) / fastest[i]).toFixed(0)}%  per round ${(100 * median(ratios)).toFixed(0)}% [${(100 * q(ratios, 0.25)).toFixed(0)}–${(100 * q(ratios, 0.75)).toFixed(0)}%]`);
  }
  for (const x of [...sweeps, ...bounds]) x.destroy();
  for (const b of Object.values(bufs)) b.destroy();
}

const device = await createNodeDevice();
await abGemm(device, parseAbArgs(process.argv.slice(2)), Number(process.env.ROUNDS ?? 8), console.log);
device.destroy();
process.exit(0);
