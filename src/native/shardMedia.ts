// Typed view of the addon's ShardMedia: a shard's native media thread and its conferences.
import { addon } from './addon.ts';
import { toConfmixError } from '../errors.ts';
import type { NativeMemberSettings, NativeMixerEvent, NativeRelationship } from './mixer.ts';
import type { LegStats, NativeMediaConferenceOptions, ReceiveOptions, RtpCodecOptions, SendOptions } from './mediaTypes.ts';

/** How a member's media reaches the media thread. */
export type ShardMediaLeg =
  | { kind: 'none' }
  | { kind: 'app' }
  | {
      kind: 'rtp';
      receive?: ReceiveOptions;
      send?: SendOptions;
      remoteAddress?: string;
      remotePort?: number;
      symmetricLatching?: boolean;
      timeoutMs?: number;
      ipv6?: boolean;
      localAddress?: string;
      /**
       * RTCP on the RTP port (RFC 5761), as WebRTC does; false opens a second leg for it. Absent:
       * multiplexed, but our reports start only once the peer's RTCP has arrived on the RTP port
       * (a peer that did not negotiate rtcp-mux must not get RTCP there); true: from the start.
       */
      rtcpMux?: boolean;
      /** Without rtcp-mux: the peer's RTCP port (default remotePort + 1). */
      remoteRtcpPort?: number;
      /** Nominal RTCP report interval, 100..600000 ms (default 5000), randomised to [0.5, 1.5] of itself. */
      rtcpIntervalMs?: number;
    }
  | {
      /**
       * RTP that this thread pushes in (pushPacket) and takes out (takeOutgoing), e.g. after SRTP
       * decryption and before encryption by a WebRTC transport. RTCP is always multiplexed.
       */
      kind: 'external';
      receive?: ReceiveOptions;
      send?: RtpCodecOptions;
      /** No packet pushed for this long raises a timeout event; 0 = never (default 30000). */
      timeoutMs?: number;
      /** Nominal RTCP report interval, 100..600000 ms (default 5000). */
      rtcpIntervalMs?: number;
    };

/** What addMember says about the leg it opened. */
export interface ShardMediaLegInfo {
  /** The RTP leg's id (RTP legs only). */
  legId?: number;
  /** Its local UDP port. */
  port?: number;
  /** The separate RTCP leg's local port, when rtcpMux is false (for SDP's a=rtcp). It is any free
   *  port of the range, not necessarily port + 1. */
  rtcpPort?: number;
}

/** An RTP leg update; absent fields are unchanged. */
export interface ShardMediaLegUpdate {
  remoteAddress?: string;
  remotePort?: number;
  receive?: ReceiveOptions;
  send?: RtpCodecOptions;
  symmetricLatching?: boolean;
  /** Switches rtcp-mux on (closing the RTCP leg) or off (opening one). */
  rtcpMux?: boolean;
  /** Without rtcp-mux: the peer's RTCP port (default remotePort + 1). */
  remoteRtcpPort?: number;
}

/** A media-thread event about a leg. */
export type ShardMediaLegEvent =
  | { type: 'timeout'; leg: number; reason: string }
  | { type: 'latched'; leg: number; address: string; port: number }
  | { type: 'dropped'; leg: number; reason: string; count: number; total: number }
  | { type: 'leg-closed'; leg: number }
  | { type: 'job-removed'; leg: number }
  | { type: 'events-lost'; leg: number; count: number }
  /** The member's peer sent an RTCP BYE for its stream; `reason` is its text ('' when none). */
  | { type: 'rtcp-bye'; leg: number; conference: number; member: number; reason: string };

/**
 * A call that had succeeded failed later, when the media thread applied it: a member's add or
 * codec change (the member has no working media), or a playback's start (it never plays).
 */
export interface ShardMediaCommandFailure {
  type: 'command-failed';
  conference: number;
  /** The member it was about (for a conference-wide playback, 0). */
  member: number;
  /** Set when it was a playback's start. */
  playback?: number;
  /** A stable error code, e.g. 'ERR_INVALID_ARGUMENT'. */
  code: string;
  message: string;
}

/** One file of a recording: the mix (as a listener hearing everyone), what a member hears, or what it says. */
export type NativeRecordingTrack = { source: 'mix'; path: string } | { source: 'hears' | 'says'; member: number; path: string };

/** A recording as the native core starts it (every track from the same ticks). */
export interface NativeRecordingSpec {
  /** 'wav' (PCM 16-bit mono at the conference rate) or 'ogg-opus' (libopusenc). */
  format: 'wav' | 'ogg-opus';
  /** Ogg Opus bitrate, bit/s (6000..510000); libopus's choice when absent. */
  opusBitrate?: number;
  /** How far the disk may fall behind the tick, ms (200..60000, default 2000). */
  bufferMs?: number;
  tracks: NativeRecordingTrack[];
}

/** A member's voice processing (speexdsp): noise suppression and AGC, each on unless false. */
export interface NativeVoiceOptions {
  noiseSuppression?: boolean;
  /** Most attenuation of noise, -60..-1 dB (default -15). */
  noiseSuppressionDb?: number;
  agc?: boolean;
  /** RMS level the AGC steers speech toward, -40..-3 dBFS (default -18). */
  agcTargetDbfs?: number;
}

