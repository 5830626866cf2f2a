// Validation and normalisation of a conference's fields, as the Conference API and the Kazoo
// conference schema name them: create (the profile, callbacks, sounds, role defaults) and update. Each seed name is
// accepted exactly (`callbackUrl`, `energy-level`, `max_participants`, ...), with camelCase
// aliases. Every check runs before anything changes, so bad input changes nothing.
import { InvalidArgumentError } from '../errors.ts';
import {
  COMFORT_NOISE_MAX_DBFS,
  COMFORT_NOISE_MIN_DBFS,
  DEFAULT_COMFORT_NOISE_DBFS,
  DEFAULT_ENERGY_LEVEL,
  DEFAULT_HANGOVER_MS,
  ENERGY_LEVEL_MAX,
  HANGOVER_MAX_MS,
  MIXER_INTERVALS_MS,
  MIXER_RATES,
  comfortNoiseDbfsFromFreeswitch,
} from '../audio/numbers.ts';
import type { MixerIntervalMs, MixerRate } from '../audio/numbers.ts';
import { DEFAULT_MEDIA_SWITCHES, MAX_ACTIVE_TALKERS_LIMIT } from '../shard/conferenceProtocol.ts';
import {
  checkFields,
  describe,
  pickField,
  refuseUnknownFields,
  toBoolean,
  toHttpUrl,
  toInteger,
  toOneOf,
  toText,
  tagValue,
} from '../fields.ts';
import type { Fields } from '../fields.ts';

/** How a conference treats DTMF: keys act (the default), or are only reported. */
export type DigitsProfile = 'interpret_digits' | 'passthru_digits';
/** The HTTP method of callbacks. */
export type CallbackHttpMethod = 'GET' | 'POST';

/** Where and how the conference's events are delivered (stored here, sent by the HTTP layer). */
export interface CallbackSettings {
  /** URL the events are sent to. */
  callbackUrl?: string;
  /** GET or POST (default POST). */
  callbackHttpMethod: CallbackHttpMethod;
  /** How long to wait for the callback's answer, ms (1..10000). */
  callbackTimeout?: number;
  /** URL used when the callback fails. */
  fallbackUrl?: string;
}

/** How members of one role join. */
export interface RoleDefaults {
  /** Join muted. */
  joinMuted: boolean;
  /** Join deaf. */
  joinDeaf: boolean;
}

/** The profile's sound names (Kazoo `*-sound` fields), as camelCase keys. */
export type SoundName = 'maxMembersSound' | 'enterSound' | 'exitSound' | 'mohSound' | 'aloneSound' | 'mutedSound' | 'unmutedSound' | 'lockedSound';

/** A file path or URL for each sound the profile names. */
export type ConferenceSoundUrls = Partial<Record<SoundName, string>>;

/** The mixer settings of a conference. */
export interface MixerProfile {
  /** Sample rate, Hz (Kazoo `rate`). */
  rate: MixerRate;
  /** Tick interval, ms (Kazoo `interval`). */
  interval: MixerIntervalMs;
  /** Members' default gate threshold (Kazoo `energy-level`). */
  energyLevel: number;
  /** Gate hangover, ms. */
  hangoverMs: number;
  /** Comfort noise, dBFS RMS, or null for none (from Kazoo `comfort-noise`). */
  comfortNoiseDbfs: number | null;
}

/** How a conference's media thread spends its CPU (confmix's `media` field, resolved). */
export interface MediaProfile {
  /** Opus encoders shed complexity while the media thread is loaded, and get it back after. */
  adaptiveComplexity: boolean;
  /** A tick's Opus decodes and encodes (and a big room's decodes) run on the worker pool. */
  parallelCodecs: boolean;
  /** Opus frames the sender's VAD marks unvoiced are not decoded while the member's gate is closed. */
  skipUnvoiced: boolean;
  /** Most members mixed in one tick (0: no cap). */
  maxActiveTalkers: number;
  /** Members join with voice processing (noise suppression and AGC) on; off unless set. */
  voiceProcessing?: boolean;
}

