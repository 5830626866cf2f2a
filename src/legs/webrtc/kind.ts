// The WebRTC leg kind: a peer's offer (or our offer) checked on the engine's side before anything
// opens; the shard's driver negotiates with werift and the member holds a WebrtcLeg.
import { InvalidArgumentError } from '../../errors.ts';
import type { Fields } from '../../fields.ts';
import type { LegJoin, LegKind, LegRequest } from '../LegKind.ts';
import { webrtcLegDriver } from './driver.ts';
import { checkWebrtcSdp } from './sdp.ts';
import { normalizeWebrtcLeg } from './spec.ts';
import type { WebrtcLegWireInfo, WebrtcLegWireSpec } from './spec.ts';
import { WebrtcLeg } from './WebrtcLeg.ts';

/** A checked WebRTC leg, ready to join. */
export class WebrtcLegRequest implements LegRequest {
  /** Always 'webrtc'. */
  readonly kind = 'webrtc';
  /** The wire spec the shard opens. */
  readonly spec: WebrtcLegWireSpec;
  #localSdp: string | undefined;

  /** A spec with the peer's offer, or without (we offer). */
  constructor(spec: WebrtcLegWireSpec) {
    this.spec = spec;
  }

  /** Our SDP once the join completed (answer or offer). */
  get localSdp(): string | undefined {
    return this.#localSdp;
  }

  /** Starts the join. */
  join(): LegJoin<WebrtcLegWireSpec, WebrtcLegWireInfo> {
    const { spec } = this;
    return {
      // A refused browser never learns our candidates, so it cannot hear a refusal sound.
      hearsRefusal: false,
      wire: () => ({ spec, transfer: [] }),
      abandon: () => {},
      discard: () => {},
      open: (info, link) => {
        this.#localSdp = info.sdp;
        return new WebrtcLeg(info, link, spec.offerSdp === undefined);
      },
    };
  }
}

/**
 * The WebRTC leg of a join by SDP: `leg` is `{kind: 'webrtc', ...}`, with `sdp` (the peer's
 * offer, checked here: SdpError when it cannot work) or `offer: true`.
 */
export function webrtcSdpLegRequest(leg: Fields, fields: { sdp?: unknown; offer?: unknown }): WebrtcLegRequest {
  const base = normalizeWebrtcLeg(leg);
  if (fields.sdp === undefined) return new WebrtcLegRequest({ ...base, codec: 'opus', fec: true, dtx: false });
  const offer = checkWebrtcSdp(fields.sdp, 'offer');
  return new WebrtcLegRequest({ ...base, offerSdp: fields.sdp as string, codec: offer.codec, fec: offer.fec, dtx: offer.dtx });
}

/** The WebRTC leg kind. */
export const webrtcLegKind: LegKind<WebrtcLegWireSpec, WebrtcLegWireInfo> = {
  parse: () => {
    throw new InvalidArgumentError("a WebRTC leg joins by SDP: give sdp (the peer's offer) or offer: true with leg {kind: 'webrtc'}");
  },
  driver: webrtcLegDriver,
};
