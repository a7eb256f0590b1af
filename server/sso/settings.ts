/**
 * What the OpenID Connect client is made of, read from `auth.oidc.*` at start: the client's
 * authentication at the token endpoint (its secret from a file only the service may read, or
 * inline), the CA the provider's certificate must chain to, and where the provider sends people
 * back. A file that cannot be read, or a secret file others may read, stops the start.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Config } from '../config/schema.ts';

/** The callback route, under `server.publicUrl`: what the client is registered with at the provider. */
export const CALLBACK_PATH = '/api/auth/oidc/callback';

/** Each request to the provider (metadata, keys, token endpoint) gives up after this long. */
const REQUEST_TIMEOUT_SECONDS = 10;

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientAuth: oidc.ClientAuth;
  /** Only with client_secret_*: openid-client takes it as client metadata too. */
  clientSecret: string | undefined;
  redirectUri: string;
  scopes: string;
  /** Requests to the provider through this fetch when `caFile` names a CA; else Node's own. */
  fetch: oidc.CustomFetch | undefined;
  timeoutSeconds: number;
}

export function readOidcSettings(config: Config['auth']['oidc'], publicUrl: string): OidcSettings {
  const clientSecret = config.clientSecretFile ? readSecretFile(config.clientSecretFile) : config.clientSecret || undefined;
  const clientAuth =
    config.tokenEndpointAuthMethod === 'none'
      ? oidc.None()
      : config.tokenEndpointAuthMethod === 'client_secret_post'
        ? oidc.ClientSecretPost(clientSecret)
        : oidc.ClientSecretBasic(clientSecret);
  return {
    issuer: new URL(config.issuer),
    clientId: config.clientId,
    clientAuth,
    clientSecret,
    redirectUri: new URL(CALLBACK_PATH, publicUrl).href,
    scopes: config.scopes.join(' '),
    fetch: config.caFile ? fetchTrusting(readFileSync(config.caFile)) : undefined,
    timeoutSeconds: REQUEST_TIMEOUT_SECONDS,
  };
}

/** The client secret: the file's first line; refused if group or others may read the file. */
export function readSecretFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const { mode } = fstatSync(fd);
    if ((mode & 0o077) !== 0) {
      throw new Error(`client secret file ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    const secret = readFileSync(fd, 'utf8').replace(/\r?\n$/, '');
    if (!/^[!-~]{1,1024}$/.test(secret)) throw new Error(`client secret file ${file}: one line of 1–1024 visible ASCII characters`);
    return secret;
  } finally {
    closeSync(fd);
  }
}

/** A fetch whose TLS connections trust `ca` only (the institution's CA), names checked as usual. */
function fetchTrusting(ca: Buffer): oidc.CustomFetch {
  const dispatcher = new Agent({ connect: { ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' } });
  // openid-client hands over what Node's own fetch takes; undici's types name the same things apart.
  return async (url, options) => (await undiciFetch(url, { ...options, dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
}
