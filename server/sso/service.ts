/**
 * Single sign-on, start to finish (authorization code flow with PKCE, OpenID Connect Core 3.1):
 *
 *   begin   → a new flow (PKCE S256 verifier, state, nonce) kept server-side; the provider's
 *             authorization URL to send the browser to.
 *   finish  → the browser's flow taken once (none, expired or used: SSO_FLOW_EXPIRED), its
 *             `state` compared (SSO_STATE_MISMATCH), then openid-client exchanges the code and
 *             checks the ID token: signature against the provider's keys, `alg` from its
 *             metadata (never `none`), `iss`, `aud`, `exp`, `iat`, `nonce`, and `iss` of the
 *             response (RFC 9207) when the provider sends it. Then the sign-in rule (sign-in.ts).
 *
 * Every refusal is an SsoRefusal (refusal.ts): the code for the person, the reason for the audit.
 */
import { timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import type { RequestMeta } from '../auth/service.ts';
import type { IdentityProvider } from './discovery.ts';
import type { FlowStore } from './flows.ts';
import { refusalOf, SsoRefusal } from './refusal.ts';
import type { OidcSettings } from './settings.ts';
import type { SignedIn, SsoSignIn } from './sign-in.ts';

export interface SsoDeps {
  settings: OidcSettings;
  provider: IdentityProvider;
  flows: FlowStore;
  signIn: SsoSignIn;
}

const unavailable = () =>
  new SsoRefusal('SSO_UNAVAILABLE', 'no-metadata', 'the identity provider has not been reached yet; sign in with a password or try again later');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SsoService {
  readonly #d: SsoDeps;

  constructor(deps: SsoDeps) {
    this.#d = deps;
  }

  /** Whether sign-in can start now (the provider's metadata is known). */
  get available(): boolean {
    return this.#d.provider.configuration !== undefined;
  }

  /** A new sign-in: the flow's id for the browser's cookie, and where to send the browser. */
  async begin(returnTo: string | null): Promise<{ flowId: string; url: string }> {
    const configuration = this.#d.provider.configuration;
    if (!configuration) throw unavailable();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#d.settings.redirectUri,
      scope: this.#d.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const flowId = this.#d.flows.create({ state, nonce, codeVerifier, returnTo });
    return { flowId, url: url.href };
  }

  /**
   * Finishes the browser's sign-in from the provider's callback (`search`: the callback's query
   * string as received). Throws SsoRefusal.
   */
  async finish(flowId: string | undefined, search: string, meta: RequestMeta): Promise<SignedIn & { returnTo: string | null }> {
    const taken = this.#d.flows.take(flowId);
    if ('none' in taken) throw new SsoRefusal('SSO_FLOW_EXPIRED', taken.none, 'no sign-in in progress for this browser; start again');
    const { flow } = taken;
    const callback = new URL(this.#d.settings.redirectUri);
    callback.search = search;
    const state = callback.searchParams.get('state');
    if (state === null || !sameText(state, flow.state)) {
      throw new SsoRefusal('SSO_STATE_MISMATCH', 'state-mismatch', 'this answer of the identity provider belongs to another sign-in');
    }
    const configuration = this.#d.provider.configuration;
    if (!configuration) throw unavailable();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      throw refusalOf(err);
    }
    if (!claims) throw new SsoRefusal('SSO_TOKEN_INVALID', 'no-id-token', 'the identity provider sent no ID token');
    return { ...this.#d.signIn.signIn({ ...claims, iss: claims.iss, sub: claims.sub }, meta), returnTo: flow.returnTo };
  }
}
