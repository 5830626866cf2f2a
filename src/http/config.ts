// The server's settings from flags, environment variables and an optional JSON config file.
// Precedence, highest first: command-line flags, CONFMIX_* environment variables, the config
// file (--config or CONFMIX_CONFIG), the defaults. Every value is checked here, so a bad one
// stops the server before it binds anything.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../index.ts';
import { parseAccounts } from './kazoo/accounts.ts';
import type { AccountConfig } from './kazoo/accounts.ts';

/** Per-user limits; 0 means no limit. */
export interface UserLimits {
  /** Conferences not yet completed. */
  conferences: number;
  /** Active members over all of the user's conferences. */
  members: number;
  /** Requests per second (a token bucket with a one-second burst). */
  requestsPerSecond: number;
}

/** A user of the API: HTTP Basic `token:secret` reaches `/v1/users/{userId}/...`. */
export interface UserConfig {
  userId: string;
  token: string;
  secret: string;
  /** This user's own limits (else the server's). */
  limits?: Partial<UserLimits>;
}

/** Everything `confmix serve` runs with. */
export interface ServerConfig {
  /** Address the HTTP server listens on. */
  host: string;
  /** Its port (0: any free port). */
  port: number;
  /** Base URL callbacks' conferenceUri and memberUri start with (default http://host:port). */
  publicUrl?: string;
  /** The address our SDP names for RTP. */
  rtpAddress?: string;
  /** First and last UDP port of RTP legs. */
  rtpPortMin: number;
  rtpPortMax: number;
  /** Engine shards (default: the core count). */
  shards: number;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  logLevel: string;
  /** Configured users. */
  users: UserConfig[];
  /** Limits of every user without its own. */
  limits: UserLimits;
  /** Callback events queued per conference before the oldest is dropped. */
  callbackQueue: number;
  /** How long shutdown waits for final callbacks, ms. */
  shutdownTimeoutMs: number;
  /** Largest request body, bytes. */
  bodyLimit: number;
  /** Kazoo accounts: X-Auth-Token reaches /v2/accounts/{accountId}/... */
  accounts: AccountConfig[];
  /** Where stored documents live (one SQLite file); unset keeps them in memory only. */
  dataDir?: string;
  /** Cluster mode: the Redis URL (redis://host:port) the servers share; unset runs alone. */
  redis?: string;
  /** Cluster: this server's id (default: a random one). */
  nodeId?: string;
  /** Cluster: heartbeat period, ms; a server silent for three of them is lost. */
  heartbeatMs: number;
  /** Cluster: local members of a conference before it cascades onto a satellite (0: never). */
  membersPerServer: number;
  /** Cluster: the trunks' codec. */
  trunkCodec: 'l16' | 'opus';
  /** On SIGTERM, take no new conferences and exit once this server's have ended. */
  drain: boolean;
  /** The longest wait of a drain, ms. */
  drainTimeoutMs: number;
  /** Where recordings are written (default: <dataDir>/recordings, else the system's temporary directory). */
  recordingsDir?: string;
  /** How browsers (the softphone) reach conferences: werift WebRTC legs, or mediasoup's WebRtcTransport through a bridge. */
  browserTransport: BrowserTransport;
}

/** The browser transports `--browser-transport` names. */
export const BROWSER_TRANSPORTS = ['werift', 'mediasoup'] as const;
/** One of them. */
export type BrowserTransport = (typeof BROWSER_TRANSPORTS)[number];

/** The defaults of every setting. */
export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  rtpPortMin: 20000,
  rtpPortMax: 39999,
  shards: Math.max(1, cpus().length),
  logLevel: 'info',
  users: [],
  limits: { conferences: 1000, members: 10000, requestsPerSecond: 0 },
  callbackQueue: 1000,
  shutdownTimeoutMs: 5000,
  bodyLimit: 256 * 1024,
  accounts: [],
  heartbeatMs: 1000,
  membersPerServer: 0,
  trunkCodec: 'l16',
  drain: false,
  drainTimeoutMs: 600_000,
  browserTransport: 'werift',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The flags `confmix serve` takes, with the setting each names. */
