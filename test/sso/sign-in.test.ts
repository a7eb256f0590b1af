/**
 * Single sign-on against a real OpenID provider (oidc-provider, over TLS from a test CA) and a
 * real Recinto: who gets in, to which account, at which stage. The refusals of forged or
 * replayed answers are in refusals.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityStore } from '../../server/sso/identities.ts';
import { auditRows } from '../helpers/audit.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { startSsoSetup, type IdpPerson, type SsoSetup } from '../helpers/oidc-provider.ts';
import type { TestUser } from '../helpers/server.ts';
import { SsoBrowser } from '../helpers/sso-browser.ts';

const MFA_ACR = 'urn:recinto:mfa';
const people: IdpPerson[] = [
  { sub: 'marta-sub', preferred_username: 'marta', name: 'Marta', acr: MFA_ACR },
  { sub: 'pablo-sub', preferred_username: 'pablo', amr: ['pwd', 'hwk'] },
  { sub: 'lucia-sub', preferred_username: 'lucia', acr: 'urn:recinto:password', amr: ['pwd'] },
  { sub: 'jose-sub', preferred_username: 'José.Núñez@corp.example', name: 'José Núñez', groups: ['recinto-staff'] },
  { sub: 'eva-sub', preferred_username: 'eva', name: 'Eva', groups: ['others', 'recinto-staff'], acr: MFA_ACR },
  // Someone whose name at the provider is a local account's: never that account.
  { sub: 'impostor-sub', preferred_username: 'marta', groups: ['visitors'], acr: MFA_ACR },
  { sub: 'impostor-staff-sub', preferred_username: 'marta', groups: ['recinto-staff'], acr: MFA_ACR },
  { sub: 'bruno-sub', preferred_username: 'bruno', acr: MFA_ACR },
];

let s: SsoSetup;
let marta: TestUser;
let lucia: TestUser;

/** `recinto` as an admin runs it, on the running server's data directory. */
function recinto(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  const r = spawnSync(process.execPath, ['server/cli.ts', ...args], {
    env: { ...env, RECINTO_DATA_DIR: s.server.config.dataDir, RECINTO_OIDC_ISSUER: s.idp.issuer },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const refusedWith = (reply: { status: number; location: string | undefined }, code: string) => {
  expect(reply.status).toBe(303);
  expect(new URL(reply.location!).pathname + new URL(reply.location!).search).toBe(`/login?sso=${code}`);
};

beforeAll(async () => {
  s = await startSsoSetup(people, { mfaAcrValues: [MFA_ACR], mfaAmrValues: ['hwk', 'otp'], autoCreate: { groups: ['recinto-staff'] } });
  [marta, lucia] = await Promise.all([s.server.createUser('marta'), s.server.createUser('lucia'), s.server.createUser('pablo')]);
  const bruno = await s.server.createUser('bruno');
  // As an admin links an account (the command line, on the running server's database)…
  const linked = recinto('user', 'link-sso', 'marta', '--sub', 'marta-sub');
  expect(linked, linked.err).toMatchObject({ code: 0, out: 'marta: linked to marta-sub\n' });
  // …and the others the same way, without a process each.
  const identities = new IdentityStore(s.server.recinto.db);
  const accounts = s.server.recinto.auth.accounts;
  for (const name of ['pablo', 'lucia', 'bruno']) identities.link(accounts.byUsername(name)!.id, s.idp.issuer, `${name}-sub`);
  accounts.setDisabled(bruno.id, true);
}, 60_000);

afterAll(async () => s?.close());

describe('single sign-on', () => {
  it('offers the button with its label on the login page, and says the provider is reachable', async () => {
    const info = await new HttpClient(s.server.url).get('/api/auth/oidc');
    expect(info.body).toEqual({ enabled: true, label: 'Cuenta institucional', available: true });
  });

  it('signs a linked account in, verified at once when the ID token asserts MFA (acr), and the session works', async () => {
    const browser = new SsoBrowser();
    const landed = await browser.signIn(s.server.url, 'marta-sub', '/account');
    // A same-origin page that goes on to /login (which sends the person on), not a cross-site redirect.
    expect(landed.status).toBe(200);
    expect(landed.body).toContain('<meta http-equiv="refresh" content="0;url=/login?next=%2Faccount">');
    const http = (await browser.api(s.server.url))!;
    const account = await http.get('/api/account');
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ user: { id: marta.id, username: 'marta' }, stage: 'verified', next: null });
    const audited = auditRows(s.server.recinto.db, { action: 'auth.oidc_login', outcome: 'ok' }).at(-1)!;
    expect(audited).toMatchObject({ actor: marta.id, detail: { stage: 'verified', mfa: true, created: false } });
    // The flow cookie is gone; the session cookie is the usual strict one.
    const cookies = landed.setCookies.join('\n');
    expect(cookies).toMatch(/__Host-recinto=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict/);
    expect(cookies).toMatch(/__Host-recinto-sso=; Max-Age=0|__Host-recinto-sso=;.*Expires=Thu, 01 Jan 1970/);
    expect(browser.cookie(s.server.url, '__Host-recinto-sso')).toBeUndefined();
  });

  it('takes MFA from amr too', async () => {
    const browser = new SsoBrowser();
    await browser.signIn(s.server.url, 'pablo-sub');
    expect((await (await browser.api(s.server.url))!.get('/api/session')).body).toMatchObject({ user: { username: 'pablo' }, stage: 'verified' });
  });

  it('still asks for the local second factor when the token does not assert MFA', async () => {
    const browser = new SsoBrowser();
    await browser.signIn(s.server.url, 'lucia-sub');
    const http = (await browser.api(s.server.url))!;
    expect((await http.get('/api/session')).body).toMatchObject({ user: { username: 'lucia' }, stage: 'password', next: 'second-factor' });
    expect((await http.get('/api/account')).body.error.code).toBe('SECOND_FACTOR_REQUIRED');
    const second = await http.post('/api/auth/second-factor', { code: lucia.nextCode() });
    expect(second.body).toMatchObject({ stage: 'verified', next: null });
    expect((await http.get('/api/account')).status).toBe(200);
    expect(auditRows(s.server.recinto.db, { action: 'auth.oidc_login', outcome: 'ok' }).at(-1)!.detail).toMatchObject({ stage: 'password', mfa: false });
  });

  it('creates an SSO-only staff account at the first sign-in of someone in an auto-creation group, then enrolment comes next', async () => {
    const browser = new SsoBrowser();
    await browser.signIn(s.server.url, 'jose-sub');
    const view = (await (await browser.api(s.server.url))!.get('/api/session')).body;
    expect(view).toMatchObject({ user: { username: 'jose.nunez', displayName: 'José Núñez', role: 'staff' }, stage: 'password', next: 'enrol' });
    const account = s.server.recinto.auth.accounts.byUsername('jose.nunez')!;
    expect(account).toMatchObject({ ssoOnly: true, passwordHash: '', mustChangePassword: false });
    expect(auditRows(s.server.recinto.db, { action: 'account.created' }).at(-1)).toMatchObject({
      actor: 'sso',
      detail: { user: account.id, ssoOnly: true, sub: 'jose-sub' },
    });
    // The second sign-in finds the same account.
    const again = new SsoBrowser();
    await again.signIn(s.server.url, 'jose-sub');
    expect((await (await again.api(s.server.url))!.get('/api/session')).body.user.id).toBe(account.id);
    expect(s.server.recinto.auth.accounts.list().filter((a) => a.username.startsWith('jose'))).toHaveLength(1);
  });

  it('matches by issuer and sub only: a provider name equal to a local username is not that account', async () => {
    // Not in an auto-creation group: refused, and the audit names the identity so an admin can link it.
    const outsider = await new SsoBrowser().signIn(s.server.url, 'impostor-sub');
    refusedWith(outsider, 'SSO_NO_ACCOUNT');
    expect(auditRows(s.server.recinto.db, { action: 'auth.oidc_login', outcome: 'denied' }).at(-1)!.detail).toMatchObject({
      code: 'SSO_NO_ACCOUNT',
      reason: 'no-linked-account',
      sub: 'impostor-sub',
    });
    // In one: a new account beside Marta's, never hers.
    const browser = new SsoBrowser();
    await browser.signIn(s.server.url, 'impostor-staff-sub');
    const view = (await (await browser.api(s.server.url))!.get('/api/session')).body;
    expect(view.user.username).toBe('marta-2');
    expect(view.user.id).not.toBe(marta.id);
  });

  it('refuses a disabled account', async () => {
    const bruno = s.server.recinto.auth.accounts.byUsername('bruno')!;
    const browser = new SsoBrowser();
    refusedWith(await browser.signIn(s.server.url, 'bruno-sub'), 'SSO_ACCOUNT_DISABLED');
    expect(await browser.api(s.server.url)).toBeUndefined();
    expect(auditRows(s.server.recinto.db, { action: 'auth.oidc_login', outcome: 'denied' }).at(-1)).toMatchObject({
      actor: bruno.id,
      detail: { code: 'SSO_ACCOUNT_DISABLED' },
    });
  });

  it('an SSO-only account has no password: sign-in with one is refused like a wrong password, and none can be set by mistake', async () => {
    const browser = new SsoBrowser();
    await browser.signIn(s.server.url, 'eva-sub');
    const http = (await browser.api(s.server.url))!;
    expect((await http.get('/api/session')).body).toMatchObject({ user: { username: 'eva' }, stage: 'verified', next: null });
    const eva = s.server.recinto.auth.accounts.byUsername('eva')!;

    const changed = await http.post('/api/account/password', { currentPassword: 'x', newPassword: 'una-contraseña-nueva-larga' });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('SSO_ONLY');

    const login = await new HttpClient(s.server.url).post('/api/auth/login', { username: 'eva', password: 'una-contraseña-cualquiera' });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(auditRows(s.server.recinto.db, { action: 'auth.login', outcome: 'denied' }).at(-1)).toMatchObject({ actor: eva.id, detail: { reason: 'sso-only' } });

    const reset = recinto('user', 'reset-password', 'eva');
    expect(reset.code).toBe(2);
    expect(reset.err).toContain('eva signs in through the identity provider only and has no password; add --local-password');
    expect(s.server.recinto.auth.accounts.byId(eva.id)).toMatchObject({ ssoOnly: true, passwordHash: '' });
  });

  it('adds an SSO-only account and links and unlinks identities from the command line, audited', async () => {
    const added = recinto('user', 'add', 'rosa', '--name', 'Rosa', '--sso-sub', 'rosa-sub');
    expect(added).toMatchObject({ code: 0, out: 'created rosa: signs in through the identity provider only (no password)\n' });
    const rosa = s.server.recinto.auth.accounts.byUsername('rosa')!;
    expect(rosa.ssoOnly).toBe(true);
    expect(new IdentityStore(s.server.recinto.db).find(s.idp.issuer, 'rosa-sub')?.userId).toBe(rosa.id);
    // One identity, one account; one identity per account at a provider.
    expect(recinto('user', 'link-sso', 'pablo', '--sub', 'rosa-sub').err).toContain('this identity is linked to another account');
    expect(recinto('user', 'link-sso', 'pablo', '--sub', 'other-sub').err).toContain('linked to another identity at this provider already');
    expect(recinto('user', 'link-sso', 'pablo', '--sub', 'bad sub').err).toContain('--sso-sub: the identity’s sub');
    expect(recinto('user', 'unlink-sso', 'rosa')).toMatchObject({ code: 0, out: 'rosa: link removed\n' });
    expect(new IdentityStore(s.server.recinto.db).find(s.idp.issuer, 'rosa-sub')).toBeUndefined();
    const actions = auditRows(s.server.recinto.db, { action: 'account.' }).map((r) => r.action);
    expect(actions.slice(-2)).toEqual(['account.created', 'account.sso_unlinked']);
    expect(auditRows(s.server.recinto.db, { action: 'account.sso_linked' }).map((r) => r.detail.sub)).toContain('marta-sub');
  });
});
