/**
 * The change-password form: at first sign-in (one-time password) and on the account page.
 * The server's policy decides what is acceptable (WEAK_PASSWORD); the client only checks that the
 * new password was typed the same twice.
 */
import { onSubmit } from '../actions.ts';
import { api, type SignedIn } from '../api.ts';
import { h, showError } from '../dom.ts';
import { field, submitButton } from './layout.ts';

export function passwordForm(idPrefix: string, username: string, onChanged: (view: SignedIn) => void, options: { autofocus?: boolean } = {}): HTMLFormElement {
  const input = (name: string, autocomplete: string) =>
    h('input', { id: `${idPrefix}-${name}`, attrs: { type: 'password', name, autocomplete, required: true, maxlength: '128' } });
  const current = input('current', 'current-password');
  const fresh = input('new', 'new-password');
  const repeat = input('repeat', 'new-password');
  if (options.autofocus) current.setAttribute('data-autofocus', '');
  const form = h('form', { id: `${idPrefix}-form` }, [
    // Tells password managers whose password this is, so they store the new one for that account.
    h('input', { attrs: { type: 'text', name: 'username', autocomplete: 'username', value: username, hidden: true, readonly: true } }),
    field(current, 'currentPasswordLabel'),
    field(fresh, 'newPasswordLabel', 'newPasswordHint'),
    field(repeat, 'repeatPasswordLabel'),
    submitButton(`${idPrefix}-submit`, 'changePasswordButton'),
  ]);
  onSubmit(
    form,
    async () => {
      if (fresh.value !== repeat.value) {
        showError('PASSWORD_MISMATCH');
        repeat.focus();
        return;
      }
      const view = await api('POST', '/api/account/password', { currentPassword: current.value, newPassword: fresh.value });
      form.reset();
      onChanged(view);
    },
    // Here the username is not in question: only the current password can be wrong.
    (code) => (code === 'INVALID_CREDENTIALS' ? 'CURRENT_PASSWORD_WRONG' : code),
  );
  return form;
}
