// The mixer's settings, state and events as TypeScript types, and the core's comfort-noise formula
// (the engine uses audio/numbers.ts; a test checks the two agree). The mixer alone (driven tick by
// tick) is a testing view: testing/mixer.ts.
import { addon } from './addon.ts';
import { callNative } from './call.ts';
import type { DigitsMode, DtmfAction, DtmfKey, MixerIntervalMs, MixerRate } from '../audio/numbers.ts';

/** Output group of a member hearing its own N-1 mix (it contributed). */
export const PRIVATE_OUTPUT_GROUP = -1;
/** Output group of a member hearing the same related mix as an earlier member with the same exclusions (its frame, and its encode when the codec matches). */
export const RELATE_OUTPUT_GROUP = -2;
/** Output group of members hearing exact zeros (deaf or held). */
export const SILENCE_OUTPUT_GROUP = 9;

export type { DigitsMode, DtmfAction, DtmfKey, MixerIntervalMs, MixerRate };

/** How a native conference is built. */
export interface NativeConferenceOptions {
  /** Sample rate of every frame, Hz. */
  rate: MixerRate;
  /** Tick interval, ms. */
  interval: MixerIntervalMs;
  /** Members' default gate threshold (mean absolute sample), 0..32767; 0 turns the gate off. Default 100. */
  energyLevel?: number;
  /** Gate hangover, 0..60000 ms, rounded up to whole ticks. Default 500. */
  hangoverMs?: number;
  /** Comfort noise level in dBFS RMS (-100..0), or null for none. Default -60. */
  comfortNoiseDbfs?: number | null;
  /** DTMF handling. Default 'interpret'. */
  digits?: DigitsMode;
  /** Most members mixed in one tick (the loudest whose gate passes, with hysteresis), 0..64; 0: no cap. Default 4. */
  maxActiveTalkers?: number;
}

/** Member settings; every field is optional and an absent one is left as it is. */
export interface NativeMemberSettings {
  /** Nothing from the member enters the mix. */
  mute?: boolean;
  /** The member hears nothing (exact zeros). */
  deaf?: boolean;
  /** Both mute and deaf. */
  hold?: boolean;
  /** Talk volume level, -4..4 (3 dB a step). */
  talkLevel?: number;
  /** Listen volume level, -4..4 (3 dB a step). */
  listenLevel?: number;
  /** Gate threshold, 0..32767; 0 turns the gate off. */
  energyLevel?: number;
  /** At add only: a cascade trunk, never gated, never capped, no comfort noise on its output. */
  trunk?: boolean;
}

/** A member's settings and what the last tick did with it. */
export interface NativeMemberState {
  /** The caller's id. */
  id: number;
  /** Muted. */
  mute: boolean;
  /** Deaf. */
  deaf: boolean;
  /** Held. */
  hold: boolean;
  /** Talk level -4..4. */
  talkLevel: number;
  /** Listen level -4..4. */
  listenLevel: number;
  /** Gate threshold. */
  energyLevel: number;
  /** Energy score of its last frame (0 when it sent none). */
  energy: number;
  /** The gate is open (a frame over the threshold, or its hangover). */
  gateOpen: boolean;
  /** Between talking-start and talking-stop. */
  talking: boolean;
  /** Its last frame went into the mix. */
  contributed: boolean;
  /** Which output it heard: PRIVATE_OUTPUT_GROUP, 0..8 (listen level + 4, shared), SILENCE_OUTPUT_GROUP. */
  outputGroup: number;
  /** Playbacks now playing to this member alone. */
  playbacks: number;
}

