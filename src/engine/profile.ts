// Validation and normalisation of every field the Conference API and the Kazoo conference schema
// name: conference create and update, member add and update, play and speak. Each seed name is
// accepted exactly (`callbackUrl`, `energy-level`, `max_participants`, ...), with camelCase
// aliases. Every check runs before anything changes, so bad input changes nothing.
import { isIP } from 'node:net';
import { InvalidArgumentError, UnsupportedError } from '../errors.ts';
import { MIXER_INTERVALS_MS, MIXER_RATES, comfortNoiseDbfsFromFreeswitch } from '../native/mixer.ts';
import type { MixerIntervalMs, MixerRate } from '../native/mixer.ts';
import { DEFAULT_MEDIA_SWITCHES, MAX_ACTIVE_TALKERS_LIMIT, type ShardLegSpec, type ShardRtpCodec } from '../shard/conferenceProtocol.ts';
import { AppLeg } from '../legs/app/AppLeg.ts';
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
} from './fields.ts';
import type { Fields } from './fields.ts';

/** How a conference treats DTMF: keys act (the default), or are only reported. */
export type DigitsProfile = 'interpret_digits' | 'passthru_digits';
/** The HTTP method of callbacks. */
export type CallbackHttpMethod = 'GET' | 'POST';
/** A member's role: moderators release members waiting for a moderator. */
export type MemberRole = 'member' | 'moderator';

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

/** A member's leg, checked: an AppLeg to attach, or a spec passed through to the shard. */
export type MemberLegInput =
  | { kind: 'app'; appLeg: AppLeg }
  | { kind: 'app-new'; rate: MixerRate }
  | { kind: 'rtp'; spec: Extract<ShardLegSpec, { kind: 'rtp' }> }
  | { kind: 'none' };

/** A member add, checked (defaults of the role not yet applied). */
export interface MemberAdd {
  leg: MemberLegInput;
  callId?: string;
  role: MemberRole;
  joinTone?: boolean;
  leavingTone?: boolean;
  mute?: boolean;
  hold?: boolean;
  deaf?: boolean;
  talkLevel?: number;
  listenLevel?: number;
  energyLevel?: number;
}

/** A member update, checked. */
export interface MemberUpdate {
  state?: 'completed';
  mute?: boolean;
  hold?: boolean;
  deaf?: boolean;
  joinTone?: boolean;
  leavingTone?: boolean;
  talkLevel?: number;
  listenLevel?: number;
  energyLevel?: number;
}

/** A file playback request, checked. */
export interface PlayRequest {
  /** Path or http(s)/file URL; '' stops file playback. */
  fileUrl: string;
  loopEnabled: boolean;
  tag?: string;
  /** Fetch timeout, ms. */
  timeoutMs?: number;
}

/** A speech request, checked. */
export interface SpeakRequest {
  /** The sentence; '' stops speech. */
  sentence: string;
  voice?: string;
  gender?: 'male' | 'female';
  locale?: string;
  tag?: string;
}

/** Talk and listen levels, -4..4 (3 dB a step). */
export const LEVEL_MIN = -4;
/** Highest talk or listen level. */
export const LEVEL_MAX = 4;
/** Highest energy threshold (int16 full scale). */
export const ENERGY_LEVEL_MAX = 32767;
/** Longest callbackTimeout the Conference API allows, ms. */
export const CALLBACK_TIMEOUT_MAX_MS = 10_000;
/** Longest tag, characters. */
export const TAG_MAX_CHARS = 256;

const DEFAULT_ENERGY_LEVEL = 100;
const DEFAULT_HANGOVER_MS = 500;
const DEFAULT_COMFORT_NOISE_DBFS = -60;

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
const MEDIA_KEYS: ReadonlySet<keyof MediaProfile> = new Set([...MEDIA_SWITCH_KEYS, 'maxActiveTalkers']);

function soundUrl(value: unknown, name: string): string {
  return toText(value, name, 1, 2048);
}

function toneSetting(value: unknown, name: string): boolean | string {
  if (typeof value === 'string' && value !== 'true' && value !== 'false') return soundUrl(value, name);
  return toBoolean(value, name);
}

