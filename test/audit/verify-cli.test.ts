/**
 * `recinto audit verify` as an auditor runs it (a real process on a real data directory) against
 * a chain of 300 records with a checkpoint every 50, and copies of it tampered with directly in
 * the SQLite file (triggers dropped): each tampering is found and the first bad seq named. Also
 * `audit export`, `audit checkpoint` and `audit key`.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAudit } from '../../server/audit/audit.ts';
import { signCheckpoint, writeCheckpoint } from '../../server/audit/checkpoints.ts';
import { cefLine, csvLine } from '../../server/audit/export.ts';
import { auditCommand } from '../../server/audit/commands.ts';
import { loadOrCreateSigningKey, publicKeyPem } from '../../server/audit/signing-key.ts';
import { GENESIS_HASH, chainHash, type ChainRecord } from '../../server/store/audit-chain.ts';
import { openDatabase } from '../../server/store/db.ts';

const root = mkdtempSync(join(tmpdir(), 'recinto-audit-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const pristine = join(root, 'pristine');
const T0 = Date.parse('2026-12-01T00:00:00Z');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function recinto(dataDir: string, ...args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['server/cli.ts', ...args], { env: { ...env, RECINTO_DATA_DIR: dataDir } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** The same commands in this process (what server/cli.ts hands `audit …` to), for the cases that need no process of their own. */
function command(dataDir: string, sub: string, ...args: string[]): Run {
  let out = '';
  let err = '';
  const code = auditCommand(sub, args, {
    openDb: () => openDatabase(dataDir),
    signingKeyFile: join(dataDir, 'secrets', 'audit-signing.key'),
    version: '0.1.0',
    out: (text) => void (out += text),
    err: (text) => void (err += text),
  });
  return { code, out, err };
}

/** A copy of the pristine data directory, changed by `tamper` with every append-only trigger dropped. */
function tampered(name: string, tamper: (db: Database.Database) => void): string {
  const dir = join(root, name);
  cpSync(pristine, dir, { recursive: true });
  const db = new Database(join(dir, 'recinto.sqlite'));
  for (const t of ['audit_log_no_update', 'audit_log_no_delete', 'audit_log_hash_required', 'audit_checkpoints_no_update', 'audit_checkpoints_no_delete']) {
    db.exec(`DROP TRIGGER ${t}`);
  }
  db.transaction(() => tamper(db))();
  db.close();
  return dir;
}

type Row = ChainRecord & { hash: string };
const rowsOf = (db: Database.Database) =>
  db.prepare('SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail, hash FROM audit_log ORDER BY seq').all() as Row[];

/** What an attacker without the key can do: recompute every hash from `fromSeq` on. */
function rechain(db: Database.Database, fromSeq: number): void {
  const set = db.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?');
  let previous = GENESIS_HASH;
  for (const { hash, ...record } of rowsOf(db)) {
    previous = record.seq >= fromSeq ? chainHash(previous, record) : hash;
    set.run(previous, record.seq);
  }
}

const results: Record<string, Run> = {};
let externalCheckpoint = '';

