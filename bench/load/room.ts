// The engine process of one load run (forked by the runner with an IPC channel): a ShardPool
// of one shard (a conference never spans shards, so one room is one shard's media thread) and
// one conference of N plain-RTP members on loopback, or with `rooms` a pool of the engine's
// default shards and R conferences placed as the engine places them; a generator process feeds
// them. Before any conference the idle engine's CPU and RSS are measured (with `idle`, that and
// R empty conferences are all it measures).
//
// Members' legs latch to the generator's sockets (symmetric RTP; a few sockets, each shared by
// up to 1000 members) rather than being given them up front: the engine then sends to a member only from the moment its first packet arrives,
// so nothing queues in the generator's socket buffers before it starts counting, and every
// member goes live in the same tick.
//
// With `sdp`, members join through the engine's API by SDP offer/answer instead, as from a
// gateway (sdpJoin.ts): the generator binds first, each offer names the member's (shared)
// socket, and it starts sending once every answer is in.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/Engine.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import type { ShardEvent } from '../../src/shard/messages.ts';
import type { Shard } from '../../src/shard/Shard.ts';
import { DEFAULT_MEDIA_SWITCHES, type ShardConferenceRequests, type ShardLegInfo, type ShardRtpCodec } from '../../src/shard/conferenceProtocol.ts';
import { measureCodecCosts } from './calibrate.ts';
import { GeneratorProcess } from './generatorProcess.ts';
import { joinBySdp } from './sdpJoin.ts';
import { FORMATS } from './payloads.ts';
import type { FromRoom, GeneratorSnapshot, JitterTargetSample, RoomConfig, RoomResult } from './protocol.ts';
import { cpuPressureUs, threadTimes, threadTimesDelta } from './threadCpu.ts';

const CONFERENCE_ID = 'load';
/** The media thread's name (set by the native thread itself). */
const MEDIA_THREAD = 'confmix-media';
/** The worker pool's helpers (see native/core/io/worker_pool.h). */
const WORKER_THREAD = 'confmix-worker';
/** Members added at once: the shard answers them in order, without a round trip each. */
const ADD_BATCH = 250;
/** How often the window samples the conference's encodes and decodes per tick. */
const CLOCK_SAMPLE_MS = 250;
/** Rooms whose clocks the window samples (the rooms of a run are alike). */
const CLOCK_SAMPLE_ROOMS = 4;
/** Time the started engine settles before its idle window, and that window's length. */
const IDLE_SETTLE_MS = 500;
const IDLE_WINDOW_MS = 2000;
/** Ticks per second at which the clock counts as keeping up (50 at 20 ms). */
const KEPT_UP_TICKS_PER_SECOND = 49.5;
/** A gate threshold no frame can pass (scores are 0..32767): members who never contribute. */
const GATE_NEVER_OPENS = 32767;

type Stats = ShardConferenceRequests['stats']['result'];
type Clock = ShardConferenceRequests['conferenceClock']['result'];

const mb = (bytes: number): number => bytes / 2 ** 20;
const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The engine's whole-process and per-thread CPU over a window, % of one core. */
interface CpuWindow {
  engineCpuPct: number;
  threads: Record<string, number>;
}

/** Measures the engine process's CPU over `ms` of doing nothing but running. */
async function measureCpu(ms: number): Promise<CpuWindow> {
  const threadsBefore = threadTimes();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await wait(ms);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  const threads = threadTimesDelta(threadsBefore, threadTimes());
  const pct = (cpuMs: number): number => (cpuMs / wallMs) * 100;
  return {
    engineCpuPct: pct((cpu.user + cpu.system) / 1000),
    threads: Object.fromEntries(Object.entries(threads).map(([name, time]) => [name, Number(pct(time.cpuMs).toFixed(3))])),
  };
}

/** One conference of the run, on the shard the engine placed it on. */
interface PlacedRoom {
  conferenceId: string;
  shard: Shard;
}

/** Sums the shards' media-thread counters; lateness is the worst shard's. */
function sumStats(all: Stats[]): Stats {
  // An engine without the wake counters reports none: count them as 0.
  const out = { ...all[0], wakes: all[0].wakes ?? 0, drains: all[0].drains ?? 0, lateness: { ...all[0].lateness } };
  for (const s of all.slice(1)) {
    out.ticks += s.ticks;
    out.wakes += s.wakes ?? 0;
    out.drains += s.drains ?? 0;
    out.tickCpuMs += s.tickCpuMs;
    out.overruns += s.overruns;
    out.members += s.members;
    out.conferences += s.conferences;
    out.lateness.p50Ms = Math.max(out.lateness.p50Ms, s.lateness.p50Ms);
    out.lateness.p99Ms = Math.max(out.lateness.p99Ms, s.lateness.p99Ms);
    out.lateness.maxMs = Math.max(out.lateness.maxMs, s.lateness.maxMs);
  }
  return out;
}

