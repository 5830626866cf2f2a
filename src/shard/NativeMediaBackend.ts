// The media backend of a shard: the native media thread (ShardMedia) runs the clock, the plain
// RTP sockets and the mix; this side keeps ids, app-leg resampling and a mirror of member state.
import { createShardMedia, type ShardMedia, type ShardMediaLeg } from '../native/shardMedia.ts';
import { Resampler, type ResamplerRate } from '../native/codecs.ts';
import type { NativeMixerEvent } from '../native/mixer.ts';
import type { RtpCodecOptions } from '../native/mediaConference.ts';
import type { BackendLegSpec, MediaBackend } from './MediaBackend.ts';
import type {
  ShardConferenceEvent,
  ShardConferenceRequests,
  ShardConferenceSettings,
  ShardLegInfo,
  ShardMediaSwitches,
  ShardMemberSettings,
  ShardRtpCodec,
} from './conferenceProtocol.ts';

type MemberMirror = ShardConferenceRequests['getMember']['result'];

interface MemberRecord {
  mirror: MemberMirror;
  legId?: number;
  /** The RTP leg's RFC 6464 extension id, kept for a re-negotiated codec. */
  audioLevelExtensionId?: number;
  app?: { toConference: Resampler | null; fromConference: Resampler | null };
}

interface ConferenceRecord {
  id: string;
  handle: number;
  rate: number;
  energyLevel: number;
  /** The switches it was created with (the native conference does not report them back). */
  media: ShardMediaSwitches;
  members: Map<number, MemberRecord>;
}

function notFound(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_NOT_FOUND' });
}

function codecOptions(codec: ShardRtpCodec): RtpCodecOptions {
  return {
    codec: codec.name,
    payloadType: codec.payloadType,
    clockRate: codec.clockRate,
    channels: codec.channels,
    ...(codec.fec === undefined ? {} : { fec: codec.fec }),
    ...(codec.dtx === undefined ? {} : { dtx: codec.dtx }),
    ...(codec.bitrate === undefined ? {} : { bitrate: codec.bitrate }),
    ...(codec.maxBitrate === undefined ? {} : { maxBitrate: codec.maxBitrate }),
  };
}

/** A mixer event as the shard protocol carries it. */
export function toShardEvent(conferenceId: string, e: NativeMixerEvent): ShardConferenceEvent {
  switch (e.type) {
    case 'talking-start':
    case 'talking-stop':
      return { type: 'talking', conferenceId, member: e.member, status: e.type === 'talking-start' ? 'start' : 'stop', energy: e.energy };
    case 'dtmf':
      return { type: 'dtmf', conferenceId, member: e.member, key: e.key, action: e.action };
    case 'changed':
      return { type: 'changed', conferenceId, member: e.member, field: e.what, value: e.value };
    case 'leave':
      return { type: 'leave', conferenceId, member: e.member };
    case 'playback-done':
      return { type: 'playback-done', conferenceId, playback: e.playback, member: e.member, reason: e.reason };
  }
}

export class NativeMediaBackend implements MediaBackend {
  readonly #media: ShardMedia;
  readonly #byId = new Map<string, ConferenceRecord>();
  readonly #byHandle = new Map<number, ConferenceRecord>();
  readonly #legs = new Map<number, { conference: ConferenceRecord; member: number }>();
  #nextHandle = 1;
  #eventListener: (events: ShardConferenceEvent[]) => void = () => {};
  #frameListener: (frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }>) => void = () => {};

  constructor(options: { portMin: number; portMax: number; realtimePriority?: number }) {
    this.#media = createShardMedia({ ...options, onNotify: () => this.#drain() });
    this.#media.start();
  }

