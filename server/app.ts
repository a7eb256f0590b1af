/**
 * Assembles the server: configuration → logger → store → media workers → HTTPS with signalling.
 * start() is used by main.ts and by the tests (same code path, different config).
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { availableParallelism } from 'node:os';
import { AccountStore } from './auth/accounts.ts';
import { ensureFirstAdmin } from './auth/bootstrap.ts';
import { PasswordHasher } from './auth/passwords.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { loadOrCreateKey } from './auth/secret-box.ts';
import { TurnService } from './turn/service.ts';
import { MeetingMemoryStore } from './meetings/memory-store.ts';
import { AuthService } from './auth/service.ts';
import { SessionStore } from './auth/sessions.ts';
import { createAudit, type Audit } from './audit/audit.ts';
import { AuditCheckpoints } from './audit/checkpoints.ts';
import { loadOrCreateSigningKey, signingKeyFile } from './audit/signing-key.ts';
import { RefusalAudit } from './audit/refusals.ts';
import { startSiem, type Siem } from './siem/siem.ts';
import type { RecintoApp } from './fastify.ts';
import { registerHardening } from './http/hardening.ts';
import { OriginPolicy } from './http/origin.ts';
import type { Config } from './config/schema.ts';
import { registerHttpRoutes } from './http/routes.ts';
import { loadTls } from './http/tls.ts';
import { createLogger } from './log.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { MeetingRegistry } from './meetings/registry.ts';
import { registerMeetingRoutes } from './meetings/routes.ts';
import { registerGuestRoutes } from './meetings/guest-routes.ts';
import { GuestSessionStore } from './auth/guest-sessions.ts';
import { MeetingStore } from './meetings/store.ts';
import { RecintoMetrics } from './metrics/metrics.ts';
import { registerMetrics } from './metrics/routes.ts';
import type { Services } from './signaling/context.ts';
import { registerSignaling } from './signaling/plugin.ts';
import type { SignalingConnection } from './signaling/connection.ts';
import { FailureLimiter } from './rate-limit.ts';
import { openDatabase, type Db } from './store/db.ts';
import { createPublicKey } from 'node:crypto';
import pkg from '../package.json' with { type: 'json' };
import { BackgroundVerifier } from './audit/background-verify.ts';
import { AuditViewer } from './admin/audit-query.ts';
import { LiveMeetings } from './admin/meetings.ts';
import { OrgPolicyStore } from './admin/policy.ts';
import { registerAdminRoutes } from './admin/routes.ts';
import { StepUpGrants } from './admin/step-up.ts';
import { SystemStatus } from './admin/system.ts';
import { UserAdministration } from './admin/users.ts';

export type { RecintoApp };

export interface Recinto {
  url: string;
  port: number;
  app: RecintoApp;
  db: Db;
  pool: WorkerPool;
  meetings: MeetingRegistry;
  meetingStore: MeetingStore;
  /** The open signalling connections (what a shutdown closes; tests drop one to stand for a lost network). */
  connections: ReadonlySet<SignalingConnection>;
  audit: Audit;
  /** Refusals that come in floods, audited aggregated (flush() writes the repeats now). */
  refusals: RefusalAudit;
  /** Signed checkpoints of the audit chain, each minute and on close (onCheckpoint to ship them). */
  checkpoints: AuditCheckpoints;
  /** Forwarding to the SIEM (siem.*): outbox() says what each destination has not acknowledged yet. */
  siem: Siem;
  auth: AuthService;
  guests: GuestSessionStore;
  hasher: PasswordHasher;
  secretKey: Buffer;
  log: Logger;
  /** The organisation policy in force (the admin console's, else the configuration's). */
  orgPolicy: OrgPolicyStore;
  /** Every route the HTTP server registered (method and URL), as Fastify announced them. */
  routes: readonly { method: string; url: string }[];
  /** The audit chain's background verification (the admin console's status). */
  verifier: BackgroundVerifier;
  /** Set on the first start only: the one-time admin password, to print once and forget. */
  firstAdmin: { username: string; password: string } | undefined;
  /**
   * Draining (SIGTERM): no new joins (SERVER_DRAINING), everyone inside and waiting told
   * (`serverDraining`), /readyz 503; resolves once every meeting has emptied or after
   * server.drainSeconds. Then `close()`.
   */
  drain(): Promise<void>;
  /** Graceful: tells participants, closes sockets, HTTP, workers, database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The clock step-up grants are judged by (tests move it instead of waiting five minutes). */
  now?: () => number;
}

