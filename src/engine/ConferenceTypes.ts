// The public shape of a conference: create and update fields, audio requests, state, events.
import type {
  ConferenceEventPayload,
  ConferenceMemberEventPayload,
  ConferencePlaybackEventPayload,
  ConferenceRecordingEventPayload,
  ConferenceSpeakEventPayload,
  DtmfEventPayload,
  TalkingEventPayload,
} from './events.ts';
import type { ShardConferenceRequests } from '../shard/conferenceProtocol.ts';
import type { Member } from './Member.ts';
import type { CallbackHttpMethod, DigitsProfile } from './conferenceFields.ts';

export type { CallbackHttpMethod, DigitsProfile } from './conferenceFields.ts';

type Flag = boolean | 'true' | 'false';
type Int = number | `${number}`;

/** Kazoo's per-role join defaults (`member` and `moderator` objects). */
export interface RoleDefaultsOptions {
  join_muted?: Flag;
  join_deaf?: Flag;
  joinMuted?: Flag;
  joinDeaf?: Flag;
}

/** The Kazoo conference profile fields (inside `profile: {...}` or at top level). */
export interface KazooProfileOptions {
  /** Sample rate, Hz: 8000, 16000 (default), 24000, 32000, 48000. */
  rate?: Int;
  /** Milliseconds per frame: 10, 20 (default), 40, 60. */
  interval?: Int;
  /** Default gate threshold, 0..32767 (default 100; 0 turns the gate off). */
  'energy-level'?: Int;
  /** FreeSWITCH's comfort noise: an integer divisor (larger is quieter), true for 1400, 0 or false for none. */
  'comfort-noise'?: Int | boolean;
  /** Most members at once (0: no limit). */
  'max-members'?: Int;
  /** Played to a leg refused because the conference is full. */
  'max-members-sound'?: string;
  /** The entry tone's file (played when play_entry_tone or joinTone is true). */
  'enter-sound'?: string;
  /** The exit tone's file. */
  'exit-sound'?: string;
  /** Looped to members on hold, waiting for a moderator, or alone. */
  'moh-sound'?: string;
  /** Looped to a member alone in the conference (else moh-sound). */
  'alone-sound'?: string;
  /** Played to a member when it becomes muted. */
  'muted-sound'?: string;
  /** Played to a member when it becomes unmuted. */
  'unmuted-sound'?: string;
  /** Played to a leg refused because the conference is locked. */
  'locked-sound'?: string;
  energyLevel?: Int;
  comfortNoise?: Int | boolean;
  /** Comfort noise as a dBFS RMS level (-100..0), or null for none (default -60). */
  comfortNoiseDbfs?: number | null;
  /** Gate hangover, ms (default 500). */
  hangoverMs?: Int;
  maxMembers?: Int;
  maxMembersSound?: string;
  enterSound?: string;
  exitSound?: string;
  mohSound?: string;
  aloneSound?: string;
  mutedSound?: string;
  unmutedSound?: string;
  lockedSound?: string;
}

/** How a conference's media thread spends its CPU (confmix's `media` field); each switch defaults to on. */
export interface ConferenceMediaOptions {
  /** Shed Opus encoder complexity while the media thread is loaded, and restore it after. */
  adaptiveComplexity?: boolean;
  /** Spread a tick's Opus decodes and encodes (and a big room's decodes) over the worker pool. */
  parallelCodecs?: boolean;
  /** Skip decoding Opus frames the sender's VAD marks unvoiced while the member's gate is closed. */
  skipUnvoiced?: boolean;
  /** Most members mixed in one tick: the loudest whose gate passes, with hysteresis; the rest hear their mix. 0..64, 0: no cap; default 4. */
  maxActiveTalkers?: number;
  /** Members join with voice processing on (noise suppression and AGC, speexdsp); default off. */
  voiceProcessing?: boolean;
}

/** Fields of createConference: the Conference API's, the Kazoo schema's, and confmix's. */
export interface ConferenceOptions extends KazooProfileOptions {
  /** The number hosting the conference. */
  from?: string;
  /** URL the conference's events go to (delivered by the HTTP layer). */
  callbackUrl?: string;
  /** 'GET' or 'POST' (default). */
  callbackHttpMethod?: CallbackHttpMethod | 'get' | 'post';
  /** Callback answer timeout, ms (1..10000). */
  callbackTimeout?: Int;
  /** URL used when the callback fails. */
  fallbackUrl?: string;
  /** The DTMF profile ('interpret_digits', the default, or 'passthru_digits'), or a Kazoo profile object. */
  profile?: DigitsProfile | KazooProfileOptions;
  /** Included in the conference's callback events. */
  tag?: string;
  /** A friendly name (Kazoo). */
  name?: string;
  /** Kazoo: most participants (with max-members, the lower applies). */
  max_participants?: Int;
  maxParticipants?: Int;
  /** Kazoo: members wait, hearing moh-sound, until a moderator joins. */
  wait_for_moderator?: Flag;
  waitForModerator?: Flag;
  /** Kazoo: play the entry tone (true) or this file, when members join (members' joinTone default). */
  play_entry_tone?: Flag | string;
  playEntryTone?: Flag | string;
  /** Kazoo: play the exit tone (true) or this file, when members leave (members' leavingTone default). */
  play_exit_tone?: Flag | string;
  playExitTone?: Flag | string;
  /** Kazoo: max_members_media, the same as max-members-sound. */
  max_members_media?: string;
  /** Kazoo: how members join. */
  member?: RoleDefaultsOptions;
  /** Kazoo: how moderators join. */
  moderator?: RoleDefaultsOptions;
  /** confmix: the media thread's CPU switches (all on by default). */
  media?: ConferenceMediaOptions;
  /** The user's own data. */
  appData?: Record<string, unknown>;
}

