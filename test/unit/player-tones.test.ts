import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { BUILT_IN_TONE_LEVEL_DBFS, BUILT_IN_TONES, builtInTone, silence, tone } from '../../src/audio/tones.ts';
import { db, goertzelAmplitude, rms } from './player-helpers.ts';

const FULL_SCALE_SINE_RMS = 32767 / Math.SQRT2;
const RATES = [8000, 16000, 24000, 32000, 48000];

function maxStep(samples: Int16Array, start: number, end: number): number {
  let max = 0;
  for (let i = Math.max(1, start); i < end; i++) max = Math.max(max, Math.abs(samples[i] - samples[i - 1]));
  return max;
}

describe('tone', () => {
  it('has the requested length and level (AES17 dBFS) within 0.5 dB', () => {
    for (const rate of RATES) {
      for (const level of [-3, -16, -30]) {
        const t = tone(1000, 500, rate, level);
        expect(t.length).toBe(rate / 2);
        // Steady part: skip the 5 ms ramps, measure a whole number of 1 kHz cycles.
        const start = rate / 100;
        const measured = db(rms(t, start, (rate * 4) / 10), FULL_SCALE_SINE_RMS);
        expect(Math.abs(measured - level), `${rate} Hz, ${level} dBFS: got ${measured.toFixed(3)}`).toBeLessThan(0.5);
        const amplitude = goertzelAmplitude(t, 1000, rate, start, (rate * 4) / 10);
        expect(Math.abs(db(amplitude, 32767) - level)).toBeLessThan(0.5);
      }
    }
  });

  it('splits a dual tone evenly and keeps the total level', () => {
    const rate = 16000;
    const t = tone([350, 440], 1000, rate, -13);
    const start = 800;
    const length = 14400; // 0.9 s: whole cycles of both 350 and 440 Hz
    const total = db(rms(t, start, length), FULL_SCALE_SINE_RMS);
    expect(Math.abs(total + 13)).toBeLessThan(0.5);
    const a350 = goertzelAmplitude(t, 350, rate, start, length);
    const a440 = goertzelAmplitude(t, 440, rate, start, length);
    expect(Math.abs(db(a350, a440))).toBeLessThan(0.1);
    expect(Math.abs(db(a350, 32767) - (-13 - 10 * Math.log10(2)))).toBeLessThan(0.5);
    expect(goertzelAmplitude(t, 1000, rate, start, length)).toBeLessThan(a350 / 1000);
  });

  it('starts and stops without a click', () => {
    for (const rate of RATES) {
      const t = tone(440, 200, rate, -6);
      const ramp = rate / 200; // 5 ms
      const steadyStep = maxStep(t, ramp, t.length - ramp);
      expect(Math.abs(t[0])).toBeLessThanOrEqual(1);
      expect(Math.abs(t[t.length - 1])).toBeLessThan(steadyStep);
      // No step at either edge is bigger than the sine's own steepest step.
      expect(maxStep(t, 0, ramp + 1)).toBeLessThanOrEqual(steadyStep);
      expect(maxStep(t, t.length - ramp - 1, t.length)).toBeLessThanOrEqual(steadyStep);
      // Starting from silence, the first sample is tiny against the amplitude.
      expect(Math.abs(t[1])).toBeLessThan(0.01 * 32767 * 10 ** (-6 / 20));
    }
  });

  it('peaks exactly at full scale for a two-tone sum at its ceiling', () => {
    const t = tone([1000, 5000], 200, 48000, -10 * Math.log10(2));
    let peak = 0;
    for (const s of t) peak = Math.max(peak, Math.abs(s));
    expect(peak).toBeLessThanOrEqual(32767);
    expect(peak).toBeGreaterThan(32700); // sin x + sin 5x reaches 2 at x = π/2
  });

  it('refuses bad arguments', () => {
    expect(() => tone(440, 100, 44100, -10)).toThrow(InvalidArgumentError);
    expect(() => tone(4000, 100, 8000, -10)).toThrow(/below 4000 Hz/);
    expect(() => tone(0, 100, 8000, -10)).toThrow(InvalidArgumentError);
    expect(() => tone([], 100, 8000, -10)).toThrow(InvalidArgumentError);
    expect(() => tone(440, 0, 8000, -10)).toThrow(InvalidArgumentError);
    expect(() => tone(440, Number.NaN, 8000, -10)).toThrow(InvalidArgumentError);
    expect(() => tone(440, 100, 8000, 1)).toThrow(InvalidArgumentError);
    expect(() => tone([440, 480], 100, 8000, -2)).toThrow(/levelDbfs must be in \[-120, -3.01\]/);
    expect(() => silence(-1, 8000)).toThrow(InvalidArgumentError);
  });
});

