// A WebRTC client for tests that nobody here wrote the media stack of: werift, offering PCMU
// (and telephone-event), sending a tone in real time and keeping the audio it receives.
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import { g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { ToneGenerator, concat } from './audio.ts';

/** A werift peer on loopback speaking PCMU. */
export class WeriftClient {
  readonly pc: RTCPeerConnection;
  /** Decoded PCMU frames received, in arrival order. */
  readonly received: Int16Array[] = [];
  #timer: NodeJS.Timeout | null = null;
  #waiters: Array<() => void> = [];

  constructor() {
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 8000, channels: 1, payloadType: 101, parameters: '0-16' }),
        ],
      },
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
    });
    const transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.header.payloadType !== 0) return;
        this.received.push(g711Decode('pcmu', new Uint8Array(rtp.payload)));
        for (const wake of this.#waiters.splice(0)) wake();
      }),
    );
  }

  /** Our offer once every host candidate is gathered; `withCandidates: false` strips them (to trickle them later). */
  async offer(withCandidates = true): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    while (this.pc.iceGatheringState !== 'complete') await this.pc.iceGatheringStateChange.asPromise();
    const sdp = this.pc.localDescription!.sdp;
    return withCandidates ? sdp : sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates').join('\r\n');
  }

  /** Our candidates as an application/trickle-ice-sdpfrag body. */
  candidateFragment(): string {
    const lines = this.pc.localDescription!.sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:'));
    return `${[...lines, 'a=end-of-candidates'].join('\r\n')}\r\n`;
  }

  /** Takes the answer. */
  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Resolves once the connection is up. */
  async connected(): Promise<void> {
    while (this.pc.connectionState !== 'connected') {
      const [state] = await this.pc.connectionStateChange.asPromise();
      if (state === 'failed' || state === 'closed') throw new Error(`the werift client's connection ${state}`);
    }
  }

  /** Sends a PCMU tone every 20 ms until stop(). */
  sendTone(freq: number, amplitude: number): void {
    const sender = this.pc.getTransceivers()[0].sender;
    const tone = new ToneGenerator(freq, amplitude, 8000);
    let sequence = 1;
    let timestamp = 1000;
    this.#timer = setInterval(() => {
      const header = new RtpHeader({ payloadType: 0, sequenceNumber: sequence++ & 0xffff, timestamp, marker: false });
      timestamp = (timestamp + 160) >>> 0;
      void sender.sendRtp(new RtpPacket(header, Buffer.from(g711Encode('pcmu', tone.next(160)))));
    }, 20);
  }

  /** Resolves once `count` frames have been received. */
  async waitForFrames(count: number): Promise<void> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** The audio received, from frame `from` on. */
  audio(from = 0): Int16Array {
    return concat(this.received.slice(from));
  }

  /** Stops sending and closes. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.pc.close();
  }
}
