// Text → characters → token ids, as the chapter does it.
import { BpttError, show } from '../errors';

/** 'd2l': letters and spaces, lower case; 'raw': the text as is. */
export type Preprocess = 'd2l' | 'raw';

/**
 * 'd2l': every run of non-letters becomes one space, then lower case (d2l's
 * preprocess; The Time Machine then has 26 letters + space). 'raw': as is.
 */
export function preprocess(text: string, mode: Preprocess = 'd2l'): string {
  return mode === 'd2l' ? text.replace(/[^A-Za-z]+/g, ' ').toLowerCase() : text;
}

/** Decode UTF-8 bytes strictly; binary or non-UTF-8 data gets a clear error. */
export function decodeUtf8(bytes: Uint8Array, field = 'file'): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BpttError(field, `${bytes.length} bytes`, 'is not valid UTF-8 text');
  }
  if (text.includes('\u0000')) throw new BpttError(field, `${bytes.length} bytes`, 'contains NUL characters: binary data, not text');
  return text;
}

/**
 * A character vocabulary, d2l style: tokens sorted by frequency (most
 * frequent first, ties by code point), '<unk>' at index 0 for characters
 * never seen.
 */
export class Vocab {
  readonly idxToToken: string[];
  readonly tokenToIdx: Map<string, number>;

  constructor(tokens: string[]) {
    this.idxToToken = tokens;
    this.tokenToIdx = new Map(tokens.map((t, i) => [t, i]));
  }

  /** The vocabulary of every character in `text`. */
  static fromText(text: string): Vocab {
    const counts = new Map<string, number>();
    for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([c]) => c);
    return new Vocab(['<unk>', ...sorted]);
  }

  get size(): number {
    return this.idxToToken.length;
  }

  /** Ids of the characters of `text` (unknown characters → 0, or an error when `strict`). */
  encode(text: string, strict = false): Uint32Array {
    const chars = [...text];
    const out = new Uint32Array(chars.length);
    chars.forEach((ch, i) => {
      const id = this.tokenToIdx.get(ch);
      if (id === undefined && strict) throw new BpttError(`text[${i}]`, show(ch), 'is not in the vocabulary');
      out[i] = id ?? 0;
    });
    return out;
  }

  /** The characters of `ids` ('?' for <unk>). */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.idxToToken[ids[i]] === '<unk>' ? '?' : (this.idxToToken[ids[i]] ?? '?');
    return s;
  }
}

/** A text with its vocabulary and ids. */
export interface Corpus {
  text: string;
  vocab: Vocab;
  /** The whole text as ids. */
  ids: Uint32Array;
}

/** Build a corpus (vocabulary + ids); refuses empty text. */
export function makeCorpus(raw: string, mode: Preprocess = 'd2l', field = 'corpus'): Corpus {
  const text = preprocess(raw, mode);
  if (text.trim().length === 0) throw new BpttError(field, show(raw), 'is empty (after preprocessing): nothing to train on');
  const vocab = Vocab.fromText(text);
  return { text, vocab, ids: vocab.encode(text) };
}
