/**
 * End-to-end encryption in real Chromium against the real server and SFU. Three browsers (one of
 * them on the legacy `createEncodedStreams` path) decode each other with E2EE on, agree on the
 * security code and show the lock; a tap on the SFU (a PlainTransport consumer read over UDP) on
 * camera, microphone and a screen share started mid-call shows the SFU only ever forwards SFrame
 * ciphertext — it opens with the sender's key taken from its browser, decodes as VP8 once
 * decrypted and not before, and no two frames of a sender share a (KID, CTR) across its streams.
 * Screenshots: test-output/e2e/.
 *
 * Time limits are ones a loaded CI machine (2 cores, load average ≈ 20) meets; the tight figures
 * are measured by bench/e2ee-frames.bench.ts. What is proven does not depend on them.
 */
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { clearPrefixLength } from '../../client/e2ee/media-frame.ts';
import { decodeHeader } from '../../client/e2ee/sframe.ts';
import { es } from '../../client/src/i18n/es.ts';
import { browserSuite, capturedKeys, KEY_SPY } from '../helpers/browser.ts';
import { growth, joinMeeting, pageE2ee, pageStats, producerOf, received, screenshot } from '../helpers/page.ts';
import { OPEN_POLICY, type TestServer } from '../helpers/server.ts';
import { decryptionKeys, openFrame, SfuTap, TAP_TIMEOUT_MS, watchRouters, type TappedFrame } from '../helpers/sfu-tap.ts';
import { waitFor } from '../helpers/wait.ts';
import { decodeVp8, lookAlike } from '../helpers/vp8.ts';

/** A browser with only the legacy encoded-streams API. */
const LEGACY_ONLY = () => {
  Reflect.deleteProperty(window, 'RTCRtpScriptTransform');
};

let server: TestServer;
let routers: ReturnType<typeof watchRouters>;
const { users, open, logs, ...suite } = browserSuite(
  [
    ['ana', 'Ana'],
    ['bea', 'Bea'],
    ['cris', 'Cris'],
  ],
  [KEY_SPY],
);
beforeAll(async () => {
  ({ server, routers } = await suite.start());
  return suite.stop;
}, 60_000);
afterEach(suite.closeBrowsers, 30_000);

