// The ONNX graph of a model, as plain data (no protobuf here; onnx-write.ts
// encodes it). Opset 17, the standard operators only:
//
//   tokens (int64 [T, B]) ─ OneHot(depth V) ─┐        x (float [T, B, d]) ─┐
//                                            └─ layer 0 ─ … ─ layer L−1 ─ head ─ output
//   layer l: RNN / LSTM / GRU (direction forward, hidden_size H,
//            sequence_lens = lengths (int32 [B]) when exported with lengths)
//   head:    every step (returnSequences): Squeeze(Y) [T, B, H] · W_qhᵀ + b_q → [T, B, Q]
//            last step:  Squeeze(Y_h) [B, H] · W_qhᵀ + b_q → [B, Q] (with
//            sequence_lens, Y_h is each sequence's state at its last real step)
//            classes: `output` = Softmax(logits) (what Model.predict gives), `logits` too
//   state (optional): inputs h0 (c0) [L, B, H] → Gather(layer l) → initial_h (initial_c);
//            outputs h_n (c_n) = Concat of every layer's Y_h (Y_c), [L, B, H]
//
// Gate blocks are reordered from PyTorch's to ONNX's: LSTM i, f, g, o → i, o,
// f, c; GRU r, z, n → z, r, h with linear_before_reset = 1 (PyTorch's
// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). B = [Wb, Rb]; the chapter's
// model (one rnn layer, a single b_h) exports B = [b_h, 0]. The rnn cell's φ:
// tanh → Tanh, relu → Relu, identity → Affine(α = 1, β = 0).
import { GATES, type ModelConfig } from '../model/config';
import { layerNames, type Tensor, type Weights } from '../model/params';

/** The opset the exported graph declares (default domain). */
export const ONNX_OPSET = 17;
/** The IR version written (ONNX 1.12+, which opset 17 came with). */
export const ONNX_IR_VERSION = 8;

export type OnnxType = 'float' | 'int64' | 'int32';
/** A symbolic ('steps', 'batch') or fixed dimension. */
export type Dim = string | number;

export interface OnnxTensor {
  name: string;
  type: OnnxType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array;
}

export type AttrValue = number | string | number[] | string[] | { floats: number[] };

export interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface OnnxValue {
  name: string;
  type: OnnxType;
  dims: Dim[];
}

export interface OnnxGraph {
  name: string;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  /** metadata_props of the model. */
  metadata: Record<string, string>;
}

/** What the graph takes and gives (for the caller's docs and tests). */
export interface GraphOptions {
  /** true: the output at every step [T, B, Q]; false: at each sequence's last (real) step [B, Q]. */
  returnSequences: boolean;
  /** Add an int32 input `lengths` [B] fed to every layer as sequence_lens. */
  lengths: boolean;
  /** Add inputs h0 (and c0 for LSTM) [L, B, H] and outputs h_n (c_n) [L, B, H]: the state in and out, for step-by-step inference. */
  state: boolean;
}

/** ONNX's gate blocks in terms of PyTorch's: ONNX block k = PyTorch block ORDER[k]. */
export const GATE_ORDER: Readonly<Record<ModelConfig['cell'], readonly number[]>> = {
  rnn: [0],
  lstm: [0, 3, 1, 2], // ONNX i, o, f, c  ←  PyTorch i, f, g, o
  gru: [1, 0, 2], //    ONNX z, r, h     ←  PyTorch r, z, n
};

/** Reorder the gate blocks (each H rows of `cols` floats) of a (G·H, cols) row-major matrix. */
export function reorderGates(t: ArrayLike<number>, order: readonly number[], H: number, cols: number): Float32Array {
  const out = new Float32Array(order.length * H * cols);
  const block = H * cols;
  order.forEach((from, k) => {
    for (let i = 0; i < block; i++) out[k * block + i] = t[from * block + i];
  });
  return out;
}

function f32(name: string, dims: number[], data: ArrayLike<number>): OnnxTensor {
  return { name, type: 'float', dims, data: Float32Array.from(data) };
}

