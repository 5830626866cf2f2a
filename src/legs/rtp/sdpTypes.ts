// Types of the SDP offer/answer of a plain RTP leg (RFC 3264, RFC 4566, RFC 7587 for Opus).
import type { MediaDescription } from 'sdp-transform';

/** The codecs a plain RTP leg speaks. */
export type SdpCodecName = 'opus' | 'pcmu' | 'pcma' | 'l16';

/** An SDP media direction, as written in the SDP of the side that wrote it. */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Packet times a leg can use, ms. */
export type SdpPtimeMs = 10 | 20 | 40 | 60;

/** Clock rates L16 is accepted at (mono only). */
export type SdpL16Rate = 8000 | 16000 | 32000 | 48000;

export type { SdpErrorReason } from '../SdpError.ts';

/** Our Opus preferences. */
export interface SdpOpusOptions {
  /** Target bitrate, 6000..510000 bits/s: asked of the peer (maxaveragebitrate) and our encoder's cap. */
  bitrate?: number;
  /** Discontinuous transmission: asked of the peer (usedtx=1); false keeps our encoder from it. Default: follow the peer. */
  dtx?: boolean;
  /** In-band FEC: we ask for it (useinbandfec=1) unless false; false keeps our encoder from it. Default true. */
  fec?: boolean;
}

/** The codec a negotiation settled on, described as our encoder must use it toward the peer. */
export interface NegotiatedCodec {
  /** Codec name. */
  name: SdpCodecName;
  /** RTP payload type, the number the peer's SDP gave it. */
  payloadType: number;
  /** RTP clock rate, Hz (Opus: 48000). */
  clockRate: number;
  /** Channels on the wire (Opus: always 2 in the rtpmap). */
  channels: number;
  /** Opus: encode with in-band FEC (the peer can use it and we allow it). */
  fec: boolean;
  /** Opus: encode with DTX. */
  dtx: boolean;
  /** Opus: the peer can receive stereo (its stereo=1). */
  stereo: boolean;
  /** Opus: the peer will send stereo (its sprop-stereo=1). */
  spropStereo: boolean;
  /** Opus: the most the peer wants to receive (its maxaveragebitrate), bits/s. */
  maxAverageBitrate?: number;
  /** Opus: the peer's maximum playback rate (its maxplaybackrate), Hz. */
  maxPlaybackRate?: number;
  /** Opus: the peer's minimum packet time (its minptime), ms. */
  minPtimeMs?: number;
  /** Opus: our encoder's bitrate, bits/s: our option capped by the peer's maximum; 0 = the
   *  encoder's default for the conference rate, itself capped by maxAverageBitrate. */
  bitrate: number;
}

/** RFC 4733 telephone-events negotiated alongside the codec. */
export interface NegotiatedTelephoneEvent {
  /** RTP payload type. */
  payloadType: number;
  /** Clock rate, Hz: the codec's. */
  clockRate: number;
}

/** Where the peer's RTP goes. */
export interface SdpRemoteAddress {
  /** IP address literal. */
  address: string;
  /** UDP port. */
  port: number;
  /** 4 or 6. */
  family: 4 | 6;
}

/** What an offer/answer settled on for the audio stream. */
export interface NegotiatedMedia {
  /** The codec we send and receive. */
  codec: NegotiatedCodec;
  /** Telephone-events at the codec's clock rate, or null when not negotiated. */
  telephoneEvent: NegotiatedTelephoneEvent | null;
  /** Packet time we send, ms. */
  ptimeMs: SdpPtimeMs;
  /** Where we send RTP. */
  remote: SdpRemoteAddress;
  /** Where we send RTCP, or 'mux' when it shares the RTP port. */
  remoteRtcp: { address: string; port: number } | 'mux';
  /** True when RTCP is multiplexed on the RTP port. */
  rtcpMux: boolean;
  /** The direction in OUR SDP of this exchange. */
  direction: SdpDirection;
  /** True when we send media. */
  send: boolean;
  /** True when we receive media. */
  receive: boolean;
  /** Our SDP's session id (o= line). */
  sessionId: string;
  /** Our SDP's session version (o= line). */
  sessionVersion: number;
  /** The peer's session id. */
  remoteSessionId: string;
  /** The peer's session version. */
  remoteSessionVersion: number;
  /** The peer's SSRC when its SDP names one (a=ssrc). */
  remoteSsrc?: number;
  /** The RFC 6464 ssrc-audio-level header extension's id, when both sides named it (a=extmap). */
  audioLevelId?: number;
}

/** The URI of the RFC 6464 client-to-mixer audio level header extension. */
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
/** The id our offers give it. */
export const OFFER_AUDIO_LEVEL_ID = 1;

