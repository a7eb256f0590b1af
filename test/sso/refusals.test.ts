/**
 * What single sign-on refuses, each with its code on the login page (`/login?sso=CODE`), no
 * session, and an audit record with the reason (never a token): an answer that belongs to another
 * sign-in (wrong state), a replayed callback or code, and ID tokens an attacker on the token
 * response could send — re-signed with the provider's real key but with a wrong nonce, audience
 * or expiry, unsigned (`alg: none`), or signed with another key. The provider is real
 * (oidc-provider); its token endpoint's answer is rewritten on its way to Recinto (`tamper`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import { auditRows } from '../helpers/audit.ts';
import { resign, startSsoSetup, strangerKey, unsigned, type SsoSetup, type TokenResponse } from '../helpers/oidc-provider.ts';
import { SsoBrowser, type Navigation } from '../helpers/sso-browser.ts';

let s: SsoSetup;

beforeAll(async () => {
  s = await startSsoSetup([{ sub: 'ines-sub', preferred_username: 'ines', acr: 'urn:recinto:mfa' }], { mfaAcrValues: ['urn:recinto:mfa'] });
  const ines = await s.server.createUser('ines');
  s.server.recinto.db
    .prepare('INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)')
    .run(new URL(s.idp.issuer).href, 'ines-sub', ines.id, Date.now());
}, 60_000);

afterEach(() => {
  s.idp.tamper = undefined;
});

afterAll(async () => s?.close());

/** The refusal the browser was sent to, with no session, and the audit record it left. */
function expectRefused(reply: Navigation, browser: SsoBrowser, code: string, reason: string): void {
  expect(reply.status).toBe(303);
  const to = new URL(reply.location!);
  expect(to.origin + to.pathname + to.search).toBe(`${s.server.url}/login?sso=${code}`);
  expect(browser.cookie(s.server.url, SESSION_COOKIE)).toBeUndefined();
  const record = auditRows(s.server.recinto.db, { action: 'auth.oidc_login' }).at(-1)!;
  expect(record).toMatchObject({ outcome: 'denied', detail: { step: 'callback', code, reason } });
  // Nothing of a token or a code in the trail.
  expect(record.rawDetail).not.toMatch(/eyJ|code=/);
}

/** Signs in with the token endpoint's answer rewritten by `change`. */
async function withTokenResponse(change: (response: TokenResponse) => Promise<TokenResponse>): Promise<{ reply: Navigation; browser: SsoBrowser }> {
  s.idp.tamper = change;
  const browser = new SsoBrowser();
  return { reply: await browser.signIn(s.server.url, 'ines-sub'), browser };
}

const withIdToken = (change: (idToken: string) => Promise<string> | string) =>
  withTokenResponse(async (response) => ({ ...response, id_token: await change(response.id_token!) }));
const now = () => Math.floor(Date.now() / 1000);

