import type { Logger } from 'pino';
import type { Audit } from '../audit/audit.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Config } from '../config/schema.ts';
import type { Meeting, Participant } from '../meetings/meeting.ts';
import type { MeetingRegistry } from '../meetings/registry.ts';
import type { MeetingStore } from '../meetings/store.ts';
import type { NotificationName, NotificationParams } from './protocol.ts';

/** What request handlers may use; built once at start-up. */
export interface Services {
  config: Config;
  log: Logger;
  audit: Audit;
  meetings: MeetingRegistry;
  meetingStore: MeetingStore;
  sessions: SessionStore;
}

/** The signed-in person on one signalling connection, as request handlers see them. */
export interface Caller {
  readonly connectionId: string;
  readonly remoteAddress: string;
  /** The account whose verified session opened this connection. */
  readonly account: { readonly id: string; readonly displayName: string };
  /** Set by `join`, cleared by `leave`, socket close, or the meeting dropping the participant. */
  membership?: { meeting: Meeting; participant: Participant } | undefined;
  notify<N extends NotificationName>(name: N, params: NotificationParams<N>): void;
}
