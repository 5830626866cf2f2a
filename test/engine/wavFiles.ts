// Writes small WAV files for tests: a tone, at a rate, mono or stereo, 8 or 16 bits.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory. */
export function tempDir(prefix = 'confmix-engine-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** RIFF/WAVE bytes of PCM `samples` (interleaved when stereo). */
export function wavBytes(samples: ArrayLike<number>, rate: number, channels = 1, bits: 8 | 16 = 16): Buffer {
  const bytesPerSample = bits / 8;
  const data = Buffer.alloc(samples.length * bytesPerSample);
  for (let i = 0; i < samples.length; i++) {
    if (bits === 16) data.writeInt16LE(samples[i], i * 2);
    else data.writeUInt8(Math.max(0, Math.min(255, Math.round(samples[i] / 256) + 128)), i);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * bytesPerSample, 28);
  header.writeUInt16LE(channels * bytesPerSample, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Writes a tone of `freqHz` (peak `amplitude`) lasting `seconds` to `dir/name` and returns its path. */
export function writeToneWav(
  dir: string,
  name: string,
  options: { freqHz: number; seconds: number; rate?: number; channels?: 1 | 2; bits?: 8 | 16; amplitude?: number },
): string {
  const rate = options.rate ?? 16000;
  const channels = options.channels ?? 1;
  const amplitude = options.amplitude ?? 8000;
  const frames = Math.round(rate * options.seconds);
  const samples = new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * options.freqHz * i) / rate));
    for (let c = 0; c < channels; c++) samples[i * channels + c] = v;
  }
  const path = join(dir, name);
  writeFileSync(path, wavBytes(samples, rate, channels, options.bits ?? 16));
  return path;
}
