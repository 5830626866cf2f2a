// Text to speech through the espeak-ng command-line synthesizer. The text goes in on stdin and
// the process is spawned with an argument list (never a shell), so nothing in a sentence can
// reach a command line. espeak-ng writes a WAV on stdout, decoded by our own parser.

import { spawn } from 'node:child_process';
import { InvalidArgumentError, UnsupportedError } from '../errors.ts';
import { AudioSourceError } from './AudioSourceError.ts';
import { CONFERENCE_RATES, resampleAsync } from './resample.ts';
import { parseWav } from './wav.ts';

/** What to say and how. */
export interface SpeechRequest {
  /** The text to speak (at most MAX_SENTENCE_CHARS characters). */
  readonly sentence: string;
  /** An espeak-ng voice: a language code ('en-us'), a voice name ('English_(America)'), a voice
   *  file ('gmw/en-US'), a variant name ('Annie', used with `locale`), or 'voice+variant'. */
  readonly voice?: string;
  /** Picks a male or female variant when `voice` names none. */
  readonly gender?: 'male' | 'female';
  /** A BCP 47 locale ('en-US', 'fr-FR'); ignored when `voice` names a language. Default 'en-US'. */
  readonly locale?: string;
}

/** How to run the synthesizer. */
export interface SpeechOptions {
  /** The espeak-ng executable (default 'espeak-ng', found on PATH). */
  readonly espeakPath?: string;
  /** Kill the synthesizer after this many ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Refuse more than this many bytes of synthesized WAV (default 64 MiB). */
  readonly maxBytes?: number;
  /** Speaking rate in words per minute, 80..450 (default: espeak-ng's own, 175). */
  readonly wordsPerMinute?: number;
}

/** One espeak-ng language voice. */
export interface EspeakVoice {
  /** Language code, e.g. 'en-us'. */
  readonly language: string;
  /** Voice name, e.g. 'English_(America)'. */
  readonly name: string;
  /** Voice file relative to the voices directory, e.g. 'gmw/en-US'; what `-v` is given. */
  readonly file: string;
  /** Other language codes this voice answers to, e.g. ['en']. */
  readonly otherLanguages: readonly string[];
}

/** One espeak-ng voice variant (a timbre applied on top of a language voice). */
export interface EspeakVariant {
  /** Variant name, e.g. 'female3'. */
  readonly name: string;
  /** Variant file name, e.g. 'f3'; what goes after '+' in `-v`. */
  readonly file: string;
  /** 'M' or 'F' as espeak-ng lists it. */
  readonly gender: string;
}

/** What an espeak-ng installation offers. */
export interface EspeakInfo {
  /** The version line espeak-ng printed. */
  readonly version: string;
  /** Language voices. */
  readonly voices: readonly EspeakVoice[];
  /** Voice variants. */
  readonly variants: readonly EspeakVariant[];
}

/** Longest sentence accepted, in characters (code points). */
export const MAX_SENTENCE_CHARS = 4000;

/** Default synthesis timeout in ms. */
export const DEFAULT_SPEECH_TIMEOUT_MS = 30_000;

/** Default cap on the synthesized WAV in bytes. */
export const DEFAULT_SPEECH_MAX_BYTES = 64 * 1024 * 1024;

/** Variants used for `gender` when the voice names none. */
export const GENDER_VARIANTS: Readonly<Record<'male' | 'female', string>> = { male: 'm3', female: 'f3' };

const DEFAULT_ESPEAK = 'espeak-ng';
const DEFAULT_LOCALE = 'en-us';
const PROBE_TIMEOUT_MS = 10_000;
const HOW_TO_LIST = 'run `espeak-ng --voices` to see the languages and `espeak-ng --voices=variant` to see the variants';

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `path args` with `input` on stdin; never through a shell. */
function run(path: string, args: readonly string[], input: string, timeoutMs: number, maxBytes: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
    const chunks: Buffer[] = [];
    let total = 0;
    let stderr = '';
    let failure: Error | undefined;
    const stop = (err: Error): void => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => stop(new AudioSourceError('timeout', 'speech', `espeak-ng did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        stop(new AudioSourceError('too-large', 'speech', `espeak-ng produced more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    // A synthesizer that exits early closes its stdin; that surfaces in 'close', not here.
    child.stdin.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        reject(
          new UnsupportedError(
            `speech needs espeak-ng, which could not be run as '${path}' (${err.code}); install the espeak-ng package or set espeakPath`,
          ),
        );
      } else {
        reject(new AudioSourceError('synthesis-failed', 'speech', `espeak-ng could not start: ${err.message}`, { cause: err }));
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolvePromise({ code, signal, stdout: Buffer.concat(chunks), stderr: stderr.trim() });
    });
    child.stdin.end(input, 'utf8');
  });
}

