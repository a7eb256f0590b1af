/**
 * The organisation's policy: a form for every field of OrgPolicy (each meeting default, E2EE
 * required, guests allowed, the recording ceiling, session lifetimes), where the values come from
 * (the configuration file, or saved from the console by whom and when). Saving needs a step-up;
 * the server's refusal is shown next to the form.
 */
import type { OrgPolicy, OrgPolicyView } from '../../../../protocol/admin.ts';
import type { MeetingPolicy } from '../../../../protocol/policy.ts';
import { api, withQuery } from '../../api.ts';
import { announce, h } from '../../dom.ts';
import type { MessageKey } from '../../i18n/translate.ts';
import { checkbox } from '../layout.ts';
import { errorSlot, onFormSubmit, runAction, sectionFrame, select, setText, type AdminSection } from './parts.ts';
import { withStepUp } from './step-up.ts';

type BooleanKey<T> = { [K in keyof T]: T[K] extends boolean ? K : never }[keyof T];
type Choice = readonly (readonly [string, MessageKey])[];

const RECORDING: Choice = [
  ['nobody', 'recordingNobody'],
  ['host', 'recordingHost'],
  ['everyone', 'recordingEveryone'],
];

/** A labelled number input with its bounds (the browser checks them before sending). */
function numberField(id: string, label: MessageKey, min: number, max: number, hint?: MessageKey): { row: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { id, attrs: { type: 'number', name: id, required: true, min: String(min), max: String(max), step: '1', inputmode: 'numeric' } });
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return { input, row: h('div', { class: 'field inline' }, [h('label', { text: label, attrs: { for: id } }), input, hintEl]) };
}

function selectField(id: string, label: MessageKey, choices: Choice): { row: HTMLElement; input: HTMLSelectElement } {
  const input = select(id, choices);
  return { input, row: h('div', { class: 'field inline' }, [h('label', { text: label, attrs: { for: id } }), input]) };
}

function fieldset(legend: MessageKey, rows: readonly HTMLElement[]): HTMLFieldSetElement {
  return h('fieldset', { class: 'policy-group' }, [h('legend', { text: legend }), ...rows]);
}

/**
 * The username of who saved the policy: `updatedBy` is their account id, named by the audit
 * record of that change (null when it cannot be found; the id is shown then).
 */
async function savedBy(view: OrgPolicyView): Promise<string | null> {
  try {
    const { records } = await api('GET', withQuery('/api/admin/audit', { action: 'admin.policy_changed', limit: 1 }));
    const last = records[0];
    return last && last.actor === view.updatedBy ? last.actorName : null;
  } catch {
    return null;
  }
}

