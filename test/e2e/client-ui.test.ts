/**
 * The browser client's pages outside a call, against the real server: every control has an
 * accessible name on every page (the guest form of a meeting link included) in Spanish and in
 * English; nothing touches the camera, the microphone or the signalling socket until the user
 * presses "Unirse"; `?lang=en` switches the language and is remembered.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { accessibleControls, deviceUse, signedInBrowser, spyOnDevicesAndSockets, type SignedInBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

let server: TestServer;
let chrome: SignedInBrowser | undefined;
let other: TestUser;
let meetingId: string;

beforeAll(async () => {
  server = await startTestServer();
  const [lucia, marta] = await Promise.all([server.createUser('lucia', { displayName: 'Lucía Pérez' }), server.createUser('marta')]);
  other = marta;
  chrome = await signedInBrowser(server, lucia, 'ui');
  await spyOnDevicesAndSockets(chrome.context);
  // Lucía hosts it: she enters directly, without a waiting room.
  meetingId = server.createMeeting('Claustro', { ownerId: lucia.id });
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

/** Opens `path` and waits until the client shows `view`. */
async function open(page: Page, path: string, view: string): Promise<void> {
  await page.goto(server.url + path);
  await page.waitForFunction((v) => window.recinto?.view === v, view, { timeout: 10_000 });
}

/** A page in a fresh context without any session (a half-done sign-in would carry over). */
async function signedOutPage(): Promise<Page> {
  const context = await chrome!.browser.newContext({ ignoreHTTPSErrors: true });
  await spyOnDevicesAndSockets(context);
  const page = await context.newPage();
  page.once('close', () => void context.close());
  return page;
}

type Lang = 'es' | 'en';
/** Each page (and sign-in step) of the client, reached in a given language. */
const VIEWS: Record<string, (lang: Lang) => Promise<Page>> = {
  login: async (lang) => {
    const page = await signedOutPage();
    await open(page, `/login?lang=${lang}`, 'login');
    return page;
  },
  'second-factor': async (lang) => {
    const page = await signedOutPage();
    await open(page, `/login?lang=${lang}`, 'login');
    await page.locator('#login-username').fill(other.username);
    await page.locator('#login-password').fill(other.password);
    await page.locator('#login-submit').click();
    await page.waitForFunction(() => window.recinto.view === 'second-factor', null, { timeout: 10_000 });
    return page;
  },
  home: async (lang) => {
    const page = await chrome!.context.newPage();
    await open(page, `/?lang=${lang}`, 'home');
    return page;
  },
  account: async (lang) => {
    const page = await chrome!.context.newPage();
    await open(page, `/account?lang=${lang}`, 'account');
    return page;
  },
  guest: async (lang) => {
    const page = await signedOutPage();
    await open(page, `/m/${meetingId}?lang=${lang}`, 'meeting');
    return page;
  },
  meeting: async (lang) => {
    const page = await chrome!.context.newPage();
    await open(page, `/m/${meetingId}?lang=${lang}`, 'meeting');
    // Reveal the in-call controls too, so they are checked without joining.
    await page.evaluate(() => document.querySelectorAll('[hidden]').forEach((n) => n.removeAttribute('hidden')));
    return page;
  },
};

describe('client pages', () => {
  it('give every control a non-empty accessible name on every page, in Spanish and in English', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const names: Record<string, Record<Lang, string[]>> = {};
    for (const [view, reach] of Object.entries(VIEWS)) {
      for (const lang of ['es', 'en'] as const) {
        const page = await reach(lang);
        expect(await page.evaluate(() => document.documentElement.lang), `${view} language`).toBe(lang);
        const controls = await accessibleControls(page);
        expect(controls.length, `${view} has controls`).toBeGreaterThanOrEqual(3);
        expect(
          controls.filter((c) => !c.name.trim()),
          `unnamed controls on ${view} (${lang})`,
        ).toEqual([]);
        // No page uses the camera, the microphone or the signalling socket by itself.
        expect(await deviceUse(page), `${view} (${lang})`).toMatchObject({
          getUserMedia: 0,
          getDisplayMedia: 0,
          enumerateDevices: 0,
          webSockets: 0,
          peerConnections: 0,
        });
        (names[view] ??= { es: [], en: [] })[lang] = controls.map((c) => c.name);
        await page.close();
      }
    }
    // Every page is really translated: its controls are not named the same in both languages.
    for (const [view, byLang] of Object.entries(names)) expect(byLang.en, `${view} translated`).not.toEqual(byLang.es);
  });

  it('shows the meeting page idle, with no camera, microphone or socket use before the click on "Unirse"', async () => {
    const page = await chrome!.context.newPage();
    await open(page, `/m/${meetingId}?lang=es`, 'meeting');
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => ({ state: window.recinto.state, participantId: window.recinto.participantId }))).toEqual({
      state: 'idle',
      participantId: null,
    });
    expect(await deviceUse(page)).toMatchObject({ getUserMedia: 0, enumerateDevices: 0, webSockets: 0, peerConnections: 0 });
    expect(await page.locator('#local-video').evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    expect(await page.getByText('Entrará como Lucía Pérez.').isVisible()).toBe(true);
    // the debug hook is read-only
    const readOnly = await page.evaluate(() => {
      try {
        (window as unknown as { recinto: unknown }).recinto = null;
      } catch {
        // strict-mode assignment may throw
      }
      return window.recinto !== null && Object.isFrozen(window.recinto);
    });
    expect(readOnly).toBe(true);

    // The click is what starts them: the same counters move once it happens.
    await page.getByRole('button', { name: 'Unirse', exact: true }).click();
    await waitFor(() => page.evaluate(() => window.recinto.state === 'joined'), 20_000, { message: 'joined', intervalMs: 100 });
    expect(await deviceUse(page)).toMatchObject({ getUserMedia: 1, webSockets: 1 });
    await page.getByRole('button', { name: 'Salir' }).click();
    await waitFor(() => page.evaluate(() => window.recinto.state === 'left'), 5_000, { message: 'left' });
    await page.close();
  });

  it('switches to English with ?lang=en, remembers it, and the selector switches back', async () => {
    const page = await chrome!.context.newPage();
    await open(page, '/?lang=en', 'home');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.getByRole('button', { name: 'Create meeting', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('en');
    expect(await page.getByText('Hello, Lucía Pérez.').isVisible()).toBe(true);

    // remembered without the query parameter, on another page
    await open(page, `/m/${meetingId}`, 'meeting');
    expect(await page.getByRole('button', { name: 'Join', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('status').textContent()).toMatch(/Camera and microphone only start/);

    // the selector switches back to Spanish at once, status message included
    await page.getByRole('combobox', { name: 'Language' }).selectOption('es');
    expect(await page.getByRole('button', { name: 'Unirse', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Idioma' }).count()).toBe(1);
    expect(await page.getByRole('status').textContent()).toMatch(/solo se activan al pulsar «Unirse»/);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
    expect(await deviceUse(page)).toMatchObject({ getUserMedia: 0, webSockets: 0 });
    await page.close();
  });
});
