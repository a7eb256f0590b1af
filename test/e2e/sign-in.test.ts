/**
 * Signing in through the browser client against the real server: the first admin's first
 * sign-in (one-time password, TOTP enrolment from the page's QR code and secret, recovery codes,
 * password change), a staff member's sign-in with an authenticator code up to a joined call, a
 * wrong code, and where sign-in may send people afterwards. Screenshots: test-output/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { totpAt } from '../../server/auth/totp.ts';
import { es } from '../../client/src/i18n/es.ts';
import { accessibleControls, launchBrowser, signedInBrowser, type LaunchedBrowser } from '../helpers/browser.ts';
import { screenshot, waitState } from '../helpers/page.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

let server: TestServer;
let chrome: LaunchedBrowser | undefined;

beforeAll(async () => {
  [server, chrome] = await Promise.all([startTestServer(), launchBrowser({ label: 'sign-in' })]);
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

/** A page in a new browser context: no cookies, like a first visit. */
async function freshPage(): Promise<Page> {
  const context = await chrome!.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('console', (m) => chrome!.logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => chrome!.logs.push(`pageerror: ${e.message}`));
  return page;
}

const viewOf = (page: Page) => page.evaluate(() => window.recinto?.view);
const atView = (page: Page, view: string) => page.waitForFunction((v) => window.recinto?.view === v, view, { timeout: 15_000 });

async function signInWithPassword(page: Page, username: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Nombre de usuario' }).fill(username);
  await page.getByRole('textbox', { name: 'Contraseña' }).fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
}

async function expectEveryControlNamed(page: Page): Promise<void> {
  expect((await accessibleControls(page)).filter((c) => !c.name.trim())).toEqual([]);
}

