import type { Logger } from 'pino';
import type { Audit } from '../audit/audit.ts';
import type { RefusalAudit } from '../audit/refusals.ts';
import type { GuestSessionStore } from '../auth/guest-sessions.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { FailureLimiter } from '../rate-limit.ts';
import type { OriginPolicy } from '../http/origin.ts';
import type { Config } from '../config/schema.ts';
import type { Meeting } from '../meetings/meeting.ts';
import type { Participant, Waiting } from '../meetings/participant.ts';
import type { MeetingRegistry } from '../meetings/registry.ts';
import type { MeetingStore } from '../meetings/store.ts';
import type { MetricsPort } from '../metrics/port.ts';
import type { NotificationName, NotificationParams } from '../../protocol/signaling.ts';
import type { TurnService } from '../turn/service.ts';

/** What request handlers may use; built once at start-up. */
export interface Services {
  config: Config;
  log: Logger;
  audit: Audit;
  /** Refusals that can come in floods, audited aggregated. */
  refusals: RefusalAudit;
  meetings: MeetingRegistry;
  meetingStore: MeetingStore;
  sessions: SessionStore;
  guests: GuestSessionStore;
  /** Failed joins per account (unknown meeting ids): guessing ids is slowed to a crawl. */
  joinFailures: FailureLimiter;
  /** This server's own origins: the WebSocket handshake must come from one of them. */
  origins: OriginPolicy;
  /** Refusals and join times, counted as they happen (server/metrics). */
  metrics: MetricsPort;
  /** TURN relays and their ephemeral credentials (server/turn). */
  turn: TurnService;
}

/** The signed-in person on one signalling connection, as request handlers see them. */
export interface Caller {
  readonly connectionId: string;
  readonly remoteAddress: string;
  /**
   * Who opened this connection: a staff account (verified session), or a guest of one meeting
   * (id `guest:<device>`; `guest.meetingId` is the only meeting they may enter).
   */
  readonly account: { readonly id: string; readonly displayName: string; readonly username?: string; readonly guest?: { readonly meetingId: string } };
  /** Hash of the session (staff or guest) that opened this connection. */
  readonly sessionIdHash: string;
  /** When that session ends at the latest (its absolute limit): nothing handed out outlives it. */
  readonly sessionExpiresAt: number;
  /**
   * Set by `join` (waiting or admitted), changed by admission, cleared by `leave`, socket close,
   * removal, or the meeting ending.
   */
  membership?:
    { meeting: Meeting; participant: Participant; waiting?: undefined } | { meeting: Meeting; waiting: Waiting; participant?: undefined } | undefined;
  notify<N extends NotificationName>(name: N, params: NotificationParams<N>): void;
}
