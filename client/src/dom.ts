/**
 * Building the page: a small element builder, translated texts that follow language changes, and
 * the two message regions (polite status, assertive error). Text from the server (names, titles)
 * is only ever set as text, never parsed as HTML.
 */
import type { AnyErrorCode } from './errors.ts';
import { errorKey, formatDate, t, type MessageKey } from './i18n/translate.ts';

/** Placeholder values; a `{ date }` (ms) is formatted in the language current at rendering (`seconds`: with the seconds). */
export type Vars = Record<string, string | { date: number; seconds?: true }>;
/** A translatable text: a key, or a key with placeholder values. */
export type Text = MessageKey | readonly [MessageKey, Vars];

/** Where a translated text goes: the content, the accessible name, or an image's alt text. */
type Target = 'text' | 'aria-label' | 'alt';
const TARGETS: readonly Target[] = ['text', 'aria-label', 'alt'];

function render(key: MessageKey, vars: Vars): string {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) plain[k] = typeof v === 'string' ? v : formatDate(v.date, v.seconds);
  return t(key, plain);
}

function put(el: HTMLElement, target: Target, value: string): void {
  if (target === 'text') el.textContent = value;
  else el.setAttribute(target, value);
}

/** Sets a translated text and remembers its key, so `retranslate()` can render it again. */
export function translate(el: HTMLElement, target: Target, text: Text): void {
  const [key, vars] = typeof text === 'string' ? [text, {}] : text;
  el.setAttribute(`data-i18n-${target}`, key);
  if (Object.keys(vars).length > 0) el.setAttribute(`data-i18n-${target}-vars`, JSON.stringify(vars));
  else el.removeAttribute(`data-i18n-${target}-vars`);
  put(el, target, render(key, vars));
}

/** Renders every translated text of the page again, in the current language. */
export function retranslate(): void {
  document.title = t('appTitle');
  for (const target of TARGETS) {
    for (const el of document.querySelectorAll<HTMLElement>(`[data-i18n-${target}]`)) {
      const key = el.getAttribute(`data-i18n-${target}`) as MessageKey;
      const vars = JSON.parse(el.getAttribute(`data-i18n-${target}-vars`) ?? '{}') as Vars;
      put(el, target, render(key, vars));
    }
  }
}

export interface Props {
  id?: string;
  class?: string;
  hidden?: boolean;
  /** Translated content. */
  text?: Text;
  /** Content from data (a name, a title), set as text. */
  plain?: string;
  /** Translated accessible name. */
  label?: Text;
  alt?: Text;
  /** Other attributes: `true` sets an empty attribute, `false` leaves it out. */
  attrs?: Record<string, string | boolean>;
}

type Child = Node | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.id) el.id = props.id;
  if (props.class) el.className = props.class;
  if (props.hidden) el.hidden = true;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== false) el.setAttribute(name, value === true ? '' : value);
  }
  if (props.text) translate(el, 'text', props.text);
  if (props.plain !== undefined) el.textContent = props.plain;
  if (props.label) translate(el, 'aria-label', props.label);
  if (props.alt) translate(el, 'alt', props.alt);
  for (const child of children) if (child) el.append(child);
  return el;
}

export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

// ---------------------------------------------------------------------------------------------
// Message regions (in index.html, shared by every view)

/** Says something in the polite live region; null clears it. */
export function announce(text: Text | null): void {
  const el = byId('status');
  if (text) translate(el, 'text', text);
  else {
    el.removeAttribute('data-i18n-text');
    el.textContent = '';
  }
}

/** Shows an error in the alert region (prefix + the code's message); null clears it. */
export function showError(code: AnyErrorCode | null, detail?: Text): void {
  const el = byId('error');
  if (code) el.replaceChildren(h('span', { text: 'errorPrefix' }), ' ', h('span', { text: detail ?? errorKey(code) }));
  else el.replaceChildren();
}

/** Shows something the person must know at once (not an error of theirs) in the alert region; null clears it. */
export function showAlert(text: Text | null): void {
  const el = byId('error');
  if (text) el.replaceChildren(h('span', { text }));
  else el.replaceChildren();
}
