// Typed view of the addon's native media thread: a precise clock, plain-RTP UDP sockets with
// latching and inactivity timeouts, and queues for legs fed from JavaScript.
import { addon } from './addon.ts';
import type { LegStats } from '../mediaTypes.ts';

export type { LegStats };

/** Options of a media thread. */
export interface MediaThreadOptions {
  /** First local port legs may bind (default 16384). */
  portMin?: number;
  /** Last local port legs may bind (default 32767). */
  portMax?: number;
  /** Hand out even ports only, RTCP being the odd one above (default true). */
  evenPorts?: boolean;
  /** Wake cadence while no job is clocked, in ms (default 20). */
  idleWakeMs?: number;
  /** SCHED_FIFO priority of the media thread where permitted (1..99; 0: an ordinary thread). Default 10. */
  realtimePriority?: number;
  /** At most one 'dropped' event per leg and reason per this many ms (default 1000). */
  dropReportIntervalMs?: number;
  /** Receives the thread's events, at most once per tick. */
  onEvents: (events: MediaEvent[]) => void;
}

/** How a leg is opened. */
export interface OpenLegOptions {
  /** 'udp' (default): a socket owned by the media thread; 'js': packets pushed from JavaScript. */
  transport?: 'udp' | 'js';
  /** Bind an IPv6 socket (default: the remote's family, else IPv4). */
  ipv6?: boolean;
  /** Numeric local address to bind (default: the wildcard). */
  localAddress?: string;
  /** Where to send, and the only source accepted until latching learns another. */
  remoteAddress?: string;
  /** The remote's port. */
  remotePort?: number;
  /** Learn the remote from the first valid packet (symmetric RTP). */
  symmetricLatching?: boolean;
  /** Raise 'timeout' after this long without a valid packet; 0 = never (default 30000). */
  timeoutMs?: number;
  /** Also hold port + 1 for RTCP. */
  reserveRtcp?: boolean;
}

/** A leg just opened. */
export interface OpenedLeg {
  legId: number;
  /** The local UDP port, or null for a leg fed from JavaScript. */
  port: number | null;
}

/** Options of the test-only relay job. */
export interface RelayJobOptions {
  /** 10, 20 (default), 40 or 60. */
  intervalMs?: number;
  /** Leg whose RTP-shaped packets are forwarded. */
  fromLeg: number;
  /** Leg they are sent from. */
  toLeg: number;
}

/** Options of the test-only counter job. */
export interface CounterJobOptions {
  /** 10, 20 (default), 40 or 60. */
  intervalMs?: number;
  /** Every stallEveryTicks-th tick takes this long (0..1000 ms), making the next ticks late. */
  stallMs?: number;
  /** How often to stall (0 = never). */
  stallEveryTicks?: number;
}

/** Why a leg dropped packets. */
export type DropReason = 'stranger' | 'invalid' | 'overflow' | 'no-remote' | 'send-failed';

/** What the media thread reports. */
export type MediaEvent =
  | { type: 'timeout'; legId: number; reason: 'rtp-timeout'; timeoutMs: number }
  | { type: 'latched'; legId: number; address: string; port: number }
  | { type: 'dropped'; legId: number; reason: DropReason; count: number; total: number; address?: string; port?: number }
  | { type: 'leg-closed'; legId: number; port: number }
  | { type: 'job-removed'; jobId: number; ticks: number }
  | { type: 'outgoing'; packets: number }
  | { type: 'events-lost'; count: number }
  | { type: 'job'; jobId: number; code: number; count: number; total: number };

/** Counters of one job. */
export interface JobStats {
  jobId: number;
  intervalMs: number;
  ticks: number;
}

