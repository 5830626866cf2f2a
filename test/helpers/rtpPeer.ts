// A plain RTP peer on a loopback UDP socket: sends a PCMU tone in real time and keeps what it
// receives, so tests can measure the audio a conference sends back.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';
import { ToneGenerator, concat } from './audio.ts';
import { RtpStreamBuilder } from './rtp.ts';

/** A PCMU peer: 8 kHz, 20 ms packets. */
export class RtpPeer {
  readonly socket: dgram.Socket;
  readonly received: Uint8Array[] = [];
  #timer: NodeJS.Timeout | null = null;

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (message) => this.received.push(new Uint8Array(message)));
  }

  /** Binds a peer on 127.0.0.1 (an ephemeral port unless given). */
  static async create(port = 0): Promise<RtpPeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(port, '127.0.0.1');
    await once(socket, 'listening');
    return new RtpPeer(socket);
  }

  /** The local port. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Sends a PCMU tone every 20 ms to `port` on loopback until stop(). */
  sendTone(port: number, freq: number, amplitude: number, ssrc = Math.floor(Math.random() * 2 ** 32)): void {
    const stream = new RtpStreamBuilder({ ssrc, payloadType: 0, samplesPerPacket: 160 }, { sequence: 1000, timestamp: 160000 });
    const tone = new ToneGenerator(freq, amplitude, 8000);
    this.#timer = setInterval(() => {
      this.socket.send(stream.packet({ payload: g711Encode('pcmu', tone.next(160)) }).bytes, port, '127.0.0.1');
    }, 20);
  }

  /** Stops sending. */
  stopSending(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Resolves once `count` packets have arrived. */
  async waitForPackets(count: number): Promise<void> {
    while (this.received.length < count) await once(this.socket, 'message');
  }

  /** The PCMU audio received so far, decoded, skipping the first `skipPackets`. */
  audio(skipPackets = 0): Int16Array {
    const frames = this.received.slice(skipPackets).map((bytes) => {
      const packet = parseRtp(bytes);
      if (!packet.ok) throw new Error(`peer received a bad packet: ${packet.reason}`);
      return g711Decode('pcmu', packet.payload);
    });
    return concat(frames);
  }

  /** Stops and closes the socket. */
  close(): void {
    this.stopSending();
    this.socket.close();
  }
}
