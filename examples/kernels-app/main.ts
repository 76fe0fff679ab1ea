// An app with its own WebGPU work that drops in two webgpu-bptt kernels:
//   1. its own shader fills A (M×K) and B (K×N) on the GPU,
//   2. webgpu-bptt's matmul computes C = A·B + bias then tanh,
//   3. webgpu-bptt's reduce_sum adds up C,
// all recorded into one compute pass of the app's own command encoder, which
// the app submits. The numbers are checked against plain JavaScript.
import { createMatmul, createReduceSum } from 'webgpu-bptt/kernels';
import matmulSource from 'webgpu-bptt/wgsl/matmul.wgsl?raw';

const M = 37, N = 29, K = 45;

const fillWgsl = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> B: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x;
  if (i < ${M * K}u) { A[i] = f32(i % 13u) * 0.05 - 0.3; }
  if (i < ${K * N}u) { B[i] = f32((i * 7u) % 11u) * 0.04 - 0.2; }
}`;

async function main() {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  const buf = (n: number, extra = 0) => device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extra });
  const A = buf(M * K), B = buf(K * N), C = buf(M * N), bias = buf(N), partials = buf(64), sum = buf(4);
  const biasData = Float32Array.from({ length: N }, (_, j) => 0.01 * j - 0.1);
  device.queue.writeBuffer(bias, 0, biasData);

  // the app's own pipeline
  const fill = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: fillWgsl }), entryPoint: 'main' } });
  const fillGroup = device.createBindGroup({ layout: fill.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: A } }, { binding: 1, resource: { buffer: B } }] });

  // webgpu-bptt's kernels, bound to the app's buffers once
  const matmul = createMatmul(device, { bias: true, activation: 'tanh' });
  const mm = matmul.bind({ a: A, b: B, c: C, bias }, { M, N, K });
  const reduce = createReduceSum(device);
  const rs = reduce.bind({ x: C, partials, out: sum }, { n: M * N });

  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(fill);
  pass.setBindGroup(0, fillGroup);
  pass.dispatchWorkgroups(Math.ceil(Math.max(M * K, K * N) / 64));
  matmul.encode(pass, mm); // records only; never submits
  reduce.encode(pass, rs);
  pass.end();
  const readC = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const readS = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  encoder.copyBufferToBuffer(C, 0, readC, 0, M * N * 4);
  encoder.copyBufferToBuffer(sum, 0, readS, 0, 4);
  device.queue.submit([encoder.finish()]);
  await Promise.all([readC.mapAsync(GPUMapMode.READ), readS.mapAsync(GPUMapMode.READ)]);
  const c = new Float32Array(readC.getMappedRange().slice(0));
  const s = new Float32Array(readS.getMappedRange().slice(0))[0];

  // the same in plain JavaScript
  const a = Array.from({ length: M * K }, (_, i) => (i % 13) * 0.05 - 0.3);
  const b = Array.from({ length: K * N }, (_, i) => ((i * 7) % 11) * 0.04 - 0.2);
  let maxErr = 0, total = 0;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let z = biasData[n];
      for (let k = 0; k < K; k++) z += a[m * K + k] * b[k * N + n];
      const want = Math.tanh(z);
      total += want;
      maxErr = Math.max(maxErr, Math.abs(c[m * N + n] - want));
    }
  }
  const result = { maxErr, sum: s, sumWant: total, sumErr: Math.abs(s - total), shaderLines: matmulSource.split('\n').length };
  document.getElementById('out')!.textContent = `C = tanh(A·B + bias): max |error| ${maxErr.toExponential(2)}; Σ C = ${s.toFixed(5)} (plain JS ${total.toFixed(5)})`;
  (window as unknown as { __example: unknown }).__example = result;
  for (const x of [mm, rs]) x.destroy();
  for (const x of [A, B, C, bias, partials, sum, readC, readS]) x.destroy();
}

main().catch((e) => {
  document.getElementById('out')!.textContent = `failed: ${e}`;
  (window as unknown as { __example: unknown }).__example = { failure: String(e) };
});
