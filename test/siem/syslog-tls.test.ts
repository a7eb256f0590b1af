/**
 * Syslog/TLS against collectors the test controls (node:tls behind a proxy that records the
 * bytes on the wire): a collector whose certificate is not signed by the configured CA, or is
 * for another name, gets nothing, not even in clear, and the outbox keeps everything; a
 * collector that loses what it read and drops the connection within the settle window gets it
 * again on the next connection; the stream is octet-counted RFC 5425 framing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeepPartial } from '../../server/config/load.ts';
import type { Config } from '../../server/config/schema.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { storedChain } from '../helpers/siem.ts';
import { createTestCa, type Issued, type TestCa } from '../helpers/test-ca.ts';
import { waitFor } from '../helpers/wait.ts';

const dirs: string[] = [];
const closers: (() => unknown)[] = [];
let ca: TestCa;
let otherCa: TestCa;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-siem-tls-'));
  dirs.push(dir);
  ca = createTestCa(dir);
  otherCa = createTestCa(dir, 'Some other CA');
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

interface FakeCollector {
  port: number;
  /** TCP connections accepted (TLS or not). */
  connections(): number;
  /** Everything that came over the wire, encrypted or not. */
  wire(): Buffer;
  /** What the TLS server decrypted, per connection. */
  plaintext(): Buffer[];
}

/**
 * A TLS collector behind a recording TCP proxy. `loseFirst`: the first connection's data is read
 * and thrown away, then the connection dropped (a collector that died before writing it out).
 */
async function fakeCollector(cert: Issued, options: { loseFirst?: boolean } = {}): Promise<FakeCollector> {
  const plaintext: Buffer[][] = [];
  const tls = createTlsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (socket) => {
    const chunks: Buffer[] = [];
    const lose = options.loseFirst && plaintext.length === 0;
    plaintext.push(lose ? [] : chunks);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      if (!lose) chunks.push(d);
      else setTimeout(() => socket.destroy(), 50);
    });
  });
  tls.on('tlsClientError', () => {});
  const wire: Buffer[] = [];
  let connections = 0;
  const proxy: Server = createTcpServer((front) => {
    connections++;
    const back = tcpConnect((tls.address() as AddressInfo).port, '127.0.0.1');
    front.on('data', (d: Buffer) => wire.push(d));
    front.pipe(back).pipe(front);
    const end = () => {
      front.destroy();
      back.destroy();
    };
    front.on('error', end).on('close', end);
    back.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  closers.push(
    () => new Promise((r) => tls.close(r)),
    () => new Promise((r) => proxy.close(r)),
  );
  return {
    port: (proxy.address() as AddressInfo).port,
    connections: () => connections,
    wire: () => Buffer.concat(wire),
    plaintext: () => plaintext.map((c) => Buffer.concat(c)),
  };
}

/** RFC 5425 octet counting, strictly: `<digits> <that many bytes>` back to back, nothing else. */
function frames(stream: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < stream.length) {
    const space = stream.indexOf(0x20, at);
    const length = stream.subarray(at, space).toString('ascii');
    if (!/^[1-9]\d*$/.test(length)) throw new Error(`not a frame length at byte ${at}: ${JSON.stringify(length)}`);
    const end = space + 1 + Number(length);
    if (end > stream.length) throw new Error(`frame at byte ${at} cut short`);
    out.push(stream.subarray(space + 1, end).toString('utf8'));
    at = end;
  }
  return out;
}

async function server(port: number, logLines: string[], settleMs = 500): Promise<TestServer> {
  const overrides: DeepPartial<Config> = {
    siem: { syslog: { enabled: true, host: '127.0.0.1', port, caFile: ca.caFile, settleMs }, retryMinMs: 50, retryMaxMs: 100 },
  };
  const s = await startTestServer(overrides, { logTo: { write: (line: string) => void logLines.push(line) } });
  closers.push(() => s.close());
  return s;
}

function auditSome(s: TestServer, n: number): void {
  for (let i = 0; i < n; i++) s.recinto.audit({ action: 'auth.login', outcome: 'ok', actor: 'cli:secretary', detail: { i, note: 'nobody should read this' } });
}

describe('SIEM syslog/TLS: the collector is authenticated', () => {
  it('sends nothing, not even in clear, to a collector whose certificate is from another CA or for another name; the outbox keeps it all', async () => {
    const strangers = [
      { why: /unable to verify|self.signed|unknown ca|certificate/i, collector: await fakeCollector(otherCa.issue('siem', { ip: ['127.0.0.1'] })) },
      { why: /not in the cert's list|altnames|does not match/i, collector: await fakeCollector(ca.issue('siem', { dns: ['siem.example.org'] })) },
    ];
    const runs = await Promise.all(
      strangers.map(async ({ why, collector }) => {
        const logLines: string[] = [];
        const s = await server(collector.port, logLines);
        auditSome(s, 100);
        // It keeps trying (with backoff), and is refused each time.
        await waitFor(() => collector.connections() >= 3, 5000, { message: 'three attempts' });
        return { why, collector, s, logLines };
      }),
    );
    for (const { why, collector, s, logLines } of runs) {
      const { records } = storedChain(s.config.dataDir);
      expect(collector.plaintext().every((p) => p.length === 0)).toBe(true);
      const wire = collector.wire().toString('latin1');
      for (const clear of ['nobody should read this', 'auth.login', 'cli:secretary', records.at(-1)!.hash]) expect(wire).not.toContain(clear);
      expect(s.recinto.siem.outbox()[0]!.pending).toBe(records.length);
      const warning = logLines.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('SIEM destination unreachable'));
      expect(warning?.error).toMatch(why);
    }
  });
});

describe('SIEM syslog/TLS: what counts as acknowledged', () => {
  it('sends again what it wrote to a collector that lost it and dropped the connection within the settle window, octet-counted', async () => {
    const collector = await fakeCollector(ca.issue('siem', { ip: ['127.0.0.1'] }), { loseFirst: true });
    const s = await server(collector.port, []);
    auditSome(s, 200);
    const { records } = storedChain(s.config.dataDir);
    const seqs = () =>
      collector
        .plaintext()
        .flatMap((p) => frames(p))
        .map((m) => Number(/ \[recinto@32473 seq="(\d+)"/.exec(m)?.[1]));
    await waitFor(() => seqs().length >= records.length, 5000, { message: 'every record on a later connection' });
    expect(collector.connections()).toBeGreaterThanOrEqual(2);
    expect(collector.plaintext()[0]!.length).toBe(0); // the lost connection's bytes never counted
    expect(seqs().slice(0, records.length)).toEqual(records.map((r) => r.seq));
    for (const m of collector.plaintext().flatMap((p) => frames(p)))
      expect(m).toMatch(/^<\d{1,3}>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ recinto \d+ \S+ \[recinto@32473 /);
  });
});
