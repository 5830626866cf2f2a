// Property tests of the WAV reader: any WAV it can play is decoded exactly, and any other bytes
// (random, or a valid file mutated) are refused with an AudioSourceError, never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioSourceError } from '../../src/audio/AudioSourceError.ts';
import { SOURCE_RATES } from '../../src/audio/resample.ts';
import { parseWav } from '../../src/audio/wav.ts';
import { wavBytes } from '../engine/wavFiles.ts';

/** A PCM WAV file of `samples` (interleaved; 8-bit ones as unsigned bytes) at `rate`. */
function wavFile(rate: number, channels: 1 | 2, bits: 8 | 16, samples: number[]): Uint8Array {
  return new Uint8Array(wavBytes(bits === 16 ? samples : samples.map((u) => (u - 128) * 256), rate, channels, bits));
}

const validWav = fc
  .record({
    rate: fc.constantFrom(...SOURCE_RATES),
    channels: fc.constantFrom<1 | 2>(1, 2),
    bits: fc.constantFrom<8 | 16>(8, 16),
    frames: fc.integer({ min: 1, max: 300 }),
  })
  .chain(({ rate, channels, bits, frames }) =>
    fc
      .array(bits === 16 ? fc.integer({ min: -32768, max: 32767 }) : fc.integer({ min: 0, max: 255 }), { minLength: frames * channels, maxLength: frames * channels })
      .map((samples) => ({ rate, channels, bits, samples, bytes: wavFile(rate, channels, bits, samples) })),
  );

/** parseWav's outcome: the decoded file, or null for an AudioSourceError; anything else throws. */
function parsed(bytes: Uint8Array): ReturnType<typeof parseWav> | null {
  try {
    const wav = parseWav(bytes, 'fuzz.wav');
    expect(SOURCE_RATES).toContain(wav.sampleRate);
    expect(wav.samples.length).toBeGreaterThan(0);
    expect(wav.samples.length).toBeLessThanOrEqual(bytes.length);
    return wav;
  } catch (error) {
    if (!(error instanceof AudioSourceError)) throw error;
    expect(error.reason).toBe('unsupported-format');
    return null;
  }
}

describe('WAV reader properties', () => {
  it('decodes every valid PCM file exactly (stereo averaged toward minus infinity, 8-bit centred)', () => {
    fc.assert(
      fc.property(validWav, ({ rate, channels, bits, samples }) => {
        const wav = parsed(wavFile(rate, channels, bits, samples))!;
        const widen = (s: number): number => (bits === 16 ? s : (s - 128) << 8);
        const expected = channels === 1 ? samples.map(widen) : samples.filter((_, i) => i % 2 === 0).map((l, i) => Math.floor((widen(l) + widen(samples[2 * i + 1])) / 2));
        expect(wav).toMatchObject({ sampleRate: rate, channels, bitsPerSample: bits, truncated: false });
        expect(Array.from(wav.samples)).toEqual(expected);
      }),
      { numRuns: 300, seed: 0x3a7 },
    );
  });

  it('refuses or decodes a mutated file, never failing otherwise', () => {
    const mutatedWav = fc.tuple(validWav, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat()).map(([wav, flips, cut]) => {
      const bytes = Uint8Array.from(wav.bytes);
      for (const [at, value] of flips) bytes[at % 48] = value; // the header and the first samples
      return bytes.subarray(0, Math.max(0, bytes.length - (cut % 60)));
    });
    fc.assert(fc.property(mutatedWav, (bytes) => void parsed(bytes)), { numRuns: 1000, seed: 0x3a8 });
  });

  it('refuses arbitrary bytes, and a RIFF header over them, with AudioSourceError', () => {
    const riffOver = fc.uint8Array({ maxLength: 200 }).map((tail) => Uint8Array.from([...Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'), ...tail]));
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), riffOver), (bytes) => void parsed(bytes)), { numRuns: 1000, seed: 0x3a9 });
  });
});
