/**
 * The console's accounts: a search (as you type), the accounts with role, state, 2FA and last
 * sign-in, and per account: disable or enable, reset 2FA, reset the password, end the sessions,
 * make admin or staff; a form to create one. Destructive actions ask first; a new one-time
 * password is shown once; resetting 2FA and changing a role need a step-up.
 */
import type { AdminUser, AdminUserPage, UserActionView } from '../../../../protocol/admin.ts';
import { api, withQuery, type SignedIn } from '../../api.ts';
import { announce, h, type Text } from '../../dom.ts';
import type { MessageKey } from '../../i18n/translate.ts';
import { ask } from '../dialog.ts';
import { field } from '../layout.ts';
import { showOneTimePassword } from './one-time-password.ts';
import {
  button,
  errorSlot,
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
import { withStepUp } from './step-up.ts';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;
/** protocol/admin.ts's Username, for the browser's own check of the form. */
const USERNAME_PATTERN = '[a-z0-9][a-z0-9._\\-]{1,62}[a-z0-9]';

type Confirm = { message: MessageKey; confirm: MessageKey; danger?: boolean };
/** One action on an account: its button, what it asks first, what it calls, what it then says. */
type UserAction = {
  key: string;
  text: MessageKey;
  label: MessageKey;
  confirm?: Confirm;
  run: (user: AdminUser) => Promise<AdminUser | null>;
};

const userPath = <A extends string>(user: AdminUser, action: A) => `/api/admin/users/${encodeURIComponent(user.id)}/${action}` as const;

/** Announces what an action did and hands back the account as it is now. */
function done(view: UserActionView, said: MessageKey): AdminUser {
  announce([said, { name: view.user.displayName, count: String(view.sessionsEnded) }]);
  return view.user;
}

const ACTIONS: Record<string, UserAction> = {
  disable: {
    key: 'disable',
    text: 'userDisable',
    label: 'userDisableOf',
    confirm: { message: 'confirmUserDisable', confirm: 'userDisable', danger: true },
    run: async (user) => done(await api('POST', userPath(user, 'disable')), 'statusUserDisabled'),
  },
  enable: {
    key: 'enable',
    text: 'userEnable',
    label: 'userEnableOf',
    run: async (user) => done(await api('POST', userPath(user, 'enable')), 'statusUserEnabled'),
  },
  reset2fa: {
    key: 'reset-2fa',
    text: 'userReset2fa',
    label: 'userReset2faOf',
    confirm: { message: 'confirmUserReset2fa', confirm: 'userReset2fa', danger: true },
    run: async (user) => {
      const view = await withStepUp(() => api('POST', userPath(user, 'reset-2fa')));
      return view && done(view, 'statusUser2faReset');
    },
  },
  resetPassword: {
    key: 'reset-password',
    text: 'userResetPassword',
    label: 'userResetPasswordOf',
    confirm: { message: 'confirmUserResetPassword', confirm: 'userResetPassword', danger: true },
    run: async (user) => {
      const view = await api('POST', userPath(user, 'reset-password'));
      await showOneTimePassword(view.user, view.oneTimePassword, 'otpHeadingReset');
      announce(['statusUserPasswordReset', { name: view.user.displayName }]);
      return view.user;
    },
  },
  endSessions: {
    key: 'end-sessions',
    text: 'userEndSessions',
    label: 'userEndSessionsOf',
    confirm: { message: 'confirmUserEndSessions', confirm: 'userEndSessions', danger: true },
    run: async (user) => done(await api('POST', userPath(user, 'sessions/end')), 'statusUserSessionsEnded'),
  },
  makeAdmin: {
    key: 'make-admin',
    text: 'userMakeAdmin',
    label: 'userMakeAdminOf',
    confirm: { message: 'confirmUserMakeAdmin', confirm: 'userMakeAdmin' },
    run: async (user) => {
      const view = await withStepUp(() => api('POST', userPath(user, 'role'), { role: 'admin' }));
      return view && done(view, 'statusUserNowAdmin');
    },
  },
  makeStaff: {
    key: 'make-staff',
    text: 'userMakeStaff',
    label: 'userMakeStaffOf',
    confirm: { message: 'confirmUserMakeStaff', confirm: 'userMakeStaff', danger: true },
    run: async (user) => {
      const view = await withStepUp(() => api('POST', userPath(user, 'role'), { role: 'staff' }));
      return view && done(view, 'statusUserNowStaff');
    },
  },
};

/** The actions that fit an account as it is (none that would lock oneself out). */
function actionsFor(user: AdminUser, self: boolean): UserAction[] {
  const list: UserAction[] = [];
  if (user.disabled) list.push(ACTIONS['enable']!);
  else if (!self) list.push(ACTIONS['disable']!);
  if (user.totp) list.push(ACTIONS['reset2fa']!);
  list.push(ACTIONS['resetPassword']!);
  if (user.sessions > 0 && !self) list.push(ACTIONS['endSessions']!);
  if (user.role === 'staff') list.push(ACTIONS['makeAdmin']!);
  else if (!self) list.push(ACTIONS['makeStaff']!);
  return list;
}

function badges(user: AdminUser): HTMLElement {
  const badge = (text: MessageKey, className = '') => h('span', { class: `badge ${className}`.trim(), text });
  return h('span', { class: 'badges' }, [
    badge(user.role === 'admin' ? 'roleAdmin' : 'roleStaff', user.role === 'admin' ? 'admin' : ''),
    user.disabled ? badge('userStateDisabled', 'warning') : badge('userStateEnabled'),
    user.totp ? badge('user2faOn') : badge('user2faOff', 'warning'),
    user.mustChangePassword ? badge('userMustChangePassword') : null,
  ]);
}

function lastSignIn(user: AdminUser): HTMLElement {
  const sessions: Text = ['userSessions', { count: String(user.sessions) }];
  return h('span', { class: 'meta' }, [
    textSpan('userLastSignIn'),
    plainText(' '),
    user.lastLoginAt === null ? textSpan('userNeverSignedIn') : timeElement(user.lastLoginAt),
    plainText(' · '),
    textSpan(sessions),
  ]);
}

export function usersSection(session: SignedIn): AdminSection {
  const list = h('ul', { id: 'admin-user-list', class: 'admin-list users', label: 'usersList' });
  const summary = h('p', { id: 'admin-user-summary', class: 'meta' });
  const listError = errorSlot('admin-users-error');
  const search = h('input', { id: 'admin-user-search', attrs: { type: 'search', name: 'q', maxlength: '64', autocomplete: 'off', 'aria-controls': list.id } });
  const previous = button('pagePrevious', { id: 'admin-users-previous' });
  const next = button('pageNext', { id: 'admin-users-next' });
  let offset = 0;
  let query = '';

  const renderRow = (user: AdminUser): HTMLLIElement => {
    const self = user.id === session.user.id;
    const li = h('li', { class: 'admin-item user', attrs: { 'data-user-id': user.id, 'data-username': user.username } });
    const buttons = actionsFor(user, self).map((action) => {
      const b = button(action.text, {
        class: `user-${action.key}${action.confirm?.danger ? ' danger-outline' : ''}`,
        label: [action.label, { name: user.displayName }],
      });
      onAction(b, async () => {
        const what = action.confirm;
        if (
          what &&
          !(await ask({ id: 'confirm-user-action', message: [what.message, { name: user.displayName }], confirm: what.confirm, danger: what.danger ?? false }))
        )
          return;
        const changed = await action.run(user);
        if (!changed) return;
        const row = renderRow(changed);
        li.replaceWith(row);
        // Focus stays on the same account's row (its buttons have changed).
        (row.querySelector<HTMLButtonElement>(`button.user-${action.key}`) ?? row.querySelector<HTMLButtonElement>('button'))?.focus();
      });
      return b;
    });
    li.append(
      h('div', { class: 'item-line' }, [
        h('span', { class: 'item-title', plain: user.displayName }),
        h('code', { class: 'username', plain: user.username }),
        self ? textSpan('selfSuffix', 'self') : null,
        badges(user),
      ]),
      lastSignIn(user),
      h('div', { class: 'row-buttons' }, buttons),
    );
    return li;
  };

  // Searches overlap as one types: only the latest one's answer is shown.
  let latest = 0;
  const load = async () => {
    const mine = ++latest;
    const page: AdminUserPage = await api('GET', withQuery('/api/admin/users', { q: query || undefined, offset: offset || undefined, limit: PAGE_SIZE }));
    if (mine !== latest) return;
    list.replaceChildren(...page.users.map(renderRow));
    if (page.users.length === 0) list.append(h('li', { class: 'hint', text: query ? 'usersNoMatch' : 'usersNone' }));
    const shown: Text =
      page.users.length === 0
        ? ['usersCount', { count: String(page.total) }]
        : ['usersRange', { from: String(offset + 1), to: String(offset + page.users.length), total: String(page.total) }];
    setText(summary, shown);
    previous.hidden = offset === 0;
    next.hidden = offset + page.users.length >= page.total;
  };
  // Not guarded by the list's busy mark: a new search must not wait for (or be dropped behind) the one running.
  const reload = () => void runAction(null, h('div'), listError, load);

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = search.value.trim();
      offset = 0;
      reload();
    }, SEARCH_DELAY_MS);
  });
  onAction(
    previous,
    async () => {
      offset = Math.max(0, offset - PAGE_SIZE);
      await load();
    },
    listError,
  );
  onAction(
    next,
    async () => {
      offset += PAGE_SIZE;
      await load();
    },
    listError,
  );

  const element = sectionFrame('users', 'adminUsers', [
    h('div', { class: 'field' }, [
      h('label', { text: 'usersSearchLabel', attrs: { for: search.id } }),
      search,
      h('p', { class: 'hint', text: 'usersSearchHint' }),
    ]),
    summary,
    list,
    listError,
    h('div', { class: 'row-buttons' }, [previous, next]),
    createForm(() => {
      query = '';
      search.value = '';
      offset = 0;
      reload();
    }),
  ]);
  return { id: 'users', element, enter: reload, leave: () => clearTimeout(timer) };
}

