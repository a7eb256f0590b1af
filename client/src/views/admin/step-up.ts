/**
 * The step-up, in one place for the whole console: a sensitive action (reset 2FA, change a role,
 * the organisation policy, end a meeting) the server answers with STEP_UP_REQUIRED opens a
 * dialog asking for a fresh code of the admin's authenticator app; the code goes to
 * `POST /api/admin/step-up` (valid five minutes for this session), then the action is tried once
 * more. A wrong code is said in the dialog, which stays open for another; Cancel (or Escape)
 * closes it and nothing is done.
 */
import { api, ApiError } from '../../api.ts';
import { h } from '../../dom.ts';
import { errorKey } from '../../i18n/translate.ts';
import { totpInput } from '../enrolment.ts';
import { errorSlot, showIn } from './parts.ts';

/** Refusals of the code itself: said in the dialog, which stays open for another code. */
const CODE_REFUSALS: ReadonlySet<string> = new Set(['INVALID_CODE', 'CODE_ALREADY_USED', 'INVALID_BODY', 'TOO_MANY_ATTEMPTS', 'RATE_LIMITED']);

function isStepUpRequired(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'STEP_UP_REQUIRED';
}

/**
 * Asks for the code and sends it. Resolves true once the server took it, false when cancelled;
 * rejects with any other refusal (a sign-in that ended, a lost connection).
 */
export function askStepUp(): Promise<boolean> {
  document.getElementById('step-up')?.remove();
  const code = totpInput('step-up-code');
  code.setAttribute('aria-describedby', 'step-up-intro');
  const error = errorSlot('step-up-error');
  const cancel = h('button', { id: 'step-up-cancel', text: 'cancel', attrs: { type: 'button' } });
  const confirm = h('button', { id: 'step-up-confirm', class: 'primary', text: 'stepUpConfirm', attrs: { type: 'submit' } });
  const form = h('form', { id: 'step-up-form' }, [
    h('h2', { id: 'step-up-heading', text: 'stepUpHeading' }),
    h('p', { id: 'step-up-intro', text: 'stepUpIntro' }),
    h('div', { class: 'field' }, [h('label', { text: 'codeLabel', attrs: { for: code.id } }), code]),
    error,
    h('div', { class: 'dialog-buttons' }, [cancel, confirm]),
  ]);
  const dialog = h('dialog', { id: 'step-up', class: 'dialog', attrs: { 'aria-labelledby': 'step-up-heading', 'aria-describedby': 'step-up-intro' } }, [form]);
  document.body.append(dialog);

  return new Promise((resolve, reject) => {
    let outcome: { ok: boolean } | { err: unknown } = { ok: false };
    dialog.addEventListener(
      'close',
      () => {
        dialog.remove();
        if ('err' in outcome) reject(outcome.err instanceof Error ? outcome.err : new Error(String(outcome.err)));
        else resolve(outcome.ok);
      },
      { once: true },
    );
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') return;
      form.setAttribute('aria-busy', 'true');
      confirm.disabled = true;
      showIn(error, null);
      api('POST', '/api/admin/step-up', { code: code.value.trim() })
        .then(() => {
          outcome = { ok: true };
          dialog.close();
        })
        .catch((err: unknown) => {
          if (err instanceof ApiError && CODE_REFUSALS.has(err.code)) {
            showIn(error, errorKey(err.code));
            code.select();
            code.focus();
          } else {
            outcome = { err };
            dialog.close();
          }
        })
        .finally(() => {
          form.removeAttribute('aria-busy');
          confirm.disabled = false;
        });
    });
    dialog.showModal();
    code.focus();
  });
}

/**
 * Runs `work`; when the server asks for a step-up, asks for the code and runs `work` once more.
 * Resolves with `work`'s result, or null when the step-up was cancelled (nothing was done).
 */
export async function withStepUp<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch (err) {
    if (!isStepUpRequired(err)) throw err;
  }
  if (!(await askStepUp())) return null;
  return work();
}