export function policySection(): AdminSection {
  const meetingChecks: [BooleanKey<MeetingPolicy>, MessageKey][] = [
    ['waitingRoom', 'policyWaitingRoom'],
    ['joinBeforeHost', 'policyJoinBeforeHost'],
    ['chat', 'policyChat'],
    ['muteOnEntry', 'policyMuteOnEntry'],
    ['cameraAllowed', 'policyCameraAllowed'],
    ['e2ee', 'policyE2ee'],
  ];
  const checks = new Map(meetingChecks.map(([key, label]) => [key, checkbox(`org-policy-${key}`, label)]));
  const guests = selectField('org-policy-guests', 'policyGuests', [
    ['password', 'policyGuestsPassword'],
    ['none', 'policyGuestsNone'],
  ]);
  const screenShare = selectField('org-policy-screenShare', 'policyScreenShare', [
    ['host', 'screenShareHost'],
    ['everyone', 'screenShareEveryone'],
  ]);
  const recording = selectField('org-policy-recording', 'policyRecording', RECORDING);
  const maxParticipants = numberField('org-policy-maxParticipants', 'policyMaxParticipants', 2, 1000);

  const e2eeRequired = checkbox('org-policy-e2eeRequired', 'orgE2eeRequired');
  const guestsAllowed = checkbox('org-policy-guestsAllowed', 'orgGuestsAllowed');
  const recordingMax = selectField('org-policy-recordingMax', 'orgRecordingMax', RECORDING);
  const idle = numberField('org-policy-sessionIdleMinutes', 'orgSessionIdleMinutes', 1, 24 * 60);
  const absolute = numberField('org-policy-sessionAbsoluteHours', 'orgSessionAbsoluteHours', 1, 7 * 24);

  const source = h('p', { id: 'org-policy-source', class: 'meta' });
  const error = errorSlot('org-policy-error');
  const save = h('button', {
    id: 'org-policy-save',
    class: 'primary',
    text: 'orgPolicySave',
    attrs: { type: 'submit', 'aria-describedby': 'org-policy-save-hint' },
  });
  const form = h('form', { id: 'org-policy-form', attrs: { 'aria-describedby': source.id } }, [
    fieldset('orgMeetingDefaults', [...[...checks.values()].map((c) => c.row), guests.row, screenShare.row, recording.row, maxParticipants.row]),
    fieldset('orgRules', [
      e2eeRequired.row,
      h('p', { class: 'hint', text: 'orgE2eeRequiredHint' }),
      guestsAllowed.row,
      h('p', { class: 'hint', text: 'orgGuestsAllowedHint' }),
      recordingMax.row,
    ]),
    fieldset('orgSessions', [idle.row, absolute.row]),
    error,
    save,
    h('p', { id: 'org-policy-save-hint', class: 'hint', text: 'stepUpHint' }),
  ]);

  const fill = (view: OrgPolicyView) => {
    const { policy } = view;
    for (const [key, check] of checks) check.input.checked = policy.meetingDefaults[key];
    guests.input.value = policy.meetingDefaults.guests;
    screenShare.input.value = policy.meetingDefaults.screenShare;
    recording.input.value = policy.meetingDefaults.recording;
    maxParticipants.input.value = String(policy.meetingDefaults.maxParticipants);
    e2eeRequired.input.checked = policy.e2eeRequired;
    guestsAllowed.input.checked = policy.guestsAllowed;
    recordingMax.input.value = policy.recordingMax;
    idle.input.value = String(policy.sessionIdleMinutes);
    absolute.input.value = String(policy.sessionAbsoluteHours);
    if (view.source === 'config' || view.updatedAt === null) setText(source, 'orgPolicyFromConfig');
    else {
      const date = { date: view.updatedAt };
      setText(source, ['orgPolicySaved', { who: view.updatedBy ?? '—', date }]);
      void savedBy(view).then((who) => who && setText(source, ['orgPolicySaved', { who, date }]));
    }
  };

  const read = (): OrgPolicy => {
    const flag = (key: BooleanKey<MeetingPolicy>) => checks.get(key)!.input.checked;
    return {
      meetingDefaults: {
        waitingRoom: flag('waitingRoom'),
        joinBeforeHost: flag('joinBeforeHost'),
        guests: guests.input.value === 'none' ? 'none' : 'password',
        screenShare: screenShare.input.value === 'everyone' ? 'everyone' : 'host',
        chat: flag('chat'),
        fileTransfer: false,
        recording: recording.input.value as MeetingPolicy['recording'],
        muteOnEntry: flag('muteOnEntry'),
        cameraAllowed: flag('cameraAllowed'),
        maxParticipants: Number(maxParticipants.input.value),
        e2ee: flag('e2ee'),
      },
      e2eeRequired: e2eeRequired.input.checked,
      guestsAllowed: guestsAllowed.input.checked,
      recordingMax: recordingMax.input.value as OrgPolicy['recordingMax'],
      sessionIdleMinutes: Number(idle.input.value),
      sessionAbsoluteHours: Number(absolute.input.value),
    };
  };

  onFormSubmit(
    form,
    error,
    async () => {
      const saved = await withStepUp(() => api('PUT', '/api/admin/policy', read()));
      if (!saved) return;
      fill(saved);
      announce('statusOrgPolicySaved');
    },
    (code) => (code === 'INVALID_BODY' ? 'orgPolicyInvalid' : null),
  );

  const element = sectionFrame('policy', 'adminPolicy', [source, form]);
  // Loaded once: coming back to the section keeps what was typed and not yet saved.
  let loaded = false;
  const load = async () => {
    fill(await api('GET', '/api/admin/policy'));
    loaded = true;
  };
  return { id: 'policy', element, enter: () => void (loaded || runAction(null, form, error, load)), leave: () => {} };
}
