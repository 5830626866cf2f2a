// A plain RTP leg as the member sees it: the spec it was opened with and the local port the
// shard's media thread bound. The socket itself lives in the shard. A leg joined by SDP also
// carries its offer/answer state, and takes the peer's re-offers and answers.
import { EventEmitter } from 'node:events';
import { InvalidStateError, UnsupportedError } from '../errors.ts';
import type { NegotiatedMedia } from '../legs/rtp/sdpTypes.ts';
import type { ShardLegSpec, ShardRtpCodec } from '../shard/conferenceProtocol.ts';
import type { SdpSignalingState } from './MemberTypes.ts';
import type { SdpLegSession } from './sdpSession.ts';

type RtpSpec = Extract<ShardLegSpec, { kind: 'rtp' }>;

/** Internal: how a leg joined by SDP reaches its conference for a new exchange. */
export interface RtpLegSdpControl {
  /** Applies the peer's answer to our offer. */
  applyAnswer(leg: RtpLeg, answerSdp: unknown): Promise<void>;
  /** Applies the peer's new offer; resolves with our answer. */
  reoffer(leg: RtpLeg, offerSdp: unknown): Promise<string>;
}

/** The events an RtpLeg emits. */
export interface RtpLegEvents {
  /** The leg is closed (its member left); emitted once. */
  close: [];
}

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
  #spec: RtpSpec;
  #closed = false;
  readonly #sdp: { session: SdpLegSession; control: RtpLegSdpControl } | undefined;

  /** Built by the conference from the shard's addMember answer (and the SDP session, when joined by SDP). */
  constructor(spec: RtpSpec, localAddress: string, localPort: number, options: { localRtcpPort?: number; sdp?: { session: SdpLegSession; control: RtpLegSdpControl } } = {}) {
    super();
    this.#spec = { ...spec, codec: { ...spec.codec } };
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.localRtcpPort = options.localRtcpPort;
    this.#sdp = options.sdp;
  }

  /** True when the leg joined by SDP offer/answer. */
  get sdpNegotiated(): boolean {
    return this.#sdp !== undefined;
  }

  /** Where the SDP exchange stands (undefined for a leg not joined by SDP). */
  get signalingState(): SdpSignalingState | undefined {
    return this.#sdp?.session.signalingState;
  }

  /** Our last SDP: the answer we gave, or the offer we made. */
  get localSdp(): string | undefined {
    return this.#sdp?.session.localSdp;
  }

  /** The peer's last SDP. */
  get remoteSdp(): string | undefined {
    return this.#sdp?.session.remoteSdp;
  }

  /** What the last completed offer/answer settled on (codec, ptime, direction, RTCP...). */
  get negotiated(): NegotiatedMedia | undefined {
    const negotiated = this.#sdp?.session.negotiated;
    return negotiated === undefined ? undefined : structuredClone(negotiated);
  }

  /** The address our SDP names (the engine's rtpAddress or rtpAddress6). */
  get sdpAddress(): string | undefined {
    return this.#sdp?.session.localAddress;
  }

  /**
   * Completes a leg that joined with our offer (`addMember({offer: true})`): the peer's answer
   * sets its address and codec. SdpError when the answer cannot work; the leg is then unchanged.
   */
  async applyAnswer(answerSdp: string): Promise<void> {
    return this.#sdpControl().applyAnswer(this, answerSdp);
  }

  /**
   * The peer's new offer on this live leg (re-INVITE): hold (sendonly/inactive), a new address or
   * codec. Resolves with our answer once the leg follows it; the member stays. SdpError when the
   * offer cannot work; the leg is then unchanged.
   */
  async reoffer(offerSdp: string): Promise<string> {
    return this.#sdpControl().reoffer(this, offerSdp);
  }

  /** Internal: the spec the leg runs with now. */
  get spec(): RtpSpec {
    return { ...this.#spec, codec: { ...this.#spec.codec } };
  }

  /** The codec sent and received. */
  get codec(): ShardRtpCodec {
    return { ...this.#spec.codec };
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

  #sdpControl(): RtpLegSdpControl {
    if (!this.#sdp) throw new UnsupportedError('this RTP leg did not join by SDP; use member.updateLeg()');
    if (this.#closed) throw new InvalidStateError('the leg is closed');
    return this.#sdp.control;
  }

  /** Internal: records a peer or codec change the shard accepted. */
  applyUpdate(update: Partial<Pick<RtpSpec, 'remoteAddress' | 'remotePort' | 'codec' | 'telephoneEventPayloadType'>>): void {
    this.#spec = { ...this.#spec, ...update };
  }

  /** Closes the leg: its member leaves the conference. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /** Plain data. */
  toJSON(): { kind: 'rtp'; localAddress: string; localPort: number; codec: ShardRtpCodec; remoteAddress?: string; remotePort?: number } {
    const json: ReturnType<RtpLeg['toJSON']> = { kind: 'rtp', localAddress: this.localAddress, localPort: this.localPort, codec: this.codec };
    if (this.remoteAddress !== undefined) json.remoteAddress = this.remoteAddress;
    if (this.remotePort !== undefined) json.remotePort = this.remotePort;
    return json;
  }
}
