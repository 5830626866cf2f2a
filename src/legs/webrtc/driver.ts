// The shard's side of a WebRTC leg: a werift peer in this worker does ICE, DTLS and SRTP; the
// member on the media thread is an external leg. Decrypted RTP goes in through the shard's
// batch (one crossing per event-loop turn), and each tick's outgoing batch comes back to send().
import type { LegDriver } from '../LegKind.ts';
import { codecPair, legStats } from '../rtpMedia.ts';
import type { WebrtcLegWireInfo, WebrtcLegWireSpec, WebrtcLegWireUpdate } from './spec.ts';

// werift and its crypto are about 20 MB of a process's memory: they load with the first WebRTC
// leg, so an engine (and each of its shards) that never opens one does not carry them.
let peerModule: Promise<typeof import('./WebrtcPeer.ts')> | undefined;
function loadPeerModule(): Promise<typeof import('./WebrtcPeer.ts')> {
  peerModule ??= import('./WebrtcPeer.ts');
  return peerModule;
}

// RTCP packet types (RFC 3550, 4585) sit in the second byte; werift sends its own reports.
function isRtcp(packet: Uint8Array): boolean {
  const type = packet[1] ?? 0;
  return type >= 192 && type <= 223;
}

/** Opens WebRTC legs: a werift peer here, an external leg on the media thread. */
export const webrtcLegDriver: LegDriver<WebrtcLegWireSpec, WebrtcLegWireInfo> = {
  async open(context, settings, spec) {
    const { WebrtcPeer, negotiatedOf } = await loadPeerModule();
    const options = { iceServers: spec.iceServers, iceAddresses: spec.iceAddresses };
    const { peer, sdp } = spec.offerSdp === undefined ? await WebrtcPeer.offering(options) : await WebrtcPeer.answering(spec.offerSdp, spec.codec, options);
    let legId: number | undefined;
    const negotiated = negotiatedOf(sdp);
    try {
      const codec = {
        name: negotiated.codec,
        payloadType: negotiated.payloadType,
        clockRate: negotiated.clockRate,
        channels: negotiated.channels,
        ...(negotiated.codec === 'opus' ? { fec: spec.fec, dtx: spec.dtx } : {}),
      };
      const opened = context.media.addMember(context.conference, context.member, settings, {
        kind: 'external',
        ...codecPair(codec, negotiated.telephoneEventPayloadType, undefined),
        ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
      });
      legId = opened.legId;
    } catch (error) {
      peer.close();
      throw error;
    }
    peer.onRtp((packet) => context.pushPacket(packet));
    peer.onEnd((reason) => context.end(reason));
    const info: WebrtcLegWireInfo = { kind: 'webrtc', sdp, codec: negotiated.codec, payloadType: negotiated.payloadType };
    if (negotiated.telephoneEventPayloadType !== undefined) info.telephoneEventPayloadType = negotiated.telephoneEventPayloadType;
    return {
      info,
      ...(legId === undefined ? {} : { legId }),
      async update(fields) {
        const update = fields as WebrtcLegWireUpdate;
        if ('answerSdp' in update) await peer.applyAnswer(update.answerSdp);
        else await peer.addCandidates(update.candidates);
      },
      send(packet) {
        if (!isRtcp(packet)) peer.send(packet);
      },
      stats: async () => ({ ...legStats(context), ...(await peer.stats()) }),
      close: () => peer.close(),
    };
  },
};
