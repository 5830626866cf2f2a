// The shard's side of a plain RTP leg: opens its socket on the media thread, applies peer and codec
// changes, and reads its figures (datagram counters and RTCP) back as one flat object.
import type { RtpCodecOptions } from '../../native/mediaTypes.ts';
import type { ShardMediaLeg } from '../../native/shardMedia.ts';
import type { LegDriver, LegDriverContext } from '../LegKind.ts';
import type { RtpCodecWire, RtpLegWireInfo, RtpLegWireSpec, RtpLegWireStats, RtpLegWireUpdate } from './spec.ts';

function codecOptions(codec: RtpCodecWire): RtpCodecOptions {
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
  codec: RtpCodecWire,
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

function nativeLeg(spec: RtpLegWireSpec): ShardMediaLeg {
  return {
    kind: 'rtp',
    ...codecPair(spec.codec, spec.telephoneEventPayloadType, spec.audioLevelExtensionId),
    ...(spec.remoteAddress === undefined ? {} : { remoteAddress: spec.remoteAddress, remotePort: spec.remotePort }),
    ...(spec.symmetricLatching === undefined ? {} : { symmetricLatching: spec.symmetricLatching }),
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.ipv6 === undefined ? {} : { ipv6: spec.ipv6 }),
    ...(spec.rtcpMux === undefined ? {} : { rtcpMux: spec.rtcpMux }),
    ...(spec.remoteRtcpPort === undefined ? {} : { remoteRtcpPort: spec.remoteRtcpPort }),
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
export function legStats(context: LegDriverContext): RtpLegWireStats {
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

/** Opens plain RTP legs on the shard's media thread. */
export const rtpLegDriver: LegDriver<RtpLegWireSpec, RtpLegWireInfo> = {
  open(context, settings, spec) {
    const opened = context.media.addMember(context.conference, context.member, settings, nativeLeg(spec));
    const info: RtpLegWireInfo = { kind: 'rtp', localAddress: spec.ipv6 ? '::' : '0.0.0.0', localPort: opened.port ?? 0 };
    if (opened.rtcpPort !== undefined) info.rtcpPort = opened.rtcpPort;
    return {
      info,
      ...(opened.legId === undefined ? {} : { legId: opened.legId }),
      update(fields) {
        const update = fields as RtpLegWireUpdate;
        context.media.updateLeg(context.conference, context.member, {
          ...(update.remoteAddress === undefined ? {} : { remoteAddress: update.remoteAddress, remotePort: update.remotePort }),
          // The level extension stays as the leg opened with it, whatever the new codec.
          ...(update.codec ? codecPair(update.codec, update.telephoneEventPayloadType, spec.audioLevelExtensionId) : {}),
        });
      },
      stats: () => legStats(context),
      close() {},
    };
  },
};