/** A conference's complete, normalised configuration. */
export interface ConferenceConfig {
  /** The number hosting the conference (seed `from`). */
  from?: string;
  /** A friendly name (Kazoo `name`). */
  name?: string;
  /** Included in every callback event of the conference. */
  tag?: string;
  /** DTMF handling (seed `profile`). */
  profile: DigitsProfile;
  /** Callback delivery settings. */
  callback: CallbackSettings;
  /** Mixer settings. */
  mixer: MixerProfile;
  /** Media thread switches (confmix `media`; each defaults to true). */
  media: MediaProfile;
  /** Most active members at once, or null for no limit (the lower of `max-members` and `max_participants`). */
  maxMembers: number | null;
  /** Sounds named by the profile. */
  sounds: ConferenceSoundUrls;
  /** Defaults of members (Kazoo `member.join_muted`, `member.join_deaf`). */
  member: RoleDefaults;
  /** Defaults of moderators (Kazoo `moderator.join_muted`, `moderator.join_deaf`). */
  moderator: RoleDefaults;
  /** Members wait, hearing `moh-sound`, until a moderator joins. */
  waitForModerator: boolean;
  /** Entry tone: false, true (`enter-sound` or the built-in tone) or a file. Members' `joinTone` default. */
  playEntryTone: boolean | string;
  /** Exit tone: false, true (`exit-sound` or the built-in tone) or a file. Members' `leavingTone` default. */
  playExitTone: boolean | string;
}

/** The fields of a conference create, parsed but not yet merged with defaults. */
export interface ConferenceFieldValues {
  from?: string;
  name?: string;
  tag?: string;
  profile?: DigitsProfile;
  callbackUrl?: string;
  callbackHttpMethod?: CallbackHttpMethod;
  callbackTimeout?: number;
  fallbackUrl?: string;
  rate?: MixerRate;
  interval?: MixerIntervalMs;
  energyLevel?: number;
  hangoverMs?: number;
  comfortNoiseDbfs?: number | null;
  maxMembers?: number;
  maxParticipants?: number;
  sounds?: ConferenceSoundUrls;
  member?: Partial<RoleDefaults>;
  moderator?: Partial<RoleDefaults>;
  waitForModerator?: boolean;
  playEntryTone?: boolean | string;
  playExitTone?: boolean | string;
  media?: Partial<MediaProfile>;
}

/** A conference update, checked. `null` clears an optional setting. */
export interface ConferenceUpdate {
  state?: 'completed';
  mute?: boolean;
  hold?: boolean;
  locked?: boolean;
  callbackUrl?: string | null;
  callbackHttpMethod?: CallbackHttpMethod;
  callbackTimeout?: number | null;
  fallbackUrl?: string | null;
  tag?: string | null;
}






/** Longest callbackTimeout the Conference API allows, ms. */
export const CALLBACK_TIMEOUT_MAX_MS = 10_000;



/** Accepted names of each sound, the Kazoo name first. */
const SOUND_NAMES: Readonly<Record<SoundName, readonly string[]>> = {
  maxMembersSound: ['max-members-sound', 'maxMembersSound', 'max_members_media'],
  enterSound: ['enter-sound', 'enterSound'],
  exitSound: ['exit-sound', 'exitSound'],
  mohSound: ['moh-sound', 'mohSound'],
  aloneSound: ['alone-sound', 'aloneSound'],
  mutedSound: ['muted-sound', 'mutedSound'],
  unmutedSound: ['unmuted-sound', 'unmutedSound'],
  lockedSound: ['locked-sound', 'lockedSound'],
};

