// The dispatches of one chunk of the step, bound once up front: per layer
// the input projection, the recurrence, the reverse recurrence per gradient
// stream, the streams' sum, the weight-gradient GEMMs and ∂L/∂h of the layer
// below; then the output layer. BpttEngine.encodeStep records them in the
// order of the math.
import type { ModelConfig } from '../model/config';
import { layerNames, type ParamLayout } from '../model/params';
import { createMatmul } from '../kernels/matmul';
import { createEmbedGather, createEmbedGrad } from '../kernels/embed';
import { createColsum } from '../kernels/colsum';
import { createAccumulate } from '../kernels/accumulate';
import { createReduceSum } from '../kernels/reduce';
import type { Bound } from '../kernels/kernel';
import { STATS } from '../gpu/stats';
import { cellSizes } from './plan';
import { createCell, dispatch, type Dispatch, type RecurrenceChoice } from './cells';
import { xiLayout } from './layout';

/** A kernel that records a binding into a pass. */
type Encoder = { encode(pass: GPUComputePassEncoder, b: Bound): void };

/** What bindChunk needs of the engine. */
export interface ChunkContext {
  readonly device: GPUDevice;
  readonly config: ModelConfig;
  readonly buf: Record<string, GPUBuffer>;
  readonly layout: ParamLayout;
  readonly B: number;
  readonly T: number;
  /** Steps per chunk. */
  readonly C: number;
  readonly chunks: number;
  /** Layers. */
  readonly L: number;
  readonly streams: number;
  /** Take ownership of a dispatch (its uniform buffer). */
  own(d: Dispatch): Dispatch;
}

/** One layer's forward dispatches for a chunk of `len` steps. */
export interface LayerForward {
  /** Zx = X W_ihᵀ + b_ih. */
  input: Dispatch;
  /** The recurrence over the chunk (Hs, Cs, gates), holding the state past each sequence's length. */
  forward: Dispatch;
}

/** One layer's dispatches for a chunk of `len` steps. */
export interface LayerDispatches extends LayerForward {
  /** The reverse recurrence, one per gradient stream. */
  backward: Dispatch[];
  dW_ih: Dispatch;
  dW_hh: Dispatch;
  db_ih?: Dispatch;
  db_hh?: Dispatch;
  /** ∂L/∂h of the layer below (l > 0). */
  dX?: Dispatch;
  /** With several gradient streams: dG (and dGh) into the streams' sum, [first stream, later ones]. */
  sum?: [Dispatch[], Dispatch[]];
}

/** The forward dispatches of a chunk of `len` steps: every layer, then the outputs. */
export interface ChunkForward {
  len: number;
  layers: LayerForward[];
  /** O = Hs_top[1..len] W_qhᵀ + b_q. */
  output: Dispatch;
}

/** Every dispatch of a chunk of `len` steps except the per-chunk norms. */
export interface ChunkDispatches extends ChunkForward {
  layers: LayerDispatches[];
  /** Σ loss rows into Stats.loss (unchunked engines). */
  lossSum?: Dispatch;
  dW_qh: Dispatch;
  db_q?: Dispatch;
  dHtop: Dispatch;
}

