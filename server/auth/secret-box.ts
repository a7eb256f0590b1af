/**
 * Encryption at rest for small secrets (TOTP shared secrets): AES-256-GCM with a key file that
 * never enters the database, so a copy of the database alone does not yield anyone's second factor.
 * The associated data binds each sealed value to its owner (the user id): a sealed secret copied
 * onto another account row fails to open.
 *
 * Sealed format: `v1.<96-bit IV, base64url>.<ciphertext || 128-bit tag, base64url>`. The version
 * prefix leaves room to change algorithm or key later without guessing at old rows.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const VERSION = 'v1';
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM nonce size that needs no extra hashing (NIST SP 800-38D)
const TAG_BYTES = 16;

/** Reads the 32-byte key, creating it (mode 0600) if missing; refuses a wrong size or a key others can read. */
export function loadOrCreateKey(file: string): Buffer {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Already there (maybe created by a concurrent process): use it, after the checks below.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Check and read through one descriptor so the file checked is the file read.
  const fd = openSync(file, 'r');
  try {
    const { mode, size } = fstatSync(fd);
    if ((mode & 0o077) !== 0) {
      throw new Error(`key file ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    if (size !== KEY_BYTES) throw new Error(`key file ${file} holds ${size} bytes, expected ${KEY_BYTES}`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Throws if the value was altered, or was sealed with another key or for another owner (aad). */
export function open(key: Buffer, sealed: string, aad: string): string {
  const [version, ivText, bodyText, ...rest] = sealed.split('.');
  if (version !== VERSION || ivText === undefined || bodyText === undefined || rest.length > 0) {
    throw new Error(`not a ${VERSION} sealed value`);
  }
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error(`malformed ${VERSION} sealed value`);
  // The tag is always the last 16 bytes; authTagLength has Node insist on that length as well.
  const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('sealed value failed authentication: altered, wrong key, or wrong owner');
  }
}