/** Accepted names of the mixer profile fields (Kazoo `profile` object, or top level). */
const PROFILE_NAMES = {
  rate: ['rate'],
  interval: ['interval'],
  energyLevel: ['energy-level', 'energyLevel'],
  comfortNoise: ['comfort-noise', 'comfortNoise'],
  comfortNoiseDbfs: ['comfortNoiseDbfs'],
  hangoverMs: ['hangoverMs'],
  maxMembers: ['max-members', 'maxMembers'],
} as const;

const CONFERENCE_NAMES = {
  from: ['from'],
  name: ['name'],
  tag: ['tag'],
  callbackUrl: ['callbackUrl'],
  callbackHttpMethod: ['callbackHttpMethod'],
  callbackTimeout: ['callbackTimeout'],
  fallbackUrl: ['fallbackUrl'],
  maxParticipants: ['max_participants', 'maxParticipants'],
  waitForModerator: ['wait_for_moderator', 'waitForModerator'],
  playEntryTone: ['play_entry_tone', 'playEntryTone'],
  playExitTone: ['play_exit_tone', 'playExitTone'],
  member: ['member'],
  moderator: ['moderator'],
  media: ['media'],
} as const;

const ROLE_NAMES = { joinMuted: ['join_muted', 'joinMuted'], joinDeaf: ['join_deaf', 'joinDeaf'] } as const;

const flat = (table: Record<string, readonly string[]>): string[] => Object.values(table).flat();
const PROFILE_KEYS = new Set([...flat(PROFILE_NAMES), ...flat(SOUND_NAMES)]);
const CONFERENCE_KEYS = new Set([...flat(CONFERENCE_NAMES), ...PROFILE_KEYS, 'profile']);
const ROLE_KEYS = new Set(flat(ROLE_NAMES));
const MEDIA_SWITCH_KEYS = ['adaptiveComplexity', 'parallelCodecs', 'skipUnvoiced'] as const;
const MEDIA_KEYS: ReadonlySet<keyof MediaProfile> = new Set([...MEDIA_SWITCH_KEYS, 'maxActiveTalkers', 'voiceProcessing']);

function soundUrl(value: unknown, name: string): string {
  return toText(value, name, 1, 2048);
}

function toneSetting(value: unknown, name: string): boolean | string {
  if (typeof value === 'string' && value !== 'true' && value !== 'false') return soundUrl(value, name);
  return toBoolean(value, name);
}


function callbackMethod(value: unknown, name: string): CallbackHttpMethod {
  return toOneOf(typeof value === 'string' ? value.toUpperCase() : value, name, ['GET', 'POST'] as const);
}

function comfortNoise(value: unknown, name: string): number | null {
  if (value === true || value === false || value === 'true' || value === 'false') {
    return comfortNoiseDbfsFromFreeswitch(value === true || value === 'true');
  }
  return comfortNoiseDbfsFromFreeswitch(toInteger(value, name, 0, 0xffffffff));
}

function comfortNoiseDbfs(value: unknown, name: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < COMFORT_NOISE_MIN_DBFS || value > COMFORT_NOISE_MAX_DBFS) {
    throw new InvalidArgumentError(`${name} must be a dBFS level from -100 to 0, or null for none, got ${describe(value)}`);
  }
  return value;
}

function roleDefaults(value: unknown, name: string): Partial<RoleDefaults> {
  const fields = checkFields(value, name);
  refuseUnknownFields(fields, ROLE_KEYS, name);
  const out: Partial<RoleDefaults> = {};
  const muted = pickField(fields, ROLE_NAMES.joinMuted);
  if (muted) out.joinMuted = toBoolean(muted.value, `${name}.${muted.name}`);
  const deaf = pickField(fields, ROLE_NAMES.joinDeaf);
  if (deaf) out.joinDeaf = toBoolean(deaf.value, `${name}.${deaf.name}`);
  return out;
}

