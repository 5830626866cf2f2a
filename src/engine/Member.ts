// One member of a conference. It speaks for itself: it sends its own requests over a channel bound
// to its conference and number, applies the shard's events about it (talking, keys, the mixer's
// changes) to its own state, and emits its own events. Its conference keeps membership.
import { EventEmitter } from 'node:events';
import { DTMF_KEYS } from '../audio/numbers.ts';
import { normalizeAudio, normalizePlay, normalizeSpeak } from '../audio/requests.ts';
import { InvalidArgumentError, InvalidStateError, UnsupportedError } from '../errors.ts';
import type { LegObject } from '../legs/LegKind.ts';
import type { RtpLegStats, RtpLegUpdate } from '../legs/rtp/RtpLegTypes.ts';
import type { MemberWireSettings } from '../legs/LegKind.ts';
import type { ShardConferenceEvent } from '../shard/conferenceProtocol.ts';
import { conferenceMemberPayload, dtmfPayload, talkingPayload } from './events.ts';
import type { CallbackEventPayload, PayloadContext } from './events.ts';
import { normalizeMemberUpdate } from './memberFields.ts';
import type { Playback } from './Playback.ts';
import type { PlaybackRegistry } from './PlaybackRegistry.ts';
import type { Recording } from './Recording.ts';
import { checkRecordOptions, type RecordingRegistry } from './RecordingRegistry.ts';
import type { MemberRecordOptions } from './RecordingTypes.ts';
import { checkVoiceOptions, type VoiceProcessingOptions } from './voiceProcessing.ts';
import type { MemberChannel } from './shardLink.ts';
import type { PlayOptions, SpeakOptions, AudioOptions } from './ConferenceTypes.ts';
import type {
  MemberChange,
  MemberEvents,
  MemberJson,
  MemberLeg,
  MemberMixerState,
  MemberObserverEvents,
  MemberRelationship,
  MemberRemovedReason,
  MemberRole,
  MemberState,
  MemberUpdateFields,
} from './MemberTypes.ts';

/** Internal: a member's state. The mixer fields follow the shard's events. */
export interface MemberRecord {
  id: string;
  /** The member's number in the shard protocol. */
  number: number;
  callId?: string;
  role: MemberRole;
  state: MemberState;
  addedTime: string;
  removedTime?: string;
  removedReason?: MemberRemovedReason;
  mute: boolean;
  hold: boolean;
  deaf: boolean;
  talkLevel: number;
  listenLevel: number;
  energyLevel: number;
  joinTone: boolean;
  leavingTone: boolean;
  talking: boolean;
  energy: number;
  /** Held back until a moderator joins (wait_for_moderator). */
  waiting: boolean;
  /** A cascade trunk to another server. */
  trunk: boolean;
}

/** Internal: what a member needs from its conference. */
export interface MemberOwner {
  /** The conference's id. */
  readonly conferenceId: string;
  /** Members now in the conference. */
  readonly activeMembers: number;
  /** The conference's playbacks (the member's own play and speak, its notice sounds). */
  readonly playbacks: PlaybackRegistry;
  /** The conference's recordings (the member's own record()). */
  readonly recordings: RecordingRegistry;
  /** Sounds played to the member when its mute changes, if the profile names them. */
  readonly muteSounds: { muted?: Int16Array; unmuted?: Int16Array };
  /** Fields every payload of the conference shares. */
  context(): PayloadContext;
  /** Hands a callback payload to the conference and the engine. */
  emitCallback(payload: CallbackEventPayload): void;
  /** Throws InvalidStateError once the conference is completing. */
  assertOpen(): void;
  /** The member asks to leave. */
  remove(member: Member, reason: MemberRemovedReason): Promise<void>;
  /** The member's hold changed: its background sound may change. */
  holdChanged(): void;
}

/** Internal: everything a member is built from. */
export interface MemberInit {
  record: MemberRecord;
  channel: MemberChannel;
  owner: MemberOwner;
  appData: Record<string, unknown>;
  /** Flags its SDP set at the join (undone when the SDP says otherwise). */
  sdpFlags: { mute: boolean; deaf: boolean };
}

/** The mixer fields the member's own update sends. */
const MIXER_FIELDS = ['mute', 'deaf', 'talkLevel', 'listenLevel', 'energyLevel'] as const;
type MixerField = (typeof MIXER_FIELDS)[number];

