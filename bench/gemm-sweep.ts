// An independent GEMM sweep: the ceiling the step's GEMMs are measured
// against. None of this is the engine's matmul (src/kernels/matmul.ts): the
// WGSL here is generated from its own templates — one output per thread;
// register blocks of 4×4, 4×8, 8×4 and 8×8 per thread with scalar or vec4
// (array<vec4f>) loads and k unrolled or not; a 64×64 workgroup-memory tiled
// kernel — over several workgroup sizes. Each variant is checked against a
// float64 product (a small awkward shape in full, then sampled entries at the
// timed shape) before it is timed; the best correct variant at a shape is the
// ceiling there. Only the names (matmul-spec.ts's scheme) and the timer
// (src/gpu/timing.ts) are shared with the engine.

import { matmulBlockName } from '../src/kernels/matmul-spec';
import { timePass } from '../src/gpu/timing';

/** One GEMM layout and size: C (M×N) = op(A) (M×K) · op(B) (K×N), row-major. */
export interface SweepShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
}

/** One variant of the sweep: its kind, block per thread, vec4 loads, k unrolling, workgroup size. */
export interface Spec {
  kind: 'naive' | 'reg' | 'tiled';
  tm: number;
  tn: number;
  /** vec4 loads of A along m (Aᵀ only) / of B along n (B only). */
  aVec: boolean;
  bVec: boolean;
  unroll: boolean;
  wg: [number, number];
}

/**
 * A variant's name in the report, in the engine's naming scheme
 * (matmulBlockName: `8x8-vb-k4@4x4` is the same block and workgroup as the
 * engine's variant of that name); the sweep's own kinds are `naive@…` and
 * `tiled64-4x4@…`.
 */
export const sweepName = (s: Spec) =>
  s.kind === 'naive' ? `naive@${s.wg.join('x')}` : s.kind === 'tiled' ? `tiled64-4x4@${s.wg.join('x')}` :
  `${matmulBlockName({ kind: 'reg', tm: s.tm as 4 | 8, tn: s.tn as 4 | 8, aVec: s.aVec, bVec: s.bVec, unroll: s.unroll })}@${s.wg.join('x')}`;

const reg = (tm: number, tn: number, aVec: boolean, bVec: boolean, unroll: boolean, wg: [number, number]): Spec => ({ kind: 'reg', tm, tn, aVec, bVec, unroll, wg });

/** The variants of the sweep. */
export const SWEEP: Spec[] = [
  { kind: 'naive', tm: 1, tn: 1, aVec: false, bVec: false, unroll: false, wg: [8, 8] },
  reg(4, 4, false, false, false, [8, 8]),
  reg(4, 4, false, true, false, [8, 8]),
  reg(4, 4, false, true, false, [4, 4]),
  reg(4, 4, false, true, false, [16, 4]),
  reg(4, 4, false, true, false, [16, 16]),
  reg(4, 4, false, true, true, [8, 8]),
  reg(4, 8, false, false, false, [8, 8]),
  reg(4, 8, false, true, false, [8, 8]),
  reg(8, 4, false, true, false, [8, 8]),
  reg(8, 8, false, false, false, [4, 4]),
  reg(8, 8, false, true, false, [4, 4]),
  reg(8, 8, false, true, false, [8, 8]),
  reg(8, 8, false, false, true, [4, 4]),
  reg(8, 8, false, true, true, [4, 4]),
  reg(4, 4, true, true, false, [8, 8]),
  reg(8, 8, true, true, false, [4, 4]),
  reg(4, 8, true, true, false, [8, 8]),
  { kind: 'tiled', tm: 4, tn: 4, aVec: false, bVec: false, unroll: false, wg: [16, 16] },
];

// The sweep's own pipeline cache, per device and by WGSL text: a variant's
// text depends on the shape only through Aᵀ / Bᵀ (M, N, K are uniforms), so
// shapes that share both reuse its pipeline, and re-timing the ceiling beside
// our kernel compiles nothing again.
const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function sweepPipeline(device: GPUDevice, code: string): GPUComputePipeline {
  let byCode = pipelines.get(device);
  if (!byCode) pipelines.set(device, (byCode = new Map()));
  let pipe = byCode.get(code);
  if (!pipe) byCode.set(code, (pipe = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } })));
  return pipe;
}

