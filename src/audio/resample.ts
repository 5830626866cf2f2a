// One-shot sample-rate conversion of a whole decoded file (done once per file, never per tick).
// A polyphase windowed-sinc (Kaiser) filter evaluated at exact rational positions: the
// conversion ratio is reduced to L:M (44.1 kHz -> 48 kHz is 160:147), so every output sample
// falls on one of L precomputed phases and no coefficient is interpolated.

import { InvalidArgumentError } from '../errors.ts';

/** Sample rates a source file may have. */
export const SOURCE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** Sample rates a conference may run at (what a source is converted to). */
export const CONFERENCE_RATES: readonly number[] = [8000, 16000, 24000, 32000, 48000];

/** Passband edge as a fraction of the lower of the two rates: flat to ±0.1 dB up to here. */
export const PASSBAND_EDGE = 0.45;

/** Stopband edge as a fraction of the lower rate: everything from the lower Nyquist up is rejected. */
export const STOPBAND_EDGE = 0.5;

/** Kaiser design attenuation in dB; a few dB over the 60 dB promise covers the formula's error. */
const DESIGN_ATTENUATION_DB = 66;

/** A designed converter between two rates: the phase table and its shape. */
export interface ResamplerDesign {
  /** Input rate in Hz. */
  readonly fromRate: number;
  /** Output rate in Hz. */
  readonly toRate: number;
  /** Upsampling factor of the reduced ratio (number of phases). */
  readonly phases: number;
  /** Decimation factor of the reduced ratio (input samples advanced per L outputs). */
  readonly step: number;
  /** Taps per phase (input samples read per output sample). */
  readonly tapsPerPhase: number;
  /** Phase-major coefficients: phase p occupies [p * tapsPerPhase, (p + 1) * tapsPerPhase). */
  readonly coefficients: Float64Array;
}

const designCache = new Map<string, ResamplerDesign>();

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for beta < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterX2 = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= quarterX2 / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function checkRate(name: string, rate: unknown, allowed: readonly number[]): number {
  if (typeof rate !== 'number' || !allowed.includes(rate)) {
    throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')} Hz, got ${String(rate)}`);
  }
  return rate;
}

/** Designs (or returns the cached) converter from `fromRate` to `toRate`, both in SOURCE_RATES. */
export function designResampler(fromRate: number, toRate: number): ResamplerDesign {
  checkRate('fromRate', fromRate, SOURCE_RATES);
  checkRate('toRate', toRate, SOURCE_RATES);
  const key = `${fromRate}:${toRate}`;
  const cached = designCache.get(key);
  if (cached) return cached;

  const divisor = gcd(fromRate, toRate);
  const phases = toRate / divisor;
  const step = fromRate / divisor;
  const lowerRate = Math.min(fromRate, toRate);

  // Cutoff halfway through the transition band; Kaiser length and shape from the standard formulas.
  const cutoffHz = ((PASSBAND_EDGE + STOPBAND_EDGE) / 2) * lowerRate;
  const transitionRadPerLowerSample = 2 * Math.PI * (STOPBAND_EDGE - PASSBAND_EDGE);
  const lengthInLowerSamples = (DESIGN_ATTENUATION_DB - 8) / (2.285 * transitionRadPerLowerSample);
  const beta = 0.1102 * (DESIGN_ATTENUATION_DB - 8.7);
  const halfWidth = (lengthInLowerSamples / 2) * (fromRate / lowerRate); // in input samples
  const halfTaps = 2 * Math.ceil(halfWidth / 2); // even, so taps come in groups of four
  const tapsPerPhase = 2 * halfTaps;
  const cutoffPerInputSample = cutoffHz / fromRate;
  const windowNorm = besselI0(beta);

  const coefficients = new Float64Array(phases * tapsPerPhase);
  for (let p = 0; p < phases; p++) {
    const base = p * tapsPerPhase;
    let sum = 0;
    for (let m = 0; m < tapsPerPhase; m++) {
      // Distance in input samples from the output instant to the tap's input sample.
      const u = p / phases + halfTaps - 1 - m;
      const r = u / halfWidth;
      let c = 0;
      if (r > -1 && r < 1) {
        const x = 2 * cutoffPerInputSample * u;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        c = 2 * cutoffPerInputSample * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / windowNorm);
      }
      coefficients[base + m] = c;
      sum += c;
    }
    // Unity DC gain on every phase, so a constant stays exactly constant.
    for (let m = 0; m < tapsPerPhase; m++) coefficients[base + m] /= sum;
  }

  const design: ResamplerDesign = { fromRate, toRate, phases, step, tapsPerPhase, coefficients };
  designCache.set(key, design);
  return design;
}

