// INTERIM media backend: PCM-only conferences ticked by a JavaScript timer. It lets the engine
// be built and tested while the native media thread backend is wired; it is replaced by it.
import { NativeConference, type NativeMixerEvent, type MixerRate, type MixerIntervalMs, type DtmfKey } from '../native/mixer.ts';
import { Resampler, type ResamplerRate } from '../native/codecs.ts';
import type { BackendLegSpec, MediaBackend } from './MediaBackend.ts';
import type { ShardConferenceEvent, ShardConferenceSettings, ShardLegInfo, ShardMemberSettings } from './conferenceProtocol.ts';

interface AppLegState {
  rate: number;
  toConference: Resampler | null;
  fromConference: Resampler | null;
  fifo: Int16Array[];
  buffered: number;
}

interface ConferenceState {
  mixer: NativeConference;
  frameSamples: number;
  interval: number;
  members: Map<number, AppLegState | null>;
  timer: NodeJS.Timeout;
}

function notFound(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_NOT_FOUND' });
}

export class JsClockBackend implements MediaBackend {
  readonly #conferences = new Map<string, ConferenceState>();
  #eventListener: (events: ShardConferenceEvent[]) => void = () => {};
  #frameListener: (frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }>) => void = () => {};
  #ticks = 0;

  createConference(conferenceId: string, settings: ShardConferenceSettings): void {
    if (this.#conferences.has(conferenceId)) throw Object.assign(new Error(`conference ${conferenceId} exists`), { code: 'ERR_INVALID_STATE' });
    const mixer = new NativeConference({
      rate: settings.rate as MixerRate,
      interval: settings.interval as MixerIntervalMs,
      energyLevel: settings.energyLevel,
      hangoverMs: settings.hangoverMs,
      comfortNoiseDbfs: settings.comfortNoiseDbfs,
      digits: settings.digits,
    });
    const state: ConferenceState = {
      mixer,
      frameSamples: (settings.rate / 1000) * settings.interval,
      interval: settings.interval,
      members: new Map(),
      timer: setInterval(() => this.#tick(conferenceId), settings.interval),
    };
    this.#conferences.set(conferenceId, state);
  }

  destroyConference(conferenceId: string): void {
    const state = this.#get(conferenceId);
    clearInterval(state.timer);
    this.#conferences.delete(conferenceId);
  }

  updateConference(conferenceId: string, flags: { mute?: boolean; hold?: boolean }): void {
    this.#get(conferenceId).mixer.setConference(flags);
  }

  addMember(conferenceId: string, member: number, settings: ShardMemberSettings, leg: BackendLegSpec): ShardLegInfo {
    const state = this.#get(conferenceId);
    if (leg.kind === 'rtp') throw Object.assign(new Error('RTP legs need the native media backend'), { code: 'ERR_UNSUPPORTED' });
    state.mixer.addMember(member, settings);
    const rate = state.mixer.getConference().rate;
    state.members.set(
      member,
      leg.kind === 'app'
        ? {
            rate: leg.rate,
            toConference: leg.rate === rate ? null : new Resampler(leg.rate as ResamplerRate, rate as ResamplerRate),
            fromConference: leg.rate === rate ? null : new Resampler(rate as ResamplerRate, leg.rate as ResamplerRate),
            fifo: [],
            buffered: 0,
          }
        : null,
    );
    return leg.kind === 'app' ? { kind: 'app' } : { kind: 'none' };
  }

  removeMember(conferenceId: string, member: number): void {
    const state = this.#get(conferenceId);
    state.mixer.removeMember(member);
    state.members.delete(member);
  }

  updateMember(conferenceId: string, member: number, settings: ShardMemberSettings): void {
    this.#get(conferenceId).mixer.setMember(member, settings);
  }

  updateLeg(): void {
    throw Object.assign(new Error('RTP legs need the native media backend'), { code: 'ERR_UNSUPPORTED' });
  }

  pushAppPcm(conferenceId: string, member: number, pcm: Int16Array): void {
    const leg = this.#get(conferenceId).members.get(member);
    if (!leg) throw notFound(`member ${member} has no app leg`);
    const atRate = leg.toConference ? leg.toConference.process(pcm) : pcm;
    leg.fifo.push(atRate);
    leg.buffered += atRate.length;
  }

  startPlayback(conferenceId: string, playback: number, pcm: Int16Array, loop: boolean, member?: number): void {
    const mixer = this.#get(conferenceId).mixer as unknown as { startPlayback(id: number, pcm: Int16Array, o: { loop: boolean; member?: number }): void };
    mixer.startPlayback(playback, pcm, member === undefined ? { loop } : { loop, member });
  }

  stopPlayback(conferenceId: string, playback: number): void {
    (this.#get(conferenceId).mixer as unknown as { stopPlayback(id: number): void }).stopPlayback(playback);
  }

  pressKey(conferenceId: string, member: number, key: string): void {
    this.#get(conferenceId).mixer.pressKey(member, key as DtmfKey);
    this.#flushEvents(conferenceId, this.#get(conferenceId));
  }

  getMember(conferenceId: string, member: number) {
    const s = this.#get(conferenceId).mixer.getMember(member);
    return { talking: s.talking, energy: s.energy, mute: s.mute, deaf: s.deaf, hold: s.hold, talkLevel: s.talkLevel, listenLevel: s.listenLevel, energyLevel: s.energyLevel };
  }

  memberStats(): Record<string, number> {
    return {};
  }

  stats() {
    let members = 0;
    for (const c of this.#conferences.values()) members += c.members.size;
    return { ticks: this.#ticks, lateness: { p50Ms: 0, p99Ms: 0, maxMs: 0 }, tickCpuMs: 0, overruns: 0, conferences: this.#conferences.size, members };
  }

  onEvents(listener: (events: ShardConferenceEvent[]) => void): void {
    this.#eventListener = listener;
  }

  onAppFrames(listener: (frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }>) => void): void {
    this.#frameListener = listener;
  }

  close(): void {
    for (const state of this.#conferences.values()) clearInterval(state.timer);
    this.#conferences.clear();
  }

  #get(conferenceId: string): ConferenceState {
    const state = this.#conferences.get(conferenceId);
    if (!state) throw notFound(`conference ${conferenceId} is not on this shard`);
    return state;
  }

  #tick(conferenceId: string): void {
    const state = this.#conferences.get(conferenceId);
    if (!state) return;
    this.#ticks++;
    for (const [member, leg] of state.members) {
      if (!leg || leg.buffered < state.frameSamples) continue;
      const frame = new Int16Array(state.frameSamples);
      let filled = 0;
      while (filled < frame.length) {
        const head = leg.fifo[0];
        const take = Math.min(head.length, frame.length - filled);
        frame.set(head.subarray(0, take), filled);
        filled += take;
        if (take === head.length) leg.fifo.shift();
        else leg.fifo[0] = head.subarray(take);
      }
      leg.buffered -= frame.length;
      state.mixer.pushFrame(member, frame);
    }
    state.mixer.tick();
    const frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }> = [];
    for (const [member, leg] of state.members) {
      if (!leg) continue;
      const out = state.mixer.readFrame(member);
      frames.push({ conferenceId, member, pcm: leg.fromConference ? leg.fromConference.process(out) : out });
    }
    if (frames.length) this.#frameListener(frames);
    this.#flushEvents(conferenceId, state);
  }

  #flushEvents(conferenceId: string, state: ConferenceState): void {
    const events = state.mixer.drainEvents().map((e) => toShardEvent(conferenceId, e));
    if (events.length) this.#eventListener(events);
  }
}

function toShardEvent(conferenceId: string, e: NativeMixerEvent): ShardConferenceEvent {
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
    default: {
      const other = e as unknown as { type: string; member?: number; playback?: number; reason?: string };
      return { type: 'playback-done', conferenceId, playback: other.playback ?? 0, member: other.member ?? null, reason: (other.reason as 'finished') ?? 'finished' };
    }
  }
}
