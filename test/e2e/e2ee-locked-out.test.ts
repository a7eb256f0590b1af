/**
 * End-to-end encryption in real Chromium against the real server and SFU: who cannot see or hear
 * a meeting. A removed participant's keys stop opening the frames (read by a tap on the SFU) soon
 * after the removal and never again, while the others keep decoding; a participant with wrong
 * keys decodes nothing and plays silence; a browser that cannot encrypt is refused with a clear
 * message and the list of browsers that can. Screenshots: test-output/e2e/.
 *
 * Time limits are ones a loaded CI machine (2 cores, load average ≈ 20) meets; the tight figures
 * are measured by bench/e2ee-frames.bench.ts. What is proven does not depend on them.
 */
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { es } from '../../client/src/i18n/es.ts';
import { browserSuite, capturedKeys, deviceUse, KEY_SPY } from '../helpers/browser.ts';
import { alertText, growth, joinMeeting, openMeeting, pageE2ee, pageStats, producerOf, received, screenshot, waitState } from '../helpers/page.ts';
import { OPEN_POLICY, type TestServer } from '../helpers/server.ts';
import { decryptionKeys, openFrame, SfuTap, TAP_TIMEOUT_MS, watchRouters } from '../helpers/sfu-tap.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * A removed participant's keys stop opening frames within this long after the removal: the rekey
 * (signalled leave, fresh key wrapped for the others, switch after at most REKEY_SWITCH_MAX_MS) is
 * prompt, not the 5-minute ratchet. Idle machine ≈0.4–1 s, load average ≈ 20: 3.2 s.
 */
const REKEY_BOUND_MS = 6_000;
/** A participant whose received keys are all wrong (each byte altered on its way to the Worker). */
const WRONG_KEYS = () => {
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, options?: unknown) {
    const m = message as { op?: string; baseKey?: Uint8Array };
    const altered = m?.op === 'receiveKey' && m.baseKey ? { ...m, baseKey: m.baseKey.map((b) => b ^ 0x5a) } : message;
    return post.call(this, altered, options as StructuredSerializeOptions);
  } as typeof post;
};
/** A browser with neither RTCRtpScriptTransform nor the legacy encoded-streams API. */
const NO_TRANSFORMS = () => {
  Reflect.deleteProperty(window, 'RTCRtpScriptTransform');
  Reflect.deleteProperty(RTCRtpSender.prototype, 'createEncodedStreams');
};

let server: TestServer;
let routers: ReturnType<typeof watchRouters>;
const { users, open, logs, ...suite } = browserSuite(
  [
    ['ana', 'Ana'],
    ['bea', 'Bea'],
    ['cris', 'Cris'],
    ['dario', 'Darío'],
    ['eva', 'Eva'],
  ],
  [KEY_SPY],
);
beforeAll(async () => {
  ({ server, routers } = await suite.start());
  return suite.stop;
}, 60_000);
afterEach(suite.closeBrowsers, 30_000);

