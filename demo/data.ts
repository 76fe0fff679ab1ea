// Data for the demo: the built-in corpus, a visitor's text (file or paste,
// read locally, never uploaded), or a synthetic long-range task.
import { t } from './i18n';
import { makeCorpus, decodeUtf8, epochBatches, createRng, delayTask, BUILTIN_CORPUS, type Corpus, type Minibatch } from '../src/index';

export const MAX_FILE_BYTES = 8 * 1024 * 1024;

export interface Source {
  name: string;
  vocabSize: number;
  /** Characters for the token ids (for drawing and sampling). */
  chars: string[];
  /** The corpus, when this is text (for generation). */
  corpus?: Corpus;
  /** Minibatches forever (epochs restart as they run out). */
  next(): Minibatch;
}

function fromCorpus(name: string, corpus: Corpus, B: number, T: number, seed: number): Source {
  const rng = createRng(seed);
  let queue: Minibatch[] = [];
  return {
    name,
    vocabSize: corpus.vocab.size,
    chars: corpus.vocab.idxToToken.map((c) => (c === '<unk>' ? '?' : c)),
    corpus,
    next() {
      if (!queue.length) queue = epochBatches(corpus.ids, B, T, 'sequential', rng);
      return queue.shift()!;
    },
  };
}

export function builtinSource(B: number, T: number, seed: number): Source {
  return fromCorpus(t('builtinName'), makeCorpus(BUILTIN_CORPUS), B, T, seed);
}

/** A visitor's text; throws an Error with a friendly message when it cannot be used. */
export function textSource(name: string, text: string, B: number, T: number, seed: number): Source {
  const corpus = makeCorpus(text, 'd2l', name);
  if (corpus.ids.length < B * T + T + 1) {
    throw new Error(t('tooShort', { name, n: corpus.ids.length, B, T, need: B * T + T + 1 }));
  }
  return fromCorpus(name, corpus, B, T, seed);
}

/** Read a dropped or chosen file locally as UTF-8 text (size and encoding checked). */
export async function readTextFile(file: File): Promise<string> {
  if (file.size > MAX_FILE_BYTES) throw new Error(t('tooBig', { name: file.name, mib: (file.size / 2 ** 20).toFixed(1), limit: MAX_FILE_BYTES / 2 ** 20 }));
  try {
    return decodeUtf8(new Uint8Array(await file.arrayBuffer()), file.name);
  } catch {
    throw new Error(t('notUtf8', { name: file.name }));
  }
}

/**
 * The delay task (the library's delayTask): random symbols from an alphabet
 * of 8; the target at each step is the symbol seen k steps earlier. A
 * gradient must travel k links back (from the loss at t to h_{t−k}) to learn
 * it. Chance: ln 8 ≈ 2.08.
 */
export function delaySource(k: number, B: number, T: number, seed: number): Source {
  const task = delayTask(k, B, T, seed);
  return { name: t('delayName', { k }), vocabSize: task.vocabSize, chars: 'abcdefgh'.split(''), next: () => task.next() };
}
