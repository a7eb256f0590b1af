/**
 * Accounts end to end over HTTPS against the real server and SQLite file: first admin, sign-in
 * with TOTP, enrolment, cookie flags, CSRF, lockout, enumeration, bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher, readParams } from '../../server/auth/passwords.ts';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import { totpAt } from '../../server/auth/totp.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { auditRows } from '../helpers/audit.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: { lockoutFailures: 3, lockoutSeconds: 2, loginAttemptsPerMinutePerIp: 1000 } });
});
afterAll(() => server?.close());

const code = (secret: string, offsetSteps = 0) => totpAt({ secret, time: (Math.floor(Date.now() / 30_000) + offsetSteps) * 30 });
const users = () => server.recinto.db.prepare('SELECT count(*) FROM users').pluck().get() as number;

describe('first start', () => {
  it('creates an admin whose one-time password must be changed, with 2FA enrolled, before meetings', async () => {
    const first = server.recinto.firstAdmin!;
    expect(first.username).toBe('admin');
    const client = new HttpClient(server.url);
    const login = await client.post('/api/auth/login', { username: 'admin', password: first.password });
    expect(login.status).toBe(200);
    expect(login.body.next).toBe('enrol');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; Secure; SameSite=Strict$`));

    // Without the enrolment, nothing else is open.
    expect((await client.get('/api/admin/users')).body.error.code).toBe('ENROLMENT_REQUIRED');
    expect((await client.post('/api/auth/enrol/start', {}, { csrf: false })).body.error.code).toBe('CSRF_FAILED');
    const enrol = await client.post('/api/auth/enrol/start', {});
    expect(enrol.status).toBe(200);
    expect(enrol.body.uri).toBe(`otpauth://totp/Recinto:admin?secret=${enrol.body.secret}&issuer=Recinto&algorithm=SHA1&digits=6&period=30`);
    expect(enrol.body.qrSvg).toMatch(/^<svg/);
    expect((await client.post('/api/auth/enrol/confirm', { code: code(enrol.body.secret, 5) })).body.error.code).toBe('INVALID_CODE');

    const before = client.session;
    const confirmed = await client.post('/api/auth/enrol/confirm', { code: code(enrol.body.secret) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(client.session).not.toBe(before); // new session id after the second factor
    expect(confirmed.body.next).toBe('change-password');
    expect((await client.get('/api/admin/users')).body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');

    expect((await client.post('/api/account/password', { currentPassword: first.password, newPassword: 'short' })).body.error.code).toBe('WEAK_PASSWORD');
    expect(
      (await client.post('/api/account/password', { currentPassword: 'wrong-password-here', newPassword: 'una contraseña nueva y larga' })).body.error.code,
    ).toBe('INVALID_CREDENTIALS');
    const changed = await client.post('/api/account/password', { currentPassword: first.password, newPassword: 'una contraseña nueva y larga' });
    expect(changed.body.next).toBe(null);
    expect((await client.get('/api/admin/users')).status).toBe(200);

    // The secret is stored sealed, never in clear.
    const stored = server.recinto.db.prepare("SELECT totp_secret FROM users WHERE username = 'admin'").pluck().get() as string;
    expect(stored.startsWith('v1.')).toBe(true);
    expect(stored).not.toContain(enrol.body.secret);
  });

  it('stores argon2id hashes with the configured parameters (m=64 MiB, t=3, p=4)', () => {
    const hash = server.recinto.db.prepare("SELECT password_hash FROM users WHERE username = 'admin'").pluck().get() as string;
    expect(hash.startsWith('$argon2id$v=19$')).toBe(true);
    expect(readParams(hash)).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 4 });
  });
});

describe('password hashing', () => {
  it('upgrades a stored hash to the configured parameters at the next sign-in', async () => {
    const user = await server.createUser('gina');
    const weak = await new PasswordHasher({ memoryKiB: 19456, iterations: 2, parallelism: 1 }).hash(user.password);
    server.recinto.auth.accounts.setPassword(user.id, weak, false);
    const stored = () => server.recinto.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(user.id) as string;
    expect(readParams(stored())).toEqual({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
    expect((await new HttpClient(server.url).post('/api/auth/login', { username: 'gina', password: user.password })).status).toBe(200);
    expect(readParams(stored())).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 4 });
  });

  it('answers 503 BUSY, and stays up, when more sign-ins wait for hashing than allowed', async () => {
    const busy = await startTestServer({ auth: { maxConcurrentHashes: 1, maxQueuedHashes: 1, loginAttemptsPerMinutePerIp: 1000 } });
    try {
      const user = await busy.createUser('hana');
      const replies = await Promise.all(
        Array.from({ length: 6 }, () => new HttpClient(busy.url).post('/api/auth/login', { username: 'hana', password: user.password })),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      expect(replies.find((r) => r.status === 503)!.body.error.code).toBe('BUSY');
      expect((await new HttpClient(busy.url).post('/api/auth/login', { username: 'hana', password: user.password })).status).toBe(200);
    } finally {
      await busy.close();
    }
  });
});

describe('second factor', () => {
  it('accepts each TOTP code once', async () => {
    const user = await server.createUser('ana');
    const c = code(user.totpSecret);
    const first = new HttpClient(server.url);
    await first.post('/api/auth/login', { username: 'ana', password: user.password });
    expect((await first.post('/api/auth/second-factor', { code: c })).body.stage).toBe('verified');
    const second = new HttpClient(server.url);
    expect((await second.post('/api/auth/login', { username: 'ana', password: user.password })).body.next).toBe('second-factor');
    expect((await second.get('/api/account')).body.error.code).toBe('SECOND_FACTOR_REQUIRED');
    const replay = await second.post('/api/auth/second-factor', { code: c });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('CODE_ALREADY_USED');
  });

  it('accepts a recovery code once instead of a TOTP code', async () => {
    const user = await server.createUser('bea');
    const client = await server.signIn(user);
    const { body } = await client.post('/api/account/recovery-codes', {});
    const recovery = body.recoveryCodes[0] as string;
    for (const expected of [200, 401]) {
      const again = new HttpClient(server.url);
      await again.post('/api/auth/login', { username: 'bea', password: user.password });
      expect((await again.post('/api/auth/second-factor', { recoveryCode: recovery.toLowerCase() })).status).toBe(expected);
    }
    expect((await client.get('/api/account')).body.recoveryCodesLeft).toBe(9);
  });
});

describe('brute force and enumeration', () => {
  it('locks an account after the limit and releases it after the back-off', async () => {
    const user = await server.createUser('carla');
    const client = new HttpClient(server.url);
    for (let i = 0; i < 3; i++) expect((await client.post('/api/auth/login', { username: 'carla', password: 'not the password' })).status).toBe(401);
    const locked = await client.post('/api/auth/login', { username: 'carla', password: user.password });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await client.post('/api/auth/login', { username: 'carla', password: user.password })).status).toBe(200);
    const audit = auditRows(server.recinto.db, { action: 'auth.lockout' }).length;
    expect(audit).toBeGreaterThanOrEqual(1);
  });

  it('answers an unknown user exactly like a wrong password, after the same hashing work', async () => {
    await server.createUser('diego');
    const client = new HttpClient(server.url);
    const time = async (username: string) => {
      const t0 = performance.now();
      const reply = await client.post('/api/auth/login', { username, password: 'wrong password!' });
      return { ms: performance.now() - t0, reply };
    };
    await time('nobody-warmup'); // the dummy hash is made on first use
    const wrong = await time('diego');
    const unknown = await time('nobody-at-all');
    expect(unknown.reply.status).toBe(wrong.reply.status);
    expect(unknown.reply.body).toEqual(wrong.reply.body);
    // Both paths run one argon2id verification at m=64 MiB: neither is a fraction of the other.
    expect(unknown.ms / wrong.ms).toBeGreaterThan(0.5);
    expect(unknown.ms / wrong.ms).toBeLessThan(2);
  });

  it('locks a name without an account after the same number of failures, with the same answer', async () => {
    const client = new HttpClient(server.url);
    for (let i = 0; i < 3; i++) expect((await client.post('/api/auth/login', { username: 'nadie-por-aqui', password: 'not the password' })).status).toBe(401);
    const locked = await client.post('/api/auth/login', { username: 'nadie-por-aqui', password: 'not the password' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses a disabled account at sign-in, and its open sessions stop working', async () => {
    const user = await server.createUser('lola');
    const client = await server.signIn(user);
    server.recinto.auth.accounts.setDisabled(user.id, true);
    expect((await client.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    const login = await new HttpClient(server.url).post('/api/auth/login', { username: 'lola', password: user.password });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('INVALID_CREDENTIALS');
    // The session was ended, not only refused: enabling the account again does not revive it.
    server.recinto.auth.accounts.setDisabled(user.id, false);
    expect((await client.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
  });

  it('limits sign-in attempts per address (auth.loginAttemptsPerMinutePerIp)', async () => {
    const limited = await startTestServer({ auth: { loginAttemptsPerMinutePerIp: 2 } });
    try {
      const user = await limited.createUser('ivan');
      const login = () => new HttpClient(limited.url).post('/api/auth/login', { username: 'ivan', password: user.password });
      expect((await login()).status).toBe(200);
      expect((await login()).status).toBe(200);
      const third = await login();
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

describe('lockout under concurrency and on every step that checks a credential', () => {
  // A long lock, so that slow hashing under load cannot let it run out before the test looks.
  let locking: TestServer;
  beforeAll(async () => {
    locking = await startTestServer({ auth: { lockoutFailures: 3, lockoutSeconds: 600, loginAttemptsPerMinutePerIp: 1000 } });
  });
  afterAll(() => locking?.close());

  it('counts wrong passwords sent at once one by one: the account locks, and no more than the limit are judged', async () => {
    const user = await locking.createUser('paz');
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => new HttpClient(locking.url).post('/api/auth/login', { username: 'paz', password: 'not the password' })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([401, 401, 401, 429, 429, 429]);
    const locked = await new HttpClient(locking.url).post('/api/auth/login', { username: 'paz', password: user.password });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('counts wrong TOTP codes sent at once one by one: the second factor locks', async () => {
    const user = await locking.createUser('quim');
    const client = new HttpClient(locking.url);
    expect((await client.post('/api/auth/login', { username: 'quim', password: user.password })).body.next).toBe('second-factor');
    const wrong = code(user.totpSecret, 10);
    const replies = await Promise.all(Array.from({ length: 6 }, () => client.post('/api/auth/second-factor', { code: wrong })));
    expect(replies.map((r) => r.status).sort()).toEqual([401, 401, 401, 429, 429, 429]);
    const locked = await client.post('/api/auth/second-factor', { code: user.nextCode() });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('locks the password change after wrong current passwords', async () => {
    const user = await locking.createUser('rosa');
    const client = await locking.signIn(user);
    const change = (currentPassword: string) => client.post('/api/account/password', { currentPassword, newPassword: 'una contraseña nueva y larga' });
    for (let i = 0; i < 3; i++) expect((await change('not the password')).body.error.code).toBe('INVALID_CREDENTIALS');
    const locked = await change(user.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('locks the enrolment confirmation after wrong codes', async () => {
    const accounts = locking.recinto.auth.accounts;
    const password = 'contraseña-de-sara-larga';
    accounts.create({
      username: 'sara',
      displayName: 'Sara',
      role: 'staff',
      passwordHash: await locking.recinto.hasher.hash(password),
      mustChangePassword: false,
    });
    const client = new HttpClient(locking.url);
    expect((await client.post('/api/auth/login', { username: 'sara', password })).body.next).toBe('enrol');
    const { secret } = (await client.post('/api/auth/enrol/start', {})).body as { secret: string };
    for (let i = 0; i < 3; i++) expect((await client.post('/api/auth/enrol/confirm', { code: code(secret, 10) })).body.error.code).toBe('INVALID_CODE');
    const locked = await client.post('/api/auth/enrol/confirm', { code: code(secret) });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
  });
});

describe('CSRF, sessions and bad input', () => {
  it('sends strict security headers with every response', async () => {
    for (const path of ['/api/session', '/login', '/healthz']) {
      const { headers } = await new HttpClient(server.url).get(path);
      expect(headers['content-security-policy']).toContain("script-src 'self';");
      expect(headers['content-security-policy']).toContain("object-src 'none'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['strict-transport-security']).toBe('max-age=31536000');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['content-security-policy']).toContain("worker-src 'self';");
      // Cross-origin isolated: nothing from another origin shares the page's process.
      expect(headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    }
  });

  it('refuses state changes from another origin, without an origin, or without the CSRF token', async () => {
    const user = await server.createUser('elena');
    const client = await server.signIn(user);
    client.origin = 'https://evil.example';
    expect((await client.post('/api/auth/logout', {})).body.error.code).toBe('CSRF_FAILED');
    client.origin = null;
    expect((await client.post('/api/auth/logout', {})).body.error.code).toBe('CSRF_FAILED');
    client.origin = server.url;
    expect((await client.post('/api/auth/logout', {}, { csrf: false })).body.error.code).toBe('CSRF_FAILED');
    expect((await client.get('/api/account')).status).toBe(200); // still signed in: nothing changed
    expect((await client.post('/api/auth/logout', {})).status).toBe(200);
    expect((await client.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
  });

  it('signs out everywhere, and an admin can revoke a user’s sessions', async () => {
    const user = await server.createUser('fede');
    const a = await server.signIn(user);
    const b = await server.signIn(user);
    expect((await a.get('/api/account')).body.sessions).toHaveLength(2);
    expect((await a.post('/api/account/sessions/end-all', {})).body.ended).toBe(2);
    expect((await b.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');

    const admin = await server.createUser('root2', { role: 'admin' });
    const adminClient = await server.signIn(admin);
    const c = await server.signIn(user);
    expect((await c.post(`/api/admin/users/${user.id}/sessions/end`, {})).body.error.code).toBe('FORBIDDEN');
    expect((await adminClient.post(`/api/admin/users/${user.id}/sessions/end`, {})).body.sessionsEnded).toBe(1);
    expect((await c.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
  });

  it('ends the user’s other sessions when the password changes, and keeps the one that changed it', async () => {
    const user = await server.createUser('mara');
    const a = await server.signIn(user);
    const b = await server.signIn(user);
    expect((await a.post('/api/account/password', { currentPassword: user.password, newPassword: 'una contraseña distinta y larga' })).status).toBe(200);
    expect((await b.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    expect((await a.get('/api/account')).body.sessions).toHaveLength(1);
  });

  it('ends one of the caller’s own sessions by id, and never someone else’s', async () => {
    const nora = await server.createUser('nora');
    const omar = await server.createUser('omar');
    const n1 = await server.signIn(nora);
    const n2 = await server.signIn(nora);
    const o = await server.signIn(omar);
    const omars = (await o.get('/api/account')).body.sessions[0].id as string;
    const refused = await n1.post(`/api/account/sessions/${omars}/end`, {});
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('NOT_FOUND');
    expect((await o.get('/api/account')).status).toBe(200);

    const other = ((await n1.get('/api/account')).body.sessions as { id: string; current: boolean }[]).find((s) => !s.current)!.id;
    expect((await n1.post(`/api/account/sessions/${other}/end`, {})).body.ended).toBe(1);
    expect((await n2.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    expect((await n1.get('/api/account')).status).toBe(200);
  });

  it('refuses malformed, non-UTF-8, overlong and unexpected input with 400 and stores nothing', async () => {
    const client = new HttpClient(server.url);
    const count = users();
    const audits = auditRows(server.recinto.db).length;
    const cases: [unknown, { raw?: Buffer | string }][] = [
      [undefined, { raw: '{"username": "a", ' }],
      [undefined, { raw: Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","password":"x"}')]) }],
      [{ username: 'x'.repeat(65), password: 'whatever-password' }, {}],
      [{ username: 'ana', password: 'p'.repeat(129) }, {}],
      [{ username: 'ana', password: 'whatever-password', admin: true }, {}],
      [{ username: 42, password: [] }, {}],
    ];
    for (const [body, options] of cases) {
      const reply = await client.post('/api/auth/login', body, options);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('INVALID_BODY');
    }
    // Schema failures name the offending field.
    const tooLong = await client.post('/api/auth/login', { username: 'x'.repeat(65), password: 'whatever-password' });
    expect(tooLong.body.error.message).toBe('body.username: must NOT have more than 64 characters');
    const unknownKey = await client.post('/api/auth/login', { username: 'ana', password: 'whatever-password', admin: true });
    expect(unknownKey.body.error.message).toBe('body.admin: unknown key');
    expect(client.session).toBeUndefined();
    expect(users()).toBe(count);
    expect(auditRows(server.recinto.db).length).toBe(audits);
  });
});
