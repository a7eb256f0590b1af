/**
 * The account HTTP API under /api. Each handler reads: validate (route schema) → authorise
 * (requireSession) → act (AuthService) → respond; AuthService audits.
 */
import { timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RecintoApp } from '../app.ts';
import type { Config } from '../config/schema.ts';
import { HttpError } from '../http/errors.ts';
import type { Account } from './accounts.ts';
import type { AuthService, RequestMeta } from './service.ts';
import { SESSION_COOKIE, type Session } from './sessions.ts';

const Strict = { additionalProperties: false } as const;
const LoginBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) }, Strict);
const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });
const SecondFactorBody = Type.Union([
  Type.Object({ code: TotpCode }, Strict),
  Type.Object({ recoveryCode: Type.String({ minLength: 1, maxLength: 32 }) }, Strict),
]);
const ConfirmBody = Type.Object({ code: TotpCode }, Strict);
// Up to 4×128 so the policy, not the schema, explains a too-long new password.
const PasswordBody = Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 128 }), newPassword: Type.String({ maxLength: 512 }) }, Strict);
const SessionParam = Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }, Strict);
const UserParam = Type.Object({ userId: Type.String({ format: 'uuid' }) }, Strict);

/** What the API says about the caller's session; the client imports these types. */
export interface SignedInView {
  signedIn: true;
  user: { id: string; username: string; displayName: string; role: Account['role'] };
  stage: Session['stage'];
  /** The sign-in step still to do; null once the account may use meetings. */
  next: ReturnType<AuthService['nextStep']>;
  csrfToken: string;
}
export type SignedOutView = { signedIn: false };
export type SessionView = SignedInView | SignedOutView;

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

function setSessionCookie(reply: FastifyReply, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, cookieOptions());
}