describe('builtInTone', () => {
  /** Frequencies of the notes, found by Goertzel over each note's steady middle. */
  function notes(samples: Int16Array, rate: number, name: keyof typeof BUILT_IN_TONES): number[][] {
    const found: number[][] = [];
    let at = 0;
    for (const note of BUILT_IN_TONES[name]) {
      const length = Math.round((note.durationMs * rate) / 1000);
      const middle = at + Math.round(length / 4);
      const span = Math.round(length / 2);
      const levels = [440, 550, 660].map((f) => db(goertzelAmplitude(samples, f, rate, middle, span), 32767));
      found.push(levels);
      // The gap is digital silence.
      const gap = Math.round((note.gapMs * rate) / 1000);
      expect(samples.subarray(at + length, at + length + gap).every((s) => s === 0)).toBe(true);
      at += length + gap;
    }
    expect(at).toBe(samples.length);
    return found;
  }

  /** Index of the loudest of 440/550/660 Hz in each note. */
  const loudest = (levels: number[][]): number[] => levels.map((l) => l.indexOf(Math.max(...l)));

  it('entry rises 440 -> 660 Hz and exit falls 660 -> 440 Hz, at every conference rate', () => {
    for (const rate of RATES) {
      const entry = notes(builtInTone('entry', rate), rate, 'entry');
      const exit = notes(builtInTone('exit', rate), rate, 'exit');
      expect(loudest(entry)).toEqual([0, 2]);
      expect(loudest(exit)).toEqual([2, 0]);
      for (const [at440, , at660] of [...entry, ...exit]) {
        // Each beep is at the built-in level and the other beep's frequency is far below it
        // (50 ms windows hold whole cycles of both, so they do not leak into each other).
        const top = Math.max(at440, at660);
        expect(Math.abs(top - BUILT_IN_TONE_LEVEL_DBFS)).toBeLessThan(0.5);
        expect(Math.min(at440, at660)).toBeLessThan(top - 60);
      }
    }
  });

  it('join rises through 440, 550, 660 Hz and leaving falls', () => {
    expect(loudest(notes(builtInTone('join', 16000), 16000, 'join'))).toEqual([0, 1, 2]);
    expect(loudest(notes(builtInTone('leaving', 8000), 8000, 'leaving'))).toEqual([2, 1, 0]);
  });

  it('lasts as its notes and gaps say', () => {
    expect(builtInTone('entry', 8000).length).toBe(8 * 250);
    expect(builtInTone('join', 48000).length).toBe(48 * 340);
  });

  it('hands out a fresh copy each call', () => {
    const a = builtInTone('entry', 16000);
    a.fill(0);
    expect(rms(builtInTone('entry', 16000))).toBeGreaterThan(1000);
  });

  it('refuses an unknown name or rate', () => {
    expect(() => builtInTone('welcome' as 'entry', 16000)).toThrow(/unknown built-in tone/);
    expect(() => builtInTone('toString' as 'entry', 16000)).toThrow(InvalidArgumentError);
    expect(() => builtInTone('entry', 22050)).toThrow(InvalidArgumentError);
  });
});
