// The HTTP benchmark: `npm run bench -- http [--duration S] [--connections N] [--joins N]
// [--events-seconds S]`. The server runs in its own process (bench/http/serverProcess.ts: one
// shard, per-request logs at info level to a null sink); autocannon drives it from here.
//
// Phases: GET a conference; create conferences; add members by SDP offer (the offers say
// sendonly, so the joined legs only receive and need no peer); update
// members (mute toggles); then callbacks per second to a local receiver, while a 500-member
// PCMU room runs (every member hears the mix, sent to a local sink; four talk), with that
// room's shard tick lateness p99 over the same window.
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { createOffer } from '../../src/index.ts';
import type { Bench, BenchReport } from '../run.ts';
import type { BenchUser, FromServer } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const USER: BenchUser = { userId: 'bench', token: 'bench-token', secret: 'bench-secret' };
const AUTH = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
const ROOM_MEMBERS = 500;
const ROOM_TALKERS = 4;
const EVENT_CONFERENCES = 64;
const TARGETS = { getRps: 10_000, sdpJoinsPerSec: 500, callbacksPerSec: 5_000, tickLatenessP99Ms: 1 };

interface Options {
  durationS: number;
  connections: number;
  joins: number;
  eventsSeconds: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = { durationS: 5, connections: 32, joins: 1000, eventsSeconds: 5 };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${args[i]} needs a positive number`);
    if (args[i] === '--duration') options.durationS = value;
    else if (args[i] === '--connections') options.connections = value;
    else if (args[i] === '--joins') options.joins = value;
    else if (args[i] === '--events-seconds') options.eventsSeconds = value;
    else throw new Error(`unknown flag ${args[i]}; flags: --duration S, --connections N, --joins N, --events-seconds S`);
  }
  return options;
}

/** The server process, and a way to wait for its next message. */
async function startServer(): Promise<{ child: ChildProcess; url: string; next: () => Promise<FromServer> }> {
  const child = fork(join(here, 'serverProcess.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], env: { ...process.env, CONFMIX_BENCH_USER: JSON.stringify(USER) }, stdio: ['ignore', 'ignore', 2, 'ipc'] });
  const next = (): Promise<FromServer> => once(child, 'message').then(([message]) => message as FromServer);
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('the server process did not start');
  return { child, url: ready.url, next };
}

const agent = new Agent({ connections: 16 });
async function api(url: string, method: 'GET' | 'POST', body?: unknown): Promise<{ status: number; location?: string; json?: any }> {
  const response = await request(url, { method, dispatcher: agent, headers: { authorization: AUTH, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${text}`);
  return { status: response.statusCode, location: response.headers.location as string | undefined, json: text ? JSON.parse(text) : undefined };
}
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

