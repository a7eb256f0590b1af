/** Makes sure the real mediasoup worker binary is known before any test starts one. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup(): void {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  if (bin && existsSync(bin)) return;
  process.env.MEDIASOUP_WORKER_BIN = execFileSync('bash', ['scripts/mediasoup-worker.sh'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim().split('\n').at(-1)!;
}
