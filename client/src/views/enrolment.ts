/**
 * Setting up the second factor at first sign-in: the QR code and the same secret as text, a code
 * from the app to confirm, then the recovery codes, shown once. The recovery-code panel is also
 * used on the account page when new codes are generated.
 */
import { onSubmit } from '../actions.ts';
import { api, type SignedIn } from '../api.ts';
import { h } from '../dom.ts';
import { card, checkbox, field, submitButton, type ShowView } from './layout.ts';

/**
 * The server's QR code is an SVG document: shown as an image from a data: URL, never inserted
 * as markup (an image cannot run script or pick up the page's styles).
 */
function svgImageUrl(svg: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(svg)) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** Base32 in groups of four, easier to read and type; authenticator apps ignore the spaces. */
function groupsOfFour(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

/** A one-time code input: six digits, offered to autofill from the OS where it can. */
export function totpInput(id: string): HTMLInputElement {
  return h('input', {
    id,
    attrs: {
      type: 'text',
      name: 'code',
      inputmode: 'numeric',
      pattern: '[0-9]{6}',
      maxlength: '6',
      autocomplete: 'one-time-code',
      required: true,
      'data-autofocus': true,
    },
  });
}

export async function showEnrolment(show: ShowView, startOver: HTMLElement, done: (view: SignedIn, recoveryCodes: string[]) => void): Promise<void> {
  show('enrol', card('enrol-heading', 'enrolHeading', [h('p', { text: 'loading' })]));
  const enrolment = await api('POST', '/api/auth/enrol/start');
  const code = totpInput('enrol-code');
  const form = h('form', { id: 'enrol-form' }, [field(code, 'codeLabel', 'enrolCodeHint'), submitButton('enrol-submit', 'activateButton')]);
  onSubmit(form, async () => {
    const confirmed = await api('POST', '/api/auth/enrol/confirm', { code: code.value.trim() });
    done(confirmed, confirmed.recoveryCodes);
  });
  show(
    'enrol',
    card('enrol-heading', 'enrolHeading', [
      h('p', { text: 'enrolIntro' }),
      h('img', { id: 'enrol-qr', class: 'qr', alt: 'qrAlt', attrs: { src: svgImageUrl(enrolment.qrSvg), width: '240', height: '240' } }),
      h('p', { text: 'secretLabel' }),
      h('p', { class: 'secret' }, [h('code', { id: 'enrol-secret', plain: groupsOfFour(enrolment.secret) })]),
      form,
      startOver,
    ]),
  );
}

/** The codes, once, and a confirmation that they were saved before going on. */
export function recoveryCodesPanel(idPrefix: string, codes: readonly string[], onSaved: () => void): HTMLElement {
  const saved = checkbox(`${idPrefix}-saved`, 'recoverySaved');
  const next = h('button', { id: `${idPrefix}-continue`, class: 'primary', text: 'continueButton', attrs: { type: 'button', disabled: true } });
  saved.input.addEventListener('change', () => (next.disabled = !saved.input.checked));
  next.addEventListener('click', onSaved);
  return h('div', { class: 'recovery' }, [
    h('p', { text: 'recoveryIntro' }),
    h(
      'ol',
      { id: `${idPrefix}-list`, class: 'codes', label: 'recoveryCodesList', attrs: { tabindex: '-1' } },
      codes.map((c) => h('li', {}, [h('code', { plain: c })])),
    ),
    saved.row,
    next,
  ]);
}
