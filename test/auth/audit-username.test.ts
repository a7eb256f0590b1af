/**
 * What the audit log keeps of a failed sign-in: for a name without an account a keyed hash, never
 * the name (someone may have typed their password into the username field); for an account its
 * id, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { auditRows } from '../helpers/audit.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: { lockoutFailures: 2, lockoutSeconds: 60, loginAttemptsPerMinutePerIp: 1000 } });
});
afterAll(() => server?.close());

const loginDenials = () => auditRows(server.recinto.db, { action: 'auth.login', outcome: 'denied' });

describe('audit of failed sign-ins', () => {
  it('stores a keyed hash, not the name, for names without an account; the same name gives the same hash', async () => {
    const typedPassword = 'MiContraseñaSecreta-2026';
    const client = new HttpClient(server.url);
    const before = loginDenials().length;
    expect((await client.post('/api/auth/login', { username: typedPassword, password: 'x' })).status).toBe(401);
    expect((await client.post('/api/auth/login', { username: typedPassword.toUpperCase(), password: 'x' })).status).toBe(401);
    // The lockout of unknown names (after two failures here) is audited the same way.
    expect((await client.post('/api/auth/login', { username: typedPassword, password: 'x' })).status).toBe(429);
    expect((await client.post('/api/auth/login', { username: 'otro-nombre-cualquiera', password: 'x' })).status).toBe(401);

    const rows = loginDenials().slice(before);
    expect(rows).toHaveLength(4);
    const all = auditRows(server.recinto.db).map((r) => r.rawDetail);
    for (const detail of all) {
      expect(detail.toLowerCase()).not.toContain(typedPassword.toLowerCase());
      expect(detail).not.toContain('otro-nombre-cualquiera');
    }
    const details = rows.map((r) => r.detail);
    expect(details.map((d) => d.reason)).toEqual(['unknown-user', 'unknown-user', 'locked', 'unknown-user']);
    for (const d of details) {
      expect(d).not.toHaveProperty('username');
      expect(d.usernameHash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    const [a, b, c, other] = details.map((d) => d.usernameHash);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(other).not.toBe(a);
  });

  it('keeps recording an existing account by its id', async () => {
    const user = await server.createUser('rosa');
    const before = loginDenials().length;
    expect((await new HttpClient(server.url).post('/api/auth/login', { username: 'rosa', password: 'not the password' })).status).toBe(401);
    const [row] = loginDenials().slice(before);
    expect(row!.actor).toBe(user.id);
    expect(row!.detail).toMatchObject({ reason: 'wrong-password' });
  });
});