// Only the switches given: engine defaults and the built-in `true` fill the rest.
function mediaSwitches(value: unknown, name: string): Partial<MediaProfile> {
  const fields = checkFields(value, name);
  refuseUnknownFields(fields, MEDIA_KEYS, name);
  const out: Partial<MediaProfile> = {};
  for (const key of MEDIA_SWITCH_KEYS) if (fields[key] !== undefined) out[key] = toBoolean(fields[key], `${name}.${key}`);
  if (fields.voiceProcessing !== undefined) out.voiceProcessing = toBoolean(fields.voiceProcessing, `${name}.voiceProcessing`);
  if (fields.maxActiveTalkers !== undefined) out.maxActiveTalkers = toInteger(fields.maxActiveTalkers, `${name}.maxActiveTalkers`, 0, MAX_ACTIVE_TALKERS_LIMIT);
  return out;
}

/** Parses the mixer profile and sound fields of one object (top level or Kazoo `profile`). */
function parseProfileFields(fields: Fields, out: ConferenceFieldValues): void {
  const rate = pickField(fields, PROFILE_NAMES.rate);
  if (rate) out.rate = toOneOf(rate.value, rate.name, MIXER_RATES);
  const interval = pickField(fields, PROFILE_NAMES.interval);
  if (interval) out.interval = toOneOf(interval.value, interval.name, MIXER_INTERVALS_MS);
  const energy = pickField(fields, PROFILE_NAMES.energyLevel);
  if (energy) out.energyLevel = toInteger(energy.value, energy.name, 0, ENERGY_LEVEL_MAX);
  const hangover = pickField(fields, PROFILE_NAMES.hangoverMs);
  if (hangover) out.hangoverMs = toInteger(hangover.value, hangover.name, 0, HANGOVER_MAX_MS);
  const noise = pickField(fields, PROFILE_NAMES.comfortNoise);
  const noiseDbfs = pickField(fields, PROFILE_NAMES.comfortNoiseDbfs);
  if (noise && noiseDbfs) throw new InvalidArgumentError(`give either '${noise.name}' or '${noiseDbfs.name}', not both`);
  if (noise) out.comfortNoiseDbfs = comfortNoise(noise.value, noise.name);
  if (noiseDbfs) out.comfortNoiseDbfs = comfortNoiseDbfs(noiseDbfs.value, noiseDbfs.name);
  const maxMembers = pickField(fields, PROFILE_NAMES.maxMembers);
  if (maxMembers) out.maxMembers = toInteger(maxMembers.value, maxMembers.name, 0, 100_000);
  for (const [key, names] of Object.entries(SOUND_NAMES) as Array<[SoundName, readonly string[]]>) {
    const sound = pickField(fields, names);
    if (sound) (out.sounds ??= {})[key] = soundUrl(sound.value, sound.name);
  }
}

/**
 * Parses the fields of a conference create (or of engine defaults): the seed's fields, the Kazoo
 * profile fields at top level or inside a `profile` object, and the member/moderator defaults.
 * `profile` is the seed's DTMF profile when a string, the Kazoo profile when an object.
 */
