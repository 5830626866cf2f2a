// Shapes the product's native views share with the testing views: conference media options,
// RTP codec options, and one leg's counters.
import type { CodecOptions } from './codecs.ts';
import type { NativeConferenceOptions } from './mixer.ts';

/** A media conference's options: the mixer's, plus how its encoders behave under load. */
export interface NativeMediaConferenceOptions extends NativeConferenceOptions {
  /** Shed Opus encoder complexity while the media thread is loaded, and restore it after (default true). */
  adaptiveComplexity?: boolean;
  /** Spread a tick's Opus decodes and encodes over the process's worker threads (default true). */
  parallelCodecs?: boolean;
  /**
   * While a member's gate is closed, skip decoding Opus payloads its sender's VAD marks unvoiced,
   * decoding one as a probe every 200 ms (default true).
   */
  skipUnvoiced?: boolean;
}

/** One direction's codec, with the payload type on the wire. */
export interface RtpCodecOptions extends CodecOptions {
  /** RTP payload type 0..127 (defaults: PCMU 0, PCMA 8, Opus 111, L16 96). */
  payloadType?: number;
}

/** What a member receives: its codec and, if negotiated, RFC 4733 telephone-events. */
/** The sending side of an RTP leg. */
export interface SendOptions extends RtpCodecOptions {
  /** The stream's SSRC (default: random). */
  ssrc?: number;
}

export interface ReceiveOptions extends RtpCodecOptions {
  /** Payload type of telephone-event. */
  telephoneEventPayloadType?: number;
  /** Its clock: 8000 (default for G.711/L16) or 48000 (default for Opus). */
  telephoneEventClockRate?: number;
  /** The RFC 6464 ssrc-audio-level header extension's id (1..255), if negotiated: with a cap on
   *  active talkers, members whose level misses the cut are not decoded. */
  audioLevelExtensionId?: number;
}

/** Counters of one leg. */
export interface LegStats {
  legId: number;
  transport: 'udp' | 'js';
  port: number | null;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  droppedStranger: number;
  droppedInvalid: number;
  droppedOverflow: number;
  droppedNoRemote: number;
  sendFailed: number;
  latched: boolean;
  /** Sends, and the remote's packets, use a socket connected to the remote (cheaper per packet). */
  connected: boolean;
  timedOut: boolean;
  remoteAddress: string | null;
  remotePort: number | null;
}
