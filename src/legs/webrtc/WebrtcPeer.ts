// One WebRTC leg's werift peer connection, in the shard's worker: ICE, DTLS and SRTP happen here;
// what comes out is plain RTP for the media thread, and plain RTP from it goes out encrypted.
import sdpTransform from 'sdp-transform';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { RTCRtpTransceiver } from 'werift';
import { SdpError } from '../SdpError.ts';
import type { WebrtcCodecName, WebrtcIceServer } from './spec.ts';

/** How a peer connection is set up. */
export interface WebrtcPeerOptions {
  /** STUN/TURN servers ([]: none is contacted). */
  iceServers: WebrtcIceServer[];
  /** Addresses our host candidates are gathered on besides the machine's interfaces (loopback among them). */
  iceAddresses: string[];
}

/** What the offer/answer settled for the media thread. */
export interface WebrtcNegotiated {
  codec: 'opus' | 'pcmu' | 'pcma';
  payloadType: number;
  clockRate: number;
  channels: number;
  /** RFC 4733 at the codec's rate, if both sides have it. */
  telephoneEventPayloadType?: number;
}

/** Why a peer connection ended. */
export type WebrtcEnd = 'webrtc-failed' | 'webrtc-closed';

const OPUS_PARAMETERS = 'minptime=10;useinbandfec=1;usedtx=1';

// The one codec this leg speaks and telephone-event at its rate: the answer then names exactly
// what the media thread decodes, and a peer's DTMF comes at the one rate we listen to.
function werift(codec: WebrtcCodecName): RTCRtpCodecParameters[] {
  const event = (clockRate: number, payloadType: number): RTCRtpCodecParameters =>
    new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate, channels: 1, payloadType, parameters: '0-16' });
  switch (codec) {
    case 'opus':
      return [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: OPUS_PARAMETERS }), event(48000, 126)];
    case 'pcmu':
      return [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }), event(8000, 101)];
    case 'pcma':
      return [new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }), event(8000, 101)];
  }
}

/**
 * The answer without telephone-events at other rates than `clockRate`. werift answers every
 * telephone-event the offer has whatever its rate, and a browser then sends DTMF at 8000 beside
 * Opus; the media thread listens to one payload type, so the answer names only that one.
 */
