// The requests a shard answers about its conferences, and the events it pushes up.
// The main thread (engine) owns ids, seeds semantics and callbacks; a shard owns media.
import type { MessagePort } from 'node:worker_threads';

/** How a conference's media thread spends its CPU; each switch is on unless turned off. */
export interface ShardMediaSwitches {
  /** Shed Opus encoder complexity while the media thread is loaded. */
  adaptiveComplexity: boolean;
  /** Spread a tick's Opus decodes and encodes (and a big room's decodes) over the worker pool. */
  parallelCodecs: boolean;
  /** Skip decoding Opus frames the sender's VAD marks unvoiced while the member's gate is closed. */
  skipUnvoiced: boolean;
  /** Most members mixed in one tick, the loudest whose gate passes (with hysteresis), 0..64; 0: no cap. */
  maxActiveTalkers: number;
}

/** Largest maxActiveTalkers accepted. */
export const MAX_ACTIVE_TALKERS_LIMIT = 64;

/** Every switch on, and four active talkers: what a conference gets unless it says otherwise. */
export const DEFAULT_MEDIA_SWITCHES: Readonly<ShardMediaSwitches> = { adaptiveComplexity: true, parallelCodecs: true, skipUnvoiced: true, maxActiveTalkers: 4 };

/** Mixer settings of a conference, as the shard's native core takes them. */
export interface ShardConferenceSettings {
  /** Conference sample rate, Hz: 8000, 16000, 24000, 32000 or 48000. */
  rate: number;
  /** Tick interval, ms: 10, 20, 40 or 60. */
  interval: number;
  /** Members' default gate threshold, 0..32767 (0: gate off). */
  energyLevel: number;
  /** Gate hangover, ms. */
  hangoverMs: number;
  /** Comfort noise level in dBFS RMS, or null for none. */
  comfortNoiseDbfs: number | null;
  /** DTMF handling. */
  digits: 'interpret' | 'passthru';
  /** The media thread's CPU switches. */
  media: ShardMediaSwitches;
}

/** A member's mixer flags and levels; absent fields are left unchanged. */
export interface ShardMemberSettings {
  mute?: boolean;
  deaf?: boolean;
  hold?: boolean;
  /** -4..4 */
  talkLevel?: number;
  /** -4..4 */
  listenLevel?: number;
  /** 0..32767 */
  energyLevel?: number;
}

/** The codec of a plain RTP leg. */
export interface ShardRtpCodec {
  name: 'pcmu' | 'pcma' | 'l16' | 'opus';
  payloadType: number;
  clockRate: number;
  channels: number;
  /** Opus: in-band FEC is decoded and sent. */
  fec?: boolean;
  /** Opus: the encoder may send DTX. */
  dtx?: boolean;
  /** Opus bits/s (0: confmix's default for the conference rate). */
  bitrate?: number;
  /** Opus: the peer's maxaveragebitrate, which caps that default (bits/s). */
  maxBitrate?: number;
}

/** How a member's media reaches the shard. */
export type ShardLegSpec =
  | {
      /** PCM frames to and from the app over a MessagePort: `{pcm: Int16Array}` each way. */
      kind: 'app';
      /** The app's sample rate (8000..48000 of the supported set). */
      rate: number;
      /** The shard's end of the channel; transferred with the request. */
      port: MessagePort;
    }
  | {
      /** A native UDP socket owned by the shard's media thread. */
      kind: 'rtp';
      codec: ShardRtpCodec;
      /** RFC 4733 payload type, if negotiated. */
      telephoneEventPayloadType?: number;
      /** RFC 6464 ssrc-audio-level header extension id (1..255), if negotiated. */
      audioLevelExtensionId?: number;
      /** The peer; absent until known (with symmetric latching it is learned). */
      remoteAddress?: string;
      remotePort?: number;
      /** Learn the peer from its first valid packet (NAT). */
      symmetricLatching?: boolean;
      /** Inactivity timeout, ms (default 30000). */
      timeoutMs?: number;
      /** Bind IPv6 instead of IPv4. */
      ipv6?: boolean;
      /** Packet duration, ms (default: the conference interval). */
      ptimeMs?: number;
      /** RTCP on the RTP port (RFC 5761): true as negotiated; false asks for a separate RTCP socket; absent: on the RTP port once the peer's RTCP shows up there. */
      rtcpMux?: boolean;
      /** Without rtcp-mux: the peer's RTCP port (SDP a=rtcp; default remotePort + 1). */
      remoteRtcpPort?: number;
    }
  | { /** A member with no media (control only). */ kind: 'none' };