interface Phase {
  rps: number;
  /** The server process's CPU per request, µs (every thread: HTTP, the shard's worker, its media thread). */
  cpuUsPerRequest: number;
  /** The server's main thread (HTTP and the engine API) busy per request, µs: its capacity is 10^6 / this per second. */
  mainUsPerRequest: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
}
function phase(result: autocannon.Result, cpu: { cpuUs: number; mainBusyUs: number }, label: string): Phase {
  const ok = result['2xx'];
  if (result.non2xx > 0 || result.errors > 0) console.error(`  ${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: ok / result.duration, cpuUsPerRequest: Math.round(cpu.cpuUs / Math.max(1, ok)), mainUsPerRequest: Math.round(cpu.mainBusyUs / Math.max(1, ok)), latencyP50Ms: result.latency.p50, latencyP99Ms: result.latency.p99, errors: result.non2xx + result.errors };
}

async function run(args: string[]): Promise<BenchReport> {
  const options = parseArgs(args);
  const server = await startServer();
  const base = server.url;
  const conferences = `${base}/v1/users/${USER.userId}/conferences`;
  const headers = { authorization: AUTH, 'content-type': 'application/json' };
  const serverCpu = async (): Promise<{ cpuUs: number; mainBusyUs: number }> => {
    server.child.send({ type: 'cpu' });
    const answer = await server.next();
    if (answer.type !== 'cpu') throw new Error('unexpected message from the server process');
    return { cpuUs: answer.cpuUs, mainBusyUs: answer.mainBusyUs };
  };
  const cpuSince = async (before: { cpuUs: number; mainBusyUs: number }): Promise<{ cpuUs: number; mainBusyUs: number }> => {
    const now = await serverCpu();
    return { cpuUs: now.cpuUs - before.cpuUs, mainBusyUs: now.mainBusyUs - before.mainBusyUs };
  };
  // One load phase: autocannon's result and the server's CPU over it.
  const measure = async (label: string, opts: autocannon.Options): Promise<Phase> => {
    const before = await serverCpu();
    const result = await autocannon({ connections: options.connections, ...opts });
    return phase(result, await cpuSince(before), label);
  };
  const cannon = (opts: autocannon.Options): Promise<autocannon.Result> => autocannon({ connections: options.connections, ...opts });
  try {
    // GET a conference.
    const target = (await api(conferences, 'POST', { from: '+15550000' })).location!;
    await cannon({ url: `${base}${target}`, headers, duration: 1 });
    const get = await measure('GET conference', { url: `${base}${target}`, headers, duration: options.durationS });

    // Create conferences (a fixed count, completed afterwards so their clocks stop).
    const create = await measure('create', { url: conferences, method: 'POST', headers, body: JSON.stringify({ from: '+15550001' }), amount: options.joins });
    const created = (await api(`${conferences}?state=created&size=1000`, 'GET')).json as Array<{ id: string }>;
    let all = created;
    for (let page = 1; all.length === page * 1000; page++) all = all.concat((await api(`${conferences}?state=created&size=1000&page=${page}`, 'GET')).json);
    await inBatches(all.map((c) => c.id).filter((id) => !target.endsWith(id)), 16, (id) => api(`${conferences}/${id}`, 'POST', { state: 'completed' }));

    // Add members by SDP offer: 20 conferences, round robin.
    const joinRooms: string[] = [];
    for (let i = 0; i < 20; i++) joinRooms.push((await api(conferences, 'POST', { from: '+15550002', 'comfort-noise': false })).location!);
    const offer = createOffer({ localAddress: '127.0.0.1', localPort: 9, codecs: ['pcmu'], direction: 'sendonly' }).offerSdp;
    let nextRoom = 0;
    const sdpJoin = await measure('SDP joins', {
        url: base,
        amount: options.joins,
        requests: [{ method: 'POST', headers, body: JSON.stringify({ sdp: offer, rtp: { timeoutMs: 0 } }), setupRequest: (req) => ({ ...req, path: `${joinRooms[nextRoom++ % joinRooms.length]}/members` }) }],
    });

    // Update members: mute toggles over the joined members.
    const memberUrls: string[] = [];
    for (const room of joinRooms.slice(0, 5)) for (const m of (await api(`${base}${room}/members`, 'GET')).json as Array<{ id: string }>) memberUrls.push(`${room}/members/${m.id}`);
    let nextMember = 0;
    const update = await measure('update member', {
        url: base,
        duration: options.durationS,
        requests: [{ method: 'POST', headers, setupRequest: (req) => { const n = nextMember++; return { ...req, path: memberUrls[n % memberUrls.length], body: JSON.stringify({ mute: Math.floor(n / memberUrls.length) % 2 === 0 }) }; } }],
    });
    await inBatches(joinRooms, 4, (room) => api(`${base}${room}`, 'POST', { state: 'completed' }));

    // Callbacks while a 500-member room runs.
    const sink = dgram.createSocket('udp4');
    sink.on('message', () => undefined);
    sink.bind(0, '127.0.0.1');
    await once(sink, 'listening');
    const sinkPort = sink.address().port;
    let received = 0;
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
    const room = (await api(conferences, 'POST', { from: '+15550003', 'comfort-noise': false })).location!;
    const talkerPorts: number[] = [];
    await inBatches([...Array(ROOM_MEMBERS).keys()], 16, async (i) => {
      const joined = await api(`${base}${room}/members`, 'POST', { rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: sinkPort, timeoutMs: 0 } });
      if (i < ROOM_TALKERS) talkerPorts.push(joined.json.leg.localPort);
    });
    // The talkers send a PCMU tone (a fixed payload is enough for the mixer's work).
    const talk = dgram.createSocket('udp4');
    const payload = Buffer.alloc(160, 0x2a);
    let sequence = 0;
    const talking = setInterval(() => {
      sequence++;
      for (const [i, port] of talkerPorts.entries()) {
        const packet = Buffer.alloc(12 + 160);
        packet[0] = 0x80;
        packet.writeUInt16BE(sequence & 0xffff, 2);
        packet.writeUInt32BE((sequence * 160) >>> 0, 4);
        packet.writeUInt32BE(0x1000 + i, 8);
        payload.copy(packet, 12);
        talk.send(packet, port, '127.0.0.1');
      }
    }, 20);
    const eventRooms: string[] = [];
    for (let i = 0; i < EVENT_CONFERENCES; i++) {
      const url = (await api(conferences, 'POST', { from: '+15550004', callbackUrl })).location!;
      await api(`${base}${url}/members`, 'POST', { rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: sinkPort, timeoutMs: 0 } });
      eventRooms.push(url.split('/').pop()!);
    }
    const cpuBefore = await serverCpu();
    const receivedBefore = received;
    const started = performance.now();
    server.child.send({ type: 'events', conferenceIds: eventRooms, seconds: options.eventsSeconds });
    const done = await server.next();
    const deliveredInWindow = received - receivedBefore;
    const windowS = (performance.now() - started) / 1000;
    if (done.type !== 'events-done') throw new Error('unexpected message from the server process');
    clearInterval(talking);
    talk.close();
    const callbacksPerSec = deliveredInWindow / windowS;
    const callbackCpu = await cpuSince(cpuBefore);
    const callbackCpuUs = Math.round(callbackCpu.cpuUs / Math.max(1, deliveredInWindow));
    const callbackMainUs = Math.round(callbackCpu.mainBusyUs / Math.max(1, deliveredInWindow));

    const result = {
      getRps: Math.round(get.rps),
      createRps: Math.round(create.rps),
      sdpJoinsPerSec: Math.round(sdpJoin.rps),
      updateRps: Math.round(update.rps),
      callbacksPerSec: Math.round(callbacksPerSec),
      tickLatenessP99Ms: Number(done.tickLatenessP99Ms.toFixed(3)),
      tickLatenessMaxMs: Number(done.tickLatenessMaxMs.toFixed(3)),
      eventsGeneratedPerSec: Math.round(done.changes / done.seconds),
      getLatencyP99Ms: get.latencyP99Ms,
      createLatencyP99Ms: create.latencyP99Ms,
      sdpJoinLatencyP99Ms: sdpJoin.latencyP99Ms,
      updateLatencyP99Ms: update.latencyP99Ms,
      getCpuUsPerRequest: get.cpuUsPerRequest,
      createCpuUsPerRequest: create.cpuUsPerRequest,
      sdpJoinCpuUsPerRequest: sdpJoin.cpuUsPerRequest,
      updateCpuUsPerRequest: update.cpuUsPerRequest,
      callbackCpuUsPerEvent: callbackCpuUs,
      getMainUsPerRequest: get.mainUsPerRequest,
      createMainUsPerRequest: create.mainUsPerRequest,
      sdpJoinMainUsPerRequest: sdpJoin.mainUsPerRequest,
      updateMainUsPerRequest: update.mainUsPerRequest,
      callbackMainUsPerEvent: callbackMainUs,
      loadAverage1m: Number(loadavg()[0].toFixed(2)),
      errors: get.errors + create.errors + sdpJoin.errors + update.errors,
      connections: options.connections,
      roomMembers: ROOM_MEMBERS,
    };
    const row = (name: string, value: number, unit: string, target?: number, below = false): string =>
      `${name.padEnd(28)} ${String(value).padStart(9)} ${unit.padEnd(6)} ${target === undefined ? '' : `target ${below ? '≤' : '≥'} ${target}  ${(below ? value <= target : value >= target) ? 'met' : 'MISSED'}`}`;
    console.log(`HTTP API, ${options.connections} connections, one shard; callbacks while a ${ROOM_MEMBERS}-member room runs`);
    console.log("(per request: the server process's CPU over all its threads, and its main thread's busy time)");
    console.log(row('GET conference', result.getRps, 'req/s', TARGETS.getRps));
    console.log(row('  latency p99', result.getLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per request', result.getCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.getMainUsPerRequest, 'µs'));
    console.log(row('create conference', result.createRps, 'req/s'));
    console.log(row('  latency p99', result.createLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per request', result.createCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.createMainUsPerRequest, 'µs'));
    console.log(row('add member by SDP offer', result.sdpJoinsPerSec, 'join/s', TARGETS.sdpJoinsPerSec));
    console.log(row('  latency p99', result.sdpJoinLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per join', result.sdpJoinCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.sdpJoinMainUsPerRequest, 'µs'));
    console.log(row('update member', result.updateRps, 'req/s'));
    console.log(row('  latency p99', result.updateLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per request', result.updateCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.updateMainUsPerRequest, 'µs'));
    console.log(row('callbacks delivered', result.callbacksPerSec, '/s', TARGETS.callbacksPerSec));
    console.log(row('  events generated', result.eventsGeneratedPerSec, '/s'));
    console.log(row('  server CPU per callback', result.callbackCpuUsPerEvent, 'µs'));
    console.log(row('  main thread per callback', result.callbackMainUsPerEvent, 'µs'));
    console.log(row('room tick lateness p99', result.tickLatenessP99Ms, 'ms', TARGETS.tickLatenessP99Ms, true));
    console.log(row('room tick lateness max', result.tickLatenessMaxMs, 'ms'));
    console.log(row('load average (1 min)', result.loadAverage1m, ''));
    receiver.closeAllConnections();
    receiver.close();
    sink.close();
    return { bench: 'http', results: [result] };
  } finally {
    server.child.send({ type: 'close' });
    await Promise.race([once(server.child, 'exit'), new Promise((r) => setTimeout(r, 15_000))]);
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await agent.close();
  }
}

/** The HTTP benchmark. */
export const httpBench: Bench = {
  description: 'API throughput (GET, create, SDP joins, updates) and callbacks/s beside a 500-member room',
  run,
};