/** A leg whose media can change (an RTP leg's peer or codec). */
interface UpdatableLeg {
  update(update: RtpLegUpdate): Promise<void>;
}
/** A leg with media figures. */
interface MeasuredLeg {
  stats(): Promise<RtpLegStats>;
}

/** A member of a conference. Add one with `conference.addMember()`. */
export class Member extends EventEmitter<MemberEvents> {
  /** Unique id of the member. */
  readonly id: string;
  /** The user's own data. */
  readonly appData: Record<string, unknown>;
  /** Management events (close, change). */
  readonly observer = new EventEmitter<MemberObserverEvents>();

  readonly #record: MemberRecord;
  readonly #channel: MemberChannel;
  readonly #owner: MemberOwner;
  #voice: VoiceProcessingOptions | null = null;
  #leg: MemberLeg | undefined;
  /** Muted because its SDP says the peer does not send (recvonly, inactive); undone when it sends again. */
  #sdpMuted: boolean;
  /** Deaf because its SDP says the peer does not receive (sendonly, inactive, c=0.0.0.0). */
  #sdpDeafened: boolean;
  /** Values this member asked the shard for, whose 'changed' echoes are not news. */
  readonly #expected = new Map<MixerField, number | boolean>();
  /** Changes the mixer reported (keys), gathered and reported once per turn of the event loop. */
  #pending: Omit<MemberChange, 'cause'> | undefined;

  /** Built by the conference as the member joins; its leg follows once the shard opened it. */
  constructor(init: MemberInit) {
    super();
    this.id = init.record.id;
    this.#record = init.record;
    this.#channel = init.channel;
    this.#owner = init.owner;
    this.appData = init.appData;
    this.#sdpMuted = init.sdpFlags.mute;
    this.#sdpDeafened = init.sdpFlags.deaf;
  }

