/**
 * How fast a SIEM destination catches up: 10⁵ records (and their checkpoint) waiting in the
 * outbox, as after a long outage, until the last one has reached a local rsyslog over TLS
 * (Debian's rsyslog + rsyslog-gnutls, imtcp with gtls, each message written to a file) — and,
 * for comparison, until a local HTTPS receiver has acknowledged them all (HMAC checked).
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createAudit } from '../server/audit/audit.ts';
import { writeCheckpoint } from '../server/audit/checkpoints.ts';
import { createSyslogFormatter } from '../server/siem/format.ts';
import type { Forwarder } from '../server/siem/forwarder.ts';
import { HttpsForwarder } from '../server/siem/https.ts';
import { Outbox } from '../server/siem/outbox.ts';
import { SyslogForwarder } from '../server/siem/syslog.ts';
import { openDatabase, type Db } from '../server/store/db.ts';
import { freeUdpAndTcpPort } from '../test/helpers/coturn.ts';
import { rsyslog } from '../test/helpers/rsyslog.ts';
import { createTestCa } from '../test/helpers/test-ca.ts';
import { waitFor } from '../test/helpers/wait.ts';

export const name = 'siem';

const RECORDS = 100_000;
const log = pino({ level: 'silent' });
const common = { log, batchSize: 500, retry: { minMs: 50, maxMs: 200 } };

/** Newlines in `file` so far, read from where the last call stopped. */
function lineCounter(file: string): () => number {
  let offset = 0;
  let lines = 0;
  const buffer = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(file)) return 0;
    const fd = openSync(file, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, offset);
        if (n === 0) break;
        for (let i = 0; i < n; i++) if (buffer[i] === 0x0a) lines++;
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
}

async function timeCatchUp(forwarder: Forwarder, arrived: () => boolean): Promise<number> {
  const started = performance.now();
  forwarder.start();
  await waitFor(arrived, 600_000, { intervalMs: 50, message: 'every record at the receiver' });
  const seconds = (performance.now() - started) / 1000;
  await forwarder.close();
  return seconds;
}

function fill(db: Db): void {
  const audit = createAudit(db);
  db.transaction(() => {
    for (let i = 0; i < RECORDS; i++) {
      audit({
        action: 'auth.login',
        outcome: 'ok',
        actor: '9735b70d-9c51-4193-92b7-cdae8ba62f31',
        meetingId: 'k3x9-7dqm-p2fa-w8rt',
        detail: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', i },
      });
    }
  })();
  writeCheckpoint(db, generateKeyPairSync('ed25519').privateKey);
}

export async function run(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-bench-siem-'));
  const ca = createTestCa(dir);
  const collectorCert = ca.issue('siem', { ip: ['127.0.0.1'] });
  const rs = rsyslog({ port: await freeUdpAndTcpPort(), caFile: ca.caFile, ...collectorCert, lines: 'raw' });
  try {
    const db = openDatabase(join(dir, 'data'));
    fill(db);
    const items = RECORDS + 1;

    await rs.start();
    const lines = lineCounter(rs.file);
    const syslog = new SyslogForwarder({
      ...common,
      outbox: new Outbox(db, 'syslog://bench'),
      target: { host: '127.0.0.1', port: rs.port, ca: readFileSync(ca.caFile) },
      format: createSyslogFormatter({ facility: 'authpriv' }),
    });
    const syslogSeconds = await timeCatchUp(syslog, () => lines() >= items);
    const bytes = statSync(rs.file).size;

    const key = randomBytes(32);
    let received = 0;
    const receiver = createServer({ cert: readFileSync(collectorCert.certFile), key: readFileSync(collectorCert.keyFile) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const mac = `sha256=${createHmac('sha256', key)
          .update(`${String(req.headers['x-recinto-timestamp'])}.`)
          .update(body)
          .digest('hex')}`;
        if (mac !== req.headers['x-recinto-signature']) return void res.writeHead(401).end();
        received += (JSON.parse(body.toString()) as { events: unknown[] }).events.length;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const https = new HttpsForwarder({
      ...common,
      outbox: new Outbox(db, 'https://bench'),
      url: `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
      key,
      ca: readFileSync(ca.caFile),
    });
    const httpsSeconds = await timeCatchUp(https, () => received >= items);
    await new Promise<void>((r) => receiver.close(() => r()));
    db.close();
    return [
      `siem_catch_up_s: ${syslogSeconds.toFixed(2)} s records=${RECORDS} (syslog/TLS to a local rsyslog, ${Math.round(RECORDS / syslogSeconds)} records/s, ${(bytes / 2 ** 20).toFixed(0)} MiB)`,
      `siem_https_catch_up_s: ${httpsSeconds.toFixed(2)} s records=${RECORDS} (HTTPS batches of ${common.batchSize} to a local node:https receiver, ${Math.round(RECORDS / httpsSeconds)} records/s)`,
    ];
  } finally {
    await rs.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
