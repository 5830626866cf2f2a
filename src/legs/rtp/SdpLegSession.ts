// One RTP leg's SDP offer/answer: checks the join options, turns what was negotiated into the
// leg's wire spec and leg updates, and keeps our o= line across re-offers.
import { InvalidArgumentError, InvalidStateError } from '../../errors.ts';
import { applyAnswer, createOffer, negotiateOffer, OFFER_AUDIO_LEVEL_ID, SdpError, SDP_CODECS, writeAnswer } from './sdp.ts';
import type {
  NegotiatedMedia,
  OfferNegotiation,
  SdpCodecName,
  SdpOfferState,
  SdpOpusOptions,
  SdpPtimeMs,
  SdpSessionState,
} from './sdp.ts';
import { checkFields, refuseUnknownFields, toBoolean, toInteger } from '../../fields.ts';
import type { SdpSignalingState } from './RtpLegTypes.ts';
import type { RtpCodecWire, RtpLegWireSpec, RtpLegWireUpdate } from './spec.ts';

/** The `rtp` options of an SDP join (SdpLegOptions), checked. */
export interface SdpLegSettings {
  preferredCodec?: SdpCodecName;
  codecs?: SdpCodecName[];
  opus?: SdpOpusOptions;
  symmetricLatching: boolean;
  timeoutMs?: number;
  rtcpMux: boolean;
  ipv6: boolean;
}

/** Where our SDP says our media is, by address family. */
export interface SdpAddresses {
  4: string;
  6: string;
}

const SDP_LEG_KEYS = new Set(['preferredCodec', 'codecs', 'opus', 'symmetricLatching', 'timeoutMs', 'rtcpMux', 'ipv6']);

function toCodecName(value: unknown, name: string): SdpCodecName {
  if (typeof value !== 'string' || !SDP_CODECS.includes(value.toLowerCase() as SdpCodecName)) {
    throw new InvalidArgumentError(`${name} must be one of ${SDP_CODECS.join(', ')}`);
  }
  return value.toLowerCase() as SdpCodecName;
}

/** Checks the `rtp` options of an SDP join. */
export function checkSdpLegOptions(value: unknown): SdpLegSettings {
  const fields = value === undefined ? {} : checkFields(value, 'rtp');
  refuseUnknownFields(fields, SDP_LEG_KEYS, 'rtp');
  const settings: SdpLegSettings = {
    symmetricLatching: fields.symmetricLatching === undefined ? false : toBoolean(fields.symmetricLatching, 'rtp.symmetricLatching'),
    rtcpMux: fields.rtcpMux === undefined ? true : toBoolean(fields.rtcpMux, 'rtp.rtcpMux'),
    ipv6: fields.ipv6 === undefined ? false : toBoolean(fields.ipv6, 'rtp.ipv6'),
  };
  if (fields.preferredCodec !== undefined) settings.preferredCodec = toCodecName(fields.preferredCodec, 'rtp.preferredCodec');
  if (fields.codecs !== undefined) {
    if (!Array.isArray(fields.codecs) || fields.codecs.length === 0) throw new InvalidArgumentError('rtp.codecs must be a non-empty array');
    const codecs = fields.codecs.map((codec, index) => toCodecName(codec, `rtp.codecs[${index}]`));
    if (new Set(codecs).size !== codecs.length) throw new InvalidArgumentError('rtp.codecs must not repeat a codec');
    settings.codecs = codecs;
  }
  if (fields.opus !== undefined) settings.opus = checkFields(fields.opus, 'rtp.opus') as SdpOpusOptions;
  if (fields.timeoutMs !== undefined) settings.timeoutMs = toInteger(fields.timeoutMs, 'rtp.timeoutMs', 0, 3_600_000);
  return settings;
}

/**
 * The codec as the shard's leg takes it. Opus is always coded mono: the mix is mono, a mono
 * stream is valid whatever the peer's stereo=1 (RFC 7587), and a mono decoder downmixes a
 * stereo one, for half the work either way.
 */
function shardCodecOf(media: Pick<NegotiatedMedia, 'codec'>): RtpCodecWire {
  const { name, payloadType, clockRate, channels, fec, dtx, bitrate, maxAverageBitrate } = media.codec;
  if (name !== 'opus') return { name, payloadType, clockRate, channels };
  return { name, payloadType, clockRate, channels: 1, fec, dtx, bitrate, ...(maxAverageBitrate ? { maxBitrate: maxAverageBitrate } : {}) };
}

