// The demo page: settings → runs → training in a dedicated Web Worker
// (demo/training-worker.ts owns the GPU device, the data and the trainers). The
// page keeps the form, the charts and the texts: it sends commands and draws
// the numbers each step sends back (charts redraw a few times a second at
// most), so nothing the training does runs on the page's thread.
import { charLmConfig, lossReach, GATES, lrAt, BpttError, type XiPlan } from '../src/index';
import { parseSettings, checkSettings, toQuery, scheduleOf, truncationText, strategyLabel, BOOLEAN, DEFAULTS, type Settings, type StrategyKind } from './settings';
import { readTextFile } from './data';
import { Run } from './run';
import { drawLines, drawHeatmap, hasInk } from './charts';
import { explainData, statusLine, nonfiniteWarning } from './explain';
import { checkpointName, readCheckpoint } from './checkpoint';
import { t, pick, lang, setLang, pickLang, onLangChange } from './i18n';
import { experimentById, type Experiment } from './experiments';
import { fillPicker, renderLesson } from './lesson';
import { renderSegments } from './segments';
import { onnxFile } from './onnx';
import type { Request, Replies, FromWorker, WorkerEvent, SourceInfo } from './worker-protocol';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('settings');
const statusEl = $('status');
const alertEl = $('alert');
const warnEl = $('nonfinite');
/** Run i's colour (the strategy comparison: full, regular, randomized, TBPTT). */
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const DRAW_MS = 300;

/** The adapter's name once the worker has a WebGPU device (null before, or without one). */
let deviceName: string | null = null;
let runs: Run[] = [];
/** The generation of `runs` (the worker's events carry it; numbers from replaced runs are dropped). */
let gen = 0;
/** The latest build in the worker: resolves true once its runs stand there, false when it failed or was replaced. */
let building: Promise<boolean> = Promise.resolve(false);
/** Each run's label in the current language (runs are relabelled when the language changes). */
let labelers: (() => string)[] = [];
/** The experiment picked (null: the free lab). */
let experiment: Experiment | null = null;
/** The worker's data source, as far as the page needs it. */
let source: SourceInfo | null = null;
let custom: { name: string; text: string } | null = null;
let running = false;
/** The worker's training loop while it runs (resolves once it has stopped and every step's numbers have landed here). */
let loopDone: Promise<void> | null = null;
let pausedForNonfinite = false;
let lastDraw = 0;
let lastSample = 0;
/** The text generation in flight (in the worker): a snapshot (checkpoint, ONNX) waits for it, so the file holds the weights the page shows. */
let sampling: Promise<void> = Promise.resolve();
/** What each chart last drew (series or panel labels), for the tests. */
const drawn: Record<string, string[]> = {};

form.addEventListener('submit', (e) => e.preventDefault());

// ---------- the training worker
const worker = new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module' });
/** An error the worker answered with; `bptt`: the library's BpttError (a setting or file the visitor can fix). */
class WorkerError extends Error {
  constructor(message: string, readonly bptt: boolean) {
    super(message);
  }
}
const isBptt = (e: unknown) => e instanceof BpttError || (e instanceof WorkerError && e.bptt);
let nextId = 1;
const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
/** Send a request to the worker; its reply. */
function ask<K extends Request['type']>(req: Extract<Request, { type: K }>): Promise<Replies[K]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    asked.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ ...req, id });
  });
}
worker.addEventListener('message', (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.kind === 'reply') {
    const w = asked.get(m.id);
    asked.delete(m.id);
    if (m.ok) w?.resolve(m.value);
    else w?.reject(new WorkerError(m.message, m.bptt));
    return;
  }
  onWorkerEvent(m);
});
worker.addEventListener('error', (e) => {
  // the worker could not start or threw outside a request: every request waiting fails with its message
  const err = new WorkerError(e.message || 'the training worker failed', false);
  for (const w of asked.values()) w.reject(err);
  asked.clear();
  running = false;
  showError(t('trainingStopped', { msg: err.message }));
});