describe('sign-in in the browser', () => {
  it('takes the first admin from the one-time password through enrolment, recovery codes and a new password to home', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const admin = server.recinto.firstAdmin!;
    const page = await freshPage();
    await page.goto(`${server.url}/login`);
    await atView(page, 'login');
    await signInWithPassword(page, 'admin', admin.password);

    // Enrolment: the QR code is an image the browser could decode, and the same secret is text.
    await atView(page, 'enrol');
    const qr = page.getByRole('img', { name: 'Código QR para añadir Recinto a su aplicación de autenticación' });
    await waitFor(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 5_000, { message: 'QR image decoded' });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    const secret = (await page.locator('#enrol-secret').textContent())!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expectEveryControlNamed(page);
    await screenshot(page, 'enrol');
    await page.getByRole('textbox', { name: 'Código de verificación' }).fill(totpAt({ secret, time: Math.floor(Date.now() / 1000) }));
    await page.getByRole('button', { name: 'Activar' }).click();

    // Ten recovery codes, shown once; going on needs the "saved them" confirmation.
    await atView(page, 'recovery-codes');
    const codes = page.getByRole('list', { name: 'Códigos de recuperación' }).getByRole('listitem');
    expect(await codes.count()).toBe(10);
    const next = page.getByRole('button', { name: 'Continuar' });
    expect(await next.isDisabled()).toBe(true);
    await expectEveryControlNamed(page);
    await screenshot(page, 'recovery-codes');
    await page.getByRole('checkbox', { name: 'He guardado los códigos en un lugar seguro' }).check();
    await next.click();

    // The one-time password must be replaced before anything else.
    await atView(page, 'change-password');
    await expectEveryControlNamed(page);
    await page.getByRole('textbox', { name: 'Contraseña actual' }).fill(admin.password);
    await page.getByRole('textbox', { name: 'Contraseña nueva', exact: true }).fill('una contraseña nueva y larga');
    await page.getByRole('textbox', { name: 'Repita la contraseña nueva' }).fill('una contraseña nueva y larga');
    await screenshot(page, 'change-password');
    await page.getByRole('button', { name: 'Cambiar la contraseña' }).click();

    await atView(page, 'home');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('heading', { name: 'Mis reuniones' }).isVisible()).toBe(true);
    await screenshot(page, 'home-first-admin');
  }, 60_000);

  it('signs a staff member in with an authenticator code, who creates a meeting, opens it and joins', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const user = await server.createUser('lucia', { displayName: 'Lucía Pérez' });
    const page = await freshPage();
    await page.goto(`${server.url}/login`);
    await atView(page, 'login');
    await signInWithPassword(page, user.username, user.password);
    await atView(page, 'second-factor');
    await screenshot(page, 'second-factor');
    await page.getByRole('textbox', { name: 'Código de verificación' }).fill(user.nextCode());
    await page.getByRole('button', { name: 'Verificar' }).click();

    await atView(page, 'home');
    await page.getByRole('textbox', { name: 'Título de la reunión' }).fill('Consejo de departamento');
    await page.getByRole('button', { name: 'Crear reunión' }).click();
    const link = page.getByRole('link', { name: 'Consejo de departamento', exact: true });
    await link.waitFor({ timeout: 5_000 });
    expect(await page.getByRole('button', { name: 'Copiar enlace de «Consejo de departamento»' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Copiar contraseña de «Consejo de departamento»' }).count()).toBe(1);

    // The new meeting's invitation: link and password, each to copy, and a calendar file that
    // carries the link but not the password.
    const invitation = page.getByRole('region', { name: 'Invitación a «Consejo de departamento»' });
    const meetingLink = await invitation.locator('code.link').textContent();
    expect(meetingLink).toBe(`${server.url}${new URL((await link.getAttribute('href'))!, server.url).pathname}`);
    const password = await invitation.locator('code.password').textContent();
    expect(password).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    for (const name of ['Copiar enlace', 'Copiar contraseña']) expect(await invitation.getByRole('button', { name, exact: true }).count()).toBe(1);
    const ics = await page.evaluate(
      async (href) => {
        const response = await fetch(href!);
        return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
      },
      await invitation.getByRole('link', { name: 'Calendario (.ics)', exact: true }).getAttribute('href'),
    );
    expect(ics).toMatchObject({ status: 200, type: expect.stringContaining('text/calendar') });
    expect(ics.text).toContain('BEGIN:VCALENDAR');
    expect(ics.text.replace(/\r\n /g, '')).toContain(meetingLink);
    expect(ics.text).not.toContain(password);
    await screenshot(page, 'home');
    await link.click();

    await atView(page, 'meeting');
    await page.getByRole('button', { name: 'Unirse' }).click();
    await waitState(page, 'joined');
    await screenshot(page, 'meeting');
    await page.getByRole('button', { name: 'Salir' }).click();
  }, 60_000);

  it('keeps a wrong authenticator code on the second-factor step with its translated message, then returns to the meeting link', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const user = await server.createUser('marta');
    const meetingId = server.createMeeting('Tutoría');
    const page = await freshPage();
    // A meeting link opened without a session offers sign-in for staff, which leads back to it.
    await page.goto(`${server.url}/m/${meetingId}`);
    await atView(page, 'meeting');
    await page.getByRole('link', { name: 'Soy del personal: iniciar sesión' }).click();
    await atView(page, 'login');
    await signInWithPassword(page, user.username, user.password);
    await atView(page, 'second-factor');

    // A well-formed code from ten minutes ahead: outside the accepted window.
    const step = Math.floor(Date.now() / 30_000);
    const accepted = new Set([-1, 0, 1].map((d) => totpAt({ secret: user.totpSecret, time: (step + d) * 30 })));
    const wrong = [20, 21, 22].map((d) => totpAt({ secret: user.totpSecret, time: (step + d) * 30 })).find((c) => !accepted.has(c))!;
    const code = page.getByRole('textbox', { name: 'Código de verificación' });
    await code.fill(wrong);
    await page.getByRole('button', { name: 'Verificar' }).click();

    const alert = page.getByRole('alert');
    await waitFor(async () => (await alert.textContent())?.includes(es.err_INVALID_CODE), 5_000, { message: 'INVALID_CODE message' });
    expect(await viewOf(page)).toBe('second-factor');
    expect(await code.inputValue()).toBe('');
    expect(await code.evaluate((input) => input === document.activeElement)).toBe(true);
    await screenshot(page, 'wrong-code');

    await code.fill(user.nextCode());
    await page.getByRole('button', { name: 'Verificar' }).click();
    await atView(page, 'meeting');
    expect(new URL(page.url()).pathname).toBe(`/m/${meetingId}`);
  }, 60_000);

  it('returns a signed-in visitor only to meeting or account pages of this site', async () => {
    const visitor = await signedInBrowser(server, await server.createUser('pablo'), 'pablo');
    try {
      const landing = async (next: string) => {
        await visitor.page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
        await visitor.page.waitForURL((url) => url.pathname !== '/login', { timeout: 10_000 });
        return new URL(visitor.page.url());
      };
      expect((await landing('/account')).pathname).toBe('/account');
      expect((await landing('/m/abcd-efgh')).pathname).toBe('/m/abcd-efgh');
      for (const elsewhere of ['//evil.example/m/abcd', 'https://evil.example/m/abcd', '/m/../account', '/\\evil.example', '/admin']) {
        const url = await landing(elsewhere);
        expect(`${url.origin}${url.pathname}`, elsewhere).toBe(`${server.url}/`);
      }
    } finally {
      await visitor.close();
    }
  }, 60_000);
});
