/**
 * Join latency as a user feels it: one participant stays in the meeting; a second browser joins
 * N times (page reload + click on "Unirse" each time). Measured inside the page from the click to
 * the first decoded remote video frame (`framesDecoded > 0` in `window.recinto.stats()`, polled
 * every 20 ms), and from the click to state 'joined'. Real server, one real mediasoup worker,
 * two Chromium processes with fake camera/microphone, all on this machine. Both are signed in
 * through the API (session cookie set in the browser), so sign-in is not part of the figure.
 * Run twice in the same process: in an end-to-end encrypted meeting (the default, and the figure
 * `join_to_first_remote_frame_ms`) and in one without E2EE (allowed here by configuration), so the
 * ratio shows what E2EE (key generation, announcement and exchange, transforms) adds to a join.
 */
import { signedInBrowser, type SignedInBrowser } from '../test/helpers/browser.ts';
import { ensureClientBuilt } from '../scripts/client-build.ts';
import { joinMeeting } from '../test/helpers/page.ts';
import { OPEN_POLICY, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { median, summary } from './stats.ts';

export const name = 'join_to_first_remote_frame';

const N = Number(process.env['BENCH_N'] ?? 10);

export async function run(): Promise<string[]> {
  await ensureClientBuilt();
  const server = await startTestServer({ log: { level: 'error' }, meetings: { e2eeRequired: false } });
  let host: SignedInBrowser | undefined;
  let guest: SignedInBrowser | undefined;
  try {
    const users = await Promise.all([
      server.createUser('anfitriona', { displayName: 'Anfitriona' }),
      server.createUser('invitado', { displayName: 'Invitado' }),
    ]);
    [host, guest] = await Promise.all([signedInBrowser(server, users[0], 'host'), signedInBrowser(server, users[1], 'guest')]);
    const on = await joins(server.url, host, guest, server.createMeeting('Bench E2EE', { policy: OPEN_POLICY }), 'E2EE on');
    const off = await joins(server.url, host, guest, server.createMeeting('Bench sin E2EE', { policy: { ...OPEN_POLICY, e2ee: false } }), 'E2EE off');
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    return [
      summary('join_to_first_remote_frame_ms', on.toFrame),
      summary('join_to_joined_ms', on.toJoined),
      summary('join_to_first_remote_frame_e2ee_off_ms', off.toFrame),
      `join_to_first_remote_frame_e2ee_on_off_ratio: ${(median(sorted(on.toFrame)) / median(sorted(off.toFrame))).toFixed(2)} x`,
    ];
  } finally {
    await Promise.allSettled([host?.close(), guest?.close()]);
    await server.close();
  }
}

/** The host joins `meetingId`; the guest joins N times. */
async function joins(
  url: string,
  host: SignedInBrowser,
  guest: SignedInBrowser,
  meetingId: string,
  label: string,
): Promise<{ toFrame: number[]; toJoined: number[] }> {
  const hp = host.page;
  await joinMeeting(hp, url, meetingId);

  const gp = guest.page;
  const toFrame: number[] = [];
  const toJoined: number[] = [];
  for (let i = 0; i < N; i++) {
    if (i === 0) await gp.goto(`${url}/m/${meetingId}`);
    else await gp.reload();
    await gp.getByRole('button', { name: 'Unirse' }).waitFor({ state: 'visible' });
    const r = await gp.evaluate(async () => {
      const button = document.getElementById('join-button') as HTMLButtonElement;
      const t0 = performance.now();
      button.click();
      let joinedAt = NaN;
      for (;;) {
        const { state, errorCode } = window.recinto;
        if (state === 'error') return { error: String(errorCode) };
        if (state === 'joined' && Number.isNaN(joinedAt)) joinedAt = performance.now() - t0;
        if (state === 'joined') {
          const stats = await window.recinto.stats();
          if (stats.some((s) => s.kind === 'video' && s.framesDecoded > 0)) {
            return { frame: performance.now() - t0, joined: joinedAt };
          }
        }
        if (performance.now() - t0 > 30_000) return { error: 'no remote frame within 30 s' };
        await new Promise((res) => setTimeout(res, 20));
      }
    });
    if ('error' in r) throw new Error(`guest join ${i + 1}/${N} (${label}): ${r.error}\n${guest.logs.slice(-20).join('\n')}`);
    toFrame.push(r.frame);
    toJoined.push(r.joined);
    console.error(`#   ${label} run ${i + 1}/${N}: joined ${Math.round(r.joined)} ms, first remote frame ${Math.round(r.frame)} ms`);
    // Leave cleanly so the host sees the guest go before the next join.
    await gp.getByRole('button', { name: 'Salir' }).click();
    await waitFor(() => gp.evaluate(() => window.recinto.state === 'left'), 5_000);
    await waitFor(async () => (await hp.getByRole('listitem', { name: 'Invitado' }).count()) === 0, 5_000);
  }
  await hp.getByRole('button', { name: 'Salir' }).click();
  await waitFor(() => hp.evaluate(() => window.recinto.state === 'left'), 5_000);
  return { toFrame, toJoined };
}
