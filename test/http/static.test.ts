/**
 * The browser client as served: no source maps. The bundle is built without them (vite.config.ts,
 * unless RECINTO_SOURCEMAPS=1), and the static route refuses `*.map` even if one is on disk.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import viteConfig from '../../client/vite.config.ts';
import { CLIENT_DIST } from '../../server/http/routes.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const assets = join(CLIENT_DIST, 'assets');
// A map left on disk (as a development build would): planted before the server starts, since
// the static route lists client/dist once at start. Named so the build's freshness rule, which
// looks for a map next to a built script, does not take it for a development build.
const probe = `origin-test-probe-${randomBytes(6).toString('hex')}.js.map`;
let server: TestServer;

beforeAll(async () => {
  writeFileSync(join(assets, probe), '{"version":3,"sources":["secret.ts"],"mappings":""}');
  server = await startTestServer();
});
afterAll(async () => {
  rmSync(join(assets, probe), { force: true });
  await server?.close();
});

describe('static client', () => {
  it('is built without source maps by default', () => {
    expect(process.env.RECINTO_SOURCEMAPS).toBeUndefined();
    expect(viteConfig.build?.sourcemap).toBe(false);
    const files = readdirSync(assets);
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([probe]);
  });

  it('answers 404 for a .map file even when it is on disk, and still serves the scripts', async () => {
    const client = new HttpClient(server.url);
    expect((await client.get(`/assets/${probe}`)).status).toBe(404);
    expect((await client.get(`/assets/${probe.replace('.map', '%2Emap')}`)).status).toBe(404);
    const script = readdirSync(assets).find((f) => f.endsWith('.js'))!;
    const served = await client.get(`/assets/${script}`);
    expect(served.status).toBe(200);
    expect(String(served.headers['content-type'])).toMatch(/javascript/);
    expect((await client.get(`/assets/${script}.map`)).status).toBe(404);
  });
});
