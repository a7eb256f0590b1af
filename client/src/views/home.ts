/** `/`: the meetings, each with its link to copy, and a form to create one. */
import { onClick, onSubmit, reportError } from '../actions.ts';
import { api, type MeetingSummary, type SignedIn } from '../api.ts';
import { announce, h } from '../dom.ts';
import { meetingPath } from '../paths.ts';
import { card, field, navBar, section, submitButton, type ShowView } from './layout.ts';

function meetingUrl(meeting: MeetingSummary): string {
  return new URL(meetingPath(meeting.id), location.origin).href;
}

function meetingItem(meeting: MeetingSummary): HTMLLIElement {
  const copy = h('button', { class: 'copy', text: 'copyLink', label: ['copyLinkOf', { title: meeting.title }], attrs: { type: 'button' } });
  onClick(copy, async () => {
    const link = meetingUrl(meeting);
    try {
      await navigator.clipboard.writeText(link);
      announce(['statusLinkCopied', { link }]);
    } catch {
      // No clipboard permission (or none at all): give the link to copy by hand.
      announce(['statusCopyFailed', { link }]);
    }
  });
  return h('li', { class: 'meeting' }, [
    h('a', { plain: meeting.title, attrs: { href: meetingPath(meeting.id) } }),
    h('span', { class: 'meta', text: ['createdOn', { date: { date: meeting.createdAt } }] }),
    copy,
  ]);
}

export async function showHome(show: ShowView, session: SignedIn): Promise<void> {
  const list = h('ul', { id: 'meeting-list', class: 'meetings', attrs: { 'aria-labelledby': 'home-heading' } });
  const empty = h('p', { class: 'hint', text: 'noMeetings', hidden: true });
  const render = (meetings: readonly MeetingSummary[]) => {
    list.replaceChildren(...meetings.map(meetingItem));
    empty.hidden = meetings.length > 0;
  };

  const title = h('input', { id: 'meeting-title', attrs: { type: 'text', name: 'title', maxlength: '200', required: true, autocomplete: 'off' } });
  const create = h('form', { id: 'create-meeting-form' }, [field(title, 'meetingTitleLabel'), submitButton('create-meeting', 'createMeetingButton')]);
  onSubmit(create, async () => {
    const meeting = await api('POST', '/api/meetings', { title: title.value.trim() });
    list.prepend(meetingItem(meeting));
    empty.hidden = true;
    create.reset();
    announce(['statusMeetingCreated', { title: meeting.title }]);
  });

  show(
    'home',
    navBar('home'),
    card('home-heading', 'myMeetings', [h('p', { text: ['greeting', { name: session.user.displayName }] }), list, empty, section('new-meeting-heading', 'newMeetingHeading', [create])], {
      wide: true,
    }),
  );
  try {
    // Newest first: the one just announced or created is the one most likely wanted.
    render((await api('GET', '/api/meetings')).toSorted((a, b) => b.createdAt - a.createdAt));
  } catch (err) {
    reportError(err);
  }
}