function fits(s: Spec, sh: SweepShape, limits: GPUSupportedLimits): boolean {
  if (s.wg[0] * s.wg[1] > limits.maxComputeInvocationsPerWorkgroup) return false;
  if (s.aVec && !(sh.transA && sh.M % 4 === 0)) return false;
  if (s.bVec && (sh.transB || sh.N % 4 !== 0)) return false;
  if (s.unroll && sh.K % 4 !== 0) return false;
  return true;
}

/** A sweep variant's WGSL at one shape (the transposes are written into the text). */
export function sweepWgsl(s: Spec, sh: SweepShape): string {
  const A = (m: string, k: string) => (sh.transA ? `A[(${k}) * p.M + (${m})]` : `A[(${m}) * p.K + (${k})]`);
  const B = (k: string, n: string) => (sh.transB ? `B[(${n}) * p.K + (${k})]` : `B[(${k}) * p.N + (${n})]`);
  const head = (aT: string, bT: string) => `struct P { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<${aT}>;
@group(0) @binding(2) var<storage, read> B: array<${bT}>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
`;
  const [wx, wy] = s.wg;
  if (s.kind === 'naive') {
    return head('f32', 'f32') + `@compute @workgroup_size(${wx}, ${wy}) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x; let m = g.y; if (m >= p.M || n >= p.N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) { acc += ${A('m', 'k')} * ${B('k', 'n')}; }
  C[m * p.N + n] = acc;
}`;
  }
  if (s.kind === 'tiled') {
    // 64×64 tile of C per workgroup of 16×16 threads, 4×4 each; 16-deep k slabs of A and B in workgroup memory
    return head('f32', 'f32') + `var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
@compute @workgroup_size(16, 16) fn main(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) w: vec3u) {
  let tid = l.y * 16u + l.x;
  let mBase = w.y * 64u; let nBase = w.x * 64u;
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + 256u * i;
      let row = e / 16u; let kk = e % 16u;
      let am = min(mBase + row, p.M - 1u); let ak = k0 + kk;
      var av = 0.0;
      if (ak < p.K) { av = ${A('am', 'ak')}; }
      As[row * 16u + kk] = av;
      let bk = k0 + e / 64u; let bn = min(nBase + e % 64u, p.N - 1u);
      var bv = 0.0;
      if (bk < p.K) { bv = ${B('bk', 'bn')}; }
      Bs[e] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let b = vec4f(Bs[kk * 64u + l.x * 4u], Bs[kk * 64u + l.x * 4u + 1u], Bs[kk * 64u + l.x * 4u + 2u], Bs[kk * 64u + l.x * 4u + 3u]);
      acc0 += As[(l.y * 4u) * 16u + kk] * b;
      acc1 += As[(l.y * 4u + 1u) * 16u + kk] * b;
      acc2 += As[(l.y * 4u + 2u) * 16u + kk] * b;
      acc3 += As[(l.y * 4u + 3u) * 16u + kk] * b;
    }
    workgroupBarrier();
  }
  let m0 = mBase + l.y * 4u; let n0 = nBase + l.x * 4u;
  let accs = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      if (m0 + r < p.M && n0 + c < p.N) { C[(m0 + r) * p.N + n0 + c] = accs[r][c]; }
    }
  }
}`;
  }
  // register-blocked: tm rows × tn columns per thread, accumulators acc_r_g (vec4 over 4 columns)
  const R = s.tm, G = s.tn / 4;
  const L: string[] = [];
  L.push(`@compute @workgroup_size(${wx}, ${wy}) fn main(@builtin(global_invocation_id) g: vec3u) {`);
  L.push(`  let n0 = g.x * ${s.tn}u; let m0 = g.y * ${R}u; if (m0 >= p.M || n0 >= p.N) { return; }`);
  for (let r = 0; r < R; r++) L.push(`  let mi${r} = min(m0 + ${r}u, p.M - 1u);`);
  for (let j = 0; j < s.tn; j++) L.push(`  let ni${j} = min(n0 + ${j}u, p.N - 1u);`);
  for (let r = 0; r < R; r++) for (let c = 0; c < G; c++) L.push(`  var acc${r}_${c} = vec4f(0.0);`);
  const body = (k: string, sfx: string) => {
    const out: string[] = [];
    // A: scalars, or vec4 groups of 4 rows (Aᵀ: contiguous in m)
    for (let r = 0; r < R; r++) {
      if (s.aVec && r % 4 === 0) out.push(`    let av${r / 4}${sfx} = A[((${k}) * p.M + min(m0 + ${r}u, p.M - 4u)) / 4u];`);
    }
    for (let r = 0; r < R; r++) out.push(s.aVec ? `    let a${r}${sfx} = av${Math.floor(r / 4)}${sfx}[${r % 4}];` : `    let a${r}${sfx} = ${A(`mi${r}`, k)};`);
    for (let c = 0; c < G; c++) {
      out.push(s.bVec ? `    let b${c}${sfx} = B[((${k}) * p.N + min(n0 + ${4 * c}u, p.N - 4u)) / 4u];`
        : `    let b${c}${sfx} = vec4f(${[0, 1, 2, 3].map((j) => B(k, `ni${4 * c + j}`)).join(', ')});`);
    }
    for (let r = 0; r < R; r++) for (let c = 0; c < G; c++) out.push(`    acc${r}_${c} += a${r}${sfx} * b${c}${sfx};`);
    return out;
  };
  if (s.unroll) {
    L.push(`  for (var k = 0u; k < p.K; k += 4u) {`);
    for (let u = 0; u < 4; u++) L.push(...body(`k + ${u}u`, `_${u}`));
  } else {
    L.push(`  for (var k = 0u; k < p.K; k++) {`);
    L.push(...body('k', ''));
  }
  L.push('  }');
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < G; c++) {
      for (let j = 0; j < 4; j++) L.push(`  if (m0 + ${r}u < p.M && n0 + ${4 * c + j}u < p.N) { C[(m0 + ${r}u) * p.N + n0 + ${4 * c + j}u] = acc${r}_${c}[${j}]; }`);
    }
  }
  L.push('}');
  return head(s.aVec ? 'vec4f' : 'f32', s.bVec ? 'vec4f' : 'f32') + L.join('\n');
}

