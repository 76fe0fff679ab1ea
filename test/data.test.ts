// Vocabulary, d2l's partitioning, the Time Machine loader's checksum logic
// (on a local file; no test needs the network), truncation objects.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vocab, makeCorpus, preprocess, decodeUtf8 } from '../src/data/text';
import { epochBatches } from '../src/data/partition';
import { BUILTIN_CORPUS } from '../src/data/builtin';
import { downloadVerified, sha1Hex, TIME_MACHINE } from '../src/node/timemachine';
import { createRng } from '../src/util/rng';

describe('text and vocabulary', () => {
  it("d2l preprocessing of the built-in corpus gives 26 letters, space and <unk>", () => {
    const c = makeCorpus(BUILTIN_CORPUS);
    expect(c.vocab.size).toBe(28);
    expect(c.vocab.idxToToken[0]).toBe('<unk>');
    expect(c.vocab.idxToToken[1]).toBe(' '); // the most frequent
    expect(c.text.startsWith('the time machine by h g wells i the time traveller')).toBe(true);
    expect(c.vocab.decode(c.ids.slice(0, 16))).toBe('the time machine');
  });
  it('preprocess and encode/decode', () => {
    expect(preprocess('Hello, World!!\n2nd')).toBe('hello world nd');
    const v = Vocab.fromText('abca');
    expect(v.idxToToken).toEqual(['<unk>', 'a', 'b', 'c']);
    expect(Array.from(v.encode('cab?'))).toEqual([3, 1, 2, 0]);
    expect(() => v.encode('x', true)).toThrow(/text\[0\] = "x": is not in the vocabulary/);
  });
  it('rejects empty corpora and binary files', () => {
    expect(() => makeCorpus('1234 !!')).toThrow(/is empty \(after preprocessing\)/);
    expect(() => decodeUtf8(new Uint8Array([0xff, 0xfe, 0x00]))).toThrow(/is not valid UTF-8 text/);
    expect(() => decodeUtf8(new Uint8Array([0x61, 0x00, 0x62]))).toThrow(/binary data/);
  });
});

describe("d2l's partitioning", () => {
  const ids = Uint32Array.from({ length: 200 }, (_, i) => i);
  it('sequential: streams continue across minibatches; targets are the next token', () => {
    const bs = epochBatches(ids, 3, 5, 'sequential', createRng(1));
    expect(bs[0].state).toBe('reset');
    expect(bs[1].state).toBe('carry');
    for (let i = 1; i < bs.length; i++) for (let b = 0; b < 3; b++) expect(bs[i].tokens[b]).toBe(bs[i - 1].tokens[4 * 3 + b] + 1);
    for (const mb of bs) mb.tokens.forEach((t, i) => expect(mb.targets[i]).toBe(t + 1));
  });
  it('random: state reset, non-overlapping subsequences', () => {
    const bs = epochBatches(ids, 4, 6, 'random', createRng(2));
    const starts = bs.flatMap((b) => b.starts);
    expect(new Set(starts).size).toBe(starts.length);
    expect(bs.every((b) => b.state === 'reset')).toBe(true);
  });
  it('too short a corpus is refused', () => {
    expect(() => epochBatches(ids.slice(0, 20), 4, 6, 'sequential', createRng(1))).toThrow(/corpus = 20 tokens: is too short for batch=4 × steps=6/);
  });
});

describe('Time Machine loader (checksum logic on local files)', () => {
  const data = new TextEncoder().encode('The Time Traveller (for so it will be convenient to speak of him)');
  const spec = { url: 'local://tm.txt', sha1: sha1Hex(data), file: 'tm.txt' };
  it('downloads once, verifies, caches, then reads the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-'));
    let calls = 0;
    const fetcher = async () => (calls++, data);
    expect(new TextDecoder().decode(await downloadVerified(spec, dir, fetcher))).toMatch(/^The Time Traveller/);
    expect(existsSync(join(dir, 'tm.txt'))).toBe(true);
    await downloadVerified(spec, dir, fetcher);
    expect(calls).toBe(1);
  });
  it('a corrupt download is an error and nothing is cached; a corrupt cache is fetched again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-'));
    await expect(downloadVerified(spec, dir, async () => new TextEncoder().encode('tampered'))).rejects.toThrow(/sha1 of local:\/\/tm\.txt = .*: must be /);
    expect(existsSync(join(dir, 'tm.txt'))).toBe(false);
    writeFileSync(join(dir, 'tm.txt'), 'stale');
    await downloadVerified(spec, dir, async () => data);
    expect(readFileSync(join(dir, 'tm.txt'), 'utf8')).toMatch(/^The Time Traveller/);
  });
  it("uses d2l's URL and checksum", () => {
    expect(TIME_MACHINE.sha1).toBe('090b5e7e70c295757f55df93cb0a180b9691891a');
    expect(TIME_MACHINE.url.endsWith('/timemachine.txt')).toBe(true);
  });
});
