// The polyphase resampler, measured: passband flatness, alias and image rejection, delay (the
// minimum-phase filter's, and the same magnitude as the linear-phase one), and seamless
// frame-by-frame processing, for every pair of rates.
import { describe, expect, it } from 'vitest';
import { RESAMPLER_RATES, Resampler, type ResamplerPhase, type ResamplerRate } from '../../src/native/codecs.ts';
import { groupDelayMs } from '../../bench/report/resampler.ts';
import { goertzelAmplitude, rms, seededRandom, sine, whiteNoise } from '../helpers/audio.ts';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });
const AMPLITUDE = 16000;

const PAIRS = RESAMPLER_RATES.flatMap((inRate) =>
  RESAMPLER_RATES.filter((outRate) => outRate !== inRate).map((outRate) => ({ inRate, outRate })),
);
const DOWN = PAIRS.filter((p) => p.outRate < p.inRate);
const UP = PAIRS.filter((p) => p.outRate > p.inRate);

/** Frequencies on a 4 Hz grid, so a 250 ms window holds whole cycles of each (and its images). */
function onGrid(hz: number): number {
  return Math.round(hz / 4) * 4;
}

/** Resamples 500 ms of a tone in 20 ms frames; returns the 250 ms from 100 ms on (past the delay). */
function resampleTone(
  inRate: ResamplerRate,
  outRate: ResamplerRate,
  freq: number,
  phase: ResamplerPhase = 'minimum',
): { input: Int16Array; output: Int16Array } {
  const resampler = new Resampler(inRate, outRate, phase);
  const input = sine(freq, AMPLITUDE, inRate, inRate / 2);
  const frame = inRate / 50;
  const frames: Int16Array[] = [];
  for (let at = 0; at < input.length; at += frame) frames.push(resampler.process(input.subarray(at, at + frame)));
  const output = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    output.set(f, at);
    at += f.length;
  }
  expect(output.length).toBe(outRate / 2);
  return {
    input: input.subarray(inRate / 10, inRate / 10 + inRate / 4),
    output: output.subarray(outRate / 10, outRate / 10 + outRate / 4),
  };
}

describe.each(PAIRS)('$inRate Hz -> $outRate Hz', ({ inRate, outRate }) => {
  const lower = Math.min(inRate, outRate);

  it('passes tones up to 0.45 x the lower rate within ±0.1 dB', () => {
    for (const fraction of [0.02, 0.1, 0.2, 0.3, 0.4, 0.45]) {
      const freq = onGrid(fraction * lower);
      const { input, output } = resampleTone(inRate, outRate, freq);
      const gainDb = 20 * Math.log10(goertzelAmplitude(output, freq, outRate) / goertzelAmplitude(input, freq, inRate));
      expect(Math.abs(gainDb), `${freq} Hz: ${gainDb.toFixed(3)} dB`).toBeLessThanOrEqual(0.1);
    }
  });

  it('delays by 2 ms at most over the whole passband, and low frequencies by the reported delay', () => {
    for (const fraction of [0.05, 0.1, 0.2, 0.3, 0.4, 0.45]) {
      const delayMs = groupDelayMs(inRate, outRate, 'minimum', fraction * lower);
      expect(delayMs, `${fraction} x ${lower} Hz`).toBeLessThanOrEqual(2);
      expect(delayMs).toBeGreaterThan(0);
    }
    const reportedMs = (new Resampler(inRate, outRate).delay / outRate) * 1000;
    expect(Math.abs(groupDelayMs(inRate, outRate, 'minimum', 0.05 * lower) - reportedMs)).toBeLessThanOrEqual(0.05);
  });

  it('puts an impulse out within 2 ms, where the linear-phase filter took 5', () => {
    const peakMs = (phase: 'minimum' | 'linear'): number => {
      const impulse = new Int16Array(inRate / 50);
      impulse[0] = 30000;
      const response = new Resampler(inRate, outRate, phase).process(impulse);
      let peakAt = 0;
      for (let i = 1; i < response.length; i++) if (Math.abs(response[i]) > Math.abs(response[peakAt])) peakAt = i;
      return (peakAt / outRate) * 1000;
    };
    expect(peakMs('minimum')).toBeLessThanOrEqual(2);
    expect(Math.abs(peakMs('linear') - (new Resampler(inRate, outRate, 'linear').delay / outRate) * 1000)).toBeLessThanOrEqual(1000 / outRate);
    // The linear-phase filter's delay: 40 samples of the lower rate (5 ms at 8 kHz).
    expect((new Resampler(inRate, outRate, 'linear').delay / outRate) * lower).toBeCloseTo(39.5, 0);
  });

  it('has the linear-phase filter\'s magnitude: the same gain at every tone within 0.01 dB', () => {
    for (const fraction of [0.05, 0.25, 0.45]) {
      const freq = onGrid(fraction * lower);
      const gains = (['minimum', 'linear'] as const).map((phase) => {
        const { input, output } = resampleTone(inRate, outRate, freq, phase);
        return 20 * Math.log10(goertzelAmplitude(output, freq, outRate) / goertzelAmplitude(input, freq, inRate));
      });
      expect(Math.abs(gains[0] - gains[1]), `${freq} Hz`).toBeLessThanOrEqual(0.01);
    }
  });

  it('processes frame by frame exactly as in one call, however the input is split', () => {
    const noise = whiteNoise(inRate / 5, 20000, seededRandom(inRate + outRate)); // 200 ms
    const whole = new Resampler(inRate, outRate).process(noise);
    expect(whole.length).toBe(outRate / 5);
    const splits = [inRate / 100, inRate / 50, 7]; // 10 ms, 20 ms, and pieces that are no whole ms
    for (const size of splits) {
      const resampler = new Resampler(inRate, outRate);
      const parts: number[] = [];
      for (let at = 0; at < noise.length; at += size) parts.push(...resampler.process(noise.subarray(at, at + size)));
      expect(parts.length).toBe(whole.length);
      expect(Int16Array.from(parts)).toEqual(whole);
    }
  });

  it('gives exactly ms x rate / 1000 samples for each whole-millisecond frame', () => {
    const resampler = new Resampler(inRate, outRate);
    for (const ms of [10, 20, 40, 60, 20, 10]) {
      expect(resampler.process(new Int16Array((inRate / 1000) * ms)).length).toBe((outRate / 1000) * ms);
    }
  });

  it('passes a constant exactly once the filter has filled', () => {
    const out = new Resampler(inRate, outRate).process(new Int16Array(inRate / 10).fill(12345));
    expect(Array.from(out.subarray(out.length / 2)).every((v) => v === 12345)).toBe(true);
  });
});

