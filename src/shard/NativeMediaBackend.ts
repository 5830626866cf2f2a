// The media backend of a shard: the native media thread (ShardMedia) runs the clock, the sockets
// and the mix, and owns every member's media state. This side keeps only ids (conference id ->
// native handle, native leg id -> member) and each member's open leg from its kind's driver.
import { createShardMedia, type LatenessFigures, type NativeVoiceOptions, type ShardMedia, type TickLateness } from '../native/shardMedia.ts';
import { Resampler, type ResamplerRate } from '../native/codecs.ts';
import type { NativeMixerEvent } from '../native/mixer.ts';
import type { LegDriverContext, OpenLeg } from '../legs/LegKind.ts';
import { legDriverOf } from '../legs/registry.ts';
import { ExternalPacketBatch } from './ExternalPacketBatch.ts';
import type {
  ShardConferenceEvent,
  ShardConferenceSettings,
  ShardLegInfo,
  ShardLegSpec,
  ShardMediaSwitches,
  ShardMemberSettings,
  ShardRecordingSpec,
  ShardResult,
} from './conferenceProtocol.ts';

interface ConferenceRecord {
  id: string;
  handle: number;
  rate: number;
  /** The switches it was created with (the native conference does not report them back). */
  media: ShardMediaSwitches;
  /** Each member's open leg. */
  members: Map<number, OpenLeg>;
}

/** The brief figures of a lateness histogram. */
function latenessFigures({ p50Ms, p99Ms, maxMs, count }: TickLateness): LatenessFigures {
  return { p50Ms, p99Ms, maxMs, count };
}

function shardError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
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

/** One shard's media: the native media thread and the legs its drivers opened. */
export class NativeMediaBackend {
  readonly #media: ShardMedia;
  readonly #byId = new Map<string, ConferenceRecord>();
  readonly #byHandle = new Map<number, ConferenceRecord>();
  readonly #legs = new Map<number, { conference: ConferenceRecord; member: number }>();
  #nextHandle = 1;
  /** Open legs that send through this worker (external legs): the tick's outgoing batch is taken only while there are some. */
  #externalLegs = 0;
  readonly #inbound: ExternalPacketBatch;
  #eventListener: (events: ShardConferenceEvent[]) => void = () => {};

  /** Starts the shard's media thread. */
  constructor(options: { portMin: number; portMax: number; realtimePriority?: number }) {
    this.#media = createShardMedia({ ...options, onNotify: () => this.#drain() });
    this.#inbound = new ExternalPacketBatch((index, bytes) => this.#media.pushPackets(index, bytes));
    this.#media.start();
  }

