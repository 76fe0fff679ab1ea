// Node: import a TF.js Layers model from its folder (model.json and the
// weight files its manifest names). Each weight path is checked to be a file
// inside the folder (also after resolving symbolic links) and its size
// against the manifest before it is read. Not in the browser entry.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { BpttError } from '../errors';
import { importTfjs, parseModelJson, tfjsWeightFiles, MAX_MODEL_JSON_BYTES, type ImportedModel } from './tfjs';

function stat(field: string, path: string) {
  try {
    return statSync(path);
  } catch {
    throw new BpttError(field, path, 'cannot be read (a file the model needs)');
  }
}

/** Import the model of `modelJsonPath` (e.g. 'dir/model.json'). */
export function readTfjsFolder(modelJsonPath: string): ImportedModel {
  const st = stat('model.json', modelJsonPath);
  if (!st.isFile()) throw new BpttError('model.json', modelJsonPath, 'must be a regular file');
  if (st.size > MAX_MODEL_JSON_BYTES) throw new BpttError('model.json', `${modelJsonPath} (${st.size} bytes)`, `must be at most ${MAX_MODEL_JSON_BYTES} bytes`);
  const modelJson = parseModelJson(new Uint8Array(readFileSync(modelJsonPath))) as object;
  const groups = tfjsWeightFiles(modelJson); // paths checked: relative, inside the folder
  const dir = realpathSync(dirname(modelJsonPath));
  // sizes first: nothing is read unless every group's files hold exactly its bytes
  for (const g of groups) {
    let bytes = 0;
    for (const p of g.paths) {
      const full = join(dir, p);
      const s = stat(`weight file "${p}"`, full);
      if (!s.isFile()) throw new BpttError(`weight file "${p}"`, full, 'must be a regular file');
      const real = realpathSync(full);
      if (!real.startsWith(dir + sep)) throw new BpttError(`weight file "${p}"`, real, `must be inside the model.json folder ${dir}`);
      bytes += s.size;
    }
    if (bytes !== g.bytes) throw new BpttError(`weight file${g.paths.length > 1 ? 's' : ''} ${g.paths.map((x) => `"${x}"`).join(' + ')}`, `${bytes} bytes`, `must be exactly ${g.bytes} bytes (${g.bytes / 4} float32, as the manifest says): the file is ${bytes < g.bytes ? 'short' : 'too long'}`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const g of groups) for (const p of g.paths) files[p] = new Uint8Array(readFileSync(join(dir, p)));
  return importTfjs({ modelJson, files });
}