beforeAll(async () => {
  // 300 records, one second apart, a checkpoint after every 50 (seq 50, 100, …, 300).
  const now = vi.spyOn(Date, 'now');
  const db = openDatabase(pristine);
  const audit = createAudit(db);
  const key = loadOrCreateSigningKey(join(pristine, 'secrets', 'audit-signing.key'));
  const tricky = { title: 'Junta, "extraordinaria"\nsegunda línea | a=b \\ fin' };
  for (let i = 1; i <= 300; i++) {
    now.mockReturnValue(T0 + i * 1000);
    audit(
      i === 42
        ? { action: 'meeting.create', outcome: 'ok', actor: 'cli:ana', meetingId: 'k3x9-7dqm-p2fa-w8rt', detail: tricky }
        : { action: i % 10 ? 'auth.login' : 'auth.login_failed', outcome: i % 10 ? 'ok' : 'denied', actor: `user-${i % 7}`, detail: { ip: '10.0.0.1' } },
    );
    if (i % 50 === 0) writeCheckpoint(db, key);
  }
  now.mockRestore();
  db.close();

  externalCheckpoint = join(root, 'checkpoint-300.json');
  writeFileSync(externalCheckpoint, command(pristine, 'checkpoint').out);
  const auditorKey = join(root, 'auditor.pem');
  writeFileSync(auditorKey, publicKeyPem(key));

  const attackerKey = generateKeyPairSync('ed25519').privateKey;
  const changeActor = (db: Database.Database, seq: number) => db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = ?").run(seq);
  const range = ['--since', '2026-12-01T00:00:41Z', '--until', '2026-12-01T00:00:43Z'];
  const cases: Record<string, [string, ...string[]]> = {
    exportCsv: [pristine, 'export', ...range, '--format', 'csv'],
    badOption: [pristine, 'verify', '--nope'],
    intact: [pristine],
    changed: [tampered('changed', (db) => changeActor(db, 57))],
    deleted: [tampered('deleted', (db) => db.exec('DELETE FROM audit_log WHERE seq = 57'))],
    inserted: [
      tampered('inserted', (db) => {
        // Make room at seq 100 (renumbering the rest), then insert a record chained from seq 99.
        db.exec('UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 100; UPDATE audit_log SET seq = -seq WHERE seq < 0');
        const before = db.prepare('SELECT hash FROM audit_log WHERE seq = 99').pluck().get() as string;
        const fake: ChainRecord = { seq: 100, at: T0 + 99_500, action: 'account.created', actor: 'cli:mallory', meetingId: null, outcome: 'ok', detail: '{}' };
        db.prepare('INSERT INTO audit_log (seq, at, action, actor, meeting_id, outcome, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          ...Object.values(fake),
          chainHash(before, fake),
        );
      }),
    ],
    reordered: [
      tampered('reordered', (db) => {
        // Swap everything but the seq of records 200 and 201.
        const [a, b] = rowsOf(db).filter((r) => r.seq === 200 || r.seq === 201) as [Row, Row];
        const set = db.prepare('UPDATE audit_log SET at = ?, action = ?, actor = ?, meeting_id = ?, outcome = ?, detail = ?, hash = ? WHERE seq = ?');
        for (const [row, seq] of [[b, 200] as const, [a, 201] as const])
          set.run(row.at, row.action, row.actor, row.meetingId, row.outcome, row.detail, row.hash, seq);
      }),
    ],
    truncated: [tampered('truncated', (db) => db.exec('DELETE FROM audit_log WHERE seq > 280'))],
    rewritten: [
      tampered('rewritten', (db) => {
        changeActor(db, 120);
        rechain(db, 120);
      }),
    ],
    rewrittenWithCheckpoints: [
      tampered('rewritten-checkpoints', (db) => {
        changeActor(db, 120);
        rechain(db, 120);
        // Point the checkpoints at the new chain too: their signatures no longer match.
        db.exec('UPDATE audit_checkpoints SET hash = (SELECT hash FROM audit_log WHERE audit_log.seq = audit_checkpoints.seq)');
      }),
    ],
    resigned: [
      tampered('resigned', (db) => {
        changeActor(db, 120);
        rechain(db, 120);
        // Re-signed with another key: only the auditor's copy of the public key tells.
        db.exec('DELETE FROM audit_checkpoints');
        const last = rowsOf(db).at(-1)!;
        const c = signCheckpoint(attackerKey, { seq: last.seq, hash: last.hash, at: T0 + 400_000 });
        db.prepare('INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?, ?, ?, ?)').run(c.seq, c.hash, c.at, c.signature);
      }),
      '--public-key',
      auditorKey,
    ],
    truncatedAll: [tampered('truncated-all', (db) => db.exec('DELETE FROM audit_log WHERE seq > 250; DELETE FROM audit_checkpoints WHERE seq > 250'))],
    truncatedExternal: [join(root, 'truncated-all'), '--checkpoint', externalCheckpoint],
    rewrittenExternal: [
      tampered('rewritten-external', (db) => {
        changeActor(db, 120);
        rechain(db, 120);
        db.exec('DELETE FROM audit_checkpoints');
      }),
      '--checkpoint',
      externalCheckpoint,
    ],
  };
  // The processes run side by side (each is a Node process of ~0.6 s); `verify` unless said.
  await Promise.all(
    Object.entries(cases).map(async ([name, [dir, ...args]]) => {
      results[name] = await recinto(dir, 'audit', ...(args[0] === 'export' || args[0] === 'verify' ? args : ['verify', ...args]));
    }),
  );
}, 60_000);