/** Runs one room (or `rooms` rooms, or none with `idle`) and returns its figures. */
export async function runRoom(config: RoomConfig): Promise<RoomResult> {
  const rssBaselineMb = mb(process.memoryUsage.rss());
  const setupStart = performance.now();
  // One room lives on one shard; several are spread over the engine's shards (one per core).
  const pool = await ShardPool.create({
    ...(config.rooms > 0 || config.idle ? {} : { shards: 1 }),
    portMin: config.portMin,
    portMax: config.portMax,
    requestTimeoutMs: 60_000,
  });
  let generator: GeneratorProcess | undefined;
  try {
    // The fixed cost first: the engine with its shards started and nothing to do. An --idle run
    // waits its warm-up: V8 compiles and collects after a start for many seconds.
    const settleMs = config.idle ? config.warmupS * 1000 : IDLE_SETTLE_MS;
    await wait(settleMs);
    const idle = await measureCpu(config.idle ? config.durationS * 1000 : IDLE_WINDOW_MS);
    const rssIdleMb = mb(process.memoryUsage.rss());
    let talkingStarts = 0;
    let rejected = 0;
    pool.on('event', (event: ShardEvent) => {
      if (event.type === 'talking' && event.status === 'start') talkingStarts++;
      else if (event.type === 'rtp-rejected' && typeof event.count === 'number') rejected += event.count;
    });
    const media = { ...DEFAULT_MEDIA_SWITCHES, ...(config.maxActiveTalkers === undefined ? {} : { maxActiveTalkers: config.maxActiveTalkers }) };
    const settings = { rate: config.rate, interval: 20, energyLevel: config.energyLevel, hangoverMs: 500, comfortNoiseDbfs: -60, digits: 'interpret', media } as const;
    const placed: PlacedRoom[] = [];
    const talkerPorts: number[] = [];
    const listenerPorts: number[] = [];

    if (config.sdp) {
      // The same conference through the engine's API (over this pool, closed with it below);
      // members join by offer/answer.
      const engine = Engine.createWithPool(pool);
      const conference = await engine.createConference({
        rate: config.rate,
        'energy-level': config.energyLevel,
        hangoverMs: 500,
        comfortNoiseDbfs: -60,
        play_entry_tone: false,
        play_exit_tone: false,
      });
      placed.push({ conferenceId: conference.id, shard: pool.shardOf(conference.id) ?? pool.shards[0] });
      generator = new GeneratorProcess({ codec: config.codec, talkers: config.talkers, members: config.members, targetPorts: [], sdp: true, noisy: config.noisy });
      const gatewayPorts = await generator.bound();
      const started = generator.started();
      const silent = config.codec === 'pcmu' && config.energyLevel > 0 ? { energyLevel: GATE_NEVER_OPENS } : {};
      generator.start(await joinBySdp(conference, config.codec, gatewayPorts, config.talkers, silent));
      await started;
    } else {
      const format = FORMATS[config.codec];
      // Opus: mono (the mix is mono), in-band FEC on, DTX off so every listener gets 50 packets/s.
      const codec: ShardRtpCodec = { name: config.codec, payloadType: format.payloadType, clockRate: format.clockRate, channels: 1 };
      const roomCount = config.idle ? config.rooms : Math.max(1, config.rooms);
      for (let room = 0; room < roomCount; room++) {
        const conferenceId = config.rooms > 0 ? `${CONFERENCE_ID}-${room}` : CONFERENCE_ID;
        // As the engine places a new conference: on the least-loaded shard.
        const shard = config.rooms > 0 ? pool.leastLoaded() : pool.shards[0];
        await shard.request('createConference', { conferenceId, settings });
        placed.push({ conferenceId, shard });
        for (let first = 1; first <= config.members; first += ADD_BATCH) {
          const batch: Array<Promise<{ leg: ShardLegInfo }>> = [];
          for (let member = first; member < first + ADD_BATCH && member <= config.members; member++) {
            const talker = member <= config.talkers;
            // PCMU members who are not talking send a payload that decodes to noise (the native
            // generator's fixed bytes): a gate that never opens keeps them out of the mix, exactly
            // as silence would, with the same decode and energy scoring per packet. With the
            // gate off (--energy-level 0) their noise passes, as the run asks.
            const memberSettings = !talker && config.codec === 'pcmu' && config.energyLevel > 0 ? { energyLevel: GATE_NEVER_OPENS } : {};
            batch.push(
              shard.request('addMember', { conferenceId, member, settings: memberSettings, leg: { kind: 'rtp', codec, symmetricLatching: true } }),
            );
          }
          const added = await Promise.all(batch);
          added.forEach((a, i) => (first + i <= config.talkers ? talkerPorts : listenerPorts).push(a.leg.kind === 'rtp' ? a.leg.localPort : 0));
        }
      }
      if (!config.idle) {
        // Every room's talkers first: the generator sends tones to its first `talkers` members.
        generator = new GeneratorProcess({
          codec: config.codec,
          talkers: talkerPorts.length,
          members: talkerPorts.length + listenerPorts.length,
          targetPorts: [...talkerPorts, ...listenerPorts],
          noisy: config.noisy,
          ...(config.onsets ? { onsets: config.onsets } : {}),
          ...(config.listenerLoop ? { listenerLoop: config.listenerLoop } : {}),
        });
        await generator.started();
      }
    }
    const totalMembers = Math.max(1, config.rooms) * config.members;
    const setupS = (performance.now() - setupStart) / 1000;
    const shards = [...new Set(placed.map((p) => p.shard))];
    if (config.idle) {
      // Empty conferences (if any) on top of the idle engine.
      await wait(settleMs);
      const withRooms = placed.length > 0 ? await measureCpu(config.durationS * 1000) : idle;
      return idleResult(config, pool.shards.length, idle, withRooms, rssBaselineMb, rssIdleMb, setupS);
    }
    if (!generator) throw new Error('no generator');
    await wait(config.warmupS * 1000);

    // --- the window ---
    const rejectedBefore = rejected;
    const genBefore = await generator.snapshot();
    await Promise.all(pool.shards.map((shard) => shard.request('resetLateness')));
    const statsBefore = sumStats(await Promise.all(pool.shards.map((shard) => shard.request('stats'))));
    const threadsBefore = threadTimes();
    const pressureBefore = cpuPressureUs();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const windowStartWallMs = Date.now();
    const clocks: Clock[] = [];
    const sampled = placed.slice(0, CLOCK_SAMPLE_ROOMS);
    const windowEnd = wallBefore + config.durationS * 1000;
    const jitterTargets: JitterTargetSample[] = [];
    while (performance.now() + CLOCK_SAMPLE_MS < windowEnd) {
      await wait(CLOCK_SAMPLE_MS);
      for (const room of sampled) clocks.push(await room.shard.request('conferenceClock', { conferenceId: room.conferenceId }));
      if (config.onsets) jitterTargets.push(await talkerJitterTargets(placed[0].shard, placed[0].conferenceId, config.talkers));
    }
    await wait(Math.max(0, windowEnd - performance.now()));
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    const threads = threadTimesDelta(threadsBefore, threadTimes());
    const pressureAfter = cpuPressureUs();
    const statsAfter = sumStats(await Promise.all(pool.shards.map((shard) => shard.request('stats'))));
    const genAfter = await generator.snapshot();
    const rssMb = mb(process.memoryUsage.rss());
    const loadAverage = loadavg()[0];
    const rejectedInWindow = rejected - rejectedBefore;
    const onsets = config.onsets ? { traces: await generator.traces(), jitterTargets } : {};
    await generator.stop();
    generator = undefined;
    await pool.close();

    // --- figures ---
    const windowS = wallMs / 1000;
    const pct = (ms: number): number => (ms / wallMs) * 100;
    const engineCpuPct = pct((cpu.user + cpu.system) / 1000);
    const mediaThreadCpuPct = pct(threads[MEDIA_THREAD]?.cpuMs ?? 0);
    const tickCpuPct = pct(statsAfter.tickCpuMs - statsBefore.tickCpuMs);
    const ticksInWindow = statsAfter.ticks - statsBefore.ticks;
    const mediaThreadMsPerTick = (threads[MEDIA_THREAD]?.cpuMs ?? 0) / Math.max(1, ticksInWindow);
    // Clocks are sampled in a few rooms; the rooms are alike, so the engine's work per tick is
    // their mean times the rooms.
    const perRoom = (pick: (c: Clock) => number): number => (clocks.reduce((sum, c) => sum + pick(c), 0) / Math.max(1, clocks.length)) * placed.length;
    const decodesPerTick = perRoom((c) => c.decodesPerTick);
    const encodesPerTick = perRoom((c) => c.encodesPerTick);
    const sheds = clocks.map((c) => c.complexityShed);
    const codecCosts = measureCodecCosts(config.codec, config.rate);
    // A room ticks 50 times a second: the clock kept up when every room did.
    const ticksPerSecond = ticksInWindow / placed.length / windowS;
    const rx = rxFigures({ members: totalMembers, talkers: talkerPorts.length || config.talkers }, genBefore, genAfter);
    const genWallMs = genAfter.atMs - genBefore.atMs;
    return {
      codec: config.codec,
      members: config.members,
      talkers: config.talkers,
      rooms: placed.length,
      shards: shards.length,
      totalMembers,
      noisy: config.noisy,
      energyLevel: config.energyLevel,
      maxActiveTalkers: config.maxActiveTalkers ?? null,
      rate: config.rate,
      windowS,
      idleCpuPct: idle.engineCpuPct,
      idleThreads: idle.threads,
      bytesPerMember: ((rssMb - rssIdleMb) * 2 ** 20) / totalMembers,
      rssIdleMb,
      wakesPerS: (statsAfter.wakes - statsBefore.wakes) / windowS,
      drainsPerS: (statsAfter.drains - statsBefore.drains) / windowS,
      engineCpuPct,
      cpuPctPerParticipant: engineCpuPct / totalMembers,
      mediaThreadCpuPct,
      tickCpuPct,
      socketIoCpuPct: Math.max(0, mediaThreadCpuPct - tickCpuPct),
      otherThreadsCpuPct: Math.max(0, engineCpuPct - mediaThreadCpuPct),
      workerCpuPct: pct(threads[WORKER_THREAD]?.cpuMs ?? 0),
      complexityShed: sheds.length > 0 ? { min: Math.min(...sheds), max: Math.max(...sheds) } : { min: 0, max: 0 },
      mediaThreadMsPerTick: mediaThreadMsPerTick,
      membersPerMediaThreadProjected: ticksPerSecond >= KEPT_UP_TICKS_PER_SECOND && mediaThreadCpuPct > 0 ? Math.floor((totalMembers * 100 * shards.length) / mediaThreadCpuPct) : null,
      mediaThreadWaitPct: pct(threads[MEDIA_THREAD]?.waitMs ?? 0),
      cpuPressurePct: pressureBefore === null || pressureAfter === null ? null : pct((pressureAfter - pressureBefore) / 1000),
      threads: Object.fromEntries(Object.entries(threads).map(([name, time]) => [name, { cpuPct: pct(time.cpuMs), waitPct: pct(time.waitMs) }])),
      decodesPerTick,
      encodesPerTick,
      decodeCpuPctEstimate: (decodesPerTick * ticksPerSecond * (codecCosts.decodeUs + codecCosts.resampleInUs)) / 1e4,
      encodeCpuPctEstimate: (encodesPerTick * ticksPerSecond * (codecCosts.encodeUs + codecCosts.resampleOutUs)) / 1e4,
      codecCosts,
      ...rx,
      tickLatenessP50Ms: statsAfter.lateness.p50Ms,
      tickLatenessP99Ms: statsAfter.lateness.p99Ms,
      tickLatenessMaxMs: statsAfter.lateness.maxMs,
      ...(statsAfter.lateness.cdf ? { tickLatenessCdf: statsAfter.lateness.cdf } : {}),
      overrunsInWindow: statsAfter.overruns - statsBefore.overruns,
      ticksInWindow: ticksInWindow / placed.length,
      rssMb,
      rssBaselineMb,
      talkingStarts,
      rejectedInWindow,
      generatorCpuPct: ((genAfter.cpuMs - genBefore.cpuMs) / genWallMs) * 100,
      generatorNativeCpuPct: ((genAfter.nativeCpuMs - genBefore.nativeCpuMs) / genWallMs) * 100,
      generatorSendFailed: genAfter.sendFailed,
      generatorStrangers: genAfter.strangers,
      generatorLatenessMaxMs: genAfter.latenessMaxMs,
      loadAverage,
      setupS,
      ...onsets,
      ...(config.onsets ? { windowStartWallMs } : {}),
    };
  } finally {
    generator?.kill();
    await pool.close();
  }
}

