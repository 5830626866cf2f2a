// Synthetic tones: the built-in entry/exit/join/leaving tones and a generator for others.
// Levels follow AES17: 0 dBFS is the RMS of a full-scale sine.

import { InvalidArgumentError } from '../errors.ts';
import { CONFERENCE_RATES } from './resample.ts';

/** Names of the built-in tones. */
export type BuiltInToneName = 'entry' | 'exit' | 'join' | 'leaving';

/** One note of a built-in tone: frequencies played together, then a silent gap. */
export interface ToneNote {
  /** Frequencies in Hz summed into the note. */
  readonly freqs: readonly number[];
  /** Note length in ms, ramps included. */
  readonly durationMs: number;
  /** Silence after the note in ms. */
  readonly gapMs: number;
}

/** Level of every built-in tone in dBFS: clearly audible, well below a talker at full voice. */
export const BUILT_IN_TONE_LEVEL_DBFS = -16;

/** Length of the raised-cosine fade at each end of a note, unless told otherwise. */
export const DEFAULT_RAMP_MS = 5;

/** The notes of each built-in tone: entry and join rise, exit and leaving fall. */
export const BUILT_IN_TONES: Readonly<Record<BuiltInToneName, readonly ToneNote[]>> = {
  // Someone entered: two short rising beeps, heard by the others.
  entry: [
    { freqs: [440], durationMs: 100, gapMs: 50 },
    { freqs: [660], durationMs: 100, gapMs: 0 },
  ],
  // Someone left: the same beeps falling.
  exit: [
    { freqs: [660], durationMs: 100, gapMs: 50 },
    { freqs: [440], durationMs: 100, gapMs: 0 },
  ],
  // You joined: a rising three-note arpeggio (4:5:6, a major triad), heard by the joiner.
  join: [
    { freqs: [440], durationMs: 80, gapMs: 30 },
    { freqs: [550], durationMs: 80, gapMs: 30 },
    { freqs: [660], durationMs: 120, gapMs: 0 },
  ],
  // You are leaving: the arpeggio falling, heard by the one leaving.
  leaving: [
    { freqs: [660], durationMs: 80, gapMs: 30 },
    { freqs: [550], durationMs: 80, gapMs: 30 },
    { freqs: [440], durationMs: 120, gapMs: 0 },
  ],
};

const MAX_TONE_MS = 60_000;
const MAX_FREQS = 8;

function checkRate(rate: unknown): number {
  if (typeof rate !== 'number' || !CONFERENCE_RATES.includes(rate)) {
    throw new InvalidArgumentError(`rate must be one of ${CONFERENCE_RATES.join(', ')} Hz, got ${String(rate)}`);
  }
  return rate;
}

function checkDuration(name: string, ms: unknown, allowZero: boolean): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0) || ms > MAX_TONE_MS) {
    throw new InvalidArgumentError(`${name} must be a number of ms in ${allowZero ? '[0' : '(0'}, ${MAX_TONE_MS}], got ${String(ms)}`);
  }
  return ms;
}

/** Samples in `durationMs` at `rate`, rounded to the nearest sample. */
export function samplesFor(durationMs: number, rate: number): number {
  return Math.round((durationMs * rate) / 1000);
}

/** `durationMs` of digital silence at `rate`. */
export function silence(durationMs: number, rate: number): Int16Array {
  return new Int16Array(samplesFor(checkDuration('durationMs', durationMs, true), checkRate(rate)));
}

/**
 * Sums sines at `freqs` (Hz) for `durationMs` at `rate`, at a total RMS of `levelDbfs` (AES17:
 * 0 dBFS = a full-scale sine), with raised-cosine fades of `rampMs` at both ends so it starts and
 * stops without a click. The sum's peak must fit in int16: at most -10·log10(freqs.length) dBFS.
 */
export function tone(
  freqs: number | readonly number[],
  durationMs: number,
  rate: number,
  levelDbfs: number,
  options: { rampMs?: number } = {},
): Int16Array {
  checkRate(rate);
  checkDuration('durationMs', durationMs, false);
  const list = typeof freqs === 'number' ? [freqs] : freqs;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_FREQS) {
    throw new InvalidArgumentError(`freqs must be a frequency or 1..${MAX_FREQS} frequencies in Hz`);
  }
  for (const f of list) {
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f >= rate / 2) {
      throw new InvalidArgumentError(`each frequency must be above 0 and below ${rate / 2} Hz at ${rate} Hz, got ${String(f)}`);
    }
  }
  const ceilingDbfs = -10 * Math.log10(list.length);
  if (typeof levelDbfs !== 'number' || !Number.isFinite(levelDbfs) || levelDbfs > ceilingDbfs + 1e-9 || levelDbfs < -120) {
    throw new InvalidArgumentError(
      `levelDbfs must be in [-120, ${ceilingDbfs.toFixed(2)}] for ${list.length} frequenc${list.length === 1 ? 'y' : 'ies'}, got ${String(levelDbfs)}`,
    );
  }
  const rampMs = checkDuration('rampMs', options.rampMs ?? DEFAULT_RAMP_MS, true);

  const length = samplesFor(durationMs, rate);
  // Equal amplitudes whose RMS adds up to the requested level; peak = sqrt(n) × that level's sine peak.
  const amplitude = (32767 * 10 ** (levelDbfs / 20)) / Math.sqrt(list.length);
  const sum = new Float64Array(length);
  for (const f of list) {
    const radiansPerSample = (2 * Math.PI * f) / rate;
    for (let i = 0; i < length; i++) sum[i] += amplitude * Math.sin(radiansPerSample * i);
  }

  // Fades no longer than half the tone, so the two never overlap.
  const rampSamples = Math.min(samplesFor(rampMs, rate), Math.floor(length / 2));
  for (let i = 0; i < rampSamples; i++) {
    const gain = 0.5 - 0.5 * Math.cos((Math.PI * i) / rampSamples);
    sum[i] *= gain;
    sum[length - 1 - i] *= gain;
  }

  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const s = Math.round(sum[i]);
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}

/** Joins PCM pieces end to end. */
export function concatPcm(pieces: readonly Int16Array[]): Int16Array {
  let total = 0;
  for (const p of pieces) total += p.length;
  const out = new Int16Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One of the built-in tones (BUILT_IN_TONES) at `rate`, at BUILT_IN_TONE_LEVEL_DBFS; a fresh copy each call. */
export function builtInTone(name: BuiltInToneName, rate: number): Int16Array {
  if (typeof name !== 'string' || !Object.hasOwn(BUILT_IN_TONES, name)) {
    throw new InvalidArgumentError(`unknown built-in tone ${String(name)}; expected one of ${Object.keys(BUILT_IN_TONES).join(', ')}`);
  }
  checkRate(rate);
  const pieces: Int16Array[] = [];
  for (const note of BUILT_IN_TONES[name]) {
    pieces.push(tone(note.freqs, note.durationMs, rate, BUILT_IN_TONE_LEVEL_DBFS));
    if (note.gapMs > 0) pieces.push(silence(note.gapMs, rate));
  }
  return concatPcm(pieces);
}
