/**
 * The audit viewer: filters (from / until, actor, action, meeting, outcome), the records newest
 * first (time in the browser's locale, action, actor, meeting, outcome, detail as text), older
 * pages through `next`; the chain's verification status with "verify now", the last checkpoint,
 * and export links (JSONL, CSV, CEF) for the time filter in use.
 */
import type { AuditExportQuery, AuditPage, AuditRecordView, AuditStatus, AuditVerification } from '../../../../protocol/admin.ts';
import { api, withQuery } from '../../api.ts';
import { announce, h } from '../../dom.ts';
import type { MessageKey } from '../../i18n/translate.ts';
import { field } from '../layout.ts';
import {
  button,
  details,
  errorSlot,
  every,
  onAction,
  onFormSubmit,
  plainText,
  runAction,
  sectionFrame,
  select,
  setText,
  textSpan,
  timeElement,
  type AdminSection,
} from './parts.ts';

const PAGE_SIZE = 50;
const VERIFY_POLL_MS = 1_000;
/** protocol/ids.ts's MeetingId and protocol/admin.ts's action filter, for the browser's own check. */
const MEETING_PATTERN = '[a-z0-9]+(-[a-z0-9]+)*';
const ACTION_PATTERN = '[a-z0-9_.]+';

const OUTCOMES: Record<AuditRecordView['outcome'], MessageKey> = { ok: 'outcomeOk', denied: 'outcomeDenied', error: 'outcomeError' };
const VERIFICATION: Record<AuditVerification['state'], MessageKey> = {
  never: 'verifyNever',
  running: 'verifyRunning',
  ok: 'verifyOk',
  failed: 'verifyFailed',
};

type Filters = { since?: number; until?: number; actor?: string; action?: string; meeting?: string; outcome?: AuditRecordView['outcome'] };

