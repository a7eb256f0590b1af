/**
 * `/account`: who is signed in, password change, new recovery codes (shown once), the open
 * sessions with "end" for each and "sign out everywhere"; sign-out is in the navigation.
 */
import { onClick, reportError, signInAgain } from '../actions.ts';
import { api, type AccountView, type SessionInfo } from '../api.ts';
import { announce, h, type Text } from '../dom.ts';
import { recoveryCodesPanel } from './enrolment.ts';
import { card, navBar, section, type ShowView } from './layout.ts';
import { passwordForm } from './password-form.ts';

function identity(account: AccountView): HTMLElement {
  const row = (label: 'displayNameLabel' | 'usernameLabel', value: string) => [h('dt', { text: label }), h('dd', { plain: value })];
  return h('dl', { class: 'identity' }, [...row('displayNameLabel', account.user.displayName), ...row('usernameLabel', account.user.username)]);
}

function recoveryCodes(left: number): HTMLElement {
  const body = h('div', {});
  const summary = (count: number) => {
    const regenerate = h('button', { id: 'regenerate-codes', text: 'regenerateCodes', attrs: { type: 'button', 'aria-describedby': 'regenerate-hint' } });
    onClick(regenerate, async () => {
      const { recoveryCodes } = await api('POST', '/api/account/recovery-codes');
      body.replaceChildren(recoveryCodesPanel('new-codes', recoveryCodes, () => summary(recoveryCodes.length)));
      body.querySelector<HTMLElement>('ol')?.focus();
    });
    body.replaceChildren(
      h('p', { text: ['recoveryCodesLeft', { count: String(count) }] }),
      regenerate,
      h('p', { id: 'regenerate-hint', class: 'hint', text: 'regenerateHint' }),
    );
  };
  summary(left);
  return section('codes-heading', 'recoveryCodesHeading', [body]);
}

/** "Chrome 156 en Linux" (or what is known of it); the raw browser string is its tooltip. */
function deviceText({ device }: SessionInfo): Text {
  if (device.browser && device.system) return [device.mobile ? 'sessionDeviceMobile' : 'sessionDevice', { browser: device.browser, system: device.system }];
  if (device.browser ?? device.system) return ['sessionDeviceOne', { name: (device.browser ?? device.system)! }];
  return 'unknownDevice';
}

function sessionItem(info: SessionInfo, refresh: () => Promise<void>): HTMLLIElement {
  const end = h('button', {
    class: 'end-session',
    text: 'endSession',
    label: ['endSessionOf', { created: { date: info.createdAt } }],
    attrs: { type: 'button' },
  });
  onClick(end, async () => {
    await api('POST', `/api/account/sessions/${info.id}/end`);
    // Ending this browser's own session is signing out.
    if (info.current) signInAgain();
    else {
      announce('statusSessionEnded');
      await refresh();
    }
  });
  return h('li', { class: info.current ? 'session current' : 'session' }, [
    h('span', { class: 'device', text: deviceText(info), attrs: info.userAgent ? { title: info.userAgent } : {} }),
    info.current ? h('strong', { class: 'badge', text: 'thisSession' }) : null,
    h('span', { class: 'meta', text: ['sessionDetails', { created: { date: info.createdAt }, lastSeen: { date: info.lastSeenAt }, ip: info.ip ?? '—' }] }),
    end,
  ]);
}

function sessions(initial: readonly SessionInfo[]): { part: HTMLElement; refresh: () => Promise<void> } {
  const list = h('ul', { id: 'session-list', class: 'sessions', label: 'sessionsList' });
  const refresh = async () => render((await api('GET', '/api/account')).sessions);
  const render = (items: readonly SessionInfo[]) => list.replaceChildren(...items.map((s) => sessionItem(s, refresh)));
  render(initial);
  const everywhere = h('button', { id: 'sign-out-everywhere', class: 'danger', text: 'signOutEverywhere', attrs: { type: 'button' } });
  onClick(everywhere, async () => {
    await api('POST', '/api/account/sessions/end-all');
    location.assign('/login');
  });
  return { part: section('sessions-heading', 'sessionsHeading', [list, everywhere]), refresh };
}

export async function showAccount(show: ShowView): Promise<void> {
  let account: AccountView;
  try {
    account = await api('GET', '/api/account');
  } catch (err) {
    reportError(err);
    return;
  }
  const open = sessions(account.sessions);
  const password = passwordForm('password', account.user.username, () => {
    announce('statusPasswordChanged');
    open.refresh().catch(reportError);
  });
  show(
    'account',
    navBar('account', { admin: account.user.role === 'admin' }),
    card(
      'account-heading',
      'myAccount',
      [identity(account), section('password-heading', 'changePasswordButton', [password]), recoveryCodes(account.recoveryCodesLeft), open.part],
      { wide: true },
    ),
  );
}
