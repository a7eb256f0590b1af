#!/usr/bin/env node
/**
 * `recinto` admin commands, run on the server host (they read the same configuration and data
 * directory as the server). `./recinto <command>` or `node server/cli.ts <command>`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.ts';
import { MeetingStore } from './meetings/store.ts';
import { openDatabase } from './store/db.ts';
import { loadSigningKey, mintJoinToken } from './tokens/join-token.ts';
import { createAudit } from './audit/audit.ts';

const HELP = `usage: recinto <command>

  start                               start the server (./recinto start)
  test | bench | setup                run the tests, the benchmarks, or only install (./recinto …)
  meeting create [TITLE]              create a meeting; prints its id
  meeting list                        list meetings
  token MEETING_ID --name NAME [--ttl SECONDS]
                                      mint a join link for one person (valid --ttl seconds,
                                      default from config joinTokens.defaultTtlSeconds)
  config check                        validate the configuration and print it
`;

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
    const store = new MeetingStore(db);
    if (sub === 'create') {
      const title = rest.join(' ').trim() || 'Reunión';
      if (title.length > 200) die('title: at most 200 characters');
      const meeting = store.create(title);
      createAudit(db)({ action: 'meeting.create', outcome: 'ok', actor: 'cli', meetingId: meeting.id, detail: { title } });
      process.stdout.write(`${meeting.id}\n`);
    } else if (sub === 'list') {
      for (const m of store.list()) process.stdout.write(`${m.id}\t${new Date(m.createdAt).toISOString()}\t${m.title}\n`);
    } else {
      die(`unknown: meeting ${sub ?? ''}\n${HELP}`);
    }
    db.close();
    break;
  }
  case 'token': {
    let parsed;
    try {
      parsed = parseArgs({ args: process.argv.slice(3), options: { name: { type: 'string' }, ttl: { type: 'string' } }, allowPositionals: true });
    } catch (error) {
      die(`${(error as Error).message}\n${HELP}`);
    }
    const { values, positionals } = parsed;
    const meetingId = positionals[0];
    if (!meetingId || !values.name) die(`token needs MEETING_ID and --name\n${HELP}`);
    const ttl = values.ttl === undefined ? config.joinTokens.defaultTtlSeconds : Number(values.ttl);
    if (!Number.isInteger(ttl) || ttl < 30 || ttl > config.joinTokens.maxTtlSeconds) {
      die(`--ttl: a whole number of seconds from 30 to ${config.joinTokens.maxTtlSeconds}`);
    }
    const db = openDatabase(config.dataDir);
    if (!new MeetingStore(db).get(meetingId)) die(`no meeting ${JSON.stringify(meetingId)} (see: recinto meeting list)`);
    let token: string;
    try {
      token = await mintJoinToken(loadSigningKey(config.dataDir), { meetingId, displayName: values.name, ttlSeconds: ttl });
    } catch (error) {
      die((error as Error).message);
    }
    createAudit(db)({ action: 'token.mint', outcome: 'ok', actor: 'cli', meetingId, detail: { displayName: values.name, ttl } });
    db.close();
    const origin = config.server.publicUrl || `https://localhost:${config.server.port}`;
    process.stdout.write(`${origin}/m/${meetingId}#token=${token}\n`);
    process.stderr.write(`(valid for ${ttl} s; send it to ${values.name} only)\n`);
    break;
  }
  default:
    die(`unknown command ${JSON.stringify(command)}\n${HELP}`);
}
