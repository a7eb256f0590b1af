/**
 * A real OpenID provider for the single sign-on tests (the `oidc-provider` package): HTTPS with
 * a certificate from a throwaway CA (Recinto trusts it through `auth.oidc.caFile`), one
 * confidential client registered with Recinto's callback, and people with the claims the tests
 * need (names, groups) and how they authenticated there (`acr`, `amr`).
 *
 * Signing in at it: `GET /interaction/:uid` is a one-field form (a person's `sub` or username),
 * `POST /interaction/:uid/login` finishes the login with that person's acr/amr; consent is
 * granted by itself (a first-party client). The provider's own signing key is the test's too,
 * so a test can forge what an attacker on the token response would: `tamper` rewrites the token
 * endpoint's answer on its way out (re-signed with the real key, or not).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider, { type AdapterFactory, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { base64url, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { DeepPartial } from '../../server/config/load.ts';
import type { Config } from '../../server/config/schema.ts';
import { startTestServer, type TestServer } from './server.ts';
import { createTestCa, type TestCa } from './test-ca.ts';

export interface IdpPerson {
  sub: string;
  preferred_username?: string;
  name?: string;
  email?: string;
  groups?: string[];
  /** How the person authenticated at the provider (in the ID token as `acr`, `amr`). */
  acr?: string;
  amr?: string[];
}

/** The token endpoint's JSON answer (id_token, access_token…), as a test may rewrite it. */
export type TokenResponse = Record<string, unknown> & { id_token?: string };

export interface TestIdp {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /** The provider's signing key (private JWK, with its kid). */
  signingKey: JWK;
  /** Rewrites the next token responses while set. */
  tamper: ((response: TokenResponse) => TokenResponse | Promise<TokenResponse>) | undefined;
  /** Token requests the provider answered (each authorization code exchanged, or tried). */
  tokenRequests: number;
  people: Map<string, IdpPerson>;
  close(): Promise<void>;
}

export interface IdpOptions {
  ca: TestCa;
  redirectUri: string;
  people: IdpPerson[];
  /** Listen on this port (0: a free one); the issuer is https://localhost:PORT. */
  port?: number;
  /** The test client's secret (default: a random one). */
  clientSecret?: string;
}

export const TEST_CLIENT_ID = 'recinto-test';

export async function startTestIdp(options: IdpOptions): Promise<TestIdp> {
  const issued = options.ca.issue('localhost', { dns: ['localhost'], ip: ['127.0.0.1'] });
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const people = new Map(options.people.map((p) => [p.sub, p]));
  const server: Server = createServer({ cert: readFileSync(issued.certFile), key: readFileSync(issued.keyFile) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://localhost:${port}`;

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    // acr, amr and auth_time with every ID token, as Keycloak and Entra ID send them.
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], profile: ['name', 'preferred_username', 'groups'], email: ['email'] },
    // Claims of the scopes asked for go into the ID token (as Keycloak's and Entra's do by default).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const person = people.get(sub);
      if (!person) return undefined;
      const { acr: _acr, amr: _amr, ...claims } = person;
      return { accountId: sub, claims: () => claims };
    },
    // A first-party client: consent is given by itself, for what was asked.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const existing = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
      if (existing) return oidc.provider.Grant.find(existing);
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
      grant.addOIDCScope(String(oidc.params!.scope));
      await grant.save();
      return grant;
    },
  });

  const idp: TestIdp = {
    issuer,
    port,
    clientId: TEST_CLIENT_ID,
    clientSecret,
    signingKey,
    tamper: undefined,
    tokenRequests: 0,
    people,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  provider.use(async (ctx, next) => {
    await next();
    // A carelessly configured provider: its metadata also lists `none` and a MAC keyed with the
    // client secret for ID tokens (oidc-provider itself refuses to sign with `none`).
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
      const metadata = ctx.body as { id_token_signing_alg_values_supported: string[] };
      metadata.id_token_signing_alg_values_supported = [...metadata.id_token_signing_alg_values_supported, 'HS256', 'none'];
    }
    if (ctx.path !== '/token') return;
    idp.tokenRequests++;
    if (idp.tamper && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') ctx.body = await idp.tamper(ctx.body as TokenResponse);
  });

  const handle = provider.callback();
  server.on('request', (req, res) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url ?? '');
    if (!match) return void handle(req, res);
    void interaction(provider, people, req, res, match[1]!, match[2] !== undefined).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  return idp;
}

