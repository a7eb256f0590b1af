/**
 * TURN in a real browser on a locked-down network: a Chromium inside a network namespace that can
 * reach one address only — where Recinto's HTTPS and coturn listen, not the SFU's media ports on
 * the host's loopback — joins an end-to-end encrypted meeting, decodes the other participant's
 * video and is heard, and its transports' selected candidate pairs are `relay`: the media went
 * through coturn, configured by `recinto turn config`'s settings, with the credentials the server
 * handed out. The other participant, on the host, reaches the SFU directly.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { signedInBrowser, type LaunchedBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { growth, joinMeeting, screenshot } from '../helpers/page.ts';
import { startRelayNetwork, type RelayNetwork } from '../helpers/relay-network.ts';
import { OPEN_POLICY } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

let net: RelayNetwork | undefined;
let ana: SignedInBrowser | undefined;
let inside: LaunchedBrowser | undefined;

type Route = { direction: string; localCandidateType: string | null; protocol: string | null };
const routes = (b: LaunchedBrowser) => b.page.evaluate(() => window.recinto.iceRoutes()) as Promise<Route[]>;

beforeAll(async () => {
  net = await startRelayNetwork();
  const [anaUser, bea] = await Promise.all([net.server.createUser('ana', { displayName: 'Ana' }), net.server.createUser('bea', { displayName: 'Bea' })]);
  [ana, inside] = await Promise.all([signedInBrowser(net.server, anaUser), net.insideBrowser(bea)]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([ana?.close(), inside?.close()]);
  await net?.close();
}, 30_000);

describe('TURN relay, in a network namespace that reaches only the relay', () => {
  it('joins, decodes and is decoded through coturn, on relay candidates only', async () => {
    onTestFailed(() => console.log([...(ana?.logs ?? []), ...(inside?.logs ?? []), net?.coturn.output() ?? ''].join('\n')));
    const meetingId = net!.server.createMeeting('Red cerrada', { policy: OPEN_POLICY });
    const anaId = await joinMeeting(ana!.page, net!.server.url, meetingId);
    const started = Date.now();
    const beaId = await joinMeeting(inside!.page, net!.server.url, meetingId);
    // Bea decodes Ana's video, and Ana decodes Bea's: media both ways through the relay.
    await waitFor(async () => (await growth(inside!.page, anaId, 'video', 'framesDecoded', 500)) > 0, 20_000, { message: "Bea decodes Ana's video" });
    console.log(`join to first remote frame through TURN: ${Date.now() - started} ms`);
    await waitFor(async () => (await growth(ana!.page, beaId, 'video', 'framesDecoded', 500)) > 0, 15_000, { message: "Ana decodes Bea's video" });
    expect(await growth(ana!.page, beaId, 'audio', 'audioEnergy', 1000)).toBeGreaterThan(0);
    const beaRoutes = await routes(inside!);
    expect(beaRoutes).toHaveLength(2);
    for (const r of beaRoutes) expect(r, r.direction).toMatchObject({ localCandidateType: 'relay' });
    // Ana, on the host, reaches the SFU directly.
    for (const r of await routes(ana!)) expect(r.localCandidateType, r.direction).toBe('host');
    await screenshot(inside!.page, 'turn-relay');
  }, 90_000);
});
