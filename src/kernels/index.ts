// The kernels, for web apps that bring their own buffers and command encoders.
// Each createX(device, options) returns { layout, bind(buffers, dims), encode(pass, bound) };
// encode records into the caller's compute pass and never submits.
export {
  createMatmul, matmulVariantFits, defaultMatmulVariant, MATMUL_WGSL, MATMUL_VEC4_WGSL, MATMUL_VEC4_4X8_WGSL, MATMUL_VEC4_8X8_WGSL, MATMUL_8X8_WGSL, MATMUL_8X8_VEC4B_WGSL, MATMUL_8X8_VEC4AB_WGSL,
  MATMUL_8X8_K4_WGSL, MATMUL_8X8_VEC4B_K4_WGSL, MATMUL_4X8_WGSL, MATMUL_4X8_VEC4B_WGSL,
  MATMUL_VARIANTS, MATMUL_FALLBACK,
  type MatmulOptions, type MatmulBuffers, type MatmulDims, type MatmulBound, type MatmulVariant, type MatmulKernelHandle,
} from './matmul';
export {
  tuneMatmul, pinMatmulVariant, timePass, shapeBucket, tunedChoices, clearChoices,
  type GemmShape, type TuneOptions, type TuneResult, type TuneShape,
} from './tune';
export { createEmbedGather, createEmbedGrad, bucketByToken, EMBED_GATHER_WGSL, EMBED_GRAD_WGSL } from './embed';
export { createColsum, COLSUM_WGSL } from './colsum';
export { createAccumulate, ACCUMULATE_WGSL } from './accumulate';
export { createRnnForward, createRnnBackward, maxHidden, RNN_FORWARD_WGSL, RNN_BACKWARD_WGSL, type RnnKernelOptions, type RnnDims } from './rnn';
export { createLoss, SOFTMAX_XENT_WGSL, MSE_LOSS_WGSL, type LossKind, type LossBuffers } from './loss';
export { createReduceSum, REDUCE_SUM_WGSL } from './reduce';
export { createClipUpdate, CLIP_UPDATE_WGSL, STATS, type StepStats, type OptimizerKind, type ClipUpdateDims } from './clip-update';
export { createTranspose, TRANSPOSE_WGSL } from './transpose';
export { createSegmentNorms, createPowerIteration, powerIterationMaxHidden, spectralRadius, SEGMENT_NORMS_WGSL, POWER_ITERATION_WGSL } from './diagnostics';
export { createCarryState, CARRY_STATE_WGSL } from './carry';
export { Kernel, type Bound, type StepsBound, type Activation, type KernelHandle, type KernelSpec, type Constants } from './kernel';
export { createLstmForward, createLstmBackward, maxHiddenLstm, autoRowsLstm, LSTM_FORWARD_WGSL, LSTM_BACKWARD_WGSL, type LstmKernelOptions, type LstmForwardDims, type LstmBackwardDims, type LstmForwardBuffers, type LstmBackwardBuffers } from './lstm';
export { createGruForward, createGruBackward, maxHiddenGru, autoRowsGru, GRU_FORWARD_WGSL, GRU_BACKWARD_WGSL, type GruKernelOptions, type GruForwardDims, type GruBackwardDims, type GruForwardBuffers, type GruBackwardBuffers } from './gru';
export {
  createSplitForward, createSplitBackward, splitWorkgroups, SPLIT_FORWARD_WGSL, SPLIT_BACKWARD_WGSL,
  type SplitKernelOptions, type SplitCell, type SplitForwardDims, type SplitBackwardDims, type SplitForwardBuffers, type SplitBackwardBuffers, type SplitKernelHandle,
} from './split';
