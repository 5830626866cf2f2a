// Typed view of the addon's codecs and resampler: G.711 helpers, per-leg encoders and decoders
// (PCMU, PCMA, L16, Opus), the polyphase resampler, and a raw-libopus yardstick for tests.
import { addon } from './addon.ts';
import { toConfmixError } from '../errors.ts';

/** G.711 companding laws. */
export const G711_LAWS = ['pcmu', 'pcma'] as const;
/** Codecs a leg can negotiate. */
export const CODEC_NAMES = ['pcmu', 'pcma', 'l16', 'opus'] as const;
/** Rates the resampler converts between (and L16's clock rates), Hz. */
export const RESAMPLER_RATES = [8000, 12000, 16000, 24000, 32000, 48000] as const;
/** Frame durations Opus encodes for confmix, ms. */
export const OPUS_FRAME_MS = [10, 20, 40, 60] as const;
/** Opus always runs at 48 kHz. */
export const OPUS_RATE = 48000;

/** A G.711 law. */
export type G711Law = (typeof G711_LAWS)[number];
/** A codec name. */
export type CodecName = (typeof CODEC_NAMES)[number];
/** A resampler rate, Hz. */
export type ResamplerRate = (typeof RESAMPLER_RATES)[number];
/** An Opus frame duration, ms. */
export type OpusFrameMs = (typeof OPUS_FRAME_MS)[number];

/** What a leg negotiated for one direction of audio. */
export interface CodecOptions {
  /** The codec. */
  codec: CodecName;
  /** RTP clock rate: 8000 for G.711, 48000 for Opus (the defaults); required for L16. */
  clockRate?: number;
  /** Payload channels (L16 1..8, Opus 1 or 2); the audio itself is mono. Default 1. */
  channels?: number;
  /** Opus in-band FEC (the encoder plans for 10 % loss). Default true. */
  fec?: boolean;
  /** Opus discontinuous transmission: tiny payloads during silence. Default false. */
  dtx?: boolean;
  /** Opus bits/s, 6000..510000; 0: confmix's default for the PCM rate and channels. Default 0. */
  bitrate?: number;
  /** Opus: the peer's maxaveragebitrate, bits/s (6000..510000): caps the default bitrate. */
  maxBitrate?: number;
  /** Opus PCM rate: 8000, 12000, 16000, 24000 or 48000 (the encoder's input, the decoder's output). Default 48000. */
  pcmRate?: number;
  /** Opus encoder complexity 0..10. Default 5. */
  complexity?: number;
}

/** Settings for opusReferenceRoundTrip. */
export interface OpusReferenceOptions {
  /** Bits/s, 6000..510000. */
  bitrate: number;
  /** Encoder complexity 0..10. */
  complexity: number;
  /** Frame duration. */
  frameMs: OpusFrameMs;
}

interface RawCodecEncoder {
  encode(pcm: Int16Array): Uint8Array;
  readonly rate: number;
  readonly codec: CodecName;
}

/**
 * What a payload says of its sender's voice activity: 'active' (a VAD flag set), 'inactive' (all
 * clear), 'unknown' (no flags: G.711, L16, CELT-only Opus, or a malformed payload).
 */
export type VoiceActivity = 'active' | 'inactive' | 'unknown';

interface RawCodecDecoder {
  decode(payload: Uint8Array): Int16Array;
  conceal(samples: number): Int16Array;
  decodeFec(nextPayload: Uint8Array, samples: number): Int16Array | null;
  isDtx(payload: Uint8Array): boolean;
  voiceActivity(payload: Uint8Array): VoiceActivity;
  readonly rate: number;
  readonly codec: CodecName;
}

interface RawResampler {
  process(pcm: Int16Array): Int16Array;
  reset(): void;
  readonly inRate: ResamplerRate;
  readonly outRate: ResamplerRate;
  readonly delay: number;
  readonly tapsPerPhase: number;
}

interface RawCodecs {
  g711Encode(law: G711Law, pcm: Int16Array): Uint8Array;
  g711Decode(law: G711Law, codes: Uint8Array): Int16Array;
  opusReferenceRoundTrip(pcm48k: Int16Array, options: OpusReferenceOptions): Int16Array;
  defaultOpusBitrate(pcmRate: number, channels: number): number;
  CodecEncoder: new (options: CodecOptions) => RawCodecEncoder;
  CodecDecoder: new (options: CodecOptions) => RawCodecDecoder;
  Resampler: new (inRate: number, outRate: number, phase?: string) => RawResampler;
}

