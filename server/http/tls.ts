/**
 * HTTPS material. With no certificate configured, the first start creates a self-signed pair at
 * the configured paths (default certs/) and says so; institutions replace both files with their
 * own (see README, "Certificates").
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { generate } from 'selfsigned';
import type { Config } from '../config/schema.ts';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  generated: boolean;
}

export async function loadTls(tls: Config['tls']): Promise<TlsMaterial> {
  const haveCert = existsSync(tls.certFile);
  const haveKey = existsSync(tls.keyFile);
  let generated = false;
  if (!haveCert && !haveKey && tls.selfSigned) {
    await writeSelfSigned(tls.certFile, tls.keyFile);
    generated = true;
  } else if (!haveCert || !haveKey) {
    throw new Error(
      `TLS: ${!haveCert ? `certificate ${tls.certFile}` : `key ${tls.keyFile}`} not found` +
        (tls.selfSigned ? ' (a self-signed pair is only created when both files are missing)' : ''),
    );
  }
  return { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile), generated };
}

async function writeSelfSigned(certFile: string, keyFile: string): Promise<void> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  const pems = await generate(
    [
      { name: 'commonName', value: hostname() },
      { name: 'organizationName', value: 'Recinto (self-signed)' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 2, value: hostname() },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    },
  );
  // Write beside the target and rename, so concurrent first starts never see half a file.
  const suffix = `.${process.pid}.tmp`;
  mkdirSync(dirname(keyFile), { recursive: true });
  mkdirSync(dirname(certFile), { recursive: true });
  writeFileSync(keyFile + suffix, pems.private, { mode: 0o600 });
  writeFileSync(certFile + suffix, pems.cert, { mode: 0o644 });
  renameSync(keyFile + suffix, keyFile);
  renameSync(certFile + suffix, certFile);
}
