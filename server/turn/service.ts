/**
 * Recinto's side of TURN: the shared secret with coturn (derived from the server's secret key,
 * so there is no second secret to keep), the ICE servers handed to each participant with
 * ephemeral credentials, and the coturn settings `recinto turn config` prints.
 */
import { hkdfSync } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { IceServer } from '../../protocol/signaling.ts';
import type { Config } from '../config/schema.ts';
import type { CoturnSettings } from './coturn-config.ts';
import { credentialExpiry, turnCredentials } from './credentials.ts';

/** The coturn shared secret: HKDF-SHA256 of the secret key, for this one use. */
export function turnSecret(secretKey: Buffer): string {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'recinto turn rest api secret v1', 32)).toString('base64url');
}

/** Where browsers reach coturn: turn.host, else the public URL's host. */
export function turnHost(config: Pick<Config, 'turn' | 'server'>): string {
  if (config.turn.host) return config.turn.host;
  return config.server.publicUrl ? new URL(config.server.publicUrl).hostname : '';
}

/** The SFU's address as browsers (and so coturn) reach it, as the media workers announce it. */
export function sfuAddress(media: Config['media']): string {
  return media.announcedAddress || (media.listenIp === '0.0.0.0' || media.listenIp === '::' ? '127.0.0.1' : media.listenIp);
}

export class TurnService {
  readonly #config: Config['turn'];
  readonly #host: string;
  readonly #secret: string;

  constructor(config: Pick<Config, 'turn' | 'server'>, secretKey: Buffer) {
    this.#config = config.turn;
    this.#host = turnHost(config);
    this.#secret = turnSecret(secretKey);
  }

  /** ICE servers for one participant, or none when TURN is off. Never valid beyond `sessionExpiresAt`. */
  iceServers(participantId: string, sessionExpiresAt: number, now = Date.now()): Static<typeof IceServer>[] | undefined {
    if (!this.#config.enabled) return undefined;
    const { username, credential } = turnCredentials(this.#secret, participantId, credentialExpiry(now, this.#config.credentialTtlSeconds, sessionExpiresAt));
    const host = this.#host;
    const { port, tlsPort } = this.#config;
    return [
      { urls: [`turn:${host}:${port}?transport=udp`, `turn:${host}:${port}?transport=tcp`, `turns:${host}:${tlsPort}?transport=tcp`], username, credential },
    ];
  }
}

/** What `recinto turn config` writes coturn's configuration from. */
export function coturnSettings(config: Config, secretKey: Buffer): CoturnSettings {
  const t = config.turn;
  return {
    realm: turnHost(config) || 'recinto',
    secret: turnSecret(secretKey),
    sfuAddresses: [sfuAddress(config.media)],
    port: t.port,
    tlsPort: t.tlsPort,
    certFile: config.tls.certFile,
    keyFile: config.tls.keyFile,
    listeningIps: t.listeningIps,
    externalIp: t.externalIp || undefined,
    minPort: t.minPort,
    maxPort: t.maxPort,
    userQuota: t.userQuota,
    totalQuota: t.totalQuota,
    maxBps: t.maxBps,
  };
}
