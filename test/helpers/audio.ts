// Audio measurement and test-signal helpers shared by the test suites.

/** int16 full scale used for dBFS figures. */
export const FULL_SCALE = 32767;

/** Anything indexable holding samples. */
export type Samples = ArrayLike<number>;

/**
 * Amplitude of the sinusoid at `freqHz` in `samples` (Goertzel). Exact for a tone with a whole
 * number of cycles in the window; other such tones contribute nothing.
 */
export function goertzelAmplitude(samples: Samples, freqHz: number, rate: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freqHz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.sqrt(re * re + im * im)) / n;
}

/** Goertzel power at `freqHz`: the squared amplitude of that tone. */
export function goertzelPower(samples: Samples, freqHz: number, rate: number): number {
  const a = goertzelAmplitude(samples, freqHz, rate);
  return a * a;
}

/** Level of the tone at `freqHz`, dB re full-scale amplitude (-Infinity when absent). */
export function toneDbfs(samples: Samples, freqHz: number, rate: number): number {
  return 20 * Math.log10(goertzelAmplitude(samples, freqHz, rate) / FULL_SCALE);
}

/** Root mean square of the samples. */
export function rms(samples: Samples): number {
  if (samples.length === 0) return 0;
  let acc = 0;
  for (let i = 0; i < samples.length; i++) acc += samples[i] * samples[i];
  return Math.sqrt(acc / samples.length);
}

/** RMS in dBFS (re 32767); -Infinity for silence. */
export function rmsDbfs(samples: Samples): number {
  return 20 * Math.log10(rms(samples) / FULL_SCALE);
}

/** Largest absolute sample. */
export function peak(samples: Samples): number {
  let p = 0;
  for (let i = 0; i < samples.length; i++) p = Math.max(p, Math.abs(samples[i]));
  return p;
}

/** Mean absolute sample, rounded down: the mixer's energy score. */
export function energyScore(samples: Samples): number {
  if (samples.length === 0) return 0;
  let acc = 0;
  for (let i = 0; i < samples.length; i++) acc += Math.abs(samples[i]);
  return Math.min(32767, Math.floor(acc / samples.length));
}

/** An amplitude ratio in dB. */
export function ratioDb(a: number, b: number): number {
  return 20 * Math.log10(a / b);
}

/** True when every sample is 0. */
export function isSilent(samples: Samples): boolean {
  for (let i = 0; i < samples.length; i++) if (samples[i] !== 0) return false;
  return true;
}

/** Joins frames into one buffer. */
export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** A sine source that keeps its phase across frames. */
export class ToneGenerator {
  #phase: number;
  readonly #step: number;

  /** A tone of `freqHz` and peak `amplitude` at `rate`, starting at `phase` radians. */
  constructor(
    readonly freqHz: number,
    readonly amplitude: number,
    readonly rate: number,
    phase = 0,
  ) {
    this.#phase = phase;
    this.#step = (2 * Math.PI * freqHz) / rate;
  }

  /** The next `samples` samples, rounded to int16. */
  next(samples: number): Int16Array {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++) {
      out[i] = Math.round(this.amplitude * Math.sin(this.#phase));
      this.#phase += this.#step;
    }
    this.#phase %= 2 * Math.PI;
    return out;
  }
}

/** One block of a sine tone. */
export function sine(freqHz: number, amplitude: number, rate: number, samples: number): Int16Array {
  return new ToneGenerator(freqHz, amplitude, rate).next(samples);
}

/** A frame alternating +level, -level: its energy score is exactly `level`. */
export function constantEnergyFrame(level: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = i % 2 === 0 ? level : -level;
  return out;
}

/** A deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform white noise with integer samples in [-peakValue, peakValue]. */
export function whiteNoise(samples: number, peakValue: number, random: () => number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round((random() * 2 - 1) * peakValue);
  return out;
}

/**
 * Levels (dBFS) of the tone at `freqHz` in consecutive windows of `windowMs`. Unlike one
 * Goertzel over a long span, each window's level ignores the tone's phase elsewhere, so a
 * jitter buffer that holds or drops a frame (a phase step in a steady tone) moves one window,
 * not the whole measurement.
 */
export function toneLevelsDbfs(samples: ArrayLike<number> & { length: number }, freqHz: number, rate: number, windowMs = 100): number[] {
  const size = Math.round((rate * windowMs) / 1000);
  const levels: number[] = [];
  for (let start = 0; start + size <= samples.length; start += size) {
    levels.push(toneDbfs(Array.prototype.slice.call(samples, start, start + size) as number[], freqHz, rate));
  }
  return levels;
}

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
