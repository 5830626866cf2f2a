// One member of a conference: its flags and levels, its leg, its own audio, its events. The
// conference does the work (it owns the shard link); a member is the API over one record.
import { EventEmitter } from 'node:events';
import { InvalidStateError } from '../errors.ts';
import type { MemberRole } from './profile.ts';
import type { Playback } from './Playback.ts';
import type {
  MemberEvents,
  MemberJson,
  MemberLeg,
  MemberMixerState,
  MemberObserverEvents,
  MemberRelationship,
  MemberRemovedReason,
  MemberState,
  MemberUpdateFields,
  RtpLegStats,
  RtpLegUpdate,
} from './MemberTypes.ts';
import type { PlayOptions, SpeakOptions, AudioOptions } from './ConferenceTypes.ts';

/** Internal: a member's state, kept by its conference. */
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
}

/** Internal: what a member asks of its conference. */
export interface MemberOwner {
  readonly conferenceId: string;
  update(member: Member, fields: unknown): Promise<void>;
  remove(member: Member): Promise<void>;
  play(member: Member, options: unknown): Promise<Playback | null>;
  speak(member: Member, options: unknown): Promise<Playback | null>;
  audio(member: Member, options: unknown): Promise<Playback | null>;
  pressKey(member: Member, key: unknown): Promise<void>;
  relate(member: Member, other: unknown, relationship: unknown): Promise<void>;
  mixerState(member: Member): Promise<MemberMixerState>;
  updateLeg(member: Member, update: unknown): Promise<void>;
  stats(member: Member): Promise<RtpLegStats>;
}

/** A member of a conference. Add one with `conference.addMember()`. */
export class Member extends EventEmitter<MemberEvents> {
  /** Unique id of the member. */
  readonly id: string;
  /** The user's own data. */
  readonly appData: Record<string, unknown>;
  /** Management events (close, change). */
  readonly observer = new EventEmitter<MemberObserverEvents>();
  /** The member's media connection; closing it removes the member. */
  readonly leg: MemberLeg;

  readonly #record: MemberRecord;
  readonly #owner: MemberOwner;

  /** Built by the conference. */
  constructor(record: MemberRecord, leg: MemberLeg, owner: MemberOwner, appData: Record<string, unknown>) {
    super();
    this.id = record.id;
    this.#record = record;
    this.leg = leg;
    this.#owner = owner;
    this.appData = appData;
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
  update(fields: MemberUpdateFields): Promise<void> {
    return this.#owner.update(this, fields);
  }

  /** Plays a WAV to this member only (`{fileUrl, loopEnabled, tag}`); `fileUrl: ''` stops its file playback. */
  play(options: PlayOptions): Promise<Playback | null> {
    return this.#owner.play(this, options);
  }

  /** Speaks a sentence to this member only (`{sentence, voice, gender, locale, tag}`); `sentence: ''` stops it. */
  speak(options: SpeakOptions): Promise<Playback | null> {
    return this.#owner.speak(this, options);
  }

  /** The Conference API's member audio resource: a play or a speak, by which field is given. */
  audio(options: AudioOptions): Promise<Playback | null> {
    return this.#owner.audio(this, options);
  }

  /**
   * Relates this member to another of its conference, in the mixer: 'deaf' (this member stops
   * hearing `other`), 'mute' (`other` stops hearing this member), 'clear' (both undone).
   */
  relate(other: Member, relationship: MemberRelationship): Promise<void> {
    return this.#owner.relate(this, other, relationship);
  }

  /** A key from the control plane (SIP INFO, a UI), handled like an RFC 4733 one. */
  pressKey(key: string): Promise<void> {
    return this.#owner.pressKey(this, key);
  }

  /** Its live mixer state from the shard (talking, energy, effective flags). */
  getMixerState(): Promise<MemberMixerState> {
    return this.#owner.mixerState(this);
  }

  /** Changes the peer or codec of its RTP leg. */
  updateLeg(update: RtpLegUpdate): Promise<void> {
    return this.#owner.updateLeg(this, update);
  }

  /**
   * Its RTP leg's media figures: datagram counters, and RTCP figures (packets and bytes each way,
   * loss fraction, cumulative loss, jitter, round trip) once known. UnsupportedError for other legs.
   */
  stats(): Promise<RtpLegStats> {
    return this.#owner.stats(this);
  }

  /** Removes it from the conference (reason 'api'); its leg closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    void this.#owner.remove(this);
  }

  /** Throws InvalidStateError once it is completed. */
  assertActive(): void {
    if (this.closed) throw new InvalidStateError(`member ${this.id} is completed`);
  }

  /** Its properties as plain data. */
  toJSON(): MemberJson {
    const r = this.#record;
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
      leg: this.leg.kind === 'rtp' ? { kind: 'rtp', localAddress: this.leg.localAddress, localPort: this.leg.localPort } : { kind: this.leg.kind },
    };
    if (r.callId !== undefined) json.callId = r.callId;
    if (r.removedTime !== undefined) json.removedTime = r.removedTime;
    if (r.removedReason !== undefined) json.removedReason = r.removedReason;
    return json;
  }
}