export const SERVE_FLAGS = {
  '--listen': 'host:port to listen on (default 127.0.0.1:8080)',
  '--public-url': 'base URL of the resources in callbacks (default http://<listen>)',
  '--rtp-address': 'IPv4 address the SDP names for RTP (default 127.0.0.1)',
  '--rtp-ports': 'UDP port range of RTP legs, min-max (default 20000-39999)',
  '--users': 'userId:token:secret[,userId:token:secret...]',
  '--log-level': `one of ${LOG_LEVELS.join(', ')} (default info)`,
  '--shards': 'engine shards (default: the core count)',
  '--accounts': 'Kazoo accounts: accountId:token[,accountId:token...]',
  '--data-dir': 'directory of the document database (default: in memory, lost on exit)',
  '--redis': 'cluster mode: redis://host:port shared by the servers (default: run alone)',
  '--node-id': 'cluster: this server\'s id (default: random)',
  '--heartbeat': 'cluster: heartbeat period in ms; three missed make a server lost (default 1000)',
  '--members-per-server': 'cluster: local members before a conference cascades onto another server (default 0: never)',
  '--trunk-codec': 'cluster: l16 (default, lossless) or opus',
  '--drain': 'on SIGTERM take no new conferences and exit once ours have ended (no value, or the longest wait in ms)',
  '--recordings-dir': 'directory recordings are written under (default <data-dir>/recordings, else the temporary directory)',
  '--browser-transport': `how browsers join: ${BROWSER_TRANSPORTS.join(' or ')} (mediasoup needs the mediasoup package; default werift)`,
  '--config': 'a JSON config file',
} as const;

/** The environment variable of each flag. */
const ENV_OF: Record<keyof typeof SERVE_FLAGS, string> = {
  '--listen': 'CONFMIX_LISTEN',
  '--public-url': 'CONFMIX_PUBLIC_URL',
  '--rtp-address': 'CONFMIX_RTP_ADDRESS',
  '--rtp-ports': 'CONFMIX_RTP_PORTS',
  '--users': 'CONFMIX_USERS',
  '--log-level': 'CONFMIX_LOG_LEVEL',
  '--shards': 'CONFMIX_SHARDS',
  '--accounts': 'CONFMIX_ACCOUNTS',
  '--data-dir': 'CONFMIX_DATA_DIR',
  '--redis': 'CONFMIX_REDIS',
  '--node-id': 'CONFMIX_NODE_ID',
  '--heartbeat': 'CONFMIX_HEARTBEAT',
  '--members-per-server': 'CONFMIX_MEMBERS_PER_SERVER',
  '--trunk-codec': 'CONFMIX_TRUNK_CODEC',
  '--drain': 'CONFMIX_DRAIN',
  '--recordings-dir': 'CONFMIX_RECORDINGS_DIR',
  '--browser-transport': 'CONFMIX_BROWSER_TRANSPORT',
  '--config': 'CONFMIX_CONFIG',
};

function integer(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses `host:port` (IPv6 as `[::1]:8080`). */
export function parseListen(value: string, name = 'listen'): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d+)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`${name} must be host:port (e.g. 127.0.0.1:8080), got ${JSON.stringify(value)}`);
  return { host: match[1] ?? match[2], port: integer(match[3], `${name} port`, 0, 65535) };
}

/** Parses `userId:token:secret[,...]`. */
export function parseUsers(value: string, name = 'users'): UserConfig[] {
  return value.split(',').filter((entry) => entry.trim() !== '').map((entry) => {
    const parts = entry.trim().split(':');
    if (parts.length !== 3 || parts.some((p) => p === '')) throw new InvalidArgumentError(`${name}: each user is userId:token:secret, got ${JSON.stringify(entry)}`);
    return checkUser({ userId: parts[0], token: parts[1], secret: parts[2] }, name);
  });
}

function checkUser(value: unknown, name: string): UserConfig {
  const u = value as Partial<UserConfig> | null;
  if (typeof u !== 'object' || u === null) throw new InvalidArgumentError(`${name}: a user is an object {userId, token, secret}`);
  for (const key of ['userId', 'token', 'secret'] as const) {
    if (typeof u[key] !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(u[key])) throw new InvalidArgumentError(`${name}: ${key} must be 1..128 of A-Z a-z 0-9 . _ ~ -`);
  }
  const user: UserConfig = { userId: u.userId!, token: u.token!, secret: u.secret! };
  if (u.limits !== undefined) user.limits = checkLimits(u.limits, `${name}.${u.userId!}.limits`, true);
  return user;
}

function checkLimits(value: unknown, name: string, partial: boolean): UserLimits {
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`${name} must be an object`);
  const fields = value as Record<string, unknown>;
  const out: Partial<UserLimits> = {};
  for (const key of Object.keys(fields)) {
    if (!['conferences', 'members', 'requestsPerSecond'].includes(key)) throw new InvalidArgumentError(`${name}: unknown limit '${key}'`);
    out[key as keyof UserLimits] = integer(fields[key], `${name}.${key}`, 0, 10_000_000);
  }
  return partial ? (out as UserLimits) : { ...DEFAULT_SERVER_CONFIG.limits, ...out };
}

