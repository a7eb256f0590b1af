/**
 * Entry point. URL form: `https://<host>/m/<meetingId>#token=<joinToken>`. The token lives in the
 * fragment so it never reaches the server's access logs. Camera and microphone are only requested
 * after the user presses "Unirse" / "Join".
 */
import { Call, type CallState } from './call.ts';
import type { ConsumerStats } from './media.ts';
import { initLang, type AnyErrorCode } from './i18n.ts';
import { UI } from './ui.ts';

/**
 * Read-only debug hook for automated tests and the bench (`window.recinto`):
 * - `state`: 'idle' | 'joining' | 'joined' | 'error' | 'left'
 * - `participantId`: this participant's id once joined, else null
 * - `errorCode`: the server's ErrorCode or a client code (MEDIA_DENIED, CONNECTION_LOST, …) in
 *   state 'error', else null
 * - `stats()`: for every remote consumer, its inbound-rtp figures from `consumer.getStats()`:
 *   `{participantId, consumerId, producerId, kind, framesDecoded, bytesReceived, packetsReceived, frameWidth}`
 * It exposes no tokens and cannot change the call.
 */
export type RecintoDebug = {
  readonly state: CallState;
  readonly participantId: string | null;
  readonly errorCode: AnyErrorCode | null;
  stats(): Promise<ConsumerStats[]>;
};

declare global {
  interface Window {
    readonly recinto: RecintoDebug;
  }
}

const MEETING_PATH = /^\/m\/([a-z0-9]+(?:-[a-z0-9]+)*)\/?$/;
const NAME_KEY = 'recinto.displayName';

function meetingIdFromPath(pathname: string): string | null {
  const m = MEETING_PATH.exec(pathname);
  const id = m?.[1];
  return id !== undefined && id.length >= 3 && id.length <= 64 ? id : null;
}

/** Accepts a bare token or a pasted invitation link containing `#token=`. */
function tokenFrom(text: string): string {
  const hash = text.indexOf('#');
  const fragment = hash >= 0 ? text.slice(hash + 1) : text.includes('token=') ? text : '';
  if (fragment) {
    const fromFragment = new URLSearchParams(fragment).get('token');
    if (fromFragment) return fromFragment.trim();
  }
  return text.trim();
}

function start(): void {
  initLang();
  const ui = new UI();
  ui.applyTranslations();
  const call = new Call(ui);

  const debug: RecintoDebug = Object.freeze({
    get state() {
      return call.state;
    },
    get participantId() {
      return call.participantId;
    },
    get errorCode() {
      return call.errorCode;
    },
    stats: () => call.stats(),
  });
  Object.defineProperty(window, 'recinto', { value: debug, writable: false, configurable: false, enumerable: false });

  const meetingId = meetingIdFromPath(location.pathname);
  const fragmentToken = new URLSearchParams(location.hash.slice(1)).get('token');
  ui.setMeetingId(meetingId);
  ui.showTokenField(!fragmentToken);
  try {
    ui.nameInput.value = localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    // storage disabled
  }
  ui.setState('idle', null);
  ui.status('statusIdle');
  if (!meetingId) {
    ui.showError('NO_MEETING');
    ui.joinButton.disabled = true;
  }

  ui.joinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!meetingId) return;
    const form = ui.readJoinForm();
    const token = fragmentToken ?? tokenFrom(form.token);
    if (!token) {
      ui.showError('NO_TOKEN');
      ui.tokenInput.focus();
      return;
    }
    try {
      if (form.displayName) localStorage.setItem(NAME_KEY, form.displayName);
    } catch {
      // ignore
    }
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    void call.join({ wsUrl, meetingId, token, displayName: form.displayName || undefined });
  });
  ui.micButton.addEventListener('click', () => call.toggleMic());
  ui.cameraButton.addEventListener('click', () => call.toggleCamera());
  ui.leaveButton.addEventListener('click', () => void call.leave());
  window.addEventListener('pagehide', () => {
    if (call.state === 'joined' || call.state === 'joining') void call.leave();
  });
}

start();
