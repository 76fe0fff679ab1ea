// The demo page: settings → runs → a training loop that never blocks the
// page (each step is submitted to the GPU and the loop yields; charts redraw
// a few times a second at most).
import { requestTrainingDevice, describeAdapter, initWeights, charLmConfig, createRng, generateText, segments, lossReach, GATES, lrAt, BpttError, type Weights } from '../src/index';
import { parseSettings, checkSettings, toQuery, scheduleOf, truncationText, strategyLabel, BOOLEAN, DEFAULTS, type Settings, type StrategyKind } from './settings';
import { builtinSource, delaySource, textSource, readTextFile, type Source } from './data';
import { Run, SKIPPED_IN_A_ROW_PAUSE } from './run';
import { drawLines, drawHeatmap, hasInk } from './charts';
import { explainData, statusLine, nonfiniteWarning } from './explain';
import { checkpointBytes, checkpointName, readCheckpoint, restoreRun } from './checkpoint';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('settings');
const statusEl = $('status');
const alertEl = $('alert');
const warnEl = $('nonfinite');
const COLORS: Record<StrategyKind, string> = { full: '#1f77b4', regular: '#d62728', randomized: '#2ca02c', tbptt: '#9467bd' };
const DIAG_EVERY = 3;
const DRAW_MS = 300;

let device: GPUDevice | null = null;
let runs: Run[] = [];
let source: Source | null = null;
let custom: { name: string; text: string } | null = null;
let running = false;
/** The training loop while it runs (resolves once it has stopped and every step's numbers have landed). */
let loopDone: Promise<void> | null = null;
let pausedForNonfinite = false;
let lastDraw = 0;
let lastSample = 0;
/** What each chart last drew (series or panel labels), for the tests. */
const drawn: Record<string, string[]> = {};

form.addEventListener('submit', (e) => e.preventDefault());

// ---------- settings <-> form / URL
function readForm(): Settings {
  const data = new FormData(form);
  const s = parseSettings((k) => (BOOLEAN.includes(k as keyof Settings) ? (data.has(k) ? 'true' : 'false') : (data.get(k) as string | null)));
  return s;
}

/** What the form shows for the settings: activation is the rnn cell's only; the truncation's text form. */
function reflectForm(): void {
  const s = readForm();
  const act = form.elements.namedItem('activation') as HTMLSelectElement;
  act.disabled = s.cell !== 'rnn';
  $('activationNote').hidden = s.cell === 'rnn';
  $('truncationText').textContent = `As text (truncationFromText): ${truncationText(s.strategy, s)}`;
}

function fillForm(s: Settings): void {
  for (const [k, v] of Object.entries(s)) {
    const el = form.elements.namedItem(k) as HTMLInputElement | HTMLSelectElement | null;
    if (!el) continue;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = Boolean(v);
    else el.value = String(v);
  }
}

function showError(msg: string): void {
  alertEl.textContent = msg;
}

function clearError(): void {
  alertEl.textContent = '';
}

// ---------- building runs
function makeSource(s: Settings): Source {
  if (s.data === 'delay') return delaySource(s.delay, s.batch, s.steps, s.seed);
  if (s.data === 'custom') {
    if (!custom) throw new Error('Choose or drop a .txt file, or paste text and press "Use pasted text", to train on your own text.');
    return textSource(custom.name, custom.text, s.batch, s.steps, s.seed);
  }
  return builtinSource(s.batch, s.steps, s.seed);
}

/** (Re)build the runs from the form; false (with a message shown) when the settings cannot run. */
function build(compare: boolean): boolean {
  const s = readForm();
  const problems = checkSettings(s);
  if (problems.length) {
    showError(problems.join('\n'));
    return false;
  }
  if (!device) {
    showError('WebGPU is not available, so nothing can train here. See the note at the top of the page.');
    return false;
  }
  let src: Source;
  try {
    src = makeSource(s);
  } catch (e) {
    showError((e as Error).message);
    return false;
  }
  const kinds: StrategyKind[] = compare ? ['full', 'regular', 'randomized', ...(s.strategy === 'tbptt' ? (['tbptt'] as const) : [])] : [s.strategy];
  const made: Run[] = [];
  try {
    const weights: Weights = initWeights(charLmConfig(src.vocabSize, s.hidden, s.activation, s.bias, s.cell, s.layers), createRng(s.seed));
    for (const k of kinds) made.push(new Run(device, strategyLabel(k, s), s, src, k, weights));
  } catch (e) {
    for (const r of made) r.destroy();
    showError(e instanceof BpttError ? `${e.message}` : String(e));
    return false;
  }
  for (const r of runs) r.destroy();
  runs = made;
  source = src;
  clearError();
  $('dataInfo').textContent = `${src.name}: ${src.vocabSize} symbols` + (src.corpus ? `, ${src.corpus.ids.length} characters` : '');
  $('explain').textContent = explainData(s);
  pausedForNonfinite = false;
  draw(true);
  return true;
}

