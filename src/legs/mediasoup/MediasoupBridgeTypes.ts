// The public shape of a mediasoup bridge, and the few parts of mediasoup's own objects it uses,
// typed here so confmix builds and type-checks without mediasoup installed.

/** A codec of a router's capabilities (mediasoup's RtpCodecCapability, as far as the bridge reads it). */
export interface SfuCodecCapability {
  /** 'audio' or 'video'. */
  kind: string;
  /** e.g. 'audio/opus'. */
  mimeType: string;
  /** The payload type the router prefers. */
  preferredPayloadType?: number;
  /** RTP clock, Hz. */
  clockRate: number;
  /** Channels. */
  channels?: number;
  /** Format parameters (useinbandfec, usedtx, maxaveragebitrate, ...). */
  parameters?: Record<string, unknown>;
}

/** A codec of a producer's or consumer's RTP parameters. */
export interface SfuCodecParameters {
  /** e.g. 'audio/opus'. */
  mimeType: string;
  /** Its payload type. */
  payloadType: number;
  /** RTP clock, Hz. */
  clockRate: number;
  /** Channels. */
  channels?: number;
  /** Format parameters. */
  parameters?: Record<string, unknown>;
}

/** A producer's or consumer's RTP parameters. */
export interface SfuRtpParameters {
  /** Codecs, the media codec first. */
  codecs: SfuCodecParameters[];
  /** Streams (one SSRC each here). */
  encodings?: { ssrc?: number }[];
  /** RTCP settings. */
  rtcp?: { cname?: string; reducedSize?: boolean };
}

/** Something mediasoup closes: it has an id, a closed flag, close() and an observer. */
export interface SfuClosable {
  /** mediasoup's id. */
  readonly id: string;
  /** True once closed. */
  readonly closed: boolean;
  /** Closes it. */
  close(): void;
  /** Its management events ('close' among them). */
  readonly observer: { once(event: 'close', listener: () => void): unknown; off?(event: 'close', listener: () => void): unknown };
}

/** A mediasoup producer. */
export interface SfuProducer extends SfuClosable {
  /** 'audio' or 'video'. */
  readonly kind: string;
  /** Its RTP parameters. */
  readonly rtpParameters: SfuRtpParameters;
}

/** A mediasoup consumer. */
export interface SfuConsumer extends SfuClosable {
  /** Its RTP parameters (the router's payload types). */
  readonly rtpParameters: SfuRtpParameters;
  /** Starts forwarding a consumer created paused. */
  resume(): Promise<void>;
  /** Its producer closed. */
  once(event: 'producerclose', listener: () => void): unknown;
}

/** A mediasoup PlainTransport. */
export interface SfuPlainTransport extends SfuClosable {
  /** Its local address and port. */
  readonly tuple: { localPort: number };
  /** Sets the remote end. */
  connect(options: { ip: string; port: number }): Promise<void>;
  /** Consumes a producer of the router. */
  consume(options: { producerId: string; rtpCapabilities: { codecs?: SfuCodecCapability[] }; paused?: boolean }): Promise<SfuConsumer>;
  /** Produces what arrives from the remote end. */
  produce(options: { kind: 'audio'; rtpParameters: SfuRtpParameters; appData?: Record<string, unknown> }): Promise<SfuProducer>;
  /** Its router closed. */
  once(event: 'routerclose', listener: () => void): unknown;
}

/** A mediasoup router. */
export interface SfuRouter extends SfuClosable {
  /** Its capabilities, from its mediaCodecs. */
  readonly rtpCapabilities: { codecs?: SfuCodecCapability[] };
  /** Creates a PlainTransport. */
  createPlainTransport(options: {
    listenInfo: { protocol: 'udp'; ip: string };
    rtcpMux?: boolean;
    comedia?: boolean;
    appData?: Record<string, unknown>;
  }): Promise<SfuPlainTransport>;
}

/** The plain RTP leg of a bridged member (a member's `leg` of kind 'rtp'). */
export interface BridgeRtpLeg {
  /** Always 'rtp': the bridge's legs are plain RTP legs on loopback. */
  kind: 'rtp';
  /** Opus as the router names it; fec, dtx and bitrate from its format parameters. */
  codec: { name: 'opus'; payloadType: number; clockRate: 48000; channels: 2; fec?: boolean; dtx?: boolean; bitrate?: number };
  /** RFC 4733 payload type, when the producer sends telephone-event at 48 kHz. */
  telephoneEventPayloadType?: number;
  /** The PlainTransport's address. */
  remoteAddress: string;
  /** The PlainTransport's port. */
  remotePort: number;
  /** 0: mediasoup's closings end the member, not silence. */
  timeoutMs: 0;
  /** The SSRC the mix producer names. */
  ssrc: number;
}

/** Options of conference.bridgeMediasoup(). */
export interface MediasoupBridgeOptions {
  /** The router whose audio producers join and whose consumers hear the mixes. It needs audio/opus in its mediaCodecs. */
  router: SfuRouter;
  /** The loopback address the bridge's PlainTransports and legs use (default '127.0.0.1'). */
  listenIp?: string;
  /** Create `mixProducer`: one producer of the whole mix, for listen-only consumers (default true). */
  mixProducer?: boolean;
  /** The user's own data. */
  appData?: Record<string, unknown>;
}

/** What bridge.addProducer() resolves with. */
export interface BridgedProducer<M> {
  /** The member whose input is the producer. */
  member: M;
  /** A producer of the member's own mix (everyone but itself), for the app to consume for that peer. */
  producer: SfuProducer;
}

/** The events a MediasoupBridge emits. */
export interface MediasoupBridgeEvents {
  /** The bridge closed (closed itself, or its router or conference closed); emitted once. */
  close: [];
}
