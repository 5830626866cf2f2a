// The public shape of a plain RTP leg: its options, updates, codec, SDP options and figures.
import type { RtpMediaCodec } from '../rtpMedia.ts';
import type { SdpCodecName, SdpOpusOptions } from './sdpTypes.ts';

/** The codec of a plain RTP leg: the same description every RTP-carrying leg hands the shard. */
export type RtpCodec = RtpMediaCodec;

/** A plain RTP leg to open for a member; its local port comes back on `member.leg`. */
export interface RtpLegOptions {
  kind: 'rtp';
  /** A preset ('pcmu', 'pcma', 'opus') or a full codec description. */
  codec: 'pcmu' | 'pcma' | 'opus' | RtpCodec;
  /** RFC 4733 telephone-event payload type, if the peer sends DTMF that way. */
  telephoneEventPayloadType?: number;
  /** RFC 6464 ssrc-audio-level header extension id (1..255), if the peer sends levels: with a cap on active talkers, a member whose level misses the cut is not decoded. */
  audioLevelExtensionId?: number;
  /** The peer's numeric address (needed unless symmetricLatching learns it). */
  remoteAddress?: string;
  /** The peer's port. */
  remotePort?: number;
  /** Learn the peer from its first valid packet (NAT). */
  symmetricLatching?: boolean;
  /** Leave after this long without a packet, ms (default 30000, 0 = never). */
  timeoutMs?: number;
  /** Bind IPv6. */
  ipv6?: boolean;
  /** Packet duration, ms (default: the conference interval). */
  ptimeMs?: 10 | 20 | 40 | 60;
  /** The SSRC of the stream we send (default: random), for a peer that routes by it (an SFU). */
  ssrc?: number;
}

/** A peer or codec change of a member's RTP leg. */
export interface RtpLegUpdate {
  remoteAddress?: string;
  remotePort?: number;
  codec?: 'pcmu' | 'pcma' | 'opus' | RtpCodec;
  telephoneEventPayloadType?: number;
}

/** How an RTP leg joined by SDP is set up: `rtp` of addMember with `sdp` or `offer`. */
export interface SdpLegOptions {
  /** Answering: the codec to take when the offer has it (default: the offer's first we speak). */
  preferredCodec?: SdpCodecName;
  /** Offering: codecs in order of preference (default opus, pcmu, pcma). */
  codecs?: SdpCodecName[];
  /** Opus: bitrate (our cap and the peer's maxaveragebitrate), dtx, fec. */
  opus?: SdpOpusOptions;
  /** Learn the peer's address from its first valid packet instead of the SDP's (peers behind NAT). Default false. */
  symmetricLatching?: boolean;
  /** Leave after this long without a packet, ms (default 30000, 0 = never). */
  timeoutMs?: number;
  /** Offering: RTCP on the RTP port (a=rtcp-mux). Default true. */
  rtcpMux?: boolean;
  /** Offering: an IPv6 leg (the SDP names the engine's rtpAddress6). Answering follows the offer's c= line. */
  ipv6?: boolean;
}

/** Where an RTP leg's SDP exchange stands: 'have-local-offer' until the answer to our offer is applied. */
export type SdpSignalingState = 'stable' | 'have-local-offer';


/**
 * An RTP member's media figures. Datagram counters (RTCP included) are always there; the RTCP
 * figures (RFC 3550) once the media thread has a snapshot; the peer's view of our stream once the
 * peer has reported on it.
 */
export interface RtpLegStats {
  /** The leg's local RTP port. */
  localPort: number;
  /** The separate RTCP socket's port, without rtcp-mux. */
  localRtcpPort?: number;
  /** Datagrams taken (RTP and RTCP). */
  packetsIn: number;
  /** Their bytes. */
  bytesIn: number;
  /** Datagrams sent. */
  packetsOut: number;
  /** Their bytes. */
  bytesOut: number;
  /** Datagrams from a source other than the peer, dropped. */
  droppedStranger: number;
  /** Datagrams from the peer that were not valid for the leg (malformed, wrong payload type), dropped. */
  droppedInvalid: number;
  /** RTP packets of the peer's stream received. */
  packetsReceived?: number;
  /** Their payload bytes. */
  bytesReceived?: number;
  /** RTP packets we sent. */
  packetsSent?: number;
  /** Their payload bytes. */
  bytesSent?: number;
  /** Loss of the peer's stream in our last report's interval, 0..1. */
  fractionLost?: number;
  /** Packets of the peer's stream lost so far (expected minus received). */
  cumulativeLost?: number;
  /** Interarrival jitter of the peer's stream, ms. */
  jitterMs?: number;
  /** Round trip from the peer's report on our stream (LSR/DLSR), ms; null until known. */
  rttMs?: number | null;
  /** RTCP reports we sent. */
  reportsSent?: number;
  /** RTCP reports received. */
  reportsReceived?: number;
  /** Malformed RTCP datagrams ignored. */
  rtcpMalformed?: number;
  /** The peer's loss of our stream in its last interval, 0..1. */
  remoteFractionLost?: number;
  /** The peer's cumulative loss of our stream. */
  remoteCumulativeLost?: number;
  /** The jitter the peer measured on our stream, ms. */
  remoteJitterMs?: number;
}

/** The events an RtpLeg emits. */
export interface RtpLegEvents {
  /** The leg is closed (its member left); emitted once. */
  close: [];
}