describe('end-to-end encryption in real browsers', () => {
  it('three browsers decode each other, agree on the security code, and the SFU forwards only SFrame ciphertext', async () => {
    onTestFailed(logs);
    const meetingId = server.createMeeting('Consejo cifrado', { ownerId: users.get('ana')!.id, policy: OPEN_POLICY });
    const [ana, bea, cris] = await Promise.all([open('ana'), open('bea'), open('cris', [LEGACY_ONLY])]);
    const idAna = await joinMeeting(ana.page, server.url, meetingId);
    const idBea = await joinMeeting(bea.page, server.url, meetingId);
    const idCris = await joinMeeting(cris.page, server.url, meetingId);
    const people: [Page, string][] = [
      [ana.page, idAna],
      [bea.page, idBea],
      [cris.page, idCris],
    ];

    // Everyone decodes everyone else's video and audio.
    for (const [page, self] of people) {
      for (const [, other] of people) {
        if (other === self) continue;
        await waitFor(async () => (await growth(page, other, 'video', 'framesDecoded', 500)) > 3, 20_000, { message: `${self} decodes ${other}'s video` });
        await waitFor(async () => received(await pageStats(page), other, 'audio', 'audioEnergy') > 0, 10_000, { message: `${self} hears ${other}` });
      }
    }
    // Cris runs the legacy path, the others RTCRtpScriptTransform; all are keyed and agree on the code.
    const views = await Promise.all(
      people.map(([page]) =>
        waitFor(
          async () => {
            const v = await pageE2ee(page);
            return v?.complete ? v : null;
          },
          10_000,
          { message: 'keys from everyone' },
        ),
      ),
    );
    expect(new Set(views.map((v) => v.securityCode)).size).toBe(1);
    for (const v of views) {
      expect(v.peers).toBe(2);
      const recv = v.streams.filter((s) => s.direction === 'recv');
      expect(recv.length).toBeGreaterThanOrEqual(4);
      // Nothing failed to open or was refused as a replay. Frames Chromium handed over a second time
      // (after retransmissions) are dropped as `duplicates`: the same bytes, not a replay.
      expect(recv.map(({ kind, passed, authFailed, malformed, replayed }) => ({ kind, opened: passed > 0, authFailed, malformed, replayed }))).toEqual(
        recv.map(({ kind }) => ({ kind, opened: true, authFailed: 0, malformed: 0, replayed: 0 })),
      );
      const duplicates = recv.reduce((n, s) => n + s.duplicates, 0);
      if (duplicates > 0) console.log(`frames handed to a receiver transform a second time (dropped as duplicates): ${duplicates}`);
      const send = v.streams.filter((s) => s.direction === 'send');
      expect(send.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
      // Per-frame overhead: SFrame header (1–4 bytes) and the 16-byte tag.
      for (const s of send) expect((s.bytesOut - s.bytesIn) / s.passed).toBeLessThanOrEqual(20);
    }
    for (const [page] of people) {
      const badge = page.locator('#e2ee-badge');
      expect(await badge.getAttribute('data-state')).toBe('encrypted');
      expect(await badge.textContent()).toContain(es.e2eeOn);
      expect(await page.locator('#security-code').textContent()).toBe(views[0]!.securityCode);
    }
    await screenshot(ana.page, 'e2ee-three-browsers');

    // Ana (the host) shares her screen: a third sender, created mid-call.
    const anaCamera = await producerOf(bea.page, idAna, 'video');
    await ana.page.getByRole('button', { name: 'Compartir pantalla', exact: true }).click();
    const anaScreen = await waitFor(
      async () =>
        (await pageStats(bea.page)).find((s) => s.participantId === idAna && s.kind === 'video' && s.producerId !== anaCamera && s.framesDecoded > 0)
          ?.producerId,
      30_000,
      {
        message: "Bea decodes Ana's screen",
      },
    );

    // The tap: what the SFU forwards of Ana's camera, microphone and screen, and of Cris's (legacy) camera and microphone.
    const router = await routers.routerFor(meetingId);
    const taps = await Promise.all([
      SfuTap.attach(router, anaCamera),
      SfuTap.attach(router, await producerOf(bea.page, idAna, 'audio')),
      SfuTap.attach(router, await producerOf(bea.page, idCris, 'video')),
      SfuTap.attach(router, anaScreen),
      SfuTap.attach(router, await producerOf(bea.page, idCris, 'audio')),
    ]);
    try {
      const isKey = (f: TappedFrame) => (f.data[0]! & 1) === 0;
      const timeoutMs = TAP_TIMEOUT_MS;
      await Promise.all([0, 2, 3].map((i) => taps[i]!.waitForFrames(1, { filter: isKey, timeoutMs })));
      const [anaVideo, anaAudio, crisVideo, anaScreenFrames, crisAudio] = await Promise.all([
        taps[0].waitForFrames(60, { timeoutMs }),
        taps[1].waitForFrames(100, { timeoutMs }),
        taps[2].waitForFrames(60, { timeoutMs }),
        taps[3].waitForFrames(10, { timeoutMs }),
        taps[4].waitForFrames(100, { timeoutMs }),
      ]);

      // One CTR per key across all of a sender's streams — camera, microphone and the screen share
      // added mid-call (RTCRtpScriptTransform), camera and microphone on the legacy path: no two
      // different frames the SFU forwarded share a (KID, CTR), which would be a reused AES-GCM nonce.
      for (const [label, streams] of [
        [
          'Ana',
          [
            [anaVideo, 'video'],
            [anaAudio, 'audio'],
            [anaScreenFrames, 'video'],
          ],
        ],
        [
          'Cris (legacy path)',
          [
            [crisVideo, 'video'],
            [crisAudio, 'audio'],
          ],
        ],
      ] as const) {
        const byNonce = new Map<string, Buffer>();
        let reused = 0;
        for (const [frames, kind] of streams) {
          for (const f of frames) {
            const { kid, ctr } = decodeHeader(f.data.subarray(clearPrefixLength(kind, f.data)));
            const nonce = `${kid}/${ctr}`;
            const earlier = byNonce.get(nonce);
            if (earlier && !earlier.equals(f.data)) reused++;
            byNonce.set(nonce, f.data);
          }
        }
        expect(reused, `${label}: frames reusing a (KID, CTR) of another frame`).toBe(0);
        // Not vacuous: the streams' frames were tapped over the same seconds, under the same key.
        expect(byNonce.size, `${label}: distinct (KID, CTR)`).toBeGreaterThan(Math.max(...streams.map(([frames]) => frames.length)));
      }
      const sendKeys = async (page: Page) => decryptionKeys((await capturedKeys(page)).filter((k) => k.op === 'sendKey'));

      for (const [frames, kind, page, label] of [
        [anaVideo, 'video', ana.page, "Ana's camera"],
        [anaAudio, 'audio', ana.page, "Ana's microphone"],
        [crisVideo, 'video', cris.page, "Cris's camera (legacy path)"],
        [anaScreenFrames, 'video', ana.page, "Ana's screen"],
      ] as const) {
        const keys = await sendKeys(page);
        const opened = await Promise.all(frames.map((f) => openFrame(f, kind, keys)));
        // Every single frame the SFU forwarded is ciphertext that opens with the sender's key.
        expect(opened.filter((o) => o === null).length, `${label}: frames that did not open`).toBe(0);
        // The clear prefix is exactly the codec bytes, the rest differs from the plaintext.
        for (const [i, f] of frames.entries()) {
          const plain = opened[i]!;
          const prefix = kind === 'audio' ? 1 : isKey(f) ? 10 : 3;
          expect(Buffer.from(f.data.subarray(0, prefix)).equals(Buffer.from(plain.subarray(0, prefix)))).toBe(true);
          expect(f.data.length - plain.length).toBeLessThanOrEqual(20);
          expect(Buffer.from(f.data.subarray(prefix, prefix + 16)).equals(Buffer.from(plain.subarray(prefix, prefix + 16)))).toBe(false);
        }
        if (kind === 'video') {
          const from = frames.findIndex(isKey);
          const clear = await decodeVp8(bea.page, opened.slice(from) as Uint8Array[]);
          expect(clear, `${label}: decrypted frames decode as VP8`).toMatchObject({ errors: 0 });
          // The camera is 640x480 (4:3), unless the encoder scaled it down under load.
          if (label !== "Ana's screen") expect(clear.width * 3).toBe(clear.height * 4);
          expect(clear.width).toBeGreaterThan(0);
          expect(clear.decoded).toBe(frames.length - from);
          // As forwarded by the SFU, the same frames give no picture of the sender's: libvpx
          // refuses them or decodes noise from the ciphertext.
          const raw = await decodeVp8(
            bea.page,
            frames.slice(from).map((f) => f.data),
          );
          console.log(
            `${label}: as forwarded, ${raw.decoded} of ${frames.length - from} frames decoded (${raw.errors} errors), ${lookAlike(raw, clear)} looking like the sender's`,
          );
          expect(lookAlike(raw, clear), `${label}: frames as forwarded by the SFU decode to the sender's picture`).toBe(0);
          // The check can tell: the decrypted frames look like themselves.
          expect(lookAlike(clear, clear)).toBe(clear.decoded);
        }
      }
    } finally {
      for (const tap of taps) tap.close();
    }
  }, 180_000);
});