describe.each(DOWN)('$inRate Hz -> $outRate Hz aliasing', ({ inRate, outRate }) => {
  it('rejects tones between the output and input Nyquist by at least 60 dB', () => {
    const nyquistOut = outRate / 2;
    const nyquistIn = inRate / 2;
    const tones = [nyquistOut + 4, nyquistOut + 100, (nyquistOut + nyquistIn) / 2, nyquistIn - 100].map(onGrid);
    for (const freq of tones) {
      const { input, output } = resampleTone(inRate, outRate, freq);
      const rejectionDb = 20 * Math.log10(rms(input) / rms(output));
      expect(rejectionDb, `${freq} Hz`).toBeGreaterThanOrEqual(60);
    }
  });
});

describe.each(UP)('$inRate Hz -> $outRate Hz images', ({ inRate, outRate }) => {
  it('keeps everything but the tone (images) at least 60 dB down', () => {
    for (const fraction of [0.05, 0.25, 0.45]) {
      const freq = onGrid(fraction * inRate);
      const { input, output } = resampleTone(inRate, outRate, freq);
      const toneAmplitude = goertzelAmplitude(output, freq, outRate);
      // Output power not at the tone: the images at k x inRate ± freq and anything else.
      const residualPower = rms(output) ** 2 - toneAmplitude ** 2 / 2;
      const inputPower = goertzelAmplitude(input, freq, inRate) ** 2 / 2;
      const rejectionDb = 10 * Math.log10(inputPower / Math.max(residualPower, 1e-9));
      expect(rejectionDb, `${freq} Hz`).toBeGreaterThanOrEqual(60);
      // And the nearest image on its own, by Goertzel.
      const image = goertzelAmplitude(output, inRate - freq, outRate);
      expect(20 * Math.log10(toneAmplitude / image)).toBeGreaterThanOrEqual(60);
    }
  });
});

describe('identity and argument checks', () => {
  it.each(RESAMPLER_RATES)('copies %i Hz to the same rate unchanged, with no delay', (rate) => {
    const resampler = new Resampler(rate, rate);
    const noise = whiteNoise(rate / 50, 32767, seededRandom(rate));
    expect(resampler.process(noise)).toEqual(noise);
    expect(resampler.delay).toBe(0);
  });

  it('rejects unsupported rates', () => {
    expect(() => new Resampler(44100 as ResamplerRate, 48000)).toThrow(invalid);
    expect(() => new Resampler(8000, 0 as ResamplerRate)).toThrow(invalid);
    expect(() => new Resampler('8000' as unknown as ResamplerRate, 16000)).toThrow(invalid);
    expect(() => new Resampler(8000, 16000, 'sharp' as ResamplerPhase)).toThrow(invalid);
  });

  it('a rejected call changes nothing: the stream continues as if it never happened', () => {
    const noise = whiteNoise(320, 20000, seededRandom(7));
    const clean = new Resampler(16000, 48000);
    const probed = new Resampler(16000, 48000);
    const first = clean.process(noise.subarray(0, 160));
    expect(probed.process(noise.subarray(0, 160))).toEqual(first);
    expect(() => probed.process(new Float32Array(160) as unknown as Int16Array)).toThrow(invalid);
    expect(() => probed.process(undefined as unknown as Int16Array)).toThrow(invalid);
    expect(probed.process(noise.subarray(160))).toEqual(clean.process(noise.subarray(160)));
  });

  it('reset() starts a new stream', () => {
    const noise = whiteNoise(320, 20000, seededRandom(9));
    const resampler = new Resampler(48000, 8000);
    const first = resampler.process(noise);
    resampler.process(noise);
    resampler.reset();
    expect(resampler.process(noise)).toEqual(first);
  });
});