// ---------- the loop
async function stepAll(): Promise<void> {
  if (!source || !runs.length) return;
  const batch = source.next();
  const diag = (runs[0].steps + 1) % DIAG_EVERY === 0 || runs[0].steps === 0;
  for (const r of runs) await r.step(batch, diag);
}

async function loop(): Promise<void> {
  try {
    while (running) {
      await stepAll();
      if (runs.some((r) => r.skippedInARow >= SKIPPED_IN_A_ROW_PAUSE)) {
        running = false; // every update is being thrown away: stop and say why
        pausedForNonfinite = true;
      }
      draw(false);
      await new Promise((r) => setTimeout(r, 0)); // yield to the page
    }
  } catch (e) {
    running = false;
    showError(`Training stopped: ${(e as Error).message}`);
  }
  await Promise.all(runs.map((r) => r.trainer.flush().catch(() => null)));
}

/** Start the loop unless it runs. */
function startLoop(): void {
  if (loopDone) return;
  running = true;
  loopDone = loop().finally(() => {
    loopDone = null;
    draw(true);
  });
}

/** Stop the loop and wait until it has stopped and the numbers of its steps have landed. */
async function stopLoop(): Promise<void> {
  running = false;
  while (loopDone) await loopDone;
}

// ---------- drawing
function draw(force: boolean): void {
  const now = performance.now();
  if (!force && now - lastDraw < DRAW_MS) return;
  lastDraw = now;
  const kindOf = (r: Run) => r.truncation.kind as StrategyKind;
  drawn.lossChart = drawLines($('lossChart'), runs.map((r) => ({ label: `${r.label} loss`, color: COLORS[kindOf(r)], points: r.loss.points() })), {
    title: 'training loss (dashed: chance, ln V)',
    ref: source ? Math.log(source.vocabSize) : undefined,
  });
  drawn.gradChart = drawLines($('gradChart'), runs.map((r) => ({ label: `${r.label}`, color: COLORS[kindOf(r)], points: r.gradNorm.points() })), {
    title: `gradient norm before clipping (log; θ = ${runs[0]?.settings.clip ?? ''})`,
    log: true,
    ref: runs[0]?.settings.clip,
  });
  const r0 = runs[0];
  const cell = r0?.settings.cell ?? 'rnn';
  // LSTM: a ‖∂L/∂c_t‖ panel under each run's ‖∂L/∂h_t‖ panel (one colour scale)
  drawn.heatChart = drawHeatmap(
    $('heatChart'),
    runs.flatMap((r) => cell === 'lstm'
      ? [{ label: `${r.label} ‖∂L/∂h_t‖`, color: COLORS[kindOf(r)], rows: r.heat }, { label: `${r.label} ‖∂L/∂c_t‖`, color: COLORS[kindOf(r)], rows: r.heatC }]
      : [{ label: r.label, color: COLORS[kindOf(r)], rows: r.heat }]),
    cell === 'lstm' ? '‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ (top layer) per run: t across, training steps down' : '‖∂L/∂h_t‖ (top layer) per run: t across, training steps down',
  );
  const rhoTitle = cell === 'rnn'
    ? 'ρ(W_hh) vs measured growth of ‖∂L/∂h‖ per step back'
    : `ρ(W_hh) is not meaningful for ${cell.toUpperCase()}: W_hh is ${GATES[cell]}H × H, not square,\nand the gates' Jacobian decides growth. Shown: measured growth of ‖∂L/∂h‖ per step back`;
  drawn['rhoChart:title'] = [rhoTitle];
  drawn.rhoChart = drawLines(
    $('rhoChart'),
    runs.flatMap((r) => [
      ...(cell === 'rnn' ? [{ label: `ρ(W_hh) ${r.label}`, color: COLORS[kindOf(r)], points: r.rho.points() }] : []),
      { label: `measured ${r.label}`, color: COLORS[kindOf(r)], points: r.backGrowth.points(), dashed: true },
    ]),
    { title: rhoTitle, ref: 1 },
  );
  drawn.lrChart = drawLines($('lrChart'), r0 ? [
    { label: `schedule (lrAt): ${r0.settings.schedule}${r0.settings.warmup ? `, warm-up ${r0.settings.warmup}` : ''}`, color: '#999', points: plannedLr(r0), dashed: true },
    ...runs.map((r) => ({ label: `used by ${r.label}`, color: COLORS[kindOf(r)], points: r.lr.points() })),
  ] : [], { title: 'learning rate per update' });
  drawSegments();
  if (r0) statusEl.textContent = statusLine(runs, running);
  warnEl.textContent = nonfiniteWarning(runs, pausedForNonfinite);
  if (force || now - lastSample > 3000) {
    lastSample = now;
    sample().catch(() => {}); // a run replaced while sampling: the next draw samples the new one
  }
}