/** A recording's event (see core/record): started, done or failed with what it wrote. */
export interface ShardMediaRecordingEvent {
  type: 'recording';
  conference: number;
  recording: number;
  status: 'started' | 'done' | 'failed';
  reason?: string;
  message?: string;
  frames?: number;
  durationMs?: number;
  trackBytes?: number[];
}

/** Anything drain() reports besides mixer events and frames. */
export type ShardMediaEvent = ShardMediaLegEvent | ShardMediaCommandFailure | ShardMediaRecordingEvent;

/** The datagrams external legs have to send: (conference, member, offset, size) quadruples into `bytes`. */
export interface ShardMediaOutgoing {
  bytes: Uint8Array;
  index: Uint32Array;
}

/** What drain() returns: mixer events by conference, app frames, leg events. */
export interface ShardMediaDrain {
  events: Array<NativeMixerEvent & { conference: number }>;
  frames: Int16Array;
  /** (conference, member, offset, samples) quadruples into `frames`. */
  frameIndex: Uint32Array;
  media: ShardMediaEvent[];
}

/** How a shard's media thread starts. */
export interface ShardMediaOptions {
  /** RTP port range, inclusive. */
  portMin?: number;
  portMax?: number;
  /** SCHED_FIFO priority of the media thread where permitted (1..99; 0: an ordinary thread). Default 10. */
  realtimePriority?: number;
  /** Called (on the media thread's notifier) when events are waiting. */
  onNotify: () => void;
}

/** A media thread's tick lateness (tick start minus its deadline) since the last reset. */
export interface TickLateness {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** [fraction, ms] at fixed quantiles, for plots. */
  cdf: Array<[number, number]>;
  /** [upper edge ms, ticks less late than that]: cumulative, as a Prometheus histogram's buckets. */
  buckets: Array<[number, number]>;
  /** Ticks recorded, and their lateness summed. */
  count: number;
  sumMs: number;
}

/** A lateness distribution in brief: median, 99th percentile, maximum, and the ticks counted. */
export interface LatenessFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

/** The media thread's counters. */
export interface ShardMediaStats {
  ticks: number;
  /** Media thread wake-ups for a deadline, and between deadlines (drain slices, commands). */
  wakes: number;
  drains: number;
  overruns: number;
  tickCpuMs: number;
  threadCpuMs: number;
  /** Busy share of the media thread's wall time over its last ~1 s window (0..1). */
  load: number;
  /** The media thread runs under real-time (SCHED_FIFO) scheduling. */
  realtime: boolean;
  conferences: number;
  members: number;
  encodesPerTick: number;
  decodesPerTick: number;
  /** Each conference's clock: ticks run and the deadline of the last one (monotonic ms). */
  perConference: Array<{
    handle: number;
    ticks: number;
    lastDeadlineMs: number;
    encodesPerTick: number;
    decodesPerTick: number;
    /** Steps subtracted from each encoder's configured complexity as of the last tick (0: full quality). */
    complexityShed: number;
  }>;
}

/** One leg's counters, as the media thread keeps them: a socket leg's share of its LegStats. */
export type ShardMediaLegCounters = Pick<
  LegStats,
  'legId' | 'packetsIn' | 'bytesIn' | 'packetsOut' | 'bytesOut' | 'droppedStranger' | 'droppedInvalid' | 'latched' | 'connected' | 'timedOut'
> & {
  /** The leg's UDP port. */
  port: number;
};

/** A member's RTCP figures (RFC 3550), as of the media thread's last snapshot: after each report
 *  sent or received, and at least once a second. Arrival times of plain RTP legs are the kernel's
 *  stamps; those of pushed (WebRTC) packets are the media thread's wake on the push. */
export interface ShardMemberRtcpStats {
  /** The SSRC of our stream (and our reports). */
  localSsrc: number;
  /** The peer's stream, once an RTP packet arrived. */
  remoteSsrc: number | null;
  /** RTP packets of the peer's stream received (duplicates included). */
  packetsReceived: number;
  /** Their payload bytes. */
  bytesReceived: number;
  /** RTP packets we sent. */
  packetsSent: number;
  /** Their payload bytes. */
  bytesSent: number;
  /** Loss of the peer's stream in our last report's interval, 0..1 (in 1/256 steps). */
  fractionLost: number;
  /** Expected minus received of the peer's stream so far. */
  cumulativeLost: number;
  /** Wrap cycles << 16 | highest sequence received. */
  extendedHighestSequence: number;
  /** Interarrival jitter of the peer's stream, its RTP clock units. */
  jitter: number;
  /** The same in ms. */
  jitterMs: number;
  /** Round trip from the peer's last report on our stream (A - LSR - DLSR), ms; null until known. */
  rttMs: number | null;
  /** The peer's loss of our stream in its last interval, 0..1; null until it reports. */
  remoteFractionLost: number | null;
  /** The peer's cumulative loss of our stream; null until it reports. */
  remoteCumulativeLost: number | null;
  /** The jitter the peer measured on our stream, ms; null until it reports. */
  remoteJitterMs: number | null;
  /** The peer's SR packet count; null until it sends an SR. */
  peerPacketsSent: number | null;
  /** The peer's SR octet count; null until it sends an SR. */
  peerOctetsSent: number | null;
  /** Compound reports we sent. */
  reportsSent: number;
  /** SR and RR packets received from the peer. */
  reportsReceived: number;
  /** Well-formed RTCP datagrams received. */
  rtcpReceived: number;
  /** RTCP datagrams rejected as malformed (and otherwise ignored). */
  rtcpMalformed: number;
  /** Why the last malformed one was rejected (e.g. 'bad-length'); absent when none was. */
  lastMalformedReason?: string;
  /** The peer sent a BYE. */
  bye: boolean;
  /** Its reason text ('' when none); null without a BYE. */
  byeReason: string | null;
}

