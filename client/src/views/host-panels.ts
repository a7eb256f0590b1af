/**
 * The meeting's side panels: the participants (everyone, with role and what a host restricted),
 * with a menu of host controls per person for hosts and co-hosts; the waiting room (hosts and
 * co-hosts); and the host toolbar (mute all, lock, end for everyone, the meeting's rules).
 * Panels are updated in place (rows keyed by id) so focus stays where it was. Every button names
 * the person it acts on. The server decides who may do what and says so in each participant view
 * (`controls`, `meetingControls`): the panels offer exactly that, and hold no rule of their own.
 */
import type { Call } from '../call/call.ts';
import { h, translate, type Text } from '../dom.ts';
import type { MessageKey } from '../i18n/translate.ts';
import { sameNameOrdinals, type MeetingState, type Participant, type PersonControl, type Policy, type WaitingPerson } from '../call/meeting-state.ts';
import { ask } from './dialog.ts';
import { section } from './layout.ts';

/** Runs a host action; failures are shown in the alert region, success optionally announced. */
export type Act = (work: () => Promise<unknown>, done?: Text | (() => Text | null)) => Promise<void>;

const button = (className: string, text?: Text) => h('button', { class: className, attrs: { type: 'button' }, ...(text ? { text } : {}) });

/**
 * Keeps a list's rows (keyed by id) in step with `items`: rows of those gone are removed, new ones
 * created, every row updated, and the order kept without moving rows that are in place.
 */
function syncRows<T extends { id: string }, R extends { li: HTMLLIElement }>(
  list: HTMLElement,
  rows: Map<string, R>,
  items: readonly T[],
  create: (item: T) => R,
  update: (row: R, item: T) => void,
): void {
  const ids = new Set(items.map((item) => item.id));
  for (const [id, row] of rows) {
    if (!ids.has(id)) {
      row.li.remove();
      rows.delete(id);
    }
  }
  items.forEach((item, index) => {
    let row = rows.get(item.id);
    if (!row) {
      row = create(item);
      rows.set(item.id, row);
    }
    update(row, item);
    if (list.children[index] !== row.li) list.insertBefore(row.li, list.children[index] ?? null);
  });
}

// ---------------------------------------------------------------------------------------------
// Participants

class ParticipantRow {
  readonly li: HTMLLIElement;
  readonly #name = h('span', { class: 'person-name' });
  readonly #badges = h('span', { class: 'badges' });
  readonly #toggle = button('menu-toggle');
  readonly #menu: HTMLElement;
  readonly #mute = button('host-mute');
  readonly #askUnmute = button('host-ask-unmute');
  readonly #camera = button('host-camera');
  readonly #screen = button('host-screen');
  readonly #role = button('host-role');
  readonly #remove = button('host-remove');
  readonly #ban = button('host-ban danger');
  #info: Participant;
  /**
   * What the row was last rendered from. Notifications replace these objects rather than change
   * them, so the same three again (someone else's update, an E2EE status change) show nothing new.
   */
  #rendered: { info: Participant; self: Participant; policy: Policy } | null = null;

