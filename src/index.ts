// webgpu-bptt: train recurrent neural networks with backpropagation through
// time on WebGPU. Browser-safe entry point (Node helpers: 'webgpu-bptt/node').
export { BpttError } from './errors';
export { requestTrainingDevice, describeAdapter, type DeviceOptions } from './gpu/device';
export { liveMemory, BufferArena, type MemoryTally } from './gpu/buffers';
export { readBuffer, readFloats } from './gpu/readback';
export { validateConfig, charLmConfig, isChapterModel, ACTIVATIONS, CELLS, GATES, MAX_LAYERS, type RnnConfig, type ModelConfig, type CellKind, type Activation, type LossKind } from './model/config';
export { paramLayout, paramShapes, layerNames, initWeights, packWeights, unpackWeights, checkWeights, PARAM_NAMES, type Weights, type ParamName, type ParamLayout, type InitScheme, type Tensor } from './model/params';
export { BpttEngine, estimateBytes, checkShape, planBuffers, type BpttShape, type Diagnostics } from './engine/bptt';
export { StreamingTbptt, type StreamingOptions } from './engine/streaming';
export { Trainer, type TrainerOptions, type OptimizerSpec, type StepInput, type StepHandle, type StepStats, type StateMode } from './engine/trainer';
export { full, regular, randomized, explicit, tbptt, truncationFrom, truncationFromText, segments, lossReach, sharedPlan, xiAt, maskAt, type Truncation, type TruncationSpec, type XiPlan, type PiSchedule, type RandomizedOptions } from './engine/truncation';
export { lrScheduleFrom, lrScheduleFromText, lrAt, describeLrSchedule, type LrScheduleSpec } from './engine/schedule';
export type { BatchInput } from './engine/batch';
export { referenceForwardBackward, referenceLoss, toFloat64, type Batch, type ReferenceOptions, type ReferenceResult } from './reference/rnn64';
export { Vocab, makeCorpus, preprocess, decodeUtf8, type Corpus, type Preprocess } from './data/text';
export { epochBatches, type Partition, type Minibatch } from './data/partition';
export { BUILTIN_CORPUS } from './data/builtin';
export { CharLM, type CharLmOptions, type EpochResult, type StepInfo } from './lm/charlm';
export { createRng, type Rng } from './util/rng';
export { generateIds, generateText, pickToken, type GeneratorWeights } from './lm/generate';
export { saveCheckpoint, loadCheckpoint, torchName, TORCH_NAMES, OUTPUT_MODULES, type CheckpointData } from './model/checkpoint';
export { encodeSafetensors, decodeSafetensors, type NamedTensor, type Decoded } from './model/safetensors';
export { referenceCells, referenceCellsLoss, type CellsOptions, type CellsResult } from './reference/cells64';
export { rtrlGradients, forwardVsReverse, type RtrlOptions, type RtrlResult, type ForwardVsReverse } from './reference/rtrl64';
export { delayTask, DELAY_ALPHABET, type DelayTask } from './data/delay';