/** Fields of conference.update() (the Conference API's, plus `locked`). */
export interface ConferenceUpdateFields {
  /** 'completed' removes every member and completes the conference. */
  state?: 'completed';
  /** Nobody is heard (on top of members' own mute). */
  mute?: Flag;
  /** Nobody hears or is heard (on top of members' own hold). */
  hold?: Flag;
  /** A locked conference refuses joins. */
  locked?: Flag;
  /** null clears it. */
  callbackUrl?: string | null;
  callbackHttpMethod?: CallbackHttpMethod | 'get' | 'post';
  callbackTimeout?: Int | null;
  fallbackUrl?: string | null;
  tag?: string | null;
}

/** A file to play: a WAV (PCM 8/16-bit, mono or stereo, 8..48 kHz and 44.1 kHz), by path or http(s)/file URL. */
export interface PlayOptions {
  /** '' stops the file playing. */
  fileUrl: string;
  /** Loop until stopped (default false). */
  loopEnabled?: Flag;
  /** Included in its started and done events. */
  tag?: string;
  /** Give up fetching after this many ms (default: the engine's audioTimeoutMs). */
  timeoutMs?: number;
}

/** A sentence to speak with espeak-ng. */
export interface SpeakOptions {
  /** '' stops the speech. */
  sentence: string;
  /** An espeak-ng voice ('en-us', 'English_(America)', 'en-us+f3', a variant name). */
  voice?: string;
  /** 'female' (default) or 'male'. */
  gender?: 'male' | 'female';
  /** A locale such as 'en_US' or 'fr-FR' (default en-US). */
  locale?: string;
  /** Included in its started and done events. */
  tag?: string;
}

/** The Conference API's audio resource: a PlayOptions or a SpeakOptions. */
export type AudioOptions = PlayOptions | SpeakOptions;

/** A conference is created until it completes; completed is final. */
export type ConferenceState = 'created' | 'completed';

/** Why a conference completed. */
export type ConferenceCompletedReason = 'api' | 'last-member-left' | 'shard-died' | 'engine-closed';

/** The events a Conference emits: its callback payloads by eventType, plus lifecycle. */
export interface ConferenceEvents {
  /** Created or completed. */
  conference: [ConferenceEventPayload];
  /** A member joined or left, or its mute or hold changed. */
  'conference-member': [ConferenceMemberEventPayload];
  /** A file started or is done. */
  'conference-playback': [ConferencePlaybackEventPayload];
  /** A sentence started or is done. */
  'conference-speak': [ConferenceSpeakEventPayload];
  /** A recording started, is done or failed. */
  'conference-recording': [ConferenceRecordingEventPayload];
  /** A member pressed a key. */
  dtmf: [DtmfEventPayload];
  /** A member started or stopped talking. */
  talking: [TalkingEventPayload];
  /** A member joined. */
  newmember: [Member];
  /** The conference completed; emitted once. */
  close: [reason: ConferenceCompletedReason];
}

/** Management events of a conference. */
export interface ConferenceObserverEvents {
  /** It completed. */
  close: [];
  /** A member joined. */
  newmember: [Member];
  /** mute, hold, locked, callback settings or tag changed. */
  update: [];
}

/** A conference as JSON: the Conference API's properties, plus confmix's. */
export interface ConferenceJson {
  id: string;
  state: ConferenceState;
  from?: string;
  name?: string;
  createdTime: string;
  completedTime?: string;
  activeMembers: number;
  hold: boolean;
  mute: boolean;
  locked: boolean;
  profile: DigitsProfile;
  callbackUrl?: string;
  callbackHttpMethod: CallbackHttpMethod;
  callbackTimeout?: number;
  fallbackUrl?: string;
  tag?: string;
}

/** A lateness distribution in brief: median, 99th percentile and maximum (ms), and the ticks counted. */
export type LatenessFigures = ShardConferenceRequests['conferenceClock']['result']['tickLateness'];

/** A conference's media clock, from its shard. */
export interface ConferenceClockStats {
  /** Ticks run. */
  ticks: number;
  /** Encodes in the last tick (members sharing an output share one). */
  encodesPerTick: number;
  /** Decodes in the last tick. */
  decodesPerTick: number;
  /** Steps its Opus encoders run below their complexity, shedding load. */
  complexityShed: number;
  /** Its own tick lateness since the shard's last lateness reset: each tick's start minus its deadline. */
  tickLateness: LatenessFigures;
  /**
   * When its ticks' datagrams start leaving, minus their deadline: its tick lateness plus the
   * ticks of other conferences on its shard that run after it in the same wake (what its members hear).
   */
  flushLateness: LatenessFigures;
}
