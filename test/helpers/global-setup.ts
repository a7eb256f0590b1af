/**
 * Runs once in vitest's main process before any test file: makes sure the real mediasoup worker
 * binary is known, and that client/dist (served by the real server to the browser tests) is
 * built from the current sources. Test files start only after this, so no lock is needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PROJECT_ROOT as REPO } from '../../server/config/load.ts';
import { ensureClientBuilt } from '../../scripts/client-build.ts';

function ensureMediasoupWorker(): void {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  if (bin && existsSync(bin)) return;
  process.env.MEDIASOUP_WORKER_BIN = execFileSync('bash', ['scripts/mediasoup-worker.sh'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1)!;
}

export default async function setup(): Promise<void> {
  ensureMediasoupWorker();
  await ensureClientBuilt();
}
