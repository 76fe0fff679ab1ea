// Which matmul variant runs at which shape, per device: a pinned variant, the
// tuned winners per shape bucket (in memory, and in localStorage where there
// is one, keyed by the adapter), else the default heuristic in matmul.ts.
import { describeAdapter } from '../gpu/device';

/** A GEMM's shape and layout flags, as the variant choice sees them. */
export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
}

interface Choices {
  pinned?: string;
  /** bucket → variant name */
  tuned: Map<string, string>;
  loaded: boolean;
}

const choices = new WeakMap<GPUDevice, Choices>();

function store(device: GPUDevice): Choices {
  let c = choices.get(device);
  if (!c) choices.set(device, (c = { tuned: new Map(), loaded: false }));
  if (!c.loaded) {
    c.loaded = true;
    for (const [k, v] of Object.entries(readPersisted(device))) if (!c.tuned.has(k)) c.tuned.set(k, v);
  }
  return c;
}

/** A dimension's bucket: log₂ rounded to half octaves, so nearby sizes share a choice. */
const octave = (n: number) => Math.round(2 * Math.log2(Math.max(1, n))) / 2;

/** The bucket a shape's tuned choice is kept under: layout flags and each dimension's half octave. */
export function shapeBucket(s: GemmShape): string {
  return `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}:${octave(s.M)}x${octave(s.N)}x${octave(s.K)}`;
}

/** The storage key of a device's choices: the adapter's description. */
export function persistKey(device: GPUDevice): string {
  return `webgpu-bptt:matmul:${describeAdapter(device)}`;
}

function browserStorage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // storage disabled (opaque origin, privacy settings)
  }
}

function readPersisted(device: GPUDevice): Record<string, string> {
  const s = browserStorage();
  if (!s) return {};
  try {
    const v = JSON.parse(s.getItem(persistKey(device)) ?? '{}');
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The variant pinned for `device`, else the tuned one for the shape's bucket (undefined: use the default). */
export function chosenVariant(device: GPUDevice, shape: GemmShape): string | undefined {
  const c = store(device);
  return c.pinned ?? c.tuned.get(shapeBucket(shape));
}

/** Remember `variant` as the fastest at `shape`'s bucket on `device` (and persist it in a browser). */
export function recordChoice(device: GPUDevice, shape: GemmShape, variant: string): void {
  const c = store(device);
  c.tuned.set(shapeBucket(shape), variant);
  const s = browserStorage();
  if (s) {
    try {
      s.setItem(persistKey(device), JSON.stringify(Object.fromEntries(c.tuned)));
    } catch {
      // quota or disabled storage: the in-memory choice still holds
    }
  }
}

/** Pin one variant for every matmul bound on `device` from now on (undefined unpins). */
export function setPinned(device: GPUDevice, variant: string | undefined): void {
  store(device).pinned = variant;
}

/** Forget every tuned choice on `device` (memory only; persisted choices are reloaded on a new device). */
export function clearChoices(device: GPUDevice): void {
  choices.set(device, { tuned: new Map(), loaded: true });
}

/** The tuned choices of `device`: bucket → variant. */
export function tunedChoices(device: GPUDevice): Record<string, string> {
  return Object.fromEntries(store(device).tuned);
}
