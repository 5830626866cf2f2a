// Signal measurements the report makes on decoded audio: tone levels, spectra, onsets.

/** Amplitude of the `freqHz` component of `samples` (Goertzel; a full-scale sine reads 32767). */
export function toneAmplitude(samples: ArrayLike<number>, freqHz: number, rate: number): number {
  const w = (2 * Math.PI * freqHz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2);
  return (2 * Math.sqrt(power)) / samples.length;
}

/** Amplitude of the `freqHz` component of `samples` under a Hann window (a full-scale sine reads
 *  32767). Its side lobes fall 18 dB an octave, so a tone a dozen bins away and the broadband noise
 *  outside the 1.5-bin noise bandwidth stay out of the reading; a plain Goertzel lets a tone
 *  200 Hz off through at about -39 dB over 140 ms. */
export function windowedToneAmplitude(samples: ArrayLike<number>, freqHz: number, rate: number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const w = (2 * Math.PI * freqHz) / rate;
  let re = 0;
  let im = 0;
  let weight = 0;
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    re += samples[i] * hann * Math.cos(w * i);
    im -= samples[i] * hann * Math.sin(w * i);
    weight += hann;
  }
  return (2 * Math.hypot(re, im)) / weight;
}

/** Root mean square of `samples`. */
export function rms(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** 20·log10 of a ratio, floored so silence reads as a finite figure. */
export function db(ratio: number): number {
  return 20 * Math.log10(Math.max(ratio, 1e-9));
}

/** One sine frame loop: `samples` samples of `freqHz` at `amplitude`, starting at phase 0. */
export function sine(freqHz: number, amplitude: number, rate: number, samples: number, offset = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * (offset + i)) / rate));
  return out;
}

/** In-place radix-2 FFT of (re, im); length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Power spectrum (dB) of one Hann-windowed frame, zero-padded to a power of two; bin k is k·rate/size Hz. */
function powerSpectrumDb(frame: ArrayLike<number>, size: number): Float64Array {
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < frame.length; i++) re[i] = frame[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / frame.length));
  fft(re, im);
  const out = new Float64Array(size / 2);
  for (let k = 0; k < size / 2; k++) out[k] = 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-3);
  return out;
}

/** The lag (samples, 0..maxLag) at which `test` best matches `reference` (cross-correlation). */
export function bestLag(reference: Int16Array, test: Int16Array, maxLag: number): number {
  let best = 0;
  let bestScore = -Infinity;
  const span = Math.min(reference.length, test.length - maxLag);
  for (let lag = 0; lag <= maxLag; lag++) {
    let score = 0;
    for (let i = 0; i < span; i++) score += reference[i] * test[i + lag];
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/** How far a coded copy of speech is from the original, measured on 20 ms frames that carry speech. */
export interface SpeechDistance {
  /** Mean log-spectral distance up to `bandHz`, dB (0 is identical; lower is better). */
  lsdDb: number;
  /** Segmental SNR, dB (each frame clamped to -10..35). */
  segmentalSnrDb: number;
}

/** Compares `coded` (delayed by `lag` samples) with `reference`, frame by frame. */
export function speechDistance(reference: Int16Array, coded: Int16Array, lag: number, rate: number, bandHz: number): SpeechDistance {
  const frame = rate / 50;
  let size = 1;
  while (size < frame) size <<= 1;
  const topBin = Math.min(size / 2, Math.floor((bandHz * size) / rate));
  const firstBin = Math.ceil((100 * size) / rate);
  const loud = rms(reference) * 0.3;
  let lsd = 0;
  let snr = 0;
  let frames = 0;
  for (let at = 0; at + frame <= reference.length && at + lag + frame <= coded.length; at += frame) {
    const ref = reference.subarray(at, at + frame);
    if (rms(ref) < loud) continue;
    const test = coded.subarray(at + lag, at + lag + frame);
    const a = powerSpectrumDb(ref, size);
    const b = powerSpectrumDb(test, size);
    let sum = 0;
    for (let k = firstBin; k < topBin; k++) sum += (a[k] - b[k]) ** 2;
    lsd += Math.sqrt(sum / (topBin - firstBin));
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < frame; i++) {
      signal += ref[i] * ref[i];
      noise += (ref[i] - test[i]) ** 2;
    }
    snr += Math.min(35, Math.max(-10, 10 * Math.log10(signal / Math.max(noise, 1))));
    frames++;
  }
  return { lsdDb: lsd / Math.max(1, frames), segmentalSnrDb: snr / Math.max(1, frames) };
}
