/**
 * A refused single sign-on: the code the person sees (protocol/errors.ts, shown by the login page
 * from `?sso=CODE`) and the finer reason the audit record keeps (`nonce-mismatch`, `replayed`…).
 * openid-client's errors are read here into one of them; what they carry (tokens, claims) never
 * reaches the audit trail or the person.
 */
import * as oidc from 'openid-client';
import type { ErrorCode } from '../../protocol/errors.ts';
import { DomainError } from '../errors.ts';

export class SsoRefusal extends DomainError {
  readonly reason: string;
  /** The account concerned, when one is known (the audit record's actor). */
  readonly actor: string | undefined;
  /** More for the audit record (never a token): e.g. the subject that has no account. */
  readonly detail: Record<string, string>;
  constructor(code: ErrorCode, reason: string, message: string, extra: { actor?: string; detail?: Record<string, string> } = {}) {
    super(code, message);
    this.reason = reason;
    this.actor = extra.actor;
    this.detail = extra.detail ?? {};
  }
}

/** OAuth error codes are short tokens; anything else a provider sends is not repeated. */
const oauthError = (value: unknown) => (typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : 'unknown');

/** The `claim` an openid-client error is about, found down its chain of causes. */
function claimOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const claim = (e as { claim?: unknown }).claim;
    if (typeof claim === 'string') return claim;
  }
  return undefined;
}

function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) parts.push(e.message);
  return parts.join(': ');
}

const invalid = (reason: string) => new SsoRefusal('SSO_TOKEN_INVALID', reason, 'the identity provider’s ID token failed a check');

/**
 * What went wrong in a sign-in, as a refusal: a refusal as it is, another domain error under its
 * own code (BUSY…), openid-client's errors by what they are about, anything else INTERNAL.
 */
export function refusalOf(err: unknown): SsoRefusal {
  if (err instanceof SsoRefusal) return err;
  if (err instanceof DomainError) return new SsoRefusal(err.code, err.code.toLowerCase(), err.message);
  if (err instanceof oidc.AuthorizationResponseError) {
    return new SsoRefusal('SSO_IDP_REFUSED', `provider:${oauthError(err.error)}`, 'the identity provider refused the sign-in');
  }
  if (err instanceof oidc.ResponseBodyError) {
    return new SsoRefusal('SSO_IDP_REFUSED', `token-endpoint:${oauthError(err.error)}`, 'the identity provider refused the authorization code');
  }
  const code = (err as { code?: unknown } | null)?.code;
  const text = messagesOf(err);
  switch (code) {
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      return invalid(`${claimOf(err) ?? 'claim'}-mismatch`);
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED': {
      const claim = claimOf(err);
      return invalid(claim === 'exp' ? 'expired' : `${claim ?? 'timestamp'}-invalid`);
    }
    case 'OAUTH_KEY_SELECTION_FAILED':
      return invalid('unknown-signing-key');
    case 'OAUTH_UNSUPPORTED_OPERATION':
      return invalid(/alg/i.test(text) ? 'alg-not-allowed' : 'unsupported');
    case 'OAUTH_INVALID_RESPONSE':
      if (/"alg"/.test(text)) return invalid('alg-not-allowed');
      if (/signature verification failed/i.test(text)) return invalid('bad-signature');
      if (/claim missing/i.test(text)) return invalid(`${/"(\w+)"/.exec(text)?.[1] ?? 'claim'}-missing`);
      if (/id_token/i.test(text)) return invalid('no-id-token');
      return invalid('invalid-response');
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
    case 'OAUTH_PARSE_ERROR':
      return new SsoRefusal('SSO_IDP_REFUSED', 'bad-token-response', 'the identity provider answered something that is not a token response');
  }
  if (typeof code === 'string' && code.startsWith('OAUTH_')) return invalid('invalid-response');
  // fetch() fails with a TypeError (its cause says why: ECONNREFUSED, a certificate), or times out.
  if (err instanceof TypeError || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))) {
    return new SsoRefusal('SSO_UNAVAILABLE', 'provider-unreachable', 'the identity provider did not answer');
  }
  return new SsoRefusal('INTERNAL', 'internal', 'internal error');
}