let gpuErrorShown = false;
function onWorkerEvent(m: WorkerEvent): void {
  if (m.kind === 'gpuError') {
    // a GPU validation error leaves every later step invalid (losses read as 0): the worker stops; say so, once
    running = false;
    if (!gpuErrorShown) showError(t('gpuError', { msg: m.message }));
    gpuErrorShown = true;
    return;
  }
  if (m.kind === 'deviceLost') {
    running = false;
    showError(t('deviceLost', { reason: m.reason, msg: m.message }));
    return;
  }
  if (m.gen !== gen) return; // a step of runs since replaced
  const r = runs[m.run];
  if (!r) return;
  if (m.kind === 'step') r.onStep(m.n, m.xi, m.plan as XiPlan, m.tokens);
  else if (m.kind === 'stats') r.onStats(m.n, m);
  else r.onDiag(m.n, m.dh, m.dc, m.rho);
  draw(false);
}

// ---------- settings <-> form / URL
function readForm(): Settings {
  const data = new FormData(form);
  const s = parseSettings((k) => (BOOLEAN.includes(k as keyof Settings) ? (data.has(k) ? 'true' : 'false') : (data.get(k) as string | null)));
  return s;
}

/** What the form shows for the settings: activation is the rnn cell's only; the truncation's text form. */
function reflectForm(): void {
  const s = readForm();
  // a field shows only when it applies: [data-when] names the data source, cell, strategy, π schedule, optimizer or schedule it belongs to
  const on = new Set<string>([s.data, s.cell, s.strategy, s.piSchedule, s.optimizer, s.schedule.trim().startsWith('cosine') ? 'cosine' : '']);
  form.querySelectorAll<HTMLElement>('[data-when]').forEach((el) => (el.hidden = !on.has(el.dataset.when!)));
  $('activationNote').hidden = s.cell === 'rnn';
  $('truncationText').textContent = t('asText', { text: truncationText(s.strategy, s) + (s.lossAt === 'last' ? ' (last loss only)' : '') });
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
/** The runs Compare starts: the experiment's variants, or the strategies (and TBPTT when it is picked). */
function plans(s: Settings, compare: boolean): { settings: Settings; label: () => string }[] {
  if (compare && experiment) {
    return experiment.variants.map((v) => ({ settings: { ...s, ...v.with }, label: () => pick(v.label) }));
  }
  const kinds: StrategyKind[] = compare ? ['full', 'regular', 'randomized', ...(s.strategy === 'tbptt' ? (['tbptt'] as const) : [])] : [s.strategy];
  return kinds.map((k) => ({ settings: { ...s, strategy: k }, label: () => strategyLabel(k, s) }));
}

/** Forget the runs here and destroy them (every GPU buffer) in the worker. */
function clearRuns(): void {
  runs = [];
  labelers = [];
  gen++;
  void ask({ type: 'clear' }).catch(() => null);
}

/**
 * (Re)build the runs from the form: false at once (with a message shown) when
 * the settings cannot run; otherwise the runs are the page's now, and the
 * promise says whether the worker built them (a message shown when not).
 */
function build(compare: boolean): Promise<boolean> | false {
  const s = readForm();
  const problems = checkSettings(s);
  if (problems.length) {
    showError(problems.join('\n'));
    return false;
  }
  if (!deviceName) {
    showError(t('noWebgpuTrain'));
    return false;
  }
  if (s.data === 'custom' && !custom) {
    showError(t('needText'));
    return false;
  }
  const wanted = plans(s, compare);
  const made: Run[] = [];
  try {
    for (const [i, p] of wanted.entries()) {
      const bad = checkSettings(p.settings);
      if (bad.length) throw new Error(bad.join('\n'));
      made.push(new Run(p.label(), p.settings, p.settings.strategy, COLORS[i % COLORS.length]));
    }
  } catch (e) {
    showError(e instanceof BpttError ? `${e.message}` : (e as Error).message ?? String(e));
    return false;
  }
  // the worker destroys the old runs and builds these (data, trainers, initial weights)
  runs = made;
  labelers = wanted.map((p) => p.label);
  const g = ++gen;
  source = null;
  clearError();
  pausedForNonfinite = false;
  building = ask({ type: 'build', gen: g, lang: lang(), settings: made.map((r) => r.settings), custom: s.data === 'custom' ? custom : null }).then(
    (reply) => {
      if (g !== gen) return false; // replaced meanwhile
      made.forEach((r, i) => (r.info = reply.runs[i]));
      source = reply.source;
      showDataInfo();
      draw(true);
      return true;
    },
    (e: Error) => {
      if (g === gen) {
        runs = [];
        labelers = [];
        showError(e.message);
      }
      return false;
    },
  );
  draw(true);
  return building;
}

function showDataInfo(): void {
  const s = readForm();
  $('explain').textContent = explainData(s, source?.vocabSize);
  // the delay task's name in the page's language now (the source was named in the language of its day)
  if (source) $('dataInfo').textContent = t('dataInfo', { name: s.data === 'delay' ? t('delayName', { k: s.delay }) : source.name, v: source.vocabSize }) + (source.corpusLength !== null ? t('dataChars', { n: source.corpusLength }) : '');
}

// ---------- the loop (in the worker)
/** Train in the worker until paused (once the runs stand there). */
function startLoop(): void {
  if (loopDone) return;
  running = true;
  loopDone = (async () => {
    if (!(await building) || !running) return;
    const end = await ask({ type: 'train' });
    if (end.nonfinite) pausedForNonfinite = true; // every update was being thrown away: the worker stopped, the warning says why
    if (end.error) showError(t('trainingStopped', { msg: end.error }));
  })()
    .catch((e: Error) => showError(t('trainingStopped', { msg: e.message })))
    .finally(() => {
      running = false;
      loopDone = null;
      draw(true);
    });
}

/** Stop the loop and wait until it has stopped and the numbers of its steps have landed (and any build has finished). */
async function stopLoop(): Promise<void> {
  running = false;
  if (loopDone) void ask({ type: 'pause' }).catch(() => null);
  while (loopDone) await loopDone;
  await building;
}

// ---------- drawing
function draw(force: boolean): void {
  const now = performance.now();
  if (!force && now - lastDraw < DRAW_MS) return;
  lastDraw = now;
  const waiting = t('waiting'), x = t('axisStep');
  drawn.lossChart = drawLines($('lossChart'), runs.map((r) => ({ label: t('lossLabel', { label: r.label }), color: r.color, points: r.loss.points() })), {
    title: t('lossTitle'), ref: source ? Math.log(source.vocabSize) : undefined, x, y: t('lossAxis'), waiting,
  });
  // NaN/∞ norms cannot be drawn: the legend counts them
  drawn.gradChart = drawLines($('gradChart'), runs.map((r) => ({ label: r.gradNorm.nonFinite ? t('gradNonFinite', { label: r.label, n: r.gradNorm.nonFinite }) : r.label, color: r.color, points: r.gradNorm.points() })), {
    title: t('gradTitle', { clip: runs.map((r) => r.settings.clip).filter((c, i, a) => a.indexOf(c) === i).join(', ') }), log: true, ref: runs[0]?.settings.clip, x, y: t('gradAxis'), waiting,
  });
  const r0 = runs[0];
  const cell = r0?.settings.cell ?? 'rnn';
  const gated = runs.some((r) => r.settings.cell !== 'rnn');
  // LSTM: a ‖∂L/∂c_t‖ panel under each run's ‖∂L/∂h_t‖ panel (one colour scale)
  drawn.heatChart = drawHeatmap(
    $('heatChart'),
    runs.flatMap((r) => r.settings.cell === 'lstm'
      ? [{ label: `${r.label} ‖∂L/∂h_t‖`, color: r.color, rows: r.heat }, { label: `${r.label} ‖∂L/∂c_t‖`, color: r.color, rows: r.heatC }]
      : [{ label: r.label, color: r.color, rows: r.heat }]),
    { title: t(runs.some((r) => r.settings.cell === 'lstm') ? 'heatTitleLstm' : 'heatTitle'), small: t('heatSmall'), large: t('heatLarge'), x: t('axisT'), y: `${x} ↓`, steps: t('heatSteps'), waiting },
  );
  drawDecay(waiting);
  const rhoTitle = !gated ? t('rhoTitle') : t('rhoTitleGated', { cell: (runs.find((r) => r.settings.cell !== 'rnn')?.settings.cell ?? cell).toUpperCase(), g: GATES[runs.find((r) => r.settings.cell !== 'rnn')?.settings.cell ?? cell] });
  drawn['rhoChart:title'] = [rhoTitle];
  drawn.rhoChart = drawLines(
    $('rhoChart'),
    runs.flatMap((r) => [
      ...(r.settings.cell === 'rnn' ? [{ label: t('rhoLabel', { label: r.label }), color: r.color, points: r.rho.points() }] : []),
      { label: t('measuredLabel', { label: r.label }), color: r.color, points: r.backGrowth.points(), dashed: true },
    ]),
    { title: rhoTitle, ref: 1, x, y: t('rhoAxis'), waiting },
  );
  drawn.lrChart = drawLines($('lrChart'), r0 ? [
    { label: t('lrSchedule', { text: r0.settings.schedule + (r0.settings.warmup ? t('lrWarm', { n: r0.settings.warmup }) : '') }), color: '#999', points: plannedLr(r0), dashed: true },
    ...runs.map((r) => ({ label: t('lrUsed', { label: r.label }), color: r.color, points: r.lr.points() })),
  ] : [], { title: t('lrTitle'), x, y: t('lrAxis'), waiting });
  drawSegments();
  if (r0) statusEl.textContent = statusLine(runs, running);
  warnEl.textContent = nonfiniteWarning(runs, pausedForNonfinite);
  if (force || now - lastSample > 3000) {
    lastSample = now;
    sampling = sample().catch(() => {}); // a run replaced while sampling: the next draw samples the new one
  }
}

/**
 * ‖∂L/∂h_(T−1−k)‖ against k at each run's latest measured step (log), and for
 * rnn cells the chapter's prediction ρ(W_hh)^k · ‖∂L/∂h_(T−1)‖ beside it.
 */
function drawDecay(waiting: string): void {
  const series = runs.flatMap((r) => {
    const d = r.lastDiag;
    if (!d) return [];
    const T = d.dh.length, end = d.dh[T - 1];
    // steps no gradient stream reached (TBPTT measures its first stream) have 0: not drawn on the log scale
    const measured = Array.from({ length: T }, (_, k) => ({ step: k, value: d.dh[T - 1 - k] })).filter((p) => p.value > 0);
    const out = [{ label: t('measuredK', { label: r.label }), color: r.color, points: measured }];
    // the chapter's prediction is for one loss's gradient: drawn when only the last step's loss sends one
    if (r.settings.cell === 'rnn' && r.settings.lossAt === 'last' && Number.isFinite(d.rho) && end > 0) {
      out.push({ label: t('predictedK', { label: r.label }), color: r.color, points: measured.map((p) => ({ step: p.step, value: end * d.rho ** p.step })), dashed: true } as (typeof out)[number]);
    }
    return out;
  });
  drawn.decayChart = drawLines($('decayChart'), series, { title: t('decayTitle'), log: true, x: t('axisBack'), y: t('decayAxis'), waiting });
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
  renderSegments($('segments'), runs, source);
}

async function sample(): Promise<void> {
  const r = runs[0];
  if (!r || !source || source.corpusLength === null) {
    $('greedy').textContent = source ? t('generationText') : '';
    $('sampled').textContent = '';
    return;
  }
  // in the worker, on the GPU, from the run's weights as they stand after the steps submitted so far
  const g = gen;
  const prefix = ($<HTMLInputElement>('prefix').value || ' ').toLowerCase();
  const temperature = Number($<HTMLInputElement>('temperature').value);
  const out = await ask({ type: 'generate', prefix, temperature, seed: r.steps });
  if (!out || g !== gen) return;
  $('greedy').textContent = out.greedy;
  $('sampled').textContent = out.sampled;
}

// ---------- controls
/** Build the runs unless there are some; whether there are runs now. */
async function ensureRuns(): Promise<boolean> {
  if (runs.length) return true;
  const b = build(false);
  return b !== false && (await b);
}
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
  if (!(await ensureRuns())) return;
  const { error } = await ask({ type: 'step' });
  if (error) showError(t('trainingStopped', { msg: error }));
  draw(true);
});
$('reset').addEventListener('click', async () => {
  await stopLoop();
  clearRuns();
  build(false);
  statusEl.textContent = t('resetDone');
});
$('compare').addEventListener('click', async () => {
  await stopLoop();
  if (build(true)) startLoop();
});

