import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateKey, open, seal } from '../../server/auth/secret-box.ts';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const OWNER = 'user:42';

/** Flips one bit of the decoded byte at `index` in a base64url field of the sealed value. */
function flipBit(sealed: string, field: 1 | 2, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[field]!, 'base64url');
  bytes[index]! ^= 0x01;
  parts[field] = bytes.toString('base64url');
  return parts.join('.');
}

describe('seal and open', () => {
  const key = randomBytes(32);

  it('round-trips, in the versioned v1.<iv>.<ciphertext+tag> format', () => {
    const sealed = seal(key, SECRET, OWNER);
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+$/); // 12-byte IV = 16 base64url characters
    expect(sealed).not.toContain(SECRET);
    expect(open(key, sealed, OWNER)).toBe(SECRET);
  });

  it('uses a fresh IV every time', () => {
    expect(seal(key, SECRET, OWNER)).not.toBe(seal(key, SECRET, OWNER));
  });

  it.each([
    ['the IV', 1, 0],
    ['the ciphertext', 2, 0],
    ['the tag', 2, SECRET.length + 15],
  ] as const)('refuses a value with a bit flipped in %s', (_, field, index) => {
    const sealed = seal(key, SECRET, OWNER);
    expect(() => open(key, flipBit(sealed, field, index), OWNER)).toThrow(/failed authentication/);
  });

  it('refuses a value cut short, with no room for the 16-byte tag', () => {
    const [version, iv, body] = seal(key, SECRET, OWNER).split('.');
    const shortened = Buffer.from(body!, 'base64url').subarray(0, 15).toString('base64url');
    expect(() => open(key, `${version}.${iv}.${shortened}`, OWNER)).toThrow(/malformed/);
  });

  it('refuses to open with another key', () => {
    expect(() => open(randomBytes(32), seal(key, SECRET, OWNER), OWNER)).toThrow(/failed authentication/);
  });

  it('refuses to open for another owner (aad)', () => {
    expect(() => open(key, seal(key, SECRET, OWNER), 'user:43')).toThrow(/failed authentication/);
  });

  it.each(['', 'v2.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', 'v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA', 'v1.a.b.c'])('refuses malformed input %j', (sealed) => {
    expect(() => open(key, sealed, OWNER)).toThrow(/sealed value/);
  });
});

describe('loadOrCreateKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recinto-secret-box-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key readable only by its owner (0600), then returns the same key', () => {
    const file = join(dir, 'secrets', 'totp.key');
    const key = loadOrCreateKey(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKey(file).equals(key)).toBe(true);
    expect(readFileSync(file).equals(key)).toBe(true);
  });

  it('refuses a key file of the wrong size', () => {
    const file = join(dir, 'short.key');
    writeFileSync(file, randomBytes(16), { mode: 0o600 });
    expect(() => loadOrCreateKey(file)).toThrow(/holds 16 bytes, expected 32/);
  });

  it.each([0o640, 0o604])('refuses a key file with mode %o (group or others can read)', (mode) => {
    const file = join(dir, 'open.key');
    writeFileSync(file, randomBytes(32));
    chmodSync(file, mode);
    expect(() => loadOrCreateKey(file)).toThrow(/accessible to group or others.*chmod 600/);
  });
});
