/**
 * Headless Chromium for browser tests and benches (see /work/shared/notes/chromium-webrtc.md).
 * Every `launchBrowser()` starts a separate Chromium process with its own profile and fake
 * camera/microphone, so two calls give two independent meeting participants.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream=fps=30',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export type LaunchedBrowser = {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console messages and page errors, for diagnosing failures. */
  logs: string[];
  close(): Promise<void>;
};

export async function launchBrowser(opts: { extraArgs?: string[]; label?: string } = {}): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const logs: string[] = [];
  const label = opts.label ? `[${opts.label}] ` : '';
  page.on('console', (m) => logs.push(`${label}${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`${label}pageerror: ${e.message}`));
  return {
    browser,
    context,
    page,
    logs,
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}

/** Polls `fn` until it returns a truthy value (returned) or throws after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  opts: { intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${opts.message ?? fn.toString().slice(0, 120)}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

// ---------------------------------------------------------------------------------------------
// The built client

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLIENT_DIST = join(REPO, 'client', 'dist');
const CLIENT_INPUTS = [join(REPO, 'client', 'src'), join(REPO, 'client', 'index.html'), join(REPO, 'client', 'vite.config.ts'), join(REPO, 'server', 'signaling', 'protocol.ts')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)));
  return max;
}

function distIsFresh(): boolean {
  const index = join(CLIENT_DIST, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return CLIENT_INPUTS.every((p) => newestMtime(p) <= built);
}

/**
 * Builds client/dist with Vite unless it is newer than every client source. Test files run in
 * parallel workers, so a lock directory makes one build and the others wait for it.
 */
export async function ensureClientBuilt(): Promise<void> {
  if (distIsFresh()) return;
  const lock = join(REPO, 'node_modules', '.recinto-client-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // someone else is building; take over a lock older than 2 minutes (crashed builder)
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // lock vanished meanwhile
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the client build lock');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (distIsFresh()) return;
    const { build } = await import('vite');
    await build({ configFile: join(REPO, 'client', 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Serves client/dist over plain HTTP on 127.0.0.1 (a secure context for Chromium), with
 * index.html for `/m/<meetingId>`, for client-only UI tests that need no media server.
 */
export async function serveClientDist(): Promise<{ url: string; close(): Promise<void> }> {
  await ensureClientBuilt();
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = pathname === '/' || pathname.startsWith('/m/') ? join(CLIENT_DIST, 'index.html') : normalize(join(CLIENT_DIST, pathname));
    if (!file.startsWith(CLIENT_DIST + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
