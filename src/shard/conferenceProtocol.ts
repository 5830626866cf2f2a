// The one typed boundary between the main thread and a shard: every request with its parameters
// and result, and every event a shard pushes up. Both sides compile against this map: the engine's
// channels send through it, the shard's handlers are checked against it.
// The main thread (engine) owns ids, seeds semantics and callbacks; a shard owns media.
import type { DtmfAction, DtmfKey } from '../audio/numbers.ts';
import type { NativeRecordingSpec, NativeVoiceOptions } from '../native/shardMedia.ts';
import type { MemberWireSettings } from '../legs/LegKind.ts';
import type { LegWireInfo, LegWireSpec } from '../legs/registry.ts';
import type { RtpCodecWire, RtpLegWireStats, RtpLegWireUpdate } from '../legs/rtp/spec.ts';
import type { LatenessFigures, TickLateness } from '../native/shardMedia.ts';

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
export type ShardMemberSettings = MemberWireSettings;

/** The codec of a plain RTP leg, on the wire. */
export type ShardRtpCodec = RtpCodecWire;

/** How a member's media reaches the shard: any leg kind's wire spec. */
export type ShardLegSpec = LegWireSpec;

/** What a shard says about a leg it opened. */
export type ShardLegInfo = LegWireInfo;

/** A recording as the shard starts it (every track from the same ticks). */
export type ShardRecordingSpec = NativeRecordingSpec;

/** Request methods, their parameters and results. */
export interface ShardConferenceRequests {
  /** Answers when the worker is up. */
  ping: { params: Record<string, never>; result: { shardId: number } };
  /** Stops the shard's media thread and frees every socket; the worker then exits. */
  close: { params: Record<string, never>; result: Record<string, never> };
  createConference: { params: { conferenceId: string; settings: ShardConferenceSettings }; result: Record<string, never> };
  destroyConference: { params: { conferenceId: string }; result: Record<string, never> };
  updateConference: { params: { conferenceId: string; mute?: boolean; hold?: boolean }; result: Record<string, never> };
  addMember: {
    params: { conferenceId: string; member: number; settings: ShardMemberSettings; leg: ShardLegSpec };
    result: { leg: ShardLegInfo };
  };
  removeMember: { params: { conferenceId: string; member: number }; result: Record<string, never> };
  updateMember: { params: { conferenceId: string; member: number; settings: ShardMemberSettings }; result: Record<string, never> };
  /** Updates a leg's media: an RTP leg's peer or codec (re-INVITE, re-offer). */
  updateLeg: {
    params: { conferenceId: string; member: number } & RtpLegWireUpdate;
    result: Record<string, never>;
  };
  /** Plays mono PCM at the conference rate to everyone, or to one member (heard even when held). */
  startPlayback: {
    params: { conferenceId: string; playback: number; pcm: Int16Array; loop: boolean; member?: number };
    result: Record<string, never>;
  };
  stopPlayback: { params: { conferenceId: string; playback: number }; result: Record<string, never> };
  /** Starts a recording written by a native writer thread; its events follow as 'recording'. */
  startRecording: { params: { conferenceId: string; recording: number } & ShardRecordingSpec; result: Record<string, never> };
  /** A member's voice processing (noise suppression, AGC) on with these options, or off (null). */
  setVoice: { params: { conferenceId: string; member: number; voice: NativeVoiceOptions | null }; result: Record<string, never> };
  /** Stops a recording: what it took is written, then its 'done' event follows. */
  stopRecording: { params: { conferenceId: string; recording: number }; result: Record<string, never> };
  /** A DTMF key from the control plane (e.g. SIP INFO), handled like an RFC 4733 one. */
  pressKey: { params: { conferenceId: string; member: number; key: string }; result: Record<string, never> };
  /** Relates two members: 'deaf' (member stops hearing other), 'mute' (other stops hearing member), 'clear'. */
  relate: { params: { conferenceId: string; member: number; other: number; relationship: 'deaf' | 'mute' | 'clear' }; result: Record<string, never> };
  /** Per-leg media statistics. */
  memberStats: { params: { conferenceId: string; member: number }; result: RtpLegWireStats };
  /** One conference's clock: ticks run and the deadline of the last (monotonic ms). */
  conferenceClock: {
    params: { conferenceId: string };
    /**
     * complexityShed: steps the conference's Opus encoders run below their configured complexity
     * (load shedding); media: the switches the conference was created with.
     */
    result: { ticks: number; lastDeadlineMs: number; encodesPerTick: number; decodesPerTick: number; complexityShed: number; media: ShardMediaSwitches; tickLateness: LatenessFigures; flushLateness: LatenessFigures };
  };
  /** Starts the media thread's and every conference's lateness percentiles afresh (benchmarks, after a warm-up). */
  resetLateness: { params: Record<string, never>; result: Record<string, never> };
  /** The shard's media-thread statistics. */
  stats: {
    params: Record<string, never>;
    result: {
      ticks: number;
      /** Media thread wake-ups for a deadline, and between deadlines (drain slices, commands). */
      wakes: number;
      drains: number;
      lateness: TickLateness;
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

/** A request method. */
export type ShardMethod = keyof ShardConferenceRequests;
/** A method's parameters. */
export type ShardParams<M extends ShardMethod> = ShardConferenceRequests[M]['params'];
/** A method's result. */
export type ShardResult<M extends ShardMethod> = ShardConferenceRequests[M]['result'];
/** The shard's handler of every method, checked against the map. */
export type ShardHandlers = { [M in ShardMethod]: (params: ShardParams<M>) => ShardResult<M> | Promise<ShardResult<M>> };

/** Events a shard pushes about its conferences (each also carries `conferenceId`). */
export type ShardConferenceEvent =
  | { type: 'talking'; conferenceId: string; member: number; status: 'start' | 'stop'; energy: number }
  | { type: 'dtmf'; conferenceId: string; member: number; key: DtmfKey; action: DtmfAction }
  | { type: 'changed'; conferenceId: string; member: number; field: keyof MemberWireSettings; value: number | boolean }
  | { type: 'leave'; conferenceId: string; member: number }
  | { type: 'playback-done'; conferenceId: string; playback: number; member: number | null; reason: 'finished' | 'stopped' | 'member-left' }
  | { type: 'leg-timeout'; conferenceId: string; member: number; reason: string }
  | { type: 'leg-ended'; conferenceId: string; member: number; reason: string }
  | { type: 'rtp-rejected'; conferenceId: string; member: number; reason: string; count: number }
  | ShardRecordingEvent;

/** A recording started, ended (done) or failed; done and failed carry what was written. */
export interface ShardRecordingEvent {
  type: 'recording';
  conferenceId: string;
  recording: number;
  status: 'started' | 'done' | 'failed';
  /** failed: 'disk-full', 'write-failed', 'too-slow', 'open-failed', 'encoder-failed' or 'refused'. */
  reason?: string;
  /** failed: what the system said. */
  message?: string;
  /** done, failed: audio written to each file, ms. */
  durationMs?: number;
  /** done, failed: each file's size in bytes, in track order. */
  trackBytes?: number[];
}