export function parseConferenceFields(input: unknown, what = 'conference'): ConferenceFieldValues {
  const fields = checkFields(input ?? {}, what);
  refuseUnknownFields(fields, CONFERENCE_KEYS, what);
  const out: ConferenceFieldValues = {};
  const pick = (names: readonly string[]) => pickField(fields, names);

  const from = pick(CONFERENCE_NAMES.from);
  if (from) out.from = toText(from.value, from.name, 1, 64);
  const name = pick(CONFERENCE_NAMES.name);
  if (name) out.name = toText(name.value, name.name, 1, 128);
  const tag = pick(CONFERENCE_NAMES.tag);
  if (tag) out.tag = tagValue(tag.value, tag.name);
  const callbackUrl = pick(CONFERENCE_NAMES.callbackUrl);
  if (callbackUrl) out.callbackUrl = toHttpUrl(callbackUrl.value, callbackUrl.name);
  const method = pick(CONFERENCE_NAMES.callbackHttpMethod);
  if (method) out.callbackHttpMethod = callbackMethod(method.value, method.name);
  const timeout = pick(CONFERENCE_NAMES.callbackTimeout);
  if (timeout) out.callbackTimeout = toInteger(timeout.value, timeout.name, 1, CALLBACK_TIMEOUT_MAX_MS);
  const fallback = pick(CONFERENCE_NAMES.fallbackUrl);
  if (fallback) out.fallbackUrl = toHttpUrl(fallback.value, fallback.name);

  const profile = fields.profile;
  if (typeof profile === 'string') {
    out.profile = toOneOf(profile, 'profile', ['interpret_digits', 'passthru_digits'] as const);
  } else if (profile !== undefined) {
    if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) {
      throw new InvalidArgumentError(`profile must be 'interpret_digits', 'passthru_digits' or a Kazoo profile object, got ${describe(profile)}`);
    }
    const kazoo = profile as Fields;
    refuseUnknownFields(kazoo, PROFILE_KEYS, 'profile');
    const nested: ConferenceFieldValues = {};
    parseProfileFields(kazoo, nested);
    const top: ConferenceFieldValues = {};
    parseProfileFields(fields, top);
    for (const key of Object.keys(nested) as Array<keyof ConferenceFieldValues>) {
      if (key !== 'sounds' && key in top && JSON.stringify(top[key]) !== JSON.stringify(nested[key])) {
        throw new InvalidArgumentError(`'${key}' is given both at top level and in profile, with different values`);
      }
    }
    for (const [key, url] of Object.entries(nested.sounds ?? {})) {
      const other = top.sounds?.[key as SoundName];
      if (other !== undefined && other !== url) {
        throw new InvalidArgumentError(`sound '${key}' is given both at top level and in profile, with different values`);
      }
    }
    Object.assign(out, top, nested, { sounds: nested.sounds || top.sounds ? { ...top.sounds, ...nested.sounds } : undefined });
    if (out.sounds === undefined) delete out.sounds;
  }
  if (profile === undefined || typeof profile === 'string') parseProfileFields(fields, out);

  const maxParticipants = pick(CONFERENCE_NAMES.maxParticipants);
  if (maxParticipants) out.maxParticipants = toInteger(maxParticipants.value, maxParticipants.name, 0, 100_000);
  const wait = pick(CONFERENCE_NAMES.waitForModerator);
  if (wait) out.waitForModerator = toBoolean(wait.value, wait.name);
  const entry = pick(CONFERENCE_NAMES.playEntryTone);
  if (entry) out.playEntryTone = toneSetting(entry.value, entry.name);
  const exit = pick(CONFERENCE_NAMES.playExitTone);
  if (exit) out.playExitTone = toneSetting(exit.value, exit.name);
  const member = pick(CONFERENCE_NAMES.member);
  if (member) out.member = roleDefaults(member.value, member.name);
  const moderator = pick(CONFERENCE_NAMES.moderator);
  if (moderator) out.moderator = roleDefaults(moderator.value, moderator.name);
  const media = pick(CONFERENCE_NAMES.media);
  if (media) out.media = mediaSwitches(media.value, media.name);
  return out;
}

function limit(value: number | undefined): number | null {
  return value === undefined || value === 0 ? null : value;
}