/** A datetime-local value (the browser's time zone) as milliseconds; empty: none. */
function instant(input: HTMLInputElement): number | undefined {
  if (!input.value) return undefined;
  const ms = new Date(input.value).getTime();
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The table's columns; each cell also carries its column's name, shown where the table is stacked (a phone). */
const COLUMNS = ['auditColTime', 'auditColAction', 'auditColActor', 'auditColMeeting', 'auditColOutcome', 'auditColDetail'] as const;

function recordRow(record: AuditRecordView): HTMLTableRowElement {
  const values: Node[] = [
    timeElement(record.at, true),
    h('code', { plain: record.action }),
    plainText(record.actorName ?? record.actor ?? '—'),
    plainText(record.meetingId ?? '—'),
    textSpan(OUTCOMES[record.outcome], `outcome ${record.outcome}`),
    h('code', { class: 'audit-detail', plain: record.detail }),
  ];
  return h(
    'tr',
    { attrs: { 'data-seq': String(record.seq), 'data-action': record.action } },
    values.map((value, i) =>
      h('td', {}, [h('span', { class: 'cell-label', text: COLUMNS[i]!, attrs: { 'aria-hidden': 'true' } }), h('span', { class: 'cell-value' }, [value])]),
    ),
  );
}

function statusView(status: AuditStatus): HTMLElement {
  const v = status.verification;
  const rows: [MessageKey, Node | string][] = [
    ['auditRecords', h('span', { text: ['auditRecordsValue', { count: String(status.records), last: String(status.lastSeq) }] })],
    ['auditVerification', textSpan(VERIFICATION[v.state], `verify-state ${v.state}`)],
  ];
  if (v.finishedAt !== null) rows.push(['auditVerifiedAt', timeElement(v.finishedAt, true)]);
  else if (v.startedAt !== null) rows.push(['auditVerifyStartedAt', timeElement(v.startedAt, true)]);
  if (v.state === 'ok' || v.state === 'failed')
    rows.push(['auditVerifiedCounts', h('span', { text: ['auditVerifiedCountsValue', { records: String(v.records), checkpoints: String(v.checkpoints) }] })]);
  if (v.problem) rows.push(['auditProblem', h('span', { class: 'warning-text', plain: v.problem })]);
  const cp = status.lastCheckpoint;
  rows.push([
    'auditLastCheckpoint',
    cp
      ? h('span', {}, [
          textSpan(['auditCheckpointValue', { seq: String(cp.seq) }]),
          plainText(' '),
          timeElement(cp.at, true),
          plainText(' '),
          h('code', { class: 'hash', plain: cp.hash }),
        ])
      : textSpan('auditNoCheckpoint'),
  ]);
  return details('audit-status', rows);
}

export function auditSection(): AdminSection {
  const input = (id: string, type: string, attrs: Record<string, string> = {}) => h('input', { id, attrs: { type, name: id, autocomplete: 'off', ...attrs } });
  const since = input('audit-since', 'datetime-local', { step: '1' });
  const until = input('audit-until', 'datetime-local', { step: '1' });
  const actor = input('audit-actor', 'text', { maxlength: '64' });
  const action = input('audit-action', 'text', { maxlength: '64', pattern: ACTION_PATTERN, spellcheck: 'false' });
  const meeting = input('audit-meeting', 'text', { maxlength: '64', minlength: '3', pattern: MEETING_PATTERN, spellcheck: 'false' });
  const outcome = select('audit-outcome', [
    ['', 'outcomeAny'],
    ['ok', 'outcomeOk'],
    ['denied', 'outcomeDenied'],
    ['error', 'outcomeError'],
  ]);
  const clear = button('auditClear', { id: 'audit-clear' });
  const error = errorSlot('audit-error');
  const filters = h('form', { id: 'audit-filters', class: 'filters' }, [
    field(since, 'auditSince'),
    field(until, 'auditUntil'),
    field(actor, 'auditActor', 'auditActorHint'),
    field(action, 'auditAction', 'auditActionHint'),
    field(meeting, 'auditMeeting'),
    h('div', { class: 'field' }, [h('label', { text: 'auditOutcome', attrs: { for: outcome.id } }), outcome]),
    h('div', { class: 'filter-buttons' }, [h('button', { id: 'audit-apply', class: 'primary', text: 'auditApply', attrs: { type: 'submit' } }), clear]),
  ]);

  const exportFormats: AuditExportQuery['format'][] = ['jsonl', 'csv', 'cef'];
  const exportLinks = exportFormats.map((format) =>
    h('a', { class: `audit-export export-${format}`, text: `auditExport_${format}`, label: `auditExportOf_${format}`, attrs: { download: true } }),
  );
  const body = h('tbody', { id: 'audit-rows' });
  const table = h('table', { id: 'audit-table', class: 'audit' }, [
    h('caption', { text: 'auditCaption' }),
    h('thead', {}, [
      h(
        'tr',
        {},
        COLUMNS.map((key) => h('th', { text: key, attrs: { scope: 'col' } })),
      ),
    ]),
    body,
  ]);
  const summary = h('p', { id: 'audit-summary', class: 'meta', attrs: { 'aria-live': 'polite' } });
  const older = button('auditOlder', { id: 'audit-older' });
  let applied: Filters = {};
  let next: number | null = null;
  let count = 0;

  const query = (before?: number) => withQuery('/api/admin/audit', { ...applied, before, limit: PAGE_SIZE });
  const show = (page: AuditPage, append: boolean) => {
    if (!append) body.replaceChildren();
    body.append(...page.records.map(recordRow));
    count = (append ? count : 0) + page.records.length;
    next = page.next;
    older.hidden = next === null;
    setText(summary, count === 0 ? 'auditEmpty' : ['auditShown', { count: String(count) }]);
  };
  const updateExports = () => {
    exportLinks.forEach((link, i) =>
      link.setAttribute('href', withQuery('/api/admin/audit/export', { format: exportFormats[i], since: applied.since, until: applied.until })),
    );
  };
  const load = async () => show(await api('GET', query()), false);

  onFormSubmit(filters, error, async () => {
    const chosen: Filters = {};
    const from = instant(since);
    const to = instant(until);
    if (from !== undefined) chosen.since = from;
    if (to !== undefined) chosen.until = to;
    if (actor.value.trim()) chosen.actor = actor.value.trim();
    if (action.value.trim()) chosen.action = action.value.trim();
    if (meeting.value.trim()) chosen.meeting = meeting.value.trim();
    if (outcome.value === 'ok' || outcome.value === 'denied' || outcome.value === 'error') chosen.outcome = outcome.value;
    applied = chosen;
    updateExports();
    await load();
  });
  onAction(
    clear,
    async () => {
      filters.reset();
      applied = {};
      updateExports();
      await load();
    },
    error,
  );
  onAction(
    older,
    async () => {
      if (next !== null) show(await api('GET', query(next)), true);
    },
    error,
  );

  // Verification status
  const statusSlot = h('div', { id: 'audit-status' });
  const statusError = errorSlot('audit-status-error');
  const verify = button('auditVerifyNow', { id: 'audit-verify' });
  let poll: { stop(): void } | null = null;
  const stopPolling = () => {
    poll?.stop();
    poll = null;
  };
  const showStatus = (status: AuditStatus) => {
    statusSlot.replaceChildren(statusView(status));
    if (status.verification.state === 'running') poll ??= every(VERIFY_POLL_MS, refreshStatus);
    else {
      if (poll) announce(status.verification.state === 'ok' ? 'statusVerifyOk' : 'statusVerifyFailed');
      stopPolling();
    }
  };
  const refreshStatus = async () => showStatus(await api('GET', '/api/admin/audit/status'));
  onAction(verify, async () => showStatus(await api('POST', '/api/admin/audit/verify')), statusError);

  updateExports();
  const element = sectionFrame('audit', 'adminAudit', [
    h('section', { class: 'part', attrs: { 'aria-labelledby': 'audit-chain-heading' } }, [
      h('h3', { id: 'audit-chain-heading', text: 'auditChainHeading' }),
      statusSlot,
      statusError,
      verify,
    ]),
    h('section', { class: 'part', attrs: { 'aria-labelledby': 'audit-records-heading' } }, [
      h('h3', { id: 'audit-records-heading', text: 'auditRecordsHeading' }),
      filters,
      h('p', { class: 'exports' }, [
        textSpan('auditExportLabel'),
        plainText(' '),
        ...exportLinks.flatMap((link, i) => (i === 0 ? [link] : [plainText(' · '), link])),
      ]),
      h('p', { class: 'hint', text: 'auditExportHint' }),
      error,
      summary,
      h('div', { class: 'table-scroll', attrs: { tabindex: '0', role: 'region', 'aria-labelledby': 'audit-records-heading' } }, [table]),
      older,
    ]),
  ]);
  return {
    id: 'audit',
    element,
    enter: () => {
      void runAction(null, statusSlot, statusError, refreshStatus);
      void runAction(null, body, error, load);
    },
    leave: stopPolling,
  };
}
