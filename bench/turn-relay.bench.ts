/**
 * Joining through TURN against joining directly, side by side in one run: a host in the meeting
 * (on the host network), then a browser inside a network namespace that reaches only the relay
 * (test/helpers/relay-network.ts: Recinto's HTTPS and a real coturn on one address, the SFU out of
 * reach) joins N times, and a browser on the host network joins N times. Click → first decoded
 * remote video frame, end-to-end encrypted meeting. Needs root (ip netns) and Debian's coturn.
 */
import { ensureClientBuilt } from '../scripts/client-build.ts';
import { signedInBrowser, type LaunchedBrowser } from '../test/helpers/browser.ts';
import { startRelayNetwork } from '../test/helpers/relay-network.ts';
import { OPEN_POLICY } from '../test/helpers/server.ts';
import { joins } from './joins.ts';
import { median, summary } from './stats.ts';

export const name = 'turn_relay_join';

const N = Number(process.env['BENCH_N'] ?? 5);

export async function run(): Promise<string[]> {
  await ensureClientBuilt();
  const net = await startRelayNetwork({ log: { level: 'error' } });
  const browsers: LaunchedBrowser[] = [];
  try {
    const server = net.server;
    const [hostUser, relayed, direct] = await Promise.all([
      server.createUser('anfitriona', { displayName: 'Anfitriona' }),
      server.createUser('remota', { displayName: 'Remota' }),
      server.createUser('local', { displayName: 'Local' }),
    ]);
    const [host, inside, outside] = await Promise.all([
      signedInBrowser(server, hostUser, 'host'),
      net.insideBrowser(relayed),
      signedInBrowser(server, direct, 'direct'),
    ]);
    browsers.push(host, inside, outside);
    const relay = await joins(server.url, host, inside, server.createMeeting('Bench TURN', { policy: OPEN_POLICY }), 'through TURN', 'Remota', N);
    const straight = await joins(server.url, host, outside, server.createMeeting('Bench directo', { policy: OPEN_POLICY }), 'direct', 'Local', N);
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    return [
      summary('turn_relay_join_ms', relay.toFrame),
      summary('direct_join_ms', straight.toFrame),
      `turn_relay_join_over_direct_ratio: ${(median(sorted(relay.toFrame)) / median(sorted(straight.toFrame))).toFixed(2)} x`,
    ];
  } finally {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await net.close();
  }
}
