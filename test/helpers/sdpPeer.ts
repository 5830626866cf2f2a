// A small RTP endpoint on loopback that joins by SDP like a SIP phone: it writes its own offer
// (or answers ours), sends a G.711 tone every 20 ms, sends RFC 4733 keys with real timing (one
// packet per 20 ms, the end packet three times), and decodes everything it receives.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parse } from 'sdp-transform';
import { g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';
import { ToneGenerator, concat } from './audio.ts';
import { buildRtpPacket, keyPackets } from './rtp.ts';

const sdpText = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** What the peer's SDP says. */
export interface PeerSdpOptions {
  /** Codecs offered, in order (payload types 0 and 8). Default ['pcmu']. */
  codecs?: Array<'pcmu' | 'pcma'>;
  /** Offer telephone-event/8000 with this payload type. */
  telephoneEvent?: number;
  /** a=sendrecv (default), sendonly, recvonly or inactive. */
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** The address in c= (default 127.0.0.1). */
  address?: string;
  /** The port in m= (default the peer's own). */
  port?: number;
  /** o= session version (default 1). */
  version?: number;
  /** Add a=rtcp-mux. */
  rtcpMux?: boolean;
}

/** A loopback G.711 endpoint. */
type CountWaiter = { count: number; resolve: () => void };

/** Resolves the waiters whose count is reached and returns the others. */
function resolveReached(waiters: CountWaiter[], reached: number): CountWaiter[] {
  return waiters.filter((waiter) => {
    if (reached < waiter.count) return true;
    waiter.resolve();
    return false;
  });
}

export class SdpPeer {
  readonly socket: dgram.Socket;
  /** Audio frames received (decoded), in arrival order. */
  readonly received: Int16Array[] = [];
  /** Every datagram received. */
  datagrams = 0;
  /** RTP packets sent. */
  sent = 0;
  /** Where it sends: set by target() or from an answer. */
  remote: { address: string; port: number } | null = null;
  /** The codec it sends and expects: 'pcmu' (PT 0) or 'pcma' (PT 8). */
  codec: 'pcmu' | 'pcma' = 'pcmu';
  ssrc = 0x5eed0001;
  sequence = 1;
  timestamp = 8000;
  telephoneEventPt = 101;
  #tone: ToneGenerator | null;
  #pending: Uint8Array[] = [];
  #timer: NodeJS.Timeout | undefined;
  #waiters: CountWaiter[] = [];
  #sentWaiters: CountWaiter[] = [];

  private constructor(socket: dgram.Socket, freqHz: number | null, amplitude: number) {
    this.socket = socket;
    this.#tone = freqHz === null ? null : new ToneGenerator(freqHz, amplitude, 8000);
    socket.on('message', (bytes) => {
      this.datagrams++;
      const packet = parseRtp(new Uint8Array(bytes));
      if (!packet.ok || packet.payloadType !== (this.codec === 'pcmu' ? 0 : 8)) return;
      this.received.push(g711Decode(this.codec, packet.payload));
      this.#waiters = resolveReached(this.#waiters, this.received.length);
    });
  }

  /** Binds a peer on 127.0.0.1 that will send a tone of `freqHz` (null: silence). */
  static async create(freqHz: number | null = null, amplitude = 4000): Promise<SdpPeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new SdpPeer(socket, freqHz, amplitude);
  }

  /** Its local port. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Its offer, as a SIP phone writes one. */
  offer(options: PeerSdpOptions = {}): string {
    const codecs = options.codecs ?? ['pcmu'];
    const types = codecs.map((codec) => (codec === 'pcmu' ? 0 : 8));
    const event = options.telephoneEvent;
    const address = options.address ?? '127.0.0.1';
    return sdpText(
      'v=0',
      `o=peer 4242 ${options.version ?? 1} IN IP4 ${address}`,
      's=peer',
      `c=IN IP4 ${address}`,
      't=0 0',
      `m=audio ${options.port ?? this.port} RTP/AVP ${[...types, ...(event === undefined ? [] : [event])].join(' ')}`,
      ...types.map((pt) => `a=rtpmap:${pt} ${pt === 0 ? 'PCMU' : 'PCMA'}/8000`),
      ...(event === undefined ? [] : [`a=rtpmap:${event} telephone-event/8000`, `a=fmtp:${event} 0-16`]),
      'a=ptime:20',
      ...(options.rtcpMux ? ['a=rtcp-mux'] : []),
      `a=${options.direction ?? 'sendrecv'}`,
    );
  }

  /** Follows an SDP from the conference (its answer, or its offer): where to send and in what codec. */
  follow(sdp: string): void {
    const parsed = parse(sdp);
    const audio = parsed.media.find((media) => media.type === 'audio');
    if (!audio) throw new Error('no audio in the SDP');
    const address = audio.connection?.ip ?? parsed.connection?.ip ?? '127.0.0.1';
    this.remote = { address, port: audio.port };
    const first = Number(String(audio.payloads).split(' ')[0]);
    this.codec = first === 8 ? 'pcma' : 'pcmu';
    const event = audio.rtp.find((rtp) => rtp.codec === 'telephone-event');
    if (event) this.telephoneEventPt = event.payload;
  }

  /** Sends here from now on. */
  target(port: number, address = '127.0.0.1'): void {
    this.remote = { address, port };
  }

  /** Resolves once `count` RTP packets in all have been sent (a loaded machine runs timers late). */
  waitSent(count: number): Promise<void> {
    if (this.sent >= count) return Promise.resolve();
    return new Promise((resolve) => this.#sentWaiters.push({ count, resolve }));
  }

  /** Starts sending one packet every 20 ms. */
  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), 20);
  }

  /** Stops sending (the peer goes away without a BYE). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sends a tone of this frequency and amplitude from now on (null: silence). */
  tone(freqHz: number | null, amplitude = 4000): void {
    this.#tone = freqHz === null ? null : new ToneGenerator(freqHz, amplitude, 8000);
  }

  /** Sends raw bytes to its remote now (from its own port). */
  sendRaw(bytes: Uint8Array): void {
    if (this.remote) this.socket.send(bytes, this.remote.port, this.remote.address);
  }

  /** Queues one RFC 4733 key in place of audio: three updates 20 ms apart, then the end packet three times. */
  key(key: string): void {
    const timestamp = this.timestamp + 160 * this.#pending.length;
    this.#pending.push(...keyPackets(key, { payloadType: this.telephoneEventPt, ssrc: this.ssrc, timestamp, samplesPerFrame: 160 }));
  }

  /** Resolves once the queued keys have all been sent. */
  async keysSent(): Promise<void> {
    while (this.#pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** The index of the next frame to be received. */
  mark(): number {
    return this.received.length;
  }

  /** Resolves once `count` frames in all have been received. */
  waitFrames(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** Skips `settle` frames, then returns the next `frames` frames received as one buffer. */
  async listen(frames: number, settle = 8): Promise<Int16Array> {
    const start = this.received.length + settle;
    await this.waitFrames(start + frames);
    return concat(this.received.slice(start, start + frames));
  }

  /** Stops and closes the socket. */
  close(): void {
    this.stop();
    this.socket.close();
  }

  #tick(): void {
    if (!this.remote) return;
    const event = this.#pending.shift();
    let bytes: Uint8Array;
    if (event) {
      bytes = event;
      new DataView(bytes.buffer).setUint16(2, this.sequence);
    } else {
      const pcm = this.#tone ? this.#tone.next(160) : new Int16Array(160);
      bytes = buildRtpPacket({ payloadType: this.codec === 'pcmu' ? 0 : 8, sequence: this.sequence, timestamp: this.timestamp, ssrc: this.ssrc, payload: g711Encode(this.codec, pcm) });
    }
    this.socket.send(bytes, this.remote.port, this.remote.address);
    this.sent++;
    this.#sentWaiters = resolveReached(this.#sentWaiters, this.sent);
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + 160) >>> 0;
  }
}
