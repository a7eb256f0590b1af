/** Reading a Recinto page in the browser tests: its debug hook, its alert, screenshots. */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { waitFor } from './wait.ts';

/** Where browser tests save screenshots (git-ignored). */
export const E2E_OUT_DIR = 'test-output/e2e';
mkdirSync(E2E_OUT_DIR, { recursive: true });

export type Stat = { participantId: string; producerId: string; kind: 'audio' | 'video'; framesDecoded: number; bytesReceived: number; packetsReceived: number; frameWidth: number; audioEnergy: number };

export const pageInfo = (page: Page) =>
  page.evaluate(() => ({ state: window.recinto.state, errorCode: window.recinto.errorCode, id: window.recinto.participantId }));
export const pageStats = (page: Page) => page.evaluate(() => window.recinto.stats()) as Promise<Stat[]>;
export const screenshot = (page: Page, name: string) => page.screenshot({ path: `${E2E_OUT_DIR}/${name}.png`, fullPage: true });
export const alertText = async (page: Page) => (await page.getByRole('alert').textContent()) ?? '';

/** Waits for the call `state`; an unexpected error state fails at once with its code. */
export async function waitState(page: Page, state: string, timeoutMs = 20_000): Promise<{ state: string; errorCode: string | null; id: string | null }> {
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

/** Opens the meeting page, clicks "Unirse" and waits until inside; the participant id. */
export async function joinMeeting(page: Page, serverUrl: string, meetingId: string): Promise<string> {
  await page.goto(`${serverUrl}/m/${meetingId}`);
  await page.waitForFunction(() => window.recinto?.view === 'meeting', null, { timeout: 10_000 });
  await page.getByRole('button', { name: 'Unirse' }).click();
  const { id } = await waitState(page, 'joined');
  return id!;
}
