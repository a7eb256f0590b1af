/**
 * Time-based one-time passwords (RFC 6238) as second factor. otplib does the HOTP/TOTP
 * arithmetic and compares codes in constant time; this module fixes the parameters every
 * authenticator app understands and adds the policy: one step of clock drift either way, and
 * each code usable once (the caller stores the returned step per user and passes it back).
 */
import { generateSecret, generateSync, verifySync, type HashAlgorithm, type VerifyResult as TotpMatch } from 'otplib';

/** SHA-1, 6 digits, 30 s: the only combination all common authenticator apps honour. */
const ALGORITHM: HashAlgorithm = 'sha1';
const DIGITS = 6;
const PERIOD_SECONDS = 30;
/** otplib takes the tolerance in seconds; one period each way accepts the previous and next step. */
const DRIFT_SECONDS = PERIOD_SECONDS;
/** RFC 4226 §4 recommends 160-bit shared secrets. */
const SECRET_BYTES = 20;

const SIX_DIGITS = /^\d{6}$/;

/** A new shared secret, base32 without padding, 160 bits from the CSPRNG. */
export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/**
 * The otpauth:// URI for the enrolment QR code (Google Authenticator key URI format). The
 * parameters that are also defaults are spelled out because some apps ignore missing ones badly.
 */
export function totpUri(input: { secret: string; account: string; issuer: string }): string {
  const { secret, account, issuer } = input;
  // The label is "issuer:account"; a colon inside either part would make it ambiguous.
  if (issuer.includes(':') || account.includes(':')) throw new Error('TOTP issuer and account may not contain ":"');
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    `secret=${encodeURIComponent(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${ALGORITHM.toUpperCase()}`,
    `digits=${DIGITS}`,
    `period=${PERIOD_SECONDS}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

/**
 * The code for `time` (Unix seconds). Defaults match what users enrol with; digits and algorithm
 * can be overridden so the RFC 6238 Appendix B vectors run through this same path.
 * `secret` is base32 text, or raw bytes.
 */
export function totpAt(input: { secret: string | Uint8Array; time: number; digits?: number; algorithm?: HashAlgorithm }): string {
  const { secret, time, digits = DIGITS, algorithm = ALGORITHM } = input;
  return generateSync({ secret, epoch: time, digits, algorithm, period: PERIOD_SECONDS });
}

export type TotpResult = { ok: true; step: number } | { ok: false; reason: 'INVALID' | 'REPLAYED' };

/**
 * Checks a 6-digit code at `now` (Unix seconds, default the clock), accepting the previous,
 * current and next step. A code whose step is <= `lastUsedStep` is REPLAYED, so an observed code
 * cannot be used again; on success store the returned `step` as the user's new `lastUsedStep`.
 * Malformed input is INVALID, never an exception.
 */
export function verifyTotp(input: { secret: string; code: string; now?: number; lastUsedStep?: number }): TotpResult {
  const { secret, code, now = Date.now() / 1000, lastUsedStep } = input;
  // otplib throws on a code of the wrong length or with non-digits; here that is just a wrong code.
  if (!SIX_DIGITS.test(code)) return { ok: false, reason: 'INVALID' };
  // The replay check is done here rather than with otplib's afterTimeStep, which would report a
  // replay as a plain mismatch (and throws when lastUsedStep lies beyond the window).
  // otplib types the result for HOTP and TOTP alike; with strategy 'totp' it is the TOTP one.
  const match = verifySync({
    strategy: 'totp',
    secret,
    token: code,
    epoch: Math.floor(now),
    epochTolerance: DRIFT_SECONDS,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  }) as TotpMatch;
  if (!match.valid) return { ok: false, reason: 'INVALID' };
  if (lastUsedStep !== undefined && match.timeStep <= lastUsedStep) return { ok: false, reason: 'REPLAYED' };
  return { ok: true, step: match.timeStep };
}
