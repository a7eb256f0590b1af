/**
 * The admin console in a real Chromium against the real server, used as an admin would (clicks
 * and typing): a new account is created and its one-time password, read from the dialog, signs
 * in over HTTP; that account's 2FA is reset through the step-up dialog (a wrong code is said in
 * the dialog, Cancel changes nothing, a fresh code goes through); the organisation policy is
 * changed and a meeting a staff member creates afterwards over HTTP follows it; a live meeting
 * with a real WebSocket participant is ended and the participant is told; each of those actions
 * is found in the audit viewer with its filters, the export follows the time filter, the chain
 * verifies. A staff account sees only "no permission" on /admin. Every section has named
 * controls and fits a phone's width (390 px). Screenshots: test-output/e2e/admin-*.png.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { es } from '../../client/src/i18n/es.ts';
import type { MessageKey } from '../../client/src/i18n/translate.ts';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import { totpAt } from '../../server/auth/totp.ts';
import { accessibleControls, signedInBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { screenshot } from '../helpers/page.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
let admin: TestUser;
let staff: TestUser;
let chrome: SignedInBrowser | undefined;

/** A Spanish text of the client, with its placeholders filled. */
function say(key: MessageKey, vars: Record<string, string> = {}): string {
  return es[key].replace(/\{(\w+)\}/g, (_m, k: string) => vars[k] ?? `{${k}}`);
}

beforeAll(async () => {
  server = await startTestServer({ auth: { loginAttemptsPerMinutePerIp: 1000 } });
  [admin, staff] = await Promise.all([
    server.createUser('ines.admin', { displayName: 'Inés Gil', role: 'admin' }),
    server.createUser('pablo', { displayName: 'Pablo Ortega' }),
  ]);
  chrome = await signedInBrowser(server, admin, 'admin');
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

const SECTIONS = ['users', 'policy', 'meetings', 'audit', 'system'] as const;
const NAV: Record<(typeof SECTIONS)[number], MessageKey> = {
  users: 'adminUsers',
  policy: 'adminPolicy',
  meetings: 'adminMeetings',
  audit: 'adminAudit',
  system: 'adminSystem',
};

/** Waits until `locator` shows (the first of what it matches). */
const shown = (locator: Locator, timeout = 5_000) => locator.first().waitFor({ state: 'visible', timeout });

/** Waits until `locator`'s text contains `text` (or is it, `exact`). */
async function hasText(locator: Locator, text: string, options: { exact?: boolean; timeout?: number } = {}): Promise<void> {
  await waitFor(
    async () => {
      const actual = ((await locator.textContent()) ?? '').trim();
      return options.exact ? actual === text : actual.includes(text);
    },
    options.timeout ?? 5_000,
    { message: `${String(locator)} to ${options.exact ? 'be' : 'contain'} "${text}"`, intervalMs: 50 },
  );
}

/** Chooses a section in the console's navigation and waits until it is the one shown. */
async function section(page: Page, id: (typeof SECTIONS)[number]): Promise<void> {
  await page
    .getByRole('navigation', { name: say('adminSections') })
    .getByRole('link', { name: say(NAV[id]), exact: true })
    .click();
  await page.locator(`#admin-${id}`).waitFor({ state: 'visible' });
  await page.waitForFunction((busy) => !document.querySelector(`#admin-${busy} [aria-busy="true"]`), id);
}

/** The datetime-local value (the browser's time zone, to the second) of `ms`. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A six-digit code that is none of the codes the server would accept now for `secret`. */
function wrongCode(secret: string): string {
  const step = Math.floor(Date.now() / 1000 / 30);
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpAt({ secret, time: (step + d) * 30 })));
  let code = 123456;
  while (valid.has(String(code).padStart(6, '0'))) code++;
  return String(code).padStart(6, '0');
}

