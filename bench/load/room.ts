// The engine process of one load room (forked by the runner with an IPC channel): a ShardPool
// of one shard (a conference never spans shards, so one room is one shard's media thread),
// one conference of N plain-RTP members on loopback, and a generator process feeding them.
//
// Members' legs latch to the generator's sockets (symmetric RTP; a few sockets, each shared by
// up to 1000 members) rather than being given them up front: the engine then sends to a member only from the moment its first packet arrives,
// so nothing queues in the generator's socket buffers before it starts counting, and every
// member goes live in the same tick.
//
// With `sdp`, members join through the engine's API by SDP offer/answer instead, as from a
// gateway (sdpJoin.ts): the generator binds first, each offer names the member's (shared)
// socket, and it starts sending once every answer is in.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/Engine.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import type { ShardEvent } from '../../src/shard/messages.ts';
import { DEFAULT_MEDIA_SWITCHES, type ShardConferenceRequests, type ShardRtpCodec } from '../../src/shard/conferenceProtocol.ts';
import { measureCodecCosts } from './calibrate.ts';
import { joinBySdp } from './sdpJoin.ts';
import { FORMATS } from './payloads.ts';
import type { FromGenerator, FromRoom, GeneratorConfig, GeneratorSnapshot, RoomConfig, RoomResult, ToGenerator, TraceRecord } from './protocol.ts';
import { cpuPressureUs, threadTimes, threadTimesDelta } from './threadCpu.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const CONFERENCE_ID = 'load';
/** The media thread's name (set by the native thread itself). */
const MEDIA_THREAD = 'confmix-media';
/** The worker pool's helpers (see native/core/io/worker_pool.h). */
const WORKER_THREAD = 'confmix-worker';
/** Members added at once: the shard answers them in order, without a round trip each. */
const ADD_BATCH = 250;
/** How often the window samples the conference's encodes and decodes per tick. */
const CLOCK_SAMPLE_MS = 250;
/** Ticks per second at which the clock counts as keeping up (50 at 20 ms). */
const KEPT_UP_TICKS_PER_SECOND = 49.5;
/** A gate threshold no frame can pass (scores are 0..32767): members who never contribute. */
const GATE_NEVER_OPENS = 32767;

type Stats = ShardConferenceRequests['stats']['result'];
type Clock = ShardConferenceRequests['conferenceClock']['result'];