/** Number of output samples `resample` produces for `inputLength` samples. */
export function resampledLength(inputLength: number, fromRate: number, toRate: number): number {
  const divisor = gcd(fromRate, toRate);
  return Math.ceil((inputLength * (toRate / divisor)) / (fromRate / divisor));
}

/** Work per slice of resampleAsync, in multiply-adds: a few ms, so the event loop keeps turning. */
const MACS_PER_SLICE = 2_000_000;

/** Input copied into doubles with zero padding on both sides, so the inner loop needs no edge checks. */
function padInput(input: Int16Array, tapsPerPhase: number): Float64Array {
  const padded = new Float64Array(input.length + tapsPerPhase + 1);
  padded.set(input, tapsPerPhase / 2);
  return padded;
}

/** Computes output samples [first, end) into `output`. */
function resampleRange(design: ResamplerDesign, padded: Float64Array, output: Int16Array, first: number, end: number): void {
  const { phases, step, tapsPerPhase, coefficients } = design;
  // Output n sits at input time n * step / phases: whole part inputIndex, fraction phase / phases.
  let inputIndex = Math.floor((first * step) / phases);
  let phase = first * step - inputIndex * phases;
  for (let n = first; n < end; n++) {
    let coefIndex = phase * tapsPerPhase;
    const coefEnd = coefIndex + tapsPerPhase;
    let dataIndex = inputIndex + 1;
    // Four independent sums: the adds pipeline instead of waiting on one another.
    let acc0 = 0;
    let acc1 = 0;
    let acc2 = 0;
    let acc3 = 0;
    for (; coefIndex < coefEnd; coefIndex += 4, dataIndex += 4) {
      acc0 += padded[dataIndex] * coefficients[coefIndex];
      acc1 += padded[dataIndex + 1] * coefficients[coefIndex + 1];
      acc2 += padded[dataIndex + 2] * coefficients[coefIndex + 2];
      acc3 += padded[dataIndex + 3] * coefficients[coefIndex + 3];
    }
    const rounded = Math.round(acc0 + acc1 + (acc2 + acc3));
    output[n] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;

    phase += step;
    const carry = (phase / phases) | 0;
    inputIndex += carry;
    phase -= carry * phases;
  }
}

function checkInput(input: unknown): asserts input is Int16Array {
  if (!(input instanceof Int16Array)) throw new InvalidArgumentError('resample input must be an Int16Array');
}

/**
 * Converts mono int16 PCM from `fromRate` to `toRate` (both in SOURCE_RATES), in one go. Zero-phase:
 * output sample n sits at input time n * fromRate / toRate. Returns a copy when the rates are equal.
 */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  checkInput(input);
  const design = designResampler(fromRate, toRate);
  if (fromRate === toRate) return input.slice();
  const output = new Int16Array(resampledLength(input.length, fromRate, toRate));
  resampleRange(design, padInput(input, design.tapsPerPhase), output, 0, output.length);
  return output;
}

/**
 * Same result as `resample`, computed in slices of a few ms with the event loop served between
 * them, so converting a long file does not stall the thread's other work (a shard's legs).
 */
export async function resampleAsync(input: Int16Array, fromRate: number, toRate: number): Promise<Int16Array> {
  checkInput(input);
  const design = designResampler(fromRate, toRate);
  if (fromRate === toRate) return input.slice();
  const output = new Int16Array(resampledLength(input.length, fromRate, toRate));
  const padded = padInput(input, design.tapsPerPhase);
  const slice = Math.max(1, Math.ceil(MACS_PER_SLICE / design.tapsPerPhase));
  for (let first = 0; first < output.length; first += slice) {
    if (first > 0) await new Promise<void>((resolveSlice) => setImmediate(resolveSlice));
    resampleRange(design, padded, output, first, Math.min(output.length, first + slice));
  }
  return output;
}
