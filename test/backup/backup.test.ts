/**
 * `recinto backup` and `recinto restore` as an administrator runs them: real processes on real
 * data directories, the backup made while a real server (HTTPS, SQLite, a media worker) is in use
 * and writing, and a second server started on the restored copy, signed in to with password and
 * TOTP code, its meeting joined over a real WebSocket, its audit trail verified.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyFile } from '../../server/audit/signing-key.ts';
import { ArchiveReader } from '../../server/backup/archive.ts';
import { backupCommand } from '../../server/backup/commands.ts';
import { auditRows } from '../helpers/audit.ts';
import { docBlocks } from '../helpers/doc-blocks.ts';
import { OPEN_POLICY, startTestServer, type TestServer, type TestUser } from '../helpers/server.ts';
import { TestClient } from '../helpers/ws-client.ts';

const root = mkdtempSync(join(tmpdir(), 'recinto-backup-'));
const PASSPHRASE = 'correct horse battery staple';
const passFile = join(root, 'passphrase');
writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
const archive = join(root, 'recinto.backup');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const mode = (path: string) => statSync(path).mode & 0o777;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** `node server/cli.ts …` on `dataDir`, with none of this process's RECINTO_* variables. */
function recinto(dataDir: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['server/cli.ts', ...args], {
      env: { ...env, RECINTO_DATA_DIR: dataDir, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

const restoreArgs = (file = archive, ...more: string[]) => ['restore', file, '--passphrase-file', passFile, ...more];

let server: TestServer;
let user: TestUser;
let meetingId: string;
let meetingPassword: string | null;
let backup: Run;
let bytes: Buffer;

beforeAll(async () => {
  server = await startTestServer();
  user = await server.createUser('ana.perez', { displayName: 'Ana Pérez' });
  meetingId = server.createMeeting('Comité', { ownerId: user.id, policy: OPEN_POLICY });
  meetingPassword = server.recinto.meetingStore.password(meetingId);
  // Ana is in her meeting, the chain has a checkpoint, and the server writes all the while the backup is made.
  const inside = await TestClient.connect(await server.signIn(user));
  expect((await inside.join(meetingId)).status).toBe('joined');
  server.recinto.checkpoints.checkpoint();
  const busy = setInterval(() => server.recinto.audit({ action: 'test.busy', outcome: 'ok' }), 2);
  backup = await recinto(server.config.dataDir, ['backup', archive, '--passphrase-file', passFile]);
  clearInterval(busy);
  await inside.close();
  bytes = readFileSync(archive);
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('recinto backup and restore', () => {
  it('backs up a running server; the restored copy signs Ana in (password and TOTP), lets her join her meeting, and its audit trail verifies', async () => {
    expect(backup.code, backup.err).toBe(0);
    expect(backup.out).toContain(`backup written: ${archive}\n${bytes.length} bytes, sha256 ${sha256(bytes)}\n`);
    expect(mode(archive)).toBe(0o600);
    // The copy of the database was made in a private directory, gone now.
    expect(readdirSync(server.config.dataDir).filter((name) => !name.startsWith('recinto.sqlite'))).toEqual(['secrets']);
    expect(auditRows(server.recinto.db, { action: 'backup.create' })).toMatchObject([
      { outcome: 'ok', actor: expect.stringMatching(/^cli:/), detail: { file: archive, bytes: bytes.length, sha256: sha256(bytes) } },
    ]);

    const dataDir = join(root, 'fresh-machine', 'data'); // a later test restores over it again
    const restore = await recinto(dataDir, restoreArgs());
    expect(restore.code, restore.err).toBe(0);
    expect(restore.out).toContain(`into ${dataDir}\n`);
    const secrets = join(dataDir, 'secrets');
    expect([mode(dataDir), mode(secrets)]).toEqual([0o700, 0o700]);
    expect([mode(join(dataDir, 'recinto.sqlite')), mode(join(secrets, 'secret.key')), mode(join(secrets, 'audit-signing.key'))]).toEqual([0o600, 0o600, 0o600]);
    expect(readFileSync(join(secrets, 'secret.key'))).toEqual(readFileSync(server.config.secretKeyFile));
    expect(readFileSync(join(secrets, 'audit-signing.key'))).toEqual(readFileSync(signingKeyFile(server.config.secretKeyFile)));
    for (const run of [backup, restore]) expect(run.out + run.err).not.toContain(PASSPHRASE);

    const restored = await startTestServer({ dataDir });
    try {
      expect(restored.url).not.toBe(server.url);
      expect(restored.recinto.firstAdmin).toBeUndefined(); // its accounts are the old ones
      // The second factor opens only with the same secret key: a new key would fail here.
      const http = await restored.signIn(user);
      expect(restored.recinto.meetingStore.password(meetingId)).toBe(meetingPassword);
      const client = await TestClient.connect(http);
      const joined = await client.join(meetingId);
      expect(joined.status).toBe('joined');
      await client.close();
      const [record] = auditRows(restored.recinto.db, { action: 'backup.restore' });
      expect(record).toMatchObject({ outcome: 'ok', detail: { sha256: sha256(bytes), schemaVersion: { archive: expect.any(Number) } } });
      expect(record!.rawDetail).not.toContain(PASSPHRASE);
      // The busy writes made during the backup: those before the copy's instant, and none after.
      expect(auditRows(restored.recinto.db, { action: 'test.busy' }).length).toBeGreaterThan(0);
      expect(auditRows(restored.recinto.db, { action: 'backup.create' })).toEqual([]);
    } finally {
      await restored.close();
    }
    // The chain and its checkpoints (the one made before the backup, the restored server's own)
    // verify with the restored signing key.
    const verify = await recinto(dataDir, ['audit', 'verify']);
    expect(verify.code, verify.err).toBe(0);
    expect(verify.out).toMatch(/^audit trail intact: \d+ records and ([2-9]|\d\d+) checkpoints checked/);
  });

  it('uses the key derivation cost docs/backup.md states', () => {
    const documented = Buffer.from(docBlocks('backup.md').get('header')!, 'hex');
    // Magic, version, Argon2id and its m, t, p; then the chunk size.
    expect(bytes.subarray(0, 22)).toEqual(documented.subarray(0, 22));
    expect(bytes.subarray(38, 42)).toEqual(documented.subarray(38, 42));
  });

  it('refuses a wrong passphrase, a truncated archive and a flipped byte, restoring nothing', async () => {
    const flipped = (at: number) => {
      const copy = Buffer.from(bytes);
      copy[at]! ^= 0x01;
      return copy;
    };
    const cases: Record<string, { file: Buffer; env?: Record<string, string>; message: string }> = {
      wrongPassphrase: { file: bytes, env: { RECINTO_BACKUP_PASSPHRASE: `${PASSPHRASE}!` }, message: 'wrong passphrase' },
      truncated: { file: bytes.subarray(0, bytes.length - 1000), message: 'damaged, truncated or altered: chunk 1 of 1' },
      flippedInside: { file: flipped(Math.floor(bytes.length / 2)), message: 'damaged, truncated or altered: chunk 1 of 1' },
      flippedSalt: { file: flipped(30), message: 'wrong passphrase (or the archive header was altered)' },
    };
    const runs = await Promise.all(
      Object.entries(cases).map(async ([name, c]) => {
        const file = join(root, `${name}.backup`);
        writeFileSync(file, c.file);
        const dataDir = join(root, name, 'data');
        // The environment variable is the passphrase's source when no file is given.
        const run = await recinto(dataDir, c.env ? ['restore', file] : restoreArgs(file), c.env);
        return { name, run, dataDir, message: c.message };
      }),
    );
    for (const { name, run, dataDir, message } of runs) {
      expect(run.code, `${name}: ${run.err}`).toBe(1);
      expect(run.err, name).toContain(message);
      expect(run.err, name).toContain('nothing was restored');
      // Not even the directories the restore would have made are left.
      expect(existsSync(dataDir) || existsSync(join(root, name)), name).toBe(false);
    }
  });

  it('holds neither key nor any TOTP secret in the clear', () => {
    const secretKey = readFileSync(server.config.secretKeyFile);
    const signingPem = readFileSync(signingKeyFile(server.config.secretKeyFile));
    const signingSeed = Buffer.from(createPrivateKey(signingPem).export({ format: 'jwk' }).d!, 'base64url');
    const secrets: Record<string, Buffer> = {
      'secret key': secretKey,
      'secret key (hex)': Buffer.from(secretKey.toString('hex')),
      'secret key (base64)': Buffer.from(secretKey.toString('base64')),
      'signing key (PEM)': signingPem,
      'signing key (PEM body)': Buffer.from(signingPem.toString().split('\n')[1]!),
      'signing key (seed)': signingSeed,
      'TOTP secret (base32)': Buffer.from(user.totpSecret),
      'TOTP secret (bytes)': base32(user.totpSecret),
      'meeting password': Buffer.from(meetingPassword!),
      // Not a secret: a sign that the database is not in the archive as it is.
      'SQLite header': Buffer.from('SQLite format 3'),
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length, what).toBeGreaterThanOrEqual(10);
      expect(bytes.includes(secret), what).toBe(false);
    }
  });

  it('refuses to restore over a database unless --force, never while a server has it open; --force moves the old files aside', async () => {
    const ownDir = server.config.dataDir;
    const before = readdirSync(ownDir);
    const [plain, forced] = await Promise.all([recinto(ownDir, restoreArgs()), recinto(ownDir, restoreArgs(archive, '--force'))]);
    expect(plain.code).toBe(1);
    expect(plain.err).toContain(`${ownDir} already holds recinto.sqlite, recinto.sqlite-wal, recinto.sqlite-shm, secret.key, audit-signing.key`);
    expect(forced.code).toBe(1);
    expect(forced.err).toContain('is in use (is the server running on this data directory?)');
    // Nothing moved aside, nothing staged: the server's files are as they were.
    expect(readdirSync(ownDir)).toEqual(before);

    // The data directory restored by the first test, its server stopped.
    const dataDir = join(root, 'fresh-machine', 'data');
    const old = { db: readFileSync(join(dataDir, 'recinto.sqlite')), key: readFileSync(join(dataDir, 'secrets', 'secret.key')) };
    const again = await recinto(dataDir, restoreArgs());
    expect(again.code).toBe(1);
    expect(again.err).toContain('already holds recinto.sqlite, secret.key, audit-signing.key: restoring would replace them');
    expect(readFileSync(join(dataDir, 'recinto.sqlite'))).toEqual(old.db);

    const force = await recinto(dataDir, restoreArgs(archive, '--force'));
    expect(force.code, force.err).toBe(0);
    const aside = readdirSync(dataDir).filter((name) => name.startsWith('pre-restore-'));
    expect(aside).toHaveLength(1);
    expect(force.out).toContain(`the files that were there are in ${join(dataDir, aside[0]!)}\n`);
    expect(readFileSync(join(dataDir, aside[0]!, 'recinto.sqlite'))).toEqual(old.db);
    expect(readFileSync(join(dataDir, 'secrets', aside[0]!, 'secret.key'))).toEqual(old.key);
    expect(mode(join(dataDir, aside[0]!))).toBe(0o700);
  });
});

describe('the passphrase', () => {
  it('refuses fewer than 12 characters, a passphrase file others can read, and no passphrase at all', async () => {
    const loose = join(root, 'loose-passphrase');
    writeFileSync(loose, `${PASSPHRASE}\n`, { mode: 0o644 });
    const dataDir = server.config.dataDir;
    // In this process (what server/cli.ts hands `backup …` to): these stop before any real work.
    const [short, readable, none] = await Promise.all([
      command(dataDir, ['backup', join(root, 'short.backup')], { RECINTO_BACKUP_PASSPHRASE: 'elevenchars' }),
      command(dataDir, ['backup', join(root, 'loose.backup'), '--passphrase-file', loose]),
      command(dataDir, ['backup', join(root, 'none.backup')]),
    ]);
    expect(short).toMatchObject({ code: 2, err: expect.stringContaining('the passphrase has 11 characters: at least 12') });
    expect(readable).toMatchObject({ code: 2, err: expect.stringContaining('is accessible to group or others (mode 644)') });
    expect(none).toMatchObject({ code: 2, err: expect.stringContaining('no passphrase: give --passphrase-file FILE, set RECINTO_BACKUP_PASSPHRASE') });
    expect(readdirSync(root).filter((name) => /^(short|loose|none)\.backup/.test(name))).toEqual([]);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('is asked on a terminal, twice for a backup, without echo', async () => {
    const typed = 'una frase de paso larga';
    const file = join(root, 'typed.backup');
    const [mismatch, made] = await Promise.all([
      onTerminal(['backup', join(root, 'typo.backup')], [typed, `${typed}.`]),
      onTerminal(['backup', file], [typed, typed]),
    ]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.out).toContain('the two passphrases differ');
    expect(existsSync(join(root, 'typo.backup'))).toBe(false);
    expect(made.code, made.out).toBe(0);
    expect(made.out).toContain('backup passphrase: ');
    expect(made.out).toContain('the same passphrase again: ');
    expect(made.out).not.toContain(typed);
    const reader = await ArchiveReader.open(file, typed);
    reader.close();
  });
});

/** The same command in this process, its stdin no terminal. */
async function command(dataDir: string, [name, ...args]: string[], env: Record<string, string> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await backupCommand(name as 'backup' | 'restore', args, {
    dataDir,
    secretKeyFile: join(dataDir, 'secrets', 'secret.key'),
    signingKeyFile: join(dataDir, 'secrets', 'audit-signing.key'),
    version: '0.1.0',
    actor: 'cli:test',
    env,
    stdin: { isTTY: false } as NodeJS.ReadStream,
    out: (text) => void (out += text),
    err: (text) => void (err += text),
  });
  return { code, out, err };
}

/** The command on a pseudo-terminal (util-linux `script`), typing each answer when its prompt shows. */
function onTerminal(args: string[], answers: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  const command = [process.execPath, 'server/cli.ts', ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...env, RECINTO_DATA_DIR: server.config.dataDir } });
    let out = '';
    let answered = 0;
    child.stdout.on('data', (d) => {
      out += d;
      const prompts = out.split(/backup passphrase: |the same passphrase again: /).length - 1;
      if (prompts > answered && answered < answers.length) child.stdin.write(`${answers[answered++]}\r`);
    });
    child.on('exit', (code) => resolve({ code, out, err: '' }));
  });
}

/** RFC 4648 base32, as authenticator apps take the TOTP secret. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}