/** Bind the forward dispatches of a chunk of `len` steps of engine `e` (rec: which recurrence kernels). */
export function bindForwardChunk(e: ChunkContext, rec: RecurrenceChoice, len: number): ChunkForward {
  const c = e.config, dev = e.device, buf = e.buf, P = e.layout.byName;
  const B = e.B, R = B * len, H = c.hidden, Q = c.outputSize, d = c.inputSize;
  const GH = cellSizes(c).G * H;
  const own = (k: Encoder, b: Bound) => e.own(dispatch(k, b));
  const mmT = createMatmul(dev, { transB: true, bias: c.bias });
  const mmTnb = createMatmul(dev, { transB: true });
  const layers: LayerForward[] = [];
  for (let l = 0; l < e.L; l++) {
    const n = layerNames(c, l);
    const W_ih = P[n.W_ih]!.offset;
    const b_ih = n.b_ih ? P[n.b_ih]!.offset : undefined, b_hh = n.b_hh ? P[n.b_hh]!.offset : undefined;
    const below = l > 0 ? buf[`hs${l - 1}`] : undefined;
    const cell = createCell(dev, c, rec, b_hh !== undefined);
    // Zx_l = X_l W_ih_lᵀ + b_ih_l: (R, G·H)
    let input: Dispatch;
    if (l === 0 && c.input === 'tokens') {
      const k = createEmbedGather(dev, { bias: b_ih !== undefined });
      input = own(k, k.bind({ params: buf.params, tokens: buf.input, zx: buf.zx0 }, { R, H: GH, V: d, wOffset: W_ih, bOffset: b_ih }));
    } else {
      const k = b_ih !== undefined ? mmT : mmTnb;
      const x = below ?? buf.input;
      input = own(k, k.bind({ a: x, b: buf.params, c: buf[`zx${l}`], bias: buf.params }, { M: R, N: GH, K: l === 0 ? d : H, aOffset: below ? B * H : 0, bOffset: W_ih, biasOffset: b_ih }));
    }
    // the recurrence: Hs_l (len + 1, B, H), Cs_l, gates_l; padded steps hold the state
    const forward = e.own(
      cell.forward({ weightsT: buf[`whhT${l}`], params: buf.params, zx: buf[`zx${l}`], hs: buf[`hs${l}`], cs: buf[`cs${l}`], gates: buf[`gates${l}`], lengths: buf.lengths }, { B, len, bOffset: b_hh }),
    );
    layers.push({ input, forward });
  }
  // O = Hs_top[1..len] W_qhᵀ + b_q: (R, Q)
  const output = own(mmT, mmT.bind({ a: buf[`hs${e.L - 1}`], b: buf.params, c: buf.o, bias: buf.params }, { M: R, N: Q, K: H, aOffset: B * H, bOffset: P.W_qh!.offset, biasOffset: P.b_q?.offset }));
  return { len, layers, output };
}