/** What memberStats returns for one member. */
export interface ShardMemberStats {
  /** The RTP leg's id; null for members without one. */
  legId: number | null;
  /** Its local port; null without a leg. */
  port: number | null;
  /** The separate RTCP leg's local port; null with rtcp-mux. */
  rtcpPort: number | null;
  /** The RTP leg's counters (datagrams, RTCP included); null without a leg. */
  leg: ShardMediaLegCounters | null;
  /** The RTCP leg's counters; null with rtcp-mux. */
  rtcpLeg: ShardMediaLegCounters | null;
  /** RTCP figures; null without an RTP leg or before the first snapshot. */
  rtcp: ShardMemberRtcpStats | null;
  /** The jitter buffer's target delay, ms, as of that snapshot; null before it. */
  jitterTargetMs: number | null;
}

interface RawShardMedia {
  start(): void;
  stop(): void;
  createConference(handle: number, options: NativeMediaConferenceOptions): void;
  destroyConference(handle: number): void;
  setConference(handle: number, settings: { mute?: boolean; hold?: boolean }): void;
  addMember(handle: number, member: number, settings: NativeMemberSettings, leg: ShardMediaLeg): ShardMediaLegInfo;
  removeMember(handle: number, member: number): void;
  setMember(handle: number, member: number, settings: NativeMemberSettings): void;
  updateLeg(handle: number, member: number, update: ShardMediaLegUpdate): { rtcpPort?: number };
  pushPcm(handle: number, member: number, pcm: Int16Array): void;
  /** One datagram from an external member's peer; false when its leg's queue was full (dropped). */
  pushPacket(handle: number, member: number, packet: Uint8Array): boolean;
  /**
   * Many datagrams of external members' peers in one call: `index` holds (conference, member,
   * offset, size) quadruples into `bytes`, as takeOutgoing gives them. Returns how many were
   * queued (a full queue or a member gone drops the rest); a quadruple outside `bytes` throws,
   * queueing none.
   */
  pushPackets(index: Uint32Array, bytes: Uint8Array): number;
  /** Takes the datagrams queued for external legs since the last call. */
  takeOutgoing(): ShardMediaOutgoing;
  startPlayback(handle: number, playback: number, pcm: Int16Array, options: { loop?: boolean; member?: number }): void;
  stopPlayback(handle: number, playback: number): void;
  /** Starts a recording (tracks of the mix or of members), written by its own native thread. */
  startRecording(handle: number, recording: number, spec: NativeRecordingSpec): void;
  /** Stops a recording; its done event follows once its frames are written. */
  stopRecording(handle: number, recording: number): void;
  /** Turns a member's voice processing on (options) or off (null). */
  setVoice(handle: number, member: number, voice: NativeVoiceOptions | null): void;
  pressKey(handle: number, member: number, key: string): void;
  relate(handle: number, member: number, other: number, relationship: NativeRelationship): void;
  drain(): ShardMediaDrain;
  stats(): ShardMediaStats;
  /** Every open leg's counters. */
  legStats(): ShardMediaLegCounters[];
  /** One member's leg counters and RTCP figures. */
  memberStats(handle: number, member: number): ShardMemberStats;
  /** Starts the lateness percentiles afresh (after a warm-up). */
  resetLateness(): void;
  /** Tick lateness since the last reset (read apart from stats(): it walks the histogram). */
  lateness(): TickLateness;
  /** One conference's own lateness since the last reset: its ticks' start, and the flush of its
   *  datagrams (after every tick due in the same wake), each minus the tick's deadline. */
  conferenceLateness(handle: number): { tick: TickLateness; flush: TickLateness };
}

const Raw = (addon as { ShardMedia: new (options: ShardMediaOptions) => RawShardMedia }).ShardMedia;

/** Wraps every method so native errors surface as typed ConfmixErrors. */
function typed<T extends object>(raw: T): T {
  return new Proxy(raw, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw toConfmixError(error);
        }
      };
    },
  });
}

/** Creates a shard's media plane; `onNotify` fires (on this thread) when drain() has news. */
export function createShardMedia(options: ShardMediaOptions): RawShardMedia {
  try {
    return typed(new Raw(options));
  } catch (error) {
    throw toConfmixError(error);
  }
}

export type ShardMedia = RawShardMedia;
