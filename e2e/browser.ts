// Headless Chromium (Debian's package; SwiftShader when there is no GPU)
// driven by playwright-core, against a Vite server on 127.0.0.1.
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Session {
  server: ViteDevServer;
  browser: Browser;
  base: string;
  close(): Promise<void>;
}

/** Start a Vite dev server (repo root, or the demo with mode 'demo') and Chromium. */
export async function startSession(mode: 'development' | 'demo' = 'development'): Promise<Session> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run 'bash scripts/setup.sh' (apt-get install chromium)`);
  const server = await createServer({ configFile: 'vite.config.ts', mode, server: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'error' });
  await server.listen();
  const addr = server.httpServer!.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    server,
    browser,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
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