describe('single sign-on refuses', () => {
  it('nothing when nothing is tampered with (the same path signs in)', async () => {
    const { reply, browser } = await withTokenResponse(async (response) => response);
    expect(reply.status).toBe(200);
    expect(browser.cookie(s.server.url, SESSION_COOKIE)).toBeDefined();
  });

  it('an answer whose state is not this browser’s, before asking the provider about its code', async () => {
    const browser = new SsoBrowser();
    const callback = new URL(await browser.toCallback(s.server.url, 'ines-sub'));
    callback.searchParams.set('state', 'x'.repeat(43));
    const before = s.idp.tokenRequests;
    expectRefused(await browser.navigate(callback.href), browser, 'SSO_STATE_MISMATCH', 'state-mismatch');
    expect(s.idp.tokenRequests).toBe(before);
  });

  it('an answer without state', async () => {
    const browser = new SsoBrowser();
    const callback = new URL(await browser.toCallback(s.server.url, 'ines-sub'));
    callback.searchParams.delete('state');
    expectRefused(await browser.navigate(callback.href), browser, 'SSO_STATE_MISMATCH', 'state-mismatch');
  });

  it('a replayed callback, without asking the provider again', async () => {
    const browser = new SsoBrowser();
    const callback = await browser.toCallback(s.server.url, 'ines-sub');
    const flowCookie = browser.cookie(s.server.url, '__Host-recinto-sso')!;
    expect((await browser.navigate(callback)).status).toBe(200);
    // The attacker replays the whole thing, cookie included.
    const replayer = new SsoBrowser();
    replayer.jar.set(new URL(s.server.url).hostname, new Map([['__Host-recinto-sso', flowCookie]]));
    const before = s.idp.tokenRequests;
    expectRefused(await replayer.navigate(callback), replayer, 'SSO_FLOW_EXPIRED', 'replayed');
    expect(s.idp.tokenRequests).toBe(before);
  });

  it('a used code brought to a sign-in of its own (the provider refuses it)', async () => {
    const victim = new SsoBrowser();
    const used = new URL(await victim.toCallback(s.server.url, 'ines-sub'));
    expect((await victim.navigate(used.href)).status).toBe(200);
    // The attacker starts their own sign-in and swaps in the code; state and cookie are theirs.
    const attacker = new SsoBrowser();
    const own = new URL(await attacker.toCallback(s.server.url, 'ines-sub'));
    own.searchParams.set('code', used.searchParams.get('code')!);
    expectRefused(await attacker.navigate(own.href), attacker, 'SSO_IDP_REFUSED', 'token-endpoint:invalid_grant');
  });

  it('a callback in a browser that started no sign-in', async () => {
    const callback = await new SsoBrowser().toCallback(s.server.url, 'ines-sub');
    const other = new SsoBrowser();
    expectRefused(await other.navigate(callback), other, 'SSO_FLOW_EXPIRED', 'no-cookie');
  });

  it('an ID token with another nonce, re-signed with the provider’s key', async () => {
    const { reply, browser } = await withIdToken((token) => resign(token, s.idp.signingKey, (c) => ({ ...c, nonce: 'another-nonce' })));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'nonce-mismatch');
  });

  it('an expired ID token, re-signed with the provider’s key', async () => {
    const { reply, browser } = await withIdToken((token) => resign(token, s.idp.signingKey, (c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 })));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'expired');
  });

  it('an ID token for another client (audience), re-signed with the provider’s key', async () => {
    const { reply, browser } = await withIdToken((token) => resign(token, s.idp.signingKey, (c) => ({ ...c, aud: 'another-client' })));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'aud-mismatch');
  });

  it('an ID token from another issuer, re-signed with the provider’s key', async () => {
    const { reply, browser } = await withIdToken((token) => resign(token, s.idp.signingKey, (c) => ({ ...c, iss: 'https://evil.example' })));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'iss-mismatch');
  });

  it('an unsigned ID token (alg: none), though the provider lists none', async () => {
    const { reply, browser } = await withIdToken((token) => unsigned(token));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'alg-not-allowed');
  });

  it('an ID token signed with the client secret (HS256), though the provider lists it', async () => {
    const secret = { kty: 'oct', k: Buffer.from(s.idp.clientSecret).toString('base64url'), alg: 'HS256', kid: s.idp.signingKey.kid! };
    const { reply, browser } = await withIdToken((token) => resign(token, secret, (c) => c));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'alg-not-allowed');
  });

  it('an ID token signed with another key under the provider’s key id', async () => {
    const forger = await strangerKey(s.idp.signingKey.kid!);
    const { reply, browser } = await withIdToken((token) => resign(token, forger, (c) => ({ ...c, sub: 'ines-sub' })));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'bad-signature');
  });

  it('an ID token signed with a key the provider never published', async () => {
    const forger = await strangerKey('forged-key');
    const { reply, browser } = await withIdToken((token) => resign(token, forger, (c) => c));
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'unknown-signing-key');
  });

  it('a token response without an ID token', async () => {
    const { reply, browser } = await withTokenResponse(async ({ id_token: _dropped, ...rest }) => rest);
    expectRefused(reply, browser, 'SSO_TOKEN_INVALID', 'no-id-token');
  });

  it('a sign-in the person did not finish at the provider', async () => {
    const browser = new SsoBrowser();
    // The test provider answers access_denied for someone it does not know.
    const callback = await browser.toCallback(s.server.url, 'nobody');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    expectRefused(await browser.navigate(callback), browser, 'SSO_IDP_REFUSED', 'provider:access_denied');
  });

  it('new sign-ins while ten thousand are in progress (BUSY), until they end', async () => {
    const db = s.server.recinto.db;
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
       INSERT INTO sso_flows (id_hash, state, nonce, code_verifier, created_at) SELECT 'filler-' || i, 's', 'n', 'v', ? FROM n`,
    ).run(Date.now());
    try {
      const busy = await new SsoBrowser().navigate(`${s.server.url}/api/auth/oidc/start`);
      expect(busy.status).toBe(303);
      expect(busy.location).toBe(`${s.server.url}/login?sso=BUSY`);
      expect(auditRows(db, { action: 'auth.oidc_login' }).at(-1)!.detail).toMatchObject({ step: 'start', code: 'BUSY' });
    } finally {
      db.prepare("DELETE FROM sso_flows WHERE id_hash LIKE 'filler-%'").run();
    }
    expect((await new SsoBrowser().navigate(`${s.server.url}/api/auth/oidc/start`)).status).toBe(302);
  });

  it('a malformed callback with a plain 400, changing nothing', async () => {
    const before = auditRows(s.server.recinto.db).length;
    const browser = new SsoBrowser();
    const reply = await browser.navigate(`${s.server.url}/api/auth/oidc/callback?code=${'a'.repeat(5000)}&state=x`);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).error.code).toBe('INVALID_BODY');
    expect(auditRows(s.server.recinto.db).length).toBe(before);
    const bad = await browser.navigate(`${s.server.url}/api/auth/oidc/start?next=https://evil.example`);
    expect(bad.status).toBe(400);
  });
});
