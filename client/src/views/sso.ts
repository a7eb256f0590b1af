/**
 * Single sign-on on the login page (docs/sso.md): "Entrar con <label>" when the server offers it
 * (`GET /api/auth/oidc`), a plain link that starts the provider's sign-in (a page load, not a
 * fetch: the browser goes to the provider and comes back to /login), and the message for a
 * refused sign-in, which the server sends back as `/login?sso=CODE`.
 */
import { api } from '../api.ts';
import { h, showError } from '../dom.ts';
import { ErrorCode } from '../../../protocol/errors.ts';

/** The SSO button and the words that lead to the password form; empty (hidden) until the server says SSO is on. */
export function ssoOffer(returnTo: string): HTMLElement {
  const offer = h('div', { id: 'sso-offer', class: 'sso', hidden: true });
  api('GET', '/api/auth/oidc')
    .then((info) => {
      if (!info.enabled) return;
      const start = returnTo === '/' ? '/api/auth/oidc/start' : `/api/auth/oidc/start?next=${encodeURIComponent(returnTo)}`;
      offer.replaceChildren(
        h('a', { id: 'sso-start', class: 'button primary', text: ['ssoButton', { label: info.label }], attrs: { href: start } }),
        ...(info.available ? [] : [h('p', { class: 'hint', text: ['ssoUnavailableNote', { label: info.label }] })]),
        h('p', { class: 'hint', text: 'ssoOr' }),
      );
      offer.hidden = false;
    })
    .catch((err: unknown) => console.error(err));
  return offer;
}

/** A refused sign-in's message, from `?sso=CODE` (a code the server uses for that), once: the parameter leaves the address. */
export function showSsoRefusal(): void {
  const url = new URL(location.href);
  const code = url.searchParams.get('sso');
  if (code === null) return;
  url.searchParams.delete('sso');
  history.replaceState(null, '', url.pathname + url.search);
  if (Object.hasOwn(ErrorCode, code)) showError(code as ErrorCode);
}
