/**
 * Single sign-on with an OpenID Connect provider, assembled from `auth.oidc.*` (docs/sso.md):
 * settings → the provider's metadata (discovery, cached) → flows → the sign-in rule → the service
 * the routes call. Off (`enabled: false`): no service, and the login page offers no button.
 */
import type { Logger } from 'pino';
import type { Audit } from '../audit/audit.ts';
import type { AccountStore } from '../auth/accounts.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/db.ts';
import { IdentityProvider } from './discovery.ts';
import { FlowStore } from './flows.ts';
import { IdentityStore } from './identities.ts';
import { SsoService } from './service.ts';
import { readOidcSettings } from './settings.ts';
import { SsoSignIn } from './sign-in.ts';

export interface Sso {
  /** Undefined while single sign-on is off. */
  service: SsoService | undefined;
  close(): void;
}

export interface SsoStartDeps {
  db: Db;
  log: Logger;
  audit: Audit;
  accounts: AccountStore;
  sessions: SessionStore;
}

/** Reads the settings (a bad secret or CA file stops the start) and tries the provider once; never waits for it beyond that. */
export async function startSso(config: Config, deps: SsoStartDeps): Promise<Sso> {
  const oidc = config.auth.oidc;
  if (!oidc.enabled) return { service: undefined, close: () => {} };
  const settings = readOidcSettings(oidc, config.server.publicUrl);
  const provider = new IdentityProvider(settings, deps.db, deps.log);
  await provider.start();
  const flows = new FlowStore(deps.db);
  const sweep = setInterval(() => flows.sweep(), 60_000);
  sweep.unref();
  const rules = { oidc, requireTotp: config.auth.requireTotp };
  const signIn = new SsoSignIn({ ...deps, rules, identities: new IdentityStore(deps.db) });
  return {
    service: new SsoService({ settings, provider, flows, signIn }),
    close: () => {
      provider.close();
      clearInterval(sweep);
    },
  };
}
