/**
 * User actions that call the server. While one runs, its button is disabled and its form marked
 * busy (no double submits); a failure shows its translated message in the alert region; a sign-in
 * that is no longer valid sends the browser to the sign-in page, to come back here afterwards.
 */
import { ApiError, needsSignIn } from './api.ts';
import { announce, showError } from './dom.ts';
import type { AnyErrorCode } from './errors.ts';
import { loginUrl } from './paths.ts';

export function signInAgain(): void {
  // On the sign-in page itself, starting over keeps its `?next=`.
  if (location.pathname === '/login') location.reload();
  else location.assign(loginUrl(location.pathname));
}

/** Shows what went wrong; `rename` lets a form say more precisely what a code means there. */
export function reportError(err: unknown, rename: (code: AnyErrorCode) => AnyErrorCode = (code) => code): void {
  if (needsSignIn(err)) {
    signInAgain();
    return;
  }
  if (!(err instanceof ApiError)) console.error(err);
  showError(rename(err instanceof ApiError ? err.code : 'INTERNAL'));
}

/**
 * Runs `work` as the action of `trigger` (disabled meanwhile) on `busy` (marked busy; a second
 * run while one is going is ignored). A failure that needs a new sign-in goes there; any other is
 * shown by `failed` (by default in the page's alert region).
 */
export async function runBusy(
  trigger: HTMLButtonElement | null,
  busy: HTMLElement,
  work: () => Promise<void>,
  failed: (err: unknown) => void = (err) => reportError(err),
): Promise<void> {
  if (busy.getAttribute('aria-busy') === 'true') return;
  showError(null);
  busy.setAttribute('aria-busy', 'true');
  if (trigger) trigger.disabled = true;
  try {
    await work();
  } catch (err) {
    announce(null);
    if (needsSignIn(err)) signInAgain();
    else failed(err);
  } finally {
    busy.removeAttribute('aria-busy');
    if (trigger) trigger.disabled = false;
  }
}

export function onSubmit(form: HTMLFormElement, work: () => Promise<void>, rename?: (code: AnyErrorCode) => AnyErrorCode): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runBusy(form.querySelector<HTMLButtonElement>('button[type="submit"]'), form, work, (err) => reportError(err, rename));
  });
}

export function onClick(button: HTMLButtonElement, work: () => Promise<void>): void {
  button.addEventListener('click', () => void runBusy(button, button, work));
}