function withEventsAt(sdp: string, clockRate: number): string {
  const lines = sdp.split('\r\n');
  const dropped = new Set<string>();
  for (const line of lines) {
    const match = /^a=rtpmap:(\d+) telephone-event\/(\d+)/i.exec(line);
    if (match && Number(match[2]) !== clockRate) dropped.add(match[1]);
  }
  if (dropped.size === 0) return sdp;
  return lines
    .filter((line) => !/^a=(rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.test(line) || !dropped.has(/^a=\w+(?:-\w+)?:(\d+)/.exec(line)![1]))
    .map((line) => (line.startsWith('m=audio ') ? line.split(' ').filter((part, i) => i < 3 || !dropped.has(part)).join(' ') : line))
    .join('\r\n');
}

/** Reads the codec and telephone-event an SDP settled on (its audio's first format we speak). */
export function negotiatedOf(sdp: string): WebrtcNegotiated {
  const audio = sdpTransform.parse(sdp).media.find((m) => m.type === 'audio' && m.port !== 0);
  const order = String(audio?.payloads ?? '').split(' ').map(Number);
  const rtp = audio?.rtp ?? [];
  for (const payload of order) {
    const format = rtp.find((r) => r.payload === payload);
    const name = format?.codec.toLowerCase();
    if (!format || (name !== 'opus' && name !== 'pcmu' && name !== 'pcma')) continue;
    const event = rtp.find((r) => r.codec.toLowerCase() === 'telephone-event' && r.rate === format.rate);
    return {
      codec: name,
      payloadType: format.payload,
      clockRate: format.rate ?? 8000,
      channels: name === 'opus' ? 2 : 1,
      ...(event ? { telephoneEventPayloadType: event.payload } : {}),
    };
  }
  throw new SdpError('no-common-codec', 'the negotiated SDP names no codec a WebRTC leg speaks');
}

/** A werift peer connection carrying one audio stream. */
export class WebrtcPeer {
  readonly #pc: RTCPeerConnection;
  readonly #transceiver: RTCRtpTransceiver;
  #closed = false;
  #onEnd: (reason: WebrtcEnd) => void = () => {};
  #onRtp: (packet: Buffer) => void = () => {};

  private constructor(options: WebrtcPeerOptions, codec: WebrtcCodecName) {
    this.#pc = new RTCPeerConnection({
      codecs: { audio: werift(codec), video: [] },
      headerExtensions: { audio: [], video: [] },
      iceServers: options.iceServers,
      iceAdditionalHostAddresses: options.iceAddresses,
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
    });
    this.#transceiver = this.#pc.addTransceiver('audio', { direction: 'sendrecv' });
    // The remote track appears with the remote description, before anyone listens for packets.
    this.#transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        if (!this.#closed) this.#onRtp(rtp.serialize());
      });
    });
    this.#pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.#end('webrtc-failed');
      else if (state === 'closed') this.#end('webrtc-closed');
    });
  }

  /** Answers a peer's offer with `codec` (which it offered); resolves once our candidates are gathered (a complete answer). */
  static async answering(offerSdp: string, codec: WebrtcCodecName, options: WebrtcPeerOptions): Promise<{ peer: WebrtcPeer; sdp: string }> {
    const peer = new WebrtcPeer(options, codec);
    try {
      await peer.#pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      await peer.#pc.setLocalDescription(await peer.#pc.createAnswer());
      peer.#watchDtls();
      return { peer, sdp: withEventsAt(await peer.#gathered(), codec === 'opus' ? 48000 : 8000) };
    } catch (error) {
      peer.close();
      throw error instanceof SdpError ? error : new SdpError('malformed', `the offer cannot be answered: ${(error as Error).message}`);
    }
  }

  /** Makes our offer (Opus and telephone-event); the answer comes later through applyAnswer. */
  static async offering(options: WebrtcPeerOptions): Promise<{ peer: WebrtcPeer; sdp: string }> {
    const peer = new WebrtcPeer(options, 'opus');
    try {
      await peer.#pc.setLocalDescription(await peer.#pc.createOffer());
      return { peer, sdp: await peer.#gathered() };
    } catch (error) {
      peer.close();
      throw error;
    }
  }

  /** Takes the peer's answer to our offer. */
  async applyAnswer(answerSdp: string): Promise<void> {
    try {
      await this.#pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
      this.#watchDtls();
    } catch (error) {
      throw new SdpError('malformed', `the answer cannot be applied: ${(error as Error).message}`);
    }
  }

  /** Adds trickled candidates (`candidate:...` values). */
  async addCandidates(candidates: string[]): Promise<void> {
    const mid = this.#transceiver.mid ?? '0';
    for (const candidate of candidates) await this.#pc.addIceCandidate({ candidate, sdpMid: mid, sdpMLineIndex: 0 });
  }

  /** Calls `listener` with each decrypted RTP packet of the peer, as bytes. */
  onRtp(listener: (packet: Buffer) => void): void {
    this.#onRtp = listener;
  }

  /** Called once when the connection fails or closes from the peer's side. */
  onEnd(listener: (reason: WebrtcEnd) => void): void {
    this.#onEnd = listener;
  }

  /** Sends one RTP packet of the media thread, encrypted (dropped until DTLS is up). */
  send(packet: Uint8Array): void {
    if (this.#closed) return;
    void this.#transceiver.sender.sendRtp(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength)).catch(() => {});
  }

  /** The peer's view of our stream (RTCP receiver reports): round trip, loss, jitter. */
  async stats(): Promise<Record<string, number>> {
    const figures: Record<string, number> = {};
    if (this.#closed) return figures;
    const report = await this.#transceiver.sender.getStats();
    for (const entry of report.values()) {
      const stat = entry as { type: string; roundTripTime?: number; fractionLost?: number; packetsLost?: number; jitter?: number };
      if (stat.type !== 'remote-inbound-rtp') continue;
      if (stat.roundTripTime !== undefined) figures.rttMs = stat.roundTripTime * 1000;
      if (stat.fractionLost !== undefined) figures.remoteFractionLost = stat.fractionLost;
      if (stat.packetsLost !== undefined) figures.remoteCumulativeLost = stat.packetsLost;
      if (stat.jitter !== undefined) figures.remoteJitterMs = stat.jitter * 1000;
    }
    return figures;
  }

  /** Closes the connection (no end is reported: the member is leaving already). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#pc.close().catch(() => {});
  }

  // A peer that closes sends a DTLS close_notify, which werift reports on the DTLS transport before
  // (or instead of) the connection's state: the member leaves now rather than at its timeout.
  #watchDtls(): void {
    this.#transceiver.dtlsTransport?.onStateChange.subscribe((state) => {
      if (state === 'closed') this.#end('webrtc-closed');
      else if (state === 'failed') this.#end('webrtc-failed');
    });
  }

  #end(reason: WebrtcEnd): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onEnd(reason);
    void this.#pc.close().catch(() => {});
  }

  // Our SDP once ICE gathering completed (non-trickle: every host candidate is in it).
  async #gathered(): Promise<string> {
    if (this.#pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const { unSubscribe } = this.#pc.iceGatheringStateChange.subscribe((state) => {
          if (state !== 'complete') return;
          unSubscribe();
          resolve();
        });
        if (this.#pc.iceGatheringState === 'complete') resolve();
      });
    }
    const sdp = this.#pc.localDescription?.sdp;
    if (!sdp) throw new SdpError('malformed', 'no local description after gathering');
    return sdp;
  }
}
