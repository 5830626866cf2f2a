// Checks of the audio requests of the Conference API's play, speak and audio resources (a
// conference's or one member's). Every check runs before anything plays.
import { InvalidArgumentError } from '../errors.ts';
import { checkFields, describe, refuseUnknownFields, tagValue, toBoolean, toInteger, toOneOf, toText } from '../fields.ts';

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
