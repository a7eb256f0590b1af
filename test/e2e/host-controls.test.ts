/**
 * Waiting room and host controls with three real Chromium processes, each signed in as its own
 * account, against the real server and a real mediasoup worker: the host creates the meeting on
 * the home page; two staff members wait (no camera, no microphone, no media) until the host admits
 * one and then "admit all"; all three decode each other; a host mute is enforced at the SFU (audio
 * stops at the others, the person cannot unmute) until the host asks, and the person decides;
 * chat links only https addresses; remove-and-ban stops the banned person's media and keeps them
 * out; chat turned off is refused; screen sharing and cameras follow the host's permissions. A
 * second meeting: denied, removed (and back, flagged), locked, co-host, the host role handed
 * over, ended for everyone.
 * Screenshots: test-output/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { es } from '../../client/src/i18n/es.ts';
import { deviceUse, endScreenSharing, signedInBrowser, spyOnDevicesAndSockets, type SignedInBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { alertText, growth, hostMenu, joinMeeting, mediaReleased, openMeeting, pageInfo, pageStats, received, screenshot, waitState } from '../helpers/page.ts';

let server: TestServer | undefined;
let carmenUser: TestUser;
/** Carmen hosts; Ana and Bruno are staff members who join her meeting. */
let carmen: SignedInBrowser | undefined;
let ana: SignedInBrowser | undefined;
let bruno: SignedInBrowser | undefined;

beforeAll(async () => {
  server = await startTestServer();
  const users = await Promise.all([
    server.createUser('carmen', { displayName: 'Carmen Ruiz' }),
    server.createUser('ana', { displayName: 'Ana' }),
    server.createUser('bruno', { displayName: 'Bruno Díaz' }),
  ]);
  carmenUser = users[0];
  [carmen, ana, bruno] = await Promise.all(users.map((u) => signedInBrowser(server!, u)));
  await Promise.all([carmen, ana, bruno].map((b) => spyOnDevicesAndSockets(b!.context)));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([carmen?.close(), ana?.close(), bruno?.close()]);
  await server?.close();
}, 30_000);

const logs = () => console.log([...(carmen?.logs ?? []), ...(ana?.logs ?? []), ...(bruno?.logs ?? [])].join('\n'));

