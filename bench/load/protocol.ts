// Messages between the benchmark's three processes: the runner, one engine process per room,
// and that room's generator process.
import type { LoadCodec, LoadRoom } from './options.ts';

/** What the generator process is told to do (its one command-line argument, as JSON). */
export interface GeneratorConfig {
  codec: LoadCodec;
  /** The first `talkers` members send a tone loop; the rest send the codec's fixed payload. */
  talkers: number;
  /** The engine's port of each member, in member order (empty with `sdp`: they come in a 'start'). */
  targetPorts: number[];
  /** Members in all (with `sdp`, before their ports are known). */
  members: number;
  /** Bind first and report the ports ('bound'); start sending on 'start', once each member joined by SDP. */
  sdp?: boolean;
  /** Opus non-talkers send encoded noise instead of DTX. */
  noisy?: boolean;
  /** Latency probes: talkers send these loops instead of tones, and they and the probes are traced. */
  onsets?: OnsetConfig;
  /** Non-talkers loop these payloads (hex) every 20 ms instead of the codec's fixed one. */
  listenerLoop?: string[];
  /** The last this many members press keys instead of talking: payloads.ts, DTMF_STREAM. */
  keyPressers?: number;
}

/** Onsets after silence for end-to-end latency: the generator logs each talker's send times and
 *  what the probes (listeners) receive, with the kernel's arrival times. */
export interface OnsetConfig {
  /** Talker i sends loops[i % loops.length] (RTP payloads, hex), looped from frame 0. */
  loops: string[][];
  /** Listeners to trace, as member indices (0-based, after the talkers). */
  probes: number[];
}

/** What a traced member sent and received (wall clock, ms), as it crosses IPC. */
export interface TraceRecord {
  /** Member index (0-based). */
  member: number;
  sendPackets: number[];
  sendTimesMs: number[];
  receiveTimesMs: number[];
  /** Each received datagram (RTP), hex. */
  receives: string[];
}

/** Counters of the generator process at one instant. */
export interface GeneratorSnapshot {
  /** process.hrtime of the reading, ms. */
  atMs: number;
  /** Whole-process CPU (all threads), ms. */
  cpuMs: number;
  /** The native generator thread's CPU, ms. */
  nativeCpuMs: number;
  /** Datagrams each member received from its leg, in member order (talkers first). */
  received: number[];
  /** Send rounds. */
  ticks: number;
  /** Datagrams the kernel took, and those it refused. */
  sent: number;
  sendFailed: number;
  /** Datagrams from a source that is no member's leg (e.g. RTCP from a leg's RTCP port). */
  strangers: number;
  /** Latest send round behind its deadline, ms. */
  latenessMaxMs: number;
  /** Resident set size, MB. */
  rssMb: number;
}

/** Runner or engine -> generator. */
export type ToGenerator =
  | { type: 'snapshot'; id: number }
  | { type: 'stop' }
  | { type: 'start'; targetPorts: number[] }
  | { type: 'traces'; id: number };

/** Generator -> engine. */
export type FromGenerator =
  /** With `sdp`: each member's local port, in member order (the address its offer names). */
  | { type: 'bound'; ports: number[] }
  | { type: 'started' }
  | { type: 'snapshot'; id: number; snapshot: GeneratorSnapshot }
  | { type: 'stopped'; snapshot: GeneratorSnapshot }
  | { type: 'traces'; id: number; traces: TraceRecord[] }
  | { type: 'error'; message: string };

/** What the runner tells an engine process (its one command-line argument, as JSON). */
export interface RoomConfig extends LoadRoom {
  durationS: number;
  warmupS: number;
  rate: number;
  /** The engine's RTP port range. */
  portMin: number;
  portMax: number;
  /** Members join by SDP offer/answer through the engine's API, as from a gateway. */
  sdp?: boolean;
  /** No members and no generator: the engine measured idle. */
  idle?: boolean;
  /** Latency probes (leg-spec rooms only): see OnsetConfig. */
  onsets?: OnsetConfig;
  /** Non-talkers loop these payloads (hex) every 20 ms instead of the codec's fixed one. */
  listenerLoop?: string[];
}

/** Measured cost of one codec operation on this machine, µs. */
export interface CodecCosts {
  /** One 20 ms payload decoded. */
  decodeUs: number;
  /** One 20 ms frame encoded. */
  encodeUs: number;
  /** One 20 ms frame resampled from the codec rate to the conference rate (0 when equal). */
  resampleInUs: number;
  /** ... and from the conference rate to the codec rate. */
  resampleOutUs: number;
}

