/**
 * Guests: people without an account who enter one meeting with its password. The server answers
 * with a guest session (an HttpOnly cookie that opens the signalling socket for that meeting only)
 * and a device token, which this browser keeps and sends on every later entry, so hosts can be
 * told that someone they removed is back. A guest always waits until a host admits them.
 */
import { api, type GuestEntry } from './api.ts';

const DEVICE_TOKEN_KEY = 'recinto.deviceToken';

/** The protocol's DisplayName: 1–64 characters, no control or format characters, no outer spaces. */
const DISPLAY_NAME = /^(?!\s)[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]*(?<!\s)$/u;

export function validDisplayName(name: string): boolean {
  const length = [...name].length;
  return length >= 1 && length <= 64 && DISPLAY_NAME.test(name);
}

function storedDeviceToken(): string | null {
  try {
    return localStorage.getItem(DEVICE_TOKEN_KEY);
  } catch {
    return null; // storage disabled: the server hands out a new one each time
  }
}

function storeDeviceToken(token: string): void {
  try {
    localStorage.setItem(DEVICE_TOKEN_KEY, token);
  } catch {
    // storage disabled
  }
}

/**
 * Opens a guest session for `meetingId`. Rejects with an ApiError: INVALID_CREDENTIALS (no such
 * meeting or wrong password: the server does not say which), GUESTS_NOT_ALLOWED, RATE_LIMITED,
 * TOO_MANY_ATTEMPTS, INVALID_BODY.
 */
export async function enterAsGuest(meetingId: string, displayName: string, password: string): Promise<GuestEntry> {
  const deviceToken = storedDeviceToken();
  const entry = await api('POST', `/api/meetings/${meetingId}/guest`, { displayName, password, ...(deviceToken ? { deviceToken } : {}) });
  storeDeviceToken(entry.deviceToken);
  return entry;
}
