/**
 * Starts the real server in-process for a test: temp data directory and certificate, HTTPS on a
 * free port, one real mediasoup worker on free RTC ports, announced on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRecinto, type Recinto } from '../../server/app.ts';
import { loadConfig, type DeepPartial } from '../../server/config/load.ts';
import type { Config } from '../../server/config/schema.ts';
import { createLogger } from '../../server/log.ts';
import { loadSigningKey, mintJoinToken } from '../../server/tokens/join-token.ts';

export interface TestServer {
  url: string;
  recinto: Recinto;
  config: Config;
  /** Creates a meeting (persisted) and returns its id. */
  createMeeting(title?: string): string;
  /** A join token for `meetingId`, minted the way `recinto token` does. */
  mintToken(meetingId: string, displayName: string, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startTestServer(overrides: DeepPartial<Config> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-test-'));
  const base: DeepPartial<Config> = {
    server: { host: '127.0.0.1', port: 0 },
    dataDir: join(dir, 'data'),
    tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), selfSigned: true },
    log: { level: process.env.RECINTO_TEST_LOG ? 'debug' : 'warn' },
    media: { workers: 1, listenIp: '127.0.0.1', announcedAddress: '', rtcPort: 0 },
  };
  const config = loadConfig({ env: {}, overrides: deepMerge(base, overrides) });
  const recinto = await startRecinto(config, createLogger(config));
  const key = loadSigningKey(config.dataDir);
  return {
    url: recinto.url,
    recinto,
    config,
    createMeeting: (title = 'Prueba') => recinto.meetingStore.create(title).id,
    mintToken: (meetingId, displayName, ttlSeconds = 600) => mintJoinToken(key, { meetingId, displayName, ttlSeconds }),
    async close() {
      await recinto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function deepMerge<T extends object>(base: T, over: T): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over) as [string, unknown][]) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? deepMerge(b, v) : v;
  }
  return out as T;
}
