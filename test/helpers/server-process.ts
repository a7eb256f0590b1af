/**
 * Recinto as a real process (`node server/main.ts`, what `./recinto start` runs) on a data
 * directory that outlives it, so it can be killed and started again; accounts and sessions made
 * directly in its database, as the server would store them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AccountStore } from '../../server/auth/accounts.ts';
import { loadOrCreateKey } from '../../server/auth/secret-box.ts';
import { SessionStore } from '../../server/auth/sessions.ts';
import { loadConfig } from '../../server/config/load.ts';
import type { MeetingPolicy } from '../../protocol/policy.ts';
import { MeetingStore } from '../../server/meetings/store.ts';
import { fileRules } from '../../server/meetings/org-rules.ts';
import { openDatabase } from '../../server/store/db.ts';
import { HttpClient } from './http-client.ts';
import { waitFor } from './wait.ts';

export function serverEnv(dir: string, port: number): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  return {
    ...clean,
    RECINTO_HOST: '127.0.0.1',
    RECINTO_PORT: String(port),
    RECINTO_DATA_DIR: join(dir, 'data'),
    RECINTO_TLS_CERT: join(dir, 'cert.pem'),
    RECINTO_TLS_KEY: join(dir, 'key.pem'),
    RECINTO_MEDIA_WORKERS: '1',
    RECINTO_LISTEN_IP: '127.0.0.1',
    RECINTO_RTC_PORT: '0',
  };
}

/** Starts `node server/main.ts` and resolves once it listens. */
export async function startServerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['server/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  await waitFor(() => /Recinto is running at/.test(err) || child.exitCode !== null, 20_000, { message: 'server started' });
  if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${err}`);
  return child;
}

/** SIGKILL, and wait until it is gone. */
export async function killServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/** Staff accounts with verified sessions and one meeting owned by the first, written into the data directory before the server starts. */
export function seedDataDir(env: NodeJS.ProcessEnv, url: string, usernames: readonly string[], policy: Partial<MeetingPolicy> = {}) {
  const config = loadConfig({ env: { RECINTO_DATA_DIR: env['RECINTO_DATA_DIR']! } });
  const db = openDatabase(config.dataDir);
  try {
    const key = loadOrCreateKey(config.secretKeyFile);
    const accounts = new AccountStore(db);
    const sessions = new SessionStore(db, { idleMinutes: 30, absoluteHours: 12 });
    const people = usernames.map((username) => {
      const account = accounts.create({ username, displayName: username, role: 'staff', passwordHash: 'x', mustChangePassword: false });
      const http = new HttpClient(url);
      http.session = sessions.create(account.id, 'verified', {}).id;
      return http;
    });
    const meetings = new MeetingStore(db, key, fileRules(config.meetings.policy));
    const meetingId = meetings.create({
      title: 'Comité',
      ownerId: accounts.byUsername(usernames[0]!)!.id,
      policy: { ...config.meetings.policy, ...policy },
    }).id;
    return { people, meetingId, config };
  } finally {
    db.close();
  }
}
