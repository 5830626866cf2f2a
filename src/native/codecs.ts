// The codecs' names, rates and options as TypeScript types, and the addon's resampler. Encoders,
// decoders and G.711 helpers for tests are a testing view: testing/codecs.ts.
import { addon } from './addon.ts';
import { callNative } from './call.ts';

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

/**
 * What a payload says of its sender's voice activity: 'active' (a VAD flag set), 'inactive' (all
 * clear), 'unknown' (no flags: G.711, L16, CELT-only Opus, or a malformed payload).
 */
export type VoiceActivity = 'active' | 'inactive' | 'unknown';

interface RawResampler {
  process(pcm: Int16Array): Int16Array;
  reset(): void;
  readonly inRate: ResamplerRate;
  readonly outRate: ResamplerRate;
  readonly delay: number;
  readonly tapsPerPhase: number;
}

const RawResampler = addon.Resampler as new (inRate: number, outRate: number, phase?: string) => RawResampler;

/** The resampler filter's phase: 'minimum' (low delay, the engine's) or 'linear' (constant delay). */
export type ResamplerPhase = 'minimum' | 'linear';

/** Converts a mono stream between two of RESAMPLER_RATES, frame by frame without seams. */
export class Resampler {
  readonly #raw: RawResampler;

  /** Builds a resampler (minimum-phase filter unless `phase` says 'linear'); throws InvalidArgumentError for an unsupported rate. */
  constructor(inRate: ResamplerRate, outRate: ResamplerRate, phase: ResamplerPhase = 'minimum') {
    this.#raw = callNative(() => new RawResampler(inRate, outRate, phase));
  }

  /** Resamples the next stretch of input; whole milliseconds give exactly ms * outRate / 1000 samples. */
  process(pcm: Int16Array): Int16Array {
    return callNative(() => this.#raw.process(pcm));
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