/** A conference's configuration and live state. */
export interface NativeConferenceState {
  /** Sample rate, Hz. */
  rate: MixerRate;
  /** Tick interval, ms. */
  interval: MixerIntervalMs;
  /** Samples per frame. */
  frameSamples: number;
  /** Default gate threshold. */
  energyLevel: number;
  /** Gate hangover, ms. */
  hangoverMs: number;
  /** Gate hangover, ticks. */
  hangoverFrames: number;
  /** Comfort noise level, or null when off. */
  comfortNoiseDbfs: number | null;
  /** DTMF handling. */
  digits: DigitsMode;
  /** Most members mixed in one tick (0: no cap). */
  maxActiveTalkers: number;
  /** Conference-wide mute. */
  mute: boolean;
  /** Conference-wide hold. */
  hold: boolean;
  /** Members in the conference. */
  members: number;
  /** Ticks mixed so far. */
  tick: number;
  /** Events lost because they were not drained in time. */
  droppedEvents: number;
  /** The next tick does no mixing work: fewer than two members hear or speak, and no playback. */
  idle: boolean;
  /** Playbacks now playing, conference-wide and private. */
  playbacks: number;
  /** Members the last tick scored, gated and summed (0 when it was idle). */
  mixedMembers: number;
  /** Output frames the last tick computed (N-1 frames, listen-group frames, comfort noise). */
  renderedOutputs: number;
}

/** How a playback plays. */
export interface NativePlaybackOptions {
  /** Wrap to the start without a gap instead of finishing. Default false. */
  loop?: boolean;
  /** Play to this member alone (heard even when it is deaf or held); absent: the whole conference. */
  member?: number;
}

/** Why a playback ended. */
export type PlaybackEndReason = 'finished' | 'stopped' | 'member-left';

/** A member setting named in a 'changed' event. */
export type MemberField = 'mute' | 'deaf' | 'hold' | 'talkLevel' | 'listenLevel' | 'energyLevel';

interface EventBase {
  /** The member's id. */
  member: number;
  /** The tick the event belongs to (ticks mixed before it). */
  tick: number;
}

/** Talking started on a frame with this energy score. */
export interface TalkingStartEvent extends EventBase {
  type: 'talking-start';
  energy: number;
}
/** Talking stopped (the gate closed) on a frame with this energy score. */
export interface TalkingStopEvent extends EventBase {
  type: 'talking-stop';
  energy: number;
}
/** A DTMF key and what it did ('none' in passthru mode). */
export interface DtmfEvent extends EventBase {
  type: 'dtmf';
  key: DtmfKey;
  action: DtmfAction;
}
/** A member setting changed (by a key or a call). */
export type MemberChangedEvent = EventBase & { type: 'changed' } & (
    | { what: 'mute' | 'deaf' | 'hold'; value: boolean }
    | { what: 'talkLevel' | 'listenLevel' | 'energyLevel'; value: number }
  );
/** The member pressed '#': it asks to leave. */
export interface LeaveEvent extends EventBase {
  type: 'leave';
}
/** A playback ended: it finished, was stopped, or its member left. */
export interface PlaybackDoneEvent {
  type: 'playback-done';
  /** The playback's id. */
  playback: number;
  /** The member it played to alone, or null for a conference-wide playback. */
  member: number | null;
  /** Why it ended. */
  reason: PlaybackEndReason;
  /** The tick it belongs to: for 'finished', the tick that played its last sample. */
  tick: number;
}
/** Any event a native conference raises. */
export type NativeMixerEvent =
  | TalkingStartEvent
  | TalkingStopEvent
  | DtmfEvent
  | MemberChangedEvent
  | LeaveEvent
  | PlaybackDoneEvent;

/** Who does not hear whom: 'deaf' (the member stops hearing the other), 'mute' (the other stops hearing the member), 'clear' (both undone). */
export type NativeRelationship = 'deaf' | 'mute' | 'clear';

const comfortNoiseDbfsFromDivisor = addon.comfortNoiseDbfsFromDivisor as (divisor: number) => number | null;

/** The C++ core's comfort-noise level for a FreeSWITCH divisor (null: silence). */
export function nativeComfortNoiseDbfsFromDivisor(divisor: number): number | null {
  return callNative(() => comfortNoiseDbfsFromDivisor(divisor));
}
