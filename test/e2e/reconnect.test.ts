/**
 * The media worker under a meeting dies: the server sends `reconnect`, and both browsers leave and
 * join again on their own (once), with media flowing again, without anyone clicking anything.
 * A browser's connection is lost (its socket closed under it): it says so, comes back on its own,
 * straight into the meeting it had been admitted to (past the waiting room), and media flows again.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { signedInBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { pageInfo, pageStats } from '../helpers/page.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { es } from '../../client/src/i18n/es.ts';

let server: TestServer | undefined;
let one: SignedInBrowser | undefined;
let two: SignedInBrowser | undefined;

beforeAll(async () => {
  server = await startTestServer();
  const users = await Promise.all([server.createUser('uno', { displayName: 'Uno' }), server.createUser('dos', { displayName: 'Dos' })]);
  [one, two] = await Promise.all([signedInBrowser(server, users[0]), signedInBrowser(server, users[1])]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([one?.close(), two?.close()]);
  await server?.close();
}, 30_000);

/** Resolves once this page decodes video from some other participant (and returns its own id). */
async function decoding(page: Page): Promise<string> {
  return waitFor(
    async () => {
      const s = await pageInfo(page);
      if (s.state === 'error') throw new Error(`error state: ${s.errorCode}`);
      if (s.state !== 'joined' || !s.id) return null;
      const stats = await pageStats(page);
      return stats.some((x) => x.kind === 'video' && x.framesDecoded > 0) ? s.id : null;
    },
    20_000,
    { message: 'decoding remote video', intervalMs: 100 },
  );
}

describe('media worker failure', () => {
  it('both participants re-join automatically and media flows again', async () => {
    onTestFailed(() => console.log([...(one?.logs ?? []), ...(two?.logs ?? [])].join('\n')));
    const meetingId = server!.createMeeting('Reconexión', { policy: OPEN_POLICY });
    for (const b of [one!, two!]) {
      await b.page.goto(`${server!.url}/m/${meetingId}`);
      await b.page.getByRole('button', { name: 'Unirse' }).click();
    }
    const before = await Promise.all([decoding(one!.page), decoding(two!.page)]);

    const worker = server!.recinto.pool.slots[0]!.worker;
    process.kill(worker.pid, 'SIGKILL');

    // Each client goes through 'joining' again and ends up decoding the other with a new identity.
    await waitFor(async () => (await pageInfo(one!.page)).id !== before[0] && (await pageInfo(two!.page)).id !== before[1], 10_000, {
      message: 'both re-joined with new participant ids',
    });
    const after = await Promise.all([decoding(one!.page), decoding(two!.page)]);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    // Exactly one tile each: the old identity's tile was removed.
    for (const b of [one!, two!]) {
      expect(await b.page.getByRole('list', { name: 'Vídeos' }).getByRole('listitem').count()).toBe(1);
    }
  }, 60_000);

  it('a lost connection: the browser says so, comes back in by itself, past the waiting room, with media', async () => {
    onTestFailed(() => console.log([...(one?.logs ?? []), ...(two?.logs ?? [])].join('\n')));
    const uno = server!.recinto.auth.accounts.byUsername('uno')!;
    const dos = server!.recinto.auth.accounts.byUsername('dos')!;
    const meetingId = server!.createMeeting('Red inestable', { ownerId: uno.id, policy: { ...OPEN_POLICY, waitingRoom: true } });
    await one!.page.goto(`${server!.url}/m/${meetingId}`);
    await one!.page.getByRole('button', { name: 'Unirse' }).click();
    await decodingNone(one!.page);
    await two!.page.goto(`${server!.url}/m/${meetingId}`);
    await two!.page.getByRole('button', { name: 'Unirse' }).click();
    await waitFor(async () => (await pageInfo(two!.page)).state === 'waiting', 10_000, { message: 'Dos waits' });
    await one!.page.getByRole('button', { name: 'Admitir a Dos' }).click();
    const before = await decoding(two!.page);

    // Every text the alert region shows from now on (the "lost" line may be replaced within a second).
    await two!.page.evaluate(() => {
      const region = document.querySelector('[role="alert"]')!;
      const seen: string[] = [];
      (window as unknown as { __alerts: string[] }).__alerts = seen;
      new MutationObserver(() => seen.push(region.textContent ?? '')).observe(region, { childList: true, subtree: true, characterData: true });
    });
    const alerts = () => two!.page.evaluate(() => (window as unknown as { __alerts: string[] }).__alerts);

    // The network goes: Dos's signalling socket is closed under it.
    const started = Date.now();
    for (const c of server!.recinto.connections) if (c.account.id === dos.id) c.close(1011, 'network lost (test)');
    await waitFor(async () => (await alerts()).some((t) => t.includes(es.statusConnectionLost)), 5_000, { message: 'Dos is told the connection was lost' });
    // Back by itself, inside (not in the waiting room again), decoding Uno.
    await waitFor(async () => (await pageInfo(two!.page)).id !== before, 10_000, { message: 'Dos re-joined' });
    const after = await decoding(two!.page);
    expect(after).not.toBe(before);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await two!.page.getByRole('alert').textContent()).toContain(es.statusConnectionBack);
  }, 60_000);
});

/** Inside the meeting (alone: nobody to decode yet). */
async function decodingNone(page: Page): Promise<void> {
  await waitFor(async () => (await pageInfo(page)).state === 'joined', 20_000, { message: 'inside' });
}