// ---------- checkpoints: bytes out (download) and bytes in (upload)
$('download').addEventListener('click', async () => {
  const r = runs[0];
  if (!r || !source) return showError(t('nothingToSave'));
  try {
    await sampling;
    const { bytes } = await ask({ type: 'checkpoint', run: 0 });
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = checkpointName(r);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    $('checkpointInfo').textContent = t('saved', { name: a.download, bytes: bytes.length, run: runs.length > 1 ? t('savedRun', { label: r.label }) : '' });
  } catch (e) {
    showError(t('couldNotSave', { msg: (e as Error).message }));
  }
});
/** Hand bytes to the browser as a download named `name`. */
function saveBytes(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
$('onnx').addEventListener('click', async () => {
  const r = runs[0];
  if (!r) return showError(t('nothingToSave'));
  try {
    await sampling;
    const { bytes, filename } = await onnxFile(await ask({ type: 'weights', run: 0 }), r.steps);
    saveBytes(bytes, filename);
    $('checkpointInfo').textContent = t('savedOnnx', { name: filename, bytes: bytes.length, run: runs.length > 1 ? t('savedRun', { label: r.label }) : '' });
  } catch (e) {
    showError(t('couldNotOnnx', { msg: (e as Error).message }));
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
    const expect = runs[0]?.info?.config ?? charLmConfig(source?.vocabSize ?? 1, current.hidden, current.cell === 'rnn' ? current.activation : 'tanh', current.bias, current.cell, current.layers);
    const loaded = readCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name, current, expect);
    fillForm(loaded.settings);
    reflectForm();
    clearRuns();
    rebuilt = true;
    if (!(await ensureRuns())) return;
    await ask({ type: 'restore', data: loaded.data, name: file.name }); // the worker's trainer takes the weights, optimizer state and step
    runs[0].continueFrom(loaded.data.step);
    $('checkpointInfo').textContent = t('loaded', { name: file.name, step: loaded.data.step, opt: loaded.data.optimizer ? t('optIncluded', { kind: loaded.data.optimizer.kind }) : t('noOpt') });
    statusEl.textContent = t('loadedStatus', { step: loaded.data.step, name: file.name });
    draw(true);
  } catch (err) {
    if (rebuilt) clearRuns(); // a model built for the file, without its weights: do not leave it looking loaded
    showError(isBptt(err) ? t('cannotLoad', { msg: (err as Error).message }) : (err as Error).message);
  }
});
$('share').addEventListener('click', () => {
  const s = readForm();
  const problems = checkSettings(s);
  if (problems.length) return showError(problems.join('\n'));
  const url = `${location.origin}${location.pathname}?${shareQuery(s)}`;
  history.replaceState(null, '', url);
  $('link').textContent = url;
});
$<HTMLInputElement>('temperature').addEventListener('input', (e) => {
  $('tempValue').textContent = (e.target as HTMLInputElement).value;
});
form.addEventListener('change', () => {
  reflectForm();
  // settings take effect on Reset / Train after a change
  if (!running && !loopDone) clearRuns();
});