/** Applies one source's raw settings (flag or env strings, or file values) onto `config`. */
function apply(config: ServerConfig, raw: Partial<Record<keyof typeof SERVE_FLAGS, string>>, source: string): void {
  const name = (flag: keyof typeof SERVE_FLAGS): string => (source === 'flag' ? flag : ENV_OF[flag]);
  if (raw['--listen'] !== undefined) Object.assign(config, parseListen(raw['--listen'], name('--listen')));
  if (raw['--public-url'] !== undefined) config.publicUrl = checkUrl(raw['--public-url'], name('--public-url'));
  if (raw['--rtp-address'] !== undefined) config.rtpAddress = checkAddress(raw['--rtp-address'], name('--rtp-address'));
  if (raw['--rtp-ports'] !== undefined) Object.assign(config, parsePorts(raw['--rtp-ports'], name('--rtp-ports')));
  if (raw['--users'] !== undefined) config.users = parseUsers(raw['--users'], name('--users'));
  if (raw['--log-level'] !== undefined) config.logLevel = checkLevel(raw['--log-level'], name('--log-level'));
  if (raw['--shards'] !== undefined) config.shards = integer(raw['--shards'], name('--shards'), 1, 256);
  if (raw['--accounts'] !== undefined) config.accounts = parseAccounts(raw['--accounts'], name('--accounts'));
  if (raw['--browser-transport'] !== undefined) {
    const value = raw['--browser-transport'];
    if (!(BROWSER_TRANSPORTS as readonly string[]).includes(value)) throw new InvalidArgumentError(`${name('--browser-transport')} must be ${BROWSER_TRANSPORTS.join(' or ')}, got ${JSON.stringify(value)}`);
    config.browserTransport = value as BrowserTransport;
  }
  if (raw['--data-dir'] !== undefined) {
    if (raw['--data-dir'].trim() === '') throw new InvalidArgumentError(`${name('--data-dir')} must be a directory path`);
    config.dataDir = raw['--data-dir'];
  }
  if (raw['--redis'] !== undefined) config.redis = checkRedisUrl(raw['--redis'], name('--redis'));
  if (raw['--node-id'] !== undefined) {
    if (!/^[A-Za-z0-9._~-]{1,64}$/.test(raw['--node-id'])) throw new InvalidArgumentError(`${name('--node-id')} must be 1..64 of A-Z a-z 0-9 . _ ~ -`);
    config.nodeId = raw['--node-id'];
  }
  if (raw['--heartbeat'] !== undefined) config.heartbeatMs = integer(raw['--heartbeat'], name('--heartbeat'), 50, 60_000);
  if (raw['--members-per-server'] !== undefined) config.membersPerServer = integer(raw['--members-per-server'], name('--members-per-server'), 0, 100_000);
  if (raw['--trunk-codec'] !== undefined) config.trunkCodec = toTrunkCodec(raw['--trunk-codec'], name('--trunk-codec'));
  if (raw['--drain'] !== undefined) {
    config.drain = raw['--drain'] !== 'false';
    if (/^\d+$/.test(raw['--drain'])) config.drainTimeoutMs = integer(raw['--drain'], name('--drain'), 0, 86_400_000);
  }
  if (raw['--recordings-dir'] !== undefined) {
    if (raw['--recordings-dir'].trim() === '') throw new InvalidArgumentError(`${name('--recordings-dir')} must be a directory path`);
    config.recordingsDir = raw['--recordings-dir'];
  }
}

function checkRedisUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`${name} must be a redis:// URL (redis://host:port), got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidArgumentError(`${name} must be a redis:// URL (redis://host:port), got ${JSON.stringify(value)}`);
  return value;
}

function toTrunkCodec(value: string, name: string): 'l16' | 'opus' {
  if (value !== 'l16' && value !== 'opus') throw new InvalidArgumentError(`${name} must be l16 or opus, got ${JSON.stringify(value)}`);
  return value;
}

function checkUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`${name} must be an http(s) URL`);
  return value.replace(/\/+$/, '');
}

function checkAddress(value: string, name: string): string {
  if (isIP(value) !== 4 || value === '0.0.0.0') throw new InvalidArgumentError(`${name} must be a unicast IPv4 address, got ${JSON.stringify(value)}`);
  return value;
}

function checkLevel(value: string, name: string): string {
  if (!LOG_LEVELS.includes(value)) throw new InvalidArgumentError(`${name} must be one of ${LOG_LEVELS.join(', ')}`);
  return value;
}

