// Node module hooks: `.wgsl` files and `?raw` imports load as their text
// (what the Vite plugin does for the browser, tests and the library build).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function load(url, context, nextLoad) {
  const bare = url.split('?')[0];
  if (bare.endsWith('.wgsl') || url.endsWith('?raw')) {
    const text = await readFile(fileURLToPath(bare), 'utf8');
    return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(text)};` };
  }
  return nextLoad(url, context);
}
