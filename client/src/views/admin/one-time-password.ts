/**
 * A new account's (or a reset's) one-time password, shown once in a dialog: the password, a
 * copy button, and that it will not be shown again. The person changes it at first sign-in.
 */
import type { AdminUser } from '../../../../protocol/admin.ts';
import { announce, h } from '../../dom.ts';

export function showOneTimePassword(user: AdminUser, password: string, heading: 'otpHeadingCreated' | 'otpHeadingReset'): Promise<void> {
  document.getElementById('otp-dialog')?.remove();
  const copy = h('button', { id: 'otp-copy', class: 'copy', text: 'copyPassword', attrs: { type: 'button' } });
  const done = h('button', { id: 'otp-done', class: 'primary', text: 'otpDone', attrs: { type: 'submit' } });
  const dialog = h('dialog', { id: 'otp-dialog', class: 'dialog', attrs: { 'aria-labelledby': 'otp-heading', 'aria-describedby': 'otp-warning' } }, [
    h('form', { attrs: { method: 'dialog' } }, [
      h('h2', { id: 'otp-heading', text: [heading, { name: user.displayName }] }),
      h('dl', { class: 'facts' }, [
        h('dt', { text: 'usernameLabel' }),
        h('dd', {}, [h('code', { id: 'otp-username', plain: user.username })]),
        h('dt', { text: 'otpLabel' }),
        h('dd', {}, [h('code', { id: 'otp-password', class: 'password', plain: password }), copy]),
      ]),
      h('p', { id: 'otp-warning', class: 'warning-text', text: 'otpWarning' }),
      h('div', { class: 'dialog-buttons' }, [done]),
    ]),
  ]);
  copy.addEventListener('click', () => {
    navigator.clipboard.writeText(password).then(
      () => announce('statusPasswordCopied'),
      // No clipboard permission (or none at all): it is on screen to copy by hand.
      () => announce('otpCopyFailed'),
    );
  });
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        dialog.remove();
        resolve();
      },
      { once: true },
    );
    dialog.showModal();
    copy.focus();
  });
}
