/**
 * Pieces the console's sections share: how an action runs (busy, its error next to it or in the
 * alert region, a cancelled step-up silent), a section's frame, small renderers.
 */
import { reportError, runBusy, signInAgain } from '../../actions.ts';
import { ApiError, needsSignIn } from '../../api.ts';
import { h, translate, type Text } from '../../dom.ts';
import type { AnyErrorCode } from '../../errors.ts';
import { errorKey, type MessageKey } from '../../i18n/translate.ts';

/** The console's sections, in the order of its navigation; each is `/admin#<id>`. */
export const SECTION_IDS = ['users', 'policy', 'meetings', 'audit', 'system'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** A section of the console: its content, and what it does when shown and when left. */
export interface AdminSection {
  readonly id: SectionId;
  readonly element: HTMLElement;
  /** Shown: load (or reload) what it displays, start its timers. */
  enter(): void;
  /** Hidden: stop its timers. */
  leave(): void;
}

/** A section's frame: its heading (focused when the section is chosen) and content. */
export function sectionFrame(id: SectionId, heading: MessageKey, children: readonly (Node | null)[]): HTMLElement {
  const headingId = `admin-${id}-heading`;
  return h('section', { id: `admin-${id}`, class: 'admin-section', attrs: { 'aria-labelledby': headingId } }, [
    h('h2', { id: headingId, text: heading, attrs: { tabindex: '-1' } }),
    ...children,
  ]);
}

/** Where a form's or a list's refusals are shown, next to it (an alert, so it is read out). */
export function errorSlot(id: string): HTMLElement {
  return h('p', { id, class: 'error form-error', attrs: { role: 'alert' } });
}

/** Says what went wrong in `slot`, or clears it (null). */
export function showIn(slot: HTMLElement, text: Text | null): void {
  if (text) slot.replaceChildren(h('span', { text: 'errorPrefix' }), ' ', h('span', { text }));
  else slot.replaceChildren();
}

export type Rename = (code: AnyErrorCode) => MessageKey | null;

/**
 * Runs one console action: `busy` is marked (no double submits) and `trigger` disabled while it
 * runs; a refusal is shown in `slot` (or the alert region without one), in the words `rename`
 * gives it there; a sign-in that no longer holds goes back to the sign-in page.
 */
export function runAction(
  trigger: HTMLButtonElement | null,
  busy: HTMLElement,
  slot: HTMLElement | null,
  work: () => Promise<void>,
  rename: Rename = () => null,
): Promise<void> {
  if (slot && busy.getAttribute('aria-busy') !== 'true') showIn(slot, null);
  return runBusy(trigger, busy, work, (err) => {
    if (!slot) return reportError(err);
    if (!(err instanceof ApiError)) console.error(err);
    const code = err instanceof ApiError ? err.code : 'INTERNAL';
    showIn(slot, rename(code) ?? errorKey(code));
  });
}

export function onAction(button: HTMLButtonElement, work: () => Promise<void>, slot: HTMLElement | null = null): void {
  button.addEventListener('click', () => void runAction(button, button, slot, work));
}

export function onFormSubmit(form: HTMLFormElement, slot: HTMLElement, work: () => Promise<void>, rename?: Rename): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction(form.querySelector<HTMLButtonElement>('button[type="submit"]'), form, slot, work, rename);
  });
}

/** A plain button (never submits a form). */
export function button(text: Text, options: { id?: string; class?: string; label?: Text } = {}): HTMLButtonElement {
  return h('button', { text, attrs: { type: 'button' }, ...options });
}

/** A labelled select of translated options. */
export function select(id: string, options: readonly (readonly [string, MessageKey])[]): HTMLSelectElement {
  return h(
    'select',
    { id, attrs: { name: id } },
    options.map(([value, text]) => h('option', { text, attrs: { value } })),
  );
}

/** A definition list of translated terms and their values. */
export function details(className: string, rows: readonly (readonly [MessageKey, Node | string])[]): HTMLDListElement {
  return h(
    'dl',
    { class: `facts ${className}` },
    rows.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', {}, [typeof value === 'string' ? document.createTextNode(value) : value])]),
  );
}

/** Text from data or punctuation, as a text node. */
export function plainText(text: string): Node {
  return document.createTextNode(text);
}

/** A translated text in a span. */
export function textSpan(text: Text, className?: string): HTMLSpanElement {
  return h('span', { text, ...(className ? { class: className } : {}) });
}

/** Sets a translated text on an element that already exists. */
export function setText(el: HTMLElement, text: Text): void {
  translate(el, 'text', text);
}

/** A date and time, machine-readable too. */
export function timeElement(ms: number, seconds = false): HTMLTimeElement {
  return h('time', { text: ['dateValue', { date: seconds ? { date: ms, seconds } : { date: ms } }], attrs: { datetime: new Date(ms).toISOString() } });
}

/** Bytes in the largest unit that keeps the figure readable. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Calls `tick` every `ms` until stopped; a tick that is still running is not started again. */
export function every(ms: number, tick: () => Promise<void>): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch((err: unknown) => {
        if (needsSignIn(err)) signInAgain();
      })
      .finally(() => (running = false));
  }, ms);
  return { stop: () => clearInterval(timer) };
}
