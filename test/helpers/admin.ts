/** What the admin console's tests share: a signed-in administrator, the step-up, the audit rows of refusals. */
import type { HttpClient, HttpReply } from './http-client.ts';
import type { TestServer, TestUser } from './server.ts';
import { auditRows } from './audit.ts';

/** A server for console tests: sign-ins not rate-limited, password hashing at OWASP's floor (accounts are made and reset often). */
export const CONSOLE_TEST_CONFIG = {
  auth: { loginAttemptsPerMinutePerIp: 1000, argon2: { memoryKiB: 19_456, iterations: 2, parallelism: 1 } },
} as const;

export interface TestAdmin {
  user: TestUser;
  http: HttpClient;
  /** Sends a fresh TOTP code to POST /api/admin/step-up (must succeed). */
  stepUp(): Promise<HttpReply>;
}

/** An administrator account with 2FA, signed in. */
export async function signInAdmin(server: TestServer, username = 'root', displayName = 'Root Admin'): Promise<TestAdmin> {
  const user = await server.createUser(username, { role: 'admin', displayName });
  const http = await server.signIn(user);
  return {
    user,
    http,
    async stepUp() {
      const reply = await http.post('/api/admin/step-up', { code: user.nextCode() });
      if (reply.status !== 200) throw new Error(`step-up failed: ${JSON.stringify(reply.body)}`);
      return reply;
    },
  };
}

/** The `admin.refused` rows audited for `route` ("METHOD /api/admin/…"), oldest first. */
export function refusedRows(server: TestServer, route?: string) {
  return auditRows(server.recinto.db, { action: 'admin.refused', outcome: 'denied' }).filter((r) => route === undefined || r.detail.route === route);
}

/** PUT /api/admin/policy with `change` over the policy in force (the caller has stepped up). */
export async function changePolicy(server: TestServer, admin: TestAdmin, change: Record<string, unknown>): Promise<HttpReply> {
  const current = server.recinto.orgPolicy.current();
  const meetingDefaults = { ...current.meetingDefaults, ...(change.meetingDefaults as object | undefined) };
  return admin.http.send('PUT', '/api/admin/policy', { ...current, ...change, meetingDefaults });
}
