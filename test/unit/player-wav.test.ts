import { describe, expect, it } from 'vitest';
import { AudioSourceError } from '../../src/audio/AudioSourceError.ts';
import { parseWav } from '../../src/audio/wav.ts';
import { fmtBody, pcm16Bytes, riffWave, wav16 } from './player-helpers.ts';

function expectUnsupported(bytes: Uint8Array, messagePart: RegExp): void {
  let caught: unknown;
  try {
    parseWav(bytes, 'test.wav');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AudioSourceError);
  const e = caught as AudioSourceError;
  expect(e.code).toBe('ERR_AUDIO_SOURCE');
  expect(e.reason).toBe('unsupported-format');
  expect(e.message).toMatch(messagePart);
}

describe('parseWav: accepted files', () => {
  it('decodes 16-bit mono sample for sample', () => {
    const samples = [0, 1, -1, 32767, -32768, 1234, -4321];
    const wav = parseWav(wav16(samples, 16000));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.channels).toBe(1);
    expect(wav.bitsPerSample).toBe(16);
    expect(wav.truncated).toBe(false);
    expect(Array.from(wav.samples)).toEqual(samples);
  });

  it('decodes 8-bit unsigned mono around 128', () => {
    const bytes = riffWave([
      { id: 'fmt ', body: fmtBody({ bits: 8, rate: 8000 }) },
      { id: 'data', body: new Uint8Array([128, 0, 255, 129, 127]) }, // odd length: padded
    ]);
    const wav = parseWav(bytes);
    expect(wav.bitsPerSample).toBe(8);
    expect(Array.from(wav.samples)).toEqual([0, -32768, 32512, 256, -256]);
  });

  it('averages 16-bit stereo to mono', () => {
    const bytes = riffWave([
      { id: 'fmt ', body: fmtBody({ channels: 2, rate: 44100 }) },
      { id: 'data', body: pcm16Bytes([1000, 3000, -32768, -32768, 32767, 32767, 5, -6, 100, -100]) },
    ]);
    const wav = parseWav(bytes);
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples)).toEqual([2000, -32768, 32767, -1, 0]);
  });

  it('averages 8-bit stereo to mono', () => {
    const bytes = riffWave([
      { id: 'fmt ', body: fmtBody({ channels: 2, bits: 8, rate: 11025 }) },
      { id: 'data', body: new Uint8Array([255, 255, 0, 0, 128, 130, 0, 255]) },
    ]);
    expect(Array.from(parseWav(bytes).samples)).toEqual([32512, -32768, 256, -128]);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE carrying PCM', () => {
    const bytes = riffWave([
      { id: 'fmt ', body: fmtBody({ extensibleSubFormat: 1, channels: 2, rate: 48000 }) },
      { id: 'data', body: pcm16Bytes([10, 20, -10, -20]) },
    ]);
    const wav = parseWav(bytes);
    expect(wav.sampleRate).toBe(48000);
    expect(Array.from(wav.samples)).toEqual([15, -15]);
  });

  it('skips LIST and fact chunks, odd-sized ones included, before and after data', () => {
    const bytes = riffWave([
      { id: 'LIST', body: new Uint8Array([1, 2, 3, 4, 5]) }, // odd: one pad byte follows
      { id: 'fmt ', body: fmtBody({ rate: 22050 }) },
      { id: 'fact', body: new Uint8Array([3, 0, 0, 0]) },
      { id: 'junk', body: new Uint8Array(7) },
      { id: 'data', body: pcm16Bytes([7, 8, 9]) },
      { id: 'LIST', body: new Uint8Array(9) },
    ]);
    const wav = parseWav(bytes);
    expect(wav.sampleRate).toBe(22050);
    expect(Array.from(wav.samples)).toEqual([7, 8, 9]);
  });

  it('uses what is there when the data chunk runs past the end', () => {
    const bytes = riffWave([
      { id: 'fmt ', body: fmtBody({ rate: 24000 }) },
      { id: 'data', body: pcm16Bytes([1, 2, 3, 4]), declaredSize: 0x7ffff000 },
    ]);
    const wav = parseWav(bytes.subarray(0, bytes.length - 1)); // cut mid-sample too
    expect(wav.truncated).toBe(true);
    expect(Array.from(wav.samples)).toEqual([1, 2, 3]);
  });

  it('accepts every listed source rate', () => {
    for (const rate of [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]) {
      expect(parseWav(wav16([1, 2], rate)).sampleRate).toBe(rate);
    }
  });

  it('reads a WAV that sits inside a larger buffer', () => {
    const file = wav16([5, -5, 6], 8000);
    const big = new Uint8Array(file.length + 11);
    big.set(file, 3);
    expect(Array.from(parseWav(big.subarray(3, 3 + file.length)).samples)).toEqual([5, -5, 6]);
  });
});

describe('parseWav: refused files', () => {
  const data = { id: 'data', body: pcm16Bytes([1, 2, 3, 4]) };

  it('refuses bytes that are not RIFF/WAVE', () => {
    expectUnsupported(new TextEncoder().encode('ID3\u0003 this is an mp3, honest'), /not a WAV file/);
    expectUnsupported(new Uint8Array(5), /too short/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({}) }, data], 'RIFX'), /RIFX/);
    const avi = riffWave([{ id: 'fmt ', body: fmtBody({}) }, data]);
    avi.set([0x41, 0x56, 0x49, 0x20], 8); // 'AVI '
    expectUnsupported(avi, /RIFF\/WAVE/);
  });

  it('refuses float, ADPCM, μ-law and A-law, naming the format', () => {
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ formatTag: 3, bits: 32 }) }, data]), /IEEE float/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ formatTag: 2, bits: 4, blockAlign: 256 }) }, data]), /ADPCM/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ formatTag: 0x11, bits: 4, blockAlign: 256 }) }, data]), /IMA ADPCM/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ formatTag: 7, bits: 8 }) }, data]), /μ-law/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ formatTag: 6, bits: 8 }) }, data]), /A-law/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ extensibleSubFormat: 3, bits: 32 }) }, data]), /IEEE float/);
  });

  it('refuses 24 and 32-bit PCM', () => {
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ bits: 24 }) }, data]), /24-bit/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ bits: 32 }) }, data]), /32-bit/);
  });

  it('refuses more than two channels, and zero', () => {
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ channels: 6 }) }, data]), /6 channels/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ channels: 0, blockAlign: 2 }) }, data]), /0 channels/);
  });

  it('refuses an unlisted sample rate', () => {
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ rate: 44000 }) }, data]), /44000 Hz/);
  });

  it('refuses empty audio, a missing chunk, and absurd or broken sizes', () => {
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({}) }, { id: 'data', body: new Uint8Array(0) }]), /no audio/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({}) }, { id: 'data', body: new Uint8Array(1) }]), /no audio/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({}) }]), /no data chunk/);
    expectUnsupported(riffWave([data]), /no fmt chunk/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({}), declaredSize: 0xfffffff0 }, data]), /absurd/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({}).subarray(0, 14) }, data]), /shorter than the 16/);
    expectUnsupported(riffWave([{ id: 'fmt ', body: fmtBody({ blockAlign: 3 }) }, data]), /block align/);
  });
});
