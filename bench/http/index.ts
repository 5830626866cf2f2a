// The HTTP benchmark: `npm run bench -- http [--duration S] [--connections N] [--write-seconds S]
// [--events-seconds S] [--shards N] [--profile FILE]`. The server runs in its own process
// (bench/http/serverProcess.ts: as `npm start` runs it, one shard per core, with per-request and
// per-callback logs at info level to a null sink); wrk drives it from here (wrk.ts).
//
// Phases: GET a conference (and the same GET from bare Fastify in the server process: the
// floor); create conferences; add members by SDP offer (the offers say sendonly, so the joined
// legs only receive and need no peer); update members (mute toggles);
// then callbacks per second to a receiver in its own process (receiverProcess.ts), while a
// 500-member PCMU room runs, fed and counted by the native load generator in its own process
// (four members talk, everyone hears the mix). The callbacks are real engine events: in each of
// the event conferences five members press ten keys a second (RFC 4733; they join by a sendonly
// SDP offer, so the engine sends them nothing), and the engine reports each press as a dtmf
// event. The room's own tick lateness (its ticks, not its shard's other conferences') is read
// over the same window, with its shard's beside it.
// --profile writes the server's main-thread CPU profile of that window.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createOffer } from '../../src/index.ts';
import type { Bench, BenchReport } from '../run.ts';
import { GeneratorProcess } from '../load/generatorProcess.ts';
import { DTMF_STREAM } from '../load/payloads.ts';
import type { BenchUser, FromReceiver, FromServer } from './protocol.ts';
import { runWrk } from './wrk.ts';
import type { WrkPhase, WrkResult } from './wrk.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const USER: BenchUser = { userId: 'bench', token: 'bench-token', secret: 'bench-secret' };
const AUTH = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
const ROOM_MEMBERS = 500;
const ROOM_TALKERS = 4;
/** Conferences whose dtmf events go to the receiver, and the key pressers in each (ten presses a
 *  second each: payloads.ts, DTMF_STREAM), so 6,000 events a second are offered. */
const EVENT_CONFERENCES = 120;
const PRESSERS_PER_CONFERENCE = 5;
const PRESSERS = EVENT_CONFERENCES * PRESSERS_PER_CONFERENCE;
/** Media and events run this long before the callback window opens. */
const WARMUP_MS = 1000;
const TARGETS = { getRps: 10_000, sdpJoinsPerSec: 500, callbacksPerSec: 5_000, tickLatenessP99Ms: 1 };

interface Options {
  durationS: number;
  connections: number;
  /** How long the phases that add (conferences, members) run, s. */
  writeSeconds: number;
  eventsSeconds: number;
  /** Shards of the server's engine (default: one per core, as `npm start`). */
  shards?: number;
  profile?: string;
}

