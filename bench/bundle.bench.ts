/**
 * The offline bundle (`./recinto bundle`):
 * - `bundle_mib`: the size of recinto-VERSION-linux-ARCH.tar.gz;
 * - `bundle_start_s`: a cold start as an air-gapped machine does it — from unpacking the archive
 *   into an empty folder (HOME and caches empty, no node on PATH) to `/readyz` answering 200.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, freshMachineEnv, unpackBundle } from '../test/helpers/bundle.ts';
import { freeUdpAndTcpPort } from '../test/helpers/coturn.ts';
import { HttpClient } from '../test/helpers/http-client.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { summary } from './stats.ts';

export const name = 'bundle';

const N = Number(process.env['BENCH_N'] ?? 3);

async function coldStart(archive: string, dir: string): Promise<number> {
  const port = await freeUdpAndTcpPort();
  const t0 = performance.now();
  const top = unpackBundle(archive, join(dir, 'machine'));
  const { env } = freshMachineEnv(join(dir, 'env'));
  const server = spawn('./recinto', ['start'], {
    cwd: top,
    env: {
      ...env,
      RECINTO_HOST: '127.0.0.1',
      RECINTO_PORT: String(port),
      RECINTO_DATA_DIR: join(dir, 'data'),
      RECINTO_RTC_PORT: '0',
      RECINTO_LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    const http = new HttpClient(`https://127.0.0.1:${port}`);
    await waitFor(async () => server.exitCode === null && (await http.get('/readyz')).status === 200, 30_000, { message: '/readyz 200', intervalMs: 20 });
    return (performance.now() - t0) / 1000;
  } finally {
    const gone = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await gone;
  }
}

export async function run(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-bench-bundle-'));
  try {
    const archive = buildBundle(join(dir, 'out'));
    const mib = statSync(archive).size / 2 ** 20;
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const run = join(dir, `run-${i}`);
      times.push(await coldStart(archive, run));
      console.error(`#   cold start ${i + 1}/${N}: ${times.at(-1)!.toFixed(2)} s`);
      rmSync(run, { recursive: true, force: true });
    }
    return [`bundle_mib: ${mib.toFixed(1)} MiB`, summary('bundle_start_s', times, 2)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