function sameCodec(a: RtpCodecWire, b: RtpCodecWire): boolean {
  return (
    a.name === b.name &&
    a.payloadType === b.payloadType &&
    a.clockRate === b.clockRate &&
    a.channels === b.channels &&
    (a.fec ?? false) === (b.fec ?? false) &&
    (a.dtx ?? false) === (b.dtx ?? false) &&
    (a.bitrate ?? 0) === (b.bitrate ?? 0) &&
    (a.maxBitrate ?? 0) === (b.maxBitrate ?? 0)
  );
}

// A payload type the peer did not offer: what the leg listens to for DTMF once telephone-event is
// no longer negotiated (the shard's leg cannot unset it).
function unusedPayloadType(used: readonly number[]): number {
  for (let pt = 127; pt >= 96; pt--) if (!used.includes(pt)) return pt;
  return 127;
}

/** What a leg the shard opened says about itself. */
export interface OpenedLeg {
  localPort: number;
  localRtcpPort?: number;
}

/** One leg's offer/answer state. */
export class SdpLegSession {
  /** 4 or 6: the leg's socket family, fixed for its life. */
  readonly family: 4 | 6;
  /** The address our SDP names. */
  readonly localAddress: string;
  readonly #settings: SdpLegSettings;
  readonly #ptimeMs: SdpPtimeMs;
  #localPort = 0;
  #localRtcpPort: number | undefined;
  /** Our o= line and last SDP, for the next exchange. */
  #origin: SdpSessionState | undefined;
  #pendingOffer: SdpOfferState | undefined;
  #negotiated: NegotiatedMedia | undefined;
  #localSdp: string | undefined;
  #remoteSdp: string | undefined;
  #busy = false;

  private constructor(settings: SdpLegSettings, family: 4 | 6, localAddress: string, ptimeMs: SdpPtimeMs) {
    this.#settings = settings;
    this.family = family;
    this.localAddress = localAddress;
    this.#ptimeMs = ptimeMs;
  }

