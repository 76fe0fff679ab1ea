// `npm run study`: the chapter's comparison of full BPTT, regular,
// randomized and TBPTT truncation, measured on the WebGPU device in Node
// (Dawn; SwiftShader without a GPU). Writes a markdown report (default
// STUDY.md), its SVG figures (default study/figures/) and the numbers as
// JSON (study/results.json). See --help.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { parseArgs } from '../src/cli/args';
import { createNodeDevice } from '../src/node/device';
import { decodeUtf8 } from '../src/data/text';
import { BUILTIN_CORPUS } from '../src/data/builtin';
import { optionsFromArgs, HELP } from './options';
import { runStudy } from './study';
import { renderFigures, toMarkdown } from './report';

const root = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const args = parseArgs(argv, ['help', 'tiny']);
if (args.flags.has('help')) {
  console.log(HELP);
  process.exit(0);
}
const { options, corpus: corpusPath, out } = optionsFromArgs(args);

/** The Time Machine from shared/ when present (or --corpus), else the built-in chapters I–II. */
function loadCorpus(): { name: string; text: string } {
  const path = corpusPath ?? join(root, '..', 'shared', 'data', 'timemachine.txt');
  if (existsSync(path)) return { name: `${relative(root, resolve(path))}`, text: decodeUtf8(new Uint8Array(readFileSync(path)), path) };
  if (corpusPath) throw new Error(`--corpus: ${corpusPath} does not exist`);
  return { name: 'the built-in corpus (The Time Machine, chapters I–II; ../shared/data/timemachine.txt was not found)', text: BUILTIN_CORPUS };
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'shaders', 'study'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (with uncommitted changes in src/, shaders/ or study/)` : sha;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

const corpus = loadCorpus();
const sha = commit();
const load0 = loadavg()[0];
const outPath = resolve(out ?? join(root, 'STUDY.md'));
const figDir = out ? join(dirname(outPath), 'figures') : join(root, 'study', 'figures');
console.log(`study: ${corpus.name}; report → ${relative(process.cwd(), outPath)}, figures → ${relative(process.cwd(), figDir)}/`);
const device = await createNodeDevice({ quiet: true });
try {
  const result = await runStudy(device, corpus, options, (line) => console.log(line));
  const figures = await renderFigures(result);
  mkdirSync(figDir, { recursive: true });
  for (const [name, svg] of Object.entries(figures)) writeFileSync(join(figDir, name), svg);
  const md = toMarkdown(
    result,
    { command: ['npm run study', ...(argv.length ? ['--', ...argv] : [])].join(' '), commit: sha, date: new Date().toISOString().slice(0, 10), load: `1-minute load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} cores` },
    (name) => relative(dirname(outPath), join(figDir, name)),
  );
  const header = `# The chapter's comparison, measured\n\nWritten by \`npm run study\` (study/run.ts); rerun it to replace this file.\n\n`;
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, header + md);
  writeFileSync(join(dirname(figDir), 'results.json'), JSON.stringify(result, null, 1));
  console.log(`study: done in ${result.seconds.total.toFixed(0)} s`);
} finally {
  device.destroy();
}
