/**
 * Single-use recovery codes, for a user who has lost their authenticator.
 *
 * Codes are 12 symbols of Crockford's base32 alphabet (no I, L, O or U), shown as
 * `xxxx-xxxx-xxxx`: 5 bits a symbol, 60 bits a code, drawn from the CSPRNG. Reading them back
 * forgives case, spaces, dashes and the look-alikes Crockford maps (o → 0, i and l → 1).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const CODE_LENGTH = GROUPS * GROUP_LENGTH;
const CANONICAL = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

export function generateRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, generateRecoveryCode);
}

function generateRecoveryCode(): string {
  let symbols = '';
  for (let i = 0; i < CODE_LENGTH; i++) symbols += ALPHABET[randomInt(ALPHABET.length)];
  const groups = Array.from({ length: GROUPS }, (_, g) => symbols.slice(g * GROUP_LENGTH, (g + 1) * GROUP_LENGTH));
  return groups.join('-');
}

/** The canonical 12 symbols of what the user typed, or null if it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return CANONICAL.test(code) ? code : null;
}

/**
 * SHA-256 hex of the canonical code, for storage. A slow password hash is not needed: a code has
 * 60 random bits, so an offline search of a stolen hash still averages 2^59 SHA-256 evaluations,
 * and it only stands in for the second factor, not the password. A slow hash would instead make
 * every recovery attempt cost ten of them, one per stored code.
 */
export function hashRecoveryCode(code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new Error('not a recovery code');
  return sha256Hex(canonical);
}

/**
 * The index in `hashes` of the code the user typed, or -1. Every stored hash is compared, in
 * constant time, so the response time does not depend on which one matched. The caller must
 * delete the matched hash: each code works once.
 */
export function matchRecoveryCode(input: string, hashes: readonly string[]): number {
  const canonical = normalizeRecoveryCode(input);
  if (canonical === null) return -1;
  const candidate = Buffer.from(sha256Hex(canonical), 'utf8');
  let found = -1;
  hashes.forEach((stored, index) => {
    const storedBytes = Buffer.from(stored, 'utf8');
    if (storedBytes.length === candidate.length && timingSafeEqual(storedBytes, candidate) && found === -1) found = index;
  });
  return found;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
