// The resampler's delay and response, for both filter phases: the engine's minimum-phase filter
// and the linear-phase one it replaced, measured the same way.
import { Resampler, type ResamplerPhase, type ResamplerRate } from '../../src/native/codecs.ts';
import { db, rms, sine, toneAmplitude } from './signal.ts';

/** The conversions a conference of 8 kHz (PCMU) and 48 kHz (Opus) members makes at the default 16 kHz. */
export const RESAMPLER_PAIRS: ReadonlyArray<[ResamplerRate, ResamplerRate]> = [
  [8000, 16000],
  [16000, 8000],
  [48000, 16000],
  [16000, 48000],
  [8000, 48000],
];

/** One conversion with one filter. */
export interface ResamplerFigures {
  inRate: number;
  outRate: number;
  phase: ResamplerPhase;
  /** Group delay at 0.1 × the lower rate (speech's fundamentals and first formants), ms. */
  delayMs: number;
  /** The largest group delay over the passband (to 0.45 × the lower rate), ms. */
  maxPassbandDelayMs: number;
  /** Gain over the passband: the extremes, dB. */
  passbandMinDb: number;
  passbandMaxDb: number;
  /** Least rejection of tones beyond the lower rate's Nyquist (aliases or images), dB. */
  rejectionDb: number;
}

/** Resamples one second of a tone in 20 ms frames; returns the input and output from 200 ms on, 500 ms long. */
function tone(inRate: ResamplerRate, outRate: ResamplerRate, phase: ResamplerPhase, freq: number): { input: Int16Array; output: Int16Array } {
  const resampler = new Resampler(inRate, outRate, phase);
  const input = sine(freq, 16000, inRate, inRate);
  const out = new Int16Array(outRate);
  const frame = inRate / 50;
  for (let at = 0, written = 0; at < input.length; at += frame) {
    const chunk = resampler.process(input.subarray(at, at + frame));
    out.set(chunk, written);
    written += chunk.length;
  }
  return { input: input.subarray(inRate / 5, inRate / 5 + inRate / 2), output: out.subarray(outRate / 5, outRate / 5 + outRate / 2) };
}

/** Phase (radians) of the `freq` component of a tone that started at sample 0 of its stream, read at `start`. */
function phaseAt(samples: Int16Array, freq: number, rate: number, start: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const angle = (2 * Math.PI * freq * (start + i)) / rate;
    re += samples[i] * Math.cos(angle);
    im -= samples[i] * Math.sin(angle);
  }
  return Math.atan2(im, re);
}

/** Group delay at `freq`, ms: the phase slope between two tones 10 Hz apart. */
export function groupDelayMs(inRate: ResamplerRate, outRate: ResamplerRate, phase: ResamplerPhase, freq: number): number {
  const step = 10;
  const phases = [freq - step / 2, freq + step / 2].map((f) => {
    const { output } = tone(inRate, outRate, phase, f);
    return phaseAt(output, f, outRate, outRate / 5);
  });
  let difference = phases[0] - phases[1];
  while (difference > Math.PI) difference -= 2 * Math.PI;
  while (difference < -Math.PI) difference += 2 * Math.PI;
  return (difference / (2 * Math.PI * step)) * 1000;
}

/** Measures one conversion with one filter. */
export function measureResampler(inRate: ResamplerRate, outRate: ResamplerRate, phase: ResamplerPhase): ResamplerFigures {
  const lower = Math.min(inRate, outRate);
  const onGrid = (hz: number): number => Math.round(hz / 10) * 10;
  let passbandMinDb = Infinity;
  let passbandMaxDb = -Infinity;
  let maxPassbandDelayMs = 0;
  for (const fraction of [0.05, 0.1, 0.2, 0.3, 0.4, 0.45]) {
    const freq = onGrid(fraction * lower);
    const { input, output } = tone(inRate, outRate, phase, freq);
    const gain = db(toneAmplitude(output, freq, outRate) / toneAmplitude(input, freq, inRate));
    passbandMinDb = Math.min(passbandMinDb, gain);
    passbandMaxDb = Math.max(passbandMaxDb, gain);
    maxPassbandDelayMs = Math.max(maxPassbandDelayMs, groupDelayMs(inRate, outRate, phase, freq));
  }
  // Downsampling: tones beyond the output's Nyquist, which would fold back. Upsampling: the image
  // at inRate - f of tones across the passband.
  let rejectionDb = Infinity;
  if (outRate < inRate) {
    const nyquist = outRate / 2;
    for (const freq of [nyquist + 20, (nyquist + inRate / 2) / 2, inRate / 2 - 100].map(onGrid)) {
      const { input, output } = tone(inRate, outRate, phase, freq);
      rejectionDb = Math.min(rejectionDb, db(rms(input) / Math.max(rms(output), 1e-9)));
    }
  } else {
    for (const freq of [0.05, 0.25, 0.45].map((fraction) => onGrid(fraction * inRate))) {
      const { output } = tone(inRate, outRate, phase, freq);
      rejectionDb = Math.min(rejectionDb, db(toneAmplitude(output, freq, outRate) / Math.max(toneAmplitude(output, inRate - freq, outRate), 1e-9)));
    }
  }
  return {
    inRate,
    outRate,
    phase,
    delayMs: groupDelayMs(inRate, outRate, phase, onGrid(0.1 * lower)),
    maxPassbandDelayMs,
    passbandMinDb,
    passbandMaxDb,
    rejectionDb,
  };
}

/** Both filters for every pair. */
export function measureResamplers(): ResamplerFigures[] {
  return RESAMPLER_PAIRS.flatMap(([inRate, outRate]) => (['linear', 'minimum'] as const).map((phase) => measureResampler(inRate, outRate, phase)));
}