/** Splits one line of `espeak-ng --voices` into its columns; the file column may hold spaces. */
function parseVoiceLine(line: string): { language: string; gender: string; name: string; file: string; others: string[] } | undefined {
  const match = /^\s*\d+\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s*$/.exec(line);
  if (!match) return undefined;
  const [, language, ageGender, name, rest] = match;
  const others: string[] = [];
  const trailing = /\(([^\s()]+)\s+\d+\)\s*$/;
  let file = rest;
  for (let m = trailing.exec(file); m; m = trailing.exec(file)) {
    others.unshift(m[1].toLowerCase());
    file = file.slice(0, m.index).trimEnd();
  }
  return { language: language.toLowerCase(), gender: ageGender.split('/')[1] ?? '', name, file, others };
}

const infoCache = new Map<string, Promise<EspeakInfo>>();

async function probe(path: string): Promise<EspeakInfo> {
  const versionRun = await run(path, ['--version'], '', PROBE_TIMEOUT_MS, 1 << 20);
  const version = versionRun.stdout.toString('utf8').trim().split('\n')[0] ?? '';
  if (versionRun.code !== 0 || !/espeak/i.test(version)) {
    throw new UnsupportedError(`'${path}' does not answer --version like espeak-ng; install the espeak-ng package or set espeakPath`);
  }
  const voiceRun = await run(path, ['--voices'], '', PROBE_TIMEOUT_MS, 1 << 22);
  const variantRun = await run(path, ['--voices=variant'], '', PROBE_TIMEOUT_MS, 1 << 22);
  const voices: EspeakVoice[] = [];
  for (const line of voiceRun.stdout.toString('utf8').split('\n').slice(1)) {
    const v = parseVoiceLine(line);
    if (v) voices.push({ language: v.language, name: v.name, file: v.file, otherLanguages: v.others });
  }
  const variants: EspeakVariant[] = [];
  for (const line of variantRun.stdout.toString('utf8').split('\n').slice(1)) {
    const v = parseVoiceLine(line);
    if (v && v.file.startsWith('!v/')) variants.push({ name: v.name, file: v.file.slice(3), gender: v.gender });
  }
  if (voices.length === 0) throw new UnsupportedError(`espeak-ng at '${path}' lists no voices; its data files may be missing`);
  return { version, voices, variants };
}

/**
 * Checks that espeak-ng runs and lists its voices (cached per executable). Throws
 * UnsupportedError, saying to install espeak-ng, when it is absent.
 */
export function espeakInfo(options: Pick<SpeechOptions, 'espeakPath'> = {}): Promise<EspeakInfo> {
  const path = options.espeakPath ?? DEFAULT_ESPEAK;
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('espeakPath must be a non-empty string');
  let info = infoCache.get(path);
  if (!info) {
    info = probe(path);
    infoCache.set(path, info);
    // A failed probe is not remembered: espeak-ng may be installed later.
    info.catch(() => infoCache.delete(path));
  }
  return info;
}

function findVariant(info: EspeakInfo, wanted: string): EspeakVariant | undefined {
  const lower = wanted.toLowerCase().replace(/ /g, '_');
  return info.variants.find((v) => v.name.toLowerCase() === lower || v.file.toLowerCase().replace(/ /g, '_') === lower);
}

function findVoice(info: EspeakInfo, wanted: string): string | undefined {
  const lower = wanted.toLowerCase().replace(/ /g, '_');
  const voice = info.voices.find(
    (v) => v.language === lower || v.name.toLowerCase() === lower || v.file.toLowerCase().replace(/ /g, '_') === lower,
  );
  if (voice) return voice.language === lower ? voice.language : voice.file;
  return info.voices.some((v) => v.otherLanguages.includes(lower)) ? lower : undefined;
}

/** The espeak-ng language for a BCP 47 locale: exact ('en-US' → 'en-us'), else its language ('de-DE' → 'de'). */
function languageForLocale(info: EspeakInfo, locale: string): string {
  if (!/^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{1,8})*$/.test(locale)) {
    throw new InvalidArgumentError(`locale '${locale}' is not a locale like 'en-US'`);
  }
  const normalized = locale.toLowerCase().replace(/_/g, '-');
  const known = (code: string): boolean => info.voices.some((v) => v.language === code || v.otherLanguages.includes(code));
  if (known(normalized)) return normalized;
  const primary = normalized.split('-')[0];
  if (known(primary)) return primary;
  throw new InvalidArgumentError(`no espeak-ng voice for locale '${locale}'; ${HOW_TO_LIST}`);
}