/** The figures of an idle run: the engine alone, then with its empty conferences. */
function idleResult(
  config: RoomConfig,
  shards: number,
  idle: CpuWindow,
  withRooms: CpuWindow,
  rssBaselineMb: number,
  rssIdleMb: number,
  setupS: number,
): RoomResult {
  const none = { decodeUs: 0, encodeUs: 0, resampleInUs: 0, resampleOutUs: 0 };
  return {
    codec: config.codec, members: 0, talkers: 0, rooms: config.rooms, shards, totalMembers: 0, noisy: false, energyLevel: config.energyLevel,
    maxActiveTalkers: config.maxActiveTalkers ?? null, rate: config.rate, windowS: config.durationS,
    idleCpuPct: idle.engineCpuPct, idleThreads: idle.threads, bytesPerMember: null, rssIdleMb, wakesPerS: 0, drainsPerS: 0,
    engineCpuPct: withRooms.engineCpuPct, cpuPctPerParticipant: 0,
    mediaThreadCpuPct: withRooms.threads[MEDIA_THREAD] ?? 0, tickCpuPct: 0, socketIoCpuPct: 0,
    otherThreadsCpuPct: withRooms.engineCpuPct - (withRooms.threads[MEDIA_THREAD] ?? 0), workerCpuPct: withRooms.threads[WORKER_THREAD] ?? 0,
    complexityShed: { min: 0, max: 0 }, mediaThreadMsPerTick: 0, membersPerMediaThreadProjected: null, mediaThreadWaitPct: 0, cpuPressurePct: null,
    threads: Object.fromEntries(Object.entries(withRooms.threads).map(([name, cpuPct]) => [name, { cpuPct, waitPct: 0 }])),
    decodesPerTick: 0, encodesPerTick: 0, decodeCpuPctEstimate: 0, encodeCpuPctEstimate: 0, codecCosts: none,
    rxPpsPerParticipantMin: 0, rxPpsPerParticipantMean: 0, rxPpsTalkerMin: null, rxPpsListenerMin: null,
    tickLatenessP50Ms: 0, tickLatenessP99Ms: 0, tickLatenessMaxMs: 0, overrunsInWindow: 0, ticksInWindow: 0,
    rssMb: mb(process.memoryUsage.rss()), rssBaselineMb, talkingStarts: 0, rejectedInWindow: 0,
    generatorCpuPct: 0, generatorNativeCpuPct: 0, generatorSendFailed: 0, generatorStrangers: 0, generatorLatenessMaxMs: 0,
    loadAverage: loadavg()[0], setupS,
  };
}

