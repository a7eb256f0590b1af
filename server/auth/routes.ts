/**
 * The account HTTP API under /api. Each handler reads: validate (route schema) → authorise
 * (requireSession) → act (AuthService) → respond; AuthService audits.
 */
import { timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RecintoApp } from '../fastify.ts';
import type { Config } from '../config/schema.ts';
import { DomainError } from '../errors.ts';
import {
  AccountView,
  ConfirmEnrolmentBody,
  EndedView,
  EnrolledView,
  Enrolment,
  ErrorBody,
  LoginBody,
  PasswordBody,
  RecoveryCodesView,
  SecondFactorBody,
  SessionParams,
  SessionView,
  SignedInView,
  SignedOutEverywhereView,
  SignedOutView,
} from '../../protocol/http.ts';
import type { Account } from './accounts.ts';
import type { AuthService, RequestMeta } from './service.ts';
import { SESSION_COOKIE, type Session } from './sessions.ts';
import { describeDevice } from './device.ts';

/** Every route's error replies: the one error body, with the status of its code (server/http/status.ts). */
const errorReplies = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export interface AuthContext {
  session: Session;
  account: Account;
}

export interface SessionRequirement {
  /** Second factor done (default true). */
  verified?: boolean;
  /** Refuse until a required password change is done (default true). */
  passwordCurrent?: boolean;
  /** Check the per-session CSRF token (default: for every non-GET request). */
  csrf?: boolean;
  role?: Account['role'];
}

export function meta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, ...(ua ? { userAgent: ua } : {}) };
}

function cookieOptions() {
  return { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;
}

/** The session cookie for a new session's id (here, and after a single sign-on: server/sso/routes.ts). */
export function setSessionCookie(reply: FastifyReply, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, cookieOptions());
}

