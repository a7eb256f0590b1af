/**
 * Headless Firefox for browser tests and benches: Debian's `firefox-esr` driven by
 * `puppeteer-core` over WebDriver BiDi (no downloaded browser). Each `launchFirefox()` is a
 * separate Firefox with its own profile and fake camera and microphone.
 *
 * Firefox gathers no ICE candidates on loopback and ignores a server's loopback candidates (its
 * `media.peerconnection.ice.loopback` preference did not change that here), so a server that
 * Firefox must reach over WebRTC listens on one of the machine's own non-loopback addresses:
 * `mediaAddress()` (Chromium reaches it just as well).
 */
import { networkInterfaces } from 'node:os';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import type { HttpClient } from './http-client.ts';
import type { TestServer, TestUser } from './server.ts';

/** The same setting the `./recinto` wrapper checks (and installs Debian's package for). */
export const FIREFOX_PATH = process.env['RECINTO_FIREFOX'] || '/usr/bin/firefox-esr';

/** Fake devices without a permission prompt; autoplay for the remote tiles. */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
};

export type LaunchedFirefox = {
  browser: Browser;
  page: Page;
  /** Console messages and page errors, for diagnosing failures. */
  logs: string[];
  close(): Promise<void>;
};

export async function launchFirefox(opts: { label?: string; width?: number; height?: number } = {}): Promise<LaunchedFirefox> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    acceptInsecureCerts: true,
    extraPrefsFirefox: FIREFOX_PREFS,
    defaultViewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
  });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  await page.setViewport({ width: opts.width ?? 1280, height: opts.height ?? 800 });
  const logs: string[] = [];
  const label = opts.label ? `[${opts.label}] ` : '';
  page.on('console', (m) => logs.push(`${label}${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`${label}pageerror: ${e instanceof Error ? e.message : String(e)}`));
  return {
    browser,
    page,
    logs,
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}

export type SignedInFirefox = LaunchedFirefox & { http: HttpClient };

/** A Firefox holding `user`'s verified session (signed in through the API). */
export async function signedInFirefox(server: TestServer, user: TestUser, label = user.username): Promise<SignedInFirefox> {
  const [http, launched] = await Promise.all([server.signIn(user), launchFirefox({ label })]);
  // A cookie is set for the page's current site: visit the server first.
  await launched.page.goto(`${server.url}/healthz`);
  await launched.page.setCookie({
    name: SESSION_COOKIE,
    value: http.session!,
    domain: new URL(server.url).hostname,
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
  });
  return { ...launched, http };
}

/** Opens the meeting page and waits until it shows the meeting (not yet joined). */
export async function openMeetingIn(page: Page, serverUrl: string, meetingId: string): Promise<void> {
  await page.goto(`${serverUrl}/m/${meetingId}`);
  await page.waitForFunction(() => window.recinto?.view === 'meeting', { timeout: 10_000 });
}

/** The button (or link) whose accessible name is exactly `name`. */
export const byName = (page: Page, name: string, role = 'button') => page.locator(`::-p-aria([name=${JSON.stringify(name)}][role="${role}"])`);

/**
 * An address of this machine that is not loopback, for the SFU to listen on (see above): the
 * first IPv4 address of an interface that is up.
 */
export function mediaAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('Firefox tests need a non-loopback IPv4 address on this machine (Firefox does not use loopback for WebRTC)');
}
