// The common shape of every kernel: an explicit bind group layout (binding 0
// is the kernel's uniform Params, then its storage buffers in order), one
// pipeline per entry point with `override` constants, both cached per device,
// and `encode(pass, bound)`, which records into the caller's compute pass and
// never submits.
import { cached } from '../gpu/cache';
import type { UniformStruct } from '../gpu/uniform';
import { BpttError } from '../errors';
import { createTracked, destroyTracked } from '../gpu/buffers';
import type { Activation } from '../util/activation';

export type Access = 'read' | 'rw';

/** A kernel's WGSL, entry points, uniform parameters and storage bindings. */
export interface KernelSpec<B extends string, P extends string> {
  /** Unique name; also the cache key prefix. */
  readonly name: string;
  /** The WGSL source, as in shaders/ or as a generator writes it (matmul-wgsl.ts, recurrence-wgsl.ts). */
  readonly code: string;
  /** Entry points, dispatched in this order with the same bind group. */
  readonly entryPoints: readonly string[];
  readonly params: UniformStruct<P>;
  /** Storage bindings 1, 2, … in order. */
  readonly bindings: readonly (readonly [B, Access])[];
  /**
   * One Params per dispatch: binding 0 takes a dynamic offset, and
   * bindSteps / encodeSteps record one dispatch per Params (a kernel that
   * runs one time step per dispatch). Default false.
   */
  readonly steps?: boolean;
}

/** A bind group with its uniform parameters and dispatch sizes; owns the uniform buffer. */
export interface Bound {
  readonly bindGroup: GPUBindGroup;
  /** Workgroup counts, one triple per entry point. */
  readonly workgroups: readonly (readonly [number, number, number])[];
  /** Destroy the uniform buffer this binding owns. */
  destroy(): void;
}

/** A binding with one Params per dispatch (see KernelSpec.steps): the dynamic offset of each dispatch's Params. */
export interface StepsBound extends Bound {
  /** Byte offsets into the uniform buffer, one per dispatch, in order. */
  readonly offsets: readonly number[];
}

/** Values for a WGSL file's `override` constants (booleans as 0/1). */
export type Constants = Record<string, number | boolean>;

/** What every `createX(device, options)` kernel factory returns. */
export interface KernelHandle<B, D> {
  /**
   * The explicit bind group layout: binding 0 is the kernel's uniform
   * parameters, then its storage buffers in order. One per kernel and device,
   * shared by all of the kernel's pipeline variants.
   */
  readonly layout: GPUBindGroupLayout;
  /**
   * Check `buffers` (STORAGE usage, large enough for `dims`; errors name the
   * buffer, its size and the size needed), bake `dims` into a small uniform
   * buffer and make the bind group. The returned Bound owns that uniform
   * buffer: call its destroy() when done. The data buffers stay the caller's.
   */
  bind(buffers: B, dims: D): Bound;
  /** Record the kernel's dispatches into the caller's compute pass. Never submits. */
  encode(pass: GPUComputePassEncoder, bound: Bound): void;
}

/**
 * A kernel's bind group layout, cached per device and kernel name: binding 0
 * its uniform Params, then its storage buffers in order. It compiles nothing,
 * so a factory can hand out the layout before any pipeline exists.
 */
export function kernelLayout(device: GPUDevice, spec: Pick<KernelSpec<string, string>, 'name' | 'bindings' | 'steps'>): GPUBindGroupLayout {
  return cached(device, `layout:${spec.name}`, () =>
    device.createBindGroupLayout({
      label: `${spec.name}.layout`,
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: spec.steps ?? false } },
        ...spec.bindings.map(([, access], i) => ({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
      ],
    }),
  );
}

/**
 * The machinery behind every kernel: the cached layout and pipelines of one
 * WGSL file with one set of `override` constants, buffer checks, and encoding.
 */
export class Kernel<B extends string, P extends string> {
  /** See KernelHandle.layout. */
  readonly layout: GPUBindGroupLayout;
  /** One pipeline per entry point, dispatched in order. */
  readonly pipelines: readonly GPUComputePipeline[];

