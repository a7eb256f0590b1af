/**
 * The Ed25519 key that signs audit checkpoints: a PKCS#8 PEM file beside the other secrets
 * (`audit-signing.key` next to the secret key file), mode 0600, created on first start.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the signing key lives: in the directory of the secret key file (`<dataDir>/secrets/` by default). */
export function signingKeyFile(secretKeyFile: string): string {
  return join(dirname(secretKeyFile), 'audit-signing.key');
}

/** Reads the private key, creating it (mode 0600) if missing; refuses a key others can read. */
export function loadOrCreateSigningKey(file: string): KeyObject {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Already there (maybe created by a concurrent process): use it, after the checks below.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSigningKey(file);
}

/** Reads an existing private key (never creates one); throws naming the problem. */
export function readSigningKey(file: string): KeyObject {
  // Check and read through one descriptor so the file checked is the file read.
  const fd = openSync(file, 'r');
  try {
    const { mode } = fstatSync(fd);
    if ((mode & 0o077) !== 0) {
      throw new Error(`key file ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    const key = createPrivateKey(readFileSync(fd));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key file ${file} is not an Ed25519 private key`);
    return key;
  } finally {
    closeSync(fd);
  }
}

/** A public key from a PEM file: SPKI (an auditor's copy), or derived from the private key. */
export function readPublicKey(file: string): KeyObject {
  const text = readFileSync(file, 'utf8');
  const key = text.includes('PRIVATE KEY') ? createPublicKey(readSigningKey(file)) : createPublicKey(text);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 public key`);
  return key;
}

export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' }).toString();
}
