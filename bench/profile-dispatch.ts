// Time each phase of one forward+backward on its own (submit + wait), for finding hot spots.
import { createNodeDevice } from '../src/node/device';
import { BpttEngine, type Phase } from '../src/engine/bptt';
import { onlyPhase } from '../src/engine/profile';
import { charLmConfig } from '../src/model/config';
import { initWeights } from '../src/model/params';
import { createRng } from '../src/util/rng';

const [V, H, B, T, rows] = (process.argv[2] ?? '28,256,32,35,1').split(',').map(Number);
const device = await createNodeDevice();
const c = charLmConfig(V, H);
const eng = new BpttEngine(device, { config: c, batch: B, steps: T, rows });
eng.writeWeights(initWeights(c, createRng(1)));
const rng = createRng(2);
eng.writeBatch({ tokens: Array.from({ length: B * T }, () => rng.int(V)), targets: Array.from({ length: B * T }, () => rng.int(V)) });
eng.writeXi(new Float32Array(T).fill(1));
eng.writeH0();
for (let rep = 0; rep < 2; rep++) {
  const times: string[] = [];
  for (const phase of ['input', 'forward', 'output', 'backward', 'weight-grads', 'clip'] as Phase[]) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const scope = onlyPhase(enc, phase);
    eng.encodeStep(enc, { passes: scope });
    scope.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    times.push(`${phase} ${(performance.now() - t0).toFixed(1)}ms`);
  }
  if (rep === 1) console.log(times.join('\n'));
}
eng.destroy();
device.destroy();
process.exit(0);
