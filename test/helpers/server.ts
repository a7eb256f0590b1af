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
import type { MeetingPolicyPatch } from '../../protocol/policy.ts';
import { createLogger } from '../../server/log.ts';
import type { DestinationStream } from 'pino';
import { seal } from '../../server/auth/secret-box.ts';
import { generateTotpSecret, totpAt } from '../../server/auth/totp.ts';
import { HttpClient } from './http-client.ts';

/** A staff account ready to sign in: password set, TOTP enrolled. */
export interface TestUser {
  id: string;
  username: string;
  displayName: string;
  password: string;
  totpSecret: string;
  /** A valid code for the step after the last one used (each code works once). */
  nextCode(): string;
}

export interface TestServer {
  url: string;
  recinto: Recinto;
  config: Config;
  /** Creates a meeting (persisted) with the default policy, or changes to it, and returns its id. */
  createMeeting(title?: string, options?: { ownerId?: string; policy?: MeetingPolicyPatch }): string;
  /** Creates a signed-up staff (or admin) account with TOTP enrolled, as an admin would. */
  createUser(username: string, options?: { displayName?: string; role?: 'admin' | 'staff' }): Promise<TestUser>;
  /** Signs in through the HTTP API (password, then TOTP); the client holds the session cookie. */
  signIn(user: TestUser): Promise<HttpClient>;
  /** The sessions of the accounts `startTestServer` was asked to sign in (`signIn`), by username. */
  http: Record<string, HttpClient>;
  close(): Promise<void>;
}

/** A policy without waiting room or host requirement, for tests that are not about them. */
export const OPEN_POLICY: MeetingPolicyPatch = { waitingRoom: false, joinBeforeHost: true, muteOnEntry: false };

/**
 * `logTo` receives every log line (JSON) instead of stdout. `signIn`: staff accounts to create and
 * sign in at once, each shown with its name capitalised ('ines' → 'Ines'); see `http`. `now`: the
 * clock the admin console's step-up grants are judged by.
 */
export async function startTestServer(
  overrides: DeepPartial<Config> = {},
  options: { logTo?: DestinationStream; signIn?: readonly string[]; now?: () => number } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-test-'));
  const base: DeepPartial<Config> = {
    server: { host: '127.0.0.1', port: 0 },
    dataDir: join(dir, 'data'),
    tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), selfSigned: true },
    log: { level: process.env.RECINTO_TEST_LOG ? 'debug' : 'warn' },
    media: { workers: 1, listenIp: '127.0.0.1', announcedAddress: '', rtcPort: 0 },
  };
  const config = loadConfig({ env: {}, overrides: deepMerge(base, overrides) });
  const recinto = await startRecinto(config, createLogger(config, options.logTo), options.now ? { now: options.now } : {});
  const server: TestServer = {
    url: recinto.url,
    recinto,
    config,
    createMeeting: (title = 'Prueba', options = {}) =>
      recinto.meetingStore.create({ title, ownerId: options.ownerId ?? null, policy: { ...config.meetings.policy, ...options.policy } }).id,
    async createUser(username, options = {}) {
      const password = `contraseña-de-${username}-larga`;
      const displayName = options.displayName ?? username;
      const accounts = recinto.auth.accounts;
      const account = accounts.create({
        username,
        displayName,
        role: options.role ?? 'staff',
        passwordHash: await recinto.hasher.hash(password),
        mustChangePassword: false,
      });
      const totpSecret = generateTotpSecret();
      accounts.activateTotp(account.id, seal(recinto.secretKey, totpSecret, account.id), 0);
      // Codes are used once; the server accepts the previous, current and next 30 s step. Hand
      // out the oldest step not used yet that will still be valid when the server checks it (the
      // previous step only with 5 s to spare); if none is left, sleep into the next step.
      let step = 0;
      return {
        id: account.id,
        username,
        displayName,
        password,
        totpSecret,
        nextCode: () => {
          for (;;) {
            const nowSeconds = Date.now() / 1000;
            const current = Math.floor(nowSeconds / 30);
            const spare = (current + 1) * 30 - nowSeconds;
            const usable = [current - 1, current, current + 1].find((s) => s > step && (s !== current - 1 || spare > 5));
            if (usable !== undefined) {
              step = usable;
              return totpAt({ secret: totpSecret, time: step * 30 });
            }
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, spare * 1000 + 50);
          }
        },
      };
    },
    async signIn(user) {
      const client = new HttpClient(recinto.url);
      const login = await client.post('/api/auth/login', { username: user.username, password: user.password });
      if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
      const second = await client.post('/api/auth/second-factor', { code: user.nextCode() });
      if (second.status !== 200) throw new Error(`second factor failed: ${JSON.stringify(second.body)}`);
      return client;
    },
    http: {},
    async close() {
      await recinto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const name of options.signIn ?? []) {
      server.http[name] = await server.signIn(await server.createUser(name, { displayName: name[0]!.toUpperCase() + name.slice(1) }));
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * The two servers end-to-end encryption rules are tested against, with `names` signed in on each:
 * `required` has the default configuration (every meeting must be encrypted) and logs everything,
 * at trace level, into `logLines`; `optional` lets meetings turn E2EE off (`meetings.e2eeRequired: false`).
 */
export async function startE2eeServers(
  names: readonly string[],
): Promise<{ required: TestServer; optional: TestServer; logLines: string[]; close(): Promise<void> }> {
  const limits = { signaling: { messagesPerSecond: 1000, burst: 1000 }, auth: { loginAttemptsPerMinutePerIp: 1000 } };
  const logLines: string[] = [];
  const required = await startTestServer(
    { ...limits, log: { level: 'trace' } },
    { logTo: { write: (line: string) => void logLines.push(line) }, signIn: names },
  );
  const optional = await startTestServer({ ...limits, meetings: { e2eeRequired: false } }, { signIn: names }).catch(async (err: unknown) => {
    await required.close();
    throw err;
  });
  const close = async () => {
    await required.close();
    await optional.close();
  };
  return { required, optional, logLines, close };
}

function deepMerge<T extends object>(base: T, over: T): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over) as [string, unknown][]) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? deepMerge(b, v) : v;
  }
  return out as T;
}