/** Bind every dispatch of a chunk of `len` steps of engine `e` (rec: which recurrence kernels). */
export function bindChunk(e: ChunkContext, rec: RecurrenceChoice, len: number): ChunkDispatches {
  const fwd = bindForwardChunk(e, rec, len);
  const c = e.config, dev = e.device, buf = e.buf, P = e.layout.byName;
  const B = e.B, R = B * len, H = c.hidden, Q = c.outputSize, d = c.inputSize, L = e.L;
  const { G, dGh } = cellSizes(c);
  const GH = G * H;
  const own = (k: Encoder, b: Bound) => e.own(dispatch(k, b));
  const mm = createMatmul(dev);
  const tA = createMatmul(dev, { transA: true });
  const colsum = createColsum(dev);
  const xi = xiLayout(e.C, B);
  // GRU's dGh after dGi in one buffer, at the chunk capacity's offset
  const ghOffset = dGh ? e.C * B * GH : 0;
  const layers: LayerDispatches[] = [];
  for (let l = 0; l < L; l++) {
    const n = layerNames(c, l);
    const W_ih = P[n.W_ih]!.offset, W_hh = P[n.W_hh]!.offset;
    const b_ih = n.b_ih ? P[n.b_ih]!.offset : undefined, b_hh = n.b_hh ? P[n.b_hh]!.offset : undefined;
    const hs = buf[`hs${l}`], below = l > 0 ? buf[`hs${l - 1}`] : undefined;
    const cell = createCell(dev, c, rec, b_hh !== undefined);
    const { input, forward } = fwd.layers[l];
    // the reverse recurrence per stream: ∂L/∂h from the outputs (top) or from the layer above
    const top = l === L - 1;
    const dHo = top ? buf.dHtop : buf[`dHx${(L - 2 - l) % 2}`];
    const backward: Dispatch[] = [];
    for (let st = 0; st < e.streams; st++) {
      backward.push(
        e.own(
          cell.backward(
            {
              params: buf.params, hs, cs: buf[`cs${l}`], gates: buf[`gates${l}`], dHo, xi: buf.xi,
              dHc: buf[`dHc${st}.${l}`], dG: buf.dG, dH: top ? buf.dH : buf.dHlow,
            },
            { B, len, wOffset: W_hh, xiOffset: xi.xi(st, 0), maskOffset: top ? xi.mask(st, 0) : xi.ones(e.streams), cOffset: e.C * B * H, ghOffset },
          ),
        ),
      );
    }
    // weight gradients of layer l, one GEMM each over the chunk's R rows
    // (several streams: over their sum, once; the GEMMs are linear in dG)
    // (GRU: dGh sits at ghOffset of the same buffer, after dGi)
    const g = e.streams > 1 ? buf[`dGsum${l}`] : buf.dG;
    const gh = dGh ? ghOffset : 0;
    let sum: LayerDispatches['sum'];
    if (e.streams > 1) {
      const acc = createAccumulate(dev);
      const n = gh + R * GH; // dGi and, for GRU, dGh
      sum = [[own(acc, acc.bind({ x: buf.dG, y: g }, { n, beta: 0 }))], [own(acc, acc.bind({ x: buf.dG, y: g }, { n, beta: 1 }))]];
    }
    let dW_ih: Dispatch;
    if (l === 0 && c.input === 'tokens') {
      const eg = createEmbedGrad(dev);
      dW_ih = own(eg, eg.bind({ dZ: g, start: buf.start, order: buf.order, grads: buf.grads }, { R, H: GH, V: d, wOffset: W_ih, beta: 1 }));
    } else {
      dW_ih = own(tA, tA.bind({ a: g, b: below ?? buf.input, c: buf.grads }, { M: GH, N: l === 0 ? d : H, K: R, bOffset: below ? B * H : 0, cOffset: W_ih, beta: 1 }));
    }
    const dW_hh = own(tA, tA.bind({ a: g, b: hs, c: buf.grads }, { M: GH, N: H, K: R, aOffset: gh, cOffset: W_hh, beta: 1 }));
    const db_ih = b_ih === undefined ? undefined : own(colsum, colsum.bind({ x: g, out: buf.grads }, { R, N: GH, outOffset: b_ih, beta: 1 }));
    const db_hh = b_hh === undefined ? undefined : own(colsum, colsum.bind({ x: g, out: buf.grads }, { R, N: GH, xOffset: gh, outOffset: b_hh, beta: 1 }));
    // ∂L/∂h of layer l − 1 from layer l: dG W_ih_l (R, H)
    const dX = l === 0 ? undefined : own(mm, mm.bind({ a: buf.dG, b: buf.params, c: buf[`dHx${(L - 1 - l) % 2}`] }, { M: R, N: H, K: GH, bOffset: W_ih }));
    layers.push({ input, forward, backward, dW_ih, dW_hh, db_ih, db_hh, dX, sum });
  }
  const hsTop = buf[`hs${L - 1}`];
  const output = fwd.output;
  const sum = createReduceSum(dev);
  const lossSum = e.chunks === 1 ? own(sum, sum.bind({ x: buf.lossRows, partials: buf.partials, out: buf.stats }, { n: R, outIndex: STATS.loss })) : undefined;
  const dW_qh = own(tA, tA.bind({ a: buf.dO, b: hsTop, c: buf.grads }, { M: Q, N: H, K: R, bOffset: B * H, cOffset: P.W_qh!.offset, beta: 1 }));
  const db_q = P.b_q ? own(colsum, colsum.bind({ x: buf.dO, out: buf.grads }, { R, N: Q, outOffset: P.b_q.offset, beta: 1 })) : undefined;
  // ∂L/∂h_t of the top layer from the outputs: dO W_qh (R, H)
  const dHtop = own(mm, mm.bind({ a: buf.dO, b: buf.params, c: buf.dHtop }, { M: R, N: H, K: Q, bOffset: P.W_qh!.offset }));
  return { len, layers, output, lossSum, dW_qh, db_q, dHtop };
}
