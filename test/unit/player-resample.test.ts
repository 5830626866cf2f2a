import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { designResampler, resample, resampleAsync, resampledLength } from '../../src/audio/resample.ts';
import { db, goertzelAmplitude, sine } from './player-helpers.ts';

const AMPLITUDE = 16000;

/** Goertzel amplitude at `freq` over exactly one second of output, starting a quarter second in. */
function measure(output: Int16Array, freq: number, rate: number): number {
  return goertzelAmplitude(output, freq, rate, Math.round(rate / 4), rate);
}

/** Where a tone at `freq` lands after sampling at `rate` (folding about multiples of rate / 2). */
function folded(freq: number, rate: number): number {
  const f = freq % rate;
  return f > rate / 2 ? rate - f : f;
}

describe('resample: passband', () => {
  const pairs: Array<[number, number]> = [
    [44100, 48000],
    [48000, 8000],
    [8000, 48000],
    [22050, 16000],
    [11025, 8000],
    [32000, 24000],
    [12000, 16000],
    [24000, 32000],
  ];
  for (const [from, to] of pairs) {
    it(`${from} -> ${to} Hz is flat to ±0.1 dB up to 0.45 × the lower rate`, () => {
      const lower = Math.min(from, to);
      for (const fraction of [0.02, 0.1, 0.25, 0.4, 0.45]) {
        const freq = Math.floor(fraction * lower);
        const out = resample(sine(freq, from, 1.5, AMPLITUDE), from, to);
        const gainDb = db(measure(out, freq, to), AMPLITUDE);
        expect(Math.abs(gainDb), `${freq} Hz: ${gainDb.toFixed(4)} dB`).toBeLessThan(0.1);
      }
    });
  }
});

describe('resample: alias and image rejection', () => {
  it('rejects tones above the output Nyquist by at least 60 dB when downsampling', () => {
    const cases: Array<[number, number, number[]]> = [
      [48000, 8000, [4000, 4100, 5000, 7000, 9000, 13000, 19000, 23900]],
      [44100, 16000, [8000, 8050, 9000, 12000, 15000, 21000]],
      [48000, 32000, [16000, 16100, 18000, 20000, 23900]],
      [22050, 16000, [8000, 8100, 9000, 10000, 11000]],
      [11025, 8000, [4000, 4100, 4500, 5000, 5500]],
    ];
    for (const [from, to, freqs] of cases) {
      for (const freq of freqs) {
        const out = resample(sine(freq, from, 1.5, AMPLITUDE), from, to);
        const alias = folded(freq, to);
        const level = db(measure(out, alias, to), AMPLITUDE);
        expect(level, `${from}->${to}: ${freq} Hz aliased to ${alias} Hz at ${level.toFixed(1)} dB`).toBeLessThan(-60);
      }
    }
  });

  it('rejects the images of an upsampled tone by at least 60 dB', () => {
    const cases: Array<[number, number, number]> = [
      [8000, 48000, 1000],
      [8000, 48000, 3600],
      [16000, 48000, 7000],
      [44100, 48000, 19000],
      [11025, 16000, 4900],
    ];
    for (const [from, to, freq] of cases) {
      const out = resample(sine(freq, from, 1.5, AMPLITUDE), from, to);
      expect(db(measure(out, freq, to), AMPLITUDE)).toBeGreaterThan(-0.1);
      for (let k = 1; k * from - freq < to * 2; k++) {
        for (const image of [k * from - freq, k * from + freq]) {
          const at = folded(image, to);
          if (at === freq) continue;
          const level = db(measure(out, at, to), AMPLITUDE);
          expect(level, `${from}->${to}: image of ${freq} Hz at ${at} Hz is ${level.toFixed(1)} dB`).toBeLessThan(-60);
        }
      }
    }
  });
});

describe('resample: shape', () => {
  it('reduces 44.1 kHz to 48 kHz as 160:147', () => {
    const design = designResampler(44100, 48000);
    expect(design.phases).toBe(160);
    expect(design.step).toBe(147);
  });

  it('produces ceil(n × to / from) samples', () => {
    for (const [from, to, n] of [
      [44100, 48000, 44100],
      [44100, 48000, 1],
      [48000, 8000, 7],
      [8000, 48000, 3],
      [22050, 8000, 22051],
    ]) {
      expect(resample(new Int16Array(n), from, to).length).toBe(Math.ceil((n * to) / from));
      expect(resampledLength(n, from, to)).toBe(Math.ceil((n * to) / from));
    }
  });

  it('keeps a constant exactly constant away from the edges', () => {
    const out = resample(new Int16Array(4410).fill(-12345), 44100, 48000);
    const middle = Array.from(out.subarray(200, out.length - 200));
    expect(new Set(middle)).toEqual(new Set([-12345]));
  });

  it('keeps time: an impulse lands at the same instant', () => {
    const input = new Int16Array(1600);
    input[800] = 20000; // 100 ms in at 8 kHz
    const out = resample(input, 8000, 48000);
    let peakAt = 0;
    for (let i = 1; i < out.length; i++) if (out[i] > out[peakAt]) peakAt = i;
    expect(peakAt).toBe(4800);
  });

  it('copies at equal rates', () => {
    const input = Int16Array.from([1, -2, 3]);
    const out = resample(input, 16000, 16000);
    expect(Array.from(out)).toEqual([1, -2, 3]);
    expect(out).not.toBe(input);
  });

  it('never wraps a full-scale square wave', () => {
    const square = new Int16Array(2000);
    for (let i = 0; i < square.length; i++) square[i] = (i >> 4) % 2 === 0 ? 32767 : -32768;
    const out = resample(square, 16000, 48000);
    // Gibbs overshoot is clamped, so the sign follows the input everywhere near the plateaus.
    let wrapped = 0;
    for (let i = 0; i < out.length; i++) {
      const source = square[Math.min(square.length - 1, Math.floor(i / 3))];
      if (i % 48 > 6 && i % 48 < 42 && Math.sign(out[i]) !== Math.sign(source)) wrapped++;
    }
    expect(wrapped).toBe(0);
  });

  it('gives the same samples in slices, serving the event loop between them', async () => {
    const input = new Int16Array(44100 * 3);
    let seed = 12345;
    for (let i = 0; i < input.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      input[i] = (seed >>> 16) - 32768;
    }
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const sliced = await resampleAsync(input, 44100, 48000);
    spinning = false;
    expect(Array.from(sliced)).toEqual(Array.from(resample(input, 44100, 48000)));
    expect(turns).toBeGreaterThan(3);
    expect(Array.from(await resampleAsync(input.subarray(0, 999), 44100, 8000))).toEqual(
      Array.from(resample(input.subarray(0, 999), 44100, 8000)),
    );
  });

  it('refuses rates outside the supported set', () => {
    expect(() => resample(new Int16Array(4), 44000, 48000)).toThrow(InvalidArgumentError);
    expect(() => resample(new Int16Array(4), 16000, 96000)).toThrow(/toRate must be one of/);
    expect(() => resample([1, 2] as unknown as Int16Array, 16000, 8000)).toThrow(InvalidArgumentError);
  });
});