  /** Reads a peer's offer before any socket opens: the leg spec to open, or SdpError. */
  static answering(
    offerSdp: unknown,
    settings: SdpLegSettings,
    addresses: SdpAddresses,
    ptimeMs: SdpPtimeMs,
  ): { session: SdpLegSession; spec: RtpLegWireSpec; negotiation: OfferNegotiation } {
    if (typeof offerSdp !== 'string') throw new InvalidArgumentError('sdp must be the peer\'s SDP offer, a string');
    const negotiation = negotiateOffer(offerSdp, SdpLegSession.#negotiateOptions(settings, ptimeMs, settings.preferredCodec));
    const family = negotiation.negotiated.remote.family;
    const session = new SdpLegSession(settings, family, addresses[family], ptimeMs);
    session.#remoteSdp = offerSdp;
    return { session, spec: session.#specOf(negotiation.negotiated, null), negotiation };
  }

  /** Prepares our offer: the leg spec to open (no peer yet), the offer written once it is open. */
  static offering(settings: SdpLegSettings, addresses: SdpAddresses, ptimeMs: SdpPtimeMs): { session: SdpLegSession; spec: RtpLegWireSpec } {
    const family = settings.ipv6 ? 6 : 4;
    const session = new SdpLegSession(settings, family, addresses[family], ptimeMs);
    // Payload types are fixed by the codec list, so a draft on a placeholder port names them.
    const draft = session.#offer(9).state;
    const first = draft.offered[0];
    const event = draft.telephoneEvents.find((candidate) => candidate.clockRate === first.clockRate);
    const codec: RtpCodecWire =
      first.name === 'opus'
        ? { name: 'opus', payloadType: first.payloadType, clockRate: first.clockRate, channels: 1, fec: settings.opus?.fec !== false }
        : { name: first.name, payloadType: first.payloadType, clockRate: first.clockRate, channels: first.channels };
    const spec: RtpLegWireSpec = { kind: 'rtp', codec, ptimeMs, ipv6: family === 6 };
    if (event) spec.telephoneEventPayloadType = event.payloadType;
    // Our offer names the audio level extension: an answer that keeps it sends levels with our id.
    spec.audioLevelExtensionId = OFFER_AUDIO_LEVEL_ID;
    if (settings.symmetricLatching) spec.symmetricLatching = true;
    if (settings.timeoutMs !== undefined) spec.timeoutMs = settings.timeoutMs;
    if (settings.rtcpMux) spec.rtcpMux = true;
    return { session, spec };
  }

  static #negotiateOptions(settings: SdpLegSettings, ptimeMs: SdpPtimeMs, preferredCodec: SdpCodecName | undefined) {
    return {
      ptimeMs,
      ...(preferredCodec === undefined ? {} : { preferredCodec }),
      ...(settings.opus === undefined ? {} : { opus: settings.opus }),
    };
  }

  /** 'stable', or 'have-local-offer' while our offer waits for its answer. */
  get signalingState(): SdpSignalingState {
    return this.#pendingOffer ? 'have-local-offer' : 'stable';
  }

  /** What the last completed exchange settled on. */
  get negotiated(): NegotiatedMedia | undefined {
    return this.#negotiated;
  }

  /** Our last SDP (answer or offer). */
  get localSdp(): string | undefined {
    return this.#localSdp;
  }

  /** The peer's last SDP. */
  get remoteSdp(): string | undefined {
    return this.#remoteSdp;
  }

  /** Writes our answer once the shard opened the leg. */
  completeAnswer(negotiation: OfferNegotiation, opened: OpenedLeg): string {
    this.#localPort = opened.localPort;
    this.#localRtcpPort = opened.localRtcpPort;
    const result = writeAnswer(negotiation, this.#writeOptions());
    this.#negotiated = result.negotiated;
    this.#origin = result.state;
    this.#localSdp = result.answerSdp;
    return result.answerSdp;
  }

  /** Writes our offer once the shard opened the leg. */
  completeOffer(opened: OpenedLeg): string {
    this.#localPort = opened.localPort;
    this.#localRtcpPort = opened.localRtcpPort;
    const { offerSdp, state } = this.#offer(opened.localPort);
    this.#pendingOffer = state;
    this.#origin = state;
    this.#localSdp = offerSdp;
    return offerSdp;
  }

  /** Reads the peer's answer to our offer: the change to make to the leg, or SdpError. */
  readAnswer(answerSdp: unknown, current: RtpLegWireSpec): { media: NegotiatedMedia; change: RtpLegWireUpdate } {
    if (!this.#pendingOffer) throw new InvalidStateError('the leg has no offer waiting for an answer');
    if (typeof answerSdp !== 'string') throw new InvalidArgumentError('the answer must be an SDP string');
    const media = applyAnswer(this.#pendingOffer, answerSdp);
    this.#checkFamily(media);
    return { media, change: this.#changeOf(media, current) };
  }

  /** Records an answer the shard accepted. */
  commitAnswer(answerSdp: string, media: NegotiatedMedia): void {
    this.#pendingOffer = undefined;
    this.#negotiated = media;
    this.#remoteSdp = answerSdp;
  }

  /** Reads the peer's new offer on a live leg: the change to make, and the answer to write after. */
  readReoffer(offerSdp: unknown, current: RtpLegWireSpec): { negotiation: OfferNegotiation; change: RtpLegWireUpdate } {
    if (this.#pendingOffer) throw new InvalidStateError('our own offer is waiting for its answer; a re-offer now would cross it (glare)');
    if (typeof offerSdp !== 'string') throw new InvalidArgumentError('the offer must be an SDP string');
    // Keep the codec in use when the new offer still has it (RFC 3264 section 8.3.2).
    const negotiation = negotiateOffer(offerSdp, SdpLegSession.#negotiateOptions(this.#settings, this.#ptimeMs, this.#settings.preferredCodec ?? current.codec.name));
    this.#checkFamily(negotiation.negotiated);
    return { negotiation, change: this.#changeOf(negotiation.negotiated, current) };
  }

  /** Writes the answer to a re-offer the shard accepted. */
  commitReoffer(offerSdp: string, negotiation: OfferNegotiation): string {
    const options = this.#writeOptions();
    if (this.#origin) options.previous = this.#origin;
    const result = writeAnswer(negotiation, options);
    this.#negotiated = result.negotiated;
    this.#origin = result.state;
    this.#localSdp = result.answerSdp;
    this.#remoteSdp = offerSdp;
    return result.answerSdp;
  }

  /** Runs one exchange at a time; a second one meanwhile is refused. */
  async exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.#busy) throw new InvalidStateError('another offer/answer on this leg is in progress');
    this.#busy = true;
    try {
      return await run();
    } finally {
      this.#busy = false;
    }
  }

  #writeOptions(): { localAddress: string; localPort: number; localRtcpPort?: number; previous?: SdpSessionState } {
    return {
      localAddress: this.localAddress,
      localPort: this.#localPort,
      ...(this.#localRtcpPort === undefined ? {} : { localRtcpPort: this.#localRtcpPort }),
    };
  }

  #offer(localPort: number) {
    const settings = this.#settings;
    return createOffer({
      localAddress: this.localAddress,
      localPort,
      ptimeMs: this.#ptimeMs,
      rtcpMux: settings.rtcpMux,
      ...(this.#origin ? { sessionId: this.#origin.origin.sessionId, sessionVersion: this.#origin.origin.sessionVersion } : {}),
      ...(settings.codecs === undefined ? {} : { codecs: settings.codecs }),
      ...(settings.opus === undefined ? {} : { opus: settings.opus }),
      ...(this.#localRtcpPort === undefined ? {} : { localRtcpPort: this.#localRtcpPort }),
    });
  }

  #checkFamily(media: Pick<NegotiatedMedia, 'remote'>): void {
    if (media.remote.family !== this.family) {
      throw new SdpError('bad-connection', `the leg is IPv${this.family}; the SDP moves it to an IPv${media.remote.family} address, which needs a new leg`);
    }
  }

  // The leg spec a negotiation asks for; `current` keeps its peer when the SDP names none (c=0.0.0.0).
  #specOf(media: Omit<NegotiatedMedia, 'sessionId' | 'sessionVersion'>, current: RtpLegWireSpec | null): RtpLegWireSpec {
    const settings = this.#settings;
    const spec: RtpLegWireSpec = { kind: 'rtp', codec: shardCodecOf(media), ptimeMs: this.#ptimeMs, ipv6: this.family === 6 };
    if (media.telephoneEvent) spec.telephoneEventPayloadType = media.telephoneEvent.payloadType;
    if (media.audioLevelId !== undefined) spec.audioLevelExtensionId = media.audioLevelId;
    const unspecified = media.remote.address === '0.0.0.0' || media.remote.address === '::';
    if (!unspecified) {
      spec.remoteAddress = media.remote.address;
      spec.remotePort = media.remote.port;
    } else if (current?.remoteAddress !== undefined) {
      spec.remoteAddress = current.remoteAddress;
      spec.remotePort = current.remotePort;
    }
    if (settings.symmetricLatching || spec.remoteAddress === undefined) spec.symmetricLatching = true;
    if (settings.timeoutMs !== undefined) spec.timeoutMs = settings.timeoutMs;
    if (media.rtcpMux) spec.rtcpMux = true;
    else if (media.remoteRtcp !== 'mux') {
      spec.rtcpMux = false;
      spec.remoteRtcpPort = media.remoteRtcp.port;
    }
    return spec;
  }

  #changeOf(media: NegotiatedMedia | Omit<NegotiatedMedia, 'sessionId' | 'sessionVersion'>, current: RtpLegWireSpec): RtpLegWireUpdate {
    const next = this.#specOf(media, current);
    const change: RtpLegWireUpdate = {};
    if (next.remoteAddress !== undefined && (next.remoteAddress !== current.remoteAddress || next.remotePort !== current.remotePort)) {
      change.remoteAddress = next.remoteAddress;
      change.remotePort = next.remotePort;
    }
    let telephoneEvent = next.telephoneEventPayloadType;
    if (telephoneEvent === undefined && current.telephoneEventPayloadType !== undefined) {
      telephoneEvent = current.telephoneEventPayloadType === next.codec.payloadType ? unusedPayloadType([next.codec.payloadType]) : current.telephoneEventPayloadType;
    }
    if (!sameCodec(next.codec, current.codec) || telephoneEvent !== current.telephoneEventPayloadType) {
      // The shard's leg takes a new telephone-event type only with its codec.
      change.codec = next.codec;
      if (telephoneEvent !== undefined) change.telephoneEventPayloadType = telephoneEvent;
    }
    return change;
  }
}