  /** Creates a conference on the media thread. */
  createConference(conferenceId: string, settings: ShardConferenceSettings): void {
    if (this.#byId.has(conferenceId)) throw shardError('ERR_INVALID_STATE', `conference ${conferenceId} exists`);
    const { media } = settings;
    // The protocol's callers are typed, but a request may still arrive without it.
    if (typeof media !== 'object' || media === null) throw shardError('ERR_INVALID_ARGUMENT', 'conference settings need media switches');
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
    const record: ConferenceRecord = { id: conferenceId, handle, rate: settings.rate, media, members: new Map() };
    this.#byId.set(conferenceId, record);
    this.#byHandle.set(handle, record);
  }

  /** Destroys a conference and closes its members' legs. */
  destroyConference(conferenceId: string): void {
    const record = this.#get(conferenceId);
    this.#media.destroyConference(record.handle);
    for (const leg of record.members.values()) this.#forget(leg);
    this.#byId.delete(conferenceId);
    this.#byHandle.delete(record.handle);
  }

  /** Conference-wide mute and hold. */
  updateConference(conferenceId: string, flags: { mute?: boolean; hold?: boolean }): void {
    this.#media.setConference(this.#get(conferenceId).handle, flags);
  }

  /** Adds a member with its leg, opened by its kind's driver (some open asynchronously: a WebRTC peer negotiates first). */
  async addMember(conferenceId: string, member: number, settings: ShardMemberSettings, spec: ShardLegSpec): Promise<ShardLegInfo> {
    const record = this.#get(conferenceId);
    const context: LegDriverContext = {
      media: this.#media,
      conference: record.handle,
      conferenceRate: record.rate,
      member,
      createResampler: (from, to) => new Resampler(from as ResamplerRate, to as ResamplerRate),
      pushPacket: (packet) => this.#inbound.add(record.handle, member, packet),
      end: (reason) => {
        if (record.members.has(member)) this.#eventListener([{ type: 'leg-ended', conferenceId: record.id, member, reason }]);
      },
    };
    const leg = await legDriverOf(spec).open(context, settings, spec);
    if (this.#byId.get(conferenceId) !== record) {
      // The conference went while the leg negotiated.
      leg.close();
      throw shardError('ERR_NOT_FOUND', `conference ${conferenceId} is not on this shard`);
    }
    if (leg.send) this.#externalLegs++;
    record.members.set(member, leg);
    if (leg.legId !== undefined) this.#legs.set(leg.legId, { conference: record, member });
    return leg.info as ShardLegInfo;
  }

  /** Removes a member and closes its leg. */
  removeMember(conferenceId: string, member: number): void {
    const record = this.#get(conferenceId);
    this.#media.removeMember(record.handle, member);
    const leg = record.members.get(member);
    if (leg) this.#forget(leg);
    record.members.delete(member);
  }

  /** Changes a member's flags and levels; the mixer's 'changed' events report what changed. */
  updateMember(conferenceId: string, member: number, settings: ShardMemberSettings): void {
    this.#media.setMember(this.#get(conferenceId).handle, member, settings);
  }

  /** Changes a member's leg media (an RTP leg's peer or codec, a WebRTC leg's answer or candidates). */
  async updateLeg(conferenceId: string, member: number, update: Record<string, unknown>): Promise<void> {
    const leg = this.#leg(conferenceId, member);
    if (!leg.update) throw shardError('ERR_UNSUPPORTED', `member ${member}'s leg cannot be updated`);
    await leg.update(update);
  }

  /** Plays mono PCM at the conference rate to everyone, or to one member. */
  startPlayback(conferenceId: string, playback: number, pcm: Int16Array, loop: boolean, member?: number): void {
    this.#media.startPlayback(this.#get(conferenceId).handle, playback, pcm, member === undefined ? { loop } : { loop, member });
  }

  /** Starts a recording of the conference (its events follow as 'recording'). */
  startRecording(conferenceId: string, recording: number, spec: ShardRecordingSpec): void {
    this.#media.startRecording(this.#get(conferenceId).handle, recording, spec);
  }

  /** Turns a member's voice processing on (options) or off (null). */
  setVoice(conferenceId: string, member: number, voice: NativeVoiceOptions | null): void {
    this.#media.setVoice(this.#get(conferenceId).handle, member, voice);
  }

  /** Stops a recording (its done event follows once its frames are written). */
  stopRecording(conferenceId: string, recording: number): void {
    this.#media.stopRecording(this.#get(conferenceId).handle, recording);
  }

  /** Stops a playback (its playback-done event follows). */
  stopPlayback(conferenceId: string, playback: number): void {
    this.#media.stopPlayback(this.#get(conferenceId).handle, playback);
  }

  /** A DTMF key from the control plane. */
  pressKey(conferenceId: string, member: number, key: string): void {
    this.#media.pressKey(this.#get(conferenceId).handle, member, key);
  }

  relate(conferenceId: string, member: number, other: number, relationship: 'deaf' | 'mute' | 'clear'): void {
    this.#media.relate(this.#get(conferenceId).handle, member, other, relationship);
  }

  /** A member's media figures as one flat object of numbers ({} for members without an RTP leg). */
  memberStats(conferenceId: string, member: number): Record<string, number> | Promise<Record<string, number>> {
    return this.#leg(conferenceId, member).stats();
  }

  /** CPU the media thread has spent in ticks, ms: what placement reads on every join (cheap). */
  tickCpuMs(): number {
    return this.#media.stats().tickCpuMs;
  }

  /** The media thread's statistics. */
  stats(): ShardResult<'stats'> {
    const s = this.#media.stats();
    return {
      ticks: s.ticks,
      wakes: s.wakes,
      drains: s.drains,
      lateness: this.#media.lateness(),
      tickCpuMs: s.tickCpuMs,
      overruns: s.overruns,
      conferences: s.conferences,
      members: s.members,
      load: s.load,
      realtime: s.realtime,
      monotonicMs: Number(process.hrtime.bigint()) / 1e6,
    };
  }

  /** Starts the lateness percentiles afresh. */
  resetLateness(): void {
    this.#media.resetLateness();
  }

  /** One conference's clock. */
  conferenceClock(conferenceId: string): ShardResult<'conferenceClock'> {
    const record = this.#get(conferenceId);
    const clock = this.#media.stats().perConference.find((c) => c.handle === record.handle);
    if (!clock) throw shardError('ERR_NOT_FOUND', `conference ${conferenceId} has no clock`);
    const lateness = this.#media.conferenceLateness(record.handle);
    return {
      tickLateness: latenessFigures(lateness.tick),
      flushLateness: latenessFigures(lateness.flush),
      ticks: clock.ticks,
      lastDeadlineMs: clock.lastDeadlineMs,
      encodesPerTick: clock.encodesPerTick,
      decodesPerTick: clock.decodesPerTick,
      complexityShed: clock.complexityShed,
      media: { ...record.media },
    };
  }

  /** Called with each tick's events, batched (at most once per tick). */
  onEvents(listener: (events: ShardConferenceEvent[]) => void): void {
    this.#eventListener = listener;
  }

  /** Stops the media thread, frees every socket and closes every leg. */
  close(): void {
    this.#media.stop();
    for (const record of this.#byId.values()) for (const leg of record.members.values()) leg.close();
    this.#externalLegs = 0;
    this.#byId.clear();
    this.#byHandle.clear();
    this.#legs.clear();
  }

  #get(conferenceId: string): ConferenceRecord {
    const record = this.#byId.get(conferenceId);
    if (!record) throw shardError('ERR_NOT_FOUND', `conference ${conferenceId} is not on this shard`);
    return record;
  }

  #leg(conferenceId: string, member: number): OpenLeg {
    const leg = this.#get(conferenceId).members.get(member);
    if (!leg) throw shardError('ERR_NOT_FOUND', `member ${member} is not in conference ${conferenceId}`);
    return leg;
  }