function dispatchSize(s: Spec, sh: SweepShape): [number, number] {
  if (s.kind === 'tiled') return [Math.ceil(sh.N / 64), Math.ceil(sh.M / 64)];
  return [Math.ceil(sh.N / (s.tn * s.wg[0])), Math.ceil(sh.M / (s.tm * s.wg[1]))];
}

/** One variant's result at one shape. */
export interface SweepEntry {
  variant: string;
  gflops: number;
  /** max |C − C64| / max |C64| over the checked entries (small shape and sampled entries). */
  error: number;
}

/** The sweep at one shape: every variant that fits, and the best. */
export interface SweepResult {
  shape: SweepShape;
  entries: SweepEntry[];
  best: SweepEntry;
}

const f64 = (A: Float32Array, B: Float32Array, sh: SweepShape, m: number, n: number) => {
  let s = 0;
  for (let k = 0; k < sh.K; k++) s += (sh.transA ? A[k * sh.M + m] : A[m * sh.K + k]) * (sh.transB ? B[n * sh.K + k] : B[k * sh.N + n]);
  return s;
};

/** A deterministic pseudo-random fill in [−1, 1) (the sweep's own; no engine code). */
function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x / 2 ** 31 - 1;
  }
  return out;
}

/** A GEMM of one shape on the device: buffers, the variants' pipelines, a run and a read-back. */
function setup(device: GPUDevice, sh: SweepShape) {
  const A = fill(sh.M * sh.K, 1 + sh.M), B = fill(sh.K * sh.N, 7 + sh.N);
  const mk = (data: Float32Array | null, n: number, usage: number) => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil((n * 4) / 16) * 16), usage, mappedAtCreation: !!data });
    if (data) {
      new Float32Array(b.getMappedRange()).set(data);
      b.unmap();
    }
    return b;
  };
  const S = GPUBufferUsage.STORAGE;
  const bufs = { a: mk(A, A.length, S), b: mk(B, B.length, S), c: mk(null, sh.M * sh.N, S | GPUBufferUsage.COPY_SRC), u: device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }) };
  device.queue.writeBuffer(bufs.u, 0, new Uint32Array([sh.M, sh.N, sh.K, 0]));
  const read = device.createBuffer({ size: bufs.c.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const prepare = (s: Spec) => {
    const pipe = sweepPipeline(device, sweepWgsl(s, sh));
    const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [bufs.u, bufs.a, bufs.b, bufs.c].map((buffer, i) => ({ binding: i, resource: { buffer } })) });
    const [gx, gy] = dispatchSize(s, sh);
    return (pass: GPUComputePassEncoder) => {
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(gx, gy);
    };
  };
  const result = async (): Promise<Float32Array> => {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(bufs.c, 0, read, 0, bufs.c.size);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    return out;
  };
  const destroy = () => [bufs.a, bufs.b, bufs.c, bufs.u, read].forEach((b) => b.destroy());
  return { A, B, prepare, result, destroy };
}

