// A WebRTC leg as the member sees it: our SDP, the codec settled, and the calls that carry the
// rest of the signalling (the peer's answer to our offer, trickled candidates) to its shard.
import { EventEmitter } from 'node:events';
import { InvalidStateError } from '../../errors.ts';
import type { LegLink } from '../LegKind.ts';
import { checkWebrtcSdp, parseTrickleFragment } from './sdp.ts';
import type { WebrtcLegWireInfo } from './spec.ts';
import type { WebrtcLegEvents, WebrtcLegStats } from './WebrtcLegTypes.ts';

/** One member's WebRTC connection (a werift peer in its conference's shard). */
export class WebrtcLeg extends EventEmitter<WebrtcLegEvents> {
  /** Always 'webrtc'. */
  readonly kind = 'webrtc' as const;
  /** Our SDP: the answer we gave, or the offer we made. */
  readonly localSdp: string;
  /** The codec both ways ('opus', 'pcmu' or 'pcma'). */
  readonly codec: string;
  /** The codec's payload type. */
  readonly payloadType: number;
  /** RFC 4733's payload type, when the peer offered telephone-event. */
  readonly telephoneEventPayloadType: number | undefined;
  #awaitingAnswer: boolean;
  #closed = false;
  readonly #link: LegLink;

  /** Built by its kind's join from the shard's answer. */
  constructor(info: WebrtcLegWireInfo, link: LegLink, awaitingAnswer: boolean) {
    super();
    this.localSdp = info.sdp;
    this.codec = info.codec;
    this.payloadType = info.payloadType;
    this.telephoneEventPayloadType = info.telephoneEventPayloadType;
    this.#awaitingAnswer = awaitingAnswer;
    this.#link = link;
  }

  /** True while our offer waits for the peer's answer. */
  get awaitingAnswer(): boolean {
    return this.#awaitingAnswer;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Completes a leg that joined with our offer; SdpError when the answer cannot work (the leg is unchanged). */
  async applyAnswer(answerSdp: string): Promise<void> {
    this.#assertOpen();
    if (!this.#awaitingAnswer) throw new InvalidStateError('this WebRTC leg is not waiting for an answer');
    checkWebrtcSdp(answerSdp, 'answer');
    await this.#link.updateLeg({ answerSdp });
    this.#awaitingAnswer = false;
  }

  /** Adds candidates trickled as an SDP fragment (RFC 8840, as WHIP's PATCH carries them); SdpError when it is none. */
  async addIceCandidates(fragment: string): Promise<void> {
    this.#assertOpen();
    const { candidates } = parseTrickleFragment(fragment);
    if (candidates.length > 0) await this.#link.updateLeg({ candidates });
  }

  /** Its media figures (see WebrtcLegStats). */
  async stats(): Promise<WebrtcLegStats> {
    return this.#link.stats();
  }

  /** Closes the leg: its member leaves the conference. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /** Plain data. */
  toJSON(): { kind: 'webrtc'; codec: string; payloadType: number } {
    return { kind: 'webrtc', codec: this.codec, payloadType: this.payloadType };
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('the leg is closed');
    this.#link.assertActive();
  }
}
