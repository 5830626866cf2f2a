// What every leg kind that carries RTP asks of the media thread: its codec's receive and send
// options, and its member's figures read back as one flat object (plain RTP and WebRTC legs).
import type { RtpCodecOptions } from '../native/mediaTypes.ts';
import type { ShardMediaLeg } from '../native/shardMedia.ts';
import type { LegDriverContext } from './LegKind.ts';

/** A leg's codec as it crosses to the shard. */
export interface RtpMediaCodec {
  /** Codec name. */
  name: 'pcmu' | 'pcma' | 'l16' | 'opus';
  /** RTP payload type, 0..127. */
  payloadType: number;
  /** RTP clock rate, Hz. */
  clockRate: number;
  /** Channels (Opus is coded mono). */
  channels: number;
  /** Opus: in-band FEC is decoded and sent. */
  fec?: boolean;
  /** Opus: the encoder may send DTX. */
  dtx?: boolean;
  /** Opus bits/s (0: confmix's default for the conference rate). */
  bitrate?: number;
  /** Opus: the peer's maxaveragebitrate, which caps that default (bits/s). */
  maxBitrate?: number;
}

/** The native codec options of an RTP media codec. */
export function codecOptions(codec: RtpMediaCodec): RtpCodecOptions {
  return {
    codec: codec.name,
    payloadType: codec.payloadType,
    clockRate: codec.clockRate,
    channels: codec.channels,
    ...(codec.fec === undefined ? {} : { fec: codec.fec }),
    ...(codec.dtx === undefined ? {} : { dtx: codec.dtx }),
    ...(codec.bitrate === undefined ? {} : { bitrate: codec.bitrate }),
    ...(codec.maxBitrate === undefined ? {} : { maxBitrate: codec.maxBitrate }),
  };
}

/** Receive and send options of a codec; the telephone-event type and the RFC 6464 level
 *  extension go with the receive side. */
export function codecPair(
  codec: RtpMediaCodec,
  telephoneEventPayloadType: number | undefined,
  audioLevelExtensionId: number | undefined,
): Pick<Extract<ShardMediaLeg, { kind: 'rtp' }>, 'receive' | 'send'> {
  return {
    receive: {
      ...codecOptions(codec),
      ...(telephoneEventPayloadType === undefined ? {} : { telephoneEventPayloadType }),
      ...(audioLevelExtensionId === undefined ? {} : { audioLevelExtensionId }),
    },
    send: codecOptions(codec),
  };
}

/**
 * A member's media figures as one flat object of numbers:
 * - the RTP leg's datagram counters (RTCP included, from its own port without rtcp-mux): packetsIn, bytesIn, packetsOut, bytesOut,
 *   droppedStranger, droppedInvalid, localPort; localRtcpPort without rtcp-mux;
 * - RTCP (RFC 3550): packetsReceived, bytesReceived, packetsSent, bytesSent (RTP packets and
 *   payload bytes), fractionLost (0..1, our last report's interval), cumulativeLost, jitterMs,
 *   rttMs (-1 until the peer has reported on our stream with an LSR), reportsSent,
 *   reportsReceived, rtcpMalformed; remoteFractionLost, remoteCumulativeLost and remoteJitterMs
 *   (the peer's view of our stream) are absent until the peer has reported.
 */
export function legStats(context: LegDriverContext): Record<string, number> {
  const stats = context.media.memberStats(context.conference, context.member);
  const leg = stats.leg;
  if (!leg) return {};
  const rtcp = stats.rtcp;
  // Without rtcp-mux, the RTCP socket's datagrams (a stranger's too) count with the leg's.
  const rtcpLeg = stats.rtcpLeg;
  const both = (key: 'packetsIn' | 'bytesIn' | 'packetsOut' | 'bytesOut' | 'droppedStranger' | 'droppedInvalid'): number =>
    leg[key] + (rtcpLeg ? rtcpLeg[key] : 0);
  return {
    packetsIn: both('packetsIn'),
    bytesIn: both('bytesIn'),
    packetsOut: both('packetsOut'),
    bytesOut: both('bytesOut'),
    droppedStranger: both('droppedStranger'),
    droppedInvalid: both('droppedInvalid'),
    localPort: leg.port,
    ...(stats.rtcpPort === null ? {} : { localRtcpPort: stats.rtcpPort }),
    ...(rtcp
      ? {
          packetsReceived: rtcp.packetsReceived,
          bytesReceived: rtcp.bytesReceived,
          packetsSent: rtcp.packetsSent,
          bytesSent: rtcp.bytesSent,
          fractionLost: rtcp.fractionLost,
          cumulativeLost: rtcp.cumulativeLost,
          jitterMs: rtcp.jitterMs,
          rttMs: rtcp.rttMs ?? -1,
          reportsSent: rtcp.reportsSent,
          reportsReceived: rtcp.reportsReceived,
          rtcpMalformed: rtcp.rtcpMalformed,
          ...(rtcp.remoteFractionLost === null ? {} : { remoteFractionLost: rtcp.remoteFractionLost }),
          ...(rtcp.remoteCumulativeLost === null ? {} : { remoteCumulativeLost: rtcp.remoteCumulativeLost }),
          ...(rtcp.remoteJitterMs === null ? {} : { remoteJitterMs: rtcp.remoteJitterMs }),
        }
      : {}),
    ...(stats.jitterTargetMs === null ? {} : { jitterTargetMs: stats.jitterTargetMs }),
  };
}