export async function registerAuthRoutes(app: RecintoApp, auth: AuthService, config: Config['auth']): Promise<{ requireSession: (request: FastifyRequest, need?: SessionRequirement) => AuthContext }> {
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => new HttpError(429, 'RATE_LIMITED', 'too many attempts from this address; wait a minute'),
  });
  const signInLimit = { rateLimit: { max: config.loginAttemptsPerMinutePerIp, timeWindow: '1 minute' } };

  /** The caller's live session and account, or a 401/403 with the step that is missing. */
  function requireSession(request: FastifyRequest, need: SessionRequirement = {}): AuthContext {
    const session = auth.sessions.lookup(request.cookies[SESSION_COOKIE]);
    if (!session) throw new HttpError(401, 'NOT_SIGNED_IN', 'sign in first');
    const account = auth.accounts.byId(session.userId);
    if (!account || account.disabled) {
      auth.sessions.end([session.idHash]);
      throw new HttpError(401, 'NOT_SIGNED_IN', 'sign in first');
    }
    if (need.csrf ?? request.method !== 'GET') {
      const sent = Buffer.from(String(request.headers['x-csrf-token'] ?? ''));
      const expected = Buffer.from(session.csrfToken);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw new HttpError(403, 'CSRF_FAILED', 'missing or wrong CSRF token');
    }
    if (need.verified ?? true) {
      const next = auth.nextStep(session, account);
      if (next === 'second-factor') throw new HttpError(401, 'SECOND_FACTOR_REQUIRED', 'enter your authentication code first');
      if (next === 'enrol') throw new HttpError(401, 'ENROLMENT_REQUIRED', 'set up two-factor authentication first');
      if (next === 'change-password' && (need.passwordCurrent ?? true)) throw new HttpError(403, 'PASSWORD_CHANGE_REQUIRED', 'change your password first');
    }
    if (need.role && account.role !== need.role) throw new HttpError(403, 'FORBIDDEN', 'not allowed');
    return { session, account };
  }

  const view = (session: Session, account: Account): SignedInView => ({
    signedIn: true as const,
    user: { id: account.id, username: account.username, displayName: account.displayName, role: account.role },
    stage: session.stage,
    next: auth.nextStep(session, account),
    csrfToken: session.csrfToken,
  });

  app.get('/api/session', async (request) => {
    const session = auth.sessions.lookup(request.cookies[SESSION_COOKIE]);
    const account = session && auth.accounts.byId(session.userId);
    return session && account && !account.disabled ? view(session, account) : { signedIn: false };
  });

  app.post<{ Body: Static<typeof LoginBody> }>('/api/auth/login', { schema: { body: LoginBody }, config: signInLimit }, async (request, reply) => {
    const { id, session, account } = await auth.signInWithPassword(request.body.username, request.body.password, meta(request));
    // A sign-in replaces whatever session this browser had.
    const previous = auth.sessions.lookup(request.cookies[SESSION_COOKIE]);
    if (previous) auth.sessions.end([previous.idHash]);
    setSessionCookie(reply, id);
    return view(session, account);
  });

  app.post<{ Body: Static<typeof SecondFactorBody> }>('/api/auth/second-factor', { schema: { body: SecondFactorBody }, config: signInLimit }, async (request, reply) => {
    const { session, account } = requireSession(request, { verified: false });
    const rotated = await auth.secondFactor(session, request.body, meta(request));
    setSessionCookie(reply, rotated.id);
    return view(rotated.session, account);
  });

  app.post('/api/auth/enrol/start', async (request) => {
    const { session } = requireSession(request, { verified: false });
    return auth.startEnrolment(session);
  });

  app.post<{ Body: Static<typeof ConfirmBody> }>('/api/auth/enrol/confirm', { schema: { body: ConfirmBody }, config: signInLimit }, async (request, reply) => {
    const { session, account } = requireSession(request, { verified: false });
    const done = auth.confirmEnrolment(session, request.body.code, meta(request));
    setSessionCookie(reply, done.id);
    return { ...view(done.session, account), recoveryCodes: done.recoveryCodes };
  });

  app.post('/api/auth/logout', async (request, reply) => {
    const { session } = requireSession(request, { verified: false });
    auth.logout(session);
    reply.clearCookie(SESSION_COOKIE, cookieOptions());
    return { signedIn: false };
  });

  app.get('/api/account', async (request) => {
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
      })),
    };
  });

  app.post<{ Body: Static<typeof PasswordBody> }>('/api/account/password', { schema: { body: PasswordBody }, config: signInLimit }, async (request) => {
    const { session, account } = requireSession(request, { passwordCurrent: false });
    await auth.changePassword(session, request.body.currentPassword, request.body.newPassword, meta(request));
    return view(session, auth.accounts.byId(account.id)!);
  });

  app.post('/api/account/recovery-codes', async (request) => {
    const { session } = requireSession(request);
    return { recoveryCodes: auth.regenerateRecoveryCodes(session) };
  });

  app.post('/api/account/sessions/end-all', async (request, reply) => {
    const { account } = requireSession(request, { passwordCurrent: false });
    const ended = auth.endAllSessions(account.id, { actor: account.id, role: 'self' });
    reply.clearCookie(SESSION_COOKIE, cookieOptions());
    return { signedIn: false, ended };
  });

  app.post<{ Params: Static<typeof SessionParam> }>('/api/account/sessions/:sessionId/end', { schema: { params: SessionParam } }, async (request) => {
    const { account } = requireSession(request, { passwordCurrent: false });
    auth.endOwnSession(account.id, request.params.sessionId);
    return { ended: 1 };
  });

  app.get('/api/admin/users', async (request) => {
    requireSession(request, { role: 'admin' });
    return auth.accounts.list().map((a) => ({
      id: a.id,
      username: a.username,
      displayName: a.displayName,
      role: a.role,
      disabled: a.disabled,
      totp: a.totpSecret !== null,
      lastLoginAt: a.lastLoginAt,
    }));
  });

  app.post<{ Params: Static<typeof UserParam> }>('/api/admin/users/:userId/sessions/end', { schema: { params: UserParam } }, async (request) => {
    const { account: admin } = requireSession(request, { role: 'admin' });
    return { ended: auth.endAllSessions(request.params.userId, { actor: admin.id, role: 'admin' }) };
  });

  return { requireSession };
}
