/**
 * What a session's browser string says in plain words — browser and version, system — for the
 * account's list of open sessions ("Chrome 156 en Linux", not a 120-character User-Agent). The
 * string is the browser's own claim: shown to help a person recognise their sessions, never
 * trusted for anything else. Parsed with bowser (MIT).
 */
import Bowser from 'bowser';
import type { SessionDevice } from '../../protocol/http.ts';

export function describeDevice(userAgent: string | null): SessionDevice {
  if (!userAgent) return { browser: null, system: null, mobile: false };
  const parsed = Bowser.parse(userAgent);
  const major = parsed.browser.version?.split('.')[0];
  const browser = parsed.browser.name ? `${parsed.browser.name}${major ? ` ${major}` : ''}` : null;
  const osVersion = parsed.os.versionName ?? parsed.os.version;
  const system = parsed.os.name ? `${parsed.os.name}${osVersion ? ` ${osVersion}` : ''}` : null;
  const type = parsed.platform.type;
  return { browser: browser?.slice(0, 64) ?? null, system: system?.slice(0, 64) ?? null, mobile: type === 'mobile' || type === 'tablet' };
}