/** What a later offer/answer of the same session needs from the previous one. */
export interface SdpSessionState {
  /** Our o= line's session id and version. */
  origin: { sessionId: string; sessionVersion: number };
  /** Our last SDP. */
  sdp: string;
}

/** Options of negotiateOffer: what we want of the answer. */
export interface NegotiateOfferOptions {
  /** Taken when the offer has it; otherwise the offer's first supported codec. */
  preferredCodec?: SdpCodecName;
  /** Our Opus preferences. */
  opus?: SdpOpusOptions;
  /** What we want to do (e.g. 'sendonly' to hold the peer); the answer is this within what the offer allows. Default 'sendrecv'. */
  direction?: SdpDirection;
  /** The packet time we send, ms; default: the offer's when we can use it, else 20 (or less, below its maxptime). */
  ptimeMs?: SdpPtimeMs;
}

/** Options of writeAnswer: where we are, known once the leg's socket is open. */
export interface WriteAnswerOptions {
  /** Our RTP address (IPv4 or IPv6 literal). */
  localAddress: string;
  /** Our RTP port, 1..65535. */
  localPort: number;
  /** Our RTCP port when RTCP is not multiplexed; written as a=rtcp when it is not localPort + 1. */
  localRtcpPort?: number;
  /** s= line. Default 'confmix'. */
  sessionName?: string;
  /** The state of the previous exchange on this leg: a re-offer keeps our origin. */
  previous?: SdpSessionState;
}

/** Options of answerOffer. */
export interface AnswerOfferOptions extends NegotiateOfferOptions, WriteAnswerOptions {}

/** An offer read and decided before our port is known; pass it to writeAnswer. */
export interface OfferNegotiation {
  /** What was negotiated, but for our own o= line (writeAnswer adds sessionId and sessionVersion). */
  negotiated: Omit<NegotiatedMedia, 'sessionId' | 'sessionVersion'>;
  /** The answer's m= lines, the audio line's port still to be filled in. */
  answerMedia: MediaDescription[];
  /** The index of the audio line in answerMedia. */
  audioIndex: number;
}

/** What answerOffer returns. */
export interface AnswerOfferResult {
  /** Our answer. */
  answerSdp: string;
  /** What was negotiated. */
  negotiated: NegotiatedMedia;
  /** Pass as `previous` when the peer offers again. */
  state: SdpSessionState;
}

/** Options of createOffer. */
export interface CreateOfferOptions {
  /** Our RTP address (IPv4 or IPv6 literal). */
  localAddress: string;
  /** Our RTP port, 1..65535. */
  localPort: number;
  /** Codecs in order of preference. Default ['opus', 'pcmu', 'pcma']. */
  codecs?: SdpCodecName[];
  /** Clock rate of L16 when offered. Default 16000. */
  l16Rate?: SdpL16Rate;
  /** Our direction. Default 'sendrecv'. */
  direction?: SdpDirection;
  /** Packet time. Default 20. */
  ptimeMs?: SdpPtimeMs;
  /** Offer telephone-events at each offered codec's rate. Default true. */
  telephoneEvent?: boolean;
  /** Offer RTCP on the RTP port. Default true. */
  rtcpMux?: boolean;
  /** Our RTCP port without rtcp-mux; written as a=rtcp when it is not localPort + 1. */
  localRtcpPort?: number;
  /** Our Opus preferences. */
  opus?: SdpOpusOptions;
  /** s= line. Default 'confmix'. */
  sessionName?: string;
  /** o= session id, decimal digits; a re-offer passes the previous one. Default random. */
  sessionId?: string;
  /** o= session version; a re-offer passes the previous one plus one. Default 1. */
  sessionVersion?: number;
}

/** One codec we offered. */
export interface OfferedCodec {
  /** Codec name. */
  name: SdpCodecName;
  /** Payload type we gave it. */
  payloadType: number;
  /** Clock rate, Hz. */
  clockRate: number;
  /** Channels in the rtpmap. */
  channels: number;
}

/** What applyAnswer needs from createOffer. */
export interface SdpOfferState extends SdpSessionState {
  /** Codecs offered, in order. */
  offered: OfferedCodec[];
  /** Telephone-events offered. */
  telephoneEvents: NegotiatedTelephoneEvent[];
  /** Our direction. */
  direction: SdpDirection;
  /** Our packet time. */
  ptimeMs: SdpPtimeMs;
  /** True when we offered rtcp-mux. */
  rtcpMux: boolean;
  /** Our Opus preferences. */
  opus: SdpOpusOptions;
}

/** What createOffer returns. */
export interface CreateOfferResult {
  /** Our offer. */
  offerSdp: string;
  /** Pass to applyAnswer with the peer's answer. */
  state: SdpOfferState;
}