const raw = addon as unknown as RawCodecs;

// Runs a native call, rethrowing its error as the matching ConfmixError class.
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toConfmixError(error);
  }
}

/** Encodes int16 samples to G.711 codes, one byte per sample. */
export function g711Encode(law: G711Law, pcm: Int16Array): Uint8Array {
  return call(() => raw.g711Encode(law, pcm));
}

/** Decodes G.711 codes to int16 samples (the standard's reconstruction values). */
export function g711Decode(law: G711Law, codes: Uint8Array): Int16Array {
  return call(() => raw.g711Decode(law, codes));
}

/** The Opus encoder's bitrate when none is asked for, bits/s, at a PCM rate (8000..48000) and channel count. */
export function defaultOpusBitrate(pcmRate: number, channels: 1 | 2): number {
  return call(() => raw.defaultOpusBitrate(pcmRate, channels));
}

/**
 * Encodes and decodes `pcm48k` (mono, 48 kHz) with libopus called directly, whole frames only:
 * the yardstick the wrapper's quality is measured against.
 */
export function opusReferenceRoundTrip(pcm48k: Int16Array, options: OpusReferenceOptions): Int16Array {
  return call(() => raw.opusReferenceRoundTrip(pcm48k, options));
}

/** Encodes mono int16 frames at `rate` to one leg's payloads. */
export class CodecEncoder {
  readonly #raw: RawCodecEncoder;

  /** Builds the encoder; throws InvalidArgumentError for unsupported options. */
  constructor(options: CodecOptions) {
    this.#raw = call(() => new raw.CodecEncoder(options));
  }

  /** Encodes one frame (Opus: 2.5..60 ms) to a payload. */
  encode(pcm: Int16Array): Uint8Array {
    return call(() => this.#raw.encode(pcm));
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
    this.#raw = call(() => new raw.CodecDecoder(options));
  }

  /** Decodes a payload (InvalidArgumentError if malformed). */
  decode(payload: Uint8Array): Int16Array {
    return call(() => this.#raw.decode(payload));
  }

  /** `samples` of packet-loss concealment for a lost payload. */
  conceal(samples: number): Int16Array {
    return call(() => this.#raw.conceal(samples));
  }

  /** Recovers a lost frame of `samples` from the next payload's FEC; null when the codec has none. */
  decodeFec(nextPayload: Uint8Array, samples: number): Int16Array | null {
    return call(() => this.#raw.decodeFec(nextPayload, samples));
  }

  /** True when the payload carries no audio (an Opus DTX frame of 2 bytes or less). */
  isDtx(payload: Uint8Array): boolean {
    return call(() => this.#raw.isDtx(payload));
  }

  /** The sender's voice-activity verdict carried in the payload (Opus SILK/hybrid VAD flags), without decoding. */
  voiceActivity(payload: Uint8Array): VoiceActivity {
    return call(() => this.#raw.voiceActivity(payload));
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

/** The resampler filter's phase: 'minimum' (low delay, the engine's) or 'linear' (constant delay). */
export type ResamplerPhase = 'minimum' | 'linear';

/** Converts a mono stream between two of RESAMPLER_RATES, frame by frame without seams. */
export class Resampler {
  readonly #raw: RawResampler;

  /** Builds a resampler (minimum-phase filter unless `phase` says 'linear'); throws InvalidArgumentError for an unsupported rate. */
  constructor(inRate: ResamplerRate, outRate: ResamplerRate, phase: ResamplerPhase = 'minimum') {
    this.#raw = call(() => new raw.Resampler(inRate, outRate, phase));
  }

  /** Resamples the next stretch of input; whole milliseconds give exactly ms * outRate / 1000 samples. */
  process(pcm: Int16Array): Int16Array {
    return call(() => this.#raw.process(pcm));
  }

  /** Forgets the history (a new stream). */
  reset(): void {
    this.#raw.reset();
  }

  /** Input rate, Hz. */
  get inRate(): ResamplerRate {
    return this.#raw.inRate;
  }

  /** Output rate, Hz. */
  get outRate(): ResamplerRate {
    return this.#raw.outRate;
  }

  /** Group delay at low frequencies in output samples (0 when the rates match). */
  get delay(): number {
    return this.#raw.delay;
  }

  /** Filter taps each output sample reads (0 when the rates match). */
  get tapsPerPhase(): number {
    return this.#raw.tapsPerPhase;
  }
}
