// The shard's side of a plain RTP leg: opens its socket on the media thread, applies peer and codec
// changes, and reads its figures (datagram counters and RTCP) back as one flat object.
import type { ShardMediaLeg } from '../../native/shardMedia.ts';
import type { LegDriver } from '../LegKind.ts';
import { codecOptions, codecPair, legStats } from '../rtpMedia.ts';
import type { RtpLegWireInfo, RtpLegWireSpec, RtpLegWireUpdate } from './spec.ts';

function nativeLeg(spec: RtpLegWireSpec): ShardMediaLeg {
  return {
    kind: 'rtp',
    ...codecPair(spec.codec, spec.telephoneEventPayloadType, spec.audioLevelExtensionId),
    ...(spec.ssrc === undefined ? {} : { send: { ...codecOptions(spec.codec), ssrc: spec.ssrc } }),
    ...(spec.remoteAddress === undefined ? {} : { remoteAddress: spec.remoteAddress, remotePort: spec.remotePort }),
    ...(spec.symmetricLatching === undefined ? {} : { symmetricLatching: spec.symmetricLatching }),
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.ipv6 === undefined ? {} : { ipv6: spec.ipv6 }),
    ...(spec.rtcpMux === undefined ? {} : { rtcpMux: spec.rtcpMux }),
    ...(spec.remoteRtcpPort === undefined ? {} : { remoteRtcpPort: spec.remoteRtcpPort }),
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