  constructor(info: Participant, call: Call, act: Act) {
    this.#info = info;
    const menuId = `host-menu-${info.id}`;
    this.#menu = h('div', { id: menuId, class: 'host-menu', hidden: true, attrs: { role: 'group' } }, [
      this.#mute,
      this.#askUnmute,
      this.#camera,
      this.#screen,
      this.#role,
      this.#remove,
      this.#ban,
    ]);
    this.#toggle.setAttribute('aria-expanded', 'false');
    this.#toggle.setAttribute('aria-controls', menuId);
    this.#toggle.addEventListener('click', () => {
      const open = this.#menu.hidden;
      this.#menu.hidden = !open;
      this.#toggle.setAttribute('aria-expanded', String(open));
    });
    this.li = h('li', { class: 'person', attrs: { 'data-participant-id': info.id } }, [
      h('div', { class: 'person-line' }, [this.#name, this.#badges, this.#toggle]),
      this.#menu,
    ]);

    const id = () => this.#info.id;
    const name = () => this.#info.displayName;
    this.#mute.addEventListener(
      'click',
      () =>
        void act(
          () => call.hostRequest('mute', { participantId: id() }),
          () => ['statusDidMute', { name: name() }],
        ),
    );
    this.#askUnmute.addEventListener(
      'click',
      () =>
        void act(
          () => call.hostRequest('askToUnmute', { participantId: id() }),
          () => ['statusDidAskUnmute', { name: name() }],
        ),
    );
    this.#camera.addEventListener(
      'click',
      () => void act(() => call.hostRequest('setCameraAllowed', { participantId: id(), allowed: !this.#info.cameraAllowed }), 'statusDone'),
    );
    this.#screen.addEventListener(
      'click',
      () => void act(() => call.hostRequest('setScreenShareAllowed', { participantId: id(), allowed: !this.#info.screenShareAllowed }), 'statusDone'),
    );
    this.#role.addEventListener(
      'click',
      () => void act(() => call.hostRequest('setRole', { participantId: id(), role: this.#info.role === 'cohost' ? 'participant' : 'cohost' }), 'statusDone'),
    );
    this.#remove.addEventListener(
      'click',
      () =>
        void act(
          () => call.hostRequest('remove', { participantId: id(), ban: false }),
          () => ['statusDidRemove', { name: name() }],
        ),
    );
    this.#ban.addEventListener('click', () => {
      const who = name();
      void ask({ id: 'ban-dialog', message: ['confirmBan', { name: who }], confirm: 'confirmBanButton', danger: true }).then((sure) => {
        if (sure) void act(() => call.hostRequest('remove', { participantId: id(), ban: true }), ['statusDidRemove', { name: who }]);
      });
    });
  }

  update(info: Participant, meeting: MeetingState): void {
    this.#info = info;
    const last = this.#rendered;
    if (last && last.info === info && last.self === meeting.self && last.policy === meeting.policy) return;
    this.#rendered = { info, self: meeting.self, policy: meeting.policy };
    const self = info.id === meeting.self.id;
    const name = info.displayName;
    this.#name.replaceChildren(h('span', { plain: name, attrs: { dir: 'auto' } }), self ? h('span', { class: 'self', text: 'selfSuffix' }) : '');
    const badges: MessageKey[] = [];
    if (info.guest) badges.push('badgeGuest');
    if (info.role === 'host') badges.push('roleHost');
    if (info.role === 'cohost') badges.push('roleCohost');
    if (info.mutedByHost) badges.push('badgeMutedByHost');
    if (!info.cameraAllowed) badges.push('badgeCameraForbidden');
    if (meeting.policy.screenShare === 'host' && info.role === 'participant' && info.screenShareAllowed) badges.push('badgeScreenAllowed');
    if (meeting.policy.screenShare === 'everyone' && !info.screenShareAllowed) badges.push('badgeScreenForbidden');
    const current = [...this.#badges.children].map((b) => b.getAttribute('data-i18n-text')).join(' ');
    if (current !== badges.join(' ')) this.#badges.replaceChildren(...badges.map((key) => h('span', { class: `badge ${key}`, text: key })));

    // Host controls: those the server lists for us on this person.
    const may = (control: PersonControl) => info.controls.includes(control);
    this.#toggle.hidden = info.controls.length === 0;
    if (this.#toggle.hidden) {
      this.#menu.hidden = true;
      this.#toggle.setAttribute('aria-expanded', 'false');
    }
    const vars = { name };
    translate(this.#toggle, 'text', ['hostMenuFor', vars]);
    const buttons: [HTMLButtonElement, PersonControl][] = [
      [this.#mute, 'mute'],
      [this.#askUnmute, 'askToUnmute'],
      [this.#camera, 'setCameraAllowed'],
      [this.#screen, 'setScreenShareAllowed'],
      [this.#role, 'setRole'],
      [this.#remove, 'remove'],
      [this.#ban, 'ban'],
    ];
    for (const [button, control] of buttons) button.hidden = !may(control);
    translate(this.#mute, 'text', ['muteParticipant', vars]);
    this.#mute.disabled = info.mutedByHost;
    translate(this.#askUnmute, 'text', ['askUnmuteParticipant', vars]);
    translate(this.#camera, 'text', [info.cameraAllowed ? 'forbidCamera' : 'allowCamera', vars]);
    translate(this.#screen, 'text', [info.screenShareAllowed ? 'forbidScreen' : 'allowScreen', vars]);
    translate(this.#role, 'text', [info.role === 'cohost' ? 'unmakeCohost' : 'makeCohost', vars]);
    translate(this.#remove, 'text', ['removeParticipant', vars]);
    translate(this.#ban, 'text', ['banParticipant', vars]);
  }
}

export class ParticipantsPanel {
  readonly list = h('ul', { id: 'participants-list', class: 'people', label: 'participants' });
  readonly element: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #rows = new Map<string, ParticipantRow>();
  readonly #call: Call;
  readonly #act: Act;

  constructor(call: Call, act: Act) {
    this.#call = call;
    this.#act = act;
    this.element = section('participants-heading', ['participantsHeading', { count: '0' }], [this.list]);
    this.element.id = 'participants-panel';
    this.#heading = this.element.querySelector('h2')!;
  }

  update(meeting: MeetingState | null): void {
    // Self first, then by arrival.
    const people = meeting ? [meeting.self, ...meeting.others.values()] : [];
    syncRows(
      this.list,
      this.#rows,
      people,
      (p) => new ParticipantRow(p, this.#call, this.#act),
      (row, p) => row.update(p, meeting!),
    );
    translate(this.#heading, 'text', ['participantsHeading', { count: String(people.length) }]);
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting room (hosts and co-hosts)

class WaitingRow {
  readonly li: HTMLLIElement;
  readonly #name = h('span', { class: 'person-name', attrs: { dir: 'auto' } });
  /** "n.º 2" when someone else waiting has the same name. */
  readonly #ordinal = h('span', { class: 'ordinal', hidden: true });
  readonly #guest = h('span', { class: 'badge badgeGuest', text: 'badgeGuest', hidden: true });
  readonly #staff = h('span', { class: 'badge badgeStaff', text: 'badgeStaff', hidden: true });
  readonly #username = h('span', { class: 'username', attrs: { dir: 'ltr' }, hidden: true });
  readonly #flag = h('strong', { class: 'badge warning', text: 'previouslyRemoved', hidden: true });
  readonly #since = h('span', { class: 'meta waiting-since' });
  readonly #admit = button('admit primary');
  readonly #deny = button('deny');

  constructor(person: WaitingPerson, call: Call, act: Act) {
    this.li = h('li', { class: 'person waiting', attrs: { 'data-waiting-id': person.id } }, [
      h('div', { class: 'person-line' }, [this.#name, this.#ordinal, this.#guest, this.#staff, this.#username, this.#flag]),
      this.#since,
      h('div', { class: 'row-buttons' }, [this.#admit, this.#deny]),
    ]);
    this.#admit.addEventListener('click', () => void act(() => call.hostRequest('admit', { waitingId: person.id })));
    this.#deny.addEventListener('click', () => void act(() => call.hostRequest('deny', { waitingId: person.id }), 'statusDone'));
  }

  /** `ordinal`: this person's place among those waiting with the same name (0: the name is unique). */
  update(person: WaitingPerson, ordinal: number, now: number): void {
    this.#name.textContent = person.displayName;
    this.#ordinal.hidden = ordinal === 0;
    if (ordinal > 0) translate(this.#ordinal, 'text', ['waitingOrdinal', { n: String(ordinal) }]);
    this.#guest.hidden = !person.guest;
    this.#staff.hidden = person.guest;
    this.#username.hidden = person.username === undefined;
    this.#username.textContent = person.username ? `@${person.username}` : '';
    this.#flag.hidden = !person.previouslyRemoved;
    const minutes = Math.max(0, Math.floor((now - person.since) / 60_000));
    translate(this.#since, 'text', minutes === 0 ? 'waitingJustNow' : ['waitingForMinutes', { minutes: String(minutes) }]);
    // Buttons name whom they act on; with two of the same name, which one.
    const name = ordinal > 0 ? `${person.displayName} (${ordinal})` : person.displayName;
    translate(this.#admit, 'text', ['admitPerson', { name }]);
    translate(this.#deny, 'text', ['denyPerson', { name }]);
  }
}

export class WaitingRoomPanel {
  readonly list = h('ul', { id: 'waiting-list', class: 'people', label: 'waitingList' });
  readonly empty = h('p', { class: 'hint', text: 'waitingEmpty' });
  readonly admitAll = h('button', { id: 'admit-all', class: 'primary', text: 'admitAll', attrs: { type: 'button' } });
  readonly element: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #rows = new Map<string, WaitingRow>();
  readonly #call: Call;
  readonly #act: Act;
  #last: MeetingState | null = null;
  #tick: ReturnType<typeof setInterval> | undefined;

  constructor(call: Call, act: Act) {
    this.#call = call;
    this.#act = act;
    this.element = section('waiting-room-heading', ['waitingRoomHeading', { count: '0' }], [this.list, this.empty, this.admitAll]);
    this.element.id = 'waiting-room-panel';
    this.#heading = this.element.querySelector('h2')!;
    this.admitAll.addEventListener('click', () => {
      let admitted = 0;
      void act(
        async () => {
          admitted = (await call.hostRequest('admitAll', {})).admitted;
        },
        () => (admitted === 1 ? 'statusDidAdmitAllOne' : ['statusDidAdmitAll', { count: String(admitted) }]),
      );
    });
  }

  update(meeting: MeetingState | null): void {
    const admits = meeting?.may('admit') ?? false;
    this.element.hidden = !admits;
    const waiting = admits && meeting ? meeting.waiting : [];
    const now = Date.now();
    const ordinals = sameNameOrdinals(waiting);
    syncRows(
      this.list,
      this.#rows,
      waiting,
      (person) => new WaitingRow(person, this.#call, this.#act),
      (row, person) => row.update(person, ordinals.get(person.id) ?? 0, now),
    );
    this.#last = meeting;
    // How long each has waited, kept current while anyone waits.
    if (waiting.length > 0 && this.#tick === undefined) this.#tick = setInterval(() => this.update(this.#last), 30_000);
    if (waiting.length === 0 && this.#tick !== undefined) {
      clearInterval(this.#tick);
      this.#tick = undefined;
    }
    this.empty.hidden = waiting.length > 0;
    this.admitAll.hidden = waiting.length === 0;
    translate(this.#heading, 'text', ['waitingRoomHeading', { count: String(waiting.length) }]);
  }
}

// ---------------------------------------------------------------------------------------------
// Host toolbar

type BooleanPolicyKey = 'waitingRoom' | 'joinBeforeHost' | 'chat' | 'muteOnEntry' | 'cameraAllowed';
const POLICY_TOGGLES: readonly [BooleanPolicyKey, MessageKey][] = [
  ['waitingRoom', 'policyWaitingRoom'],
  ['joinBeforeHost', 'policyJoinBeforeHost'],
  ['chat', 'policyChat'],
  ['muteOnEntry', 'policyMuteOnEntry'],
  ['cameraAllowed', 'policyCameraAllowed'],
];

export class HostToolbar {
  readonly muteAll = h('button', { id: 'mute-all', text: 'muteAll', attrs: { type: 'button' } });
  readonly lock = h('button', { id: 'lock-meeting', text: 'lockMeeting', attrs: { type: 'button' } });
  readonly end = h('button', { id: 'end-meeting', class: 'danger', text: 'endMeeting', attrs: { type: 'button' } });
  readonly screenShare = h('select', { id: 'policy-screenShare', attrs: { name: 'screenShare' } }, [
    h('option', { text: 'screenShareHost', attrs: { value: 'host' } }),
    h('option', { text: 'screenShareEveryone', attrs: { value: 'everyone' } }),
  ]);
  readonly toggles = new Map<BooleanPolicyKey, HTMLInputElement>();
  readonly policy: HTMLFieldSetElement;
  readonly element: HTMLElement;

  constructor(call: Call, act: Act) {
    const checks = POLICY_TOGGLES.map(([key, label]) => {
      const input = h('input', { id: `policy-${key}`, attrs: { type: 'checkbox', name: key } });
      this.toggles.set(key, input);
      input.addEventListener('change', () => void act(() => call.updatePolicy({ [key]: input.checked }), 'statusPolicySaved'));
      return h('div', { class: 'check' }, [input, h('label', { text: label, attrs: { for: input.id } })]);
    });
    this.screenShare.addEventListener('change', () => {
      const value = this.screenShare.value === 'everyone' ? 'everyone' : 'host';
      void act(() => call.updatePolicy({ screenShare: value }), 'statusPolicySaved');
    });
    this.policy = h('fieldset', { id: 'meeting-policy', class: 'policy' }, [
      h('legend', { text: 'policyHeading' }),
      ...checks,
      h('div', { class: 'field inline' }, [h('label', { text: 'policyScreenShare', attrs: { for: this.screenShare.id } }), this.screenShare]),
    ]);
    this.element = h('section', { id: 'host-toolbar', class: 'host-toolbar', label: 'hostControls', hidden: true }, [
      h('div', { class: 'controls', attrs: { role: 'group' }, label: 'hostControls' }, [this.muteAll, this.lock, this.end]),
      this.policy,
    ]);

    this.muteAll.addEventListener('click', () => {
      let muted = 0;
      void act(
        async () => {
          muted = (await call.hostRequest('muteAll', {})).muted;
        },
        () => (muted === 1 ? 'statusDidMuteAllOne' : ['statusDidMuteAll', { count: String(muted) }]),
      );
    });
    this.lock.addEventListener('click', () => {
      const locked = call.meeting?.locked ?? false;
      void act(() => call.setLocked(!locked));
    });
    this.end.addEventListener('click', () => {
      void ask({ id: 'end-dialog', message: 'confirmEnd', confirm: 'confirmEndButton', danger: true }).then((sure) => {
        if (sure) void act(() => call.endForEveryone());
      });
    });
  }

  update(meeting: MeetingState | null): void {
    // What the server lets us do: co-hosts, for one, do not end the meeting for everyone.
    this.muteAll.hidden = !meeting?.may('muteAll');
    this.lock.hidden = !meeting?.may('setLocked');
    this.end.hidden = !meeting?.may('endMeeting');
    this.policy.hidden = !meeting?.may('updatePolicy');
    this.element.hidden = this.muteAll.hidden && this.lock.hidden && this.end.hidden && this.policy.hidden;
    if (!meeting) return;
    const policy: Policy = meeting.policy;
    for (const [key, input] of this.toggles) input.checked = policy[key];
    this.screenShare.value = policy.screenShare;
    translate(this.lock, 'text', meeting.locked ? 'unlockMeeting' : 'lockMeeting');
  }
}
