/**
 * The current language and text lookup. Spanish is the default; English is chosen with
 * `?lang=en` or the language selector, and the choice is remembered in localStorage.
 */
import type { AnyErrorCode } from '../errors.ts';
import { en } from './en.ts';
import { es, type MessageKey } from './es.ts';

export type { MessageKey };

export const LANGS = ['es', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'recinto.lang';
const tables: Record<Lang, Record<MessageKey, string>> = { es, en };

let current: Lang = 'es';

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

/** Picks the language: `?lang=` first (and remembers it), then localStorage, then Spanish. */
export function initLang(search: string = location.search): Lang {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (isLang(fromUrl)) {
    setLang(fromUrl);
    return current;
  }
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage disabled: fall back to the default
  }
  current = isLang(stored) ? stored : 'es';
  document.documentElement.lang = current;
  return current;
}

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

export function getLang(): Lang {
  return current;
}

/** Translates a key, substituting `{name}`-style placeholders (as plain text). */
export function t(key: MessageKey, vars: Record<string, string> = {}): string {
  return tables[current][key].replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/** The message for an error code; a code this client does not know reads as INTERNAL. */
export function errorKey(code: AnyErrorCode): MessageKey {
  const key = `err_${code}` as const;
  return key in es ? key : 'err_INTERNAL';
}

/** A timestamp (ms) as date and time in the current language (`seconds`: to the second). */
export function formatDate(ms: number, seconds = false): string {
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' }).format(ms);
}
