/**
 * Guests in real browsers against the real server and a real mediasoup worker: a host (signed
 * in) creates a meeting through the API; a browser without any session opens its link, chooses
 * "enter as a guest", gives a name and the meeting password, and waits (no camera, no
 * microphone) until the host — who sees them marked as a guest — admits them; both decode each
 * other's video; guests cannot be made co-host; remove-and-ban stops the guest's media, ends
 * their access, refuses that browser for good and changes the meeting password (the host is told
 * the new one; the old one opens nothing); a guest session ended on the server ends the call and
 * says so. A
 * wrong password and a staff-only meeting get their translated messages.
 * Screenshots: test-output/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { es } from '../../client/src/i18n/es.ts';
import { GUEST_COOKIE } from '../../server/auth/guest-sessions.ts';
import { deviceUse, launchBrowser, signedInBrowser, spyOnDevicesAndSockets, type LaunchedBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { alertText, hostMenu, joinMeeting, mediaReleased, openMeeting, pageInfo, pageStats, received, screenshot, waitState } from '../helpers/page.ts';

let server: TestServer | undefined;
/** Carmen hosts; the guest's browser has no session at all. */
let carmen: SignedInBrowser | undefined;
let guest: LaunchedBrowser | undefined;

beforeAll(async () => {
  server = await startTestServer();
  const user = await server.createUser('carmen', { displayName: 'Carmen Ruiz' });
  [carmen, guest] = await Promise.all([signedInBrowser(server, user), launchBrowser({ label: 'guest' })]);
  await Promise.all([spyOnDevicesAndSockets(carmen.context), spyOnDevicesAndSockets(guest.context)]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([carmen?.close(), guest?.close()]);
  await server?.close();
}, 30_000);

const logs = () => console.log([...(carmen?.logs ?? []), ...(guest?.logs ?? [])].join('\n'));

/** Creates a meeting as Carmen through the API; returns its id and guest password. */
async function createMeeting(title: string, policy?: Record<string, unknown>): Promise<{ id: string; password: string }> {
  const reply = await carmen!.http.post('/api/meetings', { title, ...(policy ? { policy } : {}) });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  const password = reply.body.invitation.password as string | null;
  expect(password).toBeTruthy();
  return { id: reply.body.id as string, password: password! };
}

/** Fills the guest form and presses "Unirse". */
async function enterAsGuest(page: Page, name: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Su nombre' }).fill(name);
  await page.getByRole('textbox', { name: 'Contraseña de la reunión' }).fill(password);
  await page.getByRole('button', { name: 'Unirse', exact: true }).click();
}

describe('guests, in real browsers', () => {
  it('lets a guest in with the meeting password through the waiting room, marks them for hosts, bans them for good (that browser refused, the password changed), and ends the call when their access ends', async () => {
    onTestFailed(logs);
    const pc = carmen!.page;
    const pg = guest!.page;
    const { id: meetingId, password } = await createMeeting('Tutoría con familias');

    const idCarmen = await joinMeeting(pc, server!.url, meetingId);

    // Without a session the link offers the guest form and sign-in for staff; nothing starts by itself.
    await openMeeting(pg, server!.url, meetingId);
    expect(await pg.getByRole('heading', { name: 'Entrar como invitado' }).isVisible()).toBe(true);
    const staffLink = pg.getByRole('link', { name: 'Soy del personal: iniciar sesión' });
    expect(await staffLink.getAttribute('href')).toBe(`/login?next=${encodeURIComponent(`/m/${meetingId}`)}`);
    expect(await pg.getByRole('textbox', { name: 'Contraseña de la reunión' }).getAttribute('type')).toBe('password');
    expect(await pg.getByRole('textbox', { name: 'Su nombre' }).evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await pg.getByRole('link', { name: 'Mis reuniones' }).count()).toBe(0);
    expect(await deviceUse(pg)).toMatchObject({ getUserMedia: 0, webSockets: 0, peerConnections: 0 });
    await screenshot(pg, 'guest-form');

    // The guest enters: a guest session (HttpOnly cookie) and a device token kept by the browser;
    // then the waiting room, without camera or microphone.
    await enterAsGuest(pg, 'Lola Martín', password);
    await waitState(pg, 'waiting');
    expect(await pg.getByRole('heading', { name: 'Sala de espera' }).isVisible()).toBe(true);
    expect(await pg.getByText(es.waitingGuestText).isVisible()).toBe(true);
    expect(await deviceUse(pg)).toMatchObject({ getUserMedia: 0, webSockets: 1, peerConnections: 0, liveTracks: 0 });
    const cookie = (await guest!.context.cookies()).find((c) => c.name === GUEST_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true });
    expect(await pg.evaluate(() => document.cookie)).not.toContain(GUEST_COOKIE);
    const deviceToken = await pg.evaluate(() => localStorage.getItem('recinto.deviceToken'));
    expect(deviceToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    await screenshot(pg, 'guest-waiting');

    // Carmen sees her waiting, marked as a guest (not as removed before), and admits her.
    const waitingList = pc.getByRole('list', { name: 'Personas en la sala de espera' });
    const waitingLola = waitingList.getByRole('listitem').filter({ hasText: 'Lola Martín' });
    await waitFor(async () => (await waitingLola.count()) === 1, 5_000, { message: 'guest in the waiting room' });
    expect(await waitingLola.getByText(es.badgeGuest, { exact: true }).isVisible()).toBe(true);
    expect(await waitingLola.getByText(es.previouslyRemoved).filter({ visible: true }).count()).toBe(0);
    await screenshot(pc, 'host-guest-waiting');
    await pc.getByRole('button', { name: 'Admitir a Lola Martín', exact: true }).click();
    const idGuest = (await waitState(pg, 'joined')).id!;

    // Both decode each other's video.
    await waitFor(
      async () => received(await pageStats(pc), idGuest, 'video', 'framesDecoded') > 0 && received(await pageStats(pg), idCarmen, 'video', 'framesDecoded') > 0,
      30_000,
      {
        message: 'host and guest decode each other',
        intervalMs: 200,
      },
    );
    expect(await deviceUse(pg)).toMatchObject({ getUserMedia: 1, liveTracks: 2 });

    // The guest is marked in the participants panel (on both pages); there is no co-host option for her.
    const lolaRow = pc.getByRole('list', { name: 'Participantes' }).getByRole('listitem').filter({ hasText: 'Lola Martín' });
    expect(await lolaRow.getByText(es.badgeGuest, { exact: true }).isVisible()).toBe(true);
    const carmenRow = pc.getByRole('list', { name: 'Participantes' }).getByRole('listitem').filter({ hasText: 'Carmen Ruiz' });
    expect(await carmenRow.getByText(es.badgeGuest, { exact: true }).count()).toBe(0);
    const selfRow = pg.getByRole('list', { name: 'Participantes' }).getByRole('listitem').filter({ hasText: 'Lola Martín' });
    expect(await selfRow.getByText(es.badgeGuest, { exact: true }).isVisible()).toBe(true);
    await hostMenu(pc, 'Lola Martín');
    expect(await pc.getByRole('button', { name: 'Silenciar a Lola Martín', exact: true }).isVisible()).toBe(true);
    expect(await pc.getByRole('button', { name: 'Hacer coanfitrión a Lola Martín', exact: true }).count()).toBe(0);
    await screenshot(pc, 'host-with-guest');

    // Remove and ban: the guest's page says so, her media stops, her access ends.
    await pc.getByRole('button', { name: 'Expulsar y bloquear a Lola Martín', exact: true }).click();
    await pc.getByRole('dialog').getByRole('button', { name: 'Expulsar y bloquear' }).click();
    expect(await waitState(pg, 'ended', 5_000)).toMatchObject({ errorCode: 'BANNED' });
    await mediaReleased(pg, 3_000, "guest's transports closed and camera/microphone stopped");
    expect(await alertText(pg)).toContain(es.err_BANNED);
    expect(await pg.locator('#call-view').isHidden()).toBe(true);
    await waitFor(async () => (await pc.getByRole('list', { name: 'Vídeos' }).getByRole('listitem', { name: 'Lola Martín' }).count()) === 0, 5_000, {
      message: "guest's tile gone at the host",
    });
    await screenshot(pg, 'guest-removed-and-banned');

    // The ban changed the meeting password: Carmen is told the new one, the old invitation is dead.
    const newPassword = (await carmen!.http.get(`/api/meetings/${meetingId}`)).body.invitation.password as string;
    expect(newPassword).not.toBe(password);
    await waitFor(async () => (await pc.locator('body').innerText()).includes(newPassword), 5_000, { message: 'the host is told the new password' });
    await screenshot(pc, 'host-password-changed-after-ban');

    // Back from the same browser, even with the new password: refused for good, no waiting room.
    await pg.reload();
    await pg.waitForFunction(() => window.recinto?.view === 'meeting', null, { timeout: 10_000 });
    await enterAsGuest(pg, 'Lola Martín', newPassword);
    await waitFor(async () => (await alertText(pg)).includes(es.err_BANNED), 5_000, { message: 'banned browser refused' });
    expect(await deviceUse(pg)).toMatchObject({ getUserMedia: 0, webSockets: 0, peerConnections: 0 });
    await screenshot(pg, 'guest-banned-browser-refused');

    // A fresh browser (no device token) cannot be recognised: the old password no longer opens the
    // meeting; with the new one she waits again, and Carmen decides.
    await pg.evaluate(() => localStorage.removeItem('recinto.deviceToken'));
    await pg.reload();
    await pg.waitForFunction(() => window.recinto?.view === 'meeting', null, { timeout: 10_000 });
    await enterAsGuest(pg, 'Lola Martín', password);
    await waitFor(async () => (await alertText(pg)).includes(es.err_MEETING_PASSWORD_WRONG), 5_000, { message: 'old password refused' });
    await enterAsGuest(pg, 'Lola Martín', newPassword);
    await waitState(pg, 'waiting');
    expect(await pg.evaluate(() => localStorage.getItem('recinto.deviceToken'))).not.toBe(deviceToken);
    await waitFor(async () => (await waitingLola.count()) === 1, 5_000, { message: 'guest waiting again' });
    expect(await waitingLola.getByText(es.badgeGuest, { exact: true }).isVisible()).toBe(true);

    // Carmen lets her in again; then her guest session ends on the server: her call stops and the page says why.
    await pc.getByRole('button', { name: 'Admitir a Lola Martín', exact: true }).click();
    await waitState(pg, 'joined');
    const guestSessions = server!.recinto.db.prepare('SELECT id_hash FROM guest_sessions').pluck().all() as string[];
    server!.recinto.guests.end(guestSessions); // the server closes her socket at once (4401)
    expect(await waitState(pg, 'error', 5_000)).toMatchObject({ errorCode: 'GUEST_SESSION_ENDED' });
    await mediaReleased(pg, 3_000, "guest's media stopped");
    expect(await alertText(pg)).toContain('Su acceso como invitado ha terminado');
    expect(await pg.getByRole('textbox', { name: 'Contraseña de la reunión' }).inputValue()).toBe('');
    expect(await pg.getByRole('button', { name: 'Unirse', exact: true }).isEnabled()).toBe(true);
    await waitFor(async () => (await pc.getByRole('list', { name: 'Participantes' }).getByRole('listitem').count()) === 1, 5_000, {
      message: 'guest gone at the host',
    });
    await screenshot(pg, 'guest-session-ended');
    await pc.getByRole('button', { name: 'Salir', exact: true }).click();
    await waitState(pc, 'left', 5_000);
  }, 180_000);

  it('says when the meeting password is wrong, when the name is missing, and when a meeting takes staff only', async () => {
    onTestFailed(logs);
    const pg = guest!.page;
    const open = await createMeeting('Reunión de padres');
    const staffOnly = await createMeeting('Claustro', { guests: 'none' });

    // A wrong password: the translated message, the password cleared for another try, no socket.
    await openMeeting(pg, server!.url, open.id);
    const sockets = (await deviceUse(pg)).webSockets;
    await enterAsGuest(pg, 'Pedro', 'no-es-la-contraseña');
    await waitFor(async () => (await alertText(pg)).includes(es.err_MEETING_PASSWORD_WRONG), 5_000, { message: 'wrong password message' });
    const passwordInput = pg.getByRole('textbox', { name: 'Contraseña de la reunión' });
    expect(await passwordInput.inputValue()).toBe('');
    expect(await passwordInput.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await pageInfo(pg)).toMatchObject({ state: 'idle' });
    expect(await deviceUse(pg)).toMatchObject({ getUserMedia: 0, webSockets: sockets, peerConnections: 0 });
    await screenshot(pg, 'guest-wrong-password');

    // A name of spaces only is refused before anything is sent.
    await enterAsGuest(pg, '   ', open.password);
    await waitFor(async () => (await alertText(pg)).includes(es.err_INVALID_NAME), 5_000, { message: 'invalid name message' });
    expect(await pageInfo(pg)).toMatchObject({ state: 'idle' });

    // In English too.
    await pg.goto(`${server!.url}/m/${open.id}?lang=en`);
    await pg.waitForFunction(() => window.recinto?.view === 'meeting', null, { timeout: 10_000 });
    await pg.getByRole('textbox', { name: 'Your name' }).fill('Pedro');
    await pg.getByRole('textbox', { name: 'Meeting password' }).fill('wrong-password');
    await pg.getByRole('button', { name: 'Join', exact: true }).click();
    await waitFor(async () => (await alertText(pg)).includes('No such meeting, or the password is wrong.'), 5_000, { message: 'English message' });
    await pg.goto(`${server!.url}/m/${open.id}?lang=es`);

    // A staff-only meeting refuses guests even with the right password.
    await openMeeting(pg, server!.url, staffOnly.id);
    await enterAsGuest(pg, 'Pedro', staffOnly.password);
    await waitFor(async () => (await alertText(pg)).includes(es.err_GUESTS_NOT_ALLOWED), 5_000, { message: 'GUESTS_NOT_ALLOWED message' });
    expect(await pageInfo(pg)).toMatchObject({ state: 'idle' });
    expect(await deviceUse(pg)).toMatchObject({ getUserMedia: 0, webSockets: 0, peerConnections: 0 });
    await screenshot(pg, 'guest-staff-only');

    // "Soy del personal" leads to sign-in, which returns to the meeting.
    await pg.getByRole('link', { name: 'Soy del personal: iniciar sesión' }).click();
    await pg.waitForFunction(() => window.recinto?.view === 'login', null, { timeout: 10_000 });
    expect(new URL(pg.url()).search).toBe(`?next=${encodeURIComponent(`/m/${staffOnly.id}`)}`);
  }, 60_000);
});
