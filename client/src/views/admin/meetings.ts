/**
 * The meetings running now: title, hosts, how many are in and waiting, since when (never any
 * content), refreshed every few seconds while shown; "Terminar" ends one for everyone, after a
 * confirmation and a step-up.
 */
import type { LiveMeeting } from '../../../../protocol/admin.ts';
import { api } from '../../api.ts';
import { announce, h } from '../../dom.ts';
import { ask } from '../dialog.ts';
import { button, errorSlot, every, onAction, plainText, runAction, sectionFrame, textSpan, timeElement, type AdminSection } from './parts.ts';
import { withStepUp } from './step-up.ts';

export const MEETINGS_REFRESH_MS = 5_000;

function meetingItem(meeting: LiveMeeting, ended: () => Promise<void>): HTMLLIElement {
  const title = { title: meeting.title };
  const end = button('liveEnd', { class: 'live-end danger', label: ['liveEndOf', title] });
  onAction(end, async () => {
    const sure = await ask({
      id: 'confirm-end-meeting',
      message: ['confirmLiveEnd', { ...title, count: String(meeting.participants + meeting.waiting) }],
      confirm: 'liveEnd',
      danger: true,
    });
    if (!sure) return;
    const result = await withStepUp(() => api('POST', `/api/admin/meetings/${encodeURIComponent(meeting.id)}/end`));
    if (!result) return;
    announce(['statusLiveEnded', { ...title, count: String(result.participants) }]);
    await ended();
  });
  return h('li', { class: 'admin-item live-meeting', attrs: { 'data-meeting-id': meeting.id } }, [
    h('div', { class: 'item-line' }, [
      h('span', { class: 'item-title', plain: meeting.title }),
      h('span', { class: 'badges' }, [
        meeting.e2ee ? textSpan('liveE2ee', 'badge') : textSpan('liveNotE2ee', 'badge warning'),
        meeting.locked ? textSpan('lockedBadge', 'badge') : null,
      ]),
    ]),
    h('span', { class: 'meta' }, [
      textSpan(meeting.hosts.length > 0 ? ['liveHosts', { names: meeting.hosts.join(', ') }] : 'liveNoHosts'),
      plainText(' · '),
      textSpan(['livePeople', { count: String(meeting.participants), waiting: String(meeting.waiting) }], 'live-people'),
      plainText(' · '),
      textSpan('liveSince'),
      plainText(' '),
      timeElement(meeting.since),
    ]),
    h('div', { class: 'row-buttons' }, [end]),
  ]);
}

export function meetingsSection(): AdminSection {
  const list = h('ul', { id: 'admin-meeting-list', class: 'admin-list live-meetings', label: 'liveList' });
  const empty = h('p', { class: 'hint', text: 'liveNone', hidden: true });
  const error = errorSlot('admin-meetings-error');
  const refreshButton = button('refresh', { id: 'admin-meetings-refresh', label: 'liveRefresh' });
  let shown = '';

  const load = async () => {
    const { meetings } = await api('GET', '/api/admin/meetings');
    error.replaceChildren();
    // Unchanged: leave the list alone, so focus and reading position stay where they are.
    const text = JSON.stringify(meetings);
    if (text === shown) return;
    shown = text;
    const focused =
      document.activeElement instanceof HTMLElement ? document.activeElement.closest<HTMLElement>('[data-meeting-id]')?.dataset['meetingId'] : undefined;
    list.replaceChildren(...meetings.map((m) => meetingItem(m, load)));
    empty.hidden = meetings.length > 0;
    if (focused) list.querySelector<HTMLButtonElement>(`[data-meeting-id="${CSS.escape(focused)}"] button`)?.focus();
  };
  onAction(refreshButton, load, error);

  let timer: { stop(): void } | null = null;
  const element = sectionFrame('meetings', 'adminMeetings', [
    h('div', { class: 'row-buttons' }, [
      refreshButton,
      h('span', { class: 'hint', text: ['liveRefreshHint', { seconds: String(MEETINGS_REFRESH_MS / 1000) }] }),
    ]),
    list,
    empty,
    error,
  ]);
  return {
    id: 'meetings',
    element,
    enter: () => {
      shown = '';
      void runAction(null, list, error, load);
      timer ??= every(MEETINGS_REFRESH_MS, load);
    },
    leave: () => {
      timer?.stop();
      timer = null;
    },
  };
}