/** Counters of the thread. */
export interface MediaThreadStats {
  running: boolean;
  /** Wake-ups for a deadline (ticks, or the idle check while legs are open and no job runs). */
  wakes: number;
  /** Wake-ups between deadlines: a drain slice, a command, a pushed packet. */
  drains: number;
  ticks: number;
  overruns: number;
  lateness: { p50Ms: number; p99Ms: number; maxMs: number };
  tickCpuMs: number;
  tickCpuUsPerTick: number;
  threadCpuMs: number;
  eventsLost: number;
  /** Busy share of the media thread's wall time over its last ~1 s window (0..1). */
  load: number;
  /** The thread runs under real-time (SCHED_FIFO) scheduling. */
  realtime: boolean;
  jobs: JobStats[];
  legs: LegStats[];
}

/** One datagram for a leg fed from JavaScript. */
export interface OutgoingPacket {
  legId: number;
  packet: Uint8Array;
}

/** The native media thread. Methods throw Error with `code` (ERR_INVALID_ARGUMENT,
 *  ERR_NOT_FOUND, ERR_PORTS_EXHAUSTED, ERR_INVALID_STATE, ERR_SYSTEM). */
export interface MediaThread {
  /** Starts the thread. */
  start(): void;
  /** Stops and joins the thread, closing every socket; final. */
  stop(): void;
  /** Opens a leg; its port is bound on return. */
  openLeg(options?: OpenLegOptions): OpenedLeg;
  /** Closes a leg; its port is free once 'leg-closed' arrives. */
  closeLeg(legId: number): void;
  /** Sets a leg's remote (with latching on, the first valid packet learns it again). */
  setRemote(legId: number, address: string, port: number): void;
  /** Turns symmetric latching on (forgetting the latched remote) or off. */
  setLatching(legId: number, symmetricLatching: boolean): void;
  /** Sets the inactivity timeout in ms (0 = never), restarting its count. */
  setTimeout(legId: number, timeoutMs: number): void;
  /** Test-only: forwards each tick what fromLeg received (RTP v2, >= 12 bytes) to toLeg. */
  addRelayJob(options: RelayJobOptions): number;
  /** Test-only: a job that only counts its ticks (and may stall, to test catching up). */
  addCounterJob(options?: CounterJobOptions): number;
  /** Removes a job; 'job-removed' follows. */
  removeJob(jobId: number): void;
  /** A snapshot of the counters. */
  stats(): MediaThreadStats;
  /** Feeds one RTP packet to a 'js' leg; false when its queue is full (dropped, counted). */
  pushPacket(legId: number, packet: Uint8Array): boolean;
  /** Takes the datagrams queued for 'js' legs since the last call. */
  takeOutgoing(): OutgoingPacket[];
}

/** Constructs a media thread (not started). */
export interface MediaThreadConstructor {
  new (options: MediaThreadOptions): MediaThread;
}

function exported<T>(name: string): T {
  const value = addon[name];
  if (typeof value !== 'function') throw new Error(`the confmix addon has no ${name}`);
  return value as T;
}

/** The native media thread class. */
export const MediaThread: MediaThreadConstructor = exported<MediaThreadConstructor>('MediaThread');

/** A run of consecutive members of a load generator sending the same kind of packets. */
export interface LoadStreamOptions {
  /** Members in this stream (1..20000); streams follow one another in member order. */
  members: number;
  /** RTP payload type (default 0). */
  payloadType?: number;
  /** RTP clock rate, Hz (default 8000): the timestamp steps clockRate * intervalMs / 1000. */
  clockRate?: number;
  /** One packet per member per interval: a multiple of the generator's tickMs (default tickMs).
   *  Members of a slower stream are spread over its ticks (member j sends when round % m == j % m). */
  intervalMs?: number;
  /** The payload loop: a member's k-th packet carries frames[(firstFrame + k) % frames.length]. */
  frames: Uint8Array[];
  /** Where in the loop each member of this stream starts (default 0). */
  firstFrame?: number;
  /** Log each member's send times and received datagrams (at most 16 traced members in all): see trace(). */
  traced?: boolean;
}

