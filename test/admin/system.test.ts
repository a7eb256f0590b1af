/**
 * The admin console's system view on the real server: versions, the real media worker (alive, its
 * pid, CPU since the last reading, routers as meetings start), the certificate being served, what
 * a SIEM destination has not acknowledged, the database's size.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import * as mediasoup from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { outboxLength } from '../../server/siem/outbox.ts';
import { CONSOLE_TEST_CONFIG, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestCa } from '../helpers/test-ca.ts';
import { TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
let admin: TestAdmin;

beforeAll(async () => {
  // A SIEM destination nobody listens on: its outbox only grows.
  server = await startTestServer(
    { ...CONSOLE_TEST_CONFIG, siem: { https: { enabled: true, url: 'https://127.0.0.1:9/ingest', secret: 's'.repeat(40) }, retryMinMs: 1000 } },
    { signIn: ['ana'], logTo: { write: () => {} } },
  );
  admin = await signInAdmin(server);
});
afterAll(() => server?.close());

describe('the system view', () => {
  it('says versions, workers, certificate, SIEM outbox and database size', async () => {
    const first = (await admin.http.get('/api/admin/system')).body;
    const slot = server.recinto.pool.slots[0]!;
    expect(first).toMatchObject({ version: pkg.version, node: process.version, mediasoup: mediasoup.version, draining: false });
    expect(first.startedAt).toBeLessThanOrEqual(Date.now());
    expect(first.workers).toEqual([{ index: 0, alive: true, pid: slot.worker.pid, cpuPercent: first.workers[0].cpuPercent, routers: 0, consumers: 0 }]);
    expect(first.workers[0].cpuPercent).toBeGreaterThanOrEqual(0);

    const x509 = new X509Certificate(readFileSync(server.config.tls.certFile));
    expect(first.certificate).toEqual({
      subject: x509.subject.split('\n').join(', '),
      issuer: x509.issuer.split('\n').join(', '),
      notAfter: Date.parse(x509.validTo),
      daysLeft: Math.floor((Date.parse(x509.validTo) - Date.now()) / 86_400_000),
      selfSigned: true,
    });
    expect(first.certificate.daysLeft).toBeGreaterThan(360); // the test's self-signed pair is made for a year
    expect(first.certificate.subject).toContain('Recinto (self-signed)');

    expect(first.siem).toEqual([{ destination: 'https', pending: expect.any(Number) }]);
    expect(first.siem[0].pending).toBeGreaterThan(0);
    expect(first.siem[0].pending).toBeLessThanOrEqual(outboxLength(server.recinto.db, server.recinto.siem.outbox()[0]!.destination));
    const dbFile = server.recinto.db.name;
    expect(first.database.bytes).toBeGreaterThan(0);
    expect(first.database.bytes).toBeLessThanOrEqual(statSync(dbFile).size + statSync(`${dbFile}-wal`).size + 1_000_000);

    // A meeting starts: a router on the worker.
    const meetingId = server.createMeeting('Sistema', { ownerId: server.recinto.auth.accounts.byUsername('ana')!.id });
    const host = await TestClient.connect(server.http.ana!);
    try {
      await host.join(meetingId);
      const second = (await admin.http.get('/api/admin/system')).body;
      expect(second.workers[0].routers).toBe(1);
      expect(second.workers[0].cpuPercent).toBeGreaterThanOrEqual(0);
    } finally {
      await host.close();
    }
  });

  it('a certificate an authority issued is not self-signed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recinto-system-ca-'));
    const issued = createTestCa(dir, 'Institucion CA').issue('meet', { dns: ['localhost'], ip: ['127.0.0.1'] });
    // Both files exist, so they are what the server serves (a self-signed pair is made only when neither does).
    const other = await startTestServer({ ...CONSOLE_TEST_CONFIG, tls: { certFile: issued.certFile, keyFile: issued.keyFile } });
    try {
      const otherAdmin = await signInAdmin(other);
      const { certificate } = (await otherAdmin.http.get('/api/admin/system')).body;
      expect(certificate).toMatchObject({ subject: 'CN=meet', issuer: 'CN=Institucion CA', selfSigned: false });
      expect(certificate.daysLeft).toBeGreaterThanOrEqual(0);
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
