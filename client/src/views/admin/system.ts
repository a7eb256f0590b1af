/**
 * The server at a glance: versions, since when it runs (and whether it is draining), each media
 * worker (alive, CPU, consumers), the TLS certificate's expiry (a warning under 30 days; a
 * self-signed one noted), the SIEM outbox per destination, the database's size.
 */
import type { SystemView } from '../../../../protocol/admin.ts';
import { api } from '../../api.ts';
import { h } from '../../dom.ts';
import type { MessageKey } from '../../i18n/translate.ts';
import { button, details, errorSlot, formatBytes, onAction, runAction, sectionFrame, textSpan, timeElement, type AdminSection } from './parts.ts';

/** Fewer days than this left on the certificate: said as a warning. */
export const CERTIFICATE_WARNING_DAYS = 30;

function table(id: string, caption: MessageKey, columns: readonly MessageKey[], rows: readonly (readonly (Node | string)[])[]): HTMLElement {
  return h('div', { class: 'table-scroll' }, [
    h('table', { id, class: 'admin-table' }, [
      h('caption', { text: caption }),
      h('thead', {}, [
        h(
          'tr',
          {},
          columns.map((key) => h('th', { text: key, attrs: { scope: 'col' } })),
        ),
      ]),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((c) => h('td', {}, [typeof c === 'string' ? document.createTextNode(c) : c])),
          ),
        ),
      ),
    ]),
  ]);
}

function render(system: SystemView): HTMLElement[] {
  const cert = system.certificate;
  const expiring = cert.daysLeft < CERTIFICATE_WARNING_DAYS;
  const yes = (flag: boolean) => textSpan(flag ? 'yes' : 'no');
  return [
    details('system-facts', [
      ['systemVersion', system.version],
      ['systemNode', system.node],
      ['systemMediasoup', system.mediasoup],
      ['systemStartedAt', timeElement(system.startedAt)],
      ['systemDraining', yes(system.draining)],
      ['systemDatabase', formatBytes(system.database.bytes)],
    ]),
    h('h3', { text: 'systemWorkers' }),
    system.workers.length === 0
      ? textSpan('systemNoWorkers', 'hint')
      : table(
          'system-workers',
          'systemWorkers',
          ['systemWorkerIndex', 'systemWorkerAlive', 'systemWorkerPid', 'systemWorkerCpu', 'systemWorkerRouters', 'systemWorkerConsumers'],
          system.workers.map((w) => [
            String(w.index),
            textSpan(w.alive ? 'yes' : 'systemWorkerDead', w.alive ? '' : 'warning-text'),
            w.pid === null ? '—' : String(w.pid),
            w.cpuPercent === null ? '—' : `${w.cpuPercent.toFixed(1)} %`,
            String(w.routers),
            String(w.consumers),
          ]),
        ),
    h('h3', { text: 'systemCertificate' }),
    h('div', { id: 'system-certificate', class: expiring ? 'notice warning' : '' }, [
      details('certificate', [
        ['systemCertSubject', h('code', { plain: cert.subject })],
        ['systemCertIssuer', h('code', { plain: cert.issuer })],
        ['systemCertExpires', timeElement(cert.notAfter)],
        ['systemCertDaysLeft', String(cert.daysLeft)],
      ]),
      expiring ? h('p', { class: 'warning-text', text: ['systemCertExpiring', { days: String(cert.daysLeft) }] }) : null,
      cert.selfSigned ? h('p', { class: 'hint', text: 'systemCertSelfSigned' }) : null,
    ]),
    h('h3', { text: 'systemSiem' }),
    system.siem.length === 0
      ? textSpan('systemNoSiem', 'hint')
      : table(
          'system-siem',
          'systemSiem',
          ['systemSiemDestination', 'systemSiemPending'],
          system.siem.map((s) => [s.destination === 'syslog' ? 'syslog (RFC 5424)' : 'HTTPS', String(s.pending)]),
        ),
  ];
}

export function systemSection(): AdminSection {
  const content = h('div', { id: 'system-content' });
  const error = errorSlot('system-error');
  const refresh = button('refresh', { id: 'system-refresh', label: 'systemRefresh' });
  const load = async () => content.replaceChildren(...render(await api('GET', '/api/admin/system')));
  onAction(refresh, load, error);
  const element = sectionFrame('system', 'adminSystem', [refresh, content, error]);
  return { id: 'system', element, enter: () => void runAction(null, content, error, load), leave: () => {} };
}
