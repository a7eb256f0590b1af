/**
 * Two real Chromium processes, each signed in as its own account, join one meeting on the real
 * server (one real mediasoup worker) and must decode each other's video and receive each other's
 * audio; then one leaves and the other's tile for it disappears. Without a session nobody reaches
 * a call (the link offers the guest form or sign-in), and a session ended on the server ends the
 * call at once. Screenshots: test-output/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { deviceUse, signedInBrowser, spyOnDevicesAndSockets, type SignedInBrowser } from '../helpers/browser.ts';
import { alertText, mediaReleased, pageInfo, pageStats, received, screenshot, waitState } from '../helpers/page.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

let server: TestServer | undefined;
let ana: SignedInBrowser | undefined;
let bruno: SignedInBrowser | undefined;

beforeAll(async () => {
  server = await startTestServer();
  const users = await Promise.all([server.createUser('ana', { displayName: 'Ana' }), server.createUser('bruno', { displayName: 'Bruno Díaz' })]);
  [ana, bruno] = await Promise.all([signedInBrowser(server, users[0]), signedInBrowser(server, users[1])]);
  await Promise.all([spyOnDevicesAndSockets(ana.context), spyOnDevicesAndSockets(bruno.context)]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([ana?.close(), bruno?.close()]);
  await server?.close();
}, 30_000);

describe('two browsers in one meeting', () => {
  it('see and hear each other, and a leave removes the tile', async () => {
    onTestFailed(() => {
      console.log([...(ana?.logs ?? []), ...(bruno?.logs ?? [])].join('\n'));
    });
    const meetingId = server!.createMeeting('Prueba e2e', { policy: OPEN_POLICY });
    const pa = ana!.page;
    const pb = bruno!.page;
    await Promise.all([pa.goto(`${server!.url}/m/${meetingId}`), pb.goto(`${server!.url}/m/${meetingId}`)]);
    expect(await pageInfo(pa)).toMatchObject({ state: 'idle' });

    await pa.getByRole('button', { name: 'Unirse' }).click();
    const idAna = (await waitState(pa, 'joined')).id!;
    await pb.getByRole('button', { name: 'Unirse' }).click();
    const idBruno = (await waitState(pb, 'joined')).id!;
    expect(idAna).not.toBe(idBruno);

    // Each sees a tile labelled with the other's account name, in the participants list.
    const tileOfBruno = pa.getByRole('list', { name: 'Vídeos' }).getByRole('listitem', { name: 'Bruno Díaz' });
    const tileOfAna = pb.getByRole('list', { name: 'Vídeos' }).getByRole('listitem', { name: 'Ana' });
    await waitFor(async () => (await tileOfBruno.count()) === 1 && (await tileOfAna.count()) === 1, 10_000, { message: 'remote tiles' });

    // Media flows both ways: video frames decoded, audio packets received, both rising.
    await waitFor(
      async () => received(await pageStats(pa), idBruno, 'video', 'framesDecoded') > 0 && received(await pageStats(pb), idAna, 'video', 'framesDecoded') > 0,
      15_000,
      { message: 'first decoded frames', intervalMs: 100 },
    );
    // Both keep flowing: 20 more frames (≈0.7 s of the fake camera) and 50 more audio packets
    // (1 s) within 6 s. On two loaded cores a sender may drop its top simulcast layer, and the SFU
    // notices a layer gone quiet only after 1.5 s and then waits for a key frame of another: a
    // short freeze, not a broken call. What each page received is kept, to tell which it was.
    const [a1, b1] = await Promise.all([pageStats(pa), pageStats(pb)]);
    const series: string[] = [];
    const grown = async () => {
      const [a2, b2] = await Promise.all([pageStats(pa), pageStats(pb)]);
      const more = (s1: typeof a1, s2: typeof a1, from: string) => ({
        frames: received(s2, from, 'video', 'framesDecoded') - received(s1, from, 'video', 'framesDecoded'),
        audio: received(s2, from, 'audio', 'packetsReceived') - received(s1, from, 'audio', 'packetsReceived'),
        width: received(s2, from, 'video', 'frameWidth'),
      });
      const seen = { Ana: more(a1, a2, idBruno), Bruno: more(b1, b2, idAna) };
      series.push(JSON.stringify(seen));
      return Object.values(seen).every((m) => m.frames > 20 && m.audio > 50) ? ([a2, b2] as const) : null;
    };
    const [a2, b2] = await waitFor(grown, 6_000, { intervalMs: 250, message: 'more frames and audio on both pages' }).catch((err: Error) => {
      throw new Error(`${err.message}; received since the first frames: ${series.join(' ')}`);
    });
    for (const [s2, from] of [
      [a2, idBruno],
      [b2, idAna],
    ] as const) {
      expect(
        s2
          .filter((s) => s.participantId === from)
          .map((s) => s.kind)
          .sort(),
      ).toEqual(['audio', 'video']);
    }
    for (const tile of [tileOfBruno, tileOfAna]) {
      const video = tile.locator('video');
      await waitFor(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth > 0), 5_000, { message: 'remote videoWidth' });
      expect(await tile.locator('audio').count()).toBe(1);
    }

    await Promise.all([screenshot(pa, 'ana'), screenshot(pb, 'bruno')]);

    // Own mic/camera toggles: the button's accessible name says what pressing it will do.
    await pa.getByRole('button', { name: 'Silenciar micrófono' }).click();
    await pa.getByRole('button', { name: 'Activar micrófono' }).click();
    await pa.getByRole('button', { name: 'Apagar cámara' }).click();
    expect(await pa.locator('#local-video').evaluate((v: HTMLVideoElement) => (v.srcObject as MediaStream).getVideoTracks()[0]?.enabled)).toBe(false);
    await pa.getByRole('button', { name: 'Encender cámara' }).click();
    expect(await pa.getByRole('button', { name: 'Silenciar micrófono' }).count()).toBe(1);

    // Bruno leaves: his tile disappears from Ana's page, his camera stops.
    await pb.getByRole('button', { name: 'Salir' }).click();
    await waitFor(async () => (await pageInfo(pb)).state === 'left', 5_000, { message: 'Bruno left' });
    await waitFor(async () => (await tileOfBruno.count()) === 0, 10_000, { message: "Bruno's tile gone" });
    expect(await pb.locator('#local-video').evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    expect(await pageInfo(pa)).toMatchObject({ state: 'joined' });
    expect(await pa.getByRole('list', { name: 'Vídeos' }).getByRole('listitem').count()).toBe(0);
  }, 60_000);

  it('offers a browser without a session the guest form or sign-in on the meeting link, without starting the camera', async () => {
    const meetingId = server!.createMeeting('Sin sesión', { policy: OPEN_POLICY });
    const context = await ana!.browser.newContext({ ignoreHTTPSErrors: true });
    await spyOnDevicesAndSockets(context);
    const page = await context.newPage();
    await page.goto(`${server!.url}/m/${meetingId}`);
    await page.waitForFunction(() => window.recinto?.view === 'meeting');
    // No call without a session: only the guest form (name and meeting password) or signing in.
    expect(await page.getByRole('heading', { name: 'Entrar como invitado' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Salir' }).count()).toBe(0);
    expect(await deviceUse(page)).toMatchObject({ getUserMedia: 0, webSockets: 0, peerConnections: 0 });
    await page.getByRole('link', { name: 'Soy del personal: iniciar sesión' }).click();
    await page.waitForURL(`${server!.url}/login?next=${encodeURIComponent(`/m/${meetingId}`)}`, { timeout: 10_000 });
    await page.waitForFunction(() => window.recinto?.view === 'login');
    expect(await page.getByRole('button', { name: 'Unirse' }).count()).toBe(0);
    expect(await deviceUse(page)).toMatchObject({ getUserMedia: 0, webSockets: 0, peerConnections: 0 });
    await context.close();
  }, 30_000);

  it('stops the call within 2 s when the session is ended on the server, and offers to sign in again', async () => {
    onTestFailed(() => console.log([...(ana?.logs ?? []), ...(bruno?.logs ?? [])].join('\n')));
    const meetingId = server!.createMeeting('Sesión terminada', { policy: OPEN_POLICY });
    const pa = ana!.page;
    const pb = bruno!.page;
    await Promise.all([pa.goto(`${server!.url}/m/${meetingId}`), pb.goto(`${server!.url}/m/${meetingId}`)]);
    await pa.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pa, 'joined');
    await pb.getByRole('button', { name: 'Unirse' }).click();
    const idBruno = (await waitState(pb, 'joined')).id!;
    await waitFor(async () => received(await pageStats(pa), idBruno, 'video', 'framesDecoded') > 0, 15_000, {
      message: "Ana decodes Bruno's video",
      intervalMs: 100,
    });
    expect(await deviceUse(pb)).toMatchObject({ liveTracks: 2 });

    // "Sign out everywhere" for Bruno's account, through the API, as on his account page.
    const ended = await bruno!.http.post('/api/account/sessions/end-all');
    expect(ended.status).toBe(200);
    await mediaReleased(pb, 2_000, "Bruno's transports closed and camera/microphone stopped");

    expect(await pageInfo(pb)).toMatchObject({ state: 'error', errorCode: 'SESSION_ENDED' });
    expect(await alertText(pb)).toContain('Su sesión ha terminado');
    const again = pb.getByRole('link', { name: 'Iniciar sesión de nuevo' });
    expect(await again.getAttribute('href')).toBe(`/login?next=${encodeURIComponent(`/m/${meetingId}`)}`);
    expect(await pb.getByRole('button', { name: 'Unirse' }).isDisabled()).toBe(true);
    // The server dropped him from the meeting: his tile is gone from Ana's page.
    await waitFor(async () => (await pa.getByRole('list', { name: 'Vídeos' }).getByRole('listitem').count()) === 0, 5_000, { message: "Bruno's tile gone" });
    await screenshot(pb, 'session-ended');
  }, 60_000);

  it('tells a click on "Unirse" after the session ended that the session ended, not that the connection failed', async () => {
    const meetingId = server!.createMeeting('Sesión caducada', { policy: OPEN_POLICY });
    const pa = ana!.page;
    await pa.goto(`${server!.url}/m/${meetingId}`);
    await pa.waitForFunction(() => window.recinto?.view === 'meeting');
    expect((await ana!.http.post('/api/account/sessions/end-all')).status).toBe(200);

    await pa.getByRole('button', { name: 'Unirse' }).click();
    await waitFor(async () => (await pageInfo(pa)).state === 'error', 10_000, { message: 'error state' });
    expect(await pageInfo(pa)).toMatchObject({ errorCode: 'SESSION_ENDED' });
    expect(await pa.getByRole('link', { name: 'Iniciar sesión de nuevo' }).isVisible()).toBe(true);
    expect(await deviceUse(pa)).toMatchObject({ liveTracks: 0, openPeerConnections: 0 });
  }, 30_000);
});
