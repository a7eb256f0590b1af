/**
 * The identity provider as this server knows it: its metadata (discovery, RFC 8414 / OpenID
 * Connect Discovery), fetched at start and kept in the database, so that a restart while the
 * provider is unreachable still knows it. When neither the provider nor the cache answers, the
 * server starts all the same (password sign-in works), says so in the log, and tries again in the
 * background; until then `configuration` is undefined and sign-in through the provider answers
 * SSO_UNAVAILABLE.
 *
 * What the ID token is checked against comes from here: the issuer, the keys (`jwks_uri`, with
 * signature checks on: openid-client skips them by default for tokens fetched over TLS), and the
 * signing algorithms, which are the provider's own list without `none` and symmetric ones.
 */
import type { Logger } from 'pino';
import * as oidc from 'openid-client';
import type { Db } from '../store/db.ts';
import type { OidcSettings } from './settings.ts';

/** Signing algorithms an ID token may use: asymmetric only (never `none`, never a MAC keyed with the client secret). */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^(EdDSA|Ed25519|ES256K)$/;

export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
}

/** First retry after 1 s, doubling to 5 minutes. */
const DEFAULT_RETRY: RetryPolicy = { firstMs: 1000, maxMs: 5 * 60_000 };

export class IdentityProvider {
  readonly #settings: OidcSettings;
  readonly #db: Db;
  readonly #log: Logger;
  readonly #retry: RetryPolicy;
  #configuration: oidc.Configuration | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(settings: OidcSettings, db: Db, log: Logger, retry: RetryPolicy = DEFAULT_RETRY) {
    this.#settings = settings;
    this.#db = db;
    this.#log = log;
    this.#retry = retry;
  }

  /** What openid-client signs people in with; undefined while the provider's metadata is unknown. */
  get configuration(): oidc.Configuration | undefined {
    return this.#configuration;
  }

  /** One discovery now; on failure the cached metadata (if any), and retries in the background. */
  async start(): Promise<void> {
    if (await this.#discover()) return;
    const cached = this.#cached();
    if (cached) {
      this.#configuration = this.#configure(cached.metadata);
      this.#log.warn(
        { issuer: this.#issuer, fetchedAt: new Date(cached.fetchedAt).toISOString() },
        'single sign-on: using the identity provider metadata cached earlier',
      );
    }
    this.#scheduleRetry(this.#retry.firstMs);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  get #issuer(): string {
    return this.#settings.issuer.href;
  }

  async #discover(): Promise<boolean> {
    const s = this.#settings;
    try {
      const found = await oidc.discovery(s.issuer, s.clientId, s.clientSecret, s.clientAuth, {
        timeout: s.timeoutSeconds,
        ...(s.fetch ? { [oidc.customFetch]: s.fetch } : {}),
      });
      if (this.#closed) return true;
      const metadata = found.serverMetadata();
      this.#db
        .prepare(
          `INSERT INTO sso_metadata (issuer, metadata, fetched_at) VALUES (?, ?, ?)
           ON CONFLICT (issuer) DO UPDATE SET metadata = excluded.metadata, fetched_at = excluded.fetched_at`,
        )
        .run(this.#issuer, JSON.stringify(metadata), Date.now());
      this.#configuration = this.#configure(metadata);
      this.#log.info({ issuer: metadata.issuer }, 'single sign-on: identity provider metadata loaded');
      return true;
    } catch (err) {
      this.#log.error(
        { issuer: this.#issuer, err: describe(err) },
        'single sign-on: the identity provider is unreachable or its metadata is invalid; password sign-in works, retrying in the background',
      );
      return false;
    }
  }

  #scheduleRetry(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#discover().then((ok) => {
        if (!ok) this.#scheduleRetry(Math.min(delayMs * 2, this.#retry.maxMs));
      });
    }, delayMs);
    this.#timer.unref();
  }

  #cached(): { metadata: oidc.ServerMetadata; fetchedAt: number } | undefined {
    const row = this.#db.prepare('SELECT metadata, fetched_at FROM sso_metadata WHERE issuer = ?').get(this.#issuer) as
      { metadata: string; fetched_at: number } | undefined;
    return row && { metadata: JSON.parse(row.metadata) as oidc.ServerMetadata, fetchedAt: row.fetched_at };
  }

  #configure(metadata: oidc.ServerMetadata): oidc.Configuration {
    const s = this.#settings;
    const server = { ...metadata, id_token_signing_alg_values_supported: idTokenAlgorithms(metadata.id_token_signing_alg_values_supported) };
    const configuration = new oidc.Configuration(server, s.clientId, s.clientSecret, s.clientAuth);
    configuration.timeout = s.timeoutSeconds;
    if (s.fetch) configuration[oidc.customFetch] = s.fetch;
    oidc.enableNonRepudiationChecks(configuration);
    return configuration;
  }
}

/**
 * The algorithms an ID token may be signed with: the provider's list without `none` and MACs
 * (which would be keyed with the client secret, known to the client itself); RS256, the OpenID
 * Connect default, when it lists none or no other.
 */
export function idTokenAlgorithms(listed: readonly string[] | undefined): string[] {
  const asymmetric = (listed ?? []).filter((alg) => ASYMMETRIC.test(alg));
  return asymmetric.length > 0 ? asymmetric : ['RS256'];
}

/** An error in a log line: its message and, for network failures, the cause's (ECONNREFUSED, a certificate problem…). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