const mb = (bytes: number): number => bytes / 2 ** 20;
const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The generator process, driven over IPC. */
class GeneratorProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (snapshot: GeneratorSnapshot) => void>();
  readonly #pendingTraces = new Map<number, (traces: TraceRecord[]) => void>();
  #nextId = 1;
  #exited: Promise<void>;
  #onStarted: Array<(error?: Error) => void> = [];
  #onBound: Array<(ports: number[] | Error) => void> = [];
  #onStopped: ((snapshot: GeneratorSnapshot) => void) | undefined;

  constructor(config: GeneratorConfig) {
    this.#child = fork(join(here, 'generator.ts'), [JSON.stringify(config)], {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      // Its output goes to stderr: stdout carries only the benchmark's table and JSON line.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    this.#exited = new Promise((done) => this.#child.once('exit', () => done()));
    this.#child.on('message', (message: FromGenerator) => {
      if (message.type === 'bound') this.#settleBound(message.ports);
      else if (message.type === 'started') this.#settleStart();
      else if (message.type === 'error') this.#settleStart(new Error(`generator: ${message.message}`));
      else if (message.type === 'snapshot') this.#pending.get(message.id)?.(message.snapshot);
      else if (message.type === 'traces') this.#pendingTraces.get(message.id)?.(message.traces);
      else if (message.type === 'stopped') this.#onStopped?.(message.snapshot);
    });
    this.#child.once('exit', (code) => this.#settleStart(new Error(`generator exited with code ${String(code)}`)));
  }

  /** The generator's process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** With `sdp`: resolves with each member's local port once its sockets are bound. */
  bound(): Promise<number[]> {
    return new Promise((done, fail) => this.#onBound.push((ports) => (ports instanceof Error ? fail(ports) : done(ports))));
  }

  /** With `sdp`: where each member's leg is; it then starts sending. */
  start(targetPorts: number[]): void {
    this.#send({ type: 'start', targetPorts });
  }

  /** Resolves once it is sending. */
  started(): Promise<void> {
    return new Promise((done, fail) => this.#onStarted.push((error) => (error ? fail(error) : done())));
  }

  /** Its counters now. */
  snapshot(): Promise<GeneratorSnapshot> {
    const id = this.#nextId++;
    return new Promise((done) => {
      this.#pending.set(id, (snapshot) => {
        this.#pending.delete(id);
        done(snapshot);
      });
      this.#send({ type: 'snapshot', id });
    });
  }

  /** The traced members' logs so far (with onsets). */
  traces(): Promise<TraceRecord[]> {
    const id = this.#nextId++;
    return new Promise((done) => {
      this.#pendingTraces.set(id, (traces) => {
        this.#pendingTraces.delete(id);
        done(traces);
      });
      this.#send({ type: 'traces', id });
    });
  }

  /** Stops sending and returns the last counters; the process then exits. */
  async stop(): Promise<GeneratorSnapshot | undefined> {
    if (this.#child.exitCode !== null || !this.#child.connected) return undefined;
    const stopped = new Promise<GeneratorSnapshot>((done) => (this.#onStopped = done));
    this.#send({ type: 'stop' });
    const last = await Promise.race([stopped, wait(5000).then(() => undefined)]);
    this.kill();
    await this.#exited;
    return last;
  }

  /** Ends it, whatever state it is in. */
  kill(): void {
    if (this.#child.connected) this.#child.disconnect();
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  #send(message: ToGenerator): void {
    if (this.#child.connected) this.#child.send(message);
  }

  #settleStart(error?: Error): void {
    for (const settle of this.#onStarted.splice(0)) settle(error);
    if (error) this.#settleBound(error);
  }

  #settleBound(ports: number[] | Error): void {
    for (const settle of this.#onBound.splice(0)) settle(ports);
  }
}

/** Runs one room and returns its figures. */
export async function runRoom(config: RoomConfig): Promise<RoomResult> {
  const rssBaselineMb = mb(process.memoryUsage.rss());
  const setupStart = performance.now();
  const pool = await ShardPool.create({ shards: 1, portMin: config.portMin, portMax: config.portMax, requestTimeoutMs: 60_000 });
  let generator: GeneratorProcess | undefined;
  let conferenceId = CONFERENCE_ID;
  try {
    const shard = pool.shards[0];
    let talkingStarts = 0;
    let rejected = 0;
    pool.on('event', (event: ShardEvent) => {
      if (event.type === 'talking' && event.status === 'start') talkingStarts++;
      else if (event.type === 'rtp-rejected' && typeof event.count === 'number') rejected += event.count;
    });

    if (config.sdp) {
      // The same conference through the engine's API (over this pool, closed with it below);
      // members join by offer/answer.
      const engine = Engine.createWithPool(pool);
      const conference = await engine.createConference({
        rate: config.rate,
        'energy-level': 100,
        hangoverMs: 500,
        comfortNoiseDbfs: -60,
        play_entry_tone: false,
        play_exit_tone: false,
      });
      conferenceId = conference.id;
      generator = new GeneratorProcess({ codec: config.codec, talkers: config.talkers, members: config.members, targetPorts: [], sdp: true });
      const gatewayPorts = await generator.bound();
      const started = generator.started();
      const silent = config.codec === 'pcmu' ? { energyLevel: GATE_NEVER_OPENS } : {};
      generator.start(await joinBySdp(conference, config.codec, gatewayPorts, config.talkers, silent));
      await started;
    } else {
      await shard.request('createConference', {
        conferenceId: CONFERENCE_ID,
        settings: { rate: config.rate, interval: 20, energyLevel: 100, hangoverMs: 500, comfortNoiseDbfs: -60, digits: 'interpret', media: DEFAULT_MEDIA_SWITCHES },
      });
      const format = FORMATS[config.codec];
      // Opus: mono (the mix is mono), in-band FEC on, DTX off so every listener gets 50 packets/s.
      const codec: ShardRtpCodec = { name: config.codec, payloadType: format.payloadType, clockRate: format.clockRate, channels: 1 };
      const ports: number[] = [];
      for (let first = 1; first <= config.members; first += ADD_BATCH) {
        const batch: Array<Promise<{ leg: { localPort: number } }>> = [];
        for (let member = first; member < first + ADD_BATCH && member <= config.members; member++) {
          const talker = member <= config.talkers;
          // PCMU members who are not talking send a payload that decodes to noise (the native
          // generator's fixed bytes): a gate that never opens keeps them out of the mix, exactly
          // as silence would, with the same decode and energy scoring per packet.
          const settings = !talker && config.codec === 'pcmu' ? { energyLevel: GATE_NEVER_OPENS } : {};
          batch.push(
            shard.request('addMember', { conferenceId: CONFERENCE_ID, member, settings, leg: { kind: 'rtp', codec, symmetricLatching: true } }),
          );
        }
        for (const added of await Promise.all(batch)) ports.push(added.leg.localPort);
      }

      generator = new GeneratorProcess({
        codec: config.codec,
        talkers: config.talkers,
        members: config.members,
        targetPorts: ports,
        ...(config.onsets ? { onsets: config.onsets } : {}),
        ...(config.listenerLoop ? { listenerLoop: config.listenerLoop } : {}),
      });
      await generator.started();
    }
    const setupS = (performance.now() - setupStart) / 1000;
    await wait(config.warmupS * 1000);

    // --- the window ---
    const rejectedBefore = rejected;
    const genBefore = await generator.snapshot();
    await shard.request('resetLateness');
    const statsBefore = await shard.request<Stats>('stats');
    const threadsBefore = threadTimes();
    const pressureBefore = cpuPressureUs();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const windowStartWallMs = Date.now();
    const clocks: Clock[] = [];
    const windowEnd = wallBefore + config.durationS * 1000;
    while (performance.now() + CLOCK_SAMPLE_MS < windowEnd) {
      await wait(CLOCK_SAMPLE_MS);
      clocks.push(await shard.request<Clock>('conferenceClock', { conferenceId }));
    }
    await wait(Math.max(0, windowEnd - performance.now()));
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    const threads = threadTimesDelta(threadsBefore, threadTimes());
    const pressureAfter = cpuPressureUs();
    const statsAfter = await shard.request<Stats>('stats');
    const genAfter = await generator.snapshot();
    const rssMb = mb(process.memoryUsage.rss());
    const loadAverage = loadavg()[0];
    const rejectedInWindow = rejected - rejectedBefore;
    const onsets = config.onsets ? await onsetFigures(shard, conferenceId, config.talkers, generator) : {};
    await generator.stop();
    generator = undefined;
    await pool.close();

    // --- figures ---
    const windowS = wallMs / 1000;
    const pct = (ms: number): number => (ms / wallMs) * 100;
    const engineCpuPct = pct((cpu.user + cpu.system) / 1000);
    const mediaThreadCpuPct = pct(threads[MEDIA_THREAD]?.cpuMs ?? 0);
    const tickCpuPct = pct(statsAfter.tickCpuMs - statsBefore.tickCpuMs);
    const mediaThreadMsPerTick = (threads[MEDIA_THREAD]?.cpuMs ?? 0) / Math.max(1, statsAfter.ticks - statsBefore.ticks);
    const decodesPerTick = clocks.reduce((sum, c) => sum + c.decodesPerTick, 0) / Math.max(1, clocks.length);
    const encodesPerTick = clocks.reduce((sum, c) => sum + c.encodesPerTick, 0) / Math.max(1, clocks.length);
    const sheds = clocks.map((c) => c.complexityShed);
    const codecCosts = measureCodecCosts(config.codec, config.rate);
    const ticksPerSecond = (statsAfter.ticks - statsBefore.ticks) / windowS;
    const rx = rxFigures(config, genBefore, genAfter);
    const genWallMs = genAfter.atMs - genBefore.atMs;
    return {
      codec: config.codec,
      members: config.members,
      talkers: config.talkers,
      rate: config.rate,
      windowS,
      engineCpuPct,
      cpuPctPerParticipant: engineCpuPct / config.members,
      mediaThreadCpuPct,
      tickCpuPct,
      socketIoCpuPct: Math.max(0, mediaThreadCpuPct - tickCpuPct),
      otherThreadsCpuPct: Math.max(0, engineCpuPct - mediaThreadCpuPct),
      workerCpuPct: pct(threads[WORKER_THREAD]?.cpuMs ?? 0),
      complexityShed: sheds.length > 0 ? { min: Math.min(...sheds), max: Math.max(...sheds) } : { min: 0, max: 0 },
      mediaThreadMsPerTick: mediaThreadMsPerTick,
      membersPerMediaThreadProjected: ticksPerSecond >= KEPT_UP_TICKS_PER_SECOND && mediaThreadCpuPct > 0 ? Math.floor((config.members * 100) / mediaThreadCpuPct) : null,
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
      ticksInWindow: statsAfter.ticks - statsBefore.ticks,
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

/** With onsets: the traced members' logs, and each talker's jitter buffer target (members 1..talkers). */
async function onsetFigures(
  shard: ShardPool['shards'][number],
  conferenceId: string,
  talkers: number,
  generator: GeneratorProcess,
): Promise<Pick<RoomResult, 'traces' | 'jitterTargetsMs'>> {
  const jitterTargetsMs: number[] = [];
  for (let member = 1; member <= talkers; member++) {
    const stats = await shard.request<Record<string, number>>('memberStats', { conferenceId, member });
    if (typeof stats.jitterTargetMs === 'number') jitterTargetsMs.push(stats.jitterTargetMs);
  }
  return { traces: await generator.traces(), jitterTargetsMs };
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