const ACTIVATION: Record<ModelConfig['activation'], AttrValue> = { tanh: 'Tanh', relu: 'Relu', identity: 'Affine' };

/** The whole graph of a checked config and its checked weights. */
export function onnxGraph(c: ModelConfig, w: Weights<Tensor>, o: GraphOptions): OnnxGraph {
  const H = c.hidden, G = GATES[c.cell], order = GATE_ORDER[c.cell], Q = c.outputSize;
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const inputs: OnnxValue[] = [];
  const seqLens = o.lengths ? 'lengths' : '';
  let x: string;
  if (c.input === 'tokens') {
    inputs.push({ name: 'tokens', type: 'int64', dims: ['steps', 'batch'] });
    inits.push({ name: 'onehot_depth', type: 'int64', dims: [], data: BigInt64Array.of(BigInt(c.inputSize)) });
    inits.push(f32('onehot_values', [2], [0, 1]));
    nodes.push({ op: 'OneHot', name: 'onehot', inputs: ['tokens', 'onehot_depth', 'onehot_values'], outputs: ['x_onehot'], attrs: { axis: -1 } });
    x = 'x_onehot';
  } else {
    inputs.push({ name: 'x', type: 'float', dims: ['steps', 'batch', c.inputSize] });
    x = 'x';
  }
  if (o.lengths) inputs.push({ name: 'lengths', type: 'int32', dims: ['batch'] });
  const lstm = c.cell === 'lstm';
  if (o.state) {
    inputs.push({ name: 'h0', type: 'float', dims: [c.layers, 'batch', H] });
    if (lstm) inputs.push({ name: 'c0', type: 'float', dims: [c.layers, 'batch', H] });
  }
  const axes = (k: 0 | 1) => {
    const name = `axes_${k}`;
    if (!inits.some((t) => t.name === name)) inits.push({ name, type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(k)) });
    return name;
  };

  const op = c.cell === 'rnn' ? 'RNN' : c.cell === 'lstm' ? 'LSTM' : 'GRU';
  let lastH = '';
  for (let l = 0; l < c.layers; l++) {
    const n = layerNames(c, l), inSize = l === 0 ? c.inputSize : H;
    inits.push(f32(`W_l${l}`, [1, G * H, inSize], reorderGates(w[n.W_ih], order, H, inSize)));
    inits.push(f32(`R_l${l}`, [1, G * H, H], reorderGates(w[n.W_hh], order, H, H)));
    let b = '';
    if (n.b_ih) {
      const both = new Float32Array(2 * G * H);
      both.set(reorderGates(w[n.b_ih], order, H, 1), 0);
      if (n.b_hh) both.set(reorderGates(w[n.b_hh], order, H, 1), G * H); // the chapter's model: Rb = 0
      inits.push(f32(`B_l${l}`, [1, 2 * G * H], both));
      b = `B_l${l}`;
    }
    const attrs: Record<string, AttrValue> = { hidden_size: H, direction: 'forward' };
    if (c.cell === 'rnn') {
      attrs.activations = [ACTIVATION[c.activation] as string];
      if (c.activation === 'identity') {
        attrs.activation_alpha = { floats: [1] };
        attrs.activation_beta = { floats: [0] };
      }
    }
    if (c.cell === 'gru') attrs.linear_before_reset = 1;
    const top = l === c.layers - 1;
    const needY = !top || o.returnSequences;
    const Y = needY ? `Y_l${l}` : '', Yh = o.state || (top && !o.returnSequences) ? `Y_h_l${l}` : '', Yc = o.state && lstm ? `Y_c_l${l}` : '';
    let h0 = '', c0 = '';
    if (o.state) {
      // layer l's initial states: h0[l:l+1] (and c0), [1, B, H]
      inits.push({ name: `layer_${l}`, type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(l)) });
      nodes.push({ op: 'Gather', name: `h0_l${l}`, inputs: ['h0', `layer_${l}`], outputs: [(h0 = `h0_l${l}`)], attrs: { axis: 0 } });
      if (lstm) nodes.push({ op: 'Gather', name: `c0_l${l}`, inputs: ['c0', `layer_${l}`], outputs: [(c0 = `c0_l${l}`)], attrs: { axis: 0 } });
    }
    const ins = [x, `W_l${l}`, `R_l${l}`, b, seqLens, h0, c0];
    while (ins[ins.length - 1] === '') ins.pop();
    const outs = [Y, Yh, Yc];
    while (outs[outs.length - 1] === '') outs.pop();
    nodes.push({ op, name: `${c.cell}_l${l}`, inputs: ins, outputs: outs, attrs });
    if (needY) {
      // Y: [T, num_directions = 1, B, H] → [T, B, H]
      nodes.push({ op: 'Squeeze', name: `squeeze_l${l}`, inputs: [Y, axes(1)], outputs: [`h_l${l}`], attrs: {} });
      x = `h_l${l}`;
    } else {
      // Y_h: [1, B, H] → [B, H]
      nodes.push({ op: 'Squeeze', name: `squeeze_h_l${l}`, inputs: [Yh, axes(0)], outputs: ['h_last'], attrs: {} });
      lastH = 'h_last';
    }
  }
  const top = o.returnSequences ? x : lastH;
  // o = h W_qhᵀ + b_q
  const Wq = w.W_qh, WqT = new Float32Array(H * Q);
  for (let q = 0; q < Q; q++) for (let j = 0; j < H; j++) WqT[j * Q + q] = Wq[q * H + j];
  inits.push(f32('W_qh_T', [H, Q], WqT));
  // a classifier's `output` is softmax(logits) (as Model.predict gives) and `logits` is a second output
  const classes = c.loss === 'softmax-xent', o_ = classes ? 'logits' : 'output';
  nodes.push({ op: 'MatMul', name: 'head_matmul', inputs: [top, 'W_qh_T'], outputs: [c.bias ? 'head_mm' : o_], attrs: {} });
  if (c.bias) {
    inits.push(f32('b_q', [Q], w.b_q));
    nodes.push({ op: 'Add', name: 'head_bias', inputs: ['head_mm', 'b_q'], outputs: [o_], attrs: {} });
  }
  if (classes) nodes.push({ op: 'Softmax', name: 'head_softmax', inputs: ['logits'], outputs: ['output'], attrs: { axis: -1 } });
  const outDims: Dim[] = o.returnSequences ? ['steps', 'batch', Q] : ['batch', Q];
  const outputs: OnnxValue[] = [{ name: 'output', type: 'float', dims: outDims }];
  if (classes) outputs.push({ name: 'logits', type: 'float', dims: outDims });
  if (o.state) {
    // every layer's final state (each sequence's last real step with lengths), [L, B, H]
    const layers = Array.from({ length: c.layers }, (_, l) => l);
    nodes.push({ op: 'Concat', name: 'h_n', inputs: layers.map((l) => `Y_h_l${l}`), outputs: ['h_n'], attrs: { axis: 0 } });
    outputs.push({ name: 'h_n', type: 'float', dims: [c.layers, 'batch', H] });
    if (lstm) {
      nodes.push({ op: 'Concat', name: 'c_n', inputs: layers.map((l) => `Y_c_l${l}`), outputs: ['c_n'], attrs: { axis: 0 } });
      outputs.push({ name: 'c_n', type: 'float', dims: [c.layers, 'batch', H] });
    }
  }
  return {
    name: `webgpu-bptt ${c.cell} ×${c.layers}`,
    inputs,
    outputs,
    nodes,
    initializers: inits,
    metadata: {
      config: JSON.stringify(c),
      returnSequences: String(o.returnSequences),
      output: c.loss === 'softmax-xent' ? 'output: class probabilities (softmax); logits: before the softmax' : 'output: regression values',
    },
  };
}