  createConference(conferenceId: string, settings: ShardConferenceSettings): void {
    if (this.#byId.has(conferenceId)) throw Object.assign(new Error(`conference ${conferenceId} exists`), { code: 'ERR_INVALID_STATE' });
    const { media } = settings;
    // The protocol's callers are typed, but a request may still arrive without it.
    if (typeof media !== 'object' || media === null) {
      throw Object.assign(new Error('conference settings need media switches'), { code: 'ERR_INVALID_ARGUMENT' });
    }
    const handle = this.#nextHandle++;
    this.#media.createConference(handle, {
      rate: settings.rate as 16000,
      interval: settings.interval as 20,
      energyLevel: settings.energyLevel,
      hangoverMs: settings.hangoverMs,
      comfortNoiseDbfs: settings.comfortNoiseDbfs,
      digits: settings.digits,
      adaptiveComplexity: media.adaptiveComplexity,
      parallelCodecs: media.parallelCodecs,
      skipUnvoiced: media.skipUnvoiced,
      maxActiveTalkers: media.maxActiveTalkers,
    });
    const record: ConferenceRecord = {
      id: conferenceId,
      handle,
      rate: settings.rate,
      energyLevel: settings.energyLevel,
      media,
      members: new Map(),
    };
    this.#byId.set(conferenceId, record);
    this.#byHandle.set(handle, record);
  }

  destroyConference(conferenceId: string): void {
    const record = this.#get(conferenceId);
    this.#media.destroyConference(record.handle);
    for (const member of record.members.values()) if (member.legId !== undefined) this.#legs.delete(member.legId);
    this.#byId.delete(conferenceId);
    this.#byHandle.delete(record.handle);
  }

  updateConference(conferenceId: string, flags: { mute?: boolean; hold?: boolean }): void {
    this.#media.setConference(this.#get(conferenceId).handle, flags);
  }

  addMember(conferenceId: string, member: number, settings: ShardMemberSettings, leg: BackendLegSpec): ShardLegInfo {
    const record = this.#get(conferenceId);
    let native: ShardMediaLeg;
    if (leg.kind === 'rtp') {
      native = {
        kind: 'rtp',
        receive: {
          ...codecOptions(leg.codec),
          ...(leg.telephoneEventPayloadType === undefined ? {} : { telephoneEventPayloadType: leg.telephoneEventPayloadType }),
          ...(leg.audioLevelExtensionId === undefined ? {} : { audioLevelExtensionId: leg.audioLevelExtensionId }),
        },
        send: codecOptions(leg.codec),
        ...(leg.remoteAddress === undefined ? {} : { remoteAddress: leg.remoteAddress, remotePort: leg.remotePort }),
        ...(leg.symmetricLatching === undefined ? {} : { symmetricLatching: leg.symmetricLatching }),
        ...(leg.timeoutMs === undefined ? {} : { timeoutMs: leg.timeoutMs }),
        ...(leg.ipv6 === undefined ? {} : { ipv6: leg.ipv6 }),
        ...(leg.rtcpMux === undefined ? {} : { rtcpMux: leg.rtcpMux }),
        ...(leg.remoteRtcpPort === undefined ? {} : { remoteRtcpPort: leg.remoteRtcpPort }),
      };
    } else {
      native = { kind: leg.kind };
    }
    const app =
      leg.kind === 'app'
        ? {
            toConference: leg.rate === record.rate ? null : new Resampler(leg.rate as ResamplerRate, record.rate as ResamplerRate),
            fromConference: leg.rate === record.rate ? null : new Resampler(record.rate as ResamplerRate, leg.rate as ResamplerRate),
          }
        : undefined;
    const opened = this.#media.addMember(record.handle, member, settings, native);
    const mirror: MemberMirror = {
      talking: false,
      energy: 0,
      mute: settings.mute ?? false,
      deaf: settings.deaf ?? false,
      hold: settings.hold ?? false,
      talkLevel: settings.talkLevel ?? 0,
      listenLevel: settings.listenLevel ?? 0,
      energyLevel: settings.energyLevel ?? record.energyLevel,
    };
    record.members.set(member, {
      mirror,
      ...(opened.legId === undefined ? {} : { legId: opened.legId }),
      ...(app ? { app } : {}),
      ...(leg.kind === 'rtp' && leg.audioLevelExtensionId !== undefined ? { audioLevelExtensionId: leg.audioLevelExtensionId } : {}),
    });
    if (opened.legId !== undefined) this.#legs.set(opened.legId, { conference: record, member });
    if (leg.kind === 'rtp') {
      return { kind: 'rtp', localAddress: leg.ipv6 ? '::' : '0.0.0.0', localPort: opened.port ?? 0, ...(opened.rtcpPort === undefined ? {} : { rtcpPort: opened.rtcpPort }) };
    }
    return { kind: leg.kind };
  }

  removeMember(conferenceId: string, member: number): void {
    const record = this.#get(conferenceId);
    this.#media.removeMember(record.handle, member);
    const removed = record.members.get(member);
    if (removed?.legId !== undefined) this.#legs.delete(removed.legId);
    record.members.delete(member);
  }

  updateMember(conferenceId: string, member: number, settings: ShardMemberSettings): void {
    const record = this.#get(conferenceId);
    // The mirror follows the mixer's own 'changed' events, so it never runs ahead of the mix.
    this.#media.setMember(record.handle, member, settings);
  }

  updateLeg(conferenceId: string, member: number, update: { remoteAddress?: string; remotePort?: number; codec?: ShardRtpCodec; telephoneEventPayloadType?: number }): void {
    const record = this.#get(conferenceId);
    const audioLevelExtensionId = record.members.get(member)?.audioLevelExtensionId;
    this.#media.updateLeg(record.handle, member, {
      ...(update.remoteAddress === undefined ? {} : { remoteAddress: update.remoteAddress, remotePort: update.remotePort }),
      ...(update.codec
        ? {
            receive: {
              ...codecOptions(update.codec),
              ...(update.telephoneEventPayloadType === undefined ? {} : { telephoneEventPayloadType: update.telephoneEventPayloadType }),
              ...(audioLevelExtensionId === undefined ? {} : { audioLevelExtensionId }),
            },
            send: codecOptions(update.codec),
          }
        : {}),
    });
  }

  pushAppPcm(conferenceId: string, member: number, pcm: Int16Array): void {
    const record = this.#get(conferenceId);
    const app = record.members.get(member)?.app;
    if (!app) throw notFound(`member ${member} has no app leg`);
    this.#media.pushPcm(record.handle, member, app.toConference ? app.toConference.process(pcm) : pcm);
  }

  startPlayback(conferenceId: string, playback: number, pcm: Int16Array, loop: boolean, member?: number): void {
    this.#media.startPlayback(this.#get(conferenceId).handle, playback, pcm, member === undefined ? { loop } : { loop, member });
  }

  stopPlayback(conferenceId: string, playback: number): void {
    this.#media.stopPlayback(this.#get(conferenceId).handle, playback);
  }

  pressKey(conferenceId: string, member: number, key: string): void {
    this.#media.pressKey(this.#get(conferenceId).handle, member, key);
  }

  relate(conferenceId: string, member: number, other: number, relationship: 'deaf' | 'mute' | 'clear'): void {
    this.#media.relate(this.#get(conferenceId).handle, member, other, relationship);
  }

  getMember(conferenceId: string, member: number): MemberMirror {
    const found = this.#get(conferenceId).members.get(member);
    if (!found) throw notFound(`member ${member} is not in conference ${conferenceId}`);
    return { ...found.mirror };
  }

  /**
   * A member's media figures as one flat object of numbers ({} for members without an RTP leg):
   * - the RTP leg's datagram counters (RTCP included, from its own port without rtcp-mux): packetsIn, bytesIn, packetsOut, bytesOut,
   *   droppedStranger, droppedInvalid, localPort; localRtcpPort without rtcp-mux;
   * - RTCP (RFC 3550): packetsReceived, bytesReceived, packetsSent, bytesSent (RTP packets and
   *   payload bytes), fractionLost (0..1, our last report's interval), cumulativeLost, jitterMs,
   *   rttMs (-1 until the peer has reported on our stream with an LSR), reportsSent,
   *   reportsReceived, rtcpMalformed; remoteFractionLost, remoteCumulativeLost and remoteJitterMs
   *   (the peer's view of our stream) are absent until the peer has reported.
   */
  memberStats(conferenceId: string, member: number): Record<string, number> {
    const record = this.#get(conferenceId);
    const found = record.members.get(member);
    if (!found) throw notFound(`member ${member} is not in conference ${conferenceId}`);
    const stats = this.#media.memberStats(record.handle, member);
    const leg = stats.leg;
    if (!leg) return {};
    const rtcp = stats.rtcp;
    // Without rtcp-mux, the RTCP socket's datagrams (a stranger's too) count with the leg's.
    const rtcpLeg = stats.rtcpLeg;
    const both = (key: 'packetsIn' | 'bytesIn' | 'packetsOut' | 'bytesOut' | 'droppedStranger' | 'droppedInvalid'): number =>
      leg[key] + (rtcpLeg ? rtcpLeg[key] : 0);
    return {
      packetsIn: both('packetsIn'),
      bytesIn: both('bytesIn'),
      packetsOut: both('packetsOut'),
      bytesOut: both('bytesOut'),
      droppedStranger: both('droppedStranger'),
      droppedInvalid: both('droppedInvalid'),
      localPort: leg.port,
      ...(stats.rtcpPort === null ? {} : { localRtcpPort: stats.rtcpPort }),
      ...(rtcp
        ? {
            packetsReceived: rtcp.packetsReceived,
            bytesReceived: rtcp.bytesReceived,
            packetsSent: rtcp.packetsSent,
            bytesSent: rtcp.bytesSent,
            fractionLost: rtcp.fractionLost,
            cumulativeLost: rtcp.cumulativeLost,
            jitterMs: rtcp.jitterMs,
            rttMs: rtcp.rttMs ?? -1,
            reportsSent: rtcp.reportsSent,
            reportsReceived: rtcp.reportsReceived,
            rtcpMalformed: rtcp.rtcpMalformed,
            ...(rtcp.remoteFractionLost === null ? {} : { remoteFractionLost: rtcp.remoteFractionLost }),
            ...(rtcp.remoteCumulativeLost === null ? {} : { remoteCumulativeLost: rtcp.remoteCumulativeLost }),
            ...(rtcp.remoteJitterMs === null ? {} : { remoteJitterMs: rtcp.remoteJitterMs }),
          }
        : {}),
      ...(stats.jitterTargetMs === null ? {} : { jitterTargetMs: stats.jitterTargetMs }),
    };
  }

  stats() {
    const s = this.#media.stats();
    return {
      ticks: s.ticks,
      wakes: s.wakes,
      drains: s.drains,
      lateness: s.lateness,
      tickCpuMs: s.tickCpuMs,
      overruns: s.overruns,
      conferences: s.conferences,
      members: s.members,
      load: s.load,
      realtime: s.realtime,
      monotonicMs: Number(process.hrtime.bigint()) / 1e6,
    };
  }

  resetLateness(): void {
    this.#media.resetLateness();
  }

  conferenceClock(conferenceId: string) {
    const record = this.#get(conferenceId);
    const clock = this.#media.stats().perConference.find((c) => c.handle === record.handle);
    if (!clock) throw notFound(`conference ${conferenceId} has no clock`);
    return {
      ticks: clock.ticks,
      lastDeadlineMs: clock.lastDeadlineMs,
      encodesPerTick: clock.encodesPerTick,
      decodesPerTick: clock.decodesPerTick,
      complexityShed: clock.complexityShed,
      media: { ...record.media },
    };
  }

  onEvents(listener: (events: ShardConferenceEvent[]) => void): void {
    this.#eventListener = listener;
  }

  onAppFrames(listener: (frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }>) => void): void {
    this.#frameListener = listener;
  }

  close(): void {
    this.#media.stop();
    this.#byId.clear();
    this.#byHandle.clear();
    this.#legs.clear();
  }

  #get(conferenceId: string): ConferenceRecord {
    const record = this.#byId.get(conferenceId);
    if (!record) throw notFound(`conference ${conferenceId} is not on this shard`);
    return record;
  }

  #drain(): void {
    const drained = this.#media.drain();
    const events: ShardConferenceEvent[] = [];
    for (const event of drained.events) {
      const record = this.#byHandle.get(event.conference);
      if (!record) continue;
      this.#mirror(record, event);
      events.push(toShardEvent(record.id, event));
    }
    for (const event of drained.media) {
      if (event.type === 'rtcp-bye') {
        const record = this.#byHandle.get(event.conference);
        if (!record?.members.has(event.member)) continue;
        events.push({ type: 'leg-ended', conferenceId: record.id, member: event.member, reason: event.reason ? `rtcp-bye: ${event.reason}` : 'rtcp-bye' });
        continue;
      }
      const owner = this.#legs.get(event.leg);
      if (!owner) continue;
      if (event.type === 'timeout') events.push({ type: 'leg-timeout', conferenceId: owner.conference.id, member: owner.member, reason: event.reason });
      else if (event.type === 'dropped') events.push({ type: 'rtp-rejected', conferenceId: owner.conference.id, member: owner.member, reason: event.reason, count: event.count });
    }
    if (events.length) this.#eventListener(events);
    const frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }> = [];
    const index = drained.frameIndex;
    for (let i = 0; i < index.length; i += 4) {
      const record = this.#byHandle.get(index[i]);
      const member = record?.members.get(index[i + 1]);
      if (!record || !member?.app) continue;
      const pcm = drained.frames.slice(index[i + 2], index[i + 2] + index[i + 3]);
      frames.push({ conferenceId: record.id, member: index[i + 1], pcm: member.app.fromConference ? member.app.fromConference.process(pcm) : pcm });
    }
    if (frames.length) this.#frameListener(frames);
  }

  #mirror(record: ConferenceRecord, event: NativeMixerEvent): void {
    if (event.type === 'playback-done') return;
    const mirror = record.members.get(event.member)?.mirror;
    if (!mirror) return;
    if (event.type === 'talking-start' || event.type === 'talking-stop') {
      mirror.talking = event.type === 'talking-start';
      mirror.energy = event.energy;
    } else if (event.type === 'changed') {
      (mirror as unknown as Record<string, number | boolean>)[event.what] = event.value;
    }
  }
}
