/**
 * `/`: the meetings this account hosts, each with its invitation (link and password, each to copy
 * on its own, and an .ics file for calendars), and a form to create one, which then shows the new
 * meeting's invitation.
 */
import { onClick, onSubmit, reportError } from '../actions.ts';
import { api, type MeetingSummary, type SignedIn } from '../api.ts';
import { announce, h, type Text } from '../dom.ts';
import { meetingPath } from '../paths.ts';
import { card, field, navBar, section, submitButton, type ShowView } from './layout.ts';

function meetingUrl(meeting: MeetingSummary): string {
  return meeting.invitation.link || new URL(meetingPath(meeting.id), location.origin).href;
}

function icsPath(meeting: MeetingSummary): string {
  return `/api/meetings/${encodeURIComponent(meeting.id)}/invite.ics`;
}

/** A button that copies `value`, and says so (or shows it to copy by hand when it cannot). */
function copyButton(text: Text, label: Text | undefined, value: string, copied: Text, failed: Text): HTMLButtonElement {
  const button = h('button', { class: 'copy', text, attrs: { type: 'button' }, ...(label ? { label } : {}) });
  onClick(button, async () => {
    try {
      await navigator.clipboard.writeText(value);
      announce(copied);
    } catch {
      // No clipboard permission (or none at all): give it to copy by hand.
      announce(failed);
    }
  });
  return button;
}

/**
 * Link, password and calendar file of a meeting. `named`: the controls' names include the title
 * (in the list, where many meetings are side by side).
 */
function invitationDetails(meeting: MeetingSummary, named: boolean): HTMLElement[] {
  const link = meetingUrl(meeting);
  const password = meeting.invitation.password;
  const title = { title: meeting.title };
  const copyLink = copyButton('copyLink', named ? ['copyLinkOf', title] : undefined, link, ['statusLinkCopied', { link }], ['statusCopyFailed', { link }]);
  const passwordValue = password
    ? [
        h('code', { class: 'password', plain: password }),
        copyButton('copyPassword', named ? ['copyPasswordOf', title] : undefined, password, 'statusPasswordCopied', ['statusCopyPasswordFailed', { password }]),
      ]
    : [h('span', { class: 'meta', text: 'noPassword' })];
  const details = h('dl', { class: 'invitation' }, [
    h('dt', { text: 'invitationLink' }),
    h('dd', {}, [h('code', { class: 'link', plain: link }), copyLink]),
    h('dt', { text: 'invitationPassword' }),
    h('dd', {}, passwordValue),
  ]);
  const ics = h('a', {
    class: 'ics',
    text: 'downloadIcs',
    attrs: { href: icsPath(meeting), download: `recinto-${meeting.id}.ics` },
    ...(named ? { label: ['downloadIcsOf', title] as const } : {}),
  });
  return [details, ics];
}

function meetingItem(meeting: MeetingSummary): HTMLLIElement {
  return h('li', { class: 'meeting', attrs: { 'data-meeting-id': meeting.id } }, [
    h('a', { class: 'title', plain: meeting.title, attrs: { href: meetingPath(meeting.id) } }),
    h('span', { class: 'meta', text: ['createdOn', { date: { date: meeting.createdAt } }] }),
    ...invitationDetails(meeting, true),
  ]);
}

export async function showHome(show: ShowView, session: SignedIn): Promise<void> {
  const list = h('ul', { id: 'meeting-list', class: 'meetings', attrs: { 'aria-labelledby': 'home-heading' } });
  const empty = h('p', { class: 'hint', text: 'noMeetings', hidden: true });
  const render = (meetings: readonly MeetingSummary[]) => {
    list.replaceChildren(...meetings.map(meetingItem));
    empty.hidden = meetings.length > 0;
  };

  const created = h('div', { id: 'new-invitation-slot' });
  const title = h('input', { id: 'meeting-title', attrs: { type: 'text', name: 'title', maxlength: '200', required: true, autocomplete: 'off' } });
  const create = h('form', { id: 'create-meeting-form' }, [field(title, 'meetingTitleLabel'), submitButton('create-meeting', 'createMeetingButton')]);
  onSubmit(create, async () => {
    const meeting = await api('POST', '/api/meetings', { title: title.value.trim() });
    list.prepend(meetingItem(meeting));
    empty.hidden = true;
    create.reset();
    // The new meeting's invitation, ready to send.
    const panel = section(
      'new-invitation-heading',
      ['invitationFor', { title: meeting.title }],
      [...invitationDetails(meeting, false), h('p', { class: 'hint', text: 'invitationHint' })],
    );
    panel.id = 'new-invitation';
    created.replaceChildren(panel);
    announce(['statusMeetingCreated', { title: meeting.title }]);
  });

  show(
    'home',
    navBar('home', { admin: session.user.role === 'admin' }),
    card(
      'home-heading',
      'myMeetings',
      [h('p', { text: ['greeting', { name: session.user.displayName }] }), list, empty, section('new-meeting-heading', 'newMeetingHeading', [create, created])],
      { wide: true },
    ),
  );
  try {
    // Newest first: the one just announced or created is the one most likely wanted.
    render((await api('GET', '/api/meetings')).toSorted((a, b) => b.createdAt - a.createdAt));
  } catch (err) {
    reportError(err);
  }
}
