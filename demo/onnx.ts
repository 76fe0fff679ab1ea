// "Download ONNX": the current model as an ONNX file (opset 17, token ids in,
// the next character's probabilities out at every step) that ONNX Runtime
// runs. The training worker reads the weights back (a trainer snapshot); the
// page writes the file (the ONNX writer is loaded on demand, a chunk the
// worker's bundle does not carry).
import { onnxDownload, type RnnConfig, type Weights } from '../src/index';

/** The model `config` with `weights` (read after every submitted step) as an ONNX file, named with the page's step counter. */
export async function onnxFile({ config, weights }: { config: RnnConfig; weights: Weights }, steps: number): Promise<{ bytes: Uint8Array; filename: string }> {
  const { bytes, filename } = await onnxDownload(config, weights, true);
  return { bytes, filename: filename.replace(/\.onnx$/, `-step${steps}.onnx`) };
}
