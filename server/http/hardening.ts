/**
 * What every HTTP request goes through: security headers (helmet, strict CSP), a JSON body
 * parser that refuses non-UTF-8, the same-origin rule for state-changing requests, and one
 * error format, `{ "error": { "code", "message" } }`.
 */
import helmet from '@fastify/helmet';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { RecintoApp } from '../fastify.ts';
import { describeErrors } from '../validation.ts';
import type { RefusalAudit } from '../audit/refusals.ts';
import type { MetricsPort } from '../metrics/port.ts';
import { DomainError } from '../errors.ts';
import type { OriginPolicy } from './origin.ts';
import { httpStatus } from './status.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function registerHardening(app: RecintoApp, origins: OriginPolicy, refusals: RefusalAudit, metrics: MetricsPort): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:', 'mediastream:'],
        connectSrc: ["'self'"],
        // The E2EE transform Worker is a built file of the client, never a blob.
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // Cross-origin isolation (with helmet's default COOP same-origin): no cross-origin resource can
    // share the page's process, and the E2EE Worker gets a fine-grained clock for its timings.
    crossOriginEmbedderPolicy: { policy: 'require-corp' },
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Permissions-Policy', 'camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()');
    reply.header('Cache-Control', reply.getHeader('Cache-Control') ?? 'no-store');
  });

  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      done(new DomainError('INVALID_BODY', 'the body is not valid UTF-8'), undefined);
      return;
    }
    try {
      done(null, text.length === 0 ? {} : JSON.parse(text));
    } catch {
      done(new DomainError('INVALID_BODY', 'the body is not valid JSON'), undefined);
    }
  });

  // State-changing requests must come from this server's own pages (CSRF, first line; the
  // per-session token in routes.ts is the second).
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    if (!origins.accepts(request)) throw new DomainError('CSRF_FAILED', 'cross-origin request refused');
  });

  // Domain errors get the status of their code (status.ts); Fastify's own 4xx keep theirs.
  app.setErrorHandler((error: FastifyError | DomainError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) {
      const status = httpStatus(error.code);
      metrics.refused(error.code);
      // Refusals that come in floods are audited aggregated (CSRF, rate limits).
      if (status === 429 || error.code === 'CSRF_FAILED') {
        refusals.record({
          action: 'http.refused',
          code: error.code,
          ip: request.ip,
          detail: { route: request.routeOptions.url ?? null, method: request.method },
        });
      }
      if (error.retryAfterSeconds) void reply.header('Retry-After', String(error.retryAfterSeconds));
      return reply.code(status).send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation) {
      metrics.refused('INVALID_BODY');
      return reply
        .code(httpStatus('INVALID_BODY'))
        .send({ error: { code: 'INVALID_BODY', message: describeErrors(error.validation, error.validationContext ?? 'body').join('; ') } });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      metrics.refused('INVALID_BODY');
      return reply.code(error.statusCode).send({ error: { code: 'INVALID_BODY', message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    metrics.refused('INTERNAL');
    return reply.code(httpStatus('INTERNAL')).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
}
