/**
 * Single sign-on in Chromium: the login page's "Entrar con …" button, the real provider's form
 * (oidc-provider, on localhost: another site than Recinto's 127.0.0.1), and back, landing signed
 * in. The session cookie is SameSite=Strict and the way back is a cross-site navigation: the
 * navigation from the callback to /login must carry it (a redirect at the end of the provider's
 * chain would not; the client's own same-origin fetches would, which is why the test looks at
 * that navigation's Cookie header, not only at the page it reaches). Also: the
 * local second factor after a provider that asserted no MFA, and a refusal in plain words.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { es } from '../../client/src/i18n/es.ts';
import { en } from '../../client/src/i18n/en.ts';
import { accessibleControls, launchBrowser, type LaunchedBrowser } from '../helpers/browser.ts';
import { startSsoSetup, type SsoSetup } from '../helpers/oidc-provider.ts';
import { screenshot } from '../helpers/page.ts';
import type { TestUser } from '../helpers/server.ts';

let s: SsoSetup;
let chrome: LaunchedBrowser | undefined;
let lucia: TestUser;

beforeAll(async () => {
  [s, chrome] = await Promise.all([
    startSsoSetup(
      [
        { sub: 'marta-sub', preferred_username: 'marta', acr: 'urn:recinto:mfa' },
        { sub: 'lucia-sub', preferred_username: 'lucia' },
        { sub: 'nadie-sub', preferred_username: 'nadie' },
      ],
      { mfaAcrValues: ['urn:recinto:mfa'] },
    ),
    launchBrowser({ label: 'sso' }),
  ]);
  const [marta, l] = await Promise.all([s.server.createUser('marta', { displayName: 'Marta' }), s.server.createUser('lucia')]);
  lucia = l;
  const link = s.server.recinto.db.prepare('INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, 0)');
  link.run(new URL(s.idp.issuer).href, 'marta-sub', marta.id);
  link.run(new URL(s.idp.issuer).href, 'lucia-sub', lucia.id);
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await s?.close();
});

async function freshPage(): Promise<Page> {
  const context = await chrome!.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('console', (m) => chrome!.logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => chrome!.logs.push(`pageerror: ${e.message}`));
  return page;
}

const atView = (page: Page, view: string) => page.waitForFunction((v) => window.recinto?.view === v, view, { timeout: 15_000 });

/** From Recinto's login page through the provider's form, as `who`. */
async function signInThroughProvider(page: Page, who: string, path = '/login'): Promise<void> {
  await page.goto(`${s.server.url}${path}`);
  await atView(page, 'login');
  const button = page.getByRole('link', { name: 'Entrar con Cuenta institucional' });
  await button.waitFor({ timeout: 5_000 });
  await button.click();
  await page.waitForURL(`${s.idp.issuer}/interaction/**`);
  await page.getByRole('textbox', { name: 'Username' }).fill(who);
  await page.getByRole('button', { name: 'Log in at the IdP' }).click();
}

describe('single sign-on in the browser', () => {
  it('goes from the button through the provider and lands signed in on the page it came for', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const page = await freshPage();
    await page.goto(`${s.server.url}/login`);
    await atView(page, 'login');
    await page.getByRole('link', { name: 'Entrar con Cuenta institucional' }).waitFor();
    expect((await accessibleControls(page)).filter((c) => !c.name.trim())).toEqual([]);
    await screenshot(page, 'sso-login');

    // The navigation back to /login after the callback carries the Strict session cookie: it is
    // same-site (the callback's own page starts it), not the tail of the provider's redirect.
    let loads = 0;
    const landing = page.waitForRequest((r) => r.isNavigationRequest() && r.url() === `${s.server.url}/login?next=%2Faccount` && ++loads === 2);
    await signInThroughProvider(page, 'marta-sub', '/login?next=%2Faccount');
    expect((await (await landing).allHeaders()).cookie ?? '').toMatch(/__Host-recinto=/);
    await atView(page, 'account');
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByText('Marta').first().isVisible()).toBe(true);
    await screenshot(page, 'sso-account');
  });

  it('asks for the local code when the provider asserted no multi-factor authentication', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const page = await freshPage();
    await signInThroughProvider(page, 'lucia-sub');
    await atView(page, 'second-factor');
    await page.getByRole('textbox', { name: 'Código de verificación' }).fill(lucia.nextCode());
    await page.getByRole('button', { name: 'Verificar' }).click();
    await atView(page, 'home');
  });

  it('says in plain words why a sign-in was refused, in Spanish and in English', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const page = await freshPage();
    await signInThroughProvider(page, 'nadie-sub');
    await atView(page, 'login');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain(es.err_SSO_NO_ACCOUNT);
    // The code leaves the address: a reload does not show it again.
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'sso-refused');
    await page.goto(`${s.server.url}/login?sso=SSO_TOKEN_INVALID&lang=en`);
    await atView(page, 'login');
    await expect.poll(() => alert.textContent()).toContain(en.err_SSO_TOKEN_INVALID);
    expect(await page.getByRole('link', { name: 'Sign in with Cuenta institucional' }).isVisible()).toBe(true);
  });
});
