/** Plain HTTP routes: health checks and the browser client. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { RecintoApp } from '../fastify.ts';
import type { Db } from '../store/db.ts';
import type { WorkerPool } from '../media/worker-pool.ts';
import { PROJECT_ROOT } from '../config/load.ts';

export const CLIENT_DIST = join(PROJECT_ROOT, 'client', 'dist');

export async function registerHttpRoutes(app: RecintoApp, deps: { db: Db; pool: WorkerPool; draining: () => boolean }): Promise<void> {
  // Liveness: the process answers.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: able to host meetings (every media worker alive, database answering, not shutting down).
  app.get('/readyz', async (_request, reply) => {
    let database: 'open' | 'error' = 'open';
    try {
      deps.db.prepare('SELECT 1').get();
    } catch {
      database = 'error';
    }
    const workers = { alive: deps.pool.alive, total: deps.pool.size };
    const draining = deps.draining();
    const ready = database === 'open' && workers.alive === workers.total && workers.total > 0 && !draining;
    return reply.code(ready ? 200 : 503).send({ ready, workers, database, ...(draining ? { draining } : {}) });
  });

  if (!existsSync(join(CLIENT_DIST, 'index.html'))) {
    app.log.warn({ dir: CLIENT_DIST }, 'browser client not built; run ./recinto build');
    return;
  }
  await app.register(fastifyStatic, {
    root: CLIENT_DIST,
    index: 'index.html',
    wildcard: false,
    preCompressed: false,
    // Source maps are never served, even if a development build left some in client/dist: they
    // carry the client's sources. Refused paths get the ordinary 404.
    allowedPath: (pathName) => !/\.map$/i.test(pathName),
  });
  // The client is one page; these paths are its views (it reads the path itself).
  for (const path of ['/login', '/account', '/admin', '/m/:meetingId']) app.get(path, (_request, reply) => reply.sendFile('index.html'));
}
