// The PyTorch-written golden files (test/golden, made by
// scripts/golden/make_golden.py): their JSON layout and loading.
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/model/checkpoint';
import type { RnnConfig } from '../src/model/config';

/** One gradient run PyTorch made: full BPTT, TBPTT or ξ. */
export interface GoldenRun {
  name: string;
  grads: Record<string, number[]>;
  tbptt?: { k1: number; k2: number };
  xi?: number[] | number[][];
}

/** A golden file's JSON: the batch, the states, PyTorch's loss, final states and gradient runs. */
export interface Golden {
  config: RnnConfig;
  B: number;
  T: number;
  tokens: number[][];
  targets: number[][];
  h0: number[][][];
  c0?: number[][][];
  loss_float32: number;
  loss_float64: number;
  h_last: number[][][];
  c_last?: number[][][];
  runs: GoldenRun[];
}

/** PyTorch's state-dict name of one of our parameters (rnn.weight_ih_l0, …, fc.weight, fc.bias). */
export const torchKey = (name: string) => (name === 'W_qh' ? 'fc.weight' : name === 'b_q' ? 'fc.bias' : `rnn.${name}`);

const url = (f: string) => new URL(`./golden/${f}`, import.meta.url);

/** The golden JSON of `cell` and its state dict, loaded with our loadCheckpoint. */
export function loadGolden(cell: 'rnn' | 'lstm' | 'gru') {
  const golden = JSON.parse(readFileSync(url(`torch_${cell}.json`), 'utf8')) as Golden;
  const ck = loadCheckpoint(new Uint8Array(readFileSync(url(`torch_${cell}.safetensors`))), golden.config);
  return { golden, config: ck.config, weights: ck.weights };
}
