/**
 * Firefox beside Chromium, in one run on one machine (real server, one mediasoup worker, Debian's
 * chromium and firefox-esr with fake devices, the SFU on a non-loopback address of this machine:
 * test/helpers/firefox.ts):
 * - what end-to-end encryption costs per frame inside each browser's transform Worker, in one
 *   Chromium ↔ Firefox call: Chromium encrypts what Firefox decrypts and the other way round
 *   (the Worker times each encrypt and decrypt call, as in e2ee-frames.bench.ts);
 * - join → first remote frame for a Firefox guest, and for a Chromium guest into the same kind of
 *   meeting (E2EE on), timed inside the page from the click on "Unirse" (bench/joins.ts).
 */
import type { StreamStats } from '../client/e2ee/frame-cryptor.ts';
import { ensureClientBuilt } from '../scripts/client-build.ts';
import { signedInBrowser, type SignedInBrowser } from '../test/helpers/browser.ts';
import { mediaAddress, openMeetingIn, signedInFirefox, type SignedInFirefox } from '../test/helpers/firefox.ts';
import { joinMeeting, pageE2ee, pageStats, type Evaluates } from '../test/helpers/page.ts';
import { OPEN_POLICY, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { CLICK_JOIN_AND_TIME, joins } from './joins.ts';
import { summary } from './stats.ts';

export const name = 'firefox';

const SECONDS = Number(process.env['BENCH_E2EE_SECONDS'] ?? 15);
const N = Number(process.env['BENCH_N'] ?? 5);

const videoFrames = async (page: Evaluates) => (await pageStats(page)).filter((s) => s.kind === 'video').reduce((t, s) => t + s.framesDecoded, 0);
const recent = (streams: StreamStats[], direction: 'send' | 'recv') =>
  streams.filter((s) => s.kind === 'video' && s.direction === direction).flatMap((s) => s.recentMs);

export async function run(): Promise<string[]> {
  await ensureClientBuilt();
  const server = await startTestServer({ log: { level: 'error' }, media: { listenIp: mediaAddress() } });
  const lines: string[] = [];
  let host: SignedInBrowser | undefined;
  let fox: SignedInFirefox | undefined;
  let other: SignedInBrowser | undefined;
  try {
    const [hostUser, foxUser, otherUser] = await Promise.all([
      server.createUser('anfitriona', { displayName: 'Anfitriona' }),
      server.createUser('zorro', { displayName: 'Zorro' }),
      server.createUser('cromo', { displayName: 'Cromo' }),
    ]);
    [host, fox] = await Promise.all([signedInBrowser(server, hostUser, 'chromium'), signedInFirefox(server, foxUser, 'firefox')]);

    // Per-frame encryption cost, both browsers in one call.
    const callId = server.createMeeting('Bench Firefox cifrado', { policy: OPEN_POLICY });
    await joinMeeting(host.page, server.url, callId);
    await openMeetingIn(fox.page, server.url, callId);
    await fox.page.evaluate(() => (document.getElementById('join-button') as HTMLButtonElement).click());
    await waitFor(async () => (await videoFrames(fox!.page)) > 30 && (await videoFrames(host!.page)) > 30, 30_000, { message: 'video both ways' });
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const [chromium, firefox] = await Promise.all([pageE2ee(host.page), pageE2ee(fox.page)]);
    if (!chromium || !firefox) throw new Error('no E2EE in the call');
    const widths = async (page: Evaluates) => Math.max(0, ...(await pageStats(page)).filter((s) => s.kind === 'video').map((s) => s.frameWidth));
    console.error(`#   Firefox receives ${await widths(fox.page)} px wide, Chromium receives ${await widths(host.page)} px wide`);
    lines.push(
      summary('e2ee_encrypt_ms_chromium', recent(chromium.streams, 'send'), 3),
      summary('e2ee_encrypt_ms_firefox', recent(firefox.streams, 'send'), 3),
      summary('e2ee_decrypt_ms_chromium', recent(chromium.streams, 'recv'), 3),
      summary('e2ee_decrypt_ms_firefox', recent(firefox.streams, 'recv'), 3),
    );
    await host.page.getByRole('button', { name: 'Salir' }).click();
    await fox.page.evaluate(() => (document.getElementById('leave-button') as HTMLButtonElement).click());

    // Join → first remote frame: a Firefox guest N times.
    const foxJoinId = server.createMeeting('Bench Firefox entra', { policy: OPEN_POLICY });
    await joinMeeting(host.page, server.url, foxJoinId);
    const toFrame: number[] = [];
    for (let i = 0; i < N; i++) {
      await openMeetingIn(fox.page, server.url, foxJoinId);
      const r = await fox.page.evaluate(CLICK_JOIN_AND_TIME);
      if ('error' in r) throw new Error(`Firefox join ${i + 1}/${N}: ${r.error}\n${fox.logs.slice(-20).join('\n')}`);
      toFrame.push(r.frame);
      console.error(`#   Firefox run ${i + 1}/${N}: joined ${Math.round(r.joined)} ms, first remote frame ${Math.round(r.frame)} ms`);
      await fox.page.evaluate(() => (document.getElementById('leave-button') as HTMLButtonElement).click());
      await waitFor(() => fox!.page.evaluate(() => window.recinto.state === 'left'), 5_000);
      await waitFor(async () => (await host!.page.getByRole('listitem', { name: 'Zorro' }).count()) === 0, 5_000, { message: 'Firefox gone at the host' });
    }
    await host.page.getByRole('button', { name: 'Salir' }).click();
    await fox.close();
    fox = undefined;
    lines.push(summary('firefox_join_to_first_remote_frame_ms', toFrame));

    // The same for a Chromium guest, same run, same machine.
    other = await signedInBrowser(server, otherUser, 'chromium-guest');
    const chromiumRuns = await joins(server.url, host, other, server.createMeeting('Bench Chromium entra', { policy: OPEN_POLICY }), 'Chromium', 'Cromo', N);
    lines.push(summary('chromium_join_to_first_remote_frame_ms', chromiumRuns.toFrame));
    return lines;
  } finally {
    await Promise.allSettled([host?.close(), fox?.close(), other?.close()]);
    await server.close();
  }
}