/** The provider's storage: this provider's own, in memory (what oidc-provider's default would be, without its warning). */
function memoryAdapter(): AdapterFactory {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const live = (key: string) => {
    const entry = store.get(key);
    if (entry && entry.expiresAt < Date.now()) store.delete(key);
    return store.get(key)?.payload;
  };
  return (model: string) => ({
    upsert: async (id: string, payload: AdapterPayload, expiresIn: number) => {
      store.set(`${model}:${id}`, { payload, expiresAt: Date.now() + expiresIn * 1000 });
    },
    find: async (id: string) => live(`${model}:${id}`),
    findByUid: async (uid: string) => [...store.entries()].find(([k, v]) => k.startsWith(`${model}:`) && v.payload.uid === uid)?.[1].payload,
    findByUserCode: async (code: string) => [...store.entries()].find(([k, v]) => k.startsWith(`${model}:`) && v.payload.userCode === code)?.[1].payload,
    consume: async (id: string) => {
      const entry = store.get(`${model}:${id}`);
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    },
    destroy: async (id: string) => void store.delete(`${model}:${id}`),
    revokeByGrantId: async (grantId: string) => {
      for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
    },
  });
}

/** The provider's login page and its answer. */
async function interaction(
  provider: Provider,
  people: Map<string, IdpPerson>,
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  uid: string,
  submitted: boolean,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (!submitted) {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP</title></head><body>` +
        `<form method="post" action="/interaction/${uid}/login"><label for="who">Username</label>` +
        `<input id="who" name="username" autofocus><button type="submit">Log in at the IdP</button></form></body></html>`,
    );
    return;
  }
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const who = new URLSearchParams(body).get('username') ?? '';
  const person = people.get(who) ?? [...people.values()].find((p) => p.preferred_username === who);
  if (!person) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'no such person' }, { mergeWithLastSubmission: false });
    return;
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: person.sub, ...(person.acr ? { acr: person.acr } : {}), ...(person.amr ? { amr: person.amr } : {}) } },
    { mergeWithLastSubmission: false },
  );
}

/** An ID token with changed claims (and header), signed with `key`: what a forger with that key would send. */
export async function resign(idToken: string, key: JWK, change: (claims: JWTPayload) => JWTPayload): Promise<string> {
  return new SignJWT(change(decodeJwt(idToken)))
    .setProtectedHeader({ alg: key.alg ?? 'RS256', kid: key.kid ?? decodeProtectedHeader(idToken).kid! })
    .sign(await importJWK(key, key.alg ?? 'RS256'));
}

/** The same claims with `alg: none` and no signature. */
export function unsigned(idToken: string): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(decodeJwt(idToken))}.`;
}

/** A fresh RSA key the provider never published (with the provider's kid, as a forger would claim). */
export async function strangerKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256' };
}

/**
 * A port held until `release()` (for a server whose address must be known before it starts):
 * while it is held, nothing else here — the provider binding port 0, say — can be given it.
 */
export async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  return { port, release: () => new Promise<void>((resolve) => probe.close(() => resolve())) };
}

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const reserved = await reservePort();
  await reserved.release();
  return reserved.port;
}

export interface SsoSetup {
  server: TestServer;
  idp: TestIdp;
  ca: TestCa;
  dir: string;
  close(): Promise<void>;
}

/**
 * A provider with `people`, and a real Recinto configured for it (`auth.oidc` merged over the
 * test client's settings, its secret in a 0600 file, the provider's CA trusted).
 */
export async function startSsoSetup(
  people: IdpPerson[],
  oidc: DeepPartial<Config['auth']['oidc']> = {},
  overrides: DeepPartial<Config> = {},
): Promise<SsoSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-sso-'));
  const ca = createTestCa(dir, 'Test IdP CA');
  // Recinto's port is held while the provider picks its own, so the two never collide.
  const reserved = await reservePort();
  const port = reserved.port;
  const publicUrl = `https://127.0.0.1:${port}`;
  const idp = await startTestIdp({ ca, redirectUri: `${publicUrl}/api/auth/oidc/callback`, people }).finally(() => reserved.release());
  const secretFile = join(dir, 'client-secret');
  writeFileSync(secretFile, `${idp.clientSecret}\n`, { mode: 0o600 });
  try {
    const server = await startTestServer({
      ...overrides,
      server: { port, publicUrl },
      auth: {
        loginAttemptsPerMinutePerIp: 1000,
        ...overrides.auth,
        oidc: {
          enabled: true,
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientSecretFile: secretFile,
          caFile: ca.caFile,
          buttonLabel: 'Cuenta institucional',
          ...oidc,
        },
      },
    });
    return {
      server,
      idp,
      ca,
      dir,
      close: async () => {
        await server.close();
        await idp.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await idp.close();
    throw err;
  }
}
