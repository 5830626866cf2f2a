import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsupportedError } from '../../src/errors.ts';
import { AudioSourceError } from '../../src/audio/AudioSourceError.ts';
import { espeakInfo, espeakVoiceArgument, MAX_SENTENCE_CHARS, synthesizeSpeech } from '../../src/audio/speech.ts';
import { goertzelAmplitude, rms } from './player-helpers.ts';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const RATE = 16000;

/** Share of the power between lo and hi Hz, from 512-point Goertzel spectra over the whole clip. */
function bandShare(x: Int16Array, rate: number, lo: number, hi: number): number {
  const n = 512;
  let inBand = 0;
  let total = 0;
  for (let start = 0; start + n <= x.length; start += n) {
    for (let k = 1; k < n / 2; k++) {
      const f = (k * rate) / n;
      const power = goertzelAmplitude(x, f, rate, start, n) ** 2;
      total += power;
      if (f >= lo && f <= hi) inBand += power;
    }
  }
  return inBand / total;
}

/** 20 ms frames whose RMS is over 300 (about -40 dBFS): the time spent speaking. */
function voicedFrames(x: Int16Array, rate: number): number {
  const n = rate / 50;
  let count = 0;
  for (let start = 0; start + n <= x.length; start += n) if (rms(x, start, n) > 300) count++;
  return count;
}

/** Median fundamental over loud, clearly periodic 40 ms frames (normalized autocorrelation, 70..400 Hz). */
function medianPitch(x: Int16Array, rate: number): number {
  const n = (rate * 40) / 1000;
  const pitches: number[] = [];
  for (let start = 0; start + n <= x.length; start += n) {
    if (rms(x, start, n) < 1000) continue;
    let best = 0;
    let bestLag = 0;
    for (let lag = Math.floor(rate / 400); lag <= rate / 70; lag++) {
      let c = 0;
      let e1 = 0;
      let e2 = 0;
      for (let i = start; i < start + n - lag; i++) {
        c += x[i] * x[i + lag];
        e1 += x[i] * x[i];
        e2 += x[i + lag] * x[i + lag];
      }
      const r = c / Math.sqrt(e1 * e2);
      if (r > best) {
        best = r;
        bestLag = lag;
      }
    }
    if (best > 0.6) pitches.push(rate / bestLag);
  }
  pitches.sort((a, b) => a - b);
  return pitches[pitches.length >> 1];
}

