/**
 * `auth.oidc.*` checked at start, and a provider that cannot be reached: the server starts all
 * the same (password sign-in works), says why in its log, answers SSO_UNAVAILABLE, uses the
 * metadata it cached earlier if any, and picks the provider up by itself once it answers.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.ts';
import { auditRows } from '../helpers/audit.ts';
import { configProblems } from '../helpers/config-problems.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { freePort, reservePort, startTestIdp } from '../helpers/oidc-provider.ts';
import { startTestServer } from '../helpers/server.ts';
import { SsoBrowser } from '../helpers/sso-browser.ts';
import { createTestCa } from '../helpers/test-ca.ts';
import { waitFor } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-sso-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oidcWith = (oidc: Record<string, unknown>, server: Record<string, unknown> = { publicUrl: 'https://meet.example.org' }) =>
  configProblems(() => loadConfig({ env: {}, overrides: { server, auth: { oidc: { enabled: true, ...oidc } } } }));

describe('auth.oidc configuration', () => {
  it('is off by default: no button, no sign-in routes', async () => {
    expect(loadConfig({ env: {} }).auth.oidc.enabled).toBe(false);
    const server = await startTestServer();
    try {
      const http = new HttpClient(server.url);
      expect((await http.get('/api/auth/oidc')).body).toEqual({ enabled: false });
      expect((await http.get('/api/auth/oidc/start')).status).toBe(404);
      expect((await http.get('/api/auth/oidc/callback?code=x&state=y')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('names each problem of an enabled but incomplete or wrong configuration', () => {
    expect(oidcWith({}, { publicUrl: '' })).toEqual([
      "auth.oidc.issuer: required when auth.oidc.enabled is true: the provider's https:// issuer",
      'auth.oidc.clientId: required when auth.oidc.enabled is true: the client id registered at the provider',
      'server.publicUrl: required when auth.oidc.enabled is true: the provider sends people back to <publicUrl>/api/auth/oidc/callback',
      'auth.oidc.clientSecretFile: exactly one of auth.oidc.clientSecretFile and auth.oidc.clientSecret is required with client_secret_basic',
    ]);
    const base = { issuer: 'https://idp.example.org/realms/staff', clientId: 'recinto' };
    expect(oidcWith({ ...base, clientSecret: 's3cret', clientSecretFile: '/etc/recinto/oidc-secret' })[0]).toMatch(/^auth.oidc.clientSecretFile: exactly one/);
    expect(oidcWith({ ...base, tokenEndpointAuthMethod: 'none', clientSecret: 's3cret' })).toEqual([
      'auth.oidc.clientSecret: a public client (tokenEndpointAuthMethod "none") has no secret: remove it, or choose client_secret_basic',
    ]);
    expect(oidcWith({ ...base, clientSecret: 's3cret', scopes: ['profile'] })).toEqual(['auth.oidc.scopes: must include "openid"']);
    expect(oidcWith({ ...base, issuer: 'http://idp.example.org', clientSecret: 's3cret' })[0]).toMatch(/^auth.oidc.issuer: must match pattern/);
    expect(oidcWith({ ...base, clientSecret: 's3cret', buttonLabel: 'Entra\u202E' })[0]).toMatch(/^auth.oidc.buttonLabel: must match pattern/);
    expect(oidcWith({ ...base, clientSecret: 's3cret', mfaAmrValues: 'mfa' })[0]).toBe('auth.oidc.mfaAmrValues: must be array');
    expect(oidcWith({ ...base, clientSecret: 's3cret', unknown: 1 })).toEqual(['auth.oidc.unknown: unknown key']);
    // Complete: valid, with the secret file's path resolved.
    const ok = loadConfig({
      env: {
        RECINTO_OIDC_ENABLED: 'true',
        RECINTO_OIDC_ISSUER: base.issuer,
        RECINTO_OIDC_CLIENT_ID: 'recinto',
        RECINTO_OIDC_CLIENT_SECRET_FILE: 'x/secret',
        RECINTO_PUBLIC_URL: 'https://meet.example.org',
      },
    });
    expect(ok.auth.oidc).toMatchObject({ enabled: true, issuer: base.issuer, clientId: 'recinto', scopes: ['openid', 'profile', 'email'] });
    expect(ok.auth.oidc.clientSecretFile).toMatch(/^\/.*\/x\/secret$/);
  });

  it('refuses to start with a client secret file others may read', async () => {
    const secretFile = join(dir, 'loose-secret');
    writeFileSync(secretFile, 'abc\n');
    chmodSync(secretFile, 0o644);
    const oidc = { enabled: true, issuer: 'https://localhost:1', clientId: 'recinto', clientSecretFile: secretFile };
    await expect(startTestServer({ server: { publicUrl: 'https://127.0.0.1:8443' }, auth: { oidc } })).rejects.toThrow(
      `client secret file ${secretFile} is accessible to group or others (mode 644); run: chmod 600 ${secretFile}`,
    );
  });
});

describe('the provider’s certificate', () => {
  it('must chain to auth.oidc.caFile: a provider with a certificate from another CA is not trusted', async () => {
    const [trusted, other] = [createTestCa(dir, 'Institution CA'), createTestCa(dir, 'Other CA')];
    const port = await freePort();
    const idp = await startTestIdp({ ca: other, redirectUri: `https://127.0.0.1:${port}/api/auth/oidc/callback`, people: [] });
    const logLines: string[] = [];
    try {
      const oidc = { enabled: true, issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, caFile: trusted.caFile };
      const server = await startTestServer(
        { server: { port, publicUrl: `https://127.0.0.1:${port}` }, auth: { oidc } },
        { logTo: { write: (line: string) => void logLines.push(line) } },
      );
      try {
        expect((await new HttpClient(server.url).get('/api/auth/oidc')).body.available).toBe(false);
        const line = logLines.find((l) => l.includes('single sign-on: the identity provider is unreachable'));
        expect(JSON.parse(line!).err).toContain('unable to verify the first certificate');
      } finally {
        await server.close();
      }
    } finally {
      await idp.close();
    }
  });
});

describe('an identity provider that cannot be reached at start', () => {
  it('starts anyway, says so, refuses SSO clearly, signs in through the provider once it answers, and keeps its metadata for a restart', async () => {
    const ca = createTestCa(dir, 'Late IdP CA');
    // Both held at once, so they differ.
    const held = [await reservePort(), await reservePort()];
    await Promise.all(held.map((r) => r.release()));
    const [idpPort, port] = held.map((r) => r.port) as [number, number];
    const publicUrl = `https://127.0.0.1:${port}`;
    const clientSecret = 'a-secret-shared-with-the-provider';
    const secretFile = join(dir, 'late-secret');
    writeFileSync(secretFile, `${clientSecret}\n`, { mode: 0o600 });
    const logLines: string[] = [];
    const log = () => logLines.join('');
    const start = () =>
      startTestServer(
        {
          dataDir: join(dir, 'late-data'),
          server: { port, publicUrl },
          auth: { oidc: { enabled: true, issuer: `https://localhost:${idpPort}`, clientId: 'recinto-test', clientSecretFile: secretFile, caFile: ca.caFile } },
        },
        { logTo: { write: (line: string) => void logLines.push(line) } },
      );

    let server = await start();
    try {
      expect(log()).toContain('single sign-on: the identity provider is unreachable or its metadata is invalid; password sign-in works');
      expect(log()).toContain('ECONNREFUSED');
      // Password sign-in works meanwhile.
      await server.signIn(await server.createUser('ana'));
      const http = new HttpClient(server.url);
      expect((await http.get('/api/auth/oidc')).body).toEqual({ enabled: true, label: 'SSO', available: false });
      const refused = await new SsoBrowser().navigate(`${server.url}/api/auth/oidc/start?next=%2Faccount`);
      expect(refused.status).toBe(303);
      expect(refused.location).toBe(`${server.url}/login?sso=SSO_UNAVAILABLE&next=%2Faccount`);
      expect(auditRows(server.recinto.db, { action: 'auth.oidc_login' }).at(-1)).toMatchObject({
        outcome: 'denied',
        detail: { step: 'start', code: 'SSO_UNAVAILABLE', reason: 'no-metadata' },
      });

      // The provider comes up: the server finds it by itself (retries from 1 s, doubling), and SSO works.
      const idp = await startTestIdp({ ca, port: idpPort, clientSecret, redirectUri: `${publicUrl}/api/auth/oidc/callback`, people: [{ sub: 'ana-sub' }] });
      try {
        await waitFor(async () => (await http.get('/api/auth/oidc')).body.available === true, 8_000, { message: 'metadata fetched in the background' });
        const ana = server.recinto.auth.accounts.byUsername('ana')!;
        server.recinto.db
          .prepare('INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, 0)')
          .run(`https://localhost:${idpPort}/`, 'ana-sub', ana.id);
        const browser = new SsoBrowser();
        expect((await browser.signIn(server.url, 'ana-sub')).status).toBe(200);
        expect((await (await browser.api(server.url))!.get('/api/session')).body).toMatchObject({ user: { username: 'ana' }, next: 'second-factor' });
      } finally {
        await idp.close();
      }
    } finally {
      await server.close();
    }

    // Restarted while the provider is down again: the metadata cached in the database.
    server = await start();
    try {
      expect(log()).toContain('single sign-on: using the identity provider metadata cached earlier');
      expect((await new HttpClient(server.url).get('/api/auth/oidc')).body.available).toBe(true);
      const toIdp = await new SsoBrowser().navigate(`${server.url}/api/auth/oidc/start`);
      expect(toIdp.status).toBe(302);
      const url = new URL(toIdp.location!);
      expect(url.origin + url.pathname).toBe(`https://localhost:${idpPort}/auth`);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: 'recinto-test',
        response_type: 'code',
        redirect_uri: `${publicUrl}/api/auth/oidc/callback`,
        scope: 'openid profile email',
        code_challenge_method: 'S256',
      });
      for (const name of ['code_challenge', 'state', 'nonce']) expect(url.searchParams.get(name)).toMatch(/^[\w-]{43}$/);
    } finally {
      await server.close();
    }
  }, 60_000);
});