export async function registerAuthRoutes(
  app: RecintoApp,
  auth: AuthService,
  config: Config['auth'],
): Promise<{ requireSession: (request: FastifyRequest, need?: SessionRequirement) => AuthContext }> {
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => new DomainError('RATE_LIMITED', 'too many attempts from this address; wait a minute'),
  });
  const signInLimit = { rateLimit: { max: config.loginAttemptsPerMinutePerIp, timeWindow: '1 minute' } };

  /** The caller's live session and account, or a 401/403 with the step that is missing. */
  function requireSession(request: FastifyRequest, need: SessionRequirement = {}): AuthContext {
    const session = auth.sessions.lookup(request.cookies[SESSION_COOKIE]);
    if (!session) throw new DomainError('NOT_SIGNED_IN', 'sign in first');
    const account = auth.accounts.byId(session.userId);
    if (!account || account.disabled) {
      auth.sessions.end([session.idHash]);
      throw new DomainError('NOT_SIGNED_IN', 'sign in first');
    }
    if (need.csrf ?? request.method !== 'GET') {
      const sent = Buffer.from(String(request.headers['x-csrf-token'] ?? ''));
      const expected = Buffer.from(session.csrfToken);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw new DomainError('CSRF_FAILED', 'missing or wrong CSRF token');
    }
    if (need.verified ?? true) {
      const next = auth.nextStep(session, account);
      if (next === 'second-factor') throw new DomainError('SECOND_FACTOR_REQUIRED', 'enter your authentication code first');
      if (next === 'enrol') throw new DomainError('ENROLMENT_REQUIRED', 'set up two-factor authentication first');
      if (next === 'change-password' && (need.passwordCurrent ?? true)) throw new DomainError('PASSWORD_CHANGE_REQUIRED', 'change your password first');
    }
    if (need.role && account.role !== need.role) throw new DomainError('FORBIDDEN', 'not allowed');
    return { session, account };
  }

  const view = (session: Session, account: Account): SignedInView => ({
    signedIn: true as const,
    user: { id: account.id, username: account.username, displayName: account.displayName, role: account.role },
    stage: session.stage,
    next: auth.nextStep(session, account),
    csrfToken: session.csrfToken,
  });

  app.get<{ Reply: SessionView }>('/api/session', { schema: { response: { 200: SessionView, ...errorReplies } } }, async (request) => {
    const session = auth.sessions.lookup(request.cookies[SESSION_COOKIE]);
    const account = session && auth.accounts.byId(session.userId);
    return session && account && !account.disabled ? view(session, account) : { signedIn: false as const };
  });

  app.post<{ Body: LoginBody; Reply: SignedInView }>(
    '/api/auth/login',
    { schema: { body: LoginBody, response: { 200: SignedInView, ...errorReplies } }, config: signInLimit },
    async (request, reply) => {
      const { id, session, account } = await auth.signInWithPassword(request.body.username, request.body.password, meta(request));
      // A sign-in replaces whatever session this browser had.
      const previous = auth.sessions.lookup(request.cookies[SESSION_COOKIE]);
      if (previous) auth.sessions.end([previous.idHash]);
      setSessionCookie(reply, id);
      return view(session, account);
    },
  );

  app.post<{ Body: SecondFactorBody; Reply: SignedInView }>(
    '/api/auth/second-factor',
    { schema: { body: SecondFactorBody, response: { 200: SignedInView, ...errorReplies } }, config: signInLimit },
    async (request, reply) => {
      const { session, account } = requireSession(request, { verified: false });
      const rotated = await auth.secondFactor(session, request.body, meta(request));
      setSessionCookie(reply, rotated.id);
      return view(rotated.session, account);
    },
  );

  app.post<{ Reply: Enrolment }>('/api/auth/enrol/start', { schema: { response: { 200: Enrolment, ...errorReplies } } }, async (request) => {
    const { session } = requireSession(request, { verified: false });
    return auth.startEnrolment(session);
  });

  app.post<{ Body: ConfirmEnrolmentBody; Reply: EnrolledView }>(
    '/api/auth/enrol/confirm',
    { schema: { body: ConfirmEnrolmentBody, response: { 200: EnrolledView, ...errorReplies } }, config: signInLimit },
    async (request, reply) => {
      const { session, account } = requireSession(request, { verified: false });
      const done = auth.confirmEnrolment(session, request.body.code, meta(request));
      setSessionCookie(reply, done.id);
      return { ...view(done.session, account), recoveryCodes: done.recoveryCodes };
    },
  );

  app.post<{ Reply: SignedOutView }>('/api/auth/logout', { schema: { response: { 200: SignedOutView, ...errorReplies } } }, async (request, reply) => {
    const { session } = requireSession(request, { verified: false });
    auth.logout(session);
    reply.clearCookie(SESSION_COOKIE, cookieOptions());
    return { signedIn: false as const };
  });

  app.get<{ Reply: AccountView }>('/api/account', { schema: { response: { 200: AccountView, ...errorReplies } } }, async (request) => {
    const { session, account } = requireSession(request, { passwordCurrent: false });
    return {
      ...view(session, account),
      recoveryCodesLeft: auth.accounts.unusedRecoveryCodes(account.id).length,
      sessions: auth.sessions.forUser(account.id).map((s) => ({
        id: s.idHash,
        current: s.idHash === session.idHash,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        ip: s.ip,
        userAgent: s.userAgent,
        device: describeDevice(s.userAgent),
      })),
    };
  });

  app.post<{ Body: PasswordBody; Reply: SignedInView }>(
    '/api/account/password',
    { schema: { body: PasswordBody, response: { 200: SignedInView, ...errorReplies } }, config: signInLimit },
    async (request) => {
      const { session, account } = requireSession(request, { passwordCurrent: false });
      await auth.changePassword(session, request.body.currentPassword, request.body.newPassword, meta(request));
      return view(session, auth.accounts.byId(account.id)!);
    },
  );

  app.post<{ Reply: RecoveryCodesView }>(
    '/api/account/recovery-codes',
    { schema: { response: { 200: RecoveryCodesView, ...errorReplies } } },
    async (request) => {
      const { session } = requireSession(request);
      return { recoveryCodes: auth.regenerateRecoveryCodes(session) };
    },
  );

  app.post<{ Reply: SignedOutEverywhereView }>(
    '/api/account/sessions/end-all',
    { schema: { response: { 200: SignedOutEverywhereView, ...errorReplies } } },
    async (request, reply) => {
      const { account } = requireSession(request, { passwordCurrent: false });
      const ended = auth.endAllSessions(account.id, { actor: account.id, role: 'self' });
      reply.clearCookie(SESSION_COOKIE, cookieOptions());
      return { signedIn: false as const, ended };
    },
  );

  app.post<{ Params: SessionParams; Reply: EndedView }>(
    '/api/account/sessions/:sessionId/end',
    { schema: { params: SessionParams, response: { 200: EndedView, ...errorReplies } } },
    async (request) => {
      const { account } = requireSession(request, { passwordCurrent: false });
      auth.endOwnSession(account.id, request.params.sessionId);
      return { ended: 1 };
    },
  );

  return { requireSession };
}