function parseArgs(args: string[]): Options {
  const options: Options = { durationS: 5, connections: 32, writeSeconds: 2, eventsSeconds: 5 };
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--profile') {
      if (!args[i + 1]) throw new Error('--profile needs a file name');
      options.profile = args[i + 1];
      continue;
    }
    const value = Number(args[i + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${args[i]} needs a positive number`);
    if (args[i] === '--duration') options.durationS = value;
    else if (args[i] === '--connections') options.connections = value;
    else if (args[i] === '--write-seconds') options.writeSeconds = value;
    else if (args[i] === '--events-seconds') options.eventsSeconds = value;
    else if (args[i] === '--shards' && Number.isInteger(value)) options.shards = value;
    else throw new Error(`unknown flag ${args[i]}; flags: --duration S, --connections N, --write-seconds S, --events-seconds S, --shards N, --profile FILE`);
  }
  return options;
}

/** The server process, and a way to wait for its next message. */
async function startServer(shards: number | undefined): Promise<{ child: ChildProcess; url: string; bareUrl: string; next: () => Promise<FromServer> }> {
  const child = fork(join(here, 'serverProcess.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], env: { ...process.env, CONFMIX_BENCH_USER: JSON.stringify(USER), ...(shards ? { CONFMIX_BENCH_SHARDS: String(shards) } : {}) }, stdio: ['ignore', 'ignore', 2, 'ipc'] });
  const next = (): Promise<FromServer> => once(child, 'message').then(([message]) => message as FromServer);
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('the server process did not start');
  return { child, url: ready.url, bareUrl: ready.bareUrl, next };
}

/** The receiver process: its URL, its counts, and its end. */
async function startReceiver(): Promise<{ url: string; count: () => Promise<Extract<FromReceiver, { type: 'count' }>>; close: () => Promise<void> }> {
  const child = fork(join(here, 'receiverProcess.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 2, 'ipc'] });
  const next = (): Promise<FromReceiver> => once(child, 'message').then(([message]) => message as FromReceiver);
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('the receiver process did not start');
  return {
    url: ready.url,
    count: async () => {
      child.send({ type: 'count' });
      const answer = await next();
      if (answer.type !== 'count') throw new Error('unexpected message from the receiver process');
      return answer;
    },
    close: async () => {
      child.send({ type: 'close' });
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
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

/** The server process's CPU (every thread), its main thread's busy wall time and its main thread's CPU, µs. */
interface ServerCpu {
  cpuUs: number;
  mainBusyUs: number;
  mainCpuUs: number;
}

interface Phase {
  rps: number;
  /** The server process's CPU per request, µs (every thread: HTTP, the shard's worker, its media thread). */
  cpuUsPerRequest: number;
  /** The server's main thread (HTTP and the engine API) busy per request, µs: its capacity is 10^6 / this per second. */
  mainUsPerRequest: number;
  /** The server's main thread's own CPU per request, µs (busy time less the time other work held its core). */
  mainCpuUsPerRequest: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
}
function phase(result: WrkResult, cpu: ServerCpu, label: string): Phase {
  const ok = result.ok;
  if (result.errors > 0) console.error(`  ${label}: ${result.errors} errors (non-2xx, socket or timeout)`);
  return { rps: ok / result.seconds, cpuUsPerRequest: Math.round(cpu.cpuUs / Math.max(1, ok)), mainUsPerRequest: Math.round(cpu.mainBusyUs / Math.max(1, ok)), mainCpuUsPerRequest: Math.round(cpu.mainCpuUs / Math.max(1, ok)), latencyP50Ms: result.latencyP50Ms, latencyP99Ms: result.latencyP99Ms, errors: result.errors };
}

async function run(args: string[]): Promise<BenchReport> {
  const options = parseArgs(args);
  const server = await startServer(options.shards);
  const base = server.url;
  const conferences = `${base}/v1/users/${USER.userId}/conferences`;
  const headers = { authorization: AUTH, 'content-type': 'application/json' };
  const serverCpu = async (): Promise<ServerCpu> => {
    server.child.send({ type: 'cpu' });
    const answer = await server.next();
    if (answer.type !== 'cpu') throw new Error('unexpected message from the server process');
    return { cpuUs: answer.cpuUs, mainBusyUs: answer.mainBusyUs, mainCpuUs: answer.mainCpuUs };
  };
  const cpuSince = async (before: ServerCpu): Promise<ServerCpu> => {
    const now = await serverCpu();
    return { cpuUs: now.cpuUs - before.cpuUs, mainBusyUs: now.mainBusyUs - before.mainBusyUs, mainCpuUs: now.mainCpuUs - before.mainCpuUs };
  };
  // One load phase: wrk's result and the server's CPU over it.
  type Load = Omit<WrkPhase, 'baseUrl' | 'connections' | 'headers'> & { baseUrl?: string };
  const load = (opts: Load): Promise<WrkResult> => runWrk({ baseUrl: base, connections: options.connections, headers, ...opts });
  const measure = async (label: string, opts: Load): Promise<Phase> => {
    const before = await serverCpu();
    const result = await load(opts);
    return phase(result, await cpuSince(before), label);
  };
  // A GET phase after a one-second warm-up of the same requests.
  const measureGet = async (label: string, baseUrl: string, path: string): Promise<Phase> => {
    const get: Load = { baseUrl, method: 'GET', requests: [{ path }], durationS: options.durationS };
    await load({ ...get, durationS: 1 });
    return measure(label, get);
  };
  try {
    // GET a conference.
    const target = (await api(conferences, 'POST', { from: '+15550000' })).location!;
    const get = await measureGet('GET conference', base, target);
    // The same GET from bare Fastify in the same process: the floor this machine allows.
    const bareGet = await measureGet('GET bare Fastify', server.bareUrl, target);

    // Create conferences (completed afterwards so their clocks stop).
    const create = await measure('create', { method: 'POST', requests: [{ path: new URL(conferences).pathname, body: JSON.stringify({ from: '+15550001' }) }], durationS: options.writeSeconds });
    // A create still in flight when wrk stopped lands later and shifts the pages (newest first):
    // ids are gathered in a set, and listed again until none is left.
    for (let round = 0; round < 5; round++) {
      const ids = new Set<string>();
      for (let page = 0; ; page++) {
        const batch = (await api(`${conferences}?state=created&size=1000&page=${page}`, 'GET')).json as Array<{ id: string }>;
        for (const c of batch) if (!target.endsWith(c.id)) ids.add(c.id);
        if (batch.length < 1000) break;
      }
      if (ids.size === 0) break;
      await inBatches([...ids], 16, (id) => api(`${conferences}/${id}`, 'POST', { state: 'completed' }));
    }

    // Add members by SDP offer: 20 conferences, round robin.
    const joinRooms: string[] = [];
    for (let i = 0; i < 20; i++) joinRooms.push((await api(conferences, 'POST', { from: '+15550002', 'comfort-noise': false })).location!);
    const offer = createOffer({ localAddress: '127.0.0.1', localPort: 9, codecs: ['pcmu'], direction: 'sendonly' }).offerSdp;
    const joinBody = JSON.stringify({ sdp: offer, rtp: { timeoutMs: 0 } });
    const sdpJoin = await measure('SDP joins', { method: 'POST', requests: joinRooms.map((room) => ({ path: `${room}/members`, body: joinBody })), durationS: options.writeSeconds });

    // Update members: mute toggles over the joined members.
    const memberUrls: string[] = [];
    for (const room of joinRooms.slice(0, 5)) for (const m of (await api(`${base}${room}/members`, 'GET')).json as Array<{ id: string }>) memberUrls.push(`${room}/members/${m.id}`);
    // Every member muted in turn, then unmuted in turn, over and over.
    const toggles = [true, false].flatMap((mute) => memberUrls.map((path) => ({ path, body: JSON.stringify({ mute }) })));
    const update = await measure('update member', { method: 'POST', requests: toggles, durationS: options.durationS });
    await inBatches(joinRooms, 4, (room) => api(`${base}${room}`, 'POST', { state: 'completed' }));

    // Callbacks while a 500-member room runs. The generator process sends every member's RTP and
    // counts what comes back to the room's 500 (four talk); the key pressers of the event
    // conferences send RFC 4733 presses, which the engine reports as dtmf events (50 a second per
    // conference). The receiver process counts the callbacks.
    const receiver = await startReceiver();
    const generator = new GeneratorProcess({ codec: 'pcmu', talkers: ROOM_TALKERS, members: ROOM_MEMBERS + PRESSERS, targetPorts: [], sdp: true, keyPressers: PRESSERS });
    const generatorPorts = await generator.bound();
    const room = (await api(conferences, 'POST', { from: '+15550003', 'comfort-noise': false })).location!;
    const legPorts: number[] = new Array(ROOM_MEMBERS + PRESSERS);
    const rtpTo = (i: number) => ({ codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: generatorPorts[i], timeoutMs: 0 });
    await inBatches([...Array(ROOM_MEMBERS).keys()], 16, async (i) => {
      // The listeners' fixed payload decodes to noise: a gate that never opens keeps it out of the mix.
      const listener = i >= ROOM_TALKERS ? { energyLevel: 32767 } : {};
      legPorts[i] = (await api(`${base}${room}/members`, 'POST', { rtp: rtpTo(i), ...listener })).json.leg.localPort;
    });
    const eventRooms: string[] = [];
    await inBatches([...Array(EVENT_CONFERENCES).keys()], 16, async (k) => {
      const url = (await api(conferences, 'POST', { from: '+15550004', callbackUrl: receiver.url, profile: 'passthru_digits', 'comfort-noise': false })).location!;
      for (let p = 0; p < PRESSERS_PER_CONFERENCE; p++) {
        const i = ROOM_MEMBERS + k * PRESSERS_PER_CONFERENCE + p;
        // A presser joins by SDP, offering PCMU and telephone-event and saying sendonly: its keys
        // are what it is for, so the engine sends it nothing back (the room's members get their mix).
        const offer = createOffer({ localAddress: '127.0.0.1', localPort: generatorPorts[i], codecs: ['pcmu'], direction: 'sendonly' });
        if (!offer.offerSdp.includes(`a=rtpmap:${DTMF_STREAM.payloadType} telephone-event/${DTMF_STREAM.clockRate}`)) throw new Error("the presser's offer lacks the key stream's payload type");
        legPorts[i] = (await api(`${base}${url}/members`, 'POST', { sdp: offer.offerSdp })).json.leg.localPort;
      }
      eventRooms.push(url);
    });
    generator.start(legPorts);
    await generator.started();
    await new Promise((r) => setTimeout(r, WARMUP_MS));

    const cpuBefore = await serverCpu();
    const generatorBefore = await generator.snapshot();
    server.child.send({ type: 'window-start', ...(options.profile ? { profile: resolve(options.profile) } : {}) });
    if ((await server.next()).type !== 'window-started') throw new Error('unexpected message from the server process');
    const receivedBefore = await receiver.count();
    const started = performance.now();
    await new Promise((r) => setTimeout(r, options.eventsSeconds * 1000));
    const receivedAfter = await receiver.count();
    const windowS = (performance.now() - started) / 1000;
    server.child.send({ type: 'window-end', roomId: room.slice(room.lastIndexOf('/') + 1) });
    const done = await server.next();
    if (done.type !== 'window-ended') throw new Error('unexpected message from the server process');
    const callbackCpu = await cpuSince(cpuBefore);
    const generatorAfter = await generator.snapshot();
    await generator.stop();
    const delivered = receivedAfter.received - receivedBefore.received;
    const callbacksPerSec = delivered / windowS;
    const callbackCpuUs = Math.round(callbackCpu.cpuUs / Math.max(1, delivered));
    const callbackMainUs = Math.round(callbackCpu.mainBusyUs / Math.max(1, delivered));
    const callbackMainCpuUs = Math.round(callbackCpu.mainCpuUs / Math.max(1, delivered));
    const generatorS = (generatorAfter.atMs - generatorBefore.atMs) / 1000;
    const roomReceived = generatorAfter.received.slice(0, ROOM_MEMBERS).map((n, i) => n - (generatorBefore.received[i] ?? 0));
    const roomPpsMin = Math.min(...roomReceived) / generatorS;
    await receiver.close();

    const result = {
      getRps: Math.round(get.rps),
      bareFastifyGetRps: Math.round(bareGet.rps),
      getRpsOfBareFastify: Number((get.rps / bareGet.rps).toFixed(3)),
      createRps: Math.round(create.rps),
      sdpJoinsPerSec: Math.round(sdpJoin.rps),
      updateRps: Math.round(update.rps),
      callbacksPerSec: Math.round(callbacksPerSec),
      tickLatenessP99Ms: Number(done.room.tick.p99Ms.toFixed(3)),
      tickLatenessMaxMs: Number(done.room.tick.maxMs.toFixed(3)),
      roomFlushLatenessP99Ms: Number(done.room.flush.p99Ms.toFixed(3)),
      roomFlushLatenessMaxMs: Number(done.room.flush.maxMs.toFixed(3)),
      roomTicks: done.room.tick.count,
      shards: done.shards,
      roomShardConferences: done.roomShard.conferences,
      roomShardLatenessP99Ms: Number(done.roomShard.p99Ms.toFixed(3)),
      tickOverruns: done.roomShard.overruns,
      eventsGeneratedPerSec: Math.round(done.events / done.seconds),
      callbacksDropped: done.deliveries.dropped ?? 0,
      callbacksFailed: done.deliveries.failed ?? 0,
      callbacksOutOfOrder: receivedAfter.outOfOrder,
      eventConferences: EVENT_CONFERENCES,
      roomRxPpsPerMemberMin: Math.round(roomPpsMin),
      receiverCpuUsPerCallback: Math.round((receivedAfter.cpuUs - receivedBefore.cpuUs) / Math.max(1, delivered)),
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
      getMainCpuUsPerRequest: get.mainCpuUsPerRequest,
      bareFastifyGetMainCpuUsPerRequest: bareGet.mainCpuUsPerRequest,
      sdpJoinMainCpuUsPerRequest: sdpJoin.mainCpuUsPerRequest,
      callbackMainCpuUsPerEvent: callbackMainCpuUs,
      loadAverage1m: Number(loadavg()[0].toFixed(2)),
      errors: get.errors + create.errors + sdpJoin.errors + update.errors,
      connections: options.connections,
      roomMembers: ROOM_MEMBERS,
    };
    const row = (name: string, value: number, unit: string, target?: number, below = false): string =>
      `${name.padEnd(28)} ${String(value).padStart(9)} ${unit.padEnd(6)} ${target === undefined ? '' : `target ${below ? '≤' : '≥'} ${target}  ${(below ? value <= target : value >= target) ? 'met' : 'MISSED'}`}`;
    console.log(`HTTP API, ${options.connections} connections, ${result.shards} shards; callbacks (dtmf events of ${EVENT_CONFERENCES} conferences) while a ${ROOM_MEMBERS}-member room runs`);
    console.log("(per request: the server process's CPU over all its threads, its main thread's busy wall time, and that thread's own CPU)");
    console.log(row('GET conference', result.getRps, 'req/s', TARGETS.getRps));
    console.log(row('  latency p99', result.getLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per request', result.getCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.getMainUsPerRequest, 'µs'));
    console.log(row('  main thread CPU per request', result.getMainCpuUsPerRequest, 'µs'));
    console.log(row('GET, bare Fastify (floor)', result.bareFastifyGetRps, 'req/s'));
    console.log(row('  main thread CPU per request', result.bareFastifyGetMainCpuUsPerRequest, 'µs'));
    console.log(row('  GET conference / floor', result.getRpsOfBareFastify, ''));
    console.log(row('create conference', result.createRps, 'req/s'));
    console.log(row('  latency p99', result.createLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per request', result.createCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.createMainUsPerRequest, 'µs'));
    console.log(row('add member by SDP offer', result.sdpJoinsPerSec, 'join/s', TARGETS.sdpJoinsPerSec));
    console.log(row('  latency p99', result.sdpJoinLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per join', result.sdpJoinCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.sdpJoinMainUsPerRequest, 'µs'));
    console.log(row('  main thread CPU per join', result.sdpJoinMainCpuUsPerRequest, 'µs'));
    console.log(row('update member', result.updateRps, 'req/s'));
    console.log(row('  latency p99', result.updateLatencyP99Ms, 'ms'));
    console.log(row('  server CPU per request', result.updateCpuUsPerRequest, 'µs'));
    console.log(row('  main thread per request', result.updateMainUsPerRequest, 'µs'));
    console.log(row('callbacks delivered', result.callbacksPerSec, '/s', TARGETS.callbacksPerSec));
    console.log(row('  dtmf events generated', result.eventsGeneratedPerSec, '/s'));
    console.log(row('  event conferences', result.eventConferences, ''));
    console.log(row('  dropped (queue full)', result.callbacksDropped, ''));
    console.log(row('  failed', result.callbacksFailed, ''));
    console.log(row('  out of order', result.callbacksOutOfOrder, ''));
    console.log(row('  server CPU per callback', result.callbackCpuUsPerEvent, 'µs'));
    console.log(row('  main thread per callback', result.callbackMainUsPerEvent, 'µs'));
    console.log(row('  main thread CPU per callback', result.callbackMainCpuUsPerEvent, 'µs'));
    console.log(row('room tick lateness p99', result.tickLatenessP99Ms, 'ms', TARGETS.tickLatenessP99Ms, true));
    console.log(row('room tick lateness max', result.tickLatenessMaxMs, 'ms'));
    console.log(row('room datagrams flush p99', result.roomFlushLatenessP99Ms, 'ms'));
    console.log(row('room datagrams flush max', result.roomFlushLatenessMaxMs, 'ms'));
    console.log(row("room's shard: conferences", result.roomShardConferences, ''));
    console.log(row("room's shard: lateness p99", result.roomShardLatenessP99Ms, 'ms'));
    console.log(row("room's shard: overruns", result.tickOverruns, ''));
    console.log(row('room rx per member (least)', result.roomRxPpsPerMemberMin, 'pkt/s'));
    console.log(row('load average (1 min)', result.loadAverage1m, ''));
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
