/**
 * Administering accounts from the console on the real server: each action does what it says (the
 * person's own sign-in shows it) and is audited with the administrator as actor and `via:
 * 'console'`; search and paging; the administrator cannot lock themselves out, and nobody can
 * disable or demote the last enabled administrator (the shell included: the same service).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_TEST_CONFIG, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { auditRows } from '../helpers/audit.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let admin: TestAdmin;

beforeAll(async () => {
  server = await startTestServer(CONSOLE_TEST_CONFIG);
  admin = await signInAdmin(server);
});
afterAll(() => server?.close());

let admins = 0;
/** Another administrator, signed in: fresh TOTP steps (each code is good once, and only three are valid at a time). */
const anotherAdmin = () => signInAdmin(server, `admin-${++admins}`, `Admin ${admins}`);
const last = (action: string) => auditRows(server.recinto.db, { action }).at(-1)!;
const login = (username: string, password: string) => new HttpClient(server.url).post('/api/auth/login', { username, password });

describe('users from the admin console', () => {
  it('creates an account whose one-time password is shown once and opens a first sign-in; audited', async () => {
    const created = await admin.http.post('/api/admin/users', { username: 'lucia.gil', displayName: 'Lucía Gil', role: 'staff' });
    expect(created.status).toBe(201);
    expect(created.body.oneTimePassword).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(created.body.user).toMatchObject({
      username: 'lucia.gil',
      displayName: 'Lucía Gil',
      role: 'staff',
      disabled: false,
      totp: false,
      mustChangePassword: true,
      sessions: 0,
    });
    const signedIn = await login('lucia.gil', created.body.oneTimePassword);
    expect(signedIn.body.next).toBe('enrol');
    expect(last('account.created')).toMatchObject({
      actor: admin.user.id,
      detail: { user: created.body.user.id, username: 'lucia.gil', role: 'staff', via: 'console' },
    });
    // Never stored or logged in clear.
    expect(auditRows(server.recinto.db).some((r) => r.rawDetail.includes(created.body.oneTimePassword))).toBe(false);
    // A taken name, a malformed one: refused, nothing made.
    expect((await admin.http.post('/api/admin/users', { username: 'lucia.gil', displayName: 'Otra', role: 'staff' })).body.error.code).toBe('INVALID_BODY');
    expect((await admin.http.post('/api/admin/users', { username: 'Lucía', displayName: 'Otra', role: 'staff' })).body.error.code).toBe('INVALID_BODY');
    expect((await admin.http.post('/api/admin/users', { username: 'otro', displayName: 'Otro', role: 'root' })).body.error.code).toBe('INVALID_BODY');
  });

  it('searches username and display name, case-insensitively, with paging and the total; % and _ are plain text', async () => {
    for (const [username, displayName] of [
      ['marta.ruiz', 'Marta Ruiz'],
      ['mario.sanz', 'Mario Sanz'],
      ['pedro', 'Pedro Martín'],
    ] as const) {
      await server.createUser(username, { displayName });
    }
    const found = await admin.http.get('/api/admin/users?q=MAR');
    expect(found.body.total).toBe(3);
    expect(found.body.users.map((u: { username: string }) => u.username)).toEqual(['mario.sanz', 'marta.ruiz', 'pedro']);
    const page2 = await admin.http.get('/api/admin/users?q=mar&offset=1&limit=1');
    expect(page2.body).toMatchObject({ total: 3, users: [{ username: 'marta.ruiz' }] });
    expect((await admin.http.get('/api/admin/users?q=%25')).body.total).toBe(0);
    expect((await admin.http.get('/api/admin/users?q=_')).body.total).toBe(0);
    const everyone = await admin.http.get('/api/admin/users?limit=200');
    expect(everyone.body.total).toBe(server.recinto.db.prepare('SELECT count(*) FROM users').pluck().get());
    expect(everyone.body.users.find((u: { username: string }) => u.username === 'root').sessions).toBe(1);
    for (const bad of ['limit=0', 'limit=201', 'offset=x', 'q=', 'sort=name', 'q=a&q=b']) {
      expect([bad, (await admin.http.get(`/api/admin/users?${bad}`)).body.error?.code]).toEqual([bad, 'INVALID_BODY']);
    }
  });

  it('disables (ending the sessions: the person is signed out and cannot sign in) and enables again; audited', async () => {
    const eva = await server.createUser('eva');
    const evaHttp = await server.signIn(eva);
    const disabled = await admin.http.post(`/api/admin/users/${eva.id}/disable`, {});
    expect(disabled.body).toMatchObject({ user: { disabled: true, sessions: 0 }, sessionsEnded: 1 });
    expect((await evaHttp.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    expect((await login('eva', eva.password)).body.error.code).toBe('INVALID_CREDENTIALS');
    expect(last('account.disabled')).toMatchObject({ actor: admin.user.id, detail: { user: eva.id, sessionsEnded: 1, via: 'console' } });
    expect((await admin.http.post(`/api/admin/users/${eva.id}/enable`, {})).body.user.disabled).toBe(false);
    expect((await login('eva', eva.password)).status).toBe(200);
    expect(last('account.enabled')).toMatchObject({ actor: admin.user.id, detail: { user: eva.id, via: 'console' } });
    expect((await admin.http.post('/api/admin/users/00000000-0000-4000-8000-000000000000/disable', {})).body.error.code).toBe('NOT_FOUND');
    expect((await admin.http.post('/api/admin/users/not-a-uuid/disable', {})).body.error.code).toBe('INVALID_BODY');
  });

  it('resets the password (a new one-time one; the old one and the sessions end) and ends sessions; audited', async () => {
    const fede = await server.createUser('fede');
    const fedeHttp = await server.signIn(fede);
    const reset = await admin.http.post(`/api/admin/users/${fede.id}/reset-password`, {});
    expect(reset.body.user.mustChangePassword).toBe(true);
    expect((await fedeHttp.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    expect((await login('fede', fede.password)).body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await login('fede', reset.body.oneTimePassword)).body.next).toBe('second-factor');
    expect(last('auth.password_reset')).toMatchObject({ actor: admin.user.id, detail: { user: fede.id, sessionsEnded: 1, via: 'console' } });

    const again = await server.signIn({ ...fede, password: reset.body.oneTimePassword });
    const ended = await admin.http.post(`/api/admin/users/${fede.id}/sessions/end`, {});
    expect(ended.body.sessionsEnded).toBe(2); // the login above left one at the password step too
    expect((await again.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    expect(last('auth.sessions_revoked')).toMatchObject({ actor: admin.user.id, detail: { by: 'admin', user: fede.id, ended: 2, via: 'console' } });
  });

  it('resets 2FA after a step-up: enrol again at the next sign-in; audited', async () => {
    const gala = await server.createUser('gala');
    const admin = await anotherAdmin();
    expect((await admin.http.post(`/api/admin/users/${gala.id}/reset-2fa`, {})).body.error.code).toBe('STEP_UP_REQUIRED');
    expect(server.recinto.auth.accounts.byId(gala.id)!.totpSecret).not.toBeNull();
    await admin.stepUp();
    const reset = await admin.http.post(`/api/admin/users/${gala.id}/reset-2fa`, {});
    expect(reset.body.user.totp).toBe(false);
    expect((await login('gala', gala.password)).body.next).toBe('enrol');
    expect(last('auth.totp_reset')).toMatchObject({ actor: admin.user.id, detail: { user: gala.id, via: 'console' } });
  });

  it('makes admin and staff after a step-up (the console opens and closes for them); audited with before and after', async () => {
    const hugo = await server.createUser('hugo');
    const hugoHttp = await server.signIn(hugo);
    expect((await hugoHttp.get('/api/admin/users')).body.error.code).toBe('FORBIDDEN');
    const admin = await anotherAdmin();
    await admin.stepUp();
    expect((await admin.http.post(`/api/admin/users/${hugo.id}/role`, { role: 'admin' })).body.user.role).toBe('admin');
    expect((await hugoHttp.get('/api/admin/users')).status).toBe(200);
    expect(last('account.role_changed')).toMatchObject({ actor: admin.user.id, detail: { user: hugo.id, before: 'staff', after: 'admin', via: 'console' } });
    expect((await admin.http.post(`/api/admin/users/${hugo.id}/role`, { role: 'staff' })).body.user.role).toBe('staff');
    expect((await hugoHttp.get('/api/admin/users')).body.error.code).toBe('FORBIDDEN');
    expect((await admin.http.post(`/api/admin/users/${hugo.id}/role`, { role: 'owner' })).body.error.code).toBe('INVALID_BODY');
  });

  it('an administrator cannot disable or demote themselves (OWN_ACCOUNT); refusals audited, nothing changed', async () => {
    const admin = await anotherAdmin();
    await admin.stepUp();
    const demote = await admin.http.post(`/api/admin/users/${admin.user.id}/role`, { role: 'staff' });
    expect([demote.status, demote.body.error.code]).toEqual([409, 'OWN_ACCOUNT']);
    const disable = await admin.http.post(`/api/admin/users/${admin.user.id}/disable`, {});
    expect([disable.status, disable.body.error.code]).toEqual([409, 'OWN_ACCOUNT']);
    expect(server.recinto.auth.accounts.byId(admin.user.id)).toMatchObject({ role: 'admin', disabled: false });
    expect(auditRows(server.recinto.db, { action: 'account.disabled', outcome: 'denied' }).at(-1)).toMatchObject({
      actor: admin.user.id,
      detail: { user: admin.user.id, code: 'OWN_ACCOUNT', via: 'console' },
    });
  });

  it('the last enabled administrator cannot be disabled or demoted, from the shell either (LAST_ADMIN)', async () => {
    // Every other administrator (the first start's `admin`, those made above) is disabled from the
    // console: allowed while `root` remains. `root` is then the only enabled one.
    for (const other of server.recinto.auth.accounts.list().filter((a) => a.role === 'admin' && a.id !== admin.user.id)) {
      expect((await admin.http.post(`/api/admin/users/${other.id}/disable`, {})).body.user.disabled).toBe(true);
    }
    expect(server.recinto.auth.accounts.enabledAdmins()).toBe(1);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['server/cli.ts', 'user', ...args], { env: { ...env, RECINTO_DATA_DIR: server.config.dataDir }, encoding: 'utf8' });
    for (const args of [
      ['disable', 'root'],
      ['role', 'root', 'staff'],
    ]) {
      const run = cli(...args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('root is the last enabled administrator');
    }
    expect(server.recinto.auth.accounts.byId(admin.user.id)).toMatchObject({ role: 'admin', disabled: false });
    expect(auditRows(server.recinto.db, { action: 'account.role_changed', outcome: 'denied' }).at(-1)).toMatchObject({
      detail: { user: admin.user.id, code: 'LAST_ADMIN', via: 'cli' },
    });
    // Another admin from the shell (the same service, audited via 'cli'), then the demotion is allowed.
    expect(cli('role', 'marta.ruiz', 'admin').stdout).toBe('marta.ruiz is now admin\n');
    expect(last('account.role_changed')).toMatchObject({ actor: expect.stringMatching(/^cli:/), detail: { after: 'admin', via: 'cli' } });
    expect(cli('role', 'marta.ruiz', 'staff').status).toBe(0);
  });
});
