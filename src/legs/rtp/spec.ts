// A plain RTP leg's spec: its wire form (what the shard opens), the checks of the public options,
// and the converters between the public types and the wire types, one each way.
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../errors.ts';
import { MIXER_INTERVALS_MS, MIXER_RATES } from '../../audio/numbers.ts';
import { checkFields, describe, refuseUnknownFields, toBoolean, toInteger, toOneOf } from '../../fields.ts';
import type { Fields } from '../../fields.ts';
import type { RtpCodec, RtpLegStats } from './RtpLegTypes.ts';
import type { RtpMediaCodec } from '../rtpMedia.ts';

/** The codec of a plain RTP leg, on the wire. */
export type RtpCodecWire = RtpMediaCodec;

/** A plain RTP leg as the shard opens it: a native UDP socket owned by the shard's media thread. */
export interface RtpLegWireSpec {
  /** Always 'rtp'. */
  kind: 'rtp';
  /** The codec sent and received. */
  codec: RtpCodecWire;
  /** RFC 4733 payload type, if negotiated. */
  telephoneEventPayloadType?: number;
  /** RFC 6464 ssrc-audio-level header extension id (1..255), if negotiated. */
  audioLevelExtensionId?: number;
  /** The peer; absent until known (with symmetric latching it is learned). */
  remoteAddress?: string;
  remotePort?: number;
  /** Learn the peer from its first valid packet (NAT). */
  symmetricLatching?: boolean;
  /** Inactivity timeout, ms (default 30000). */
  timeoutMs?: number;
  /** Bind IPv6 instead of IPv4. */
  ipv6?: boolean;
  /** Packet duration, ms (default: the conference interval). */
  ptimeMs?: number;
  /** The SSRC of the stream we send (default: random). */
  ssrc?: number;
  /** RTCP on the RTP port (RFC 5761): true as negotiated; false asks for a separate RTCP socket; absent: on the RTP port once the peer's RTCP shows up there. */
  rtcpMux?: boolean;
  /** Without rtcp-mux: the peer's RTCP port (SDP a=rtcp; default remotePort + 1). */
  remoteRtcpPort?: number;
}

/** What the shard says about an RTP leg it opened. */
export interface RtpLegWireInfo {
  /** Always 'rtp'. */
  kind: 'rtp';
  /** The address the socket is bound to (the any-address of its family). */
  localAddress: string;
  /** Its local UDP port. */
  localPort: number;
  /** The separate RTCP socket's port, when RTCP is not on the RTP port. */
  rtcpPort?: number;
}

/** A peer or codec change of a live RTP leg, on the wire. */
export interface RtpLegWireUpdate {
  /** The peer's new address (with remotePort). */
  remoteAddress?: string;
  /** The peer's new port. */
  remotePort?: number;
  /** A new codec (with its telephone-event type). */
  codec?: RtpCodecWire;
  /** A new RFC 4733 payload type (only with a codec). */
  telephoneEventPayloadType?: number;
}

/**
 * A leg's media figures on the wire: one flat object of numbers ({} for legs without RTP). An
 * rttMs of -1 is unknown; RTCP figures are absent until known.
 */
export type RtpLegWireStats = Record<string, number>;

