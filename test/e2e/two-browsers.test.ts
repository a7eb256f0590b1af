/**
 * Two real Chromium processes join one meeting on the real server (one real mediasoup worker)
 * and must decode each other's video and receive each other's audio; then one leaves and the
 * other's tile for it disappears. Screenshots go to test-output/e2e/.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, waitFor, type LaunchedBrowser } from '../helpers/browser.ts';
import { startTestServer } from '../helpers/server.ts';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
type Stat = { participantId: string; kind: 'audio' | 'video'; framesDecoded: number; bytesReceived: number; packetsReceived: number; frameWidth: number };

const OUT_DIR = 'test-output/e2e';
let server: TestServer | undefined;
let ana: LaunchedBrowser | undefined;
let bruno: LaunchedBrowser | undefined;

beforeAll(async () => {
  await ensureClientBuilt();
  [server, ana, bruno] = await Promise.all([
    startTestServer(),
    launchBrowser({ label: 'ana' }),
    launchBrowser({ label: 'bruno' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([ana?.close(), bruno?.close()]);
  await server?.close();
}, 30_000);

const state = (page: Page) => page.evaluate(() => ({ state: window.recinto.state, errorCode: window.recinto.errorCode, id: window.recinto.participantId }));
const stats = (page: Page) => page.evaluate(() => window.recinto.stats()) as Promise<Stat[]>;

async function waitJoined(page: Page): Promise<string> {
  const s = await waitFor(
    async () => {
      const s = await state(page);
      if (s.state === 'error') throw new Error(`join failed: ${s.errorCode}`);
      return s.state === 'joined' && s.id ? s : null;
    },
    20_000,
    { message: 'state joined' },
  );
  return s.id!;
}

function sum(list: Stat[], from: string, kind: 'audio' | 'video', key: 'framesDecoded' | 'packetsReceived' | 'bytesReceived'): number {
  return list.filter((s) => s.participantId === from && s.kind === kind).reduce((a, s) => a + s[key], 0);
}

describe('two browsers in one meeting', () => {
  it('see and hear each other, and a leave removes the tile', async () => {
    onTestFailed(() => {
      console.log([...(ana?.logs ?? []), ...(bruno?.logs ?? [])].join('\n'));
    });
    const meetingId = server!.createMeeting('Prueba e2e');
    const [tokenAna, tokenBruno] = await Promise.all([server!.mintToken(meetingId, 'Ana'), server!.mintToken(meetingId, 'Bruno')]);
    const pa = ana!.page;
    const pb = bruno!.page;
    await Promise.all([
      pa.goto(`${server!.url}/m/${meetingId}#token=${encodeURIComponent(tokenAna)}`),
      pb.goto(`${server!.url}/m/${meetingId}#token=${encodeURIComponent(tokenBruno)}`),
    ]);
    // Ana takes the name from her token; Bruno types a different one in the optional field.
    await pb.getByRole('textbox', { name: 'Su nombre (opcional)' }).fill('Bruno Díaz');
    expect(await state(pa)).toMatchObject({ state: 'idle' });

    await pa.getByRole('button', { name: 'Unirse' }).click();
    const idAna = await waitJoined(pa);
    await pb.getByRole('button', { name: 'Unirse' }).click();
    const idBruno = await waitJoined(pb);
    expect(idAna).not.toBe(idBruno);

    // Each sees a tile labelled with the other's display name, in the participants list.
    const tileOfBruno = pa.getByRole('list', { name: 'Participantes' }).getByRole('listitem', { name: 'Bruno Díaz' });
    const tileOfAna = pb.getByRole('list', { name: 'Participantes' }).getByRole('listitem', { name: 'Ana' });
    await waitFor(async () => (await tileOfBruno.count()) === 1 && (await tileOfAna.count()) === 1, 10_000, { message: 'remote tiles' });

    // Media flows both ways: video frames decoded, audio packets received, both rising.
    await waitFor(
      async () => sum(await stats(pa), idBruno, 'video', 'framesDecoded') > 0 && sum(await stats(pb), idAna, 'video', 'framesDecoded') > 0,
      15_000,
      { message: 'first decoded frames', intervalMs: 100 },
    );
    const [a1, b1] = await Promise.all([stats(pa), stats(pb)]);
    await new Promise((r) => setTimeout(r, 2_000));
    const [a2, b2] = await Promise.all([stats(pa), stats(pb)]);
    for (const [who, s1, s2, from] of [['Ana', a1, a2, idBruno], ['Bruno', b1, b2, idAna]] as const) {
      const frames = sum(s2, from, 'video', 'framesDecoded') - sum(s1, from, 'video', 'framesDecoded');
      const audio = sum(s2, from, 'audio', 'packetsReceived') - sum(s1, from, 'audio', 'packetsReceived');
      expect(frames, `${who} decoded video frames in 2 s`).toBeGreaterThan(20);
      expect(audio, `${who} received audio packets in 2 s`).toBeGreaterThan(50);
      expect(s2.filter((s) => s.participantId === from).map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    }
    for (const tile of [tileOfBruno, tileOfAna]) {
      const video = tile.locator('video');
      await waitFor(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth > 0), 5_000, { message: 'remote videoWidth' });
      expect(await tile.locator('audio').count()).toBe(1);
    }

    mkdirSync(OUT_DIR, { recursive: true });
    await Promise.all([pa.screenshot({ path: `${OUT_DIR}/ana.png` }), pb.screenshot({ path: `${OUT_DIR}/bruno.png` })]);

    // Own mic/camera toggles: the button's accessible name says what pressing it will do.
    await pa.getByRole('button', { name: 'Silenciar micrófono' }).click();
    await pa.getByRole('button', { name: 'Activar micrófono' }).click();
    await pa.getByRole('button', { name: 'Apagar cámara' }).click();
    expect(await pa.locator('#local-video').evaluate((v: HTMLVideoElement) => (v.srcObject as MediaStream).getVideoTracks()[0]?.enabled)).toBe(false);
    await pa.getByRole('button', { name: 'Encender cámara' }).click();
    expect(await pa.getByRole('button', { name: 'Silenciar micrófono' }).count()).toBe(1);

    // Bruno leaves: his tile disappears from Ana's page, his camera stops.
    await pb.getByRole('button', { name: 'Salir' }).click();
    await waitFor(async () => (await state(pb)).state === 'left', 5_000, { message: 'Bruno left' });
    await waitFor(async () => (await tileOfBruno.count()) === 0, 10_000, { message: "Bruno's tile gone" });
    expect(await pb.locator('#local-video').evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    expect(await state(pa)).toMatchObject({ state: 'joined' });
    expect(await pa.getByRole('list', { name: 'Participantes' }).getByRole('listitem').count()).toBe(0);
  }, 60_000);

  it('a forged token ends in TOKEN_INVALID, shown to the user, with the camera released', async () => {
    const meetingId = server!.createMeeting('Prueba token');
    const pb = bruno!.page;
    await pb.goto(`${server!.url}/m/${meetingId}#token=${encodeURIComponent('eyJhbGciOiJIUzI1NiJ9.e30.forged')}`);
    await pb.getByRole('button', { name: 'Unirse' }).click();
    await waitFor(async () => (await state(pb)).state === 'error', 10_000, { message: 'error state' });
    expect(await state(pb)).toMatchObject({ state: 'error', errorCode: 'TOKEN_INVALID', id: null });
    expect(await pb.getByRole('alert').textContent()).toContain('no es válido');
    expect(await pb.locator('#local-video').evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    expect(await pb.getByRole('button', { name: 'Unirse' }).isEnabled()).toBe(true);
  }, 30_000);
});