async function useText(name: string, text: string): Promise<void> {
  custom = { name, text };
  (form.elements.namedItem('data') as HTMLSelectElement).value = 'custom';
  await stopLoop();
  clearRuns();
  const b = build(false);
  if (b && (await b)) statusEl.textContent = t('usingText', { name });
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
  void useText(t('pastedText'), text).catch((e) => showError((e as Error).message));
});

// ---------- experiments and languages
/** The link of the settings: the experiment (when one is picked), the language, then every setting. */
function shareQuery(s: Settings): string {
  return `${experiment ? `exp=${experiment.id}&` : ''}lang=${lang()}&${toQuery(s)}`;
}

/** Pick an experiment (null: the free lab): its settings into the form, its card, no runs until Train or Compare. */
async function pickExperiment(exp: Experiment | null): Promise<void> {
  await stopLoop();
  experiment = exp;
  if (exp) fillForm({ ...DEFAULTS, ...exp.settings });
  reflectForm();
  renderLesson($('lessonText'), exp);
  ($<HTMLSelectElement>('experiment')).value = exp?.id ?? '';
  const q = new URLSearchParams(location.search);
  if (exp) q.set('exp', exp.id);
  else q.delete('exp');
  history.replaceState(null, '', `${location.pathname}?${q}`);
  clearRuns();
  if (deviceName) await build(false);
}

