import text from './builtin-corpus.txt?raw';

/**
 * The built-in corpus: chapters I and II of H. G. Wells, The Time Machine
 * (1895; public domain), about 28 KB, shipped with the package so that
 * nothing needs a download.
 */
export const BUILTIN_CORPUS: string = text;
