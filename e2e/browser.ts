// Headless Chromium (Debian's package) driven by playwright-core, against a
// Vite server on 127.0.0.1. On a machine with a GPU, Chromium gets the flags
// Linux needs for WebGPU on the GPU in headless mode (Vulkan through ANGLE,
// as Chrome's guide to WebGPU testing in headless Chrome names them); without
// one, SwiftShader's. BPTT_GPU=1 / BPTT_GPU=0 overrides the detection.
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdapterIdentity } from '../src/gpu/device';
import { SWIFTSHADER_DAWN_SWITCH } from '../src/node/device';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const COMMON = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu'];
const QUIET = ['--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * No GPU: WebGPU on SwiftShader, the CPU. Workgroup memory is zeroed by the
 * shader, not by SwiftShader's Vulkan extension, whose per-element stores make
 * compile time grow with the workgroup arrays (dawnFlags in src/node/device.ts).
 */
export const SWIFTSHADER_ARGS = [...COMMON, '--enable-unsafe-swiftshader', `--${SWIFTSHADER_DAWN_SWITCH}`, ...QUIET];

/**
 * A GPU: ANGLE on Vulkan, Vulkan on (the default feature list leaves it off
 * on Linux), no Vulkan surface (headless has no window to present to), the
 * GPU blocklist ignored (a server GPU's driver is often on it), and WebGPU's
 * developer features, so GPUAdapterInfo carries the GPU's full name (the
 * reports name the adapter).
 */
export const GPU_ARGS = [
  ...COMMON,
  '--use-angle=vulkan',
  '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan',
  '--disable-vulkan-surface',
  '--ignore-gpu-blocklist',
  '--enable-webgpu-developer-features',
  ...QUIET,
];

/** What the detection found: whether to use the GPU flags, and why. */
export interface GpuChoice {
  gpu: boolean;
  why: string;
}

/** The device files that mean a GPU driver is loaded: NVIDIA's, or a DRM render node. */
function gpuDeviceFiles(exists: (p: string) => boolean, list: (dir: string) => string[]): string[] {
  const found: string[] = [];
  if (exists('/dev/nvidiactl') || exists('/dev/nvidia0')) found.push(exists('/dev/nvidia0') ? '/dev/nvidia0' : '/dev/nvidiactl');
  try {
    for (const f of list('/dev/dri')) if (f.startsWith('renderD')) found.push(`/dev/dri/${f}`);
  } catch {
    // no /dev/dri
  }
  return found;
}

/**
 * Is there a GPU for Chromium to use? BPTT_GPU=1 or 0 decides; otherwise a
 * GPU device file (/dev/nvidia*, /dev/dri/renderD*) does.
 */
export function detectGpu(env: Record<string, string | undefined> = process.env, exists: (p: string) => boolean = existsSync, list: (dir: string) => string[] = (d) => readdirSync(d)): GpuChoice {
  const o = env.BPTT_GPU;
  if (o !== undefined && o !== '') {
    if (o === '1') return { gpu: true, why: 'BPTT_GPU=1' };
    if (o === '0') return { gpu: false, why: 'BPTT_GPU=0' };
    throw new Error(`BPTT_GPU=${o}: expected 1 (use the GPU flags) or 0 (SwiftShader's), or unset (detect)`);
  }
  const files = gpuDeviceFiles(exists, list);
  return files.length ? { gpu: true, why: `${files.join(', ')} present` } : { gpu: false, why: 'no /dev/nvidia* or /dev/dri/renderD*' };
}

/** Chromium's flags for this machine, and a line that says which and why. */
export function chromiumFlags(choice: GpuChoice = detectGpu()): { args: string[]; describe: string } {
  return choice.gpu
    ? { args: GPU_ARGS, describe: `Chromium flags: GPU (Vulkan through ANGLE), because ${choice.why}` }
    : { args: SWIFTSHADER_ARGS, describe: `Chromium flags: SwiftShader (no GPU), because ${choice.why}` };
}

const chosen = chromiumFlags();
/** The flags every launch uses on this machine (see chromiumFlags). */
export const CHROMIUM_ARGS = chosen.args;
/** Which flags CHROMIUM_ARGS are and why ("Chromium flags: …"). */
export const CHROMIUM_FLAGS_CHOICE = chosen.describe;

/** The pages a development-mode session serves: Vite's dependency scan starts from these (not examples/, whose app imports the built package). */
const SCAN_ENTRIES = ['bench/*.html', 'e2e/pages/*.html'];

export interface Session {
  server: ViteDevServer;
  browser: Browser;
  base: string;
  /** "Chromium flags: GPU … / SwiftShader …, because …". */
  flags: string;
  close(): Promise<void>;
}

let told = false;

/**
 * Start a Vite dev server (repo root, or the demo with mode 'demo') and
 * Chromium (or take `opts.browser`, launched by launchChromium; the session closes it).
 */
export async function startSession(mode: 'development' | 'demo' = 'development', opts: { quiet?: boolean; browser?: Browser } = {}): Promise<Session> {
  if (!opts.browser && !existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run 'bash scripts/setup.sh' (apt-get install chromium)`);
  if (!opts.quiet && !told) {
    told = true;
    console.error(CHROMIUM_FLAGS_CHOICE);
  }
  // Vite loads here, not at import: the adapter probe (bench --require-gpu) needs none of it
  const { createServer } = await import('vite');
  const server = await createServer({
    configFile: 'vite.config.ts',
    mode,
    server: { host: '127.0.0.1', port: 0, strictPort: false },
    logLevel: 'error',
    // a pre-bundled-deps cache per mode: one shared by differently configured servers is rebuilt at every start
    cacheDir: resolve(import.meta.dirname, '..', 'node_modules', '.vite', `session-${mode}`),
    ...(mode === 'demo' ? {} : { optimizeDeps: { entries: SCAN_ENTRIES } }),
  });
  await server.listen();
  const addr = server.httpServer!.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const browser = opts.browser ?? (await launchChromium());
  return {
    server,
    browser,
    base: `http://127.0.0.1:${port}`,
    flags: CHROMIUM_FLAGS_CHOICE,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Chromium with this machine's flags (CHROMIUM_ARGS). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run 'bash scripts/setup.sh' (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * The adapter this browser gives a page that asks as requestTrainingDevice
 * does (high-performance); null when there is none. Needs no server: the
 * page is an empty one answered by Playwright at http://localhost (a secure
 * origin, where navigator.gpu exists), so it takes a second, before anything else.
 */
export async function probeAdapter(browser: Browser): Promise<AdapterIdentity | null> {
  const page = await browser.newPage();
  try {
    const url = 'http://localhost/webgpu-bptt-adapter-probe';
    await page.route(url, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>adapter</title>' }));
    await page.goto(url);
    return await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
      if (!a) return null;
      const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
      return {
        vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
        ...(typeof i.isFallbackAdapter === 'boolean' ? { isFallbackAdapter: i.isFallbackAdapter } : {}),
      };
    });
  } finally {
    await page.close();
  }
}

/** A page that records console errors and page errors. */
export async function openPage(s: Session, path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await s.browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(s.base + path);
  return { page, errors };
}
