// RIFF/WAVE decoding to mono int16: PCM (format 1, or WAVE_FORMAT_EXTENSIBLE carrying PCM),
// 8-bit unsigned or 16-bit signed little-endian, mono or stereo. Anything else is refused
// with a reason a user can act on.

import { AudioSourceError } from './AudioSourceError.ts';
import { SOURCE_RATES } from './resample.ts';

/** A decoded WAV file, downmixed to mono. */
export interface DecodedWav {
  /** Sample rate of the file in Hz (one of SOURCE_RATES). */
  readonly sampleRate: number;
  /** Channels in the file (the samples are already mono). */
  readonly channels: 1 | 2;
  /** Bits per sample in the file (8 or 16). */
  readonly bitsPerSample: 8 | 16;
  /** Mono samples; stereo frames are averaged (rounded toward minus infinity). */
  readonly samples: Int16Array;
  /** True when the data chunk claimed more bytes than the file holds. */
  readonly truncated: boolean;
}

const FORMAT_PCM = 0x0001;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Largest fmt chunk accepted; real ones are 16, 18 or 40 bytes. */
const MAX_FMT_CHUNK_BYTES = 4096;

/** Names of common non-PCM format tags, for error messages. */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'Microsoft ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'μ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0055: 'MP3',
};

/** Bytes 2..15 of KSDATAFORMAT_SUBTYPE_PCM (the first two hold the format tag). */
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

function unsupported(source: string, why: string): never {
  throw new AudioSourceError('unsupported-format', source, `${source}: ${why}`);
}

function formatName(tag: number): string {
  return FORMAT_NAMES[tag] ?? `format tag 0x${tag.toString(16).padStart(4, '0')}`;
}

interface FmtChunk {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function parseFmt(view: DataView, bytes: Uint8Array, offset: number, size: number, source: string): FmtChunk {
  const fail = (why: string): never => unsupported(source, why);
  if (size < 16) fail(`fmt chunk is ${size} bytes, shorter than the 16 a PCM header needs`);
  let formatTag = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const blockAlign = view.getUint16(offset + 12, true);
  const bitsPerSample = view.getUint16(offset + 14, true);

