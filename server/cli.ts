#!/usr/bin/env node
/**
 * `recinto` admin commands, run on the server host (they read the same configuration and data
 * directory as the server). `./recinto <command>` or `node server/cli.ts <command>`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.ts';
import { Title } from '../protocol/ids.ts';
import { MeetingStore } from './meetings/store.ts';
import { openDatabase } from './store/db.ts';
import { createAudit } from './audit/audit.ts';
import { AUDIT_HELP, auditCommand } from './audit/commands.ts';
import { BACKUP_HELP, backupCommand } from './backup/commands.ts';
import { signingKeyFile } from './audit/signing-key.ts';
import pkg from '../package.json' with { type: 'json' };
import { AccountStore } from './auth/accounts.ts';
import { UserAdministration } from './admin/users.ts';
import { OrgPolicyStore } from './admin/policy.ts';
import { PasswordHasher } from './auth/passwords.ts';
import { loadOrCreateKey } from './auth/secret-box.ts';
import { SessionStore } from './auth/sessions.ts';
import type { Config } from './config/schema.ts';
import { DomainError } from './errors.ts';
import { coturnConfig } from './turn/coturn-config.ts';
import { coturnSettings } from './turn/service.ts';
import { compile } from './validation.ts';

/** The meetings API's rule for titles, so a title the API would refuse cannot come in here. */
const isTitle = compile(Title);

const HELP = `usage: recinto <command>

  start                               start the server (./recinto start)
  test | bench | setup                run the tests, the benchmarks, or only install (./recinto …)
  meeting create TITLE --host USERNAME
                                      create a meeting hosted by USERNAME; prints its id and password
  meeting list                        list meetings
  config check                        validate the configuration and print it
  user add USERNAME --name "FULL NAME" [--role staff|admin]
                                      create an account; prints a one-time password that must
                                      be changed (with 2FA set up) at the first sign-in
  user list                           list accounts
  user disable|enable USERNAME        block or allow sign-in (disabling ends its sessions)
  user reset-2fa USERNAME             remove 2FA and recovery codes; set up again at next sign-in
  user reset-password USERNAME        new one-time password (ends its sessions)
  user revoke-sessions USERNAME       sign the user out everywhere
  user role USERNAME staff|admin      make the account staff or admin (never the last admin
                                      staff); the same rules as the admin console (/admin)
  turn config                         print a hardened coturn turnserver.conf from this
                                      configuration (docs/turn.md; it holds the shared secret)
${AUDIT_HELP}${BACKUP_HELP}`;

function die(message: string, code = 2): never {
  process.stderr.write(`recinto: ${message}\n`);
  process.exit(code);
}

const [command, sub, ...rest] = process.argv.slice(2);
if (!command || command === '--help' || command === 'help' || command === '-h') {
  process.stdout.write(HELP);
  process.exit(0);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) die(error.message, 78);
  throw error;
}

