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
import { OPEN_POLICY, startTestServer } from '../test/helpers/server.ts';
import { joins } from './joins.ts';
import { median, summary } from './stats.ts';

export const name = 'join_to_first_remote_frame';

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
    const on = await joins(server.url, host, guest, server.createMeeting('Bench E2EE', { policy: OPEN_POLICY }), 'E2EE on', 'Invitado');
    const off = await joins(
      server.url,
      host,
      guest,
      server.createMeeting('Bench sin E2EE', { policy: { ...OPEN_POLICY, e2ee: false } }),
      'E2EE off',
      'Invitado',
    );
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