/** What a traced member sent and received (wall clock, ms; the kernel's arrival times). */
export interface LoadTrace {
  /** Each sent packet's number in the member's stream (its sequence's low 16 bits) ... */
  sendPackets: Float64Array;
  /** ... and the time just before the sendmmsg call that took it. */
  sendTimesMs: Float64Array;
  /** Each datagram received from the member's leg: its arrival time and its bytes (RTP). */
  receiveTimesMs: Float64Array;
  receives: Uint8Array[];
}

/** Options of a load generator. */
export interface LoadGeneratorOptions {
  /** The members, stream by stream (1..20000 in all). */
  streams: LoadStreamOptions[];
  /** Shared UDP sockets (1..256, at most the members; default one per 100 members): member i
   *  sends from socket i % sockets. */
  sockets?: number;
  /** Numeric address the sockets bind (default 127.0.0.1; ports are chosen by the kernel). */
  localAddress?: string;
  /** One send round per tick: 10, 20 (default), 40 or 60 ms. */
  tickMs?: number;
  /** Send rounds, then stop sending (default 0: until stop()). */
  rounds?: number;
  /** After the last round, keep counting arrivals this long (default 500 ms). */
  drainMs?: number;
  /** SCHED_FIFO priority of the clock thread where permitted (1..99; default 0: an ordinary thread). */
  realtimePriority?: number;
  /** Called once sending and draining are over (only with `rounds`). */
  onDone?: (stats: LoadGeneratorStats) => void;
}

/** What a load generator has done. */
export interface LoadGeneratorStats {
  running: boolean;
  members: number;
  /** Shared sockets. */
  sockets: number;
  /** Send rounds. */
  ticks: number;
  /** Datagrams the kernel took. */
  sent: number;
  /** Datagrams the kernel refused. */
  sendFailed: number;
  /** sendmmsg calls that took only part of their batch. */
  partialSends: number;
  /** Datagrams received from members' targets, all members. */
  received: number;
  /** Datagrams received by the member that received least. */
  minReceived: number;
  /** Datagrams from a source no member sends to. */
  strangers: number;
  /** First round's deadline to one tick after the last round. */
  elapsedMs: number;
  minPacketsPerSecond: number;
  avgPacketsPerSecond: number;
  /** CPU time of the generator's thread. */
  cpuMs: number;
  latenessMaxMs: number;
  /** The clock thread runs under SCHED_FIFO. */
  realtime: boolean;
  /** Receive and send buffer the kernel granted each socket (its doubled figure). */
  receiveBufferBytes: number;
  sendBufferBytes: number;
}

/** Simulated RTP members on a few shared UDP sockets and one native clock thread: each round
 *  sends every due member's packet (sendmmsg), and counts what comes back per member by source. */
export interface LoadGenerator {
  /** Local port each member sends from, in member order (members of one socket share it). */
  ports(): number[];
  /** Starts sending: member i sends to targets[i] (one per member); datagrams from targets[i]
   *  count for member i (the lowest such member of a socket when several share a target). */
  start(targets: Array<{ address: string; port: number }>): void;
  /** Stops the clock thread (idempotent). */
  stop(): void;
  /** Counters so far. */
  stats(): LoadGeneratorStats;
  /** Datagrams each member received from its target, members first..first+count-1 (default: all). */
  received(first?: number, count?: number): Float64Array;
  /** Datagrams of each member the kernel took, members first..first+count-1 (default: all). */
  sent(first?: number, count?: number): Float64Array;
  /** What a member of a traced stream has sent and received so far (empty lists for others). */
  trace(member: number): LoadTrace;
}

/** Constructs a load generator (sockets bound, not sending). */
export interface LoadGeneratorConstructor {
  new (options: LoadGeneratorOptions): LoadGenerator;
}

/** The native load generator class. */
export const LoadGenerator: LoadGeneratorConstructor = exported<LoadGeneratorConstructor>('LoadGenerator');