export async function startRecinto(config: Config, log: Logger = createLogger(config), options: StartOptions = {}): Promise<Recinto> {
  const startedAt = Date.now();
  const cleanups: Array<() => Promise<void> | void> = [];
  const undo = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const tls = await loadTls(config.tls);
    if (tls.generated) {
      log.warn(
        { cert: config.tls.certFile, key: config.tls.keyFile },
        'no TLS certificate configured: created a self-signed one (browsers will warn; install your own, see README)',
      );
    }
    const db = openDatabase(config.dataDir);
    cleanups.push(() => void db.close());
    const audit = createAudit(db);
    // The organisation policy over the file's values; meetings and sessions read it at each use.
    const orgPolicy = new OrgPolicyStore(db, config);
    const rules = () => orgPolicy.current();
    const lifetimes = () => ({ idleMinutes: orgPolicy.current().sessionIdleMinutes, absoluteHours: orgPolicy.current().sessionAbsoluteHours });
    const signingKey = loadOrCreateSigningKey(signingKeyFile(config.secretKeyFile));
    const verifier = new BackgroundVerifier({ file: db.name, publicKeyPem: createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString() });
    cleanups.push(() => verifier.close());
    const checkpoints = new AuditCheckpoints(db, signingKey, {
      onError: (err) => log.error({ err }, 'audit checkpoint failed'),
    });
    // Sends the chain to the SIEM; closed after the last checkpoint (which it then tries to send), before the database.
    const siem = startSiem(config.siem, db, log);
    cleanups.push(() => siem.close());
    checkpoints.onCheckpoint(() => siem.wake());
    // The last checkpoint once everything else has closed, then the database (cleanups run in reverse).
    cleanups.push(() => checkpoints.close());
    // Flushed before the database closes (cleanups run in reverse).
    const refusals = new RefusalAudit(audit);
    cleanups.push(() => refusals.close());
    const accounts = new AccountStore(db);
    const sessions = new SessionStore(db, lifetimes);
    const hasher = new PasswordHasher(config.auth.argon2, {
      maxConcurrent: config.auth.maxConcurrentHashes || availableParallelism(),
      maxQueued: config.auth.maxQueuedHashes,
    });
    const secretKey = loadOrCreateKey(config.secretKeyFile);
    const auth = new AuthService({ config: config.auth, accounts, sessions, hasher, secretKey, audit });
    const firstAdmin = await ensureFirstAdmin({ accounts, hasher, audit });
    const pool = await WorkerPool.start(config.media, log);
    cleanups.push(() => pool.close());
    // What running meetings remember survives a crash or restart (saved each second when it changes).
    const meetings = new MeetingRegistry((meetingId) => pool.createRoom({ meetingId }), new MeetingMemoryStore(db), { rules });
    const snapshots = setInterval(() => meetings.snapshot(), 1000);
    snapshots.unref();
    cleanups.push(() => clearInterval(snapshots));
    const meetingStore = new MeetingStore(db, secretKey, rules);
    // Ten wrong meeting ids at once, then one a minute: 74-bit ids cannot be found by guessing.
    const joinFailures = new FailureLimiter(10, 60);
    const guests = new GuestSessionStore(db, lifetimes);
    const sweep = setInterval(() => {
      sessions.sweep();
      guests.sweep();
    }, 60_000);
    sweep.unref();
    cleanups.push(() => clearInterval(sweep));
    // The port is only known after listen (0 picks a free one): the policy asks the server lazily.
    const origins = new OriginPolicy(config.server, { port: () => (app.server.address() as AddressInfo | null)?.port });
    // Read when scraped (meetings, workers); fed by signalling and the HTTP edge as things happen.
    const metrics = new RecintoMetrics({ meetings, pool, siem });
    // TURN relays for browsers behind strict firewalls (off unless turn.enabled; docs/turn.md).
    const turn = new TurnService(config, secretKey);
    const services: Services = { config, log, audit, refusals, meetings, meetingStore, sessions, guests, joinFailures, origins, metrics, turn };

    pool.on('workerDied', (index) => audit({ action: 'media.worker_died', outcome: 'error', detail: { worker: index } }));

    const app: RecintoApp = Fastify<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>({
      loggerInstance: log,
      https: { key: tls.key, cert: tls.cert },
      bodyLimit: 64 * 1024,
      // Refuse what does not match a schema: no silent stripping of unknown fields, no coercion.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, unicodeRegExp: true } },
      trustProxy: false,
    });
    cleanups.push(() => app.close());
    const routes: { method: string; url: string }[] = [];
    app.addHook('onRoute', (route) => {
      for (const method of ([] as string[]).concat(route.method)) routes.push({ method, url: route.url });
    });
    await registerHardening(app, origins, refusals, metrics);
    registerMetrics(app, metrics, config.metrics);
    const { requireSession } = await registerAuthRoutes(app, auth, config.auth);
    registerMeetingRoutes(app, { rules, meetingStore, meetings, accounts, audit, origins, requireSession });
    registerGuestRoutes(app, { config, rules, meetingStore, guests, audit });
    await registerAdminRoutes(app, {
      config,
      auth,
      accounts,
      requireSession,
      users: new UserAdministration({ accounts, sessions, hasher, audit }),
      policy: orgPolicy,
      live: new LiveMeetings({ meetings, meetingStore, accounts }),
      viewer: new AuditViewer(db, accounts),
      verifier,
      system: new SystemStatus({ pool, siem, db, cert: tls.cert, version: pkg.version, startedAt, draining: () => meetings.draining }),
      stepUp: new StepUpGrants(sessions, options.now ? { now: options.now } : {}),
      db,
      audit,
      refusals,
      version: pkg.version,
    });
    const signaling = await registerSignaling(app, services, requireSession);
    await registerHttpRoutes(app, { db, pool, draining: () => meetings.draining });
    await app.listen({ host: config.server.host, port: config.server.port });
    const port = (app.server.address() as AddressInfo).port;
    const displayHost = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
    const url = config.server.publicUrl || `https://${displayHost}:${port}`;
    log.info({ url, workers: pool.size }, 'Recinto is listening');

    let draining: Promise<void> | undefined;
    /** SIGTERM: no new joins, everyone told; resolves when the meetings have emptied or after server.drainSeconds. */
    const drain = () => (draining ??= meetings.drain(config.server.drainSeconds * 1000));
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        log.info('shutting down');
        meetings.closeAll('server-shutdown');
        for (const c of signaling.connections) c.close(1001, 'server shutting down');
        await undo();
      })());
    return {
      url,
      port,
      app,
      db,
      pool,
      meetings,
      meetingStore,
      connections: signaling.connections,
      audit,
      refusals,
      checkpoints,
      siem,
      auth,
      guests,
      hasher,
      secretKey,
      log,
      orgPolicy,
      routes,
      verifier,
      firstAdmin,
      drain,
      close,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
