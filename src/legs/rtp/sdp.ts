// SDP offer/answer for a plain RTP leg (RFC 3264 over RFC 4566; Opus parameters per RFC 7587).
// sdp-transform parses and writes; this file decides what the two sides agree on.
// Longer than 500 lines: reading an offer, answering it, offering and reading the answer share one
// set of codec, direction and RTCP rules, and split apart they would each need all of them.
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import {
  parse as parseSdp,
  parseParams,
  parsePayloads,
  write as writeSdp,
  type MediaDescription,
  type ParamMap,
  type SessionDescription,
} from 'sdp-transform';
import { InvalidArgumentError } from '../../errors.ts';
import type {
  AnswerOfferOptions,
  AnswerOfferResult,
  NegotiateOfferOptions,
  OfferNegotiation,
  WriteAnswerOptions,
  CreateOfferOptions,
  CreateOfferResult,
  NegotiatedCodec,
  NegotiatedMedia,
  NegotiatedTelephoneEvent,
  OfferedCodec,
  SdpCodecName,
  SdpDirection,
  SdpErrorReason,
  SdpL16Rate,
  SdpOfferState,
  SdpOpusOptions,
  SdpPtimeMs,
  SdpRemoteAddress,
  SdpSessionState,
} from './sdpTypes.ts';
import { AUDIO_LEVEL_URI, OFFER_AUDIO_LEVEL_ID } from './sdpTypes.ts';

export type * from './sdpTypes.ts';
export { SdpError, MAX_SDP_BYTES, checkSdpText } from '../SdpError.ts';
import { SdpError, MAX_SDP_BYTES, checkSdpText } from '../SdpError.ts';
export { AUDIO_LEVEL_URI, OFFER_AUDIO_LEVEL_ID } from './sdpTypes.ts';

/** Codecs a plain RTP leg speaks. */
export const SDP_CODECS: readonly SdpCodecName[] = ['opus', 'pcmu', 'pcma', 'l16'];
/** Packet times a leg can use, ms. */
export const SDP_PTIMES_MS: readonly SdpPtimeMs[] = [10, 20, 40, 60];
/** Clock rates L16 is accepted at. */
export const SDP_L16_RATES: readonly SdpL16Rate[] = [8000, 16000, 32000, 48000];

const DIRECTIONS: readonly SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const DEFAULT_PTIME_MS: SdpPtimeMs = 20;
const DEFAULT_SESSION_NAME = 'confmix';
// DTMF 0-9 * # A-D and flash.
const TELEPHONE_EVENTS = '0-16';
// Static payload types (RFC 3551) we speak without an rtpmap.
const STATIC_FORMATS: Record<number, { name: string; clockRate: number; channels: number }> = {
  0: { name: 'pcmu', clockRate: 8000, channels: 1 },
  8: { name: 'pcma', clockRate: 8000, channels: 1 },
};
// Payload types of our offers: static where RFC 3551 has one, else dynamic.
const OFFER_PAYLOAD_TYPES: Record<SdpCodecName, number> = { pcmu: 0, pcma: 8, opus: 111, l16: 112 };
const OFFER_TELEPHONE_EVENT_TYPES: Record<number, number> = { 8000: 101, 16000: 113, 32000: 114, 48000: 110 };
const RTPMAP_NAMES: Record<SdpCodecName, string> = { opus: 'opus', pcmu: 'PCMU', pcma: 'PCMA', l16: 'L16' };

// One payload format of the peer's audio m-line.
interface RemoteFormat {
  payloadType: number;
  name: string; // lower case
  clockRate: number | undefined;
  channels: number;
  codec: SdpCodecName | null; // null: not one we speak
  params: ParamMap;
}

// The peer's audio stream as its SDP describes it.
interface RemoteAudio {
  /** The id of its RFC 6464 audio level extension (a=extmap), if it names one it may send. */
  audioLevelId: number | undefined;
  session: SessionDescription;
  mediaIndex: number;
  media: MediaDescription;
  remote: SdpRemoteAddress;
  formats: RemoteFormat[];
  direction: SdpDirection;
  rtcpMux: boolean;
  rtcp: { address: string; port: number } | null;
  ptime: number | undefined;
  maxptime: number | undefined;
  sessionId: string;
  sessionVersion: number;
  ssrc: number | undefined;
}

// ---- checks of our own arguments -------------------------------------------------------------

