/** Pieces every view is made of: a titled panel, labelled fields, the signed-in navigation. */
import { onClick } from '../actions.ts';
import { api } from '../api.ts';
import { h, type Text } from '../dom.ts';
import type { MessageKey } from '../i18n/translate.ts';

/** A panel with the view's main heading; `headingId` labels the region. */
export function card(headingId: string, heading: Text, children: readonly (Node | null)[], options: { wide?: boolean; className?: string } = {}): HTMLElement {
  const className = ['card', options.wide ? 'wide' : '', options.className ?? ''].filter(Boolean).join(' ');
  return h('section', { class: className, attrs: { 'aria-labelledby': headingId } }, [
    h('h1', { id: headingId, text: heading, attrs: { tabindex: '-1' } }),
    ...children,
  ]);
}

/** A sub-section inside a card, with its own heading. */
export function section(headingId: string, heading: Text, children: readonly (Node | null)[]): HTMLElement {
  return h('section', { class: 'part', attrs: { 'aria-labelledby': headingId } }, [h('h2', { id: headingId, text: heading }), ...children]);
}

/** A labelled input; a hint is linked to it as its description. */
export function field(input: HTMLInputElement, label: MessageKey, hint?: MessageKey): HTMLElement {
  const hintEl = hint ? h('p', { id: `${input.id}-hint`, class: 'hint', text: hint }) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, [h('label', { text: label, attrs: { for: input.id } }), input, hintEl]);
}

export function checkbox(id: string, label: MessageKey): { row: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { id, attrs: { type: 'checkbox' } });
  return { input, row: h('div', { class: 'check' }, [input, h('label', { text: label, attrs: { for: id } })]) };
}

export function submitButton(id: string, text: MessageKey): HTMLButtonElement {
  return h('button', { id, class: 'primary', text, attrs: { type: 'submit' } });
}

function signOutButton(): HTMLButtonElement {
  const button = h('button', { id: 'sign-out', text: 'signOut', attrs: { type: 'button' } });
  onClick(button, async () => {
    await api('POST', '/api/auth/logout');
    location.assign('/login');
  });
  return button;
}

/**
 * Links between the signed-in pages, and sign-out. The current page is marked for assistive tech.
 * `admin`: the account is an administrator, with a link to the console.
 */
export function navBar(current: 'home' | 'account' | 'meeting' | 'admin', options: { admin?: boolean } = {}): HTMLElement {
  const link = (href: string, text: MessageKey, page: typeof current) =>
    h('li', {}, [h('a', { text, attrs: { href, 'aria-current': current === page ? 'page' : false } })]);
  return h('nav', { class: 'nav', label: 'mainNav' }, [
    h('ul', {}, [
      link('/', 'myMeetings', 'home'),
      link('/account', 'myAccount', 'account'),
      options.admin ? link('/admin', 'adminHeading', 'admin') : null,
      h('li', {}, [signOutButton()]),
    ]),
  ]);
}

/** The view names `window.recinto.view` reports (each sign-in step is a view of /login). */
export type ViewName = 'loading' | 'login' | 'second-factor' | 'enrol' | 'recovery-codes' | 'change-password' | 'home' | 'account' | 'meeting' | 'admin';

/**
 * Replaces the page's content with a view, clears old messages and focuses the element marked
 * `data-autofocus`, if any (so each sign-in step starts in its input).
 */
export type ShowView = (name: ViewName, ...content: Node[]) => void;
