/**
 * From a host's "admit" to the admitted person's first decoded remote video frame: the host sits
 * in a meeting with the waiting room on; a second browser joins N times, waits, and is admitted
 * by the host's click. Both pages read the same system clock (two Chromium processes on this
 * machine): t0 at the host's click, t1 when the waiting page's `framesDecoded` first rises.
 */
import { signedInBrowser, type SignedInBrowser } from '../test/helpers/browser.ts';
import { ensureClientBuilt } from '../scripts/client-build.ts';
import { joinMeeting } from '../test/helpers/page.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { summary } from './stats.ts';

export const name = 'lobby_admit_to_first_frame';

const N = Number(process.env['BENCH_N'] ?? 10);

export async function run(): Promise<string[]> {
  await ensureClientBuilt();
  const server = await startTestServer({ log: { level: 'error' } });
  let host: SignedInBrowser | undefined;
  let visitor: SignedInBrowser | undefined;
  try {
    const [hostUser, visitorUser] = await Promise.all([
      server.createUser('anfitriona', { displayName: 'Anfitriona' }),
      server.createUser('visitante', { displayName: 'Visitante' }),
    ]);
    [host, visitor] = await Promise.all([signedInBrowser(server, hostUser, 'host'), signedInBrowser(server, visitorUser, 'visitor')]);
    const meetingId = server.createMeeting('Sala de espera', { ownerId: hostUser.id, policy: { muteOnEntry: false } });

    const hp = host.page;
    await joinMeeting(hp, server.url, meetingId);

    const vp = visitor.page;
    const admitToFrame: number[] = [];
    for (let i = 0; i < N; i++) {
      if (i === 0) await vp.goto(`${server.url}/m/${meetingId}`);
      else await vp.reload();
      await vp.getByRole('button', { name: 'Unirse' }).click();
      await waitFor(() => vp.evaluate(() => window.recinto.state === 'waiting'), 10_000);
      const admit = hp.getByRole('button', { name: 'Admitir a Visitante', exact: true });
      await admit.waitFor({ state: 'visible', timeout: 10_000 });
      const firstFrame = vp.evaluate(async () => {
        for (;;) {
          if (window.recinto.state === 'joined' && (await window.recinto.stats()).some((s) => s.kind === 'video' && s.framesDecoded > 0)) return Date.now();
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      const t0 = await hp.evaluate(() => {
        const at = Date.now();
        const button = [...document.querySelectorAll('button')].find(
          (b) => b.getAttribute('aria-label') === 'Admitir a Visitante' || b.textContent === 'Admitir a Visitante',
        );
        button?.click();
        return at;
      });
      const t1 = await Promise.race([firstFrame, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no frame within 30 s')), 30_000))]);
      admitToFrame.push(t1 - t0);
      console.error(`#   run ${i + 1}/${N}: admit to first frame ${t1 - t0} ms`);
      await vp.getByRole('button', { name: 'Salir' }).click();
      await waitFor(() => vp.evaluate(() => window.recinto.state === 'left'), 5_000);
    }
    return [summary('lobby_admit_to_first_frame_ms', admitToFrame)];
  } finally {
    await Promise.allSettled([host?.close(), visitor?.close()]);
    await server.close();
  }
}