/**
 * Open the page's settings from a query string without reloading (what a
 * link does at start-up): the experiment, then every setting over its preset;
 * the runs are rebuilt and any message cleared. The tests use it to share one
 * page (and its compiled pipelines) between cases.
 */
async function load(query: string): Promise<void> {
  await stopLoop();
  const q = new URLSearchParams(query);
  experiment = experimentById(q.get('exp'));
  custom = null;
  fillForm(parseSettings((k) => q.get(k), { ...DEFAULTS, ...experiment?.settings }));
  history.replaceState(null, '', `${location.pathname}?${q}`);
  clearRuns();
  clearError();
  $('link').textContent = '';
  $('checkpointInfo').textContent = t('checkpointInfo');
  relabel();
  if (deviceName) await build(false);
}

$<HTMLSelectElement>('experiment').addEventListener('change', (e) => {
  void pickExperiment(experimentById((e.target as HTMLSelectElement).value));
});

/** Every word that depends on the language, again (the static ones are setLang's). */
function relabel(): void {
  fillPicker($<HTMLSelectElement>('experiment'), experiment);
  renderLesson($('lessonText'), experiment);
  $('langToggle').textContent = t('langName');
  $('langToggle').lang = lang() === 'en' ? 'ko' : 'en';
  runs.forEach((r, i) => (r.label = labelers[i]?.() ?? r.label));
  $('device').textContent = deviceName ? t('deviceIs', { name: deviceName }) : $('nogpu').hidden ? t('lookingForGpu') : t('noDevice');
  reflectForm();
  showDataInfo();
  if (!runs.length) statusEl.textContent = t('ready');
  draw(true);
}
onLangChange(relabel);
$('langToggle').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'ko' : 'en');
  const q = new URLSearchParams(location.search);
  q.set('lang', lang());
  history.replaceState(null, '', `${location.pathname}?${q}`);
  // a shared link on show carries the language it was made in: follow the toggle
  if ($('link').textContent) $('link').textContent = `${location.origin}${location.pathname}?${q}`;
});