/** Each talker's jitter buffer target now (members 1..talkers). */
async function talkerJitterTargets(shard: ShardPool['shards'][number], conferenceId: string, talkers: number): Promise<JitterTargetSample> {
  const atWallMs = Date.now();
  const targetsMs: Array<number | null> = [];
  for (let member = 1; member <= talkers; member++) {
    const stats = await shard.request('memberStats', { conferenceId, member });
    targetsMs.push(typeof stats.jitterTargetMs === 'number' ? stats.jitterTargetMs : null);
  }
  return { atWallMs, targetsMs };
}

/**
 * Packets per second each member's leg delivered to the generator over the window: the mean, and
 * the least-served member, among the talkers, among the others and overall. Exact: the generator
 * counts every datagram for the member whose leg sent it.
 */
export function rxFigures(
  config: Pick<RoomConfig, 'members' | 'talkers'>,
  before: GeneratorSnapshot,
  after: GeneratorSnapshot,
): Pick<RoomResult, 'rxPpsPerParticipantMin' | 'rxPpsPerParticipantMean' | 'rxPpsTalkerMin' | 'rxPpsListenerMin'> {
  const seconds = (after.atMs - before.atMs) / 1000;
  let total = 0;
  let talkerMin = Infinity;
  let listenerMin = Infinity;
  for (let i = 0; i < config.members; i++) {
    const count = (after.received[i] ?? 0) - (before.received[i] ?? 0);
    total += count;
    if (i < config.talkers) talkerMin = Math.min(talkerMin, count);
    else listenerMin = Math.min(listenerMin, count);
  }
  const rxPpsTalkerMin = config.talkers > 0 ? talkerMin / seconds : null;
  const rxPpsListenerMin = config.members > config.talkers ? listenerMin / seconds : null;
  return {
    rxPpsPerParticipantMin: Math.min(talkerMin, listenerMin) / seconds,
    rxPpsPerParticipantMean: total / config.members / seconds,
    rxPpsTalkerMin,
    rxPpsListenerMin,
  };
}

// Run as the engine process of a room: the config is the one argument, the result goes back over IPC.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const config = JSON.parse(process.argv[2] ?? '{}') as RoomConfig;
  // The runner went away: exit, which also ends the generator (its channel to us closes).
  process.on('disconnect', () => process.exit(1));
  const reply = (message: FromRoom): Promise<void> =>
    new Promise((done) => {
      if (!process.send) return done();
      process.send(message, () => done());
    });
  runRoom(config).then(
    async (result) => {
      await reply({ type: 'result', result });
      process.exit(0);
    },
    async (error: unknown) => {
      await reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
}
