/**
 * The configuration schema: every key Recinto reads, its type and its bounds. The loader
 * (load.ts) validates the merged configuration against it before anything starts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_MESSAGE_BYTES } from '../../protocol/signaling.ts';
import { StringEnum } from '../../protocol/string-enum.ts';
import { MeetingPolicy } from '../../protocol/policy.ts';
import { SessionAbsoluteHours, SessionIdleMinutes } from '../../protocol/admin.ts';
import { OWASP_FLOOR } from '../auth/passwords.ts';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Strict = { additionalProperties: false } as const;

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        /** 0 picks a free port (tests). */
        port: Port,
        /** The origin people use, e.g. https://meet.example.org; empty: the listener's own names (http/origin.ts), only while tls.selfSigned. */
        publicUrl: Type.String({ pattern: '^(https://[^/\\s]+)?$' }),
        /**
         * On SIGTERM: how long meetings may go on (no new joins) before they are ended; 0 ends them
         * at once. Keep it below the service manager's stop timeout (systemd: TimeoutStopSec=30).
         */
        drainSeconds: Type.Integer({ minimum: 0, maximum: 3600 }),
      },
      Strict,
    ),
    /** Where the SQLite file and server secrets live. */
    dataDir: Type.String({ minLength: 1 }),
    /**
     * AES-256 key that seals secrets stored in the database (TOTP secrets, meeting passwords);
     * empty: <dataDir>/secrets/secret.key, created on first start. Keep it out of plain database copies (recinto backup encrypts it with the database).
     */
    secretKeyFile: Type.String(),
    tls: Type.Object(
      {
        certFile: Type.String({ minLength: 1 }),
        keyFile: Type.String({ minLength: 1 }),
        /** When both files are missing, create a self-signed pair there (first start). */
        selfSigned: Type.Boolean(),
      },
      Strict,
    ),
    log: Type.Object(
      {
        level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      },
      Strict,
    ),
    media: Type.Object(
      {
        /** mediasoup workers; 0 means one per CPU core. */
        workers: Type.Integer({ minimum: 0, maximum: 64 }),
        listenIp: Type.String({ minLength: 1 }),
        /** Address browsers reach the SFU at (behind NAT); empty: listenIp, or 127.0.0.1 for 0.0.0.0. */
        announcedAddress: Type.String(),
        /** Worker i listens on rtcPort+i (UDP and TCP). 0: any free port in [rtcMinPort, rtcMaxPort]. */
        rtcPort: Port,
        rtcMinPort: Type.Integer({ minimum: 1024, maximum: 65535 }),
        rtcMaxPort: Type.Integer({ minimum: 1024, maximum: 65535 }),
        /** Path of mediasoup-worker; empty: MEDIASOUP_WORKER_BIN, else mediasoup's own. */
        workerBin: Type.String(),
        logLevel: StringEnum(['debug', 'warn', 'error', 'none']),
      },
      Strict,
    ),
    meetings: Type.Object(
      {
        /**
         * Policy of a new meeting; each meeting's hosts may change theirs. Like e2eeRequired, the
         * starting point of the organisation policy: one saved from the admin console wins.
         */
        policy: MeetingPolicy,
        /**
         * Every meeting is end-to-end encrypted: a default policy or a meeting with `e2ee: false`
         * is refused (at load, and by the meetings API), and stored meetings read as encrypted.
         */
        e2eeRequired: Type.Boolean(),
        /** Places (inside or waiting) one person may hold in one meeting: laptop, phone, tablet. */
        maxPlacesPerPerson: Type.Integer({ minimum: 1, maximum: 20 }),
        /** Meetings one account may be in (or wait for) at once; each running meeting costs a router. */
        maxMeetingsPerAccount: Type.Integer({ minimum: 1, maximum: 100 }),
      },
      Strict,
    ),
    signaling: Type.Object(
      {
        maxMessageBytes: Type.Integer({ minimum: 1024, maximum: MAX_MESSAGE_BYTES }),
        messagesPerSecond: Type.Integer({ minimum: 1, maximum: 10_000 }),
        burst: Type.Integer({ minimum: 1, maximum: 100_000 }),
        heartbeatSeconds: Type.Integer({ minimum: 1, maximum: 300 }),
        /** Open signalling connections per account (a guest: per guest device). */
        maxConnectionsPerAccount: Type.Integer({ minimum: 1, maximum: 1000 }),
        /**
         * Open signalling connections per client address. Behind an institution's NAT many people
         * share one address: raise it to the largest meeting you hold from such a network.
         */
        maxConnectionsPerAddress: Type.Integer({ minimum: 1, maximum: 100_000 }),
      },
      Strict,
    ),
    metrics: Type.Object(
      {
        /** `GET /metrics` (Prometheus text); false: no such route. */
        enabled: Type.Boolean(),
        /**
         * Scrapers send `Authorization: Bearer <token>`; empty: only loopback addresses may scrape.
         * Visible ASCII, no spaces, 16 to 512 characters.
         */
        token: Type.String({ pattern: '^([!-~]{16,512})?$' }),
      },
      Strict,
    ),
    turn: Type.Object(
      {
        /**
         * Hand browsers TURN relays (coturn, configured by `recinto turn config`; docs/turn.md)
         * for networks that allow little more than HTTPS.
         */
        enabled: Type.Boolean(),
        /** Host name (or address) browsers reach coturn at; empty: server.publicUrl's host. */
        host: Type.String({ maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]-]*$' }),
        /** TURN over UDP and TCP. */
        port: Port,
        /** TURN over TLS (443 where only HTTPS goes out; docs/turn.md on sharing it). */
        tlsPort: Port,
        /** Lifetime of the credentials handed out (never beyond the person's session). */
        credentialTtlSeconds: Type.Integer({ minimum: 60, maximum: 86400 }),
        /** coturn's relay ports. */
        minPort: Type.Integer({ minimum: 1024, maximum: 65535 }),
        maxPort: Type.Integer({ minimum: 1024, maximum: 65535 }),
        /** Allocations per participant, and in all. */
        userQuota: Type.Integer({ minimum: 1, maximum: 100 }),
        totalQuota: Type.Integer({ minimum: 1, maximum: 1000000 }),
        /** Bandwidth cap per relayed session, bytes per second; 0: none. */
        maxBps: Type.Integer({ minimum: 0 }),
        /** Addresses coturn listens on; empty: all. */
        listeningIps: Type.Array(Type.String({ minLength: 2, maxLength: 45 }), { maxItems: 8 }),
        /** coturn's public address when it runs behind NAT; empty: none. */
        externalIp: Type.String({ maxLength: 91 }),
      },
      Strict,
    ),
    /** Forwarding the audit trail to the institution's SIEM (docs/audit.md, "SIEM"). */
    siem: Type.Object(
      {
        /** Syslog over TLS (RFC 5425): RFC 5424 messages, octet-counted. */
        syslog: Type.Object(
          {
            enabled: Type.Boolean(),
            /** The collector's host name (checked against its certificate) or address. */
            host: Type.String({ maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]-]*$' }),
            port: Port,
            /** PEM CA file the collector's certificate must chain to; empty: Node's trusted roots. */
            caFile: Type.String(),
            /** Client certificate and key (PEM) for mutual TLS; both or neither. */
            certFile: Type.String(),
            keyFile: Type.String(),
            facility: StringEnum(['user', 'daemon', 'auth', 'authpriv', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7']),
            /** A record written to the connection counts as acknowledged once the connection stayed up this long after. */
            settleMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
          },
          Strict,
        ),
        /** JSON batches POSTed over HTTPS, signed with HMAC-SHA256; a 2xx reply acknowledges. */
        https: Type.Object(
          {
            enabled: Type.Boolean(),
            url: Type.String({ pattern: '^(https://[^\\s]+)?$' }),
            /** File holding the HMAC key (32+ bytes, mode 0600); or `secret`, not both. */
            hmacKeyFile: Type.String(),
            secret: Type.String({ pattern: '^([!-~]{32,1024})?$' }),
            /** PEM CA file the receiver's certificate must chain to; empty: Node's trusted roots. */
            caFile: Type.String(),
          },
          Strict,
        ),
        /** Records per syslog write or HTTPS request. */
        batchSize: Type.Integer({ minimum: 1, maximum: 10_000 }),
        /** Backoff after a failed send: from retryMinMs, doubling, up to retryMaxMs. */
        retryMinMs: Type.Integer({ minimum: 10, maximum: 600_000 }),
        retryMaxMs: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
      },
      Strict,
    ),
    auth: Type.Object(
      {
        /** Shown in authenticator apps as the issuer of the TOTP entry. */
        institution: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^:]+$' }),
        /** Two-factor authentication for every account. Relax only by explicit choice. */
        requireTotp: Type.Boolean(),
        /** argon2id; never below OWASP's floor (m = 19 MiB, t = 2), checked at load. */
        argon2: Type.Object(
          {
            memoryKiB: Type.Integer({ minimum: OWASP_FLOOR.memoryKiB, maximum: 4 * 1024 * 1024 }),
            iterations: Type.Integer({ minimum: OWASP_FLOOR.iterations, maximum: 100 }),
            parallelism: Type.Integer({ minimum: OWASP_FLOOR.parallelism, maximum: 64 }),
          },
          Strict,
        ),
        /** Password hashes computed at once; 0 means one per core. */
        maxConcurrentHashes: Type.Integer({ minimum: 0, maximum: 256 }),
        /** Logins waiting for a hashing slot; beyond this they get 503. */
        maxQueuedHashes: Type.Integer({ minimum: 0, maximum: 100_000 }),
        /** The organisation policy's session lifetimes (protocol/admin.ts): one definition for the file and the console. */
        sessionIdleMinutes: SessionIdleMinutes,
        sessionAbsoluteHours: SessionAbsoluteHours,
        /** Failed sign-ins (password or second factor) before an account is locked. */
        lockoutFailures: Type.Integer({ minimum: 1, maximum: 1000 }),
        /** Lock duration; doubles with each further lock until a successful sign-in. */
        lockoutSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86400 }),
        loginAttemptsPerMinutePerIp: Type.Integer({ minimum: 1, maximum: 100_000 }),
      },
      Strict,
    ),
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;