/** What a shard says about a leg it opened. */
export type ShardLegInfo =
  | { kind: 'app' }
  | { kind: 'rtp'; localAddress: string; localPort: number; /** The separate RTCP socket's port, when RTCP is not on the RTP port. */ rtcpPort?: number }
  | { kind: 'none' };

/** Request methods, their parameters and results. */
export interface ShardConferenceRequests {
  createConference: { params: { conferenceId: string; settings: ShardConferenceSettings }; result: Record<string, never> };
  destroyConference: { params: { conferenceId: string }; result: Record<string, never> };
  updateConference: { params: { conferenceId: string; mute?: boolean; hold?: boolean }; result: Record<string, never> };
  addMember: {
    params: { conferenceId: string; member: number; settings: ShardMemberSettings; leg: ShardLegSpec };
    result: { leg: ShardLegInfo };
  };
  removeMember: { params: { conferenceId: string; member: number }; result: Record<string, never> };
  updateMember: { params: { conferenceId: string; member: number; settings: ShardMemberSettings }; result: Record<string, never> };
  /** Updates an RTP leg's peer or codec (re-INVITE, re-offer). */
  updateLeg: {
    params: { conferenceId: string; member: number; remoteAddress?: string; remotePort?: number; codec?: ShardRtpCodec; telephoneEventPayloadType?: number };
    result: Record<string, never>;
  };
  /** Plays mono PCM at the conference rate to everyone, or to one member (heard even when held). */
  startPlayback: {
    params: { conferenceId: string; playback: number; pcm: Int16Array; loop: boolean; member?: number };
    result: Record<string, never>;
  };
  stopPlayback: { params: { conferenceId: string; playback: number }; result: Record<string, never> };
  /** A DTMF key from the control plane (e.g. SIP INFO), handled like an RFC 4733 one. */
  pressKey: { params: { conferenceId: string; member: number; key: string }; result: Record<string, never> };
  /** Relates two members: 'deaf' (member stops hearing other), 'mute' (other stops hearing member), 'clear'. */
  relate: { params: { conferenceId: string; member: number; other: number; relationship: 'deaf' | 'mute' | 'clear' }; result: Record<string, never> };
  /** Live mixer state of one member. */
  getMember: {
    params: { conferenceId: string; member: number };
    result: { talking: boolean; energy: number; mute: boolean; deaf: boolean; hold: boolean; talkLevel: number; listenLevel: number; energyLevel: number };
  };
  /** Per-leg media statistics. */
  memberStats: { params: { conferenceId: string; member: number }; result: Record<string, number> };
  /** One conference's clock: ticks run and the deadline of the last (monotonic ms). */
  conferenceClock: {
    params: { conferenceId: string };
    /**
     * complexityShed: steps the conference's Opus encoders run below their configured complexity
     * (load shedding); media: the switches the conference was created with.
     */
    result: { ticks: number; lastDeadlineMs: number; encodesPerTick: number; decodesPerTick: number; complexityShed: number; media: ShardMediaSwitches };
  };
  /** Starts the media thread's lateness percentiles afresh (benchmarks, after a warm-up). */
  resetLateness: { params: Record<string, never>; result: Record<string, never> };
  /** The shard's media-thread statistics. */
  stats: {
    params: Record<string, never>;
    result: {
      ticks: number;
      /** Media thread wake-ups for a deadline, and between deadlines (drain slices, commands). */
      wakes: number;
      drains: number;
      lateness: { p50Ms: number; p99Ms: number; maxMs: number; cdf?: Array<[number, number]> };
      tickCpuMs: number;
      overruns: number;
      conferences: number;
      members: number;
      /** The media thread's busy share of wall time over its last ~1 s window (0..1). */
      load: number;
      /** The media thread runs under real-time (SCHED_FIFO) scheduling. */
      realtime: boolean;
      /** When these counters were read, on the process-wide monotonic clock (ms). */
      monotonicMs: number;
    };
  };
}

/** Events a shard pushes about its conferences (each also carries `conferenceId`). */
export type ShardConferenceEvent =
  | { type: 'talking'; conferenceId: string; member: number; status: 'start' | 'stop'; energy: number }
  | { type: 'dtmf'; conferenceId: string; member: number; key: string; action: string }
  | { type: 'changed'; conferenceId: string; member: number; field: string; value: number | boolean }
  | { type: 'leave'; conferenceId: string; member: number }
  | { type: 'playback-done'; conferenceId: string; playback: number; member: number | null; reason: 'finished' | 'stopped' | 'member-left' }
  | { type: 'leg-timeout'; conferenceId: string; member: number; reason: string }
  | { type: 'leg-ended'; conferenceId: string; member: number; reason: string }
  | { type: 'rtp-rejected'; conferenceId: string; member: number; reason: string; count: number };