  constructor(
    /** The device the pipelines belong to. */
    readonly device: GPUDevice,
    /** The kernel's WGSL, entry points, parameters and bindings. */
    readonly spec: KernelSpec<B, P>,
    /** Values of the WGSL `override` constants. */
    readonly constants: Constants,
  ) {
    this.layout = kernelLayout(device, spec);
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(constants)) values[k] = typeof v === 'boolean' ? Number(v) : v;
    const key = `${spec.name}:${JSON.stringify(values, Object.keys(values).sort())}`;
    this.pipelines = cached(device, `pipelines:${key}`, () => {
      const module = cached(device, `module:${spec.name}`, () =>
        device.createShaderModule({ label: spec.name, code: spec.code }),
      );
      const layout = device.createPipelineLayout({ label: `${spec.name}.pipelineLayout`, bindGroupLayouts: [this.layout] });
      return spec.entryPoints.map((entryPoint) =>
        device.createComputePipeline({
          label: `${spec.name}.${entryPoint}`,
          layout,
          compute: { module, entryPoint, constants: values },
        }),
      );
    });
  }

  /**
   * Check each buffer (STORAGE usage, at least the bytes the dims need), pack
   * the params, and make the bind group. `needBytes` gives the bytes each
   * storage binding must hold.
   */
  bindChecked(
    buffers: Record<B, GPUBuffer>,
    params: Record<P, number>,
    needBytes: Record<B, number>,
    workgroups: readonly (readonly [number, number, number])[],
  ): Bound {
    this.check(buffers, needBytes, workgroups);
    return { ...this.bindUniform(buffers, this.spec.params.pack(params), this.spec.params.byteSize), workgroups };
  }

  /**
   * bindChecked for a kernel with one Params per dispatch (KernelSpec.steps):
   * `steps` holds each dispatch's Params, packed into one uniform buffer at
   * the device's uniform offset alignment; every dispatch has the same
   * workgroup count, and encodeSteps records them in order.
   */
  bindSteps(
    buffers: Record<B, GPUBuffer>,
    steps: readonly Record<P, number>[],
    needBytes: Record<B, number>,
    workgroups: readonly [number, number, number],
  ): StepsBound {
    this.check(buffers, needBytes, [workgroups]);
    const size = this.spec.params.byteSize;
    const stride = Math.ceil(size / this.device.limits.minUniformBufferOffsetAlignment) * this.device.limits.minUniformBufferOffsetAlignment;
    const data = new Uint8Array(Math.max(1, steps.length) * stride);
    steps.forEach((s, i) => data.set(new Uint8Array(this.spec.params.pack(s)), i * stride));
    const bound = this.bindUniform(buffers, data.buffer, size);
    return { ...bound, workgroups: [workgroups], offsets: steps.map((_, i) => i * stride) };
  }

  /** Check each buffer (STORAGE usage, at least `needBytes`) and the workgroup counts. */
  private check(buffers: Record<B, GPUBuffer>, needBytes: Record<B, number>, workgroups: readonly (readonly [number, number, number])[]): void {
    const maxWg = this.device.limits.maxComputeWorkgroupsPerDimension;
    for (const [name] of this.spec.bindings) {
      const buf = buffers[name];
      if (!buf) throw new BpttError(`${this.spec.name}.${name}`, 'missing', 'a GPUBuffer is required');
      if ((buf.usage & GPUBufferUsage.STORAGE) === 0) {
        throw new BpttError(`${this.spec.name}.${name}`, buf.label || 'buffer', 'needs GPUBufferUsage.STORAGE');
      }
      if (buf.size < needBytes[name]) {
        throw new BpttError(`${this.spec.name}.${name}`, `${buf.size} bytes`, `must hold at least ${needBytes[name]} bytes for these dims`);
      }
    }
    for (const wg of workgroups) {
      for (const n of wg) {
        if (n > maxWg) throw new BpttError(`${this.spec.name}.workgroups`, String(n), `exceeds maxComputeWorkgroupsPerDimension = ${maxWg}`);
      }
    }
  }

  /** The uniform buffer holding `data` (binding 0 sees `size` bytes of it) and the bind group. */
  private bindUniform(buffers: Record<B, GPUBuffer>, data: ArrayBuffer, size: number): Bound {
    const uniform = createTracked(this.device, {
      label: `${this.spec.name}.params`,
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
    });
    new Uint8Array(uniform.getMappedRange()).set(new Uint8Array(data));
    uniform.unmap();
    const bindGroup = this.device.createBindGroup({
      label: `${this.spec.name}.bindGroup`,
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer: uniform, size } },
        ...this.spec.bindings.map(([name], i) => ({ binding: i + 1, resource: { buffer: buffers[name] } })),
      ],
    });
    let live = true;
    const destroy = () => {
      if (live) destroyTracked(this.device, uniform);
      live = false;
    };
    return { bindGroup, workgroups: [], destroy };
  }

  /** Record one dispatch per Params of a bindSteps binding, in order, into `pass`. Never submits. */
  encodeSteps(pass: GPUComputePassEncoder, bound: StepsBound): void {
    const [x, y, z] = bound.workgroups[0];
    if (x * y * z === 0 || !bound.offsets.length) return;
    pass.setPipeline(this.pipelines[0]);
    for (const offset of bound.offsets) {
      pass.setBindGroup(0, bound.bindGroup, [offset]);
      pass.dispatchWorkgroups(x, y, z);
    }
  }

  /** Record this kernel's dispatches into `pass`. Never submits. */
  encode(pass: GPUComputePassEncoder, bound: Bound): void {
    this.pipelines.forEach((pipeline, i) => {
      const [x, y, z] = bound.workgroups[i];
      if (x * y * z === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bound.bindGroup);
      pass.dispatchWorkgroups(x, y, z);
    });
  }
}

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** WebGPU's default limit on workgroups per dispatch dimension. */
const MAX_GROUPS_PER_DIM = 65535;

/**
 * n workgroups as an (x, y) grid within the per-dimension limit, for shaders
 * that number a workgroup x + y · num_workgroups.x and skip the ones past n:
 * y = ⌈n / 65535⌉ rows of x = ⌈n / y⌉, so fewer than y of them are idle
 * (65,537 groups are 2 × 32,769, not 2 × 65,535).
 */
export function grid2d(n: number): [number, number] {
  const y = Math.max(1, ceilDiv(n, MAX_GROUPS_PER_DIM));
  return [ceilDiv(n, y), y];
}

export const F32 = 4;

/** φ, the hidden-state activation ('identity' without biases is the chapter's linear model), and its code in the WGSL. */
export type { Activation } from '../util/activation';
export const ACTIVATION_CODE: Record<Activation, number> = { identity: 0, tanh: 1, relu: 2 };