/** One room's figures. */
export interface RoomResult {
  /** The worker pool's helper threads (Opus decodes and encodes, sends of big rooms), % of one core. */
  workerCpuPct: number;
  /** Steps the room's Opus encoders ran below their configured complexity over the window (load shedding). */
  complexityShed: { min: number; max: number };
  codec: LoadCodec;
  /** Members of each room, and talkers of each room. */
  members: number;
  talkers: number;
  /** Conferences (1 for the single-room run), and shards they were spread over. */
  rooms: number;
  shards: number;
  /** Members in all (rooms x members). */
  totalMembers: number;
  noisy: boolean;
  energyLevel: number;
  maxActiveTalkers: number | null;
  rate: number;
  windowS: number;
  /** The engine with its shards started and no conference, measured before the rooms were made:
   *  % of one core (all threads). */
  idleCpuPct: number;
  /** Its threads in that idle window, % of one core. */
  idleThreads: Record<string, number>;
  /** RSS growth from the idle engine to the end of the window, per member, bytes. */
  bytesPerMember: number | null;
  /** RSS of the idle engine (shards started), MB. */
  rssIdleMb: number;
  /** Media thread wake-ups per second over the window: for a deadline, and between deadlines. */
  wakesPerS: number;
  drainsPerS: number;
  /** Engine process CPU over the window, % of one core (all threads). */
  engineCpuPct: number;
  cpuPctPerParticipant: number;
  /** By thread: the native media thread, and inside it the ticks (decode, mix, encode). */
  mediaThreadCpuPct: number;
  tickCpuPct: number;
  /** The media thread outside ticks: socket receive and send, epoll, commands, events. */
  socketIoCpuPct: number;
  /** Everything else in the engine process (JS threads, GC, libuv). */
  otherThreadsCpuPct: number;
  /** Media thread CPU per tick run, ms (inflated when the clock fell behind: packets keep coming). */
  mediaThreadMsPerTick: number;
  /** Members one media thread could carry at this room's CPU per member; null when the clock fell behind. */
  membersPerMediaThreadProjected: number | null;
  /** Time the media thread was runnable but waiting for a core, % of the window. */
  mediaThreadWaitPct: number;
  /** Time some task on the machine waited for a core (PSI), % of the window; null without PSI. */
  cpuPressurePct: number | null;
  /** Every thread name of the engine process: % of a core on CPU and waiting for one. */
  threads: Record<string, { cpuPct: number; waitPct: number }>;
  /** Codec work per tick, averaged over samples taken in the window. */
  decodesPerTick: number;
  encodesPerTick: number;
  /** Estimated from codecCosts × per-tick counts, % of a core. */
  decodeCpuPctEstimate: number;
  encodeCpuPctEstimate: number;
  codecCosts: CodecCosts;
  /** Generator side, packets per second per member over the window: the least-served member
   *  (exact, counted per member) and the mean. */
  rxPpsPerParticipantMin: number;
  rxPpsPerParticipantMean: number;
  /** The least-served talker (null without talkers). */
  rxPpsTalkerMin: number | null;
  /** The least-served of the other members (null when everyone talks). */
  rxPpsListenerMin: number | null;
  /** Tick lateness of the shard's media thread over the window. */
  tickLatenessP50Ms: number;
  tickLatenessP99Ms: number;
  tickLatenessMaxMs: number;
  /** Its distribution: [fraction, ms] at fixed quantiles. */
  tickLatenessCdf?: Array<[number, number]>;
  /** Ticks that ran late by more than an interval or worked longer than one, in the window. */
  overrunsInWindow: number;
  ticksInWindow: number;
  rssMb: number;
  rssBaselineMb: number;
  /** Talking-start events (each talker once) and packets the engine rejected in the window. */
  talkingStarts: number;
  rejectedInWindow: number;
  /** Generator process CPU over the window, % of one core; its native thread's part. */
  generatorCpuPct: number;
  generatorNativeCpuPct: number;
  generatorSendFailed: number;
  /** Datagrams the generator got from sources that are no member's leg, over the run. */
  generatorStrangers: number;
  generatorLatenessMaxMs: number;
  /** Load average (1 min) at the end of the window: other work on the machine. */
  loadAverage: number;
  setupS: number;
  /** With onsets: the traced members' logs over the window, and the talkers' jitter buffer targets, sampled every 250 ms over it. */
  traces?: TraceRecord[];
  jitterTargets?: JitterTargetSample[];
  /** With onsets: the window's start, wall clock ms (the traces' clock). */
  windowStartWallMs?: number;
}

/** The talkers' jitter buffer targets at one moment. */
export interface JitterTargetSample {
  /** When, wall clock ms (the traces' clock). */
  atWallMs: number;
  /** Talker k's target (member k + 1), ms; null before its first RTCP snapshot. */
  targetsMs: Array<number | null>;
}

/** Engine process -> runner. */
export type FromRoom = { type: 'result'; result: RoomResult } | { type: 'error'; message: string };