  if (formatTag === FORMAT_EXTENSIBLE) {
    if (size < 40) fail(`WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, shorter than 40`);
    const validBits = view.getUint16(offset + 18, true);
    const subFormat = view.getUint16(offset + 24, true);
    const isStandardGuid = SUBTYPE_GUID_TAIL.every((b, i) => bytes[offset + 26 + i] === b);
    if (!isStandardGuid) fail('WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID is not supported');
    if (validBits !== 0 && validBits !== bitsPerSample) {
      fail(`${validBits} valid bits in ${bitsPerSample}-bit containers are not supported (only 8 or 16-bit PCM)`);
    }
    formatTag = subFormat;
  }
  if (formatTag !== FORMAT_PCM) fail(`${formatName(formatTag)} audio is not supported (only PCM)`);
  if (channels === 0) fail('the fmt chunk declares 0 channels');
  if (channels > 2) fail(`${channels} channels are not supported (only mono or stereo)`);
  if (bitsPerSample !== 8 && bitsPerSample !== 16) {
    fail(`${bitsPerSample}-bit samples are not supported (only 8-bit unsigned or 16-bit signed PCM)`);
  }
  if (!SOURCE_RATES.includes(sampleRate)) {
    fail(`a sample rate of ${sampleRate} Hz is not supported (supported: ${SOURCE_RATES.join(', ')})`);
  }
  const frameBytes = channels * (bitsPerSample / 8);
  if (blockAlign !== frameBytes) {
    fail(`block align ${blockAlign} does not match ${channels} channel(s) of ${bitsPerSample} bits`);
  }
  return { channels, sampleRate, bitsPerSample, blockAlign };
}

function decodeSamples(bytes: Uint8Array, offset: number, frames: number, fmt: FmtChunk): Int16Array {
  const out = new Int16Array(frames);
  if (fmt.bitsPerSample === 8) {
    // 8-bit WAV is unsigned with 128 as silence.
    if (fmt.channels === 1) {
      for (let i = 0; i < frames; i++) out[i] = (bytes[offset + i] - 128) << 8;
    } else {
      for (let i = 0; i < frames; i++) {
        out[i] = ((bytes[offset + 2 * i] - 128 + (bytes[offset + 2 * i + 1] - 128)) << 8) >> 1;
      }
    }
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, frames * fmt.blockAlign);
  if (fmt.channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = view.getInt16(2 * i, true);
  } else {
    for (let i = 0; i < frames; i++) out[i] = (view.getInt16(4 * i, true) + view.getInt16(4 * i + 2, true)) >> 1;
  }
  return out;
}

/**
 * Decodes a RIFF/WAVE file held in memory. Unknown chunks are skipped; a data chunk that claims
 * more bytes than the file holds (a truncated file, or a streamed header) yields what is there.
 * Throws AudioSourceError('unsupported-format') with the reason otherwise. `source` names the file
 * in error messages.
 */
export function parseWav(bytes: Uint8Array, source = 'audio'): DecodedWav {
  const fail = (why: string): never => unsupported(source, why);
  if (!(bytes instanceof Uint8Array)) fail('expected the file bytes as a Uint8Array');
  if (bytes.length < 12) fail(`not a WAV file (${bytes.length} bytes, too short for a RIFF header)`);
  const riff = fourCC(bytes, 0);
  if (riff === 'RIFX') fail('big-endian RIFX files are not supported');
  if (riff === 'RF64') fail('RF64 files are not supported');
  if (riff !== 'RIFF' || fourCC(bytes, 8) !== 'WAVE') fail('not a WAV file (no RIFF/WAVE header)');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: FmtChunk | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  let truncated = false;

  // The RIFF size is ignored: streaming writers leave it at a placeholder.
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = fourCC(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const available = bytes.length - body;
    if (id === 'fmt ') {
      if (fmt) fail('more than one fmt chunk');
      if (size > MAX_FMT_CHUNK_BYTES) fail(`fmt chunk claims an absurd size of ${size} bytes`);
      if (size > available) fail('fmt chunk runs past the end of the file');
      fmt = parseFmt(view, bytes, body, size, source);
    } else if (id === 'data') {
      if (dataOffset >= 0) fail('more than one data chunk');
      dataOffset = body;
      dataBytes = Math.min(size, available);
      truncated = size > available;
      if (truncated) break;
    } else if (size > available) {
      break; // trailing junk or a cut-off extra chunk: whatever came before still counts
    }
    offset = body + size + (size & 1); // chunks are padded to even sizes
  }

  if (!fmt) return unsupported(source, 'no fmt chunk');
  if (dataOffset < 0) fail('no data chunk');
  const format = fmt;
  const frames = Math.floor(dataBytes / format.blockAlign);
  if (frames === 0) fail('the data chunk holds no audio');

  return {
    sampleRate: format.sampleRate,
    channels: format.channels as 1 | 2,
    bitsPerSample: format.bitsPerSample as 8 | 16,
    samples: decodeSamples(bytes, dataOffset, frames, format),
    truncated,
  };
}

/** A mono 16-bit PCM RIFF/WAVE file of `pcm` at `rate` Hz. */
export function encodeWav(pcm: Int16Array, rate: number): Uint8Array {
  const bytes = new Uint8Array(44 + pcm.length * 2);
  const view = new DataView(bytes.buffer);
  const text = (at: number, value: string): void => {
    for (let i = 0; i < value.length; i++) bytes[at + i] = value.charCodeAt(i);
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + pcm.length * 2, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) view.setInt16(44 + 2 * i, pcm[i], true);
  return bytes;
}
