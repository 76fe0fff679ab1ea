// The six sequence-recurrence shaders are generated from one template
// (src/kernels/recurrence-wgsl.ts, each cell's parts in recurrence-cells.ts);
// no copy is kept in shaders/. The shipped files (scripts/shader-files.ts,
// emitted by the build) and each exported *_WGSL constant are the
// generator's text, headed as generated. That they compute the right thing
// is kernels.test.ts (rnn) and cell-kernels.test.ts (LSTM, GRU).
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { recurrenceFiles, recurrenceWgsl, RECURRENCE_SHADERS, RECURRENCE_GENERATED_BY } from '../src/kernels/recurrence-wgsl';
import { RNN_FORWARD_WGSL, RNN_BACKWARD_WGSL } from '../src/kernels/rnn';
import { LSTM_FORWARD_WGSL, LSTM_BACKWARD_WGSL } from '../src/kernels/lstm';
import { GRU_FORWARD_WGSL, GRU_BACKWARD_WGSL } from '../src/kernels/gru';
import { shaderFiles, SHADER_DIR } from '../scripts/shader-files';

describe('generated recurrence shaders', () => {
  it('ship under the names they always had, as the generator wrote them, with nothing of those names hand-written in shaders/', () => {
    const files = recurrenceFiles();
    expect(Object.keys(files).sort()).toEqual(RECURRENCE_SHADERS.map((n) => `${n}.wgsl`).sort());
    expect(RECURRENCE_SHADERS).toEqual(['rnn_forward', 'rnn_backward', 'lstm_forward', 'lstm_backward', 'gru_forward', 'gru_backward']);
    const shipped = shaderFiles();
    for (const [file, text] of Object.entries(files)) {
      expect(shipped[file], file).toBe(text);
      expect(text.split('\n')[0], file).toBe(RECURRENCE_GENERATED_BY);
      expect(text, file).toMatch(/@compute @workgroup_size\(WG\)\nfn main\(/);
      expect(existsSync(join(SHADER_DIR, file)), file).toBe(false);
    }
  });

  it('each exported *_WGSL is its generated text', () => {
    const exported = { rnn_forward: RNN_FORWARD_WGSL, rnn_backward: RNN_BACKWARD_WGSL, lstm_forward: LSTM_FORWARD_WGSL, lstm_backward: LSTM_BACKWARD_WGSL, gru_forward: GRU_FORWARD_WGSL, gru_backward: GRU_BACKWARD_WGSL };
    for (const name of RECURRENCE_SHADERS) expect(exported[name], name).toBe(recurrenceWgsl(name));
  });
});
