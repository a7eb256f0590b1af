/**
 * The encryption line of the call header. It shows the lock and the meeting security code only
 * when every stream in and out is end-to-end encrypted (every other participant's key is here);
 * while keys are being exchanged it says so, and a meeting without E2EE says that plainly.
 */
import type { Call } from '../call/call.ts';
import { h, translate } from '../dom.ts';

const SVG = 'http://www.w3.org/2000/svg';

/** A padlock drawn as SVG (no emoji font needed); the stylesheet hides it unless encrypted. */
function lockIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'lock-icon');
  svg.setAttribute('aria-hidden', 'true');
  const shackle = document.createElementNS(SVG, 'path');
  shackle.setAttribute('d', 'M4.5 7V5a3.5 3.5 0 0 1 7 0v2');
  shackle.setAttribute('fill', 'none');
  shackle.setAttribute('stroke', 'currentColor');
  shackle.setAttribute('stroke-width', '1.6');
  const body = document.createElementNS(SVG, 'rect');
  for (const [k, v] of [
    ['x', '2.5'],
    ['y', '7'],
    ['width', '11'],
    ['height', '8'],
    ['rx', '1.5'],
    ['fill', 'currentColor'],
  ])
    body.setAttribute(k!, v!);
  svg.append(shackle, body);
  return svg;
}

export class E2eeBadge {
  readonly element: HTMLElement;
  readonly #lock = lockIcon();
  readonly #label = h('span', { id: 'e2ee-label' });
  readonly #code = h('code', { id: 'security-code', attrs: { dir: 'ltr' } });
  readonly #hint = h('span', { id: 'security-code-hint', class: 'hint', text: 'securityCodeHint' });

  constructor() {
    this.element = h('p', { id: 'e2ee-badge', class: 'e2ee', attrs: { role: 'status' } }, [this.#label, this.#code, this.#hint]);
    this.element.prepend(this.#lock);
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
