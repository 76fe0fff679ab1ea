// stream(): step-by-step inference for `batch` sequences at once, the state
// kept on the GPU between calls. step(x) takes one or more steps of every
// sequence ([B][k][d] dense, [B][k] token ids, or { data, shape }) and
// returns the output at each of them ([B][k][Q]; probabilities for class
// heads), whatever returnSequences says: fed a whole sequence, its outputs
// equal predict's with returnSequences true, and its last one predict's with
// returnSequences false. reset() zeros the state.
import { BpttError } from '../errors';
import { parseInputs } from './arrays';
import { timeMajor } from './batches';
import { softmaxInto } from './metrics';
import { ForwardRunner } from './forward';
import { outputsOf, type ModelCore, type Outputs } from './predict';
import type { ParamSource } from './forward';

/** A stateful step-by-step predictor (see Model.stream). */
export class Stream {
  private runner: ForwardRunner | null;
  private readonly Q: number;

  constructor(private readonly core: ModelCore, readonly batch: number, params: ParamSource, private readonly onDestroy: () => void = () => {}) {
    // one step per pass: the final state of each pass is the next one's initial state
    this.runner = new ForwardRunner(core.device, core.config, batch, 1);
    this.runner.setParams(params);
    this.runner.resetState();
    this.Q = 'regression' in core.spec.output ? core.spec.output.regression : core.spec.output.classes;
  }

  private live(): ForwardRunner {
    if (!this.runner) throw new BpttError('stream', 'destroyed', 'this stream was destroyed; call model.stream() again');
    return this.runner;
  }

  /** Feed k ≥ 1 steps of each of the B sequences; the outputs at those steps, [B][k][Q]. */
  async step(x: unknown): Promise<Outputs> {
    const runner = this.live();
    const inputs = parseInputs(this.core.spec, x, undefined, 'x');
    const B = this.batch, k = inputs.T, Q = this.Q, classes = 'classes' in this.core.spec.output;
    if (inputs.N !== B) throw new BpttError('x', `${inputs.N} sequences`, `must hold this stream's batch = ${B} sequences ([B][k]…)`);
    const short = inputs.lengths.findIndex((l) => l !== k);
    if (short >= 0) throw new BpttError(`x[${short}]`, `${inputs.lengths[short]} steps`, `must hold k = ${k} steps, as every sequence of a stream step does`);
    const out = new Float32Array(B * k * Q);
    const idx = Uint32Array.from({ length: B }, (_, i) => i);
    for (let t = 0; t < k; t++) {
      const one = { ...inputs, T: 1, lengths: new Uint32Array(B).fill(1), data: sliceStep(inputs.data, B, inputs.T, inputs.width, t) };
      const o = await runner.run(timeMajor(one, undefined, idx, B, 1, Q), true);
      for (let b = 0; b < B; b++) {
        if (classes) softmaxInto(o, b * Q, Q, out, (b * k + t) * Q);
        else out.set(o.subarray(b * Q, (b + 1) * Q), (b * k + t) * Q);
      }
    }
    return outputsOf(out, [B, k, Q]);
  }

  /** Zero the state: the next step starts new sequences. */
  reset(): void {
    this.live().resetState();
  }

  /** Free the stream's GPU buffers. */
  destroy(): void {
    if (!this.runner) return;
    this.runner.destroy();
    this.runner = null;
    this.onDestroy();
  }
}

/** Step t of every sequence, (N, 1, w). */
function sliceStep<A extends Float32Array | Uint32Array>(data: A, N: number, T: number, w: number, t: number): A {
  const out = new (data.constructor as Float32ArrayConstructor)(N * w) as unknown as A;
  for (let n = 0; n < N; n++) out.set(data.subarray((n * T + t) * w, (n * T + t + 1) * w), n * w);
  return out;
}
