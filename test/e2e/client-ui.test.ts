/**
 * The browser client before joining: nothing touches camera, microphone or the network until the
 * user presses "Unirse"; every control has an accessible name; `?lang=en` switches to English.
 * Needs no media server: client/dist is served from 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, serveClientDist, type LaunchedBrowser } from '../helpers/browser.ts';

let site: { url: string; close(): Promise<void> } | undefined;
let chrome: LaunchedBrowser | undefined;

/** Counts getUserMedia / enumerateDevices / WebSocket use from the first script on. */
const SPY = () => {
  const w = window as unknown as { __spy: { gum: number; enumerate: number; ws: number } };
  w.__spy = { gum: 0, enumerate: 0, ws: 0 };
  const md = navigator.mediaDevices;
  if (md) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = (c?: MediaStreamConstraints) => {
      w.__spy.gum++;
      return gum(c);
    };
    const en = md.enumerateDevices.bind(md);
    md.enumerateDevices = () => {
      w.__spy.enumerate++;
      return en();
    };
  }
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(url: string | URL, protocols?: string | string[]) {
      w.__spy.ws++;
      super(url, protocols);
    }
  };
};

async function newPage(): Promise<Page> {
  if (!chrome) throw new Error('no browser');
  const ctx = await chrome.browser.newContext({ ignoreHTTPSErrors: true });
  await ctx.addInitScript(SPY);
  return ctx.newPage();
}

const spy = (page: Page) => page.evaluate(() => (window as unknown as { __spy: { gum: number; enumerate: number; ws: number } }).__spy);

beforeAll(async () => {
  site = await serveClientDist();
  chrome = await launchBrowser({ label: 'ui' });
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await site?.close();
});

describe('client before joining', () => {
  it('starts idle, in Spanish, with no camera/microphone or socket use before the click', async () => {
    const page = await newPage();
    await page.goto(`${site!.url}/m/abc-def-ghi#token=not-a-real-token`);
    await page.waitForFunction(() => 'recinto' in window);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => window.recinto.state)).toBe('idle');
    expect(await page.evaluate(() => window.recinto.participantId)).toBeNull();
    expect(await spy(page)).toEqual({ gum: 0, enumerate: 0, ws: 0 });
    expect(await page.locator('#local-video').evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    await expect(page.getByRole('button', { name: 'Unirse', exact: true }).isVisible()).resolves.toBe(true);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
    // the token came in the fragment: no field asks for it
    expect(await page.getByRole('textbox', { name: 'Código de acceso' }).isVisible()).toBe(false);
    // the debug hook is read-only
    const writable = await page.evaluate(() => {
      try {
        (window as unknown as { recinto: unknown }).recinto = null;
      } catch {
        // strict-mode assignment may throw
      }
      return window.recinto !== null && Object.isFrozen(window.recinto);
    });
    expect(writable).toBe(true);
    await page.context().close();
  });

  it('gives every button, input and select a non-empty accessible name', async () => {
    const page = await newPage();
    await page.goto(`${site!.url}/m/abc-def-ghi`); // no token: the token field is shown too
    await page.waitForFunction(() => 'recinto' in window);
    expect(await page.getByRole('textbox', { name: 'Código de acceso' }).isVisible()).toBe(true);
    // Reveal the in-call view as well, so its controls are checked without joining.
    await page.evaluate(() => {
      for (const n of document.querySelectorAll('[hidden]')) n.removeAttribute('hidden');
    });
    const controls = await page.locator('button, input, select, textarea').evaluateAll((els) =>
      els.map((e) => ({ id: e.id, tag: e.tagName.toLowerCase(), type: (e as HTMLInputElement).type })),
    );
    expect(controls.length).toBeGreaterThanOrEqual(7);
    const unnamed: string[] = [];
    for (const c of controls) {
      expect(c.id, `control without id: ${JSON.stringify(c)}`).not.toBe('');
      const role = c.tag === 'button' ? 'button' : c.tag === 'select' ? 'combobox' : 'textbox';
      const named = page.getByRole(role, { name: /\S/ }).and(page.locator(`#${c.id}`));
      if ((await named.count()) !== 1) unnamed.push(`${c.tag}#${c.id}`);
    }
    expect(unnamed).toEqual([]);
    // the remote grid is a labelled list; status messages go to a live region
    expect(await page.getByRole('list', { name: 'Participantes' }).count()).toBe(1);
    expect(await page.locator('[aria-live="polite"]').count()).toBeGreaterThanOrEqual(1);
    expect(await spy(page)).toMatchObject({ gum: 0, ws: 0 });
    await page.context().close();
  });

  it('asks for the access code instead of starting the camera when none is given', async () => {
    const page = await newPage();
    await page.goto(`${site!.url}/m/abc-def-ghi`);
    await page.waitForFunction(() => 'recinto' in window);
    await page.getByRole('button', { name: 'Unirse' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Falta el código de acceso');
    expect(await spy(page)).toMatchObject({ gum: 0, ws: 0 });
    expect(await page.evaluate(() => window.recinto.state)).toBe('idle');
    await page.context().close();
  });

  it('switches to English with ?lang=en, remembers it, and the selector switches back', async () => {
    const page = await newPage();
    await page.goto(`${site!.url}/m/abc-def-ghi?lang=en#token=x`);
    await page.waitForFunction(() => 'recinto' in window);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.getByRole('button', { name: 'Join', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Unirse' }).count()).toBe(0);
    expect(await page.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('en');
    expect(await page.getByRole('textbox', { name: 'Your name (optional)' }).isVisible()).toBe(true);
    expect(await page.getByRole('status').textContent()).toMatch(/Camera and microphone only start/);

    // remembered without the query parameter
    await page.goto(`${site!.url}/m/abc-def-ghi#token=x`);
    await page.waitForFunction(() => 'recinto' in window);
    expect(await page.getByRole('button', { name: 'Join', exact: true }).isVisible()).toBe(true);

    // the selector switches back to Spanish at once
    await page.getByRole('combobox', { name: 'Language' }).selectOption('es');
    expect(await page.getByRole('button', { name: 'Unirse', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Idioma' }).count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
    expect(await spy(page)).toMatchObject({ gum: 0, ws: 0 });
    await page.context().close();
  });
});
