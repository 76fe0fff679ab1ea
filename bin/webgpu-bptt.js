#!/usr/bin/env node
// The CLI runs from the library build (dist/), made by `npm run build`
// (run automatically by `npm ci` / `npm install` through "prepare").
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error("webgpu-bptt: dist/cli.js is missing; run 'npm run build' first");
  process.exit(1);
}
const { main } = await import(cli.href);
process.exit(await main(process.argv.slice(2)));
