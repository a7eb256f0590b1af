/**
 * Single sign-on over HTTP (docs/sso.md, docs/http-api.md):
 *
 *   GET /api/auth/oidc           what the login page offers (enabled, label, available)
 *   GET /api/auth/oidc/start     302 to the provider; the flow cookie (below)
 *   GET /api/auth/oidc/callback  the provider's answer: signed in (a small page that goes on to
 *                                /login), or 303 to /login?sso=CODE
 *
 * Cookies: the flow cookie `__Host-recinto-sso` is SameSite=Lax, because the callback is a
 * cross-site navigation from the provider and a Strict cookie would not come with it; it lives
 * ten minutes and is cleared by the callback. The session cookie set by the callback is the usual
 * Strict one, so the browser would not send it on a redirect that is still part of that cross-site
 * navigation: the callback answers a same-origin page that moves on by itself (meta refresh; no
 * script, as the CSP allows none inline), and the navigation it starts is same-site.
 *
 * Every success and refusal is audited (`auth.oidc_login`, with the code and a reason), never a
 * token or a code.
 */
import type { FastifyReply } from 'fastify';
import type { Audit } from '../audit/audit.ts';
import { meta, setSessionCookie } from '../auth/routes.ts';
import type { RecintoApp } from '../fastify.ts';
import { ErrorBody, SsoCallbackQuery, SsoInfo, SsoStartQuery } from '../../protocol/http.ts';
import { describe } from './discovery.ts';
import { FLOW_TTL_MS } from './flows.ts';
import { refusalOf } from './refusal.ts';
import type { SsoService } from './service.ts';

export const FLOW_COOKIE = '__Host-recinto-sso';

const flowCookie = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;
const errorReplies = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export interface SsoRouteDeps {
  /** Undefined while single sign-on is off. */
  sso: SsoService | undefined;
  label: string;
  audit: Audit;
  loginAttemptsPerMinutePerIp: number;
}

/** `/login`, keeping where the person was going (a path ReturnPath already allows), and `sso=CODE` after a refusal. */
function loginPath(returnTo: string | null | undefined, code?: string): string {
  const query = new URLSearchParams();
  if (code) query.set('sso', code);
  if (returnTo) query.set('next', returnTo);
  const search = query.toString();
  return search ? `/login?${search}` : '/login';
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page that takes a freshly signed-in browser on to `target` with a same-site navigation. */
function continuePage(reply: FastifyReply, target: string): FastifyReply {
  const href = escapeHtml(target);
  return reply
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="es"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Recinto</title></head>` +
        `<body><p><a href="${href}">Continuar · Continue</a></p></body></html>`,
    );
}

export function registerSsoRoutes(app: RecintoApp, deps: SsoRouteDeps): void {
  const { sso, audit } = deps;
  app.get<{ Reply: SsoInfo }>('/api/auth/oidc', { schema: { response: { 200: SsoInfo, ...errorReplies } } }, async () =>
    sso ? { enabled: true as const, label: deps.label, available: sso.available } : { enabled: false as const },
  );
  if (!sso) return;
  const signInLimit = { rateLimit: { max: deps.loginAttemptsPerMinutePerIp, timeWindow: '1 minute' } };

  app.get<{ Querystring: SsoStartQuery }>(
    '/api/auth/oidc/start',
    { schema: { querystring: SsoStartQuery, response: errorReplies }, config: signInLimit },
    async (request, reply) => {
      const next = request.query.next ?? null;
      try {
        const { flowId, url } = await sso.begin(next);
        reply.setCookie(FLOW_COOKIE, flowId, { ...flowCookie, maxAge: FLOW_TTL_MS / 1000 });
        return reply.redirect(url, 302);
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal.reason === 'internal') request.log.error({ err }, 'single sign-on: could not start');
        audit({ action: 'auth.oidc_login', outcome: 'denied', detail: { step: 'start', code: refusal.code, reason: refusal.reason, ip: request.ip } });
        return reply.redirect(loginPath(next, refusal.code), 303);
      }
    },
  );

  app.get<{ Querystring: SsoCallbackQuery }>(
    '/api/auth/oidc/callback',
    { schema: { querystring: SsoCallbackQuery, response: errorReplies }, config: signInLimit },
    async (request, reply) => {
      const flowId = request.cookies[FLOW_COOKIE];
      reply.clearCookie(FLOW_COOKIE, flowCookie);
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      try {
        const done = await sso.finish(flowId, search, meta(request));
        setSessionCookie(reply, done.id);
        audit({
          action: 'auth.oidc_login',
          outcome: 'ok',
          actor: done.account.id,
          detail: { stage: done.session.stage, mfa: done.mfa, created: done.created, ip: request.ip },
        });
        return continuePage(reply, loginPath(done.returnTo));
      } catch (err) {
        const refusal = refusalOf(err);
        // Only messages: what openid-client's errors carry (claims, the token itself) stays out of the log.
        if (refusal.reason === 'invalid-response' || refusal.reason === 'internal')
          request.log.warn({ err: describe(err) }, 'single sign-on: unexpected failure');
        audit({
          action: 'auth.oidc_login',
          outcome: 'denied',
          actor: refusal.actor,
          detail: { step: 'callback', code: refusal.code, reason: refusal.reason, ...refusal.detail, ip: request.ip },
        });
        return reply.redirect(loginPath(null, refusal.code), 303);
      }
    },
  );
}
