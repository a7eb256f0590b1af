/**
 * Firefox as a first-class client (Debian's firefox-esr under puppeteer-core, WebDriver BiDi)
 * beside Chromium, against the real server and SFU, end-to-end encrypted:
 * - a Chromium host and a Firefox guest: waiting room, admission, each decodes the other's video
 *   and hears the other, both show the same security code;
 * - a tap on the SFU shows that what Firefox sends is SFrame ciphertext that opens with Firefox's
 *   own key (taken from its page), decodes as VP8 once decrypted and never as forwarded;
 * - sealed chat both ways (the server's WebSocket messages hold `sealed`, never the text);
 * - a host mute of the Firefox participant holds at the SFU (no audio reaches the host; its
 *   unmute button is disabled — the server's refusal is tested in host-controls.test.ts);
 * - the removed Firefox participant's keys stop opening the host's frames after the rekey;
 * - the call's layout in Firefox at 1280×800 (test-output/e2e/firefox-call.png).
 * Firefox does not use loopback for WebRTC, so the SFU listens on a non-loopback address of this
 * machine (test/helpers/firefox.ts).
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { WebSocketServer } from 'ws';
import { es } from '../../client/src/i18n/es.ts';
import { capturedKeys, KEY_SPY, signedInBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { byName, launchFirefox, mediaAddress, openMeetingIn, type LaunchedFirefox } from '../helpers/firefox.ts';
import {
  E2E_OUT_DIR,
  growth,
  hostMenu,
  joinMeeting,
  pageE2ee,
  pageStats,
  producerOf,
  received,
  screenshot,
  waitState,
  type Evaluates,
} from '../helpers/page.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { decryptionKeys, openFrame, SfuTap, TAP_TIMEOUT_MS, watchRouters } from '../helpers/sfu-tap.ts';
import { decodeVp8, lookAlike } from '../helpers/vp8.ts';
import { waitFor } from '../helpers/wait.ts';

/** As in e2ee-locked-out.test.ts: the rekey after a removal is prompt, not the 5-minute ratchet. */
const REKEY_BOUND_MS = 6_000;

let server: TestServer;
let routers: ReturnType<typeof watchRouters>;
let host: SignedInBrowser;
let fox: LaunchedFirefox;
/** Every WebSocket message the server received, as text. */
const wire: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ media: { listenIp: mediaAddress() } });
  routers = watchRouters(server.recinto.pool.slots[0]!.worker);
  const wss = (server.recinto.app as unknown as { websocketServer: WebSocketServer }).websocketServer;
  wss.on('connection', (socket) => socket.on('message', (data) => wire.push(Buffer.from(data as Buffer).toString('utf8'))));
  const carmen = await server.createUser('carmen', { displayName: 'Carmen Ruiz' });
  [host, fox] = await Promise.all([signedInBrowser(server, carmen), launchFirefox({ label: 'firefox' })]);
  await host.context.addInitScript(KEY_SPY);
  await fox.page.evaluateOnNewDocument(KEY_SPY);
}, 90_000);

afterAll(async () => {
  routers?.stop();
  await Promise.allSettled([host?.close(), fox?.close()]);
  await server?.close();
}, 30_000);

/** Sends a chat text made up inside the page (the test reads it only at the end). Runs in the page. */
const SEND_SECRET = async (tag: string) => {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  const text = `${tag} ${hex}`;
  const w = window as unknown as { __secrets?: string[] };
  (w.__secrets ??= []).push(text);
  const input = document.querySelector<HTMLTextAreaElement>('#chat-input')!;
  input.value = text;
  input.dispatchEvent(new Event('input'));
  const form = document.querySelector<HTMLFormElement>('#chat-form')!;
  form.requestSubmit();
  while (form.getAttribute('aria-busy') === 'true') await new Promise((r) => setTimeout(r, 20));
};
/** Whether the page's chat shows `text`. Runs in the page. */
const CHAT_SHOWS = (text: string) => [...document.querySelectorAll('#chat-log li')].some((li) => li.textContent?.includes(text));
const secretsOf = (page: Evaluates) => page.evaluate(() => (window as unknown as { __secrets?: string[] }).__secrets ?? []);