const broken = (name: string) => {
  const r = results[name]!;
  expect(r.code, r.out + r.err).toBe(1);
  return r.err;
};

describe('recinto audit verify', () => {
  it('passes an intact chain and says how much it checked', () => {
    expect(results.intact).toEqual({ code: 0, err: '', out: 'audit trail intact: 300 records and 6 checkpoints checked (last seq 300)\n' });
  });

  it('a changed field: names the record', () => {
    expect(broken('changed')).toContain('audit trail BROKEN at seq 57: changed: its fields no longer give its stored hash, and seq 58 still chains');
  });

  it('a deleted record: names the missing seq', () => {
    expect(broken('deleted')).toContain('BROKEN at seq 57: missing: the chain goes from seq 56 to seq 58 (seq 57 deleted)');
  });

  it('an inserted record, chained from the one before it: the record after it no longer follows', () => {
    expect(broken('inserted')).toContain('BROKEN at seq 101: its hash does not follow from seq 100 and its fields');
  });

  it('two records swapped', () => {
    expect(broken('reordered')).toContain('BROKEN at seq 200: its hash does not follow from seq 199');
  });

  it('records removed after a checkpoint (truncation): the checkpoint is past the end of the chain', () => {
    expect(broken('truncated')).toContain('BROKEN at seq 281: missing: the chain ends at seq 280 but the stored checkpoint at seq 300');
  });

  it('a chain recomputed without the key fails on the checkpoint hash, or on its signature when that was changed too', () => {
    expect(broken('rewritten')).toContain('BROKEN at seq 101: stored checkpoint at seq 150');
    expect(broken('rewritten')).toContain("the chain's hash at seq 150 is not the signed one");
    expect(broken('rewrittenWithCheckpoints')).toContain('BROKEN at seq 150: stored checkpoint at seq 150');
    expect(broken('rewrittenWithCheckpoints')).toContain('its signature does not verify with the public key');
    // Re-signed with another key: the auditor's copy of the real public key refuses it.
    expect(broken('resigned')).toContain('BROKEN at seq 300: stored checkpoint at seq 300');
    expect(broken('resigned')).toContain('signature does not verify');
  });

  it('a checkpoint kept elsewhere proves a truncation or a rewrite that deleted the stored checkpoints', () => {
    // Without it, the shorter chain and its remaining checkpoints are consistent…
    expect(results.truncatedAll).toMatchObject({ code: 0, out: expect.stringContaining('250 records and 5 checkpoints') });
    // …with it, they are not.
    expect(broken('truncatedExternal')).toContain(
      'BROKEN at seq 251: missing: the chain ends at seq 250 but the external checkpoint at seq 300 (signed 2026-12-01T00:05:00.000Z) covers up to seq 300',
    );
    expect(broken('rewrittenExternal')).toContain(
      "BROKEN at seq 1: external checkpoint at seq 300 (signed 2026-12-01T00:05:00.000Z): the chain's hash at seq 300",
    );
  });

  it('refuses bad arguments with exit code 2', () => {
    const unknown = results.badOption!;
    const noFile = command(pristine, 'verify', '--checkpoint', join(root, 'missing.json'));
    const badFile = command(pristine, 'verify', '--public-key', externalCheckpoint);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining("Unknown option '--nope'") });
    expect(noFile).toMatchObject({ code: 2, err: expect.stringContaining('--checkpoint') });
    expect(badFile).toMatchObject({ code: 2, err: expect.stringContaining('--public-key') });
  });
});

