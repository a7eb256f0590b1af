/**
 * Entry point and router. The path picks the page (paths.ts); every page but /login needs a
 * finished sign-in (password, second factor, any required password change), otherwise the
 * browser goes to /login, which brings it back afterwards. The one exception is a meeting link
 * opened without any sign-in: it offers to enter as a guest (name and meeting password), or to
 * sign in as staff. A staff sign-in always wins over entering as a guest. Navigation between
 * pages is ordinary page loads: each page asks the server for the session itself.
 */
import { reportError } from './actions.ts';
import { api, type SessionView, type SignedIn } from './api.ts';
import type { Call, CallState } from './call/call.ts';
import { byId, retranslate, showError } from './dom.ts';
import type { AnyErrorCode } from './errors.ts';
import { getLang, initLang, isLang, setLang } from './i18n/translate.ts';
import type { ConsumerStats } from './media.ts';
import { loginUrl, routeOf, safeReturnPath } from './paths.ts';
import { showAccount } from './views/account.ts';
import { showAdmin } from './views/admin/console.ts';
import { showHome } from './views/home.ts';
import type { ShowView, ViewName } from './views/layout.ts';
import type { E2eeView } from './call/e2ee.ts';
import type { IceRoute } from './call/ice.ts';
import { showSignIn } from './views/login.ts';
import { showGuestMeeting, showMeeting } from './views/meeting-entry.ts';

/**
 * Read-only debug hook for automated tests and the bench (`window.recinto`):
 * - `view`: the view on screen ('login', 'second-factor', 'enrol', 'recovery-codes',
 *   'change-password', 'home', 'account', 'meeting', 'admin' (the console, or for a non-admin
 *   that they have no permission); 'loading' before the session is known)
 * - on the meeting page: `state` ('idle' | 'joining' | 'waiting' | 'joined' | 'error' | 'left' |
 *   'ended'), `participantId` once inside, `errorCode` in state 'error' (the server's code or a
 *   client one such as MEDIA_DENIED, CONNECTION_LOST, SESSION_ENDED, GUEST_SESSION_ENDED) or
 *   'ended' (DENIED, REMOVED, BANNED, MEETING_ENDED), `stats()`: the inbound-rtp figures of
 *   every remote consumer, `e2ee()`: the encryption status and frame counters (never keys), and
 *   `iceRoutes()`: each transport's selected candidate type (a relay through TURN, or direct).
 *   Elsewhere: 'idle', null, null, [].
 * It exposes no session secrets and cannot change anything.
 */
export type RecintoDebug = {
  readonly view: ViewName;
  readonly state: CallState;
  readonly participantId: string | null;
  readonly errorCode: AnyErrorCode | null;
  stats(): Promise<ConsumerStats[]>;
  /** End-to-end encryption: security code, who is keyed, and the transform Worker's frame counters. */
  e2ee(): Promise<E2eeView | null>;
  /** How each transport reaches the SFU: the selected local candidate's type (`host`, `srflx`, `relay` through TURN). */
  iceRoutes(): Promise<IceRoute[]>;
};

declare global {
  interface Window {
    readonly recinto: RecintoDebug;
  }
}

let currentView: ViewName = 'loading';
let call: Call | null = null;

function installDebugHook(): void {
  const debug: RecintoDebug = Object.freeze({
    get view() {
      return currentView;
    },
    get state() {
      return call?.state ?? 'idle';
    },
    get participantId() {
      return call?.participantId ?? null;
    },
    get errorCode() {
      return call?.errorCode ?? null;
    },
    stats: async () => (call ? call.stats() : []),
    e2ee: async () => (call ? call.e2eeStats() : null),
    iceRoutes: async () => (call ? call.iceRoutes() : []),
  });
  Object.defineProperty(window, 'recinto', { value: debug, writable: false, configurable: false, enumerable: false });
}

const show: ShowView = (name, ...content) => {
  currentView = name;
  document.body.dataset['view'] = name;
  showError(null);
  const root = byId('view');
  root.replaceChildren(...content);
  const target = root.querySelector<HTMLElement>('[data-autofocus]:not([disabled])') ?? root.querySelector<HTMLElement>('h1');
  target?.focus();
};

function wireLanguageSelector(): void {
  const select = byId<HTMLSelectElement>('lang-select');
  select.value = getLang();
  select.addEventListener('change', () => {
    if (!isLang(select.value)) return;
    setLang(select.value);
    retranslate();
  });
}

/** Signed in with every step done: may use meetings and the account page. */
function ready(session: SessionView): session is SignedIn {
  return session.signedIn && session.next === null;
}

async function start(): Promise<void> {
  initLang();
  retranslate();
  wireLanguageSelector();
  installDebugHook();

  const route = routeOf(location.pathname);
  if (!route) {
    location.replace('/');
    return;
  }
  let session: SessionView;
  try {
    session = await api('GET', '/api/session');
  } catch (err) {
    reportError(err);
    return;
  }
  const returnTo = safeReturnPath(new URLSearchParams(location.search).get('next')) ?? '/';
  if (route.page === 'login') {
    if (ready(session)) location.replace(returnTo);
    else showSignIn(show, session, returnTo);
    return;
  }
  if (route.page === 'meeting' && !session.signedIn) {
    call = showGuestMeeting(show, route.meetingId);
    return;
  }
  if (!ready(session)) {
    location.replace(loginUrl(location.pathname));
    return;
  }
  switch (route.page) {
    case 'home':
      return showHome(show, session);
    case 'account':
      return showAccount(show);
    case 'admin':
      return showAdmin(show, session);
    case 'meeting':
      call = showMeeting(show, session, route.meetingId);
  }
}

void start();