describe('synthesizeSpeech with espeak-ng', () => {
  let one: Int16Array;

  beforeAll(async () => {
    one = await synthesizeSpeech({ sentence: SENTENCE }, RATE);
  });

  it('finds espeak-ng and its voices', async () => {
    const info = await espeakInfo();
    expect(info.version).toMatch(/eSpeak NG/);
    expect(info.voices.some((v) => v.language === 'en-us')).toBe(true);
    expect(info.variants.some((v) => v.file === 'f3')).toBe(true);
  });

  it('speaks with its energy in the voice band', () => {
    expect(20 * Math.log10(rms(one) / (32767 / Math.SQRT2))).toBeGreaterThan(-30);
    expect(bandShare(one, RATE, 250, 3500)).toBeGreaterThan(0.8);
  });

  it('takes time in proportion to the text', async () => {
    const three = await synthesizeSpeech({ sentence: `${SENTENCE} ${SENTENCE} ${SENTENCE}` }, RATE);
    const lengthRatio = three.length / one.length;
    const voicedRatio = voicedFrames(three, RATE) / voicedFrames(one, RATE);
    expect(lengthRatio).toBeGreaterThan(2.7);
    expect(lengthRatio).toBeLessThan(3.3);
    expect(voicedRatio).toBeGreaterThan(2.7);
    expect(voicedRatio).toBeLessThan(3.3);
    // About 2.9 s for nine words at espeak-ng's 175 words a minute.
    expect(one.length / RATE).toBeGreaterThan(1.5);
    expect(one.length / RATE).toBeLessThan(5);
  });

  it('converts to the conference rate', async () => {
    const narrow = await synthesizeSpeech({ sentence: SENTENCE }, 8000);
    expect(Math.abs(narrow.length - one.length / 2)).toBeLessThanOrEqual(1);
  });

  it('speaks higher with the female variant than the male one', async () => {
    const male = medianPitch(await synthesizeSpeech({ sentence: SENTENCE, gender: 'male' }, RATE), RATE);
    const female = medianPitch(await synthesizeSpeech({ sentence: SENTENCE, gender: 'female' }, RATE), RATE);
    expect(male).toBeGreaterThan(70);
    expect(male).toBeLessThan(160);
    expect(female).toBeGreaterThan(1.5 * male);
  });

  it('passes text to espeak-ng as text, never to a shell or as options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'confmix-speech-'));
    try {
      const marker = join(dir, 'marker');
      const sentence = `--help -v xx "; touch ${marker}; echo " $(touch ${marker}) \`touch ${marker}\``;
      const pcm = await synthesizeSpeech({ sentence }, 8000);
      expect(voicedFrames(pcm, 8000)).toBeGreaterThan(50);
      await expect(stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kills a synthesis that runs past its timeout', async () => {
    const long = 'This sentence is spoken many times over. '.repeat(90);
    const err = await synthesizeSpeech({ sentence: long }, RATE, { timeoutMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioSourceError);
    expect((err as AudioSourceError).reason).toBe('timeout');
  });
});

describe('voice selection', () => {
  it('maps locales, genders, voices and variants to the -v argument', async () => {
    expect(await espeakVoiceArgument({})).toBe('en-us');
    expect(await espeakVoiceArgument({ locale: 'en-US' })).toBe('en-us');
    expect(await espeakVoiceArgument({ locale: 'en_GB', gender: 'female' })).toBe('en-gb+f3');
    expect(await espeakVoiceArgument({ locale: 'de-DE', gender: 'male' })).toBe('de+m3');
    expect(['fr', 'fr-fr']).toContain(await espeakVoiceArgument({ locale: 'fr-FR' }));
    expect(await espeakVoiceArgument({ voice: 'English_(America)', locale: 'fr-FR' })).toBe('gmw/en-US');
    expect(await espeakVoiceArgument({ voice: 'es', gender: 'female' })).toBe('es+f3');
    expect(await espeakVoiceArgument({ voice: 'Annie', locale: 'en-GB', gender: 'male' })).toBe('en-gb+Annie');
    expect(await espeakVoiceArgument({ voice: 'en-us+female2' })).toBe('en-us+f2');
  });

  it('names the way to list voices when a locale or voice is unknown', async () => {
    await expect(espeakVoiceArgument({ locale: 'xx-YY' })).rejects.toThrow(/espeak-ng --voices/);
    await expect(espeakVoiceArgument({ locale: 'not a locale' })).rejects.toThrow(InvalidArgumentError);
    await expect(espeakVoiceArgument({ voice: 'Nobody' })).rejects.toThrow(/unknown espeak-ng voice 'Nobody'.*--voices/);
    await expect(espeakVoiceArgument({ voice: 'en-us+nobody' })).rejects.toThrow(/unknown espeak-ng variant/);
    await expect(espeakVoiceArgument({ voice: 'en-us+f3+m3' })).rejects.toThrow(InvalidArgumentError);
    await expect(espeakVoiceArgument({ gender: 'robot' as 'male' })).rejects.toThrow(/gender must be/);
  });
});

describe('synthesizeSpeech arguments and a missing synthesizer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confmix-nospeech-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says to install espeak-ng when the binary is missing', async () => {
    const err = await synthesizeSpeech({ sentence: 'hello' }, RATE, { espeakPath: join(dir, 'espeak-ng') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).code).toBe('ERR_UNSUPPORTED');
    expect((err as Error).message).toMatch(/install the espeak-ng package/);
  });

  it('refuses a binary that is not espeak-ng', async () => {
    await expect(synthesizeSpeech({ sentence: 'hello' }, RATE, { espeakPath: 'false' })).rejects.toThrow(UnsupportedError);
  });

  it('refuses empty, oversized and NUL-carrying sentences, and bad rates and options', async () => {
    await expect(synthesizeSpeech({ sentence: '   ' }, RATE)).rejects.toThrow(InvalidArgumentError);
    await expect(synthesizeSpeech({ sentence: 'a'.repeat(MAX_SENTENCE_CHARS + 1) }, RATE)).rejects.toThrow(/at most 4000/);
    await expect(synthesizeSpeech({ sentence: 'a\0b' }, RATE)).rejects.toThrow(/NUL/);
    await expect(synthesizeSpeech({ sentence: 'hi' }, 22050)).rejects.toThrow(/rate must be one of/);
    await expect(synthesizeSpeech({ sentence: 'hi' }, RATE, { wordsPerMinute: 1000 })).rejects.toThrow(/wordsPerMinute/);
    await expect(synthesizeSpeech(null as unknown as { sentence: string }, RATE)).rejects.toThrow(InvalidArgumentError);
  });

  it('accepts exactly the maximum length, counted in characters', async () => {
    // 4000 emoji are 8000 UTF-16 units but 4000 characters.
    await expect(synthesizeSpeech({ sentence: '😀'.repeat(MAX_SENTENCE_CHARS + 1) }, RATE)).rejects.toThrow(/4001 characters/);
    const pcm = await synthesizeSpeech({ sentence: `hello${' '.repeat(MAX_SENTENCE_CHARS - 5)}` }, 8000);
    expect(voicedFrames(pcm, 8000)).toBeGreaterThan(5);
  });
});
