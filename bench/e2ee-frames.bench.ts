/**
 * What end-to-end encryption costs per frame, measured where it runs: inside the encoded-transform
 * Worker of real Chromium, on the real frames of a two-person call (fake camera and microphone),
 * once at 640x480 and once at 1280x720. The Worker times each encrypt and decrypt (the cryptor
 * call: SFrame header, AES-256-GCM via WebCrypto, copying the frame), not the time a frame waits
 * in the Worker's queue. Overhead: bytes added per frame (SFrame header + 16-byte tag).
 *
 * And how soon a removed participant's keys stop opening frames: in a three-person call the host
 * removes one; from the click, the time until the SFU forwards the host's first camera frame under
 * the fresh key (a new KID; the removed participant never gets that key). test/e2e/e2ee-locked-out.test.ts
 * proves the frames do not open for the removed participant, with a bound a loaded machine meets.
 * Duplicates: frames the receivers' transforms got twice (Chromium, after retransmissions).
 */
import type { Page } from 'playwright-core';
import type { StreamStats } from '../client/e2ee/frame-cryptor.ts';
import { clearPrefixLength } from '../client/e2ee/media-frame.ts';
import { decodeHeader } from '../client/e2ee/sframe.ts';
import { signedInBrowser, type SignedInBrowser } from '../test/helpers/browser.ts';
import { ensureClientBuilt } from '../scripts/client-build.ts';
import { hostMenu, joinMeeting, pageStats } from '../test/helpers/page.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../test/helpers/server.ts';
import { SfuTap, watchRouters, type TappedFrame } from '../test/helpers/sfu-tap.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { summary } from './stats.ts';

export const name = 'e2ee_frames';

const SECONDS = Number(process.env['BENCH_E2EE_SECONDS'] ?? 15);
const REMOVALS = Number(process.env['BENCH_E2EE_REMOVALS'] ?? 3);

/** Makes the page's camera 1280x720 (the client asks for the default, which the fake device gives as 640x480). */
const HD_CAMERA = () => {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints?: MediaStreamConstraints) =>
    getUserMedia(constraints?.video ? { ...constraints, video: { width: { exact: 1280 }, height: { exact: 720 } } } : constraints);
};

type View = { streams: StreamStats[]; peers: number; complete: boolean };

export async function run(): Promise<string[]> {
  await ensureClientBuilt();
  const server = await startTestServer({ log: { level: 'error' } });
  const lines: string[] = [];
  try {
    const users = await Promise.all([server.createUser('emisora', { displayName: 'Emisora' }), server.createUser('receptor', { displayName: 'Receptor' })]);
    for (const [label, hd] of [
      ['640x480', false],
      ['1280x720', true],
    ] as const) {
      let a: SignedInBrowser | undefined;
      let b: SignedInBrowser | undefined;
      try {
        [a, b] = await Promise.all([signedInBrowser(server, users[0], 'a'), signedInBrowser(server, users[1], 'b')]);
        if (hd) await Promise.all([a.context.addInitScript(HD_CAMERA), b.context.addInitScript(HD_CAMERA)]);
        const meetingId = server.createMeeting(`Bench ${label}`, { policy: OPEN_POLICY });
        await joinMeeting(a.page, server.url, meetingId);
        await joinMeeting(b.page, server.url, meetingId);
        await waitFor(async () => (await frames(b!.page)) > 30, 30_000, { message: 'video decoded' });
        // The Worker keeps the timings of each stream's last 512 frames (about 17 s of video).
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const [sent, got] = await Promise.all([view(a.page), view(b.page)]);
        const video = (v: View, direction: 'send' | 'recv') => v.streams.filter((s) => s.kind === 'video' && s.direction === direction);
        const width = await b.page.evaluate(async () =>
          Math.max(0, ...(await window.recinto.stats()).filter((s) => s.kind === 'video').map((s) => s.frameWidth)),
        );
        const duplicates = got.streams.filter((s) => s.direction === 'recv').reduce((t, s) => t + s.duplicates, 0);
        console.error(`#   ${label}: ${duplicates} frames handed to the receiver's transforms twice (dropped as duplicates)`);
        const enc = video(sent, 'send').flatMap((s) => s.recentMs);
        const dec = video(got, 'recv').flatMap((s) => s.recentMs);
        const bytes = video(sent, 'send').reduce((acc, s) => ({ inB: acc.inB + s.bytesIn, n: acc.n + s.passed }), { inB: 0, n: 0 });
        console.error(`#   ${label}: received width ${width}, mean video frame ${Math.round(bytes.inB / bytes.n)} bytes`);
        lines.push(summary(`e2ee_encrypt_ms_${label}`, enc, 3), summary(`e2ee_decrypt_ms_${label}`, dec, 3));
        if (!hd) {
          for (const kind of ['video', 'audio'] as const) {
            const s = sent.streams.filter((x) => x.direction === 'send' && x.kind === kind);
            const added = s.reduce((t, x) => t + (x.bytesOut - x.bytesIn), 0);
            const passed = s.reduce((t, x) => t + x.passed, 0);
            lines.push(`e2ee_overhead_bytes_per_frame_${kind}: ${(added / passed).toFixed(1)} bytes`);
          }
          const audio = sent.streams.filter((x) => x.direction === 'send' && x.kind === 'audio');
          const audioIn = audio.reduce((t, x) => t + x.bytesIn, 0);
          const audioOut = audio.reduce((t, x) => t + x.bytesOut, 0);
          lines.push(`e2ee_audio_payload_increase: ${((audioOut / audioIn - 1) * 100).toFixed(1)} %`);
        }
      } finally {
        await Promise.allSettled([a?.close(), b?.close()]);
      }
    }
    lines.push(summary('e2ee_removed_keys_stop_opening_ms', await removals(server), 0));
    return lines;
  } finally {
    await server.close();
  }
}