/**
 * The schedule's rate over the steps so far and a little beyond, from the
 * library's float64 lrAt (update s is step s + 1 when no step was skipped).
 */
function plannedLr(r: Run): { step: number; value: number }[] {
  const spec = scheduleOf(r.settings);
  const end = Math.max(r.steps + 1, spec.kind === 'cosine' ? Math.min(spec.total, 4 * (r.steps + 1)) : 2 * (r.steps + 1), (spec.warmup ?? 0) + 1);
  const n = Math.min(end, 400);
  return Array.from({ length: n + 1 }, (_, i) => {
    const step = Math.round(1 + (i * (end - 1)) / n);
    return { step, value: lrAt(spec, r.settings.lr, step - 1) };
  });
}

function drawSegments(): void {
  const box = $('segments');
  box.replaceChildren();
  for (const r of runs) {
    if (!r.lastBatch || !r.lastXi || !source) continue;
    const B = r.settings.batch, T = r.settings.steps;
    const chars = Array.from({ length: T }, (_, t) => source!.chars[r.lastBatch!.tokens[t * B]] ?? '?');
    const line = document.createElement('div');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = r.label;
    line.append(name);
    if (r.truncation.spec.kind === 'tbptt' && r.lastPlan) {
      box.append(line, ...reachRows(lossReach(r.lastPlan, 0), chars, r.truncation.spec.k1));
      continue;
    }
    if (r.truncation.spec.kind === 'randomized' && r.truncation.spec.perSequence) name.textContent = `${r.label} (sequence 0; each draws its own ξ)`;
    segments(r.lastXi).forEach(([a, b], i) => {
      const span = document.createElement('span');
      span.className = `seg ${i % 2 ? 'b' : 'a'}`;
      span.textContent = chars.slice(a, b).join('');
      span.title = `t = ${a}…${b - 1}`;
      line.append(span);
    });
    box.append(line);
  }
}

/**
 * TBPTT's reaches as rows, one per block of k1 losses (which share their
 * reach j): steps j … (first loss − 1), the history they backpropagate into,
 * then the losses themselves.
 */
function reachRows(reach: Int32Array, chars: string[], k1: number): HTMLDivElement[] {
  const rows: HTMLDivElement[] = [];
  for (let a = 0; a < reach.length;) {
    let b = a + 1;
    while (b < reach.length && b % k1 !== 0 && reach[b] === reach[a]) b++;
    const j = reach[a];
    const row = document.createElement('div');
    row.className = 'reach';
    const pad = document.createElement('span');
    pad.className = 'name';
    pad.textContent = a === 0 ? 'each loss reaches' : '';
    const before = document.createElement('span');
    before.className = 'gap';
    before.textContent = chars.slice(0, j).map(() => ' ').join('');
    const back = document.createElement('span');
    back.className = 'back';
    back.textContent = chars.slice(j, a).join('');
    const loss = document.createElement('span');
    loss.className = 'loss';
    loss.textContent = chars.slice(a, b).join('');
    row.title = `losses t = ${a}…${b - 1} backpropagate into h_${j} … h_${b - 1}`;
    row.append(pad, before, back, loss);
    rows.push(row);
    a = b;
  }
  return rows;
}