function parsePorts(value: string, name: string): { rtpPortMin: number; rtpPortMax: number } {
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`${name} must be min-max, e.g. 20000-39999`);
  const rtpPortMin = integer(match[1], `${name} min`, 1024, 65535);
  const rtpPortMax = integer(match[2], `${name} max`, rtpPortMin, 65535);
  return { rtpPortMin, rtpPortMax };
}

/** Reads the config file: the flags' names without dashes as keys, plus `users` and `limits` objects. */
function applyFile(config: ServerConfig, path: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`config file ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError(`config file ${path} must hold a JSON object`);
  const file = parsed as Record<string, unknown>;
  const known = new Set(['listen', 'publicUrl', 'rtpAddress', 'rtpPorts', 'users', 'logLevel', 'shards', 'limits', 'callbackQueue', 'shutdownTimeoutMs', 'bodyLimit', 'accounts', 'dataDir', 'redis', 'nodeId', 'heartbeatMs', 'membersPerServer', 'trunkCodec', 'drain', 'recordingsDir', 'browserTransport']);
  for (const key of Object.keys(file)) if (!known.has(key)) throw new InvalidArgumentError(`config file ${path}: unknown setting '${key}'; known: ${[...known].join(', ')}`);
  const text = (key: string): string | undefined => {
    if (file[key] === undefined) return undefined;
    if (typeof file[key] !== 'string') throw new InvalidArgumentError(`config file ${path}: ${key} must be a string`);
    return file[key];
  };
  apply(config, {
    '--listen': text('listen'),
    '--public-url': text('publicUrl'),
    '--rtp-address': text('rtpAddress'),
    '--rtp-ports': text('rtpPorts'),
    '--log-level': text('logLevel'),
    '--shards': file.shards === undefined ? undefined : String(file.shards),
    '--accounts': text('accounts'),
    '--data-dir': text('dataDir'),
    '--redis': text('redis'),
    '--node-id': text('nodeId'),
    '--heartbeat': file.heartbeatMs === undefined ? undefined : String(file.heartbeatMs),
    '--members-per-server': file.membersPerServer === undefined ? undefined : String(file.membersPerServer),
    '--trunk-codec': text('trunkCodec'),
    '--drain': file.drain === undefined ? undefined : String(file.drain),
    '--recordings-dir': text('recordingsDir'),
    '--browser-transport': text('browserTransport'),
  }, 'file');
  if (file.users !== undefined) {
    if (!Array.isArray(file.users)) throw new InvalidArgumentError(`config file ${path}: users must be an array of {userId, token, secret, limits?}`);
    config.users = file.users.map((u, i) => checkUser(u, `users[${i}]`));
  }
  if (file.limits !== undefined) config.limits = checkLimits(file.limits, 'limits', false);
  if (file.callbackQueue !== undefined) config.callbackQueue = integer(file.callbackQueue, 'callbackQueue', 1, 1_000_000);
  if (file.shutdownTimeoutMs !== undefined) config.shutdownTimeoutMs = integer(file.shutdownTimeoutMs, 'shutdownTimeoutMs', 0, 600_000);
  if (file.bodyLimit !== undefined) config.bodyLimit = integer(file.bodyLimit, 'bodyLimit', 1024, 64 * 1024 * 1024);
}

/** Splits `--flag value` and `--flag=value` arguments; unknown flags are refused. */
function parseFlags(argv: string[]): Partial<Record<keyof typeof SERVE_FLAGS, string>> {
  const out: Partial<Record<keyof typeof SERVE_FLAGS, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(flag in SERVE_FLAGS)) throw new InvalidArgumentError(`unknown flag '${flag}'; flags: ${Object.keys(SERVE_FLAGS).join(', ')}`);
    // --drain alone is a switch; a value after it is its longest wait.
    if (flag === '--drain' && inline === undefined && !/^\d+$/.test(argv[i + 1] ?? '')) {
      out[flag] = 'true';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new InvalidArgumentError(`${flag} needs a value`);
    out[flag as keyof typeof SERVE_FLAGS] = value;
  }
  return out;
}

/** The server's settings from argv (after `serve`) and an environment, with the documented precedence. */
export function loadServerConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const flags = parseFlags(argv);
  const fromEnv: Partial<Record<keyof typeof SERVE_FLAGS, string>> = {};
  for (const [flag, variable] of Object.entries(ENV_OF)) {
    const value = env[variable];
    if (value !== undefined && value !== '') fromEnv[flag as keyof typeof SERVE_FLAGS] = value;
  }
  const config: ServerConfig = structuredClone(DEFAULT_SERVER_CONFIG);
  const file = flags['--config'] ?? fromEnv['--config'];
  if (file !== undefined) applyFile(config, file);
  apply(config, fromEnv, 'env');
  apply(config, flags, 'flag');
  return config;
}

/** True for an address only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
