// Typed view of the testing addon's codecs: G.711 helpers, per-leg encoders and decoders (PCMU,
// PCMA, L16, Opus), and a raw-libopus yardstick for tests.
import { addon } from './addon.ts';
import type { CodecName, CodecOptions, G711Law, OpusReferenceOptions, VoiceActivity } from '../codecs.ts';
import { callNative } from '../call.ts';

export * from '../codecs.ts';


interface RawCodecEncoder {
  encode(pcm: Int16Array): Uint8Array;
  readonly rate: number;
  readonly codec: CodecName;
}


interface RawCodecDecoder {
  decode(payload: Uint8Array): Int16Array;
  conceal(samples: number): Int16Array;
  decodeFec(nextPayload: Uint8Array, samples: number): Int16Array | null;
  isDtx(payload: Uint8Array): boolean;
  voiceActivity(payload: Uint8Array): VoiceActivity;
  readonly rate: number;
  readonly codec: CodecName;
}

interface RawCodecs {
  g711Encode(law: G711Law, pcm: Int16Array): Uint8Array;
  g711Decode(law: G711Law, codes: Uint8Array): Int16Array;
  opusReferenceRoundTrip(pcm48k: Int16Array, options: OpusReferenceOptions): Int16Array;
  defaultOpusBitrate(pcmRate: number, channels: number): number;
  CodecEncoder: new (options: CodecOptions) => RawCodecEncoder;
  CodecDecoder: new (options: CodecOptions) => RawCodecDecoder;
}

const raw = addon as unknown as RawCodecs;


/** The Opus encoder's bitrate when none is asked for, bits/s, at a PCM rate (8000..48000) and channel count. */
export function defaultOpusBitrate(pcmRate: number, channels: 1 | 2): number {
  return callNative(() => raw.defaultOpusBitrate(pcmRate, channels));
}

/** Encodes int16 samples to G.711 codes, one byte per sample. */
export function g711Encode(law: G711Law, pcm: Int16Array): Uint8Array {
  return callNative(() => raw.g711Encode(law, pcm));
}

/** Decodes G.711 codes to int16 samples (the standard's reconstruction values). */
export function g711Decode(law: G711Law, codes: Uint8Array): Int16Array {
  return callNative(() => raw.g711Decode(law, codes));
}

/**
 * Encodes and decodes `pcm48k` (mono, 48 kHz) with libopus called directly, whole frames only:
 * the yardstick the wrapper's quality is measured against.
 */
export function opusReferenceRoundTrip(pcm48k: Int16Array, options: OpusReferenceOptions): Int16Array {
  return callNative(() => raw.opusReferenceRoundTrip(pcm48k, options));
}

/** Encodes mono int16 frames at `rate` to one leg's payloads. */
export class CodecEncoder {
  readonly #raw: RawCodecEncoder;

  /** Builds the encoder; throws InvalidArgumentError for unsupported options. */
  constructor(options: CodecOptions) {
    this.#raw = callNative(() => new raw.CodecEncoder(options));
  }

  /** Encodes one frame (Opus: 2.5..60 ms) to a payload. */
  encode(pcm: Int16Array): Uint8Array {
    return callNative(() => this.#raw.encode(pcm));
  }

  /** Samples per second the encoder takes. */
  get rate(): number {
    return this.#raw.rate;
  }

  /** The codec. */
  get codec(): CodecName {
    return this.#raw.codec;
  }
}

/** Decodes one leg's payloads to mono int16 at `rate`. */
export class CodecDecoder {
  readonly #raw: RawCodecDecoder;

  /** Builds the decoder; throws InvalidArgumentError for unsupported options. */
  constructor(options: CodecOptions) {
    this.#raw = callNative(() => new raw.CodecDecoder(options));
  }

  /** Decodes a payload (InvalidArgumentError if malformed). */
  decode(payload: Uint8Array): Int16Array {
    return callNative(() => this.#raw.decode(payload));
  }

  /** `samples` of packet-loss concealment for a lost payload. */
  conceal(samples: number): Int16Array {
    return callNative(() => this.#raw.conceal(samples));
  }

  /** Recovers a lost frame of `samples` from the next payload's FEC; null when the codec has none. */
  decodeFec(nextPayload: Uint8Array, samples: number): Int16Array | null {
    return callNative(() => this.#raw.decodeFec(nextPayload, samples));
  }

  /** True when the payload carries no audio (an Opus DTX frame of 2 bytes or less). */
  isDtx(payload: Uint8Array): boolean {
    return callNative(() => this.#raw.isDtx(payload));
  }

  /** The sender's voice-activity verdict carried in the payload (Opus SILK/hybrid VAD flags), without decoding. */
  voiceActivity(payload: Uint8Array): VoiceActivity {
    return callNative(() => this.#raw.voiceActivity(payload));
  }

  /** Samples per second the decoder produces. */
  get rate(): number {
    return this.#raw.rate;
  }

  /** The codec. */
  get codec(): CodecName {
    return this.#raw.codec;
  }
}