async function sample(): Promise<void> {
  const r = runs[0];
  if (!r || !source?.corpus) {
    $('greedy').textContent = source ? '(generation is for text data)' : '';
    $('sampled').textContent = '';
    return;
  }
  // on the GPU, from the run's weights as they stand after the steps submitted so far
  const e = r.trainer.engine, vocab = source.corpus.vocab;
  const prefix = ($<HTMLInputElement>('prefix').value || ' ').toLowerCase();
  const temp = Number($<HTMLInputElement>('temperature').value);
  $('greedy').textContent = await generateText(e.device, e.config, e, vocab, prefix, 60, 0, createRng(1));
  $('sampled').textContent = await generateText(e.device, e.config, e, vocab, prefix, 60, temp, createRng(r.steps));
}

// ---------- controls
$('train').addEventListener('click', () => {
  if (!runs.length && !build(false)) return;
  pausedForNonfinite = false;
  startLoop();
});
$('pause').addEventListener('click', async () => {
  await stopLoop();
  draw(true);
});
$('step').addEventListener('click', async () => {
  await stopLoop();
  if (!runs.length && !build(false)) return;
  await stepAll();
  await Promise.all(runs.map((r) => r.trainer.flush()));
  draw(true);
});
$('reset').addEventListener('click', async () => {
  await stopLoop();
  for (const r of runs) r.destroy();
  runs = [];
  build(false);
  statusEl.textContent = 'Step 0 · reset.';
});
$('compare').addEventListener('click', async () => {
  await stopLoop();
  if (build(true)) startLoop();
});

// ---------- checkpoints: bytes out (download) and bytes in (upload)
$('download').addEventListener('click', async () => {
  const r = runs[0];
  if (!r || !source) return showError('Nothing to save yet: press Train or Step first.');
  try {
    const bytes = await checkpointBytes(r, source);
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = checkpointName(r);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    $('checkpointInfo').textContent = `Saved ${a.download} (${bytes.length} bytes${runs.length > 1 ? `, the ${r.label} run` : ''}).`;
  } catch (e) {
    showError(`Could not save the checkpoint: ${(e as Error).message}`);
  }
});
$<HTMLInputElement>('upload').addEventListener('change', async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  await stopLoop();
  let rebuilt = false;
  try {
    const current = readForm();
    const expect = runs[0]?.trainer.engine.config ?? charLmConfig(source?.vocabSize ?? 1, current.hidden, current.activation, current.bias, current.cell, current.layers);
    const loaded = readCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name, current, expect);
    fillForm(loaded.settings);
    reflectForm();
    for (const r of runs) r.destroy();
    runs = [];
    rebuilt = true;
    if (!build(false)) return;
    restoreRun(runs[0], source!, loaded, file.name);
    $('checkpointInfo').textContent = `Loaded ${file.name}: step ${loaded.data.step}, ${loaded.data.optimizer ? `${loaded.data.optimizer.kind} state included` : 'no optimizer state'}. Press Train or Step to continue.`;
    statusEl.textContent = `Step ${loaded.data.step} · loaded ${file.name}.`;
    draw(true);
  } catch (err) {
    if (rebuilt) {
      for (const r of runs) r.destroy(); // a model built for the file, without its weights: do not leave it looking loaded
      runs = [];
    }
    showError(err instanceof BpttError ? `This checkpoint cannot be loaded: ${err.message}` : (err as Error).message);
  }
});
$('share').addEventListener('click', () => {
  const s = readForm();
  const problems = checkSettings(s);
  if (problems.length) return showError(problems.join('\n'));
  const url = `${location.origin}${location.pathname}?${toQuery(s)}`;
  history.replaceState(null, '', url);
  $('link').textContent = url;
});
$<HTMLInputElement>('temperature').addEventListener('input', (e) => {
  $('tempValue').textContent = (e.target as HTMLInputElement).value;
});
form.addEventListener('change', () => {
  reflectForm();
  // settings take effect on Reset / Train after a change
  if (!running && !loopDone) {
    for (const r of runs) r.destroy();
    runs = [];
  }
});