/** Merges a conference's fields over engine defaults and fills in confmix's own defaults. */
export function resolveConferenceConfig(own: ConferenceFieldValues, defaults: ConferenceFieldValues = {}): ConferenceConfig {
  const f: ConferenceFieldValues = { ...defaults, ...own };
  const maxMembers = limit(f.maxMembers);
  const maxParticipants = limit(f.maxParticipants);
  const effectiveMax = maxMembers === null ? maxParticipants : maxParticipants === null ? maxMembers : Math.min(maxMembers, maxParticipants);
  const callback: CallbackSettings = { callbackHttpMethod: f.callbackHttpMethod ?? 'POST' };
  if (f.callbackUrl !== undefined) callback.callbackUrl = f.callbackUrl;
  if (f.callbackTimeout !== undefined) callback.callbackTimeout = f.callbackTimeout;
  if (f.fallbackUrl !== undefined) callback.fallbackUrl = f.fallbackUrl;
  const config: ConferenceConfig = {
    profile: f.profile ?? 'interpret_digits',
    callback,
    mixer: {
      rate: f.rate ?? 16000,
      interval: f.interval ?? 20,
      energyLevel: f.energyLevel ?? DEFAULT_ENERGY_LEVEL,
      hangoverMs: f.hangoverMs ?? DEFAULT_HANGOVER_MS,
      comfortNoiseDbfs: f.comfortNoiseDbfs === undefined ? DEFAULT_COMFORT_NOISE_DBFS : f.comfortNoiseDbfs,
    },
    media: { ...DEFAULT_MEDIA_SWITCHES, ...defaults.media, ...own.media },
    maxMembers: effectiveMax,
    sounds: { ...defaults.sounds, ...own.sounds },
    // Members join unmuted unless told: the Conference API's add-member default.
    member: { joinMuted: false, joinDeaf: false, ...defaults.member, ...own.member },
    moderator: { joinMuted: false, joinDeaf: false, ...defaults.moderator, ...own.moderator },
    waitForModerator: f.waitForModerator ?? false,
    playEntryTone: f.playEntryTone ?? false,
    playExitTone: f.playExitTone ?? false,
  };
  if (f.from !== undefined) config.from = f.from;
  if (f.name !== undefined) config.name = f.name;
  if (f.tag !== undefined && f.tag !== '') config.tag = f.tag;
  return config;
}

/** Checks a conference create and merges it over `defaults`. */
export function normalizeConferenceCreate(input: unknown, defaults?: ConferenceFieldValues): ConferenceConfig {
  return resolveConferenceConfig(parseConferenceFields(input), defaults);
}

const CONFERENCE_UPDATE_KEYS = new Set(['state', 'mute', 'hold', 'locked', 'callbackUrl', 'callbackHttpMethod', 'callbackTimeout', 'fallbackUrl', 'tag']);

/** Checks a conference update (seed fields, plus `locked`). */
export function normalizeConferenceUpdate(input: unknown): ConferenceUpdate {
  const fields = checkFields(input, 'conference update');
  refuseUnknownFields(fields, CONFERENCE_UPDATE_KEYS, 'conference update');
  const out: ConferenceUpdate = {};
  if (fields.state !== undefined) out.state = toOneOf(fields.state, 'state', ['completed'] as const);
  if (fields.mute !== undefined) out.mute = toBoolean(fields.mute, 'mute');
  if (fields.hold !== undefined) out.hold = toBoolean(fields.hold, 'hold');
  if (fields.locked !== undefined) out.locked = toBoolean(fields.locked, 'locked');
  if (fields.callbackUrl !== undefined) out.callbackUrl = fields.callbackUrl === null ? null : toHttpUrl(fields.callbackUrl, 'callbackUrl');
  if (fields.callbackHttpMethod !== undefined) out.callbackHttpMethod = callbackMethod(fields.callbackHttpMethod, 'callbackHttpMethod');
  if (fields.callbackTimeout !== undefined) {
    out.callbackTimeout = fields.callbackTimeout === null ? null : toInteger(fields.callbackTimeout, 'callbackTimeout', 1, CALLBACK_TIMEOUT_MAX_MS);
  }
  if (fields.fallbackUrl !== undefined) out.fallbackUrl = fields.fallbackUrl === null ? null : toHttpUrl(fields.fallbackUrl, 'fallbackUrl');
  if (fields.tag !== undefined) out.tag = fields.tag === null ? null : tagValue(fields.tag, 'tag');
  return out;
}




