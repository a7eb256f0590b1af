/**
 * What the SIEM receives, without a network: docs/audit.md's example messages and signature are
 * what the code produces (so the page cannot drift), structured-data escaping, the header's
 * limits, and the configuration a destination needs.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExportedRecord } from '../../server/audit/export.ts';
import { PROJECT_ROOT, loadConfig } from '../../server/config/load.ts';
import { createSyslogFormatter, httpsBatch, octetCounted, sdValue } from '../../server/siem/format.ts';
import { signBatch } from '../../server/siem/https.ts';
import { readHmacKeyFile } from '../../server/siem/siem.ts';
import { configProblems } from '../helpers/config-problems.ts';
import { docBlocks as auditDocBlocks } from '../helpers/doc-blocks.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The fenced blocks of docs/audit.md (```text syslog-record), without their last newline. */
const docBlocks = () => new Map([...auditDocBlocks('audit.md')].map(([name, body]) => [name, body.replace(/\n$/, '')]));

/** Record 1 and checkpoint 2 of docs/audit.md's worked examples. */
const RECORD_1: ExportedRecord = {
  seq: 1,
  at: 1764547200000,
  action: 'meeting.create',
  actor: 'cli',
  meetingId: 'k3x9-7dqm-p2fa-w8rt',
  outcome: 'ok',
  detail: '{"title":"Comité"}',
  hash: 'e22eccb520d0fe0c5e6d228b680ed1b5108f4aeb48859a64d75f2b60609d8ce5',
};
const CHECKPOINT_2 = {
  seq: 2,
  hash: 'ec3051e5571ff58c408d028585394d871ebe6a7b118bb5191cbe7874a167e800',
  at: 1764547320000,
  signature: '0138e2a4effe3871d611a13b466c586d6595b7a9740469a22000446ffd8b2607f0def7f080cacfa41b89f00386bf63b0a59e3faf633acf69620690661bdee500',
};
const format = createSyslogFormatter({ facility: 'authpriv', hostname: 'meet.example.org', procId: 4242 });

describe('SIEM formats (docs/audit.md, "SIEM")', () => {
  const doc = docBlocks();

  it("the page's syslog messages, HTTPS batch and signature are what the code produces", () => {
    expect(doc.get('syslog-record')).toBe(octetCounted(format({ kind: 'record', record: RECORD_1 })));
    expect(doc.get('syslog-checkpoint')).toBe(octetCounted(format({ kind: 'checkpoint', checkpoint: CHECKPOINT_2 })));
    const batch = httpsBatch(
      [
        { kind: 'record', record: RECORD_1 },
        { kind: 'checkpoint', checkpoint: CHECKPOINT_2 },
      ],
      'meet.example.org',
    );
    expect(doc.get('https-batch')).toBe(batch);
    expect(doc.get('https-signature')).toBe(signBatch(Buffer.from('an example key: never use it for real (32+ bytes)'), '1764547325000', batch));
  });

  it('octet counting counts bytes, not characters', () => {
    expect(octetCounted('é')).toBe('2 é');
  });

  it('escapes ", \\ and ] in structured data, and nothing else', () => {
    expect(sdValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    const message = format({ kind: 'record', record: { ...RECORD_1, actor: 'x"] [y', meetingId: null } });
    expect(message).toContain(
      '[recinto@32473 seq="1" hash="e22eccb520d0fe0c5e6d228b680ed1b5108f4aeb48859a64d75f2b60609d8ce5" outcome="ok" actor="x\\"\\] [y"] {',
    );
  });

  it('keeps the header to RFC 5424: MSGID at most 32 printable characters, NILVALUE for what is empty or not a time', () => {
    const message = format({ kind: 'record', record: { ...RECORD_1, action: `a very long action name that is ${'x'.repeat(40)}`, at: 8.64e15 + 1 } });
    expect(message).toMatch(/^<86>1 - meet\.example\.org recinto 4242 averylongactionnamethatisxxxxxxx \[/);
    expect(createSyslogFormatter({ facility: 'local7', hostname: ' ', procId: 1 })({ kind: 'record', record: { ...RECORD_1, outcome: 'error' } })).toMatch(
      /^<187>1 \S+ - recinto 1 /,
    );
  });

  it('MSG is ASCII: other characters as \\u escapes, the same JSON value', () => {
    const detail = '{"t":"☃ é 𝄞 \\u0000"}';
    const msg = format({ kind: 'record', record: { ...RECORD_1, detail } }).replace(/^.*?\] /, '');
    expect(msg).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(msg).detail).toBe(detail);
  });
});

describe('SIEM configuration', () => {
  it('says what an enabled destination lacks', () => {
    expect(configProblems(() => loadConfig({ env: { RECINTO_SIEM_SYSLOG_ENABLED: 'true' } }))).toEqual([
      "siem.syslog.host: required when siem.syslog.enabled is true: the collector's host name",
    ]);
    expect(configProblems(() => loadConfig({ env: {}, overrides: { siem: { syslog: { certFile: 'client.pem' } } } }))).toEqual([
      'siem.syslog.certFile: a client certificate needs its key (siem.syslog.keyFile), and the other way round',
    ]);
    const keyProblem = 'siem.https.hmacKeyFile: exactly one of siem.https.hmacKeyFile and siem.https.secret is required when siem.https.enabled is true';
    expect(configProblems(() => loadConfig({ env: { RECINTO_SIEM_HTTPS_ENABLED: 'true', RECINTO_SIEM_HTTPS_URL: 'https://siem.example.org/in' } }))).toEqual([
      keyProblem,
    ]);
    const both = { https: { enabled: true, url: 'https://siem.example.org/in', secret: 'k'.repeat(32), hmacKeyFile: 'hmac.key' } };
    expect(configProblems(() => loadConfig({ env: {}, overrides: { siem: both } }))).toEqual([keyProblem]);
    expect(configProblems(() => loadConfig({ env: { RECINTO_SIEM_HTTPS_URL: 'http://siem.example.org/in' } }))[0]).toMatch(
      /^siem\.https\.url \(from RECINTO_SIEM_HTTPS_URL\): must match/,
    );
    expect(configProblems(() => loadConfig({ env: { RECINTO_SIEM_HTTPS_SECRET: 'short' } }))[0]).toMatch(
      /^siem\.https\.secret \(from RECINTO_SIEM_HTTPS_SECRET\): must match/,
    );
  });

  it('resolves its files against the project directory, like the other paths', () => {
    const config = loadConfig({ env: {}, overrides: { siem: { syslog: { caFile: 'certs/siem-ca.pem', certFile: '/etc/c.pem', keyFile: 'k.pem' } } } });
    expect(config.siem.syslog.caFile).toBe(join(PROJECT_ROOT, 'certs/siem-ca.pem'));
    expect(config.siem.syslog.certFile).toBe('/etc/c.pem');
    expect(config.siem.syslog.keyFile).toBe(join(PROJECT_ROOT, 'k.pem'));
    expect(config.siem.https.hmacKeyFile).toBe('');
  });

  it('refuses an HMAC key file others can read, or a short key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recinto-siem-key-'));
    dirs.push(dir);
    const file = join(dir, 'hmac.key');
    writeFileSync(file, `${'k'.repeat(32)}\n`);
    chmodSync(file, 0o640);
    expect(() => readHmacKeyFile(file)).toThrow(/accessible to group or others \(mode 640\)/);
    chmodSync(file, 0o600);
    expect(readHmacKeyFile(file).toString()).toBe('k'.repeat(32));
    writeFileSync(file, 'short\n');
    expect(() => readHmacKeyFile(file)).toThrow(/at least 32 bytes/);
  });
});