switch (command) {
  case 'config': {
    if (sub !== 'check') die(`unknown: config ${sub ?? ''}\n${HELP}`);
    process.stdout.write(`${JSON.stringify(config, null, 2)}\nconfiguration is valid\n`);
    break;
  }
  case 'meeting': {
    const db = openDatabase(config.dataDir);
    // The organisation policy in force (the admin console's, else this configuration's).
    const orgPolicy = new OrgPolicyStore(db, config);
    const store = new MeetingStore(db, loadOrCreateKey(config.secretKeyFile), () => orgPolicy.current());
    if (sub === 'create') {
      const { values, positionals } = parseArgs({ args: rest, options: { host: { type: 'string' } }, allowPositionals: true });
      const title = positionals.join(' ').trim() || 'Reunión';
      if (!isTitle(title)) die('title: 1–200 printable characters (no control or invisible formatting characters)');
      if (!values.host) die(`meeting create needs --host USERNAME (who admits people and runs the meeting)\n${HELP}`);
      const host = new AccountStore(db).byUsername(values.host);
      if (!host) die(`no user ${JSON.stringify(values.host)} (see: recinto user list)`);
      const meeting = store.create({ title, ownerId: host.id, policy: orgPolicy.current().meetingDefaults });
      createAudit(db)({ action: 'meeting.create', outcome: 'ok', actor: 'cli', meetingId: meeting.id, detail: { title, host: host.id } });
      process.stdout.write(`${meeting.id}\npassword: ${store.password(meeting.id)}\n`);
    } else if (sub === 'list') {
      for (const m of store.list()) process.stdout.write(`${m.id}\t${new Date(m.createdAt).toISOString()}\t${m.title}\n`);
    } else {
      die(`unknown: meeting ${sub ?? ''}\n${HELP}`);
    }
    db.close();
    break;
  }
  case 'user': {
    await userCommand(config, sub, rest);
    break;
  }
  case 'audit': {
    const dataDir = config.dataDir;
    process.exitCode = auditCommand(sub, rest, {
      openDb: () => openDatabase(dataDir),
      signingKeyFile: signingKeyFile(config.secretKeyFile),
      version: pkg.version,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
    break;
  }
  case 'backup':
  case 'restore': {
    process.exitCode = await backupCommand(
      command,
      [sub, ...rest].filter((a): a is string => a !== undefined),
      {
        dataDir: config.dataDir,
        secretKeyFile: config.secretKeyFile,
        signingKeyFile: signingKeyFile(config.secretKeyFile),
        version: pkg.version,
        actor: `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'unknown'}`,
        env: process.env,
        stdin: process.stdin,
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
      },
    );
    break;
  }
  case 'turn': {
    if (sub !== 'config' || rest.length > 0) die(`unknown: turn ${[sub, ...rest].join(' ')}\n${HELP}`);
    // The secret is derived from the server's key: the same one the server signs credentials with.
    process.stdout.write(coturnConfig(coturnSettings(config, loadOrCreateKey(config.secretKeyFile))));
    if (!config.turn.enabled) process.stderr.write('recinto: note: turn.enabled is false: the server hands out no TURN credentials until it is true\n');
    break;
  }
  default:
    die(`unknown command ${JSON.stringify(command)}\n${HELP}`);
}

async function userCommand(config: Config, sub: string | undefined, args: string[]): Promise<void> {
  const db = openDatabase(config.dataDir);
  const accounts = new AccountStore(db);
  const { sessionIdleMinutes, sessionAbsoluteHours } = new OrgPolicyStore(db, config).current();
  const users = new UserAdministration({
    accounts,
    sessions: new SessionStore(db, { idleMinutes: sessionIdleMinutes, absoluteHours: sessionAbsoluteHours }),
    hasher: new PasswordHasher(config.auth.argon2, { maxConcurrent: 1 }),
    audit: createAudit(db),
  });
  const by = { actor: `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'unknown'}`, via: 'cli' } as const;
  const target = () => {
    const username = args[0];
    if (!username) die(`user ${sub} needs USERNAME\n${HELP}`);
    return users.byUsername(username);
  };
  try {
    switch (sub) {
      case 'add': {
        const { values, positionals } = parseArgs({
          args,
          options: { name: { type: 'string' }, role: { type: 'string', default: 'staff' } },
          allowPositionals: true,
        });
        const username = positionals[0];
        if (!username || !values.name) die(`user add needs USERNAME and --name\n${HELP}`);
        if (values.role !== 'staff' && values.role !== 'admin') die('--role: staff or admin');
        const created = await users.create({ username, displayName: values.name, role: values.role }, by);
        process.stdout.write(`created ${username}\none-time password (shown only now): ${created.oneTimePassword}\n`);
        break;
      }
      case 'list':
        for (const a of accounts.list()) {
          process.stdout.write(`${a.username}\t${a.role}\t${a.disabled ? 'disabled' : 'active'}\t2fa:${a.totpSecret ? 'yes' : 'no'}\t${a.displayName}\n`);
        }
        break;
      case 'disable':
      case 'enable': {
        const account = target();
        users.setDisabled(account.id, sub === 'disable', by);
        process.stdout.write(`${account.username} ${sub}d\n`);
        break;
      }
      case 'reset-2fa': {
        const account = target();
        users.resetTotp(account.id, by);
        process.stdout.write(`${account.username}: two-factor authentication removed; it must be set up again at the next sign-in\n`);
        break;
      }
      case 'reset-password': {
        const account = target();
        const { oneTimePassword } = await users.resetPassword(account.id, by);
        process.stdout.write(`${account.username}: one-time password (shown only now): ${oneTimePassword}\n`);
        break;
      }
      case 'revoke-sessions': {
        const account = target();
        const { sessionsEnded } = users.endSessions(account.id, by);
        process.stdout.write(`${account.username}: ${sessionsEnded} session(s) ended\n`);
        break;
      }
      case 'role': {
        const account = target();
        const role = args[1];
        if (role !== 'staff' && role !== 'admin') die(`user role needs USERNAME and staff or admin\n${HELP}`);
        users.setRole(account.id, role, by);
        process.stdout.write(`${account.username} is now ${role}\n`);
        break;
      }
      default:
        die(`unknown: user ${sub ?? ''}\n${HELP}`);
    }
  } catch (error) {
    if (error instanceof DomainError) die(error.message);
    throw error;
  } finally {
    db.close();
  }
}
