// The bridge's codec: Opus as the router names it. A consumer's parameters give the payload types
// the leg receives; the router's Opus capability gives what the mix producers send.
import { InvalidArgumentError, UnsupportedError } from '../../errors.ts';
import type { BridgeRtpLeg, SfuCodecCapability, SfuCodecParameters, SfuRouter, SfuRtpParameters } from './MediasoupBridgeTypes.ts';

const OPUS = 'audio/opus';
const TELEPHONE_EVENT = 'audio/telephone-event';

/** The router's Opus capability; UnsupportedError when its mediaCodecs have none. */
export function routerOpus(router: SfuRouter): SfuCodecCapability & { preferredPayloadType: number } {
  const opus = router.rtpCapabilities.codecs?.find((codec) => codec.mimeType.toLowerCase() === OPUS);
  if (!opus || opus.preferredPayloadType === undefined) {
    throw new UnsupportedError("the router has no audio/opus codec: add { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 } to its mediaCodecs");
  }
  return opus as SfuCodecCapability & { preferredPayloadType: number };
}

/**
 * What a bridge consumer may forward to a leg: the router's Opus and its telephone-event at
 * Opus's clock (the leg takes nothing else, so comfort noise or video never reach it).
 */
export function legCapabilities(router: SfuRouter): { codecs: SfuCodecCapability[] } {
  const codecs = router.rtpCapabilities.codecs ?? [];
  return { codecs: codecs.filter((codec) => codec.mimeType.toLowerCase() === OPUS || (codec.mimeType.toLowerCase() === TELEPHONE_EVENT && codec.clockRate === 48000)) };
}

// confmix's Opus settings from the format parameters (fec and dtx as the router asks; its
// maxaveragebitrate caps the encoder).
function legCodec(payloadType: number, parameters: Record<string, unknown> | undefined): BridgeRtpLeg['codec'] {
  const codec: BridgeRtpLeg['codec'] = { name: 'opus', payloadType, clockRate: 48000, channels: 2 };
  if (parameters?.useinbandfec !== undefined) codec.fec = Number(parameters.useinbandfec) === 1;
  if (parameters?.usedtx !== undefined) codec.dtx = Number(parameters.usedtx) === 1;
  const maxBitrate = Number(parameters?.maxaveragebitrate);
  if (Number.isInteger(maxBitrate) && maxBitrate >= 6000 && maxBitrate <= 510_000) codec.bitrate = maxBitrate;
  return codec;
}

/**
 * The RTP leg of a bridged member: it receives what the consumer forwards (Opus, and RFC 4733
 * events when the producer sends them at 48 kHz) and sends its mix with `ssrc`, which the mix
 * producer names. Loopback needs no inactivity timeout: mediasoup's closings end the member.
 */
export function bridgeLeg(options: {
  opus: SfuCodecCapability & { preferredPayloadType: number };
  consumed: SfuRtpParameters | undefined;
  address: string;
  port: number;
  ssrc: number;
}): BridgeRtpLeg {
  const { opus, consumed } = options;
  const received = consumed?.codecs.find((codec) => codec.mimeType.toLowerCase() === OPUS);
  if (consumed && !received) throw new InvalidArgumentError('the producer does not send audio/opus, the only codec the bridge takes');
  const events = consumed?.codecs.find((codec) => codec.mimeType.toLowerCase() === TELEPHONE_EVENT && codec.clockRate === 48000);
  const leg: BridgeRtpLeg = {
    kind: 'rtp',
    codec: legCodec(received?.payloadType ?? opus.preferredPayloadType, opus.parameters),
    remoteAddress: options.address,
    remotePort: options.port,
    timeoutMs: 0,
    ssrc: options.ssrc,
  };
  if (events) leg.telephoneEventPayloadType = events.payloadType;
  return leg;
}

/** The RTP parameters of a mix producer: the router's Opus, one stream of `ssrc`. */
export function mixProducerParameters(opus: SfuCodecCapability & { preferredPayloadType: number }, payloadType: number, ssrc: number, cname: string): SfuRtpParameters {
  const codec: SfuCodecParameters = { mimeType: opus.mimeType, payloadType, clockRate: opus.clockRate, channels: opus.channels ?? 2 };
  if (opus.parameters) codec.parameters = { ...opus.parameters };
  return { codecs: [codec], encodings: [{ ssrc }], rtcp: { cname, reducedSize: true } };
}