/** Environment variables → config keys. Numbers and booleans are parsed from their text. */
export const ENV_KEYS: Record<string, string> = {
  RECINTO_HOST: 'server.host',
  RECINTO_PORT: 'server.port',
  RECINTO_PUBLIC_URL: 'server.publicUrl',
  RECINTO_DATA_DIR: 'dataDir',
  RECINTO_TLS_CERT: 'tls.certFile',
  RECINTO_TLS_KEY: 'tls.keyFile',
  RECINTO_TLS_SELF_SIGNED: 'tls.selfSigned',
  RECINTO_LOG_LEVEL: 'log.level',
  RECINTO_MEDIA_WORKERS: 'media.workers',
  RECINTO_LISTEN_IP: 'media.listenIp',
  RECINTO_ANNOUNCED_ADDRESS: 'media.announcedAddress',
  RECINTO_RTC_PORT: 'media.rtcPort',
  RECINTO_RTC_MIN_PORT: 'media.rtcMinPort',
  RECINTO_RTC_MAX_PORT: 'media.rtcMaxPort',
  RECINTO_WORKER_BIN: 'media.workerBin',
  RECINTO_REQUIRE_TOTP: 'auth.requireTotp',
  RECINTO_SECRET_KEY_FILE: 'secretKeyFile',
  RECINTO_INSTITUTION: 'auth.institution',
  RECINTO_METRICS_ENABLED: 'metrics.enabled',
  RECINTO_METRICS_TOKEN: 'metrics.token',
  RECINTO_TURN_ENABLED: 'turn.enabled',
  RECINTO_TURN_HOST: 'turn.host',
  RECINTO_SIEM_SYSLOG_ENABLED: 'siem.syslog.enabled',
  RECINTO_SIEM_SYSLOG_HOST: 'siem.syslog.host',
  RECINTO_SIEM_SYSLOG_PORT: 'siem.syslog.port',
  RECINTO_SIEM_HTTPS_ENABLED: 'siem.https.enabled',
  RECINTO_SIEM_HTTPS_URL: 'siem.https.url',
  RECINTO_SIEM_HTTPS_SECRET: 'siem.https.secret',
};
