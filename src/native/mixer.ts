// Typed view of the addon's MixerConference: one conference's mixing core, driven tick by tick.
import { addon } from './addon.ts';
import { InvalidArgumentError, toConfmixError } from '../errors.ts';

/** Conference sample rates, Hz. */
export const MIXER_RATES = [8000, 16000, 24000, 32000, 48000] as const;
/** Tick intervals, ms. */
export const MIXER_INTERVALS_MS = [10, 20, 40, 60] as const;
/** The DTMF keys a member may press. */
export const DTMF_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'] as const;
/** The sensitivity steps keys 7 and 9 move along. */
export const ENERGY_LEVEL_STEPS = [0, 25, 50, 100, 200, 400, 800, 1600] as const;
/** FreeSWITCH's `comfort-noise` divisor when a profile says `true`. */
export const FREESWITCH_DEFAULT_COMFORT_NOISE = 1400;
/** Output group of a member hearing its own N-1 mix (it contributed). */
export const PRIVATE_OUTPUT_GROUP = -1;
/** Output group of a member hearing the same related mix as an earlier member with the same exclusions (its frame, and its encode when the codec matches). */
export const RELATE_OUTPUT_GROUP = -2;
/** Output group of members hearing exact zeros (deaf or held). */
export const SILENCE_OUTPUT_GROUP = 9;

/** A conference sample rate. */
export type MixerRate = (typeof MIXER_RATES)[number];
/** A tick interval. */
export type MixerIntervalMs = (typeof MIXER_INTERVALS_MS)[number];
/** A DTMF key. */
export type DtmfKey = (typeof DTMF_KEYS)[number];
/** Whether keys act (interpret_digits) or are only reported (passthru_digits). */
export type DigitsMode = 'interpret' | 'passthru';

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

/** What a DTMF key did. */
export type DtmfAction =
  | 'none'
  | 'talk-down'
  | 'talk-reset'
  | 'talk-up'
  | 'listen-down'
  | 'listen-reset'
  | 'listen-up'
  | 'energy-down'
  | 'energy-reset'
  | 'energy-up'
  | 'toggle-mute'
  | 'toggle-deaf-mute'
  | 'leave';

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

interface RawMixerConference {
  addMember(id: number, settings?: NativeMemberSettings): void;
  removeMember(id: number): void;
  setMember(id: number, settings: NativeMemberSettings): void;
  getMember(id: number): NativeMemberState;
  setConference(settings: { mute?: boolean; hold?: boolean }): void;
  getConference(): NativeConferenceState;
  pushFrame(id: number, frame: Int16Array): void;
  pressKey(id: number, key: string): void;
  relate(id: number, other: number, relationship: NativeRelationship): void;
  startPlayback(id: number, pcm: Int16Array, options?: NativePlaybackOptions): void;
  stopPlayback(id: number): void;
  tick(): void;
  readFrame(id: number): Int16Array;
  drainEvents(): NativeMixerEvent[];
}

interface RawMixerConferenceClass {
  new (options: NativeConferenceOptions): RawMixerConference;
  comfortNoiseDbfsFromDivisor(divisor: number): number | null;
}

const RawMixerConference = addon.MixerConference as RawMixerConferenceClass;

// Runs a native call, rethrowing its error as the matching ConfmixError class.
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toConfmixError(error);
  }
}

/**
 * The dBFS RMS level FreeSWITCH's or Kazoo's `comfort-noise` setting produces: an integer
 * divisor (larger is quieter), `true` for FreeSWITCH's default 1400, and 0 or `false` for off (null).
 */
export function comfortNoiseDbfsFromFreeswitch(value: number | boolean): number | null {
  if (value === false) return null;
  if (value === true) return call(() => RawMixerConference.comfortNoiseDbfsFromDivisor(FREESWITCH_DEFAULT_COMFORT_NOISE));
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`comfort-noise must be true, false or an integer divisor >= 0, got ${String(value)}`);
  }
  return call(() => RawMixerConference.comfortNoiseDbfsFromDivisor(value));
}

/**
 * One conference's native mixing core. Drive it one tick at a time: pushFrame() for each member
 * that has audio, tick(), then readFrame() for each member and drainEvents().
 */
export class NativeConference {
  readonly #raw: RawMixerConference;

  /** Builds the conference; throws InvalidArgumentError for a bad option. */
  constructor(options: NativeConferenceOptions) {
    this.#raw = call(() => new RawMixerConference(options));
  }

  /** Adds a member with a caller-chosen id (InvalidStateError if the id is taken). */
  addMember(id: number, settings?: NativeMemberSettings): void {
    call(() => this.#raw.addMember(id, settings));
  }

  /** Removes a member (NotFoundError if unknown). */
  removeMember(id: number): void {
    call(() => this.#raw.removeMember(id));
  }

  /** Changes some of a member's settings; a 'changed' event follows for each value that changed. */
  setMember(id: number, settings: NativeMemberSettings): void {
    call(() => this.#raw.setMember(id, settings));
  }

  /** A member's settings and last-tick state. */
  getMember(id: number): NativeMemberState {
    return call(() => this.#raw.getMember(id));
  }

  /** Conference-wide mute and hold, on top of each member's own flags. */
  setConference(settings: { mute?: boolean; hold?: boolean }): void {
    call(() => this.#raw.setConference(settings));
  }

  /** The conference's configuration and live state. */
  getConference(): NativeConferenceState {
    return call(() => this.#raw.getConference());
  }

  /** Queues a member's frame (Int16Array of one interval) for the next tick; one per tick. */
  pushFrame(id: number, frame: Int16Array): void {
    call(() => this.#raw.pushFrame(id, frame));
  }

  /** A DTMF key from a member. */
  pressKey(id: number, key: DtmfKey): void {
    call(() => this.#raw.pressKey(id, key));
  }

  /** Relates member `id` to `other`: its output (or the other's, for 'mute') leaves the other out from the next tick. */
  relate(id: number, other: number, relationship: NativeRelationship): void {
    call(() => this.#raw.relate(id, other, relationship));
  }

  /**
   * Plays `pcm` (mono at the conference rate; copied once) from the next tick, to the whole
   * conference or to `options.member` alone. A 'playback-done' event follows when it ends.
   * InvalidArgumentError for bad arguments or empty PCM, InvalidStateError for an id already
   * playing, NotFoundError for an unknown member.
   */
  startPlayback(id: number, pcm: Int16Array, options?: NativePlaybackOptions): void {
    call(() => this.#raw.startPlayback(id, pcm, options));
  }

  /** Stops a playing playback now; a 'playback-done' event with reason 'stopped' follows (NotFoundError if none). */
  stopPlayback(id: number): void {
    call(() => this.#raw.stopPlayback(id));
  }

  /** Mixes one tick from the queued frames. */
  tick(): void {
    call(() => this.#raw.tick());
  }

  /** A copy of what the member heard on the last tick. */
  readFrame(id: number): Int16Array {
    return call(() => this.#raw.readFrame(id));
  }

  /** Every event raised since the last drain, oldest first. */
  drainEvents(): NativeMixerEvent[] {
    return call(() => this.#raw.drainEvents());
  }
}
