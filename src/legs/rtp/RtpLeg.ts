// A plain RTP leg as the member sees it: the spec it runs with and the local port the shard's
// media thread bound (the socket itself lives in the shard). It sends its own changes to the shard
// through its link. A leg joined by SDP also carries its offer/answer state, and takes the peer's
// re-offers and answers.
import { EventEmitter } from 'node:events';
import { InvalidStateError, UnsupportedError } from '../../errors.ts';
import type { LegLink } from '../LegKind.ts';
import type { RtpCodec, RtpLegEvents, RtpLegStats, RtpLegUpdate, SdpSignalingState } from './RtpLegTypes.ts';
import type { SdpLegSession } from './SdpLegSession.ts';
import { normalizeRtpLegUpdate, rtpCodecOf, rtpLegStatsOf } from './spec.ts';
import type { RtpLegWireInfo, RtpLegWireSpec, RtpLegWireUpdate } from './spec.ts';
import type { NegotiatedMedia } from './sdpTypes.ts';

/** One member's plain RTP connection. */
export class RtpLeg extends EventEmitter<RtpLegEvents> {
  /** Always 'rtp'. */
  readonly kind = 'rtp' as const;
  /** The local address the shard bound. */
  readonly localAddress: string;
  /** The local UDP port the shard bound (send RTP here). */
  readonly localPort: number;
  /** The local port of the separate RTCP socket, when RTCP is not on the RTP port. */
  readonly localRtcpPort: number | undefined;
  #spec: RtpLegWireSpec;
  #closed = false;
  readonly #link: LegLink;
  readonly #session: SdpLegSession | undefined;

  /** Built by its kind's join from the shard's answer (and the SDP session, when joined by SDP). */
  constructor(spec: RtpLegWireSpec, info: RtpLegWireInfo, link: LegLink, session?: SdpLegSession) {
    super();
    this.#spec = { ...spec, codec: { ...spec.codec } };
    this.localAddress = info.localAddress;
    this.localPort = info.localPort;
    this.localRtcpPort = info.rtcpPort;
    this.#link = link;
    this.#session = session;
  }

  /** True when the leg joined by SDP offer/answer. */
  get sdpNegotiated(): boolean {
    return this.#session !== undefined;
  }

  /** Where the SDP exchange stands (undefined for a leg not joined by SDP). */
  get signalingState(): SdpSignalingState | undefined {
    return this.#session?.signalingState;
  }

  /** Our last SDP: the answer we gave, or the offer we made. */
  get localSdp(): string | undefined {
    return this.#session?.localSdp;
  }

  /** The peer's last SDP. */
  get remoteSdp(): string | undefined {
    return this.#session?.remoteSdp;
  }

  /** What the last completed offer/answer settled on (codec, ptime, direction, RTCP...). */
  get negotiated(): NegotiatedMedia | undefined {
    const negotiated = this.#session?.negotiated;
    return negotiated === undefined ? undefined : structuredClone(negotiated);
  }

  /** The address our SDP names (the engine's rtpAddress or rtpAddress6). */
  get sdpAddress(): string | undefined {
    return this.#session?.localAddress;
  }

  /**
   * Completes a leg that joined with our offer (`addMember({offer: true})`): the peer's answer
   * sets its address and codec. SdpError when the answer cannot work; the leg is then unchanged.
   */
  async applyAnswer(answerSdp: string): Promise<void> {
    const session = this.#sdpSession();
    this.#link.assertActive();
    return session.exclusive(async () => {
      // An answer that cannot work throws here, before anything changed.
      const { media, change } = session.readAnswer(answerSdp, this.#spec);
      await this.#apply(change);
      session.commitAnswer(answerSdp, media);
      await this.#link.applyDirection({ mute: !media.receive, deaf: !media.send });
    });
  }

  /**
   * The peer's new offer on this live leg (re-INVITE): hold (sendonly/inactive), a new address or
   * codec. Resolves with our answer once the leg follows it; the member stays. SdpError when the
   * offer cannot work; the leg is then unchanged.
   */
  async reoffer(offerSdp: string): Promise<string> {
    const session = this.#sdpSession();
    this.#link.assertActive();
    return session.exclusive(async () => {
      const { negotiation, change } = session.readReoffer(offerSdp, this.#spec);
      await this.#apply(change);
      const answer = session.commitReoffer(offerSdp, negotiation);
      const { negotiated } = negotiation;
      await this.#link.applyDirection({ mute: !negotiated.receive, deaf: !negotiated.send });
      return answer;
    });
  }

  /** Changes the peer or codec (`member.updateLeg()`); resolves once the shard applied it. */
  async update(update: RtpLegUpdate): Promise<void> {
    await this.#apply(normalizeRtpLegUpdate(update));
  }

  /**
   * Its media figures: datagram counters, and RTCP figures (packets and bytes each way, loss
   * fraction, cumulative loss, jitter, round trip) once known.
   */
  async stats(): Promise<RtpLegStats> {
    return rtpLegStatsOf(await this.#link.stats());
  }

  /** Internal: the spec the leg runs with now. */
  get spec(): RtpLegWireSpec {
    return { ...this.#spec, codec: { ...this.#spec.codec } };
  }

  /** The codec sent and received. */
  get codec(): RtpCodec {
    return rtpCodecOf(this.#spec.codec);
  }

  /** The peer's address, if known. */
  get remoteAddress(): string | undefined {
    return this.#spec.remoteAddress;
  }

  /** The peer's port, if known. */
  get remotePort(): number | undefined {
    return this.#spec.remotePort;
  }

  /** The RFC 4733 payload type, if negotiated. */
  get telephoneEventPayloadType(): number | undefined {
    return this.#spec.telephoneEventPayloadType;
  }

  /** Whether the peer is learned from its first valid packet. */
  get symmetricLatching(): boolean {
    return this.#spec.symmetricLatching ?? false;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #sdpSession(): SdpLegSession {
    if (!this.#session) throw new UnsupportedError('this RTP leg did not join by SDP; use member.updateLeg()');
    if (this.#closed) throw new InvalidStateError('the leg is closed');
    return this.#session;
  }

  // The shard first, then the leg's own record: a refused change changes nothing.
  async #apply(change: RtpLegWireUpdate): Promise<void> {
    if (Object.keys(change).length === 0) return;
    await this.#link.updateLeg({ ...change });
    this.#spec = { ...this.#spec, ...change };
  }

  /** Closes the leg: its member leaves the conference. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /** Plain data. */
  toJSON(): { kind: 'rtp'; localAddress: string; localPort: number; codec: RtpCodec; remoteAddress?: string; remotePort?: number } {
    const json: ReturnType<RtpLeg['toJSON']> = { kind: 'rtp', localAddress: this.localAddress, localPort: this.localPort, codec: this.codec };
    if (this.remoteAddress !== undefined) json.remoteAddress = this.remoteAddress;
    if (this.remotePort !== undefined) json.remotePort = this.remotePort;
    return json;
  }
}
