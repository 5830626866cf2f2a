// The plain RTP leg kind: a checked spec (given, or set up by an SDP offer/answer) that joins as a
// socket on the shard's media thread and becomes an RtpLeg.
import { InvalidArgumentError } from '../../errors.ts';
import type { Fields } from '../../fields.ts';
import type { LegJoin, LegKind, LegRequest } from '../LegKind.ts';
import { rtpLegDriver } from './driver.ts';
import { RtpLeg } from './RtpLeg.ts';
import { checkSdpLegOptions, SdpLegSession } from './SdpLegSession.ts';
import type { OpenedLeg } from './SdpLegSession.ts';
import { normalizeRtpLeg } from './spec.ts';
import type { RtpLegWireInfo, RtpLegWireSpec } from './spec.ts';
import type { SdpPtimeMs } from './sdpTypes.ts';

/** An RTP join set up by SDP: its session, the flags its direction asks for, and how its SDP is finished. */
interface SdpJoinPlan {
  session: SdpLegSession;
  flags: { mute: boolean; deaf: boolean };
  complete: (opened: OpenedLeg) => string;
}

/** A checked RTP leg, ready to join. */
export class RtpLegRequest implements LegRequest {
  /** Always 'rtp'. */
  readonly kind = 'rtp';
  /** The wire spec the shard opens. */
  readonly spec: RtpLegWireSpec;
  readonly #sdp: SdpJoinPlan | undefined;

  /** A spec given as is, or set up by an SDP plan. */
  constructor(spec: RtpLegWireSpec, sdp?: SdpJoinPlan) {
    this.spec = spec;
    this.#sdp = sdp;
  }

  /** Our SDP once the join completed (answer or offer). */
  get localSdp(): string | undefined {
    return this.#sdp?.session.localSdp;
  }

  /** Starts the join. */
  join(): LegJoin<RtpLegWireSpec, RtpLegWireInfo> {
    const { spec } = this;
    const sdp = this.#sdp;
    return {
      ...(sdp ? { flags: sdp.flags } : {}),
      hearsRefusal: sdp === undefined,
      wire: () => ({ spec, transfer: [] }),
      abandon: () => {},
      discard: () => {},
      open: (info, link) => {
        const opened: OpenedLeg = { localPort: info.localPort };
        if (info.rtcpPort !== undefined) opened.localRtcpPort = info.rtcpPort;
        sdp?.complete(opened);
        return new RtpLeg(spec, info, link, sdp?.session);
      },
    };
  }
}

/** What an SDP join needs from its conference. */
export interface SdpJoinContext {
  /** The addresses our SDP names, by family (the engine's rtpAddress and rtpAddress6). */
  addresses: { 4: string; 6: string };
  /** The conference interval, ms: the leg's packet time. */
  intervalMs: number;
}

/** Checks that an SDP join asks for exactly one of answering (`sdp`) and offering (`offer: true`). */
export function checkSdpJoin(fields: { sdp?: unknown; offer?: unknown }): void {
  if (fields.sdp !== undefined && fields.offer !== undefined) throw new InvalidArgumentError("give sdp (the peer's offer) or offer: true (ours), not both");
  if (fields.sdp === undefined && fields.offer !== true) throw new InvalidArgumentError("offer must be true (or give sdp, the peer's offer)");
}

/**
 * The RTP leg of an SDP join: answering the peer's offer (`sdp`) or making ours (`offer: true`),
 * with `rtp` options. The offer is read before any socket opens: an SDP that cannot work costs nothing.
 */
export function sdpLegRequest(fields: { sdp?: unknown; offer?: unknown; rtp?: unknown }, context: SdpJoinContext): RtpLegRequest {
  const { sdp, rtp } = fields;
  checkSdpJoin(fields);
  const settings = checkSdpLegOptions(rtp);
  if (sdp !== undefined) {
    const answering = SdpLegSession.answering(sdp, settings, context.addresses, context.intervalMs as SdpPtimeMs);
    const { negotiated } = answering.negotiation;
    return new RtpLegRequest(answering.spec, {
      session: answering.session,
      flags: { mute: !negotiated.receive, deaf: !negotiated.send },
      complete: (opened) => answering.session.completeAnswer(answering.negotiation, opened),
    });
  }
  const offering = SdpLegSession.offering(settings, context.addresses, context.intervalMs as SdpPtimeMs);
  return new RtpLegRequest(offering.spec, {
    session: offering.session,
    flags: { mute: false, deaf: false },
    complete: (opened) => offering.session.completeOffer(opened),
  });
}

/** The plain RTP leg kind. */
export const rtpLegKind: LegKind<RtpLegWireSpec, RtpLegWireInfo> = {
  parse: (fields: Fields) => new RtpLegRequest(normalizeRtpLeg(fields)),
  driver: rtpLegDriver,
};
