/**
 * Configuration: built-in defaults (config/default.json) ← a local override file
 * (config/local.json, or the file named by RECINTO_CONFIG) ← environment variables RECINTO_*.
 * The result is validated against ConfigSchema; any problem throws a ConfigError that names the
 * key, where the value came from, and what is wrong, and the server does not start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileReportingAll, describeErrors } from '../validation.ts';
import { ConfigSchema, ENV_KEYS, type Config } from './schema.ts';

/** The project root: relative paths in configuration files are resolved against it. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** RECINTO_* variables that are not configuration keys but are known (wrapper, config file, client build, backup passphrase). */
const OTHER_ENV = new Set(['RECINTO_CONFIG', 'RECINTO_CACHE_DIR', 'RECINTO_SOURCEMAPS', 'RECINTO_BACKUP_PASSPHRASE']);

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface LoadOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Applied last, above the environment (tests and embedding). */
  overrides?: DeepPartial<Config>;
}

const validateConfig = compileReportingAll(ConfigSchema);

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  /** Where each overridden key came from, to name it in errors. */
  const sources = new Map<string, string>();

  const defaults = readJsonFile(resolve(PROJECT_ROOT, 'config/default.json'), problems);
  let merged: JsonObject = defaults ?? {};

  const localFile = env.RECINTO_CONFIG ? resolve(env.RECINTO_CONFIG) : resolve(PROJECT_ROOT, 'config/local.json');
  if (env.RECINTO_CONFIG && !existsSync(localFile)) problems.push(`RECINTO_CONFIG: file not found: ${localFile}`);
  if (existsSync(localFile)) {
    const local = readJsonFile(localFile, problems);
    if (local) {
      for (const key of leafKeys(local)) sources.set(key, localFile);
      merged = deepMerge(merged, local);
    }
  }

  // Files that do not parse make schema errors meaningless; bad variables do not.
  const filesParsed = problems.length === 0;
  const fromEnv: JsonObject = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('RECINTO_') || raw === undefined || OTHER_ENV.has(name)) continue;
    const key = ENV_KEYS[name];
    if (!key) {
      problems.push(`${name}: unknown setting (known: ${Object.keys(ENV_KEYS).join(', ')})`);
      continue;
    }
    const value = parseEnvValue(raw, typeAt(key));
    if (value === undefined) {
      problems.push(`${key} (from ${name}): expected ${typeAt(key)}, got ${JSON.stringify(raw)}`);
      continue;
    }
    setPath(fromEnv, key, value);
    sources.set(key, name);
  }
  merged = deepMerge(merged, fromEnv);
  if (options.overrides) merged = deepMerge(merged, options.overrides);

  if (filesParsed && !validateConfig(merged)) {
    const unparsed = new Set(problems.map((p) => p.slice(0, p.indexOf(' '))));
    for (const line of describeErrors(validateConfig.errors, '', Number.POSITIVE_INFINITY)) {
      const key = line.slice(0, line.indexOf(':'));
      if (unparsed.has(key)) continue;
      const source = sources.get(key);
      problems.push(source ? line.replace(key, `${key} (from ${source})`) : line);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = merged as unknown as Config;
  if (config.media.rtcMinPort > config.media.rtcMaxPort) problems.push('media.rtcMinPort: must be <= media.rtcMaxPort');
  if (config.meetings.e2eeRequired && !config.meetings.policy.e2ee) {
    const source = sources.get('meetings.policy.e2ee');
    problems.push(`meetings.policy.e2ee${source ? ` (from ${source})` : ''}: must be true while meetings.e2eeRequired is true`);
  }
  // Without publicUrl only the listener's own names are accepted origins, and links point at
  // localhost: fine on a development machine, never what people reach in production.
  if (!config.tls.selfSigned && !config.server.publicUrl) {
    const source = sources.get('tls.selfSigned');
    problems.push(
      `server.publicUrl: required when tls.selfSigned${source ? ` (from ${source})` : ''} is false (production): set it to the address people use, e.g. https://meet.example.org`,
    );
  }
  // Browsers need a name to reach coturn at (docs/turn.md).
  if (config.turn.enabled && !config.turn.host && !config.server.publicUrl) {
    problems.push('turn.host: required when turn.enabled is true and server.publicUrl is empty: the name or address browsers reach coturn at');
  }
  if (config.turn.minPort > config.turn.maxPort) problems.push(`turn.minPort: ${config.turn.minPort} is above turn.maxPort (${config.turn.maxPort})`);
  problems.push(...siemProblems(config.siem));
  problems.push(...oidcProblems(config.auth.oidc, config.server.publicUrl));
  if (problems.length > 0) throw new ConfigError(problems);

  config.dataDir = resolvePath(config.dataDir);
  config.tls.certFile = resolvePath(config.tls.certFile);
  config.tls.keyFile = resolvePath(config.tls.keyFile);
  if (config.media.workerBin) config.media.workerBin = resolvePath(config.media.workerBin);
  for (const files of [config.siem.syslog, config.siem.https] as Record<string, unknown>[]) {
    for (const key of ['caFile', 'certFile', 'keyFile', 'hmacKeyFile']) if (typeof files[key] === 'string' && files[key]) files[key] = resolvePath(files[key]);
  }
  for (const key of ['caFile', 'clientSecretFile'] as const) if (config.auth.oidc[key]) config.auth.oidc[key] = resolvePath(config.auth.oidc[key]);
  config.secretKeyFile = config.secretKeyFile ? resolvePath(config.secretKeyFile) : resolve(config.dataDir, 'secrets', 'secret.key');
  return config;
}

/** What a SIEM destination that is enabled needs (docs/audit.md, "SIEM"). */
function siemProblems({ syslog, https, retryMinMs, retryMaxMs }: Config['siem']): string[] {
  const problems: string[] = [];
  if (syslog.enabled && !syslog.host) problems.push("siem.syslog.host: required when siem.syslog.enabled is true: the collector's host name");
  if (syslog.enabled && syslog.port === 0) problems.push('siem.syslog.port: required when siem.syslog.enabled is true (6514 is syslog over TLS)');
  if (!syslog.certFile !== !syslog.keyFile)
    problems.push('siem.syslog.certFile: a client certificate needs its key (siem.syslog.keyFile), and the other way round');
  if (https.enabled && !https.url) problems.push("siem.https.url: required when siem.https.enabled is true: the receiver's https:// address");
  if (https.enabled && !https.hmacKeyFile === !https.secret) {
    problems.push('siem.https.hmacKeyFile: exactly one of siem.https.hmacKeyFile and siem.https.secret is required when siem.https.enabled is true');
  }
  if (retryMinMs > retryMaxMs) problems.push(`siem.retryMinMs: ${retryMinMs} is above siem.retryMaxMs (${retryMaxMs})`);
  return problems;
}

/** What single sign-on needs once enabled (docs/sso.md); the files themselves are read at start. */
function oidcProblems(oidc: Config['auth']['oidc'], publicUrl: string): string[] {
  if (!oidc.enabled) return [];
  const problems: string[] = [];
  if (!oidc.issuer) problems.push("auth.oidc.issuer: required when auth.oidc.enabled is true: the provider's https:// issuer");
  if (!oidc.clientId) problems.push('auth.oidc.clientId: required when auth.oidc.enabled is true: the client id registered at the provider');
  if (!publicUrl) {
    problems.push('server.publicUrl: required when auth.oidc.enabled is true: the provider sends people back to <publicUrl>/api/auth/oidc/callback');
  }
  const secrets = (oidc.clientSecretFile ? 1 : 0) + (oidc.clientSecret ? 1 : 0);
  if (oidc.tokenEndpointAuthMethod === 'none' && secrets > 0) {
    problems.push('auth.oidc.clientSecret: a public client (tokenEndpointAuthMethod "none") has no secret: remove it, or choose client_secret_basic');
  }
  if (oidc.tokenEndpointAuthMethod !== 'none' && secrets !== 1) {
    problems.push(
      `auth.oidc.clientSecretFile: exactly one of auth.oidc.clientSecretFile and auth.oidc.clientSecret is required with ${oidc.tokenEndpointAuthMethod}`,
    );
  }
  if (!oidc.scopes.includes('openid')) problems.push('auth.oidc.scopes: must include "openid"');
  return problems;
}

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : resolve(PROJECT_ROOT, path);
}

function readJsonFile(file: string, problems: string[]): JsonObject | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Json;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${file}: must contain a JSON object`);
      return undefined;
    }
    return value;
  } catch (error) {
    problems.push(`${file}: ${(error as Error).message}`);
    return undefined;
  }
}

/** The JSON-Schema type of a dotted key, read from ConfigSchema itself. */
function typeAt(key: string): string {
  let schema: { type?: string; properties?: Record<string, unknown> } = ConfigSchema;
  for (const part of key.split('.')) schema = schema.properties?.[part] ?? {};
  return schema.type ?? 'string';
}

function parseEnvValue(raw: string, type: string): Json | undefined {
  switch (type) {
    case 'integer':
      return /^-?\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw.trim())) return true;
      if (/^(false|0|no)$/i.test(raw.trim())) return false;
      return undefined;
    default:
      return raw;
  }
}

function setPath(target: JsonObject, key: string, value: Json): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as JsonObject;
  node[parts.at(-1)!] = value;
}

function leafKeys(value: JsonObject, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? leafKeys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b, v) : v;
  }
  return out;
}
