// The audio numbers the engine validates against, in plain TypeScript so that importing confmix
// loads no native code. The C++ core holds the same values; test/unit/audio-numbers.test.ts checks
// that the two agree.
import { InvalidArgumentError } from '../errors.ts';

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
/** Lowest talk or listen level (3 dB a step). */
export const LEVEL_MIN = -4;
/** Highest talk or listen level. */
export const LEVEL_MAX = 4;
/** Highest energy threshold (int16 full scale). */
export const ENERGY_LEVEL_MAX = 32767;
/** A conference's gate threshold unless it names one. */
export const DEFAULT_ENERGY_LEVEL = 100;
/** Gate hangover unless named, ms. */
export const DEFAULT_HANGOVER_MS = 500;
/** Longest gate hangover, ms. */
export const HANGOVER_MAX_MS = 60_000;
/** Comfort noise level unless named, dBFS RMS. */
export const DEFAULT_COMFORT_NOISE_DBFS = -60;
/** Quietest comfort noise level, dBFS RMS. */
export const COMFORT_NOISE_MIN_DBFS = -100;
/** Loudest comfort noise level, dBFS RMS. */
export const COMFORT_NOISE_MAX_DBFS = 0;

/** A conference sample rate. */
export type MixerRate = (typeof MIXER_RATES)[number];
/** A tick interval. */
export type MixerIntervalMs = (typeof MIXER_INTERVALS_MS)[number];
/** A DTMF key. */
export type DtmfKey = (typeof DTMF_KEYS)[number];
/** Whether keys act (interpret_digits) or are only reported (passthru_digits). */
export type DigitsMode = 'interpret' | 'passthru';

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

/**
 * The dBFS RMS level of FreeSWITCH's comfort noise for an integer divisor: the RMS of
 * trunc(v / divisor) over every int16 v, each equally likely; null when that is silence.
 */
export function comfortNoiseDbfsFromDivisor(divisor: number): number | null {
  if (divisor === 0) return null;
  let sumSquares = 0;
  for (let v = -32768; v <= 32767; v++) {
    const q = Math.trunc(v / divisor);
    sumSquares += q * q;
  }
  if (sumSquares === 0) return null;
  return 20 * Math.log10(Math.sqrt(sumSquares / 65536) / 32767);
}

/**
 * The dBFS RMS level FreeSWITCH's or Kazoo's `comfort-noise` setting produces: an integer
 * divisor (larger is quieter), `true` for FreeSWITCH's default 1400, and 0 or `false` for off (null).
 */
export function comfortNoiseDbfsFromFreeswitch(value: number | boolean): number | null {
  if (value === false) return null;
  if (value === true) return comfortNoiseDbfsFromDivisor(FREESWITCH_DEFAULT_COMFORT_NOISE);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`comfort-noise must be true, false or an integer divisor >= 0, got ${String(value)}`);
  }
  return comfortNoiseDbfsFromDivisor(value);
}