/**
 * Time `encode` (one dispatch) with the library's timer (src/gpu/timing.ts,
 * the tuner's too): a discarded warm-up, a sizing run, then `reps` runs of
 * back-to-back dispatches (~30 ms each); the fastest run's ms per dispatch.
 */
export async function timeOnce(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, reps = 5): Promise<number> {
  return (await timePass(device, encode, reps, { targetMs: 30, warmup: true })).ms;
}

/** Check one variant in full at a small awkward shape of the same layout; the max relative error. */
async function checkSmall(device: GPUDevice, s: Spec, layout: SweepShape): Promise<number> {
  const sh: SweepShape = { M: layout.transA ? 36 : 37, N: 44, K: 20, transA: layout.transA, transB: layout.transB };
  const g = setup(device, sh);
  try {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    g.prepare(s)(pass);
    pass.end();
    device.queue.submit([enc.finish()]);
    const C = await g.result();
    let num = 0, den = 0;
    for (let m = 0; m < sh.M; m++) {
      for (let n = 0; n < sh.N; n++) {
        const want = f64(g.A, g.B, sh, m, n);
        num = Math.max(num, Math.abs(C[m * sh.N + n] - want));
        den = Math.max(den, Math.abs(want));
      }
    }
    return num / den;
  } finally {
    g.destroy();
  }
}

/**
 * The sweep at each shape: every variant that fits, checked (error below
 * 1e-4 relative, else dropped and logged), then timed; GFLOP/s and the best.
 */
export async function runSweep(device: GPUDevice, shapes: SweepShape[], log: (l: string) => void = () => {}, variants: Spec[] = SWEEP): Promise<SweepResult[]> {
  const out: SweepResult[] = [];
  for (const sh of shapes) {
    const g = setup(device, sh);
    const entries: SweepEntry[] = [];
    try {
      // sampled entries of C at the timed shape, in float64
      const samples: [number, number, number][] = [];
      for (let i = 0; i < 64; i++) {
        const m = (i * 7919) % sh.M, n = (i * 104729 + 3) % sh.N;
        samples.push([m, n, f64(g.A, g.B, sh, m, n)]);
      }
      samples.push([sh.M - 1, sh.N - 1, f64(g.A, g.B, sh, sh.M - 1, sh.N - 1)]);
      const scale = Math.max(...samples.map((x) => Math.abs(x[2])));
      for (const s of variants) {
        if (!fits(s, sh, device.limits)) continue;
        const small = await checkSmall(device, s, sh);
        const enc = g.prepare(s);
        const ms = await timeOnce(device, enc);
        const C = await g.result();
        const big = Math.max(...samples.map(([m, n, want]) => Math.abs(C[m * sh.N + n] - want))) / scale;
        const error = Math.max(small, big);
        const gflops = (2 * sh.M * sh.N * sh.K) / (ms * 1e6);
        if (!(error < 1e-4)) {
          log(`    sweep ${sweepName(s)}: WRONG (max rel error ${error.toExponential(2)}), dropped`);
          continue;
        }
        entries.push({ variant: sweepName(s), gflops, error });
      }
    } finally {
      g.destroy();
    }
    entries.sort((a, b) => b.gflops - a.gflops);
    out.push({ shape: sh, entries, best: entries[0] });
    log(`  sweep ${shapeLabel(sh)}: best ${entries[0].variant} ${entries[0].gflops.toFixed(2)} GFLOP/s (${entries.length} variants checked against float64; next ${entries.slice(1, 3).map((e) => `${e.variant} ${e.gflops.toFixed(2)}`).join(', ')})`);
  }
  return out;
}

/**
 * One sweep variant, by name, ready to time again at `shape` (to re-time the
 * ceiling beside our kernel, alternating, so both see the same machine load).
 */
export function prepareVariant(device: GPUDevice, shape: SweepShape, variant: string): { encode: (pass: GPUComputePassEncoder) => void; destroy: () => void } {
  const s = SWEEP.find((x) => sweepName(x) === variant);
  if (!s) throw new Error(`unknown sweep variant ${variant}`);
  const g = setup(device, shape);
  return { encode: g.prepare(s), destroy: g.destroy };
}

/** `M×N×K` with ᵀ marks for transposed operands. */
export function shapeLabel(s: SweepShape): string {
  return `${s.M}×${s.N}×${s.K}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''}`;
}
