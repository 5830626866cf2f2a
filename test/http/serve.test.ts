// `confmix serve` and `npm start` as real processes: settings from flags, environment and a
// config file in the documented precedence; startup, and a graceful shutdown on SIGTERM that
// delivers the final callbacks, exits 0 and leaves no port open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadServerConfig } from '../../src/http/config.ts';
import { ALICE, CallbackReceiver, basic } from './serverHelpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let receiver: CallbackReceiver;
beforeAll(async () => {
  receiver = await CallbackReceiver.start();
});
afterAll(async () => {
  await receiver.close();
});

/** Starts a server process; resolves with it and its URL once it says where it serves. */
async function start(command: string, args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /serving (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before serving: ${output}`)));
  });
  return { child, url, output: () => output };
}

/** True when something accepts connections on the URL's port. */
function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('settings', () => {
  it('takes flags over environment over the config file over the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'confmix-config-'));
    const file = join(dir, 'confmix.json');
    writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:7001', logLevel: 'debug', shards: 3, users: [{ userId: 'f', token: 'ft', secret: 'fs', limits: { conferences: 2 } }], limits: { requestsPerSecond: 50 } }));
    expect(loadServerConfig([], {})).toMatchObject({ host: '127.0.0.1', port: 8080, logLevel: 'info', users: [] });
    const fromFile = loadServerConfig(['--config', file], {});
    expect(fromFile).toMatchObject({ port: 7001, logLevel: 'debug', shards: 3, limits: { requestsPerSecond: 50, conferences: 1000 } });
    expect(fromFile.users).toEqual([{ userId: 'f', token: 'ft', secret: 'fs', limits: { conferences: 2 } }]);
    const fromEnv = loadServerConfig([], { CONFMIX_CONFIG: file, CONFMIX_LISTEN: '127.0.0.1:7002', CONFMIX_USERS: 'u1:t1:s1,u2:t2:s2' });
    expect(fromEnv).toMatchObject({ port: 7002, logLevel: 'debug' });
    expect(fromEnv.users.map((u) => u.userId)).toEqual(['u1', 'u2']);
    const fromFlags = loadServerConfig(['--listen', '[::1]:7003', '--log-level=warn', '--rtp-ports', '30000-30099'], { CONFMIX_CONFIG: file, CONFMIX_LISTEN: '127.0.0.1:7002' });
    expect(fromFlags).toMatchObject({ host: '::1', port: 7003, logLevel: 'warn', rtpPortMin: 30000, rtpPortMax: 30099 });
  });

  it('refuses bad settings with the setting named', () => {
    expect(() => loadServerConfig(['--listen', 'nowhere'], {})).toThrow(/--listen must be host:port/);
    expect(() => loadServerConfig([], { CONFMIX_LISTEN: '127.0.0.1:99999' })).toThrow(/CONFMIX_LISTEN port/);
    expect(() => loadServerConfig([], { CONFMIX_USERS: 'alice:token' })).toThrow(/CONFMIX_USERS: each user is userId:token:secret/);
    expect(() => loadServerConfig(['--shards', 'many'], {})).toThrow(/--shards/);
    expect(() => loadServerConfig(['--volume', '11'], {})).toThrow(/unknown flag '--volume'/);
    expect(() => loadServerConfig(['--config', '/no/such/confmix.json'], {})).toThrow(/config file/);
  });
});

describe('confmix serve', () => {
  // Each server process here is one node process (npm start execs it), stopped by its PID.
  it('serves, then on SIGINT completes its conferences, delivers their final callbacks, exits 0 and closes its port', async () => {
    const { child, url, output } = await start(process.execPath, [join(root, 'bin', 'confmix.mjs'), 'serve', '--listen', '127.0.0.1:0', '--shards', '1', '--rtp-ports', '28800-28899'], {
      CONFMIX_USERS: `${ALICE.userId}:${ALICE.token}:${ALICE.secret}`,
      CONFMIX_LOG_LEVEL: 'warn',
    });
    const exited = once(child, 'exit');
    const headers = { authorization: basic(ALICE), 'content-type': 'application/json' };
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const created = await fetch(`${url}/v1/users/alice/conferences`, { method: 'POST', headers, body: JSON.stringify({ from: '+1', callbackUrl: receiver.url('/final') }) });
    expect(created.status).toBe(201);
    const conference = created.headers.get('location')!;
    const member = await fetch(`${url}${conference}/members`, { method: 'POST', headers, body: JSON.stringify({ rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9 } }) });
    expect(member.status).toBe(201);
    await receiver.until((r) => r.filter((c) => c.path === '/final').length === 2);
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code, output()).toBe(0);
    const final = receiver.on('/final').map((c) => `${c.body!.eventType} ${(c.body!.status ?? c.body!.state) as string}`);
    expect(final).toEqual(['conference created', 'conference-member active', 'conference-member completed', 'conference completed']);
    expect(await portOpen(url)).toBe(false);
    expect(output()).not.toMatch(/no user configured/);
  }, 30_000);

  it('refuses a non-loopback address without users, exit code 2', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'confmix.mjs'), 'serve', '--listen', '0.0.0.0:0'], { cwd: root, env: { ...process.env, CONFMIX_USERS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a user/);
  }, 30_000);

  it('npm start serves on CONFMIX_LISTEN with a user it makes and prints once, and stops on SIGTERM', async () => {
    const { child, url, output } = await start('npm', ['start', '--silent', '--', '--shards', '1', '--rtp-ports', '28900-28999'], { CONFMIX_LISTEN: '127.0.0.1:0', CONFMIX_USERS: '', CONFMIX_LOG_LEVEL: 'warn' });
    const exited = once(child, 'exit');
    const printed = /userId (\S+)\s+token (\S+)\s+secret (\S+)/.exec(output())!;
    expect(printed).not.toBeNull();
    const [, userId, token, secret] = printed;
    const listed = await fetch(`${url}/v1/users/${userId}/conferences`, { headers: { authorization: basic({ token, secret }) } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([]);
    const page = await fetch(`${url}/`);
    expect(await page.text()).toMatch(/href="\/docs"/);
    expect(output().match(/secret /g)).toHaveLength(1);
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(await portOpen(url)).toBe(false);
  }, 30_000);
});
