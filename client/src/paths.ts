/**
 * The client's pages and where sign-in may send people back to. The server serves index.html
 * for each of these paths; the client picks the view from the path.
 */

export type Route =
  | { page: 'login' }
  | { page: 'home' }
  | { page: 'account' }
  /** The admin console (its section is the fragment: `/admin#audit`). */
  | { page: 'admin' }
  /** `meetingId` is null when the path does not hold a valid meeting id. */
  | { page: 'meeting'; meetingId: string | null };

/** The protocol's MeetingId: dash-separated groups of lowercase letters and digits, 3–64 long. */
const MEETING_PATH = /^\/m\/([a-z0-9]+(?:-[a-z0-9]+)*)\/?$/;

export function meetingPath(meetingId: string): string {
  return `/m/${meetingId}`;
}

function meetingIdFromPath(pathname: string): string | null {
  const id = MEETING_PATH.exec(pathname)?.[1];
  return id !== undefined && id.length >= 3 && id.length <= 64 ? id : null;
}

export function routeOf(pathname: string): Route | null {
  if (pathname === '/') return { page: 'home' };
  if (pathname === '/login') return { page: 'login' };
  if (pathname === '/account') return { page: 'account' };
  if (pathname === '/admin') return { page: 'admin' };
  if (pathname.startsWith('/m/')) return { page: 'meeting', meetingId: meetingIdFromPath(pathname) };
  return null;
}

/**
 * Where sign-in may return to: only a meeting page or the account page of this site. Anything
 * else (another origin, `//host`, odd paths) is refused, so a crafted link cannot send someone
 * who just signed in to a look-alike site.
 */
export function safeReturnPath(candidate: string | null): string | null {
  if (candidate === '/account') return candidate;
  const meetingId = candidate !== null && candidate.startsWith('/m/') ? meetingIdFromPath(candidate) : null;
  return meetingId ? meetingPath(meetingId) : null;
}

/** The sign-in page, returning to `returnTo` afterwards when that is allowed. */
export function loginUrl(returnTo?: string): string {
  const safe = safeReturnPath(returnTo ?? null);
  return safe ? `/login?next=${encodeURIComponent(safe)}` : '/login';
}