function fail(message: string): never {
  throw new InvalidArgumentError(message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Largest RTP payload a leg carries, bytes (the engine's jitter buffer and sender). */
export const MAX_RTP_PAYLOAD_BYTES = 1500;

/** True when L16 mono at `clockRate` fits a packet of `ptimeMs` in MAX_RTP_PAYLOAD_BYTES. */
export function l16Fits(clockRate: number, ptimeMs: number): boolean {
  return (clockRate * ptimeMs * 2) / 1000 <= MAX_RTP_PAYLOAD_BYTES;
}

function checkAddress(address: unknown, name: string): { address: string; family: 4 | 6 } {
  const family = typeof address === 'string' ? isIP(address) : 0;
  if (family !== 4 && family !== 6) fail(`${name} must be an IPv4 or IPv6 address literal`);
  return { address: address as string, family };
}

function checkPort(port: unknown, name: string): number {
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) fail(`${name} must be an integer in 1..65535`);
  return port as number;
}

function checkDirection(direction: unknown, name: string): SdpDirection {
  if (direction === undefined) return 'sendrecv';
  if (!DIRECTIONS.includes(direction as SdpDirection)) fail(`${name} must be one of ${DIRECTIONS.join(', ')}`);
  return direction as SdpDirection;
}

// A line of text that cannot break the SDP it goes into.
function checkSessionName(name: unknown): string {
  if (name === undefined) return DEFAULT_SESSION_NAME;
  if (typeof name !== 'string' || name.length === 0 || name.length > 256 || /[\r\n\0]/.test(name)) {
    fail('sessionName must be 1..256 characters on one line');
  }
  return name;
}

function checkOpus(opus: unknown): SdpOpusOptions {
  if (opus === undefined) return {};
  if (!isObject(opus)) fail('opus must be an object');
  const { bitrate, dtx, fec } = opus;
  if (bitrate !== undefined && (!Number.isInteger(bitrate) || (bitrate as number) < 6000 || (bitrate as number) > 510000)) {
    fail('opus.bitrate must be an integer in 6000..510000');
  }
  if (dtx !== undefined && typeof dtx !== 'boolean') fail('opus.dtx must be a boolean');
  if (fec !== undefined && typeof fec !== 'boolean') fail('opus.fec must be a boolean');
  return { bitrate: bitrate as number | undefined, dtx: dtx as boolean | undefined, fec: fec as boolean | undefined };
}

function checkSessionState(state: unknown, name: string): SdpSessionState {
  if (!isObject(state) || !isObject(state.origin) || typeof state.sdp !== 'string') fail(`${name} must be a state an earlier offer/answer returned`);
  const { sessionId, sessionVersion } = state.origin;
  if (typeof sessionId !== 'string' || !/^\d{1,20}$/.test(sessionId) || !Number.isSafeInteger(sessionVersion) || (sessionVersion as number) < 0) {
    fail(`${name}.origin must hold a decimal sessionId and a non-negative integer sessionVersion`);
  }
  return { origin: { sessionId, sessionVersion: sessionVersion as number }, sdp: state.sdp };
}

// ---- reading the peer's SDP ------------------------------------------------------------------

function malformed(what: string, detail: string): never {
  throw new SdpError('malformed', `the ${what} is not valid SDP: ${detail}`);
}

function isMulticast(address: string, family: 4 | 6): boolean {
  if (family === 4) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return /^ff/i.test(address);
}

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function identifyCodec(name: string, clockRate: number | undefined, channels: number): SdpCodecName | null {
  switch (name) {
    case 'opus':
      return clockRate === 48000 && channels === 2 ? 'opus' : null;
    case 'pcmu':
    case 'pcma':
      return clockRate === 8000 && channels === 1 ? name : null;
    case 'l16':
      return SDP_L16_RATES.includes(clockRate as SdpL16Rate) && channels === 1 ? 'l16' : null;
    default:
      return null;
  }
}

// A numeric fmtp parameter, or undefined when absent or not a number.
function numberParam(params: ParamMap, key: string): number | undefined {
  const value = params[key];
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function readConnection(
  connection: { version: number; ip: string } | undefined,
  what: string,
): SdpRemoteAddress & { unspecified: boolean } {
  if (!connection) throw new SdpError('bad-connection', `the ${what} has no c= line (IN IP4 or IN IP6) for its audio`);
  const family = Number(connection.version);
  const address = String(connection.ip ?? '');
  if (family !== 4 && family !== 6) throw new SdpError('bad-connection', `the ${what}'s c= address type IP${family} is not supported`);
  if (address.includes('/')) throw new SdpError('bad-connection', `the ${what}'s c= is a multicast group (${address}); only unicast is supported`);
  if (isIP(address) !== family) throw new SdpError('bad-connection', `the ${what}'s c= address "${address}" is not an IPv${family} address literal`);
  if (isMulticast(address, family)) throw new SdpError('bad-connection', `the ${what}'s c= address ${address} is multicast; only unicast is supported`);
  return { address, port: 0, family, unspecified: isUnspecified(address) };
}

function readAudio(sdp: string, what: 'offer' | 'answer'): RemoteAudio & { unspecified: boolean } {
  let session: SessionDescription;
  try {
    session = parseSdp(sdp);
  } catch {
    malformed(what, 'it cannot be parsed');
  }
  if (session.version !== 0) malformed(what, 'no v=0 line');
  if (!session.origin || session.origin.sessionId === undefined) malformed(what, 'no o= line');
  if (session.media.length === 0) throw new SdpError('no-audio', `the ${what} has no m= line`);
  session.media.forEach((media, index) => {
    if (typeof media.type !== 'string' || media.type === '' || typeof media.port !== 'number' || media.port > 65535 || !media.protocol) {
      malformed(what, `m= line ${index + 1} is not "<media> <port> <proto> <formats>"`);
    }
  });
  const audio = session.media.filter((media) => media.type === 'audio');
  if (audio.length === 0) throw new SdpError('no-audio', `the ${what} has no audio m= line`);
  for (const media of audio) {
    if (!/^RTP\//i.test(media.protocol)) continue;
    // sdp-transform turns a lone payload type into a number.
    const formats = media.payloads === undefined ? '' : String(media.payloads).trim();
    if (!/^\d{1,3}( +\d{1,3})*$/.test(formats) || parsePayloads(formats.replace(/ +/g, ' ')).some((pt) => pt > 127)) {
      malformed(what, `the audio m= line's payload types "${media.payloads ?? ''}" are not numbers in 0..127`);
    }
  }
  const media = audio.find((candidate) => candidate.port !== 0);
  if (!media) throw new SdpError('port-zero', `the ${what}'s audio stream is rejected (port 0)`);
  if (!/^RTP\/AVPF?$/i.test(media.protocol)) {
    throw new SdpError('unsupported-transport', `the ${what}'s audio uses ${media.protocol}; only RTP/AVP and RTP/AVPF are supported`);
  }
  const connection = readConnection(media.connection ?? session.connection, what);
  const rtpmaps = media.rtp ?? [];
  const fmtps = media.fmtp ?? [];
  const formats = parsePayloads(String(media.payloads).trim().replace(/ +/g, ' ')).map((payloadType): RemoteFormat => {
    const rtpmap = rtpmaps.find((entry) => Number(entry.payload) === payloadType);
    const fmtp = fmtps.find((entry) => Number(entry.payload) === payloadType);
    const known = STATIC_FORMATS[payloadType];
    const name = rtpmap ? String(rtpmap.codec).toLowerCase() : (known?.name ?? '');
    const clockRate = rtpmap ? (rtpmap.rate === undefined ? undefined : Number(rtpmap.rate)) : known?.clockRate;
    const channels = rtpmap ? (rtpmap.encoding === undefined ? 1 : Number(rtpmap.encoding)) : (known?.channels ?? 1);
    return {
      payloadType,
      name,
      clockRate,
      channels,
      codec: identifyCodec(name, clockRate, channels),
      params: fmtp ? parseParams(String(fmtp.config)) : {},
    };
  });
  let rtcp: RemoteAudio['rtcp'] = null;
  if (media.rtcp && Number.isInteger(media.rtcp.port) && media.rtcp.port > 0 && media.rtcp.port <= 65535) {
    const address = media.rtcp.address ?? connection.address;
    if (isIP(address) === 0) throw new SdpError('bad-connection', `the ${what}'s a=rtcp address "${address}" is not an IP address literal`);
    rtcp = { address, port: media.rtcp.port };
  }
  const ssrc = media.ssrcs?.[0]?.id;
  // A level the peer only receives (recvonly, inactive) never reaches us.
  const level = (media.ext ?? []).find(
    (ext) => ext.uri === AUDIO_LEVEL_URI && ext.direction !== 'recvonly' && ext.direction !== 'inactive' && ext.value >= 1 && ext.value <= 255,
  );
  return {
    audioLevelId: level?.value,
    session,
    mediaIndex: session.media.indexOf(media),
    media,
    remote: { address: connection.address, port: media.port, family: connection.family },
    unspecified: connection.unspecified,
    formats,
    direction: media.direction ?? session.direction ?? 'sendrecv',
    rtcpMux: media.rtcpMux === 'rtcp-mux',
    rtcp,
    ptime: typeof media.ptime === 'number' ? media.ptime : undefined,
    maxptime: typeof media.maxptime === 'number' ? media.maxptime : undefined,
    sessionId: String(session.origin.sessionId),
    sessionVersion: Number(session.origin.sessionVersion),
    ssrc: typeof ssrc === 'number' ? ssrc : undefined,
  };
}

// ---- deciding -----------------------------------------------------------------------------------

function sends(direction: SdpDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

function receives(direction: SdpDirection): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

function directionOf(send: boolean, receive: boolean): SdpDirection {
  if (send && receive) return 'sendrecv';
  if (send) return 'sendonly';
  return receive ? 'recvonly' : 'inactive';
}

// The peer's packet time when we can use it; else 20 ms, or less when its maxptime says so.
function pickPtime(ptime: number | undefined, maxptime: number | undefined, fallback: SdpPtimeMs): SdpPtimeMs {
  if (ptime !== undefined && SDP_PTIMES_MS.includes(ptime as SdpPtimeMs)) return ptime as SdpPtimeMs;
  if (maxptime !== undefined && maxptime < fallback) {
    const fitting = SDP_PTIMES_MS.filter((candidate) => candidate <= maxptime);
    if (fitting.length > 0) return fitting[fitting.length - 1];
  }
  return fallback;
}

// The codec as our encoder must use it, from the peer's fmtp (its receive preferences).
function negotiatedCodec(format: RemoteFormat, codec: SdpCodecName, ours: SdpOpusOptions): NegotiatedCodec {
  const base: NegotiatedCodec = {
    name: codec,
    payloadType: format.payloadType,
    clockRate: format.clockRate ?? 8000,
    channels: format.channels,
    fec: false,
    dtx: false,
    stereo: false,
    spropStereo: false,
    bitrate: 0,
  };
  if (codec !== 'opus') return base;
  const params = format.params;
  const maxAverageBitrate = numberParam(params, 'maxaveragebitrate');
  const maxPlaybackRate = numberParam(params, 'maxplaybackrate');
  const minPtimeMs = numberParam(params, 'minptime');
  const cap = maxAverageBitrate !== undefined && maxAverageBitrate > 0 ? maxAverageBitrate : Infinity;
  // Without a bitrate of ours, the encoder's default applies, capped by the peer's maximum there.
  const bitrate = ours.bitrate === undefined ? 0 : Math.min(ours.bitrate, cap);
  return {
    ...base,
    fec: numberParam(params, 'useinbandfec') === 1 && ours.fec !== false,
    dtx: ours.dtx ?? numberParam(params, 'usedtx') === 1,
    stereo: numberParam(params, 'stereo') === 1,
    spropStereo: numberParam(params, 'sprop-stereo') === 1,
    ...(maxAverageBitrate !== undefined ? { maxAverageBitrate } : {}),
    ...(maxPlaybackRate !== undefined ? { maxPlaybackRate } : {}),
    ...(minPtimeMs !== undefined ? { minPtimeMs } : {}),
    bitrate,
  };
}

// Our Opus fmtp: what we would like the peer to send us.
function opusFmtp(opus: SdpOpusOptions): string {
  const params = ['minptime=10', `useinbandfec=${opus.fec === false ? 0 : 1}`];
  if (opus.dtx === true) params.push('usedtx=1');
  if (opus.bitrate !== undefined) params.push(`maxaveragebitrate=${opus.bitrate}`);
  return params.join(';');
}

function remoteRtcpOf(audio: RemoteAudio, mux: boolean): NegotiatedMedia['remoteRtcp'] {
  if (mux) return 'mux';
  return audio.rtcp ?? { address: audio.remote.address, port: audio.remote.port + 1 };
}

function randomSessionId(): string {
  return String(randomInt(1, 2 ** 47));
}

// Writes an SDP with our origin; a session that already had an SDP keeps its version when
// nothing changed and increments it otherwise (RFC 3264 section 8).
function writeVersioned(
  description: Omit<SessionDescription, 'origin'>,
  local: { address: string; family: 4 | 6 },
  previous: SdpSessionState | undefined,
): { sdp: string; origin: SdpSessionState['origin'] } {
  const origin = previous ? { ...previous.origin } : { sessionId: randomSessionId(), sessionVersion: 1 };
  const write = (): string =>
    writeSdp({
      ...description,
      origin: { username: '-', sessionId: origin.sessionId, sessionVersion: origin.sessionVersion, netType: 'IN', ipVer: local.family, address: local.address },
    });
  let sdp = write();
  if (previous && sdp !== previous.sdp) {
    origin.sessionVersion += 1;
    sdp = write();
  }
  return { sdp, origin };
}

// ---- answering ---------------------------------------------------------------------------------

function checkPtime(ptimeMs: unknown, name: string): SdpPtimeMs | undefined {
  if (ptimeMs === undefined) return undefined;
  if (!SDP_PTIMES_MS.includes(ptimeMs as SdpPtimeMs)) fail(`${name} must be one of ${SDP_PTIMES_MS.join(', ')}`);
  return ptimeMs as SdpPtimeMs;
}

function checkRtcpPort(port: unknown, name: string): number | undefined {
  return port === undefined ? undefined : checkPort(port, name);
}

/**
 * Reads a peer's offer and decides the codec, packet time, RTCP and direction (RFC 3264), before
 * our address and port are known; writeAnswer then writes the answer. Throws SdpError when the
 * offer cannot work, InvalidArgumentError on bad options.
 */
export function negotiateOffer(offerSdp: string, options: NegotiateOfferOptions = {}): OfferNegotiation {
  if (!isObject(options as unknown)) fail('negotiateOffer needs an options object');
  if (options.preferredCodec !== undefined && !SDP_CODECS.includes(options.preferredCodec)) {
    fail(`preferredCodec must be one of ${SDP_CODECS.join(', ')}`);
  }
  const opus = checkOpus(options.opus);
  const wanted = checkDirection(options.direction, 'direction');
  const ourPtime = checkPtime(options.ptimeMs, 'ptimeMs');
  const offer = readAudio(checkSdpText(offerSdp, 'offer'), 'offer');

  const ptimeMs = ourPtime ?? pickPtime(offer.ptime, offer.maxptime, DEFAULT_PTIME_MS);
  // L16 is taken only when both directions' packets fit: ours at ptimeMs, the peer's at its a=ptime.
  const l16PtimeMs = Math.max(ptimeMs, offer.ptime ?? DEFAULT_PTIME_MS);
  const supported = offer.formats.filter((format) => format.codec !== null && (format.codec !== 'l16' || l16Fits(format.clockRate ?? 0, l16PtimeMs)));
  if (supported.length === 0) {
    const offered = offer.formats.map((f) => `${f.payloadType} ${f.name || '?'}/${f.clockRate ?? '?'}`).join(', ');
    throw new SdpError(
      'no-common-codec',
      `the offer has no codec we speak (opus/48000/2, PCMU/8000, PCMA/8000, L16 mono in packets of at most ${MAX_RTP_PAYLOAD_BYTES} bytes); it offered ${offered} at ${l16PtimeMs} ms`,
    );
  }
  const chosen = supported.find((format) => format.codec === options.preferredCodec) ?? supported[0];
  const codec = negotiatedCodec(chosen, chosen.codec as SdpCodecName, opus);
  const event = offer.formats.find((format) => format.name === 'telephone-event' && format.clockRate === codec.clockRate);
  const telephoneEvent: NegotiatedTelephoneEvent | null = event ? { payloadType: event.payloadType, clockRate: codec.clockRate } : null;

  // We mirror the offer (its sendonly is our recvonly), within what we want.
  const send = receives(offer.direction) && sends(wanted);
  const receive = sends(offer.direction) && receives(wanted);
  const direction = directionOf(send, receive);

  const audio: MediaDescription = {
    type: 'audio',
    port: 9, // writeAnswer puts our port here
    protocol: offer.media.protocol,
    payloads: [chosen.payloadType, ...(event ? [event.payloadType] : [])].join(' '),
    rtp: [
      { payload: chosen.payloadType, codec: RTPMAP_NAMES[codec.name], rate: codec.clockRate, ...(codec.name === 'opus' ? { encoding: 2 } : {}) },
      ...(event ? [{ payload: event.payloadType, codec: 'telephone-event', rate: codec.clockRate }] : []),
    ],
    fmtp: [
      ...(codec.name === 'opus' ? [{ payload: chosen.payloadType, config: opusFmtp(opus) }] : []),
      ...(event ? [{ payload: event.payloadType, config: TELEPHONE_EVENTS }] : []),
    ],
    ptime: ptimeMs,
    direction,
    // We take the peer's audio levels (and send none): the extension's id is the offer's.
    ...(offer.audioLevelId !== undefined && receive ? { ext: [{ value: offer.audioLevelId, uri: AUDIO_LEVEL_URI }] } : {}),
    ...(offer.media.mid !== undefined ? { mid: offer.media.mid } : {}),
    ...(offer.rtcpMux ? { rtcpMux: 'rtcp-mux' as const } : {}),
  };
  // Every other m-line is refused with port 0, keeping the offer's order (RFC 3264 section 6).
  const answerMedia = offer.session.media.map((line, index): MediaDescription =>
    index === offer.mediaIndex
      ? audio
      : {
          type: line.type,
          port: 0,
          protocol: line.protocol,
          payloads: String(line.payloads ?? '').trim().split(/ +/)[0] || '0',
          rtp: [],
          fmtp: [],
          ...(line.mid !== undefined ? { mid: line.mid } : {}),
        },
  );
  return {
    negotiated: {
      codec,
      telephoneEvent,
      ptimeMs,
      remote: offer.remote,
      remoteRtcp: remoteRtcpOf(offer, offer.rtcpMux),
      rtcpMux: offer.rtcpMux,
      direction,
      // c=0.0.0.0 is the old way to put a stream on hold: nothing is sent there.
      send: send && !offer.unspecified,
      receive,
      remoteSessionId: offer.sessionId,
      remoteSessionVersion: offer.sessionVersion,
      ...(offer.ssrc !== undefined ? { remoteSsrc: offer.ssrc } : {}),
      ...(offer.audioLevelId !== undefined && receive ? { audioLevelId: offer.audioLevelId } : {}),
    },
    answerMedia,
    audioIndex: offer.mediaIndex,
  };
}

function checkNegotiation(negotiation: unknown): OfferNegotiation {
  const candidate = negotiation as OfferNegotiation;
  if (
    !isObject(negotiation) ||
    !isObject(candidate.negotiated) ||
    !Array.isArray(candidate.answerMedia) ||
    !Number.isInteger(candidate.audioIndex) ||
    !isObject(candidate.answerMedia[candidate.audioIndex])
  ) {
    fail('writeAnswer needs what negotiateOffer returned');
  }
  return candidate;
}

/** Writes our answer to a negotiated offer, now that our address and port are known. */
export function writeAnswer(negotiation: OfferNegotiation, options: WriteAnswerOptions): AnswerOfferResult {
  const { negotiated, answerMedia, audioIndex } = checkNegotiation(negotiation);
  if (!isObject(options)) fail('writeAnswer needs an options object');
  const local = checkAddress(options.localAddress, 'localAddress');
  const localPort = checkPort(options.localPort, 'localPort');
  const localRtcpPort = checkRtcpPort(options.localRtcpPort, 'localRtcpPort');
  const sessionName = checkSessionName(options.sessionName);
  const previous = options.previous === undefined ? undefined : checkSessionState(options.previous, 'previous');
  const audio: MediaDescription = { ...answerMedia[audioIndex], port: localPort };
  // RFC 3605: say where our RTCP is when it is neither multiplexed nor on the next port.
  if (!negotiated.rtcpMux && localRtcpPort !== undefined && localRtcpPort !== localPort + 1) {
    audio.rtcp = { port: localRtcpPort, netType: 'IN', ipVer: local.family, address: local.address };
  }
  const media = answerMedia.map((line, index) => (index === audioIndex ? audio : line));
  const { sdp, origin } = writeVersioned(
    { version: 0, name: sessionName, connection: { version: local.family, ip: local.address }, timing: { start: 0, stop: 0 }, media },
    local,
    previous,
  );
  return {
    answerSdp: sdp,
    negotiated: { ...negotiated, sessionId: origin.sessionId, sessionVersion: origin.sessionVersion },
    state: { origin, sdp },
  };
}

/** Answers a peer's offer: negotiateOffer then writeAnswer, for when our port is known already. */
export function answerOffer(offerSdp: string, options: AnswerOfferOptions): AnswerOfferResult {
  if (!isObject(options)) fail('answerOffer needs an options object');
  // Our own arguments first, so a bad one is reported whatever the offer holds.
  checkAddress(options.localAddress, 'localAddress');
  checkPort(options.localPort, 'localPort');
  checkRtcpPort(options.localRtcpPort, 'localRtcpPort');
  checkSessionName(options.sessionName);
  if (options.previous !== undefined) checkSessionState(options.previous, 'previous');
  const { localAddress, localPort, localRtcpPort, sessionName, previous, ...negotiate } = options;
  const write: WriteAnswerOptions = { localAddress, localPort };
  if (localRtcpPort !== undefined) write.localRtcpPort = localRtcpPort;
  if (sessionName !== undefined) write.sessionName = sessionName;
  if (previous !== undefined) write.previous = previous;
  return writeAnswer(negotiateOffer(offerSdp, negotiate), write);
}

// ---- offering --------------------------------------------------------------------------------

/** Writes our offer; pass its state to applyAnswer with the peer's answer. */
export function createOffer(options: CreateOfferOptions): CreateOfferResult {
  if (!isObject(options)) fail('createOffer needs an options object');
  const local = checkAddress(options.localAddress, 'localAddress');
  const localPort = checkPort(options.localPort, 'localPort');
  const codecs = options.codecs ?? (['opus', 'pcmu', 'pcma'] as SdpCodecName[]);
  if (!Array.isArray(codecs) || codecs.length === 0 || codecs.some((name) => !SDP_CODECS.includes(name)) || new Set(codecs).size !== codecs.length) {
    fail(`codecs must be a non-empty list of distinct names from ${SDP_CODECS.join(', ')}`);
  }
  const l16Rate = options.l16Rate ?? 16000;
  if (!SDP_L16_RATES.includes(l16Rate)) fail(`l16Rate must be one of ${SDP_L16_RATES.join(', ')}`);
  const direction = checkDirection(options.direction, 'direction');
  const ptimeMs = options.ptimeMs ?? DEFAULT_PTIME_MS;
  if (!SDP_PTIMES_MS.includes(ptimeMs)) fail(`ptimeMs must be one of ${SDP_PTIMES_MS.join(', ')}`);
  if (codecs.includes('l16') && !l16Fits(l16Rate, ptimeMs)) {
    fail(`L16/${l16Rate} at ${ptimeMs} ms needs packets over ${MAX_RTP_PAYLOAD_BYTES} bytes of payload; use a lower rate or packet time`);
  }
  if (options.telephoneEvent !== undefined && typeof options.telephoneEvent !== 'boolean') fail('telephoneEvent must be a boolean');
  if (options.rtcpMux !== undefined && typeof options.rtcpMux !== 'boolean') fail('rtcpMux must be a boolean');
  const opus = checkOpus(options.opus);
  const sessionName = checkSessionName(options.sessionName);
  const sessionId = options.sessionId ?? randomSessionId();
  if (typeof sessionId !== 'string' || !/^\d{1,20}$/.test(sessionId)) fail('sessionId must be 1..20 decimal digits');
  const sessionVersion = options.sessionVersion ?? 1;
  if (!Number.isSafeInteger(sessionVersion) || sessionVersion < 0) fail('sessionVersion must be a non-negative integer');
  const rtcpMux = options.rtcpMux ?? true;
  const localRtcpPort = checkRtcpPort(options.localRtcpPort, 'localRtcpPort');

  const offered: OfferedCodec[] = codecs.map((name) => ({
    name,
    payloadType: OFFER_PAYLOAD_TYPES[name],
    clockRate: name === 'opus' ? 48000 : name === 'l16' ? l16Rate : 8000,
    channels: name === 'opus' ? 2 : 1,
  }));
  const telephoneEvents: NegotiatedTelephoneEvent[] =
    options.telephoneEvent === false
      ? []
      : [...new Set(offered.map((codec) => codec.clockRate))].map((clockRate) => ({ payloadType: OFFER_TELEPHONE_EVENT_TYPES[clockRate], clockRate }));

  const audio: MediaDescription = {
    type: 'audio',
    port: localPort,
    protocol: 'RTP/AVP',
    payloads: [...offered.map((codec) => codec.payloadType), ...telephoneEvents.map((event) => event.payloadType)].join(' '),
    rtp: [
      ...offered.map((codec) => ({ payload: codec.payloadType, codec: RTPMAP_NAMES[codec.name], rate: codec.clockRate, ...(codec.name === 'opus' ? { encoding: 2 } : {}) })),
      ...telephoneEvents.map((event) => ({ payload: event.payloadType, codec: 'telephone-event', rate: event.clockRate })),
    ],
    fmtp: [
      ...offered.filter((codec) => codec.name === 'opus').map((codec) => ({ payload: codec.payloadType, config: opusFmtp(opus) })),
      ...telephoneEvents.map((event) => ({ payload: event.payloadType, config: TELEPHONE_EVENTS })),
    ],
    ptime: ptimeMs,
    direction,
    ...(receives(direction) ? { ext: [{ value: OFFER_AUDIO_LEVEL_ID, uri: AUDIO_LEVEL_URI }] } : {}),
    ...(rtcpMux ? { rtcpMux: 'rtcp-mux' as const } : {}),
    // RFC 3605: say where our RTCP is when it is neither multiplexed nor on the next port.
    ...(!rtcpMux && localRtcpPort !== undefined && localRtcpPort !== localPort + 1
      ? { rtcp: { port: localRtcpPort, netType: 'IN', ipVer: local.family, address: local.address } }
      : {}),
  };
  const offerSdp = writeSdp({
    version: 0,
    origin: { username: '-', sessionId, sessionVersion, netType: 'IN', ipVer: local.family, address: local.address },
    name: sessionName,
    connection: { version: local.family, ip: local.address },
    timing: { start: 0, stop: 0 },
    media: [audio],
  });
  return {
    offerSdp,
    state: { origin: { sessionId, sessionVersion }, sdp: offerSdp, offered, telephoneEvents, direction, ptimeMs, rtcpMux, opus },
  };
}

function checkOfferState(state: unknown): SdpOfferState {
  const session = checkSessionState(state, 'state');
  const offerState = state as SdpOfferState;
  if (
    !Array.isArray(offerState.offered) ||
    offerState.offered.length === 0 ||
    !Array.isArray(offerState.telephoneEvents) ||
    !DIRECTIONS.includes(offerState.direction) ||
    !SDP_PTIMES_MS.includes(offerState.ptimeMs)
  ) {
    fail('state must be the state createOffer returned');
  }
  return { ...offerState, ...session, opus: offerState.opus ?? {} };
}

/** Reads the peer's answer to our offer; the answer must pick a codec we offered. */
export function applyAnswer(state: SdpOfferState, answerSdp: string): NegotiatedMedia {
  const offer = checkOfferState(state);
  const answer = readAudio(checkSdpText(answerSdp, 'answer'), 'answer');

  // The first codec of the answer that we offered (matched by codec, rate and channels).
  let chosen: { format: RemoteFormat; codec: SdpCodecName } | undefined;
  for (const format of answer.formats) {
    const match = format.codec && offer.offered.find((codec) => codec.name === format.codec && codec.clockRate === format.clockRate && codec.channels === format.channels);
    if (match) {
      chosen = { format, codec: match.name };
      break;
    }
  }
  if (chosen?.codec === 'l16' && !l16Fits(chosen.format.clockRate ?? 0, Math.max(offer.ptimeMs, answer.ptime ?? DEFAULT_PTIME_MS))) chosen = undefined;
  if (!chosen) {
    const answered = answer.formats.map((f) => `${f.payloadType} ${f.name || '?'}/${f.clockRate ?? '?'}`).join(', ');
    throw new SdpError('no-common-codec', `the answer picks no codec we offered; it answered ${answered}`);
  }
  const codec = negotiatedCodec(chosen.format, chosen.codec, offer.opus);
  const offeredEvent = offer.telephoneEvents.some((event) => event.clockRate === codec.clockRate);
  const event = offeredEvent ? answer.formats.find((format) => format.name === 'telephone-event' && format.clockRate === codec.clockRate) : undefined;
  const rtcpMux = offer.rtcpMux && answer.rtcpMux;
  // The answer's direction is the peer's: its recvonly means we only send.
  const send = receives(answer.direction) && sends(offer.direction);
  const receive = sends(answer.direction) && receives(offer.direction);
  return {
    codec,
    telephoneEvent: event ? { payloadType: event.payloadType, clockRate: codec.clockRate } : null,
    ptimeMs: pickPtime(answer.ptime, answer.maxptime, offer.ptimeMs),
    remote: answer.remote,
    remoteRtcp: remoteRtcpOf(answer, rtcpMux),
    rtcpMux,
    direction: offer.direction,
    send: send && !answer.unspecified,
    receive,
    sessionId: offer.origin.sessionId,
    sessionVersion: offer.origin.sessionVersion,
    remoteSessionId: answer.sessionId,
    remoteSessionVersion: answer.sessionVersion,
    ...(answer.ssrc !== undefined ? { remoteSsrc: answer.ssrc } : {}),
    ...(answer.audioLevelId !== undefined && receive ? { audioLevelId: answer.audioLevelId } : {}),
  };
}