  /** The member's media connection; closing it removes the member. */
  get leg(): MemberLeg {
    if (!this.#leg) throw new InvalidStateError(`member ${this.id} is still joining`);
    return this.#leg;
  }

  /** The conference's id. */
  get conferenceId(): string {
    return this.#owner.conferenceId;
  }

  /** The call this member is, if given. */
  get callId(): string | undefined {
    return this.#record.callId;
  }

  /** 'member' or 'moderator'. */
  get role(): MemberRole {
    return this.#record.role;
  }

  /** 'active' or 'completed'. */
  get state(): MemberState {
    return this.#record.state;
  }

  /** True once completed. */
  get closed(): boolean {
    return this.#record.state === 'completed';
  }

  /** When it joined (ISO 8601). */
  get addedTime(): string {
    return this.#record.addedTime;
  }

  /** When it left (ISO 8601), once completed. */
  get removedTime(): string | undefined {
    return this.#record.removedTime;
  }

  /** Why it left, once completed. */
  get removedReason(): MemberRemovedReason | undefined {
    return this.#record.removedReason;
  }

  /** Its own mute (the conference's mute applies on top). */
  get mute(): boolean {
    return this.#record.mute;
  }

  /** Its own hold (the conference's hold applies on top). */
  get hold(): boolean {
    return this.#record.hold;
  }

  /** Deaf: it hears nothing. */
  get deaf(): boolean {
    return this.#record.deaf;
  }

  /** Talk volume level, -4..4. */
  get talkLevel(): number {
    return this.#record.talkLevel;
  }

  /** Listen volume level, -4..4. */
  get listenLevel(): number {
    return this.#record.listenLevel;
  }

  /** Gate threshold (energy level), 0..32767. */
  get energyLevel(): number {
    return this.#record.energyLevel;
  }

  /** Between a talking start and stop. */
  get talking(): boolean {
    return this.#record.talking;
  }

  /** Energy score of the frame of its last talking event. */
  get energy(): number {
    return this.#record.energy;
  }

  /** The entry tone plays when it joins. */
  get joinTone(): boolean {
    return this.#record.joinTone;
  }

  /** The exit tone plays when it leaves. */
  get leavingTone(): boolean {
    return this.#record.leavingTone;
  }

  /** Waiting for a moderator (wait_for_moderator): not mixed, hearing moh-sound. */
  get waitingForModerator(): boolean {
    return this.#record.waiting;
  }

  /** Changes flags and levels, or removes it with `{state: 'completed'}`. Resolves once the shard applied it. */
  async update(fields: MemberUpdateFields): Promise<void> {
    this.#assertActive();
    const update = normalizeMemberUpdate(fields);
    const record = this.#record;
    if (update.state === 'completed') {
      if (update.leavingTone !== undefined) record.leavingTone = update.leavingTone;
      return this.#owner.remove(this, 'api');
    }
    const changes: Omit<MemberChange, 'cause'> = {};
    for (const key of [...MIXER_FIELDS, 'hold'] as const) {
      const value = update[key];
      if (value !== undefined && value !== record[key]) (changes as Record<string, unknown>)[key] = value;
    }
    const settings: MemberWireSettings = {};
    for (const key of MIXER_FIELDS) if (changes[key] !== undefined) (settings as Record<string, unknown>)[key] = changes[key];
    if (changes.hold !== undefined) settings.hold = changes.hold || record.waiting;
    if (Object.keys(settings).length > 0) {
      await this.#send(settings);
      if (record.state === 'completed') return;
    }
    if (update.joinTone !== undefined) record.joinTone = update.joinTone;
    if (update.leavingTone !== undefined) record.leavingTone = update.leavingTone;
    // The caller set the flag: a later SDP resume leaves it as set.
    if (update.mute !== undefined) this.#sdpMuted = false;
    if (update.deaf !== undefined) this.#sdpDeafened = false;
    Object.assign(record, changes);
    if (Object.keys(changes).length > 0) this.#changed({ ...changes, cause: 'api' });
  }

  /** Plays a WAV to this member only (`{fileUrl, loopEnabled, tag}`); `fileUrl: ''` stops its file playback. */
  async play(options: PlayOptions): Promise<Playback | null> {
    this.#assertActive();
    return this.#owner.playbacks.play(normalizePlay(options), this.#record.number);
  }

  /** Speaks a sentence to this member only (`{sentence, voice, gender, locale, tag}`); `sentence: ''` stops it. */
  async speak(options: SpeakOptions): Promise<Playback | null> {
    this.#assertActive();
    return this.#owner.playbacks.speak(normalizeSpeak(options), this.#record.number);
  }

  /** Records what this member hears (default) or, with `direction: 'says'`, what it puts into the mix, to `path` (WAV or Ogg Opus). */
  async record(options: MemberRecordOptions): Promise<Recording> {
    this.#assertActive();
    const checked = checkRecordOptions(options);
    const direction = (options as { direction?: unknown }).direction ?? 'hears';
    if (direction !== 'hears' && direction !== 'says') throw new InvalidArgumentError("direction must be 'hears' or 'says'");
    const self = { number: this.#record.number, id: this.id };
    return this.#owner.recordings.start({ ...checked, mix: false, members: [{ member: self, direction }], owner: self });
  }

  /**
   * Turns this member's voice processing on (true, or options) or off (false): noise suppression
   * and automatic gain control on what it says, before its energy score. Resolves once the shard
   * applied it. Muted or unvoiced input is never processed.
   */
  async setVoiceProcessing(options: boolean | VoiceProcessingOptions): Promise<void> {
    this.#assertActive();
    const voice = checkVoiceOptions(options);
    await this.#channel.request('setVoice', { voice });
    this.#voice = voice;
  }

  /** Its voice processing now, or null when off. */
  get voiceProcessing(): VoiceProcessingOptions | null {
    return this.#voice === null ? null : { ...this.#voice };
  }

  /** The Conference API's member audio resource: a play or a speak, by which field is given. */
  async audio(options: AudioOptions): Promise<Playback | null> {
    this.#assertActive();
    const audio = normalizeAudio(options);
    const { playbacks } = this.#owner;
    return audio.kind === 'play' ? playbacks.play(audio.request, this.#record.number) : playbacks.speak(audio.request, this.#record.number);
  }

  /**
   * Relates this member to another of its conference, in the mixer: 'deaf' (this member stops
   * hearing `other`), 'mute' (`other` stops hearing this member), 'clear' (both undone).
   */
  async relate(other: Member, relationship: MemberRelationship): Promise<void> {
    this.#assertActive();
    if (!(other instanceof Member) || other.conferenceId !== this.conferenceId) throw new InvalidArgumentError('other must be a member of the same conference');
    if (other === this) throw new InvalidArgumentError('a member cannot be related to itself');
    if (relationship !== 'deaf' && relationship !== 'mute' && relationship !== 'clear') {
      throw new InvalidArgumentError(`relationship must be 'deaf', 'mute' or 'clear', got ${JSON.stringify(relationship)}`);
    }
    other.#assertActive();
    await this.#channel.request('relate', { other: other.#record.number, relationship });
  }

  /** A key from the control plane (SIP INFO, a UI), handled like an RFC 4733 one. */
  async pressKey(key: string): Promise<void> {
    this.#assertActive();
    if (typeof key !== 'string' || !(DTMF_KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`key must be one of ${DTMF_KEYS.join(' ')}, got ${JSON.stringify(key)}`);
    }
    await this.#channel.request('pressKey', { key });
  }

  /** Its mixer state as the shard's events last reported it (talking, energy, effective flags). */
  async getMixerState(): Promise<MemberMixerState> {
    this.#assertActive();
    const r = this.#record;
    return { talking: r.talking, energy: r.energy, mute: r.mute, deaf: r.deaf, hold: r.hold || r.waiting, talkLevel: r.talkLevel, listenLevel: r.listenLevel, energyLevel: r.energyLevel };
  }

  /** Changes the peer or codec of its leg (RTP legs); UnsupportedError for legs that cannot change. */
  async updateLeg(update: RtpLegUpdate): Promise<void> {
    this.#assertActive();
    const leg = this.leg as Partial<UpdatableLeg> & LegObject;
    if (typeof leg.update !== 'function') throw new UnsupportedError(`member ${this.id} has a ${leg.kind} leg; only rtp legs can be updated`);
    return leg.update(update);
  }

  /**
   * Its RTP leg's media figures: datagram counters, and RTCP figures (packets and bytes each way,
   * loss fraction, cumulative loss, jitter, round trip) once known. UnsupportedError for other legs.
   */
  async stats(): Promise<RtpLegStats> {
    this.#assertActive();
    const leg = this.leg as Partial<MeasuredLeg> & LegObject;
    if (typeof leg.stats !== 'function') throw new UnsupportedError(`member ${this.id} has a ${leg.kind} leg; only rtp legs have media statistics`);
    return leg.stats();
  }

  /** Removes it from the conference (reason 'api'); its leg closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    void this.#owner.remove(this, 'api');
  }

  /** Internal: removes it for a reason its leg's owner gives (a bridge); its leg closes. Idempotent. */
  closeFor(reason: MemberRemovedReason): void {
    if (this.closed) return;
    void this.#owner.remove(this, reason);
  }

  /** Throws InvalidStateError once it is completed. */
  assertActive(): void {
    if (this.closed) throw new InvalidStateError(`member ${this.id} is completed`);
  }

  /** Its properties as plain data. */
  toJSON(): MemberJson {
    const r = this.#record;
    const leg = this.leg;
    const json: MemberJson = {
      id: r.id,
      state: r.state,
      role: r.role,
      mute: r.mute,
      hold: r.hold,
      deaf: r.deaf,
      joinTone: r.joinTone,
      leavingTone: r.leavingTone,
      talkLevel: r.talkLevel,
      listenLevel: r.listenLevel,
      energyLevel: r.energyLevel,
      talking: r.talking,
      addedTime: r.addedTime,
      leg: 'localPort' in leg ? { kind: leg.kind, localAddress: leg.localAddress, localPort: leg.localPort } : { kind: leg.kind },
    };
    if (r.callId !== undefined) json.callId = r.callId;
    if (r.trunk) json.trunk = true;
    if (r.removedTime !== undefined) json.removedTime = r.removedTime;
    if (r.removedReason !== undefined) json.removedReason = r.removedReason;
    return json;
  }

  /** Internal, for the conference: the leg the shard opened. */
  attachLeg(leg: MemberLeg): void {
    this.#leg = leg;
  }

  /** Internal, for the conference: its record (membership, joins and payload facts). */
  get memberRecord(): MemberRecord {
    return this.#record;
  }

  /** Internal, for its leg: the peer's SDP direction. Mutes a peer that stopped sending, deafens one
   *  that stopped receiving, and undoes only what it did itself (a flag the member or the app set stays). */
  async applyDirection(wanted: { mute: boolean; deaf: boolean }): Promise<void> {
    const record = this.#record;
    const changes: { mute?: boolean; deaf?: boolean } = {};
    if (wanted.mute && !record.mute) changes.mute = true;
    else if (!wanted.mute && this.#sdpMuted && record.mute) changes.mute = false;
    if (wanted.deaf && !record.deaf) changes.deaf = true;
    else if (!wanted.deaf && this.#sdpDeafened && record.deaf) changes.deaf = false;
    if (!wanted.mute) this.#sdpMuted = false;
    if (!wanted.deaf) this.#sdpDeafened = false;
    if (Object.keys(changes).length === 0) return;
    await this.#send(changes);
    if (record.state === 'completed') return;
    if (changes.mute) this.#sdpMuted = true;
    if (changes.deaf) this.#sdpDeafened = true;
    Object.assign(record, changes);
    this.#changed({ ...changes, cause: 'sdp' });
  }

  /** Internal, for the conference: a shard event about this member. */
  handleShardEvent(event: ShardConferenceEvent): void {
    const record = this.#record;
    switch (event.type) {
      case 'talking': {
        record.talking = event.status === 'start';
        record.energy = event.energy;
        const payload = talkingPayload(this.#owner.context(), this.#facts(), event.status, event.energy);
        this.#owner.emitCallback(payload);
        this.emit('talking', payload);
        return;
      }
      case 'dtmf': {
        const payload = dtmfPayload(this.#owner.context(), this.#facts(), event.key, event.action);
        this.#owner.emitCallback(payload);
        this.emit('dtmf', payload);
        return;
      }
      case 'changed':
        if (event.field !== 'hold' && event.field !== 'trunk') this.#mixerChanged(event.field, event.value);
        return;
      case 'rtp-rejected':
        this.emit('rtprejected', { reason: event.reason, count: event.count });
        return;
      default:
        return;
    }
  }

  /** Internal, for the conference: emits its `conference-member` state. */
  emitState(): void {
    const r = this.#record;
    const payload = conferenceMemberPayload(this.#owner.context(), { ...this.#facts(), state: r.state, mute: r.mute, hold: r.hold }, this.#owner.activeMembers);
    this.#owner.emitCallback(payload);
    this.emit('conference-member', payload);
  }

  /** Internal, for the conference: a playback to this member alone started or is done. */
  emitAudio(payload: Extract<CallbackEventPayload, { eventType: 'conference-playback' | 'conference-speak' }>): void {
    (this.emit as (event: string, payload: CallbackEventPayload) => boolean)(payload.eventType, payload);
  }

  #facts(): { memberId: string; callId?: string } {
    const r = this.#record;
    return r.callId === undefined ? { memberId: r.id } : { memberId: r.id, callId: r.callId };
  }

  #assertActive(): void {
    this.assertActive();
    this.#owner.assertOpen();
  }

  // Sends settings, remembering each value so its echo in a 'changed' event is not taken for news.
  async #send(settings: MemberWireSettings): Promise<void> {
    for (const key of MIXER_FIELDS) if (settings[key] !== undefined) this.#expected.set(key, settings[key]);
    await this.#channel.request('updateMember', { settings });
  }

  // The mixer changed a field (a key, or the echo of our own request). An echo, or a value the
  // member already has, is not news; anything else is applied now and reported with the rest of
  // this turn's changes.
  #mixerChanged(field: MixerField, value: number | boolean): void {
    if (this.#expected.has(field)) {
      if (this.#expected.get(field) === value) this.#expected.delete(field);
      return;
    }
    if (this.#record.state !== 'active' || this.#record[field] === value) return;
    (this.#record as unknown as Record<string, unknown>)[field] = value;
    const first = this.#pending === undefined;
    this.#pending = { ...this.#pending, [field]: value };
    if (first) {
      setImmediate(() => {
        const changes = this.#pending;
        this.#pending = undefined;
        if (changes && this.#record.state === 'active') this.#changed({ ...changes, cause: 'dtmf' });
      });
    }
  }

  #changed(change: MemberChange): void {
    // A key or an update call takes the flag over from the SDP direction.
    if (change.cause !== 'sdp') {
      if (change.mute !== undefined) this.#sdpMuted = false;
      if (change.deaf !== undefined) this.#sdpDeafened = false;
    }
    this.emit('change', change);
    this.observer.emit('change', change);
    if (change.mute !== undefined || change.hold !== undefined) this.emitState();
    if (change.mute !== undefined && change.cause !== 'sdp') {
      const sound = change.mute ? this.#owner.muteSounds.muted : this.#owner.muteSounds.unmuted;
      if (sound) void this.#owner.playbacks.playInternal(sound, this.#record.number);
    }
    if (change.hold !== undefined) this.#owner.holdChanged();
  }
}