/** Filters the audit viewer by action (and more) and returns the rows' action, actor, meeting, outcome and detail. */
async function auditFilter(page: Page, filters: { action?: string; actor?: string; meeting?: string; outcome?: string; since?: number }) {
  const form = page.locator('#audit-filters');
  await page.locator('#audit-clear').click();
  await page.waitForFunction(() => !document.querySelector('#audit-rows[aria-busy="true"]'));
  if (filters.since !== undefined) await form.getByLabel(say('auditSince'), { exact: true }).fill(localInput(filters.since));
  if (filters.actor) await form.getByLabel(say('auditActor'), { exact: true }).fill(filters.actor);
  if (filters.action) await form.getByLabel(say('auditAction'), { exact: true }).fill(filters.action);
  if (filters.meeting) await form.getByLabel(say('auditMeeting'), { exact: true }).fill(filters.meeting);
  if (filters.outcome) await form.getByLabel(say('auditOutcome'), { exact: true }).selectOption(filters.outcome);
  const before = await page.locator('#audit-summary').textContent();
  await form.getByRole('button', { name: say('auditApply') }).click();
  await page.waitForFunction(
    (was) => !document.querySelector('#audit-filters[aria-busy="true"]') && document.querySelector('#audit-summary')?.textContent !== was,
    before,
  );
  return page.locator('#audit-rows tr').evaluateAll((rows) =>
    rows.map((tr) => {
      const cells = [...tr.querySelectorAll('td .cell-value')].map((value) => value.textContent ?? '');
      return {
        action: cells[1]!,
        actor: cells[2]!,
        meeting: cells[3]!,
        outcome: cells[4]!,
        detail: cells[5]!,
        seq: Number((tr as HTMLElement).dataset['seq']),
      };
    }),
  );
}

