/**
 * The browsers that can join end-to-end encrypted meetings (docs/browsers.md), shown under the
 * refusal when this one cannot encrypt or cannot make calls at all.
 */
import { h } from '../dom.ts';

export function browserSupport(): HTMLElement {
  return h('section', { id: 'browser-support', class: 'part browser-support', hidden: true, attrs: { 'aria-labelledby': 'browser-support-heading' } }, [
    h('h2', { id: 'browser-support-heading', text: 'supportHeading' }),
    h('ul', {}, [h('li', { text: 'supportChromium' }), h('li', { text: 'supportFirefox' }), h('li', { text: 'supportSafari' })]),
    h('p', { class: 'hint', text: 'supportOther' }),
  ]);
}
