/**
 * The step-up before the console's sensitive actions, on the real server: without one
 * STEP_UP_REQUIRED; a wrong code is refused and counted towards the lockout (which then holds for
 * sign-in too); a code is good once (the sign-in's own code included); the grant lasts five
 * minutes by the server's clock (moved here, not waited for) and ends with its session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpAt } from '../../server/auth/totp.ts';
import { CONSOLE_TEST_CONFIG, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { auditRows } from '../helpers/audit.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let admin: TestAdmin;
/** How far the step-up clock is ahead of the real one. */
let ahead = 0;

beforeAll(async () => {
  server = await startTestServer({ ...CONSOLE_TEST_CONFIG, auth: { ...CONSOLE_TEST_CONFIG.auth, lockoutFailures: 3 } }, { now: () => Date.now() + ahead });
  admin = await signInAdmin(server);
});
afterAll(() => server?.close());

/** A sensitive action that changes nothing: the organisation policy saved as it is. */
const sensitive = () => admin.http.send('PUT', '/api/admin/policy', server.recinto.orgPolicy.current());
/** A well-formed code that is not the current one (ten steps ahead). */
const wrongCode = (secret: string) => totpAt({ secret, time: (Math.floor(Date.now() / 30_000) + 10) * 30 });

describe('step-up', () => {
  it('is required, and holds for five minutes by the server clock', async () => {
    expect((await sensitive()).body.error.code).toBe('STEP_UP_REQUIRED');
    const granted = await admin.stepUp();
    expect(granted.body.until).toBeGreaterThanOrEqual(Date.now() + 5 * 60_000 - 2000);
    expect(granted.body.until).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    expect((await sensitive()).status).toBe(200);
    ahead = 4 * 60_000;
    expect((await sensitive()).status).toBe(200);
    ahead = 5 * 60_000 + 1000;
    expect((await sensitive()).body.error.code).toBe('STEP_UP_REQUIRED');
    ahead = 0;
    expect((await sensitive()).body.error.code).toBe('STEP_UP_REQUIRED'); // gone, not only out of date
    expect(auditRows(server.recinto.db, { action: 'admin.step_up', outcome: 'ok' }).at(-1)!.actor).toBe(admin.user.id);
  });

  it('a code is good once: the same code again is CODE_ALREADY_USED', async () => {
    const admin = await signInAdmin(server, 'pablo', 'Pablo');
    const code = admin.user.nextCode();
    expect((await admin.http.post('/api/admin/step-up', { code })).status).toBe(200);
    const again = await admin.http.post('/api/admin/step-up', { code });
    expect([again.status, again.body.error.code]).toEqual([401, 'CODE_ALREADY_USED']);
    expect(auditRows(server.recinto.db, { action: 'admin.step_up', outcome: 'denied' }).at(-1)!.detail.reason).toBe('replayed-code');
  });

  it('ends with its session', async () => {
    const rosa = await signInAdmin(server, 'rosa', 'Rosa');
    const policy = () => rosa.http.send('PUT', '/api/admin/policy', server.recinto.orgPolicy.current());
    await rosa.stepUp();
    expect((await policy()).status).toBe(200);
    expect((await rosa.http.post('/api/auth/logout', {})).status).toBe(200);
    rosa.http = await server.signIn(rosa.user);
    expect((await policy()).body.error.code).toBe('STEP_UP_REQUIRED');
  });

  it('wrong codes are refused, audited and counted: the account locks (sign-in too)', async () => {
    const other = await signInAdmin(server, 'olga', 'Olga');
    const failures = () => server.recinto.auth.accounts.byId(other.user.id)!.failedLogins;
    const before = failures();
    const wrong = await other.http.post('/api/admin/step-up', { code: wrongCode(other.user.totpSecret) });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'INVALID_CODE']);
    expect(failures()).toBe(before + 1);
    expect(auditRows(server.recinto.db, { action: 'admin.step_up', outcome: 'denied' }).at(-1)).toMatchObject({
      actor: other.user.id,
      detail: { reason: 'wrong-code' },
    });
    expect((await other.http.send('PUT', '/api/admin/policy', server.recinto.orgPolicy.current())).body.error.code).toBe('STEP_UP_REQUIRED');
    for (let i = before + 1; i < 3; i++) await other.http.post('/api/admin/step-up', { code: wrongCode(other.user.totpSecret) });
    expect(server.recinto.auth.accounts.byId(other.user.id)!.lockedUntil).toBeGreaterThan(Date.now());
    expect((await other.http.post('/api/admin/step-up', { code: other.user.nextCode() })).body.error.code).toBe('TOO_MANY_ATTEMPTS');
    const login = await server.signIn(other.user).catch((error: Error) => error.message);
    expect(login).toContain('TOO_MANY_ATTEMPTS');
    expect(auditRows(server.recinto.db, { action: 'auth.lockout' }).at(-1)!.actor).toBe(other.user.id);
  });

  it('refuses what is not six digits, before judging it', async () => {
    for (const code of ['12345', '1234567', 'abcdef', 123456]) {
      expect((await admin.http.post('/api/admin/step-up', { code })).body.error.code).toBe('INVALID_BODY');
    }
    expect((await admin.http.post('/api/admin/step-up', { code: '123456', extra: 1 })).body.error.code).toBe('INVALID_BODY');
  });
});