async function useText(name: string, text: string): Promise<void> {
  custom = { name, text };
  (form.elements.namedItem('data') as HTMLSelectElement).value = 'custom';
  await stopLoop();
  for (const r of runs) r.destroy();
  runs = [];
  if (build(false)) statusEl.textContent = `Step 0 · using "${name}". Press Train.`;
}

async function useFile(file: File): Promise<void> {
  try {
    await useText(file.name, await readTextFile(file));
  } catch (e) {
    showError((e as Error).message);
  }
}

$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void useFile(f);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files?.[0];
  if (f) void useFile(f);
});
$('usePaste').addEventListener('click', () => {
  const text = $<HTMLTextAreaElement>('paste').value;
  void useText('pasted text', text).catch((e) => showError((e as Error).message));
});

// ---------- start-up
async function init(): Promise<void> {
  fillForm(parseSettings((k) => new URLSearchParams(location.search).get(k), DEFAULTS));
  reflectForm();
  try {
    device = await requestTrainingDevice(navigator.gpu);
  } catch (e) {
    const nogpu = $('nogpu');
    nogpu.hidden = false;
    nogpu.textContent =
      'WebGPU is not available in this browser, so the network cannot train here. Use a recent Chrome or Edge (113 or later) on a computer with a GPU, ' +
      'open this page from http://localhost or https, and check chrome://gpu that WebGPU is enabled. ' +
      `(${(e as Error).message})`;
    $('device').textContent = 'No WebGPU device.';
    return;
  }
  $('device').textContent = `Device: ${describeAdapter(device)}`;
  // a GPU validation error leaves every later step invalid (losses read as 0): say so and stop, once
  device.addEventListener('uncapturederror', (e) => {
    if (alertEl.textContent?.startsWith('GPU error')) return;
    running = false;
    showError(`GPU error: ${(e as GPUUncapturedErrorEvent).error.message} Training stopped; this model cannot run on this device.`);
  });
  device.lost.then((info) => {
    running = false;
    showError(`The GPU device was lost (${info.reason || 'unknown'}: ${info.message}). Reload the page to start again.`);
  });
  build(false);
}

declare global {
  interface Window {
    __demo: {
      hasInk(id: string): boolean;
      steps(): number[];
      runs(): number;
      losses(): number[][];
      /** Steps whose statistics have arrived, per run. */
      measured(): number[];
      /** 'training' while the loop runs or winds down; 'paused' once it has stopped and every step's numbers have landed. */
      state(): 'training' | 'paused';
      /** The learning rate each measured update used (StepStats.lr), per run. */
      lrs(): { step: number; value: number }[][];
      /** The first run's checked optimizer (kind, lr, β1, β2, ε). */
      optimizer(): object | null;
      /** The labels each chart last drew (`rhoChart:title`: that chart's title). */
      drawn(id: string): string[];
      /** Run i's latest loss reaches (lossReach of its step's plan, sequence 0); null before a step. */
      reach(i: number): number[] | null;
      /** Run i's cell, layers and truncation as the trainer got them. */
      model(i: number): { cell: string; layers: number; truncation: string } | null;
      longTasks: number[];
    };
  }
}
window.__demo = {
  hasInk: (id) => hasInk($<HTMLCanvasElement>(id)),
  steps: () => runs.map((r) => r.steps),
  runs: () => runs.length,
  losses: () => runs.map((r) => r.loss.points().map((p) => p.value)),
  measured: () => runs.map((r) => r.measured),
  state: () => (running || loopDone ? 'training' : 'paused'),
  drawn: (id) => drawn[id] ?? [],
  reach: (i) => (runs[i]?.lastPlan ? Array.from(lossReach(runs[i].lastPlan!, 0)) : null),
  model: (i) => {
    const r = runs[i];
    if (!r) return null;
    const c = r.trainer.engine.config;
    return { cell: c.cell ?? 'rnn', layers: c.layers ?? 1, truncation: r.truncation.describe };
  },
  lrs: () => runs.map((r) => r.lr.points().slice()),
  optimizer: () => runs[0]?.trainer.optimizer ?? null,
  longTasks: [],
};
// Main-thread tasks over 50 ms, as the browser reports them (the page must not freeze while training).
if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (running) window.__demo.longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask' });
}

void init();
