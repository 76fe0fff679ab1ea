// "Download ONNX": the current model as an ONNX file (opset 17, token ids in,
// the next character's probabilities out at every step) that ONNX Runtime
// runs. exportOnnx is not in the public entry (src/index.ts) yet, so this one
// file imports it from src/interop; it moves to '../src/index' once exported.
import { onnxDownload } from '../src/interop/onnx';
import type { Run } from './run';

/** The run's weights as they stand after every submitted step, as an ONNX file with a name for it. */
export async function onnxFile(run: Run): Promise<{ bytes: Uint8Array; filename: string }> {
  const snap = await run.trainer.snapshot();
  const { bytes, filename } = await onnxDownload(snap.config, snap.weights, true);
  return { bytes, filename: filename.replace(/\.onnx$/, `-step${run.steps}.onnx`) };
}
