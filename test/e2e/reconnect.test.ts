/**
 * The media worker under a meeting dies: the server sends `reconnect`, and both browsers leave and
 * join again on their own (once), with media flowing again, without anyone clicking anything.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { signedInBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { pageInfo, pageStats } from '../helpers/page.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

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
});
