/**
 * `GET /metrics` (Prometheus text format) and the timing of sign-ins' password step. A request
 * that may not scrape (scrapeAccess) gets the server's ordinary 404, as if there were no such
 * route: the endpoint is not advertised. With `metrics.enabled` false there is none.
 */
import type { RecintoApp } from '../fastify.ts';
import type { Config } from '../config/schema.ts';
import { scrapeAccess } from './access.ts';
import type { RecintoMetrics } from './metrics.ts';

/** The password step of a sign-in (server/auth/routes.ts). */
const SIGN_IN_ROUTE = '/api/auth/login';

/** Register before the routes it times (auth). */
export function registerMetrics(app: RecintoApp, metrics: RecintoMetrics, config: Config['metrics']): void {
  if (!config.enabled) return;
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && request.routeOptions.url === SIGN_IN_ROUTE) {
      metrics.signInAnswered(reply.statusCode < 400 ? 'ok' : 'refused', reply.elapsedTime / 1000);
    }
  });
  const mayScrape = scrapeAccess(config.token);
  app.get('/metrics', async (request, reply) => {
    if (!mayScrape(request.raw)) return reply.callNotFound();
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).send(body);
  });
}
