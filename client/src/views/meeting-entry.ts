/**
 * Opening the meeting page: for a signed-in account (join as yourself) or without a sign-in (the
 * guest form: a guest session from the name and the meeting password, then join, always into the
 * waiting room). Leaving the page leaves the call.
 */
import { api, ApiError, type SignedIn } from '../api.ts';
import type { Call } from '../call/call.ts';
import { announce, showError } from '../dom.ts';
import { enterAsGuest, validDisplayName } from '../guest.ts';
import { navBar, type ShowView } from './layout.ts';
import { MeetingView } from './meeting.ts';

/** The sign-in still allows meetings (checked when the signalling socket was refused). */
async function stillSignedIn(): Promise<boolean> {
  try {
    const session = await api('GET', '/api/session');
    return session.signedIn && session.next === null;
  } catch {
    return true; // the server is unreachable: that is a connection problem, not a sign-out
  }
}

/**
 * The guest session still holds (checked when the signalling socket was refused). The guest
 * cookie is HttpOnly and only opens the socket: a server that answers but refused the socket has
 * ended the guest's access.
 */
async function guestStillAdmitted(): Promise<boolean> {
  try {
    await api('GET', '/api/session');
    return false;
  } catch {
    return true; // the server is unreachable: that is a connection problem
  }
}

function signalingUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** The meeting page for a signed-in account. */
export function showMeeting(show: ShowView, session: SignedIn, meetingId: string | null): Call {
  const view = new MeetingView(meetingId, { guest: false, displayName: session.user.displayName });
  show('meeting', navBar('meeting', { admin: session.user.role === 'admin' }), view.joinPanel, view.waitingPanel, view.callPanel);
  return start(view, meetingId, () => {
    void view.call.join({ wsUrl: signalingUrl(), meetingId: meetingId!, stillSignedIn });
  });
}

/**
 * The meeting page without a sign-in: the guest form, and a way for staff to sign in instead.
 * "Unirse" opens a guest session with the name and the meeting password, then joins (guests
 * always wait until a host admits them; camera and microphone only once admitted).
 */
export function showGuestMeeting(show: ShowView, meetingId: string | null): Call {
  const view = new MeetingView(meetingId, { guest: true });
  show('meeting', view.joinPanel, view.waitingPanel, view.callPanel);
  const { joinForm: form, joinButton: button, guestName: name, guestPassword: password } = view;
  return start(view, meetingId, async () => {
    if (form.getAttribute('aria-busy') === 'true') return;
    showError(null);
    const displayName = name.value.trim();
    if (!validDisplayName(displayName)) {
      showError('INVALID_NAME');
      name.focus();
      return;
    }
    form.setAttribute('aria-busy', 'true');
    button.disabled = true;
    try {
      await enterAsGuest(meetingId!, displayName, password.value);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : 'INTERNAL';
      if (code === 'INTERNAL') console.error('[guest]', err);
      announce(null);
      const wait = err instanceof ApiError ? err.retryAfterSeconds : undefined;
      if (code === 'TOO_MANY_ATTEMPTS' && wait !== undefined) showError(code, ['errGuestWait', { seconds: String(wait) }]);
      else showError(code === 'INVALID_CREDENTIALS' ? 'MEETING_PASSWORD_WRONG' : code);
      if (code === 'INVALID_CREDENTIALS') {
        password.value = '';
        password.focus();
      }
      button.disabled = false;
      return;
    } finally {
      form.removeAttribute('aria-busy');
    }
    name.value = displayName;
    void view.call.join({ wsUrl: signalingUrl(), meetingId: meetingId!, stillSignedIn: guestStillAdmitted, sessionEndedCode: 'GUEST_SESSION_ENDED' });
  });
}

/** Wires the page: "Unirse" (the form's submit) runs `join`; leaving the page leaves the call. */
function start(view: MeetingView, meetingId: string | null, join: () => void | Promise<void>): Call {
  const call = view.call;
  view.setState('idle', null);
  view.update();
  if (!meetingId) {
    showError('NO_MEETING');
    view.joinButton.disabled = true;
    return call;
  }
  announce('statusIdle');
  view.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void join();
  });
  window.addEventListener('pagehide', () => {
    if (call.state === 'joined' || call.state === 'joining' || call.state === 'waiting') void call.leave();
  });
  return call;
}