describe('the admin console', () => {
  it('creates an account, resets its 2FA with a step-up, sets the organisation policy, ends a live meeting, and finds it all in the audit viewer', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const page = chrome!.page;
    // An admin finds the console on the home page.
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.recinto?.view === 'home');
    await page
      .getByRole('navigation', { name: say('mainNav') })
      .getByRole('link', { name: say('adminHeading') })
      .click();
    await page.waitForFunction(() => window.recinto?.view === 'admin');
    await page.locator('#admin-users [data-username="ines.admin"]').waitFor();
    await screenshot(page, 'admin-users');

    // --- a new account; its one-time password is shown once, in a dialog, and signs in
    const create = page.locator('#new-user-form');
    await create.getByLabel(say('usernameLabel'), { exact: true }).fill('rosa.vidal');
    await create.getByLabel(say('displayNameLabel'), { exact: true }).fill('Rosa Vidal');
    await create.getByRole('button', { name: say('newUserButton') }).click();
    const otpDialog = page.getByRole('dialog', { name: say('otpHeadingCreated', { name: 'Rosa Vidal' }) });
    await otpDialog.waitFor();
    await shown(otpDialog.getByText(say('otpWarning')));
    const oneTimePassword = (await otpDialog.locator('#otp-password').textContent())!;
    expect(oneTimePassword.length).toBeGreaterThanOrEqual(12);
    await screenshot(page, 'admin-one-time-password');
    await otpDialog.getByRole('button', { name: say('otpDone') }).click();
    await otpDialog.waitFor({ state: 'detached' });
    await page.locator('#admin-user-list [data-username="rosa.vidal"]').waitFor();

    const rosa = new HttpClient(server.url);
    const login = await rosa.post('/api/auth/login', { username: 'rosa.vidal', password: oneTimePassword });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toMatchObject({ signedIn: true, next: 'enrol' });
    // Rosa sets up her authenticator, so there is a 2FA to reset.
    const enrolment = await rosa.post('/api/auth/enrol/start');
    const enrolled = await rosa.post('/api/auth/enrol/confirm', { code: totpAt({ secret: enrolment.body.secret, time: Date.now() / 1000 }) });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    const rosaId = server.recinto.auth.accounts.byUsername('rosa.vidal')!.id;
    expect(server.recinto.auth.accounts.byId(rosaId)!.totpSecret).toBeTruthy();

    // The search finds her (as typed, after its short pause) and shows her 2FA now set up.
    await page.getByLabel(say('usersSearchLabel')).fill('vidal');
    await waitFor(async () => (await page.locator('#admin-user-list > li.user').count()) === 1, 5_000, { message: 'the search down to Rosa' });
    const row = page.locator('#admin-user-list [data-username="rosa.vidal"]');
    await shown(row.getByText(say('user2faOn'), { exact: true }));

    // --- reset her 2FA: confirmation, then the step-up dialog
    const reset2fa = row.getByRole('button', { name: say('userReset2faOf', { name: 'Rosa Vidal' }) });
    const confirmReset = async () => {
      await reset2fa.click();
      await page
        .getByRole('dialog')
        .getByRole('button', { name: say('userReset2fa') })
        .click();
      const stepUp = page.getByRole('dialog', { name: say('stepUpHeading') });
      await stepUp.waitFor();
      return stepUp;
    };
    let stepUp = await confirmReset();
    const code = stepUp.getByLabel(say('codeLabel'));
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    await code.fill(wrongCode(admin.totpSecret));
    await stepUp.getByRole('button', { name: say('stepUpConfirm') }).click();
    await hasText(stepUp.getByRole('alert'), say('err_INVALID_CODE'));
    await screenshot(page, 'admin-step-up-wrong-code');
    // Cancel: the dialog goes, nothing is done.
    await stepUp.getByRole('button', { name: say('cancel') }).click();
    await stepUp.waitFor({ state: 'detached' });
    expect(server.recinto.auth.accounts.byId(rosaId)!.totpSecret, 'a cancelled step-up resets nothing').toBeTruthy();
    expect((await rosa.get('/api/session')).body.signedIn).toBe(true);

    stepUp = await confirmReset();
    await stepUp.getByLabel(say('codeLabel')).fill(admin.nextCode());
    await stepUp.getByRole('button', { name: say('stepUpConfirm') }).click();
    await stepUp.waitFor({ state: 'detached' });
    await shown(page.locator('#admin-user-list [data-username="rosa.vidal"]').getByText(say('user2faOff'), { exact: true }));
    expect(server.recinto.auth.accounts.byId(rosaId)!.totpSecret, '2FA removed').toBeFalsy();
    expect((await rosa.get('/api/session')).body.signedIn, 'her sessions ended').toBe(false);
    const again = new HttpClient(server.url);
    expect((await again.post('/api/auth/login', { username: 'rosa.vidal', password: oneTimePassword })).body.next, 'she sets up 2FA again').toBe('enrol');

    // --- the organisation policy: new meetings without chat and without a waiting room
    const pablo = await server.signIn(staff);
    const before = await pablo.post('/api/meetings', { title: 'Antes del cambio' });
    expect(before.body.policy).toMatchObject({ chat: true, waitingRoom: true });
    await section(page, 'policy');
    await hasText(page.locator('#org-policy-source'), say('orgPolicyFromConfig'), { exact: true });
    const policy = page.locator('#org-policy-form');
    const defaults = policy.getByRole('group', { name: say('orgMeetingDefaults') });
    await defaults.getByLabel(say('policyChat'), { exact: true }).uncheck();
    await defaults.getByLabel(say('policyWaitingRoom'), { exact: true }).uncheck();
    await policy.getByRole('button', { name: say('orgPolicySave') }).click();
    // The step-up above still holds (five minutes): no second code is asked for.
    await hasText(page.locator('#org-policy-source'), say('orgPolicySaved', { who: 'ines.admin' }).split(' el ')[0]!);
    expect(await page.getByRole('dialog').count()).toBe(0);
    await screenshot(page, 'admin-policy');
    const after = await pablo.post('/api/meetings', { title: 'Claustro' });
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    expect(after.body.policy).toMatchObject({ chat: false, waitingRoom: false });
    const meetingId: string = after.body.id;

    // --- a live meeting with Pablo inside (a real WebSocket), ended from the console
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const endedFrom = Math.floor(Date.now() / 1000) * 1000;
    const participant = await TestClient.connect(pablo);
    expect((await participant.join(meetingId)).status).toBe('joined');
    await section(page, 'meetings');
    const live = page.locator(`#admin-meeting-list [data-meeting-id="${meetingId}"]`);
    await hasText(live, 'Claustro');
    await hasText(live, say('livePeople', { count: '1', waiting: '0' }), { timeout: 8_000 });
    await hasText(live, say('liveHosts', { names: 'Pablo Ortega' }));
    await screenshot(page, 'admin-meetings');
    await live.getByRole('button', { name: say('liveEndOf', { title: 'Claustro' }) }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: say('liveEnd'), exact: true })
      .click();
    await participant.waitForNotification('meetingEnded');
    await shown(page.getByText(say('liveNone')));
    await participant.close();

    // --- the audit viewer finds each of them
    await section(page, 'audit');
    const created = await auditFilter(page, { action: 'account.created' });
    expect(created.some((r) => r.detail.includes('rosa.vidal') && r.actor === 'ines.admin')).toBe(true);
    const resets = await auditFilter(page, { action: 'auth.totp_reset', actor: 'ines.admin' });
    expect(resets.length).toBe(1);
    expect(resets[0]!.outcome).toBe(say('outcomeOk'));
    const policyChanges = await auditFilter(page, { action: 'admin.policy_changed' });
    expect(policyChanges.length).toBe(1);
    expect(policyChanges[0]!.detail).toContain('"chat":false');
    const inMeeting = await auditFilter(page, { meeting: meetingId });
    expect(inMeeting.length).toBeGreaterThan(0);
    expect(inMeeting.every((r) => r.meeting === meetingId)).toBe(true);
    expect(inMeeting.some((r) => r.actor === 'ines.admin' && /end/.test(r.action))).toBe(true);
    const denied = await auditFilter(page, { outcome: 'denied', actor: 'ines.admin' });
    expect(denied.length, 'the wrong step-up code').toBeGreaterThan(0);
    expect(denied.every((r) => r.outcome === say('outcomeDenied'))).toBe(true);
    // The time filter: only what happened since the meeting was ended, and the export follows it.
    const recent = await auditFilter(page, { since: endedFrom });
    expect(recent.some((r) => r.meeting === meetingId)).toBe(true);
    expect(recent.some((r) => r.action === 'account.created')).toBe(false);
    await screenshot(page, 'admin-audit');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: say('auditExportOf_jsonl') }).click()]);
    const exported = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { at: number; action: string });
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.every((r) => r.at >= endedFrom)).toBe(true);
    // The chain verifies.
    await page.getByRole('button', { name: say('auditVerifyNow') }).click();
    await hasText(page.locator('#audit-status .verify-state'), say('verifyOk'), { exact: true, timeout: 10_000 });

    // --- the system
    await section(page, 'system');
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    await hasText(page.locator('#system-content'), version);
    expect(await page.locator('#system-workers tbody tr').count()).toBe(1);
    expect(await page.locator('#system-workers tbody tr td').nth(1).textContent()).toBe(say('yes'));
    // The certificate as the server reads it: its expiry, and whether it is self-signed, said.
    const { certificate } = (await chrome!.http.get('/api/admin/system')).body;
    const cert = page.locator('#system-certificate');
    await hasText(cert, certificate.subject.split('\n')[0]);
    expect(await cert.locator('dd').nth(3).textContent()).toBe(String(certificate.daysLeft));
    expect(await cert.getByText(say('systemCertSelfSigned')).count()).toBe(certificate.selfSigned ? 1 : 0);
    expect(await cert.getByText(say('systemCertExpiring', { days: String(certificate.daysLeft) })).count()).toBe(certificate.daysLeft < 30 ? 1 : 0);
    await screenshot(page, 'admin-system');
  });

  it('names every control of every section in Spanish and English, and fits a phone (390 px)', async () => {
    onTestFailed(() => console.log(chrome?.logs.join('\n')));
    const page = await chrome!.context.newPage();
    for (const lang of ['es', 'en'] as const) {
      await page.goto(`${server.url}/admin?lang=${lang}`);
      await page.waitForFunction(() => window.recinto?.view === 'admin');
      for (const id of SECTIONS) {
        await page.locator(`#admin-nav-${id}`).click();
        await page.locator(`#admin-${id}`).waitFor({ state: 'visible' });
        await page.waitForFunction((s) => !document.querySelector(`#admin-${s} [aria-busy="true"]`), id);
        const unnamed = (await accessibleControls(page)).filter((c) => !c.name.trim());
        expect(unnamed, `${id} (${lang})`).toEqual([]);
      }
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/admin?lang=es`);
    await page.waitForFunction(() => window.recinto?.view === 'admin');
    for (const id of SECTIONS) {
      await page.locator(`#admin-nav-${id}`).click();
      await page.waitForFunction((s) => !document.querySelector(`#admin-${s} [aria-busy="true"]`), id);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${id} fits 390 px`).toBeLessThanOrEqual(390);
      await screenshot(page, `admin-phone-${id}`);
    }
    await page.close();
  });

  it('shows a staff account only that it has no permission', async () => {
    const http = await server.signIn(staff);
    const context = await chrome!.browser.newContext({ ignoreHTTPSErrors: true });
    await context.addCookies([{ name: SESSION_COOKIE, value: http.session!, url: server.url, httpOnly: true, secure: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.waitForFunction(() => window.recinto?.view === 'admin');
    await shown(page.getByText(say('adminNoPermission')));
    expect(await page.getByRole('link', { name: say('adminBackHome') }).getAttribute('href')).toBe('/');
    expect(await page.locator('.console-nav').count()).toBe(0);
    // Nor is the console linked from the home page for staff (it is for admins).
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.recinto?.view === 'home');
    expect(await page.getByRole('link', { name: say('adminHeading') }).count()).toBe(0);
    await screenshot(page, 'admin-staff-home');
    await context.close();
  });
});