function tagValue(value: unknown, name: string): string {
  return toText(value, name, 0, TAG_MAX_CHARS);
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
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -100 || value > 0) {
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
  if (hangover) out.hangoverMs = toInteger(hangover.value, hangover.name, 0, 60_000);
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

const RTP_CODEC_PRESETS: Readonly<Record<string, ShardRtpCodec>> = {
  pcmu: { name: 'pcmu', payloadType: 0, clockRate: 8000, channels: 1 },
  pcma: { name: 'pcma', payloadType: 8, clockRate: 8000, channels: 1 },
  opus: { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
};
const RTP_CODEC_NAMES = ['pcmu', 'pcma', 'l16', 'opus'] as const;
const RTP_CODEC_KEYS = new Set(['name', 'payloadType', 'clockRate', 'channels', 'fec', 'dtx', 'bitrate']);
const RTP_LEG_KEYS = new Set([
  'kind', 'codec', 'remoteAddress', 'remotePort', 'telephoneEventPayloadType', 'audioLevelExtensionId', 'symmetricLatching', 'timeoutMs', 'ipv6', 'ptimeMs',
]);

/** Checks an RTP codec: a preset name ('pcmu', 'pcma', 'opus') or a full description. */
export function normalizeRtpCodec(value: unknown): ShardRtpCodec {
  if (typeof value === 'string') {
    const preset = RTP_CODEC_PRESETS[value.toLowerCase()];
    if (!preset) throw new InvalidArgumentError(`codec '${value}' has no preset; give {name, payloadType, clockRate, channels} (presets: pcmu, pcma, opus)`);
    return { ...preset };
  }
  const fields = checkFields(value, 'codec');
  refuseUnknownFields(fields, RTP_CODEC_KEYS, 'codec');
  const name = toOneOf(typeof fields.name === 'string' ? fields.name.toLowerCase() : fields.name, 'codec.name', RTP_CODEC_NAMES);
  const codec: ShardRtpCodec = {
    name,
    payloadType: toInteger(fields.payloadType, 'codec.payloadType', 0, 127),
    clockRate: toOneOf(fields.clockRate, 'codec.clockRate', name === 'opus' ? [48000] : name === 'l16' ? [...MIXER_RATES] : [8000]),
    channels: toInteger(fields.channels ?? 1, 'codec.channels', 1, 2),
  };
  if (fields.fec !== undefined) codec.fec = toBoolean(fields.fec, 'codec.fec');
  if (fields.dtx !== undefined) codec.dtx = toBoolean(fields.dtx, 'codec.dtx');
  if (fields.bitrate !== undefined) codec.bitrate = toInteger(fields.bitrate, 'codec.bitrate', 0, 510_000);
  return codec;
}

function normalizeRtpLeg(fields: Fields): Extract<ShardLegSpec, { kind: 'rtp' }> {
  refuseUnknownFields(fields, RTP_LEG_KEYS, 'rtp leg');
  const spec: Extract<ShardLegSpec, { kind: 'rtp' }> = { kind: 'rtp', codec: normalizeRtpCodec(fields.codec) };
  if (fields.remoteAddress !== undefined) {
    if (typeof fields.remoteAddress !== 'string' || isIP(fields.remoteAddress) === 0) {
      throw new InvalidArgumentError(`remoteAddress must be a numeric IPv4 or IPv6 address, got ${describe(fields.remoteAddress)}`);
    }
    spec.remoteAddress = fields.remoteAddress;
  }
  if (fields.remotePort !== undefined) spec.remotePort = toInteger(fields.remotePort, 'remotePort', 1, 65535);
  if ((spec.remoteAddress === undefined) !== (spec.remotePort === undefined)) {
    throw new InvalidArgumentError('remoteAddress and remotePort must be given together');
  }
  if (fields.symmetricLatching !== undefined) spec.symmetricLatching = toBoolean(fields.symmetricLatching, 'symmetricLatching');
  if (spec.remoteAddress === undefined && spec.symmetricLatching !== true) {
    throw new InvalidArgumentError('an rtp leg needs remoteAddress and remotePort, or symmetricLatching: true to learn them');
  }
  if (fields.telephoneEventPayloadType !== undefined) {
    spec.telephoneEventPayloadType = toInteger(fields.telephoneEventPayloadType, 'telephoneEventPayloadType', 0, 127);
    if (spec.telephoneEventPayloadType === spec.codec.payloadType) {
      throw new InvalidArgumentError('telephoneEventPayloadType must differ from the codec payload type');
    }
  }
  if (fields.audioLevelExtensionId !== undefined) spec.audioLevelExtensionId = toInteger(fields.audioLevelExtensionId, 'audioLevelExtensionId', 1, 255);
  if (fields.timeoutMs !== undefined) spec.timeoutMs = toInteger(fields.timeoutMs, 'timeoutMs', 0, 3_600_000);
  if (fields.ipv6 !== undefined) spec.ipv6 = toBoolean(fields.ipv6, 'ipv6');
  if (fields.ptimeMs !== undefined) spec.ptimeMs = toOneOf(fields.ptimeMs, 'ptimeMs', MIXER_INTERVALS_MS);
  return spec;
}

/** Checks a member's leg: an AppLeg, `{kind:'app', rate}`, an RTP spec, or `{kind:'none'}` (the default). */
export function normalizeLeg(value: unknown): MemberLegInput {
  if (value === undefined) return { kind: 'none' };
  if (value instanceof AppLeg) return { kind: 'app', appLeg: value };
  const fields = checkFields(value, 'leg');
  switch (fields.kind) {
    case 'app': {
      refuseUnknownFields(fields, new Set(['kind', 'rate']), 'app leg');
      return { kind: 'app-new', rate: toOneOf(fields.rate, 'leg.rate', MIXER_RATES) };
    }
    case 'rtp':
      return { kind: 'rtp', spec: normalizeRtpLeg(fields) };
    case 'none':
      refuseUnknownFields(fields, new Set(['kind']), 'none leg');
      return { kind: 'none' };
    case 'webrtc':
    case 'mediasoup':
      throw new UnsupportedError(`leg kind '${fields.kind}' is not available in this version`);
    default:
      throw new InvalidArgumentError(`leg must be an AppLeg, or an object with kind 'app', 'rtp' or 'none', got kind ${describe(fields.kind)}`);
  }
}

const MEMBER_ADD_KEYS = new Set([
  'leg', 'callId', 'role', 'joinTone', 'leavingTone', 'mute', 'hold', 'deaf', 'talkLevel', 'listenLevel', 'energyLevel', 'appData',
]);

function levels(fields: Fields, out: { talkLevel?: number; listenLevel?: number; energyLevel?: number }): void {
  if (fields.talkLevel !== undefined) out.talkLevel = toInteger(fields.talkLevel, 'talkLevel', LEVEL_MIN, LEVEL_MAX);
  if (fields.listenLevel !== undefined) out.listenLevel = toInteger(fields.listenLevel, 'listenLevel', LEVEL_MIN, LEVEL_MAX);
  if (fields.energyLevel !== undefined) out.energyLevel = toInteger(fields.energyLevel, 'energyLevel', 0, ENERGY_LEVEL_MAX);
}

/** Checks a member add (seed fields `callId`, `joinTone`, `leavingTone`, `mute`, `hold`, plus confmix's). */
export function normalizeMemberAdd(input: unknown): MemberAdd {
  const fields = checkFields(input ?? {}, 'member');
  refuseUnknownFields(fields, MEMBER_ADD_KEYS, 'member');
  const out: MemberAdd = {
    leg: normalizeLeg(fields.leg),
    role: fields.role === undefined ? 'member' : toOneOf(fields.role, 'role', ['member', 'moderator'] as const),
  };
  if (fields.callId !== undefined) out.callId = toText(fields.callId, 'callId', 1, 128);
  if (fields.joinTone !== undefined) out.joinTone = toBoolean(fields.joinTone, 'joinTone');
  if (fields.leavingTone !== undefined) out.leavingTone = toBoolean(fields.leavingTone, 'leavingTone');
  if (fields.mute !== undefined) out.mute = toBoolean(fields.mute, 'mute');
  if (fields.hold !== undefined) out.hold = toBoolean(fields.hold, 'hold');
  if (fields.deaf !== undefined) out.deaf = toBoolean(fields.deaf, 'deaf');
  levels(fields, out);
  return out;
}

const MEMBER_UPDATE_KEYS = new Set(['state', 'mute', 'hold', 'deaf', 'joinTone', 'leavingTone', 'talkLevel', 'listenLevel', 'energyLevel']);

/** Checks a member update. */
export function normalizeMemberUpdate(input: unknown): MemberUpdate {
  const fields = checkFields(input, 'member update');
  refuseUnknownFields(fields, MEMBER_UPDATE_KEYS, 'member update');
  const out: MemberUpdate = {};
  if (fields.state !== undefined) out.state = toOneOf(fields.state, 'state', ['completed'] as const);
  if (fields.mute !== undefined) out.mute = toBoolean(fields.mute, 'mute');
  if (fields.hold !== undefined) out.hold = toBoolean(fields.hold, 'hold');
  if (fields.deaf !== undefined) out.deaf = toBoolean(fields.deaf, 'deaf');
  if (fields.joinTone !== undefined) out.joinTone = toBoolean(fields.joinTone, 'joinTone');
  if (fields.leavingTone !== undefined) out.leavingTone = toBoolean(fields.leavingTone, 'leavingTone');
  levels(fields, out);
  return out;
}

const PLAY_KEYS = new Set(['fileUrl', 'loopEnabled', 'tag', 'timeoutMs']);
const SPEAK_KEYS = new Set(['sentence', 'voice', 'gender', 'locale', 'tag']);

/** Checks a file playback (`fileUrl`, `loopEnabled`, `tag`, and a fetch `timeoutMs`). */
export function normalizePlay(input: unknown): PlayRequest {
  const fields = checkFields(input, 'play');
  refuseUnknownFields(fields, PLAY_KEYS, 'play');
  if (typeof fields.fileUrl !== 'string') throw new InvalidArgumentError(`fileUrl must be a string, got ${describe(fields.fileUrl)}`);
  const out: PlayRequest = {
    fileUrl: toText(fields.fileUrl, 'fileUrl', 0, 2048),
    loopEnabled: fields.loopEnabled === undefined ? false : toBoolean(fields.loopEnabled, 'loopEnabled'),
  };
  if (fields.tag !== undefined) out.tag = tagValue(fields.tag, 'tag');
  if (fields.timeoutMs !== undefined) out.timeoutMs = toInteger(fields.timeoutMs, 'timeoutMs', 1, 600_000);
  return out;
}

/** Checks a speech request (`sentence`, `voice`, `gender`, `locale`, `tag`). */
export function normalizeSpeak(input: unknown): SpeakRequest {
  const fields = checkFields(input, 'speak');
  refuseUnknownFields(fields, SPEAK_KEYS, 'speak');
  if (typeof fields.sentence !== 'string') throw new InvalidArgumentError(`sentence must be a string, got ${describe(fields.sentence)}`);
  const out: SpeakRequest = { sentence: fields.sentence };
  if (fields.voice !== undefined) out.voice = toText(fields.voice, 'voice', 1, 100);
  if (fields.gender !== undefined) out.gender = toOneOf(fields.gender, 'gender', ['male', 'female'] as const);
  if (fields.locale !== undefined) out.locale = toText(fields.locale, 'locale', 2, 35);
  if (fields.tag !== undefined) out.tag = tagValue(fields.tag, 'tag');
  return out;
}

/** Checks an audio request of the Conference API's `/audio` resource: a play or a speak. */
export function normalizeAudio(input: unknown): { kind: 'play'; request: PlayRequest } | { kind: 'speak'; request: SpeakRequest } {
  const fields = checkFields(input, 'audio');
  const hasFile = fields.fileUrl !== undefined;
  const hasSentence = fields.sentence !== undefined;
  if (hasFile === hasSentence) throw new InvalidArgumentError('audio needs exactly one of fileUrl and sentence');
  if (hasFile) return { kind: 'play', request: normalizePlay(fields) };
  return { kind: 'speak', request: normalizeSpeak(fields) };
}
