/**
 * `/admin`: the admin console, for accounts with the `admin` role (anyone else sees that they
 * have no permission; the server refuses them anyway). Five sections, one shown at a time and
 * chosen in a side navigation of links (`/admin#users`, `#policy`, `#meetings`, `#audit`,
 * `#system`, so the browser's back button and a reload keep the section): accounts, the
 * organisation's policy, live meetings, the audit trail, the system.
 */
import type { SignedIn } from '../../api.ts';
import { h } from '../../dom.ts';
import type { MessageKey } from '../../i18n/translate.ts';
import { card, navBar, type ShowView } from '../layout.ts';
import { auditSection } from './audit.ts';
import { meetingsSection } from './meetings.ts';
import { SECTION_IDS, type AdminSection, type SectionId } from './parts.ts';
import { policySection } from './policy.ts';
import { systemSection } from './system.ts';
import { usersSection } from './users.ts';

const NAV_TEXT: Record<SectionId, MessageKey> = {
  users: 'adminUsers',
  policy: 'adminPolicy',
  meetings: 'adminMeetings',
  audit: 'adminAudit',
  system: 'adminSystem',
};

function sectionOf(hash: string): SectionId {
  const id = hash.replace(/^#/, '');
  return (SECTION_IDS as readonly string[]).includes(id) ? (id as SectionId) : 'users';
}

function noPermission(show: ShowView): void {
  show(
    'admin',
    navBar('admin'),
    card('admin-heading', 'adminHeading', [
      h('p', { id: 'admin-no-permission', text: 'adminNoPermission' }),
      h('a', { class: 'next-step', text: 'adminBackHome', attrs: { href: '/' } }),
    ]),
  );
}

export function showAdmin(show: ShowView, session: SignedIn): void {
  if (session.user.role !== 'admin') {
    noPermission(show);
    return;
  }
  const sections: AdminSection[] = [usersSection(session), policySection(), meetingsSection(), auditSection(), systemSection()];
  const links = new Map<SectionId, HTMLAnchorElement>(
    SECTION_IDS.map((id) => [id, h('a', { id: `admin-nav-${id}`, text: NAV_TEXT[id], attrs: { href: `#${id}`, 'aria-controls': `admin-${id}` } })]),
  );
  const nav = h('nav', { class: 'console-nav', label: 'adminSections' }, [
    h(
      'ul',
      {},
      [...links.values()].map((a) => h('li', {}, [a])),
    ),
  ]);
  const panels = h(
    'div',
    { class: 'console-sections' },
    sections.map((s) => s.element),
  );
  let current: AdminSection | null = null;

  const choose = (id: SectionId, focus: boolean) => {
    const next = sections.find((s) => s.id === id)!;
    if (current !== next) {
      current?.leave();
      current = next;
    }
    for (const s of sections) s.element.hidden = s !== next;
    for (const [linkId, a] of links) {
      if (linkId === id) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
    document.body.dataset['adminSection'] = id;
    next.enter();
    if (focus) next.element.querySelector<HTMLElement>('h2')?.focus();
  };
  window.addEventListener('hashchange', () => choose(sectionOf(location.hash), true));

  show(
    'admin',
    navBar('admin', { admin: true }),
    card('admin-heading', 'adminHeading', [h('div', { class: 'console' }, [nav, panels])], { wide: true, className: 'console-card' }),
  );
  choose(sectionOf(location.hash), false);
}
