// mediasoup for e2e tests: the worker built from source (scripts/mediasoup-worker/build.sh, cached
// by version and recipe), a router with Opus and telephone-event, producers fed over
// PlainTransports (by ffmpeg, or by a sender of Opus and RFC 4733 keys), and consumers of the
// bridge's mix producers over PlainTransports into a recorder's port.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type * as Mediasoup from 'mediasoup';
import type { types as MediasoupTypes } from 'mediasoup';
import { CodecEncoder } from '../../src/native/testing/codecs.ts';
import { ToneGenerator } from '../helpers/audio.ts';
import { buildRtpPacket, keyPackets } from '../helpers/rtp.ts';

const buildScript = fileURLToPath(new URL('../../scripts/mediasoup-worker/build.sh', import.meta.url));

/** Opus as the router's first audio codec; telephone-event at Opus's clock. */
export const MEDIA_CODECS: MediasoupTypes.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } },
  { kind: 'audio', mimeType: 'audio/telephone-event', clockRate: 48000 },
];

/** The payload types a peer's producer uses (its own, not the router's). */
const PEER_OPUS_PT = 101;
const PEER_EVENT_PT = 110;

/** Builds the worker if it is not cached yet, points mediasoup at it and loads mediasoup. */
export async function loadMediasoupWithWorker(): Promise<typeof Mediasoup> {
  const binary = execFileSync('bash', [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env.MEDIASOUP_WORKER_BIN = binary;
  return import('mediasoup');
}

/** A peer's producer on its own PlainTransport (comedia: the peer's first packet sets its address). */
export async function peerProducer(
  router: MediasoupTypes.Router,
  options: { ssrc: number; rtcpMux: boolean; telephoneEvent?: boolean },
): Promise<{ transport: MediasoupTypes.PlainTransport; producer: MediasoupTypes.Producer; port: number; rtcpPort: number | undefined }> {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: options.rtcpMux, comedia: true });
  const codecs: MediasoupTypes.RtpCodecParameters[] = [{ mimeType: 'audio/opus', payloadType: PEER_OPUS_PT, clockRate: 48000, channels: 2 }];
  if (options.telephoneEvent) codecs.push({ mimeType: 'audio/telephone-event', payloadType: PEER_EVENT_PT, clockRate: 48000 });
  const producer = await transport.produce({ kind: 'audio', rtpParameters: { codecs, encodings: [{ ssrc: options.ssrc }] } });
  return { transport, producer, port: transport.tuple.localPort, rtcpPort: transport.rtcpTuple?.localPort };
}

/** Consumes `producerId` over a PlainTransport sending to `port` (RTCP to port + 1); resolves with the consumer's Opus payload type. */
export async function consumeInto(router: MediasoupTypes.Router, producerId: string, port: number): Promise<{ transport: MediasoupTypes.PlainTransport; consumer: MediasoupTypes.Consumer; payloadType: number }> {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port, rtcpPort: port + 1 });
  const consumer = await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
  const opus = consumer.rtpParameters.codecs.find((codec) => codec.mimeType.toLowerCase() === 'audio/opus');
  if (!opus) throw new Error('the consumer has no Opus codec');
  return { transport, consumer, payloadType: opus.payloadType };
}

/** The ids of the router's transports now. */
export async function transportIds(router: MediasoupTypes.Router): Promise<string[]> {
  return (await router.dump()).transportIds.slice().sort();
}

/** Samples of one 20 ms Opus frame at 48 kHz. */
const FRAME = 960;

/**
 * A peer feeding a producer made with `telephoneEvent: true`: a tone encoded by libopus every
 * 20 ms, and RFC 4733 keys in its place when asked, all one stream (one SSRC, one sequence).
 */
export class OpusKeySender {
  readonly #socket = dgram.createSocket('udp4');
  readonly #encoder = new CodecEncoder({ codec: 'opus', channels: 2 });
  readonly #tone: ToneGenerator;
  readonly #pending: Uint8Array[] = [];
  #sequence = 1;
  #timestamp = 48_000;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    /** The stream's SSRC (the producer's encoding names it). */
    readonly ssrc: number,
    freqHz: number,
  ) {
    this.#tone = new ToneGenerator(freqHz, 8000, 48_000);
  }

  /** Sends to the producer's PlainTransport on `port` (comedia: the first packet sets our address). */
  static async start(options: { port: number; ssrc: number; freqHz: number }): Promise<OpusKeySender> {
    const sender = new OpusKeySender(options.ssrc, options.freqHz);
    sender.#socket.bind(0, '127.0.0.1');
    await once(sender.#socket, 'listening');
    sender.#timer = setInterval(() => sender.#send(options.port), 20);
    return sender;
  }

  /** Queues one key, sent over the next six frames. */
  key(key: string): void {
    const timestamp = this.#timestamp + FRAME * this.#pending.length;
    this.#pending.push(...keyPackets(key, { payloadType: PEER_EVENT_PT, ssrc: this.ssrc, timestamp, samplesPerFrame: FRAME }));
  }

  /** Stops and closes the socket. */
  close(): void {
    clearInterval(this.#timer);
    this.#socket.close();
  }

  #send(port: number): void {
    const event = this.#pending.shift();
    const audio = this.#encoder.encode(this.#tone.next(FRAME));
    const bytes = event ?? buildRtpPacket({ payloadType: PEER_OPUS_PT, sequence: this.#sequence, timestamp: this.#timestamp, ssrc: this.ssrc, payload: audio });
    if (event) new DataView(bytes.buffer).setUint16(2, this.#sequence);
    this.#socket.send(bytes, port, '127.0.0.1');
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + FRAME) >>> 0;
  }
}