  #forget(leg: OpenLeg): void {
    if (leg.legId !== undefined) this.#legs.delete(leg.legId);
    if (leg.send) this.#externalLegs--;
    leg.close();
  }

  #drain(): void {
    const drained = this.#media.drain();
    const events: ShardConferenceEvent[] = [];
    for (const event of drained.events) {
      const record = this.#byHandle.get(event.conference);
      if (record) events.push(toShardEvent(record.id, event));
    }
    for (const event of drained.media) {
      if (event.type === 'command-failed') {
        const record = this.#byHandle.get(event.conference);
        if (!record) continue;
        // A call that had returned failed on the media thread: its playback never plays, or its
        // member has no working media and leaves.
        if (event.playback !== undefined) {
          events.push({ type: 'playback-done', conferenceId: record.id, playback: event.playback, member: event.member || null, reason: 'stopped' });
        } else if (record.members.has(event.member)) {
          events.push({ type: 'leg-ended', conferenceId: record.id, member: event.member, reason: `media-failed: ${event.code}: ${event.message}` });
        }
        continue;
      }
      if (event.type === 'recording') {
        const record = this.#byHandle.get(event.conference);
        if (!record) continue;
        const { type, status, recording, reason, message, durationMs, trackBytes } = event;
        const payload: ShardConferenceEvent = { type, conferenceId: record.id, recording, status };
        if (reason !== undefined) Object.assign(payload, { reason, message });
        if (durationMs !== undefined) Object.assign(payload, { durationMs, trackBytes });
        events.push(payload);
        continue;
      }
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
    if (this.#externalLegs > 0) this.#sendOutgoing();
    const index = drained.frameIndex;
    for (let i = 0; i < index.length; i += 4) {
      const leg = this.#byHandle.get(index[i])?.members.get(index[i + 1]);
      if (leg?.deliver) leg.deliver(drained.frames.slice(index[i + 2], index[i + 2] + index[i + 3]));
    }
  }

  // The datagrams the media thread wrote for external legs since the last take: one take per wake.
  #sendOutgoing(): void {
    const { bytes, index } = this.#media.takeOutgoing();
    for (let i = 0; i < index.length; i += 4) {
      const leg = this.#byHandle.get(index[i])?.members.get(index[i + 1]);
      leg?.send?.(bytes.subarray(index[i + 2], index[i + 2] + index[i + 3]));
    }
  }
}