async function frames(page: Page): Promise<number> {
  const stats = await page.evaluate(() => window.recinto.stats());
  return stats.filter((s) => s.kind === 'video').reduce((t, s) => t + s.framesDecoded, 0);
}

async function view(page: Page): Promise<View> {
  const v = await page.evaluate(() => window.recinto.e2ee());
  if (!v) throw new Error('no E2EE in the call');
  return v;
}

/** Milliseconds from a removal to the host's first camera frame under the fresh key, per removal. */
async function removals(server: TestServer): Promise<number[]> {
  const routers = watchRouters(server.recinto.pool.slots[0]!.worker);
  const [ana, bea, cris] = await Promise.all([
    server.createUser('ana', { displayName: 'Ana' }),
    server.createUser('bea', { displayName: 'Bea' }),
    server.createUser('cris', { displayName: 'Cris' }),
  ]);
  const kidOf = (f: TappedFrame) => decodeHeader(f.data.subarray(clearPrefixLength('video', f.data))).kid;
  const results: number[] = [];
  try {
    for (let i = 0; i < REMOVALS; i++) {
      const browsers = await Promise.all([signedInBrowser(server, ana), signedInBrowser(server, bea), signedInBrowser(server, cris)]);
      let tap: SfuTap | undefined;
      try {
        const meetingId = server.createMeeting(`Bench expulsión ${i}`, { ownerId: ana.id, policy: OPEN_POLICY });
        const idAna = await joinMeeting(browsers[0].page, server.url, meetingId);
        await joinMeeting(browsers[1].page, server.url, meetingId);
        await joinMeeting(browsers[2].page, server.url, meetingId);
        const camera = await waitFor(
          async () => (await pageStats(browsers[1].page)).find((s) => s.participantId === idAna && s.kind === 'video' && s.framesDecoded > 3)?.producerId,
          30_000,
          {
            message: "Ana's camera decoded",
          },
        );
        // Cris holds everyone's key: Ana's ratchet for Cris's arrival is behind us.
        await waitFor(
          async () => {
            const v = await view(browsers[2].page);
            return v.peers === 2 && v.complete;
          },
          30_000,
          { message: 'Cris keyed' },
        );
        tap = await SfuTap.attach(await routers.routerFor(meetingId), camera);
        const before = kidOf((await tap.waitForFrames(30, { timeoutMs: 30_000 })).at(-1)!);
        await hostMenu(browsers[0].page, 'Cris');
        const removedAt = Date.now();
        await browsers[0].page.getByRole('button', { name: 'Expulsar a Cris', exact: true }).click();
        const [fresh] = await tap.waitForFrames(1, { filter: (f) => f.receivedAt > removedAt && kidOf(f) !== before, timeoutMs: 30_000 });
        results.push(fresh!.receivedAt - removedAt);
      } finally {
        tap?.close();
        await Promise.allSettled(browsers.map((b) => b.close()));
      }
    }
  } finally {
    routers.stop();
  }
  return results;
}
