// Forward-only passes for predict, evaluate and stream: a BpttEngine built
// with `forwardOnly: true` (no gradient, loss or ξ buffers) for one shape
// (B sequences × T steps), its weights copied on the GPU from the training
// engine or uploaded from the model's copy.
import { BpttEngine } from '../engine/bptt';
import type { ModelConfig } from '../model/config';
import { packWeights, type Weights } from '../model/params';
import { upload } from '../gpu/buffers';
import type { TimeMajorBatch } from './batches';

/** Where a forward pass takes its weights from. */
export type ParamSource = { buffer: GPUBuffer } | { weights: Weights };

/** One forward-only engine of shape (B, T) and the passes it runs. */
export class ForwardRunner {
  readonly engine: BpttEngine;

  constructor(readonly device: GPUDevice, readonly config: ModelConfig, readonly B: number, readonly T: number) {
    this.engine = new BpttEngine(device, { config, batch: B, steps: T, forwardOnly: true });
  }

  /** Put the weights on this engine: a GPU copy of a parameter buffer (same layout), or an upload. */
  setParams(src: ParamSource): void {
    if ('buffer' in src) {
      const enc = this.device.createCommandEncoder({ label: 'api.params' });
      enc.copyBufferToBuffer(src.buffer, 0, this.engine.buf.params, 0, this.engine.layout.total * 4);
      this.device.queue.submit([enc.finish()]);
    } else upload(this.device, this.engine.buf.params, packWeights(this.engine.layout, src.weights));
  }

  /**
   * Outputs O (T, B, Q), time-major, of one batch. `keep`: start from the
   * state the last call left (streaming) and keep this call's final state
   * for the next; else start from zero state.
   */
  async run(batch: TimeMajorBatch, keep = false): Promise<Float32Array> {
    const e = this.engine;
    e.writeInputs({ ...(batch.tokens ? { tokens: batch.tokens } : { x: batch.x }), lengths: batch.lengths });
    if (!keep) e.writeH0();
    const enc = this.device.createCommandEncoder({ label: 'api.forward' });
    e.encodeForwardOnly(enc);
    if (keep) e.encodeKeepState(enc);
    this.device.queue.submit([enc.finish()]);
    return e.readOutputs();
  }

  /** Zero the state (streaming reset). */
  resetState(): void {
    this.engine.writeH0();
  }

  destroy(): void {
    this.engine.destroy();
  }
}
