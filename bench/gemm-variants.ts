// Exploration: which GEMM style SwiftShader (Subzero JIT) runs fastest.
import { createNodeDevice } from '../src/node/device';

const device = await createNodeDevice();
const HDR = `struct P { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
`;
const HDR4 = `struct P { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4f>;
`;
const variants: Record<string, { code: string; wg: (M: number, N: number) => [number, number] }> = {
  naive: {
    code: HDR + `@compute @workgroup_size(8, 8) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x; let m = g.y; if (m >= p.M || n >= p.N) { return; }
  var s = 0.0; for (var k = 0u; k < p.K; k++) { s += A[m * p.K + k] * B[k * p.N + n]; } C[m * p.N + n] = s; }`,
    wg: (M, N) => [Math.ceil(N / 8), Math.ceil(M / 8)],
  },
  vec4_1x4: {
    code: HDR4 + `@compute @workgroup_size(8, 8) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n4 = g.x; let m = g.y; let N4 = p.N / 4u; if (m >= p.M || n4 >= N4) { return; }
  var s = vec4f(0.0); for (var k = 0u; k < p.K; k++) { s += A[m * p.K + k] * B[k * N4 + n4]; } C[m * N4 + n4] = s; }`,
    wg: (M, N) => [Math.ceil(N / 32), Math.ceil(M / 8)],
  },
  vec4_4x4: {
    code: HDR4 + `@compute @workgroup_size(8, 8) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n4 = g.x; let m = g.y * 4u; let N4 = p.N / 4u; if (m >= p.M || n4 >= N4) { return; }
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = B[k * N4 + n4];
    c0 += A[m * p.K + k] * b; c1 += A[(m + 1u) * p.K + k] * b; c2 += A[(m + 2u) * p.K + k] * b; c3 += A[(m + 3u) * p.K + k] * b;
  }
  C[m * N4 + n4] = c0; C[(m + 1u) * N4 + n4] = c1; C[(m + 2u) * N4 + n4] = c2; C[(m + 3u) * N4 + n4] = c3; }`,
    wg: (M, N) => [Math.ceil(N / 32), Math.ceil(M / 32)],
  },
  vec4_4x4_k4: {
    code: HDR4 + `@compute @workgroup_size(8, 8) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n4 = g.x; let m = g.y * 4u; let N4 = p.N / 4u; if (m >= p.M || n4 >= N4) { return; }
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  for (var k = 0u; k < p.K; k += 4u) {
    let b0 = B[k * N4 + n4]; let b1 = B[(k + 1u) * N4 + n4]; let b2 = B[(k + 2u) * N4 + n4]; let b3 = B[(k + 3u) * N4 + n4];
    let a0 = vec4f(A[m * p.K + k], A[m * p.K + k + 1u], A[m * p.K + k + 2u], A[m * p.K + k + 3u]);
    let a1 = vec4f(A[(m+1u) * p.K + k], A[(m+1u) * p.K + k + 1u], A[(m+1u) * p.K + k + 2u], A[(m+1u) * p.K + k + 3u]);
    let a2 = vec4f(A[(m+2u) * p.K + k], A[(m+2u) * p.K + k + 1u], A[(m+2u) * p.K + k + 2u], A[(m+2u) * p.K + k + 3u]);
    let a3 = vec4f(A[(m+3u) * p.K + k], A[(m+3u) * p.K + k + 1u], A[(m+3u) * p.K + k + 2u], A[(m+3u) * p.K + k + 3u]);
    c0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
    c1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
    c2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
    c3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
  }
  C[m * N4 + n4] = c0; C[(m + 1u) * N4 + n4] = c1; C[(m + 2u) * N4 + n4] = c2; C[(m + 3u) * N4 + n4] = c3; }`,
    wg: (M, N) => [Math.ceil(N / 32), Math.ceil(M / 32)],
  },
  vec4_4x8: {
    code: HDR4 + `@compute @workgroup_size(8, 8) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n4 = g.x * 2u; let m = g.y * 4u; let N4 = p.N / 4u; if (m >= p.M || n4 >= N4) { return; }
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  var d0 = vec4f(0.0); var d1 = vec4f(0.0); var d2 = vec4f(0.0); var d3 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = B[k * N4 + n4]; let e = B[k * N4 + n4 + 1u];
    let a0 = A[m * p.K + k]; let a1 = A[(m + 1u) * p.K + k]; let a2 = A[(m + 2u) * p.K + k]; let a3 = A[(m + 3u) * p.K + k];
    c0 += a0 * b; c1 += a1 * b; c2 += a2 * b; c3 += a3 * b;
    d0 += a0 * e; d1 += a1 * e; d2 += a2 * e; d3 += a3 * e;
  }
  C[m * N4 + n4] = c0; C[(m + 1u) * N4 + n4] = c1; C[(m + 2u) * N4 + n4] = c2; C[(m + 3u) * N4 + n4] = c3;
  C[m * N4 + n4 + 1u] = d0; C[(m + 1u) * N4 + n4 + 1u] = d1; C[(m + 2u) * N4 + n4 + 1u] = d2; C[(m + 3u) * N4 + n4 + 1u] = d3; }`,
    wg: (M, N) => [Math.ceil(N / 64), Math.ceil(M / 32)],
  },
  vec4_8x4: {
    code: HDR4 + `@compute @workgroup_size(8, 8) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n4 = g.x; let m = g.y * 8u; let N4 = p.N / 4u; if (m >= p.M || n4 >= N4) { return; }
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  var c4 = vec4f(0.0); var c5 = vec4f(0.0); var c6 = vec4f(0.0); var c7 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = B[k * N4 + n4];
    c0 += A[m * p.K + k] * b; c1 += A[(m + 1u) * p.K + k] * b; c2 += A[(m + 2u) * p.K + k] * b; c3 += A[(m + 3u) * p.K + k] * b;
    c4 += A[(m + 4u) * p.K + k] * b; c5 += A[(m + 5u) * p.K + k] * b; c6 += A[(m + 6u) * p.K + k] * b; c7 += A[(m + 7u) * p.K + k] * b;
  }
  C[m * N4 + n4] = c0; C[(m + 1u) * N4 + n4] = c1; C[(m + 2u) * N4 + n4] = c2; C[(m + 3u) * N4 + n4] = c3;
  C[(m + 4u) * N4 + n4] = c4; C[(m + 5u) * N4 + n4] = c5; C[(m + 6u) * N4 + n4] = c6; C[(m + 7u) * N4 + n4] = c7; }`,
    wg: (M, N) => [Math.ceil(N / 32), Math.ceil(M / 64)],
  },
};
const wgsizes = [[8, 8], [64, 1]];
const only = process.argv[2]?.split(',');
for (const [M, N, K] of [[512, 512, 512], [1120, 256, 256]]) {
  const A = device.createBuffer({ size: M * K * 4, usage: GPUBufferUsage.STORAGE });
  const B = device.createBuffer({ size: K * N * 4, usage: GPUBufferUsage.STORAGE });
  const C = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.STORAGE });
  const U = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(U, 0, new Uint32Array([M, N, K, 0]));
  for (const [name, v] of Object.entries(variants)) {
    if (only && !only.includes(name)) continue;
    for (const [wx, wy] of wgsizes) {
      const code = v.code.replace('@workgroup_size(8, 8)', `@workgroup_size(${wx}, ${wy})`);
      const pipe = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
      const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [U, A, B, C].map((b, i) => ({ binding: i, resource: { buffer: b } })) });
      const [gx0, gy0] = v.wg(M, N);
      const gx = Math.ceil((gx0 * 8) / wx), gy = Math.ceil((gy0 * 8) / wy);
      const runOnce = async () => {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipe); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(gx, gy);
        pass.end(); device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
      };
      await runOnce();
      const t0 = performance.now();
      const reps = 3;
      for (let i = 0; i < reps; i++) await runOnce();
      const ms = (performance.now() - t0) / reps;
      console.log(`${M}x${N}x${K} ${name.padEnd(12)} wg ${wx}x${wy}: ${ms.toFixed(1)} ms  ${((2 * M * N * K) / ms / 1e6).toFixed(2)} GFLOP/s`);
    }
  }
}
process.exit(0);