describe('Firefox and Chromium in one encrypted meeting', () => {
  it('a Firefox guest waits, is admitted, sees and hears a Chromium host with the same security code, sends only SFrame ciphertext, chats sealed, is muted at the SFU and locked out after removal', async () => {
    onTestFailed(() => console.log([...host.logs, ...fox.logs].join('\n')));
    const created = await host.http.post('/api/meetings', { title: 'Reunión con Firefox', policy: { muteOnEntry: false } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const meetingId = created.body.id as string;
    const password = created.body.invitation.password as string;
    expect(created.body.policy).toMatchObject({ e2ee: true, waitingRoom: true });

    // The host joins in Chromium; the guest opens the link in Firefox and waits.
    const idHost = await joinMeeting(host.page, server.url, meetingId);
    const ff = fox.page;
    await openMeetingIn(ff, server.url, meetingId);
    await ff.locator('#guest-name').fill('Lola Martín');
    await ff.locator('#guest-password').fill(password);
    await byName(ff, 'Unirse').click();
    await waitState(ff, 'waiting');

    await host.page.getByRole('button', { name: 'Admitir a Lola Martín', exact: true }).click();
    const idFox = (await waitState(ff, 'joined')).id!;

    // Each decodes the other's video and hears the other.
    await waitFor(async () => (await growth(ff, idHost, 'video', 'framesDecoded', 500)) > 3, 30_000, { message: 'Firefox decodes the host' });
    await waitFor(async () => (await growth(host.page, idFox, 'video', 'framesDecoded', 500)) > 3, 30_000, { message: 'Chromium decodes Firefox' });
    await waitFor(async () => received(await pageStats(ff), idHost, 'audio', 'audioEnergy') > 0, 10_000, { message: 'Firefox hears the host' });
    await waitFor(async () => received(await pageStats(host.page), idFox, 'audio', 'audioEnergy') > 0, 10_000, { message: 'the host hears Firefox' });

    // Both keyed, one security code, the lock shown in both.
    const views = await Promise.all(
      [host.page, ff].map((page) => waitFor(async () => ((await pageE2ee(page))?.complete ? pageE2ee(page) : null), 10_000, { message: 'keyed' })),
    );
    expect(views[0]!.securityCode).toMatch(/^(\d{5} ){4}\d{5}$/);
    expect(views[1]!.securityCode).toBe(views[0]!.securityCode);
    expect(await ff.$eval('#security-code', (e) => e.textContent)).toBe(views[0]!.securityCode);
    expect(await ff.$eval('#e2ee-badge', (e) => e.getAttribute('data-state'))).toBe('encrypted');
    const foxRecv = views[1]!.streams.filter((s) => s.direction === 'recv');
    expect(foxRecv.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    for (const s of foxRecv)
      expect({ opened: s.passed > 0, authFailed: s.authFailed, malformed: s.malformed }).toEqual({ opened: true, authFailed: 0, malformed: 0 });
    await ff.screenshot({ path: `${E2E_OUT_DIR}/firefox-call.png`, fullPage: false });
    await screenshot(host.page, 'firefox-guest-at-chromium-host');

    // What the SFU forwards of Firefox's camera: ciphertext that opens with Firefox's key only.
    const router = await routers.routerFor(meetingId);
    const foxVideo = await producerOf(host.page, idFox, 'video');
    const tap = await SfuTap.attach(router, foxVideo);
    try {
      const isKey = (f: { data: Buffer }) => (f.data[0]! & 1) === 0;
      await tap.waitForFrames(1, { filter: isKey, timeoutMs: TAP_TIMEOUT_MS });
      const frames = (await tap.waitForFrames(40, { timeoutMs: TAP_TIMEOUT_MS })).slice();
      const foxKeys = await decryptionKeys((await capturedKeys(ff)).filter((k) => k.op === 'sendKey'));
      const hostKeys = await decryptionKeys((await capturedKeys(host.page)).filter((k) => k.op === 'sendKey'));
      expect(foxKeys.size).toBeGreaterThan(0);
      const opened = await Promise.all(frames.map((f) => openFrame(f, 'video', foxKeys)));
      expect(opened.filter((o) => o === null).length, 'frames of Firefox that did not open with its key').toBe(0);
      const withOtherKey = await Promise.all(frames.map((f) => openFrame(f, 'video', hostKeys)));
      expect(withOtherKey.filter((o) => o !== null).length, "Firefox's frames opening with the host's key").toBe(0);
      const from = frames.findIndex(isKey);
      const clear = await decodeVp8(host.page, opened.slice(from) as Uint8Array[]);
      expect(clear).toMatchObject({ errors: 0 });
      expect(clear.decoded).toBe(frames.length - from);
      expect(clear.width).toBeGreaterThan(0);
      const raw = await decodeVp8(
        host.page,
        frames.slice(from).map((f) => f.data),
      );
      expect(lookAlike(raw, clear), "Firefox's frames as forwarded decode to its picture").toBe(0);
      expect(lookAlike(clear, clear)).toBe(clear.decoded);
    } finally {
      tap.close();
    }

    // Sealed chat, both ways.
    await host.page.evaluate(SEND_SECRET, 'informe-chromium');
    await ff.evaluate(SEND_SECRET, 'informe-firefox');
    const [fromHost] = await secretsOf(host.page);
    const [fromFox] = await secretsOf(ff);
    await waitFor(async () => (await ff.evaluate(CHAT_SHOWS, fromHost!)) && (await host.page.evaluate(CHAT_SHOWS, fromFox!)), 10_000, {
      message: 'chat both ways',
    });
    const sent = wire.join('\n');
    expect(sent).toContain('"sealed"');
    for (const text of [fromHost!, fromFox!]) expect(sent.includes(text.split(' ')[1]!), 'chat text on the wire').toBe(false);

    // A host mute of the Firefox participant holds at the SFU.
    await hostMenu(host.page, 'Lola Martín');
    await host.page.getByRole('button', { name: 'Silenciar a Lola Martín', exact: true }).click();
    await waitFor(async () => (await ff.$eval('#mic-button', (b) => (b as HTMLButtonElement).disabled && b.textContent)) === 'Activar micrófono', 5_000, {
      message: "Firefox's unmute disabled",
    });
    expect(await ff.$eval('#host-notice', (e) => e.textContent)).toContain(es.noticeMuted);
    await new Promise((r) => setTimeout(r, 300));
    expect(await growth(host.page, idFox, 'audio', 'packetsReceived', 1_500), "Firefox's audio at the host while muted").toBeLessThan(5);

    // The host removes her: her keys stop opening the host's frames after the rekey.
    const hostVideo = await producerOf(ff, idHost, 'video');
    const hostTap = await SfuTap.attach(router, hostVideo);
    try {
      await hostTap.waitForFrames(20, { timeoutMs: TAP_TIMEOUT_MS });
      // Taken before the click: frames the tap got before it were all sent under keys Firefox had.
      const removedAt = Date.now();
      await host.page.getByRole('button', { name: 'Expulsar a Lola Martín', exact: true }).click();
      expect(await waitState(ff, 'ended', 10_000)).toMatchObject({ errorCode: 'REMOVED' });
      const foxHad = await decryptionKeys(
        (await capturedKeys(ff)).filter((k) => k.op === 'receiveKey' && k.senderId === idHost),
        8,
      );
      await hostTap.waitForFrames(1, { filter: (f) => f.receivedAt > removedAt + REKEY_BOUND_MS + 1_000, timeoutMs: REKEY_BOUND_MS + TAP_TIMEOUT_MS });
      const before = hostTap.frames.filter((f) => f.receivedAt < removedAt);
      const after = hostTap.frames.filter((f) => f.receivedAt > removedAt);
      const openedBefore = await Promise.all(before.map((f) => openFrame(f, 'video', foxHad)));
      const openedAfter = await Promise.all(after.map((f) => openFrame(f, 'video', foxHad)));
      expect(
        openedBefore.every((o) => o !== null),
        "Firefox's keys opened the host's frames while it was in",
      ).toBe(true);
      const firstClosed = openedAfter.findIndex((o) => o === null);
      expect(firstClosed).toBeGreaterThanOrEqual(0);
      const rekeyMs = after[firstClosed]!.receivedAt - removedAt;
      console.log(`removed Firefox participant's keys stop opening frames ${rekeyMs} ms after the removal`);
      expect(rekeyMs).toBeLessThanOrEqual(REKEY_BOUND_MS);
      expect(openedAfter.slice(firstClosed).every((o) => o === null)).toBe(true);
    } finally {
      hostTap.close();
    }
  }, 180_000);
});
