/**
 * /login: the sign-in steps, one after the other on the same page — password; then the second
 * factor (authenticator code or recovery code) or, at first sign-in, enrolment and the recovery
 * codes; then a required password change — and finally back to where the person was going.
 * The server says which step is next (`next` in every session view); the client only follows.
 */
import { onClick, onSubmit, reportError } from '../actions.ts';
import { api, type SessionView } from '../api.ts';
import { h, translate } from '../dom.ts';
import { recoveryCodesPanel, showEnrolment, totpInput } from './enrolment.ts';
import { card, field, submitButton, type ShowView } from './layout.ts';
import { passwordForm } from './password-form.ts';
import { showSsoRefusal, ssoOffer } from './sso.ts';

export function showSignIn(show: ShowView, session: SessionView, returnTo: string): void {
  const proceed = (view: SessionView): void => {
    if (!view.signedIn) return passwordStep(show, proceed, returnTo);
    switch (view.next) {
      case 'second-factor':
        return secondFactorStep(show, proceed);
      case 'enrol':
        showEnrolment(show, startOverButton(proceed), (enrolled, codes) => recoveryCodesStep(show, codes, () => proceed(enrolled))).catch(reportError);
        return;
      case 'change-password':
        return changePasswordStep(show, view.user.username, proceed);
      case null:
        location.assign(returnTo);
    }
  };
  proceed(session);
}

type Proceed = (view: SessionView) => void;

function passwordStep(show: ShowView, proceed: Proceed, returnTo: string): void {
  const username = h('input', {
    id: 'login-username',
    attrs: {
      type: 'text',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      maxlength: '64',
      required: true,
      'data-autofocus': true,
    },
  });
  const password = h('input', {
    id: 'login-password',
    attrs: { type: 'password', name: 'password', autocomplete: 'current-password', maxlength: '128', required: true },
  });
  const form = h('form', { id: 'login-form' }, [
    field(username, 'usernameLabel'),
    field(password, 'passwordLabel'),
    submitButton('login-submit', 'signInButton'),
  ]);
  onSubmit(form, async () => proceed(await api('POST', '/api/auth/login', { username: username.value.trim(), password: password.value })));
  show('login', card('login-heading', 'signInHeading', [ssoOffer(returnTo), form]));
  showSsoRefusal();
}

function secondFactorStep(show: ShowView, proceed: Proceed): void {
  const code = totpInput('second-factor-code');
  const recovery = h('input', {
    id: 'second-factor-recovery',
    attrs: { type: 'text', name: 'recoveryCode', autocomplete: 'off', spellcheck: 'false', maxlength: '32', required: true, disabled: true },
  });
  const codeRow = field(code, 'codeLabel');
  const recoveryRow = field(recovery, 'recoveryCodeLabel');
  recoveryRow.hidden = true;
  // Disabled inputs are neither validated nor sent: only the visible kind of code counts.
  const useRecovery = (yes: boolean) => {
    recoveryRow.hidden = recovery.disabled = !yes;
    codeRow.hidden = code.disabled = yes;
    translate(toggle, 'text', yes ? 'useAuthenticatorCode' : 'useRecoveryCode');
    (yes ? recovery : code).focus();
  };
  const toggle = h('button', { id: 'second-factor-toggle', class: 'link', text: 'useRecoveryCode', attrs: { type: 'button' } });
  toggle.addEventListener('click', () => useRecovery(code.disabled === false));

  const form = h('form', { id: 'second-factor-form' }, [
    h('p', { text: 'secondFactorIntro' }),
    codeRow,
    recoveryRow,
    submitButton('second-factor-submit', 'verifyButton'),
    toggle,
  ]);
  onSubmit(form, async () => {
    const input = code.disabled ? recovery : code;
    const body = code.disabled ? { recoveryCode: recovery.value.trim() } : { code: code.value.trim() };
    try {
      proceed(await api('POST', '/api/auth/second-factor', body));
    } catch (err) {
      // Stay on this step, ready for the next attempt.
      input.value = '';
      input.focus();
      throw err;
    }
  });
  show('second-factor', card('second-factor-heading', 'secondFactorHeading', [form, startOverButton(proceed)]));
}

function recoveryCodesStep(show: ShowView, codes: readonly string[], then: () => void): void {
  show('recovery-codes', card('recovery-heading', 'recoveryHeading', [recoveryCodesPanel('recovery', codes, then)]));
}

function changePasswordStep(show: ShowView, username: string, proceed: Proceed): void {
  const form = passwordForm('change-password', username, proceed, { autofocus: true });
  show('change-password', card('change-password-heading', 'changePasswordHeading', [h('p', { text: 'changePasswordIntro' }), form]));
}

/** Leaves a half-done sign-in (wrong account, no phone at hand) and starts again. */
function startOverButton(proceed: Proceed): HTMLButtonElement {
  const button = h('button', { id: 'start-over', class: 'link', text: 'startOver', attrs: { type: 'button' } });
  onClick(button, async () => proceed(await api('POST', '/api/auth/logout')));
  return button;
}