function createForm(created: () => void): HTMLElement {
  const username = h('input', {
    id: 'new-user-username',
    attrs: {
      type: 'text',
      name: 'username',
      required: true,
      minlength: '3',
      maxlength: '64',
      pattern: USERNAME_PATTERN,
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'none',
    },
  });
  const displayName = h('input', { id: 'new-user-name', attrs: { type: 'text', name: 'displayName', required: true, maxlength: '64', autocomplete: 'off' } });
  const role = select('new-user-role', [
    ['staff', 'roleStaff'],
    ['admin', 'roleAdmin'],
  ]);
  const error = errorSlot('new-user-error');
  const form = h('form', { id: 'new-user-form' }, [
    field(username, 'usernameLabel', 'newUserUsernameHint'),
    field(displayName, 'displayNameLabel'),
    h('div', { class: 'field' }, [h('label', { text: 'roleLabel', attrs: { for: role.id } }), role]),
    error,
    h('button', { id: 'new-user-submit', class: 'primary', text: 'newUserButton', attrs: { type: 'submit' } }),
  ]);
  onFormSubmit(
    form,
    error,
    async () => {
      const view = await api('POST', '/api/admin/users', {
        username: username.value.trim(),
        displayName: displayName.value.trim(),
        role: role.value === 'admin' ? 'admin' : 'staff',
      });
      form.reset();
      await showOneTimePassword(view.user, view.oneTimePassword, 'otpHeadingCreated');
      announce(['statusUserCreated', { name: view.user.displayName }]);
      created();
    },
    (code) => (code === 'CONFLICT' ? 'newUserTaken' : code === 'INVALID_BODY' ? 'newUserInvalid' : null),
  );
  return h('section', { class: 'part', attrs: { 'aria-labelledby': 'new-user-heading' } }, [h('h3', { id: 'new-user-heading', text: 'newUserHeading' }), form]);
}
