/**
 * The encryption line of the call header. It shows the lock and the meeting security code only
 * when every stream in and out is end-to-end encrypted (every other participant's key is here);
 * while keys are being exchanged it says so, and a meeting without E2EE says that plainly.
 */
import type { Call } from '../call.ts';
import { h, translate } from '../dom.ts';

export class E2eeBadge {
  readonly element: HTMLElement;
  readonly #label = h('span', { id: 'e2ee-label' });
  readonly #code = h('code', { id: 'security-code', attrs: { dir: 'ltr' } });
  readonly #hint = h('span', { id: 'security-code-hint', class: 'hint', text: 'securityCodeHint' });

  constructor() {
    this.element = h('p', { id: 'e2ee-badge', class: 'e2ee', attrs: { role: 'status' } }, [this.#label, this.#code, this.#hint]);
  }

  update(call: Call): void {
    const e2ee = call.e2ee;
    this.element.hidden = e2ee === null;
    if (!e2ee) return;
    const status = e2ee.mode === 'on' ? e2ee.status : null;
    const encrypted = status?.complete === true;
    this.element.dataset['state'] = e2ee.mode === 'off' ? 'off' : encrypted ? 'encrypted' : 'pending';
    this.element.classList.toggle('warning', !encrypted);
    if (e2ee.mode === 'off') translate(this.#label, 'text', 'e2eeOff');
    else if (encrypted) translate(this.#label, 'text', 'e2eeOn');
    else translate(this.#label, 'text', ['e2eePending', { keyed: String(status?.peersKeyed ?? 0), peers: String(status?.peers ?? 0) }]);
    // The code is shown while pending too (it commits to the keys known so far) but only beside the lock is it final.
    this.#code.textContent = status?.securityCode ?? '';
    this.#code.hidden = !status;
    this.#hint.hidden = !encrypted;
  }
}