describe('recinto audit export, checkpoint, key', () => {
  it('the checkpoint printed is the signed end of the chain; the key is its public key', () => {
    expect(JSON.parse(command(pristine, 'checkpoint').out)).toMatchObject({ seq: 300, at: T0 + 300_000 });
    const key = command(pristine, 'key');
    expect(key.out).toBe(publicKeyPem(loadOrCreateSigningKey(join(pristine, 'secrets', 'audit-signing.key'))));
  });

  it('exports a time range as JSON Lines, CSV and CEF, each record with its seq and hash', () => {
    const range = ['--since', '2026-12-01T00:00:41Z', '--until', '2026-12-01T00:00:43Z'];
    const csv = results.exportCsv!;
    const [jsonl, cef, bad] = [
      command(pristine, 'export', ...range),
      command(pristine, 'export', ...range, '--format', 'cef'),
      command(pristine, 'export', '--since', 'yesterday'),
    ];
    const db = new Database(join(pristine, 'recinto.sqlite'), { readonly: true });
    const [r41, r42] = rowsOf(db).filter((r) => r.seq === 41 || r.seq === 42) as [Row, Row];
    db.close();
    const detail = r42.detail;
    expect(detail).toBe('{"title":"Junta, \\"extraordinaria\\"\\nsegunda línea | a=b \\\\ fin"}');
    expect(jsonl.out.split('\n')).toEqual([
      JSON.stringify({
        seq: 41,
        at: T0 + 41_000,
        time: '2026-12-01T00:00:41.000Z',
        action: 'auth.login',
        actor: 'user-6',
        meetingId: null,
        outcome: 'ok',
        detail: r41.detail,
        hash: r41.hash,
      }),
      JSON.stringify({
        seq: 42,
        at: T0 + 42_000,
        time: '2026-12-01T00:00:42.000Z',
        action: 'meeting.create',
        actor: 'cli:ana',
        meetingId: 'k3x9-7dqm-p2fa-w8rt',
        outcome: 'ok',
        detail,
        hash: r42.hash,
      }),
      '',
    ]);
    expect(csv.out).toBe(
      'seq,at,time,action,actor,meeting_id,outcome,detail,hash\r\n' +
        `41,${T0 + 41_000},2026-12-01T00:00:41.000Z,auth.login,user-6,,ok,"{""ip"":""10.0.0.1""}",${r41.hash}\r\n` +
        `42,${T0 + 42_000},2026-12-01T00:00:42.000Z,meeting.create,cli:ana,k3x9-7dqm-p2fa-w8rt,ok,"${detail.replaceAll('"', '""')}",${r42.hash}\r\n`,
    );
    expect(cef.out.split('\n')[1]).toBe(
      `CEF:0|Recinto|Recinto|0.1.0|meeting.create|meeting.create|3|rt=${T0 + 42_000} externalId=42 act=meeting.create outcome=ok suser=cli:ana ` +
        'cs1Label=meetingId cs1=k3x9-7dqm-p2fa-w8rt cs2Label=detail ' +
        String.raw`cs2={"title":"Junta, \\"extraordinaria\\"\\nsegunda línea | a\=b \\\\ fin"} ` +
        `cs3Label=hash cs3=${r42.hash}`,
    );
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('--since: an ISO 8601 date') });
  });
});

describe('export formats', () => {
  it('CEF escapes the header and the extension; CSV quotes what needs it', () => {
    const record = { seq: 7, at: 0, action: 'a|b\\c\nd', actor: 'x=y\r\nz', meetingId: null, outcome: 'error', detail: '{}', hash: 'h' };
    expect(cefLine(record, '1|0')).toBe(
      String.raw`CEF:0|Recinto|Recinto|1\|0|a\|b\\c d|a\|b\\c d|8|rt=0 externalId=7 act=a|b\\c\nd outcome=error suser=x\=y\r\nz cs2Label=detail cs2={} cs3Label=hash cs3=h` +
        '\n',
    );
    expect(csvLine({ ...record, actor: 'x, "y"', meetingId: 'm' })).toBe('7,0,1970-01-01T00:00:00.000Z,"a|b\\c\nd","x, ""y""",m,error,{},h\r\n');
  });
});