describe('waiting room and host controls, three browsers', () => {
  it('admits from the waiting room, enforces a host mute at the SFU, links only https in chat, bans, and refuses chat when off', async () => {
    onTestFailed(logs);
    const pc = carmen!.page;
    const pa = ana!.page;
    const pb = bruno!.page;

    // Carmen creates the meeting on her home page: she is its owner and host.
    await pc.goto(`${server!.url}/`);
    await pc.waitForFunction(() => window.recinto?.view === 'home', null, { timeout: 10_000 });
    await pc.getByRole('textbox', { name: 'Título de la reunión' }).fill('Claustro de febrero');
    await pc.getByRole('button', { name: 'Crear reunión' }).click();
    const link = pc.getByRole('link', { name: 'Claustro de febrero', exact: true });
    await link.waitFor({ timeout: 5_000 });
    const meetingId = (await link.getAttribute('href'))!.replace('/m/', '');
    expect(server!.recinto.meetingStore.isHost(meetingId, carmenUser.id)).toBe(true);

    const idCarmen = await joinMeeting(pc, server!.url, meetingId);
    await waitFor(async () => (await pc.getByRole('region', { name: 'Sala de espera (0)' }).count()) === 1, 5_000, { message: 'empty waiting room panel' });
    // Alone in the call, the chat's "Para" still offers "Todos" (it stayed empty until someone came).
    expect(await pc.locator('#chat-to option').allTextContents()).toEqual([es.chatEveryone]);

    // Ana and Bruno join: the default policy has a waiting room, so they wait, without media.
    await Promise.all([openMeeting(pa, server!.url, meetingId), openMeeting(pb, server!.url, meetingId)]);
    await pa.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pa, 'waiting');
    await pb.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pb, 'waiting');
    for (const page of [pa, pb]) {
      expect(await page.getByRole('heading', { name: 'Sala de espera' }).isVisible()).toBe(true);
      expect(await page.getByText(es.waitingRoomText).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Salir de la sala de espera' }).isVisible()).toBe(true);
      expect(await deviceUse(page)).toMatchObject({ getUserMedia: 0, webSockets: 1, peerConnections: 0, liveTracks: 0 });
      expect(await page.locator('#call-view').isHidden()).toBe(true);
    }
    await screenshot(pa, 'waiting-room-ana');

    // Carmen sees both waiting, and lets Ana in first.
    const waitingList = pc.getByRole('list', { name: 'Personas en la sala de espera' });
    await waitFor(async () => (await waitingList.getByRole('listitem').count()) === 2, 5_000, { message: 'two people waiting' });
    expect(await waitingList.getByText(es.previouslyRemoved).filter({ visible: true }).count()).toBe(0);
    // Each shown as staff, with the username and how long they have waited.
    const anaWaiting = waitingList.getByRole('listitem').filter({ hasText: '@ana' });
    for (const text of [es.badgeStaff, es.waitingJustNow]) expect(await anaWaiting.getByText(text).isVisible()).toBe(true);
    await screenshot(pc, 'host-waiting-room');
    await pc.getByRole('button', { name: 'Admitir a Ana', exact: true }).click();
    const idAna = (await waitState(pa, 'joined')).id!;
    expect(await pageInfo(pb)).toMatchObject({ state: 'waiting' });
    await waitFor(async () => (await waitingList.getByRole('listitem').count()) === 1, 5_000, { message: 'one left waiting' });
    await pc.getByRole('button', { name: 'Admitir a todos' }).click();
    const idBruno = (await waitState(pb, 'joined')).id!;

    // All three decode each other's video.
    const ids = { [idCarmen]: 'Carmen', [idAna]: 'Ana', [idBruno]: 'Bruno' };
    await waitFor(
      async () => {
        for (const [page, self] of [
          [pc, idCarmen],
          [pa, idAna],
          [pb, idBruno],
        ] as const) {
          const s = await pageStats(page);
          for (const other of Object.keys(ids)) if (other !== self && received(s, other, 'video', 'framesDecoded') === 0) return false;
        }
        return true;
      },
      30_000,
      { message: 'everyone decodes everyone', intervalMs: 200 },
    );
    const people = pc.getByRole('list', { name: 'Participantes' });
    expect(await people.getByRole('listitem').count()).toBe(3);
    expect(await people.getByRole('listitem').filter({ hasText: 'Carmen Ruiz' }).getByText('Anfitrión', { exact: true }).count()).toBe(1);

    // Mute on entry: participants come in with the microphone paused at the server, and unmute themselves.
    const micB = pb.locator('#mic-button');
    expect(await micB.textContent()).toBe('Activar micrófono');
    expect(await growth(pa, idBruno, 'audio', 'packetsReceived', 1_000)).toBeLessThan(5);
    await micB.click();
    await waitFor(async () => (await micB.textContent()) === 'Silenciar micrófono', 5_000, { message: 'Bruno unmuted' });
    await waitFor(async () => (await growth(pa, idBruno, 'audio', 'packetsReceived', 500)) > 10, 10_000, { message: 'Ana hears Bruno' });
    await screenshot(pc, 'host-three-in-call');

    // Carmen mutes Bruno: the server pauses his microphone, Ana stops receiving it, and Bruno cannot unmute.
    await hostMenu(pc, 'Bruno Díaz');
    await pc.getByRole('button', { name: 'Silenciar a Bruno Díaz', exact: true }).click();
    await waitFor(async () => (await micB.textContent()) === 'Activar micrófono' && (await micB.isDisabled()), 5_000, { message: "Bruno's unmute disabled" });
    expect(await pb.locator('#host-notice').textContent()).toContain(es.noticeMuted);
    expect(await pb.getByText(es.micHostMutedHint).isVisible()).toBe(true);
    expect(await micB.getAttribute('aria-describedby')).toBe('mic-hint');
    await waitFor(
      async () => (await people.getByRole('listitem').filter({ hasText: 'Bruno Díaz' }).getByText('Silenciado por un anfitrión').count()) === 1,
      5_000,
      {
        message: 'muted badge at the host',
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await growth(pa, idBruno, 'audio', 'packetsReceived', 1_500), "Bruno's audio at Ana while muted by the host").toBeLessThan(5);
    await screenshot(pb, 'muted-by-host');

    // Carmen asks him to unmute; Bruno decides, and Ana hears him again.
    await pc.getByRole('button', { name: 'Pedir a Bruno Díaz que active el micrófono', exact: true }).click();
    const notice = pb.locator('#host-notice');
    await waitFor(async () => (await notice.textContent())?.includes(es.noticeUnmuteRequested), 5_000, { message: 'unmute request notice' });
    expect(await growth(pa, idBruno, 'audio', 'packetsReceived', 800), 'asking does not unmute').toBeLessThan(5);
    await screenshot(pb, 'asked-to-unmute');
    await notice.getByRole('button', { name: 'Activar micrófono' }).click();
    await waitFor(async () => (await micB.textContent()) === 'Silenciar micrófono', 5_000, { message: 'Bruno unmuted again' });
    await waitFor(async () => (await growth(pa, idBruno, 'audio', 'packetsReceived', 500)) > 10, 10_000, { message: 'Ana hears Bruno again' });

    // Chat: only the https address becomes a link; the others stay text.
    const text = 'Material: https://example.org/x y también \\\\server\\share o file:///etc/passwd';
    await pa.getByRole('textbox', { name: 'Mensaje' }).fill(text);
    await pa.getByRole('button', { name: 'Enviar' }).click();
    const logC = pc.getByRole('log', { name: 'Mensajes del chat' });
    await waitFor(async () => (await logC.getByRole('listitem').count()) === 1, 5_000, { message: 'message at Carmen' });
    const message = logC.getByRole('listitem').first();
    expect(await message.locator('.chat-text').textContent()).toBe(text);
    expect(await message.locator('.chat-from').textContent()).toBe('Ana');
    const links = message.getByRole('link');
    expect(await links.count()).toBe(1);
    expect(await links.first().getAttribute('href')).toBe('https://example.org/x');
    expect(await links.first().getAttribute('rel')).toBe('noopener noreferrer');
    expect(await links.first().getAttribute('target')).toBe('_blank');
    expect(await message.locator('script, img, iframe').count()).toBe(0);
    // Ana sees her own message once; Bruno sees it too.
    await waitFor(async () => (await pb.getByRole('log', { name: 'Mensajes del chat' }).getByRole('listitem').count()) === 1, 5_000, {
      message: 'message at Bruno',
    });
    expect(await pa.getByRole('log', { name: 'Mensajes del chat' }).getByRole('listitem').count()).toBe(1);
    expect(await pa.getByRole('textbox', { name: 'Mensaje' }).inputValue()).toBe('');

    // A private message reaches only its recipient (and its sender).
    await pa.getByRole('combobox', { name: 'Para' }).selectOption({ label: 'Carmen Ruiz' });
    await pa.getByRole('textbox', { name: 'Mensaje' }).fill('Solo para Carmen');
    await pa.getByRole('textbox', { name: 'Mensaje' }).press('Enter');
    await waitFor(async () => (await logC.getByRole('listitem').count()) === 2, 5_000, { message: 'private message at Carmen' });
    expect(await logC.getByRole('listitem').nth(1).locator('.chat-from').textContent()).toBe('Ana a usted, en privado');
    await new Promise((r) => setTimeout(r, 300));
    expect(await pb.getByRole('log', { name: 'Mensajes del chat' }).getByRole('listitem').count()).toBe(1);
    await screenshot(pc, 'chat-at-host');

    // Screen sharing is for hosts by default: Carmen shares, Ana sees it in a tile of its own.
    const gridA = pa.getByRole('list', { name: 'Vídeos' });
    const decodes = (tile: ReturnType<Page['locator']>) => tile.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth > 0);
    expect(await pb.getByRole('button', { name: 'Compartir pantalla', exact: true }).count()).toBe(0);
    await pc.getByRole('button', { name: 'Compartir pantalla', exact: true }).click();
    const carmenScreen = gridA.getByRole('listitem', { name: 'Pantalla de Carmen Ruiz' });
    await waitFor(() => decodes(carmenScreen), 15_000, { message: "Carmen's screen at Ana", intervalMs: 100 });
    expect(await pc.getByRole('button', { name: 'Dejar de compartir' }).count()).toBe(1);

    // Carmen lets Bruno share, then takes it back: his sharing stops, at the SFU and on his page.
    await hostMenu(pc, 'Bruno Díaz');
    await pc.getByRole('button', { name: 'Permitir compartir pantalla a Bruno Díaz', exact: true }).click();
    await waitFor(async () => (await pb.locator('#host-notice').textContent())?.includes(es.noticeScreenAllowed), 5_000, {
      message: 'screen share allowed notice',
    });
    await pb.getByRole('button', { name: 'Compartir pantalla', exact: true }).click();
    const brunoScreen = gridA.getByRole('listitem', { name: 'Pantalla de Bruno Díaz' });
    await waitFor(() => decodes(brunoScreen), 15_000, { message: "Bruno's screen at Ana", intervalMs: 100 });
    expect(await deviceUse(pb)).toMatchObject({ getDisplayMedia: 1, liveTracks: 3 });
    await screenshot(pa, 'two-screens-at-ana');
    await pc.getByRole('button', { name: 'Prohibir compartir pantalla a Bruno Díaz', exact: true }).click();
    await waitFor(async () => (await brunoScreen.count()) === 0, 5_000, { message: "Bruno's screen gone at Ana" });
    await waitFor(async () => (await deviceUse(pb)).liveTracks === 2, 5_000, { message: "Bruno's screen capture stopped" });
    expect(await pb.locator('#screen-button').isHidden()).toBe(true);
    expect(await pb.locator('#host-notice').textContent()).toContain(es.noticeScreenDisallowed);

    // Carmen stops from the browser's own "stop sharing": the track ends, the tile goes.
    expect(await endScreenSharing(pc)).toBe(1);
    await waitFor(async () => (await carmenScreen.count()) === 0, 5_000, { message: "Carmen's screen gone at Ana" });
    expect(await pc.getByRole('button', { name: 'Compartir pantalla', exact: true }).count()).toBe(1);

    // Camera: Carmen forbids Ana's, which stops (not merely paused) and cannot be turned on; allowing
    // it again does not turn it on either: Ana does.
    const camA = pa.locator('#camera-button');
    await hostMenu(pc, 'Ana');
    await pc.getByRole('button', { name: 'Prohibir la cámara a Ana', exact: true }).click();
    await waitFor(async () => (await camA.isDisabled()) && (await camA.textContent()) === 'Encender cámara', 5_000, { message: "Ana's camera off and locked" });
    expect(await pa.getByText(es.cameraForbiddenHint).filter({ visible: true }).count()).toBe(1);
    await waitFor(async () => (await deviceUse(pa)).liveTracks === 1, 5_000, { message: "Ana's camera released" });
    const anaTile = pc.getByRole('list', { name: 'Vídeos' }).getByRole('listitem', { name: 'Ana', exact: true });
    await waitFor(async () => (await anaTile.locator('video').count()) === 0, 5_000, { message: "Ana's video gone at Carmen" });
    await pc.getByRole('button', { name: 'Permitir la cámara a Ana', exact: true }).click();
    await waitFor(async () => !(await camA.isDisabled()), 5_000, { message: "Ana's camera allowed" });
    expect(await deviceUse(pa)).toMatchObject({ liveTracks: 1 });
    await camA.click();
    await waitFor(async () => (await growth(pc, idAna, 'video', 'framesDecoded', 500)) > 5, 15_000, { message: "Carmen decodes Ana's camera again" });
    expect(await camA.textContent()).toBe('Apagar cámara');

    // Remove and ban Bruno (after a confirmation): his page says so, his media stops.
    await hostMenu(pc, 'Bruno Díaz');
    await pc.getByRole('button', { name: 'Expulsar y bloquear a Bruno Díaz', exact: true }).click();
    const dialog = pc.getByRole('dialog');
    expect(await dialog.textContent()).toContain('¿Expulsar a Bruno Díaz de la reunión sin dejarle volver a entrar?');
    await dialog.getByRole('button', { name: 'Expulsar y bloquear' }).click();
    expect(await waitState(pb, 'ended', 5_000)).toMatchObject({ errorCode: 'BANNED' });
    await mediaReleased(pb, 3_000, "Bruno's transports closed and camera/microphone stopped");
    expect(await alertText(pb)).toContain(es.err_BANNED);
    expect(await pb.locator('#call-view').isHidden()).toBe(true);
    const grid = pa.getByRole('list', { name: 'Vídeos' });
    await waitFor(async () => (await grid.getByRole('listitem', { name: 'Bruno Díaz' }).count()) === 0, 5_000, { message: "Bruno's tile gone at Ana" });
    await screenshot(pb, 'removed-and-banned');

    // He cannot come back: reloading and joining again is refused, without camera or microphone.
    await pb.reload();
    await pb.waitForFunction(() => window.recinto?.view === 'meeting', null, { timeout: 10_000 });
    await pb.getByRole('button', { name: 'Unirse' }).click();
    expect(await waitState(pb, 'error')).toMatchObject({ errorCode: 'BANNED' });
    expect(await alertText(pb)).toContain(es.err_BANNED);
    expect(await pb.getByRole('button', { name: 'Unirse' }).isDisabled()).toBe(true);
    expect(await deviceUse(pb)).toMatchObject({ getUserMedia: 0, peerConnections: 0 });
    await screenshot(pb, 'banned-at-join');

    // Carmen turns chat off: Ana's chat is disabled with the reason, and the server refuses a send anyway.
    await pc.getByRole('checkbox', { name: 'Chat', exact: true }).uncheck();
    const inputA = pa.getByRole('textbox', { name: 'Mensaje' });
    await waitFor(() => inputA.isDisabled(), 5_000, { message: "Ana's chat disabled" });
    expect(await pa.locator('#chat-disabled').textContent()).toBe(es.err_CHAT_DISABLED);
    expect(await pa.getByRole('button', { name: 'Enviar' }).isDisabled()).toBe(true);
    // A page that missed the change (forced here) still cannot send: the server says CHAT_DISABLED.
    await pa.evaluate(() =>
      document.querySelectorAll<HTMLTextAreaElement | HTMLButtonElement | HTMLSelectElement>('#chat-form [disabled]').forEach((el) => (el.disabled = false)),
    );
    await inputA.fill('¿Se puede?');
    await pa.getByRole('button', { name: 'Enviar' }).click();
    await waitFor(async () => (await alertText(pa)).includes(es.err_CHAT_DISABLED), 5_000, { message: 'CHAT_DISABLED shown' });
    expect(await logC.getByRole('listitem').count()).toBe(2);
    await screenshot(pa, 'chat-disabled');
  }, 180_000);

  it('denies from the waiting room, removes without a ban, keeps a locked meeting closed, makes a co-host, hands over the host role, and ends it for everyone', async () => {
    onTestFailed(logs);
    const pc = carmen!.page;
    const pa = ana!.page;
    const meetingId = server!.createMeeting('Tutoría', { ownerId: carmenUser.id });
    await joinMeeting(pc, server!.url, meetingId);

    // Denied: Ana is told, and never had camera or microphone on.
    await openMeeting(pa, server!.url, meetingId);
    await pa.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pa, 'waiting');
    await pc.getByRole('button', { name: 'Rechazar a Ana', exact: true }).click();
    expect(await waitState(pa, 'ended', 5_000)).toMatchObject({ errorCode: 'DENIED' });
    expect(await alertText(pa)).toContain(es.err_DENIED);
    expect(await deviceUse(pa)).toMatchObject({ getUserMedia: 0, peerConnections: 0, liveTracks: 0 });

    // She may ask again; this time she is let in.
    await pa.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pa, 'waiting');
    await pc.getByRole('button', { name: 'Admitir a Ana', exact: true }).click();
    await waitState(pa, 'joined');

    // Removed without a ban: she may ask to come back, and the host sees she was removed before.
    await hostMenu(pc, 'Ana');
    await pc.getByRole('button', { name: 'Expulsar a Ana', exact: true }).click();
    expect(await waitState(pa, 'ended', 5_000)).toMatchObject({ errorCode: 'REMOVED' });
    expect(await alertText(pa)).toContain(es.err_REMOVED);
    await waitFor(async () => (await deviceUse(pa)).liveTracks === 0, 3_000, { message: "Ana's media stopped", intervalMs: 50 });
    await pa.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pa, 'waiting');
    const waitingAna = pc.getByRole('list', { name: 'Personas en la sala de espera' }).getByRole('listitem').filter({ hasText: 'Ana' });
    await waitFor(() => waitingAna.getByText(es.previouslyRemoved).isVisible(), 5_000, { message: '"previously removed" flag' });
    await screenshot(pc, 'waiting-previously-removed');
    await pc.getByRole('button', { name: 'Admitir a Ana', exact: true }).click();
    await waitState(pa, 'joined');

    // Locked: nobody new, not even to the waiting room.
    await pc.getByRole('button', { name: 'Bloquear la reunión' }).click();
    await waitFor(() => pa.locator('#locked-badge').isVisible(), 5_000, { message: 'locked badge at Ana' });
    expect(await pc.getByRole('button', { name: 'Desbloquear la reunión' }).count()).toBe(1);
    const bea = await server!.createUser('bea', { displayName: 'Bea' });
    const beaBrowser = await signedInBrowser(server!, bea);
    try {
      await openMeeting(beaBrowser.page, server!.url, meetingId);
      await beaBrowser.page.getByRole('button', { name: 'Unirse' }).click();
      expect(await waitState(beaBrowser.page, 'error')).toMatchObject({ errorCode: 'MEETING_LOCKED' });
      expect(await alertText(beaBrowser.page)).toContain(es.err_MEETING_LOCKED);
    } finally {
      await beaBrowser.close();
    }

    // Co-host: Ana gets the host controls, but not "end for everyone" (hosts only).
    await hostMenu(pc, 'Ana');
    await pc.getByRole('button', { name: 'Hacer coanfitrión a Ana', exact: true }).click();
    const toolbarA = pa.getByRole('region', { name: 'Controles del anfitrión' });
    await waitFor(() => toolbarA.isVisible(), 5_000, { message: 'host controls at Ana' });
    expect(await toolbarA.getByRole('button', { name: 'Silenciar a todos' }).isVisible()).toBe(true);
    expect(await pa.getByRole('button', { name: 'Finalizar la reunión para todos' }).count()).toBe(0);
    expect(await pa.getByRole('region', { name: 'Sala de espera (0)' }).isVisible()).toBe(true);
    expect(
      await pa.getByRole('list', { name: 'Participantes' }).getByRole('listitem').filter({ hasText: 'Ana' }).getByText('Coanfitrión', { exact: true }).count(),
    ).toBe(1);

    // Carmen, the only host, leaves and hands the host role to Ana.
    await pc.getByRole('button', { name: 'Salir', exact: true }).click();
    const leaveDialog = pc.getByRole('dialog');
    expect(await leaveDialog.textContent()).toContain(es.handOverIntro);
    await leaveDialog.getByRole('combobox', { name: 'Nuevo anfitrión' }).selectOption({ label: 'Ana' });
    await leaveDialog.getByRole('button', { name: 'Salir de la reunión' }).click();
    await waitState(pc, 'left', 5_000);
    await waitFor(async () => (await pa.getByRole('button', { name: 'Finalizar la reunión para todos' }).count()) === 1, 5_000, { message: 'Ana is host' });
    expect(await pa.locator('#status').textContent()).toContain(es.statusNowHost);

    // A host is never locked out of her own meeting: Carmen comes back in, and ends it.
    await pc.getByRole('button', { name: 'Unirse' }).click();
    await waitState(pc, 'joined');
    // The meeting's own host outranks one who was handed the role, as the server says in each
    // view: Carmen may act on Ana, Ana on nobody.
    await waitFor(async () => (await pc.getByRole('button', { name: 'Acciones para Ana', exact: true }).count()) === 1, 5_000, {
      message: "Carmen's menu for Ana",
    });
    await hostMenu(pc, 'Ana');
    expect(await pc.getByRole('button', { name: 'Silenciar a Ana', exact: true }).isVisible()).toBe(true);
    expect(await pa.getByRole('button', { name: 'Acciones para Carmen Ruiz', exact: true }).count()).toBe(0);

    // Ended for everyone (after a confirmation): Ana's call stops and says why.
    await pc.getByRole('button', { name: 'Finalizar la reunión para todos' }).click();
    await pc.getByRole('dialog').getByRole('button', { name: 'Finalizar para todos' }).click();
    expect(await waitState(pa, 'ended', 5_000)).toMatchObject({ errorCode: 'MEETING_ENDED' });
    expect(await waitState(pc, 'ended', 5_000)).toMatchObject({ errorCode: 'MEETING_ENDED' });
    expect(await alertText(pa)).toContain(es.err_MEETING_ENDED);
    expect(await alertText(pc)).not.toContain(es.errorPrefix);
    await mediaReleased(pa, 3_000, "Ana's media stopped");
    await screenshot(pa, 'meeting-ended');
  }, 120_000);
});