/** The `-v` argument for a request: voice (or the locale's language) plus a variant from voice or gender. */
export async function espeakVoiceArgument(
  request: Pick<SpeechRequest, 'voice' | 'gender' | 'locale'>,
  options: Pick<SpeechOptions, 'espeakPath'> = {},
): Promise<string> {
  const { voice, gender, locale } = request;
  if (gender !== undefined && gender !== 'male' && gender !== 'female') {
    throw new InvalidArgumentError(`gender must be 'male' or 'female', got ${String(gender)}`);
  }
  if (locale !== undefined && typeof locale !== 'string') throw new InvalidArgumentError('locale must be a string');
  if (voice !== undefined && (typeof voice !== 'string' || voice.length === 0 || voice.length > 100)) {
    throw new InvalidArgumentError('voice must be a string of 1..100 characters');
  }
  const info = await espeakInfo(options);

  let language: string | undefined;
  let variant: EspeakVariant | undefined;
  if (voice !== undefined) {
    const [base, variantName, extra] = voice.split('+');
    if (extra !== undefined) throw new InvalidArgumentError(`voice '${voice}' has more than one '+variant'`);
    if (variantName !== undefined) {
      variant = findVariant(info, variantName);
      if (!variant) throw new InvalidArgumentError(`unknown espeak-ng variant '${variantName}'; ${HOW_TO_LIST}`);
    }
    language = base === '' ? undefined : findVoice(info, base);
    if (language === undefined && variant === undefined && base !== '') {
      // A bare variant name ('Annie') speaks the locale's language with that timbre.
      variant = findVariant(info, base);
      if (!variant) throw new InvalidArgumentError(`unknown espeak-ng voice '${voice}'; ${HOW_TO_LIST}`);
    } else if (language === undefined && base !== '') {
      throw new InvalidArgumentError(`unknown espeak-ng voice '${base}'; ${HOW_TO_LIST}`);
    }
  }
  language ??= languageForLocale(info, locale ?? DEFAULT_LOCALE);
  if (!variant && gender !== undefined) variant = findVariant(info, GENDER_VARIANTS[gender]);
  return variant ? `${language}+${variant.file}` : language;
}

function checkSentence(sentence: unknown): string {
  if (typeof sentence !== 'string' || sentence.trim() === '') {
    throw new InvalidArgumentError('sentence must be a non-empty string');
  }
  let chars = 0;
  for (const _ of sentence) chars++;
  if (chars > MAX_SENTENCE_CHARS) {
    throw new InvalidArgumentError(`sentence is ${chars} characters; at most ${MAX_SENTENCE_CHARS} are spoken`);
  }
  if (sentence.includes('\0')) throw new InvalidArgumentError('sentence must not contain NUL characters');
  return sentence;
}

/**
 * Speaks `request.sentence` with espeak-ng and returns mono int16 PCM at `rate` (a conference
 * rate). Throws InvalidArgumentError for bad arguments or an unknown voice/locale,
 * UnsupportedError when espeak-ng is not installed, AudioSourceError when synthesis fails.
 */
export async function synthesizeSpeech(request: SpeechRequest, rate: number, options: SpeechOptions = {}): Promise<Int16Array> {
  if (request === null || typeof request !== 'object') throw new InvalidArgumentError('request must be an object with a sentence');
  const sentence = checkSentence(request.sentence);
  if (typeof rate !== 'number' || !CONFERENCE_RATES.includes(rate)) {
    throw new InvalidArgumentError(`rate must be one of ${CONFERENCE_RATES.join(', ')} Hz, got ${String(rate)}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_SPEECH_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError(`timeoutMs must be a positive number of ms, got ${String(timeoutMs)}`);
  }
  const maxBytes = options.maxBytes ?? DEFAULT_SPEECH_MAX_BYTES;
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes <= 0) {
    throw new InvalidArgumentError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  const wpm = options.wordsPerMinute;
  if (wpm !== undefined && (typeof wpm !== 'number' || !Number.isInteger(wpm) || wpm < 80 || wpm > 450)) {
    throw new InvalidArgumentError(`wordsPerMinute must be an integer in [80, 450], got ${String(wpm)}`);
  }

  const voiceArgument = await espeakVoiceArgument(request, options);
  const args = ['--stdout', '--stdin', '-v', voiceArgument];
  if (wpm !== undefined) args.push('-s', String(wpm));
  const result = await run(options.espeakPath ?? DEFAULT_ESPEAK, args, sentence, timeoutMs, maxBytes);
  if (result.code !== 0) {
    const detail = result.stderr === '' ? `exit ${String(result.code ?? result.signal)}` : result.stderr;
    throw new AudioSourceError('synthesis-failed', 'speech', `espeak-ng failed: ${detail}`);
  }
  const wav = parseWav(new Uint8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength), 'espeak-ng output');
  return resampleAsync(wav.samples, wav.sampleRate, rate);
}
