/**
 * Runs once in vitest's main process before any test file: makes sure the real mediasoup worker
 * binary is known, and that client/dist (served by the real server to the browser tests) is
 * built from the current sources. Test files start only after this, so no lock is needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT as REPO } from '../../server/config/load.ts';
import { CLIENT_DIST } from '../../server/http/routes.ts';

const CLIENT_INDEX = join(CLIENT_DIST, 'index.html');
/** What the bundle is made from: the client and the server modules it shares code with. */
const CLIENT_INPUTS = ['client/src', 'client/index.html', 'client/vite.config.ts', 'server/signaling/protocol.ts', 'server/http/errors.ts'].map((p) => join(REPO, p));

function ensureMediasoupWorker(): void {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  if (bin && existsSync(bin)) return;
  process.env.MEDIASOUP_WORKER_BIN = execFileSync('bash', ['scripts/mediasoup-worker.sh'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim().split('\n').at(-1)!;
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

/** Builds client/dist with Vite unless it is newer than every input (also used by the join bench). */
export async function ensureClientBuilt(): Promise<void> {
  const builtAt = existsSync(CLIENT_INDEX) ? statSync(CLIENT_INDEX).mtimeMs : 0;
  if (CLIENT_INPUTS.every((input) => newestMtime(input) <= builtAt)) return;
  const { build } = await import('vite');
  await build({ configFile: join(REPO, 'client', 'vite.config.ts'), logLevel: 'warn' });
}

export default async function setup(): Promise<void> {
  ensureMediasoupWorker();
  await ensureClientBuilt();
}
