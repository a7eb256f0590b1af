/**
 * The configuration schema: every key Recinto reads, its type and its bounds. The loader
 * (load.ts) validates the merged configuration against it before anything starts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_MESSAGE_BYTES } from '../../protocol/signaling.ts';
import { StringEnum } from '../../protocol/string-enum.ts';
import { MeetingPolicy } from '../../protocol/policy.ts';
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
      },
      Strict,
    ),
    /** Where the SQLite file and server secrets live. */
    dataDir: Type.String({ minLength: 1 }),
    /**
     * AES-256 key that seals secrets stored in the database (TOTP secrets, meeting passwords);
     * empty: <dataDir>/secrets/secret.key, created on first start. Keep it out of database backups.
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
        /** Policy of a new meeting; each meeting's hosts may change theirs. */
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
        sessionIdleMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
        sessionAbsoluteHours: Type.Integer({ minimum: 1, maximum: 7 * 24 }),
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
};