describe('end-to-end encryption in real browsers', () => {
  it('a removed participant stops opening the frames soon after the removal and never again, while the others keep decoding', async () => {
    onTestFailed(logs);
    const meetingId = server.createMeeting('Expulsión', { ownerId: users.get('ana')!.id, policy: OPEN_POLICY });
    const [ana, bea, cris] = await Promise.all([open('ana'), open('bea'), open('cris')]);
    const idAna = await joinMeeting(ana.page, server.url, meetingId);
    await joinMeeting(bea.page, server.url, meetingId);
    await joinMeeting(cris.page, server.url, meetingId);
    for (const page of [bea.page, cris.page]) {
      await waitFor(async () => (await growth(page, idAna, 'video', 'framesDecoded', 500)) > 3, 20_000, { message: "Ana's video decoded" });
    }
    const router = await routers.routerFor(meetingId);
    const tap = await SfuTap.attach(router, await producerOf(bea.page, idAna, 'video'));
    try {
      await tap.waitForFrames(30, { timeoutMs: TAP_TIMEOUT_MS });
      // Ana removes Cris; everything Cris's browser ever got for Ana's frames is kept by the test.
      await ana.page.getByRole('button', { name: 'Acciones para Cris', exact: true }).click();
      const removedAt = Date.now();
      await ana.page.getByRole('button', { name: 'Expulsar a Cris', exact: true }).click();
      expect(await waitState(cris.page, 'ended', 10_000)).toMatchObject({ errorCode: 'REMOVED' });
      const crisKeys = (await capturedKeys(cris.page)).filter((k) => k.op === 'receiveKey' && k.senderId === idAna);
      expect(crisKeys.length).toBeGreaterThan(0);
      // Cris could also ratchet any of them forward (that is how joins are followed): try 8 steps.
      const crisCanOpen = await decryptionKeys(crisKeys, 8);
      // Frames well past the bound, to show none of them opens either.
      await tap.waitForFrames(1, { filter: (f) => f.receivedAt > removedAt + REKEY_BOUND_MS + 1_000, timeoutMs: REKEY_BOUND_MS + TAP_TIMEOUT_MS });
      await waitFor(async () => (await growth(bea.page, idAna, 'video', 'framesDecoded', 2_000)) > 5, 20_000, { message: 'Bea keeps decoding Ana' });

      const before = tap.frames.filter((f) => f.receivedAt < removedAt);
      const after = tap.frames.filter((f) => f.receivedAt > removedAt);
      const openedBefore = await Promise.all(before.map((f) => openFrame(f, 'video', crisCanOpen)));
      const openedAfter = await Promise.all(after.map((f) => openFrame(f, 'video', crisCanOpen)));
      // Control: Cris's keys did open Ana's frames while Cris was in.
      expect(openedBefore.every((o) => o !== null)).toBe(true);
      // After the rekey nothing opens: the first frame Cris cannot open came within REKEY_BOUND_MS
      // of the removal (bench/e2ee-frames.bench.ts measures it), and none opens after it.
      const firstClosed = openedAfter.findIndex((o) => o === null);
      expect(firstClosed).toBeGreaterThanOrEqual(0);
      const rekeyMs = after[firstClosed]!.receivedAt - removedAt;
      console.log(`removed participant's keys stop opening frames ${rekeyMs} ms after the removal`);
      expect(rekeyMs).toBeLessThanOrEqual(REKEY_BOUND_MS);
      expect(openedAfter.slice(firstClosed).every((o) => o === null)).toBe(true);
      expect(after.at(-1)!.receivedAt - removedAt).toBeGreaterThan(REKEY_BOUND_MS + 1_000);
      // Bea is keyed with Ana's new key.
      const beaView = await pageE2ee(bea.page);
      expect(beaView).toMatchObject({ complete: true, peers: 1 });
    } finally {
      tap.close();
    }
  }, 180_000);

  it('a participant with wrong keys decodes nothing and plays silence; the frames are dropped, not decoded', async () => {
    onTestFailed(logs);
    const meetingId = server.createMeeting('Clave errónea', { policy: OPEN_POLICY });
    const [bea, dario] = await Promise.all([open('bea'), open('dario', [WRONG_KEYS])]);
    const idBea = await joinMeeting(bea.page, server.url, meetingId);
    const idDario = await joinMeeting(dario.page, server.url, meetingId);
    await waitFor(async () => (await growth(bea.page, idDario, 'video', 'framesDecoded', 500)) > 3, 20_000, {
      message: 'Bea decodes Darío (his own keys are right)',
    });
    await waitFor(async () => received(await pageStats(bea.page), idDario, 'audio', 'audioEnergy') > 0, 10_000, { message: 'Bea hears Darío' });
    // Darío gets Bea's frames (packets arrive) but none opens: nothing decoded, nothing audible.
    await waitFor(
      async () => {
        const view = await pageE2ee(dario.page);
        const recv = view?.streams.filter((s) => s.direction === 'recv') ?? [];
        return recv.length === 2 && recv.every((s) => s.authFailed > 20);
      },
      15_000,
      { message: "Darío's worker refuses Bea's frames" },
    );
    const view = await pageE2ee(dario.page);
    expect(view!.streams.filter((s) => s.direction === 'recv').every((s) => s.passed === 0)).toBe(true);
    const stats = await pageStats(dario.page);
    expect(received(stats, idBea, 'video', 'framesDecoded')).toBe(0);
    expect(received(stats, idBea, 'audio', 'audioEnergy')).toBe(0);
    expect(view!.complete).toBe(true); // keys did arrive; they are wrong, which only the frames tell
    await screenshot(dario.page, 'e2ee-wrong-keys');
  }, 90_000);

  it('refuses a browser that cannot encrypt, with a clear message and without starting camera or microphone', async () => {
    onTestFailed(logs);
    const meetingId = server.createMeeting('Sin soporte', { policy: OPEN_POLICY });
    const eva = await open('eva', [NO_TRANSFORMS]);
    await openMeeting(eva.page, server.url, meetingId);
    await eva.page.getByRole('button', { name: 'Unirse' }).click();
    expect(await waitState(eva.page, 'error', 10_000)).toMatchObject({ errorCode: 'E2EE_UNSUPPORTED' });
    expect(await alertText(eva.page)).toContain(es.err_E2EE_UNSUPPORTED);
    // Under the refusal: which browsers can join (docs/browsers.md).
    const support = eva.page.getByRole('region', { name: es.supportHeading });
    expect(await support.isVisible()).toBe(true);
    for (const line of [es.supportChromium, es.supportFirefox, es.supportSafari]) expect(await support.getByText(line).isVisible()).toBe(true);
    expect(await deviceUse(eva.page)).toMatchObject({ getUserMedia: 0 });
    await screenshot(eva.page, 'e2ee-unsupported-browser');
  }, 60_000);
});