const RTP_CODEC_PRESETS: Readonly<Record<string, RtpCodecWire>> = {
  pcmu: { name: 'pcmu', payloadType: 0, clockRate: 8000, channels: 1 },
  pcma: { name: 'pcma', payloadType: 8, clockRate: 8000, channels: 1 },
  opus: { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
};
const RTP_CODEC_NAMES = ['pcmu', 'pcma', 'l16', 'opus'] as const;
const RTP_CODEC_KEYS = new Set(['name', 'payloadType', 'clockRate', 'channels', 'fec', 'dtx', 'bitrate']);
const RTP_LEG_KEYS = new Set([
  'kind', 'codec', 'remoteAddress', 'remotePort', 'telephoneEventPayloadType', 'audioLevelExtensionId', 'symmetricLatching', 'timeoutMs', 'ipv6', 'ptimeMs', 'ssrc',
]);
const RTP_UPDATE_KEYS = new Set(['remoteAddress', 'remotePort', 'codec', 'telephoneEventPayloadType']);

/** Checks an RTP codec: a preset name ('pcmu', 'pcma', 'opus') or a full description. */
export function normalizeRtpCodec(value: unknown): RtpCodecWire {
  if (typeof value === 'string') {
    const preset = RTP_CODEC_PRESETS[value.toLowerCase()];
    if (!preset) throw new InvalidArgumentError(`codec '${value}' has no preset; give {name, payloadType, clockRate, channels} (presets: pcmu, pcma, opus)`);
    return { ...preset };
  }
  const fields = checkFields(value, 'codec');
  refuseUnknownFields(fields, RTP_CODEC_KEYS, 'codec');
  const name = toOneOf(typeof fields.name === 'string' ? fields.name.toLowerCase() : fields.name, 'codec.name', RTP_CODEC_NAMES);
  const codec: RtpCodecWire = {
    name,
    payloadType: toInteger(fields.payloadType, 'codec.payloadType', 0, 127),
    clockRate: toOneOf(fields.clockRate, 'codec.clockRate', name === 'opus' ? [48000] : name === 'l16' ? [...MIXER_RATES] : [8000]),
    channels: toInteger(fields.channels ?? 1, 'codec.channels', 1, 2),
  };
  if (fields.fec !== undefined) codec.fec = toBoolean(fields.fec, 'codec.fec');
  if (fields.dtx !== undefined) codec.dtx = toBoolean(fields.dtx, 'codec.dtx');
  if (fields.bitrate !== undefined) codec.bitrate = toInteger(fields.bitrate, 'codec.bitrate', 0, 510_000);
  return codec;
}

/** Checks the public RtpLegOptions (`{kind: 'rtp', codec, remoteAddress, ...}`) into the wire spec. */
export function normalizeRtpLeg(fields: Fields): RtpLegWireSpec {
  refuseUnknownFields(fields, RTP_LEG_KEYS, 'rtp leg');
  const spec: RtpLegWireSpec = { kind: 'rtp', codec: normalizeRtpCodec(fields.codec) };
  if (fields.remoteAddress !== undefined) {
    if (typeof fields.remoteAddress !== 'string' || isIP(fields.remoteAddress) === 0) {
      throw new InvalidArgumentError(`remoteAddress must be a numeric IPv4 or IPv6 address, got ${describe(fields.remoteAddress)}`);
    }
    spec.remoteAddress = fields.remoteAddress;
  }
  if (fields.remotePort !== undefined) spec.remotePort = toInteger(fields.remotePort, 'remotePort', 1, 65535);
  if ((spec.remoteAddress === undefined) !== (spec.remotePort === undefined)) {
    throw new InvalidArgumentError('remoteAddress and remotePort must be given together');
  }
  if (fields.symmetricLatching !== undefined) spec.symmetricLatching = toBoolean(fields.symmetricLatching, 'symmetricLatching');
  if (spec.remoteAddress === undefined && spec.symmetricLatching !== true) {
    throw new InvalidArgumentError('an rtp leg needs remoteAddress and remotePort, or symmetricLatching: true to learn them');
  }
  if (fields.telephoneEventPayloadType !== undefined) {
    spec.telephoneEventPayloadType = toInteger(fields.telephoneEventPayloadType, 'telephoneEventPayloadType', 0, 127);
    if (spec.telephoneEventPayloadType === spec.codec.payloadType) {
      throw new InvalidArgumentError('telephoneEventPayloadType must differ from the codec payload type');
    }
  }
  if (fields.audioLevelExtensionId !== undefined) spec.audioLevelExtensionId = toInteger(fields.audioLevelExtensionId, 'audioLevelExtensionId', 1, 255);
  if (fields.timeoutMs !== undefined) spec.timeoutMs = toInteger(fields.timeoutMs, 'timeoutMs', 0, 3_600_000);
  if (fields.ipv6 !== undefined) spec.ipv6 = toBoolean(fields.ipv6, 'ipv6');
  if (fields.ptimeMs !== undefined) spec.ptimeMs = toOneOf(fields.ptimeMs, 'ptimeMs', MIXER_INTERVALS_MS);
  if (fields.ssrc !== undefined) spec.ssrc = toInteger(fields.ssrc, 'ssrc', 0, 0xffff_ffff);
  return spec;
}

/** Checks the public RtpLegUpdate of `member.updateLeg()` into the wire update. */
export function normalizeRtpLegUpdate(value: unknown): RtpLegWireUpdate {
  const fields = checkFields(value, 'leg update');
  refuseUnknownFields(fields, RTP_UPDATE_KEYS, 'leg update');
  const change: RtpLegWireUpdate = {};
  if (fields.remoteAddress !== undefined || fields.remotePort !== undefined) {
    if (typeof fields.remoteAddress !== 'string' || isIP(fields.remoteAddress) === 0) {
      throw new InvalidArgumentError('remoteAddress must be a numeric IPv4 or IPv6 address, given with remotePort');
    }
    change.remoteAddress = fields.remoteAddress;
    change.remotePort = toInteger(fields.remotePort, 'remotePort', 1, 65535);
  }
  if (fields.codec !== undefined) change.codec = normalizeRtpCodec(fields.codec);
  if (fields.telephoneEventPayloadType !== undefined) {
    change.telephoneEventPayloadType = toInteger(fields.telephoneEventPayloadType, 'telephoneEventPayloadType', 0, 127);
  }
  return change;
}

/** The public codec of a wire codec (a copy). */
export function rtpCodecOf(wire: RtpCodecWire): RtpCodec {
  return { ...wire };
}

const OPTIONAL_STATS = [
  'localRtcpPort', 'packetsReceived', 'bytesReceived', 'packetsSent', 'bytesSent', 'fractionLost', 'cumulativeLost', 'jitterMs',
  'reportsSent', 'reportsReceived', 'rtcpMalformed', 'remoteFractionLost', 'remoteCumulativeLost', 'remoteJitterMs',
] as const;

/** The public RtpLegStats of the shard's flat figures: RTCP ones only when present; a round trip of -1 is unknown. */
export function rtpLegStatsOf(raw: RtpLegWireStats): RtpLegStats {
  const stats: RtpLegStats = {
    localPort: raw.localPort ?? 0,
    packetsIn: raw.packetsIn ?? 0,
    bytesIn: raw.bytesIn ?? 0,
    packetsOut: raw.packetsOut ?? 0,
    bytesOut: raw.bytesOut ?? 0,
    droppedStranger: raw.droppedStranger ?? 0,
    droppedInvalid: raw.droppedInvalid ?? 0,
  };
  for (const key of OPTIONAL_STATS) if (typeof raw[key] === 'number') stats[key] = raw[key];
  if (typeof raw.rttMs === 'number') stats.rttMs = raw.rttMs < 0 ? null : raw.rttMs;
  return stats;
}
