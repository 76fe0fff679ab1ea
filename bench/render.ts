// Re-render BENCHMARKS.md's "Latest run" from a saved report:
// node --import ./scripts/register.mjs bench/render.ts bench/results/latest-browser.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toMarkdown, spliceLatest } from './report';

const file = process.argv[2] ?? join(import.meta.dirname, 'results', 'latest-browser.json');
const md = toMarkdown(JSON.parse(readFileSync(file, 'utf8')));
const doc = join(import.meta.dirname, '..', 'BENCHMARKS.md');
writeFileSync(doc, spliceLatest(readFileSync(doc, 'utf8'), md));
console.log(md);
