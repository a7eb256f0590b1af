/**
 * Reading and driving a Recinto page in the browser tests and benches: its debug hook, its alert,
 * screenshots. What only reads the debug hook takes any page that evaluates a function (a
 * Playwright page of Chromium or a Puppeteer page of Firefox, test/helpers/firefox.ts).
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { deviceUse } from './browser.ts';
import { waitFor } from './wait.ts';

/** Where browser tests save screenshots (git-ignored). */
export const E2E_OUT_DIR = 'test-output/e2e';
mkdirSync(E2E_OUT_DIR, { recursive: true });

export type Stat = {
  participantId: string;
  producerId: string;
  kind: 'audio' | 'video';
  framesDecoded: number;
  bytesReceived: number;
  packetsReceived: number;
  frameWidth: number;
  audioEnergy: number;
};
/** The numeric fields of a `Stat`: 'framesDecoded', 'packetsReceived', 'audioEnergy', … */
export type StatKey = { [K in keyof Stat]: Stat[K] extends number ? K : never }[keyof Stat];

/** A page of either driver, as far as running a function in it goes. */
export interface Evaluates {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

export const pageInfo = (page: Evaluates) =>
  page.evaluate(() => ({ state: window.recinto.state, errorCode: window.recinto.errorCode, id: window.recinto.participantId }));
export const pageStats = (page: Evaluates) => page.evaluate(() => window.recinto.stats()) as Promise<Stat[]>;
export const screenshot = (page: Page, name: string) => page.screenshot({ path: `${E2E_OUT_DIR}/${name}.png`, fullPage: true });
export const alertText = async (page: Page) => (await page.getByRole('alert').textContent()) ?? '';

/** The end-to-end encryption of the page's call as its debug hook shows it (streams and counters, never keys), or null. */
export type E2eeView = NonNullable<Awaited<ReturnType<Window['recinto']['e2ee']>>>;
export const pageE2ee = (page: Evaluates) => page.evaluate(() => window.recinto.e2ee()) as Promise<E2eeView | null>;

/** The producer of `from`'s `kind` as `page` consumes it. */
export async function producerOf(page: Evaluates, from: string, kind: 'audio' | 'video'): Promise<string> {
  return waitFor(async () => (await pageStats(page)).find((s) => s.participantId === from && s.kind === kind)?.producerId, 10_000, {
    message: `a ${kind} consumer of ${from}`,
  });
}

/** The sum of `key` over `stats`' consumers of `from`'s `kind`. */
export function received(stats: Stat[], from: string, kind: 'audio' | 'video', key: StatKey): number {
  return stats.filter((s) => s.participantId === from && s.kind === kind).reduce((a, s) => a + s[key], 0);
}

/** How much `key` of `from`'s `kind` grows at `page` over `ms`. */
export async function growth(page: Evaluates, from: string, kind: 'audio' | 'video', key: StatKey, ms: number): Promise<number> {
  const before = received(await pageStats(page), from, kind, key);
  await new Promise((r) => setTimeout(r, ms));
  return received(await pageStats(page), from, kind, key) - before;
}

/**
 * Waits for the call `state`. An unexpected error state is reported with its code (as the last
 * error of the wait, which `waitFor` retries until `timeoutMs`).
 */
export async function waitState(page: Evaluates, state: string, timeoutMs = 20_000): Promise<{ state: string; errorCode: string | null; id: string | null }> {
  return waitFor(
    async () => {
      const s = await pageInfo(page);
      if (s.state === 'error' && state !== 'error') throw new Error(`error state: ${s.errorCode}`);
      return s.state === state ? s : null;
    },
    timeoutMs,
    { message: `state ${state}`, intervalMs: 100 },
  );
}

/** Opens the meeting page and waits until it shows the meeting (not yet joined). */
export async function openMeeting(page: Page, serverUrl: string, meetingId: string): Promise<void> {
  await page.goto(`${serverUrl}/m/${meetingId}`);
  await page.waitForFunction(() => window.recinto?.view === 'meeting', null, { timeout: 10_000 });
}

/** Opens the meeting page, clicks "Unirse" and waits until inside; the participant id. */
export async function joinMeeting(page: Page, serverUrl: string, meetingId: string): Promise<string> {
  await openMeeting(page, serverUrl, meetingId);
  await page.getByRole('button', { name: 'Unirse' }).click();
  const { id } = await waitState(page, 'joined');
  return id!;
}

/** The host menu of one participant, opened. */
export async function hostMenu(page: Page, name: string): Promise<void> {
  const toggle = page.getByRole('button', { name: `Acciones para ${name}`, exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

/**
 * Waits until the page holds no open peer connection and no live camera/microphone/screen track
 * (needs `spyOnDevicesAndSockets` on its context).
 */
export async function mediaReleased(page: Page, timeoutMs = 3_000, message = 'transports closed and camera/microphone stopped'): Promise<void> {
  await waitFor(
    async () => {
      const use = await deviceUse(page);
      return use.openPeerConnections === 0 && use.liveTracks === 0;
    },
    timeoutMs,
    { message, intervalMs: 50 },
  );
}