// ---------- start-up
async function init(): Promise<void> {
  const q = new URLSearchParams(location.search);
  experiment = experimentById(q.get('exp'));
  setLang(pickLang(location.search, navigator.languages ?? [navigator.language]));
  fillForm(parseSettings((k) => q.get(k), { ...DEFAULTS, ...experiment?.settings }));
  relabel();
  try {
    deviceName = (await ask({ type: 'init' })).adapter; // the worker's device: it trains, the page draws
  } catch (e) {
    const nogpu = $('nogpu');
    nogpu.hidden = false;
    nogpu.textContent = t('noWebgpuNote', { msg: (e as Error).message });
    $('device').textContent = t('noDevice');
    return;
  }
  $('device').textContent = t('deviceIs', { name: deviceName });
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
      /** True once a WebGPU device is ready. */
      ready(): boolean;
      /** The experiment picked ('' for the free lab). */
      experiment(): string;
      /** Steps skipped as non-finite, per run. */
      skipped(): number[];
      /** Each run's label. */
      labels(): string[];
      /** Run i's latest ‖∂L/∂h_t‖ per step and ρ(W_hh) (NaN for LSTM/GRU), and their step; null before any. */
      decay(i: number): { step: number; dh: number[]; rho: number } | null;
      /** Open settings from a query string, as a link would, without reloading. */
      load(query: string): Promise<void>;
      /** The GPU buffers and bytes the library holds in the training worker (once the latest build and text generation have settled). */
      memory(): Promise<{ buffers: number; bytes: number }>;
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
    const c = r.info?.config;
    if (!c) return null;
    return { cell: c.cell ?? 'rnn', layers: c.layers ?? 1, truncation: r.truncation.describe };
  },
  lrs: () => runs.map((r) => r.lr.points().slice()),
  optimizer: () => runs[0]?.info?.optimizer ?? null,
  longTasks: [],
  ready: () => deviceName !== null,
  experiment: () => experiment?.id ?? '',
  skipped: () => runs.map((r) => r.skipped),
  labels: () => runs.map((r) => r.label),
  load,
  memory: async () => {
    await building;
    await sampling;
    return ask({ type: 'memory' });
  },
  decay: (i) => {
    const d = runs[i]?.lastDiag;
    return d ? { step: d.step, dh: Array.from(d.dh), rho: d.rho } : null;
  },
};
// Main-thread tasks over 50 ms, as the browser reports them (the page must not freeze while training).
if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (running) window.__demo.longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask' });
}

void init();
