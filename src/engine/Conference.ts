// A conference: its membership, joins and completion, and its conference-wide state (mute, hold,
// lock, callbacks, tag). It lives on one shard; every media change is a request over its channel,
// applied here only once the shard accepted it, so a refused request changes nothing. Members
// update themselves, the playback registry runs its audio, the background sounds their loops.
// Longer than 500 lines because it is the Conference API's resource: some thirty documented
// one-line accessors beside membership, joins and completion, which share its private state.
import { EventEmitter } from 'node:events';
import { normalizeAudio, normalizePlay, normalizeSpeak } from '../audio/requests.ts';
import type { SpeechOptions } from '../audio/speech.ts';
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../errors.ts';
import { checkAppData, checkFields, setOptional } from '../fields.ts';
import type { LegLink } from '../legs/LegKind.ts';
import { checkSessionJoin, sessionLegRequest } from '../legs/registry.ts';
import { MediasoupBridge } from '../legs/mediasoup/MediasoupBridge.ts';
import type { BridgeHost } from '../legs/mediasoup/MediasoupBridge.ts';
import type { MediasoupBridgeOptions } from '../legs/mediasoup/MediasoupBridgeTypes.ts';
import type { RtpLeg } from '../legs/rtp/RtpLeg.ts';
import type { WebrtcLeg } from '../legs/webrtc/WebrtcLeg.ts';
import type { ShardConferenceEvent, ShardResult } from '../shard/conferenceProtocol.ts';
import { BackgroundSounds } from './BackgroundSounds.ts';
import { normalizeConferenceUpdate } from './conferenceFields.ts';
import type { CallbackSettings, ConferenceConfig } from './conferenceFields.ts';
import { conferenceAudioPayload, conferencePayload, conferenceUpdatedPayload, nowIso } from './events.ts';
import type { CallbackEventPayload, PayloadContext } from './events.ts';
import { JoinRefusedError } from './JoinRefusedError.ts';
import { Member } from './Member.ts';
import type { MemberOwner } from './Member.ts';
import { memberWireSettings, newMemberRecord, normalizeMemberAdd } from './memberFields.ts';
import type { MemberAdd } from './memberFields.ts';
import type {
  MemberLeg,
  MemberOptions,
  MemberRemovedReason,
  SdpAnswerMemberOptions,
  SdpJoin,
  SdpOfferMemberOptions,
  WebrtcAnswerMemberOptions,
  WebrtcOfferMemberOptions,
} from './MemberTypes.ts';
import type { Playback } from './Playback.ts';
import { PlaybackRegistry } from './PlaybackRegistry.ts';
import type { Recording } from './Recording.ts';
import { checkRecordOptions, RecordingRegistry } from './RecordingRegistry.ts';
import type { RecordOptions } from './RecordingTypes.ts';
import type { PlaybackKind } from './PlaybackTypes.ts';
import { ConferenceChannel } from './shardLink.ts';
import type { EngineShard } from './shardLink.ts';
import type { ConferenceSounds } from './sounds.ts';
import type {
  AudioOptions,
  ConferenceClockStats,
  ConferenceCompletedReason,
  ConferenceEvents,
  ConferenceJson,
  ConferenceObserverEvents,
  ConferenceState,
  ConferenceUpdateFields,
  PlayOptions,
  SpeakOptions,
} from './ConferenceTypes.ts';

/** Internal: what a conference needs from its engine. */
export interface ConferenceEngineLink {
  /** Base URL of the REST resources, if served. */
  readonly uriBase: string | undefined;
  /** Default fetch timeout of play(), ms. */
  readonly audioTimeoutMs: number;
  /** How speech is synthesized. */
  readonly speech: SpeechOptions;
  /** True while the engine closes. */
  readonly closing: boolean;
  /** The addresses SDP names for our RTP legs (the engine's rtpAddress and rtpAddress6). */
  readonly sdpAddresses: { 4: string; 6: string };
  /** Completed members kept listed per conference (the engine's completedHistory); older ones are forgotten. */
  readonly completedHistory: number;
  /** Hands a callback payload to the engine's event stream. */
  emitCallback(conference: Conference, payload: CallbackEventPayload): void;
  /** The conference completed. */
  conferenceClosed(conference: Conference): void;
}

/** Internal: everything a conference is built from. */
export interface ConferenceInit {
  id: string;
  config: ConferenceConfig;
  shard: EngineShard;
  sounds: ConferenceSounds;
  engine: ConferenceEngineLink;
  appData: Record<string, unknown>;
}

const SDP_JOIN_KEYS = ['sdp', 'offer', 'rtp'] as const;

// Why a member whose leg ended on its own leaves, from the shard's reason text.
function legEndedReason(reason: string): MemberRemovedReason {
  if (reason.startsWith('rtcp-bye')) return 'rtcp-bye';
  if (reason === 'webrtc-failed' || reason === 'webrtc-closed') return reason;
  return 'leg-ended';
}
const noop = (): void => {};

/** A conference. Create one with `engine.createConference()`. */
export class Conference extends EventEmitter<ConferenceEvents> {
  /** Unique id of the conference. */
  readonly id: string;
  /** When it was created (ISO 8601). */
  readonly createdTime: string;
  /** The user's own data. */
  readonly appData: Record<string, unknown>;
  /** Management events (close, newmember, update). */
  readonly observer = new EventEmitter<ConferenceObserverEvents>();

  readonly #config: ConferenceConfig;
  readonly #channel: ConferenceChannel;
  readonly #sounds: ConferenceSounds;
  readonly #engine: ConferenceEngineLink;
  readonly #playbacks: PlaybackRegistry;
  readonly #recordings: RecordingRegistry;
  readonly #backgrounds: BackgroundSounds;
  readonly #memberOwner: MemberOwner;
  #state: ConferenceState = 'created';
  #completing = false;
  #completedTime: string | undefined;
  #completedReason: ConferenceCompletedReason | undefined;
  #destroyed: Promise<void> | undefined;
  #mute = false;
  #hold = false;
  #locked = false;
  #callback: CallbackSettings;
  #tag: string | undefined;
  /** Active members and the most recent completed ones, by id. */
  readonly #members = new Map<string, Member>();
  /** Completed members' ids, oldest first, at most the engine's completedHistory. */
  readonly #completedMembers: string[] = [];
  /** Active members by protocol number. */
  readonly #active = new Map<number, Member>();
  #nextMemberNumber = 1;
  #pendingJoins = 0;

  /** Built by the engine once the shard holds the conference. */
  constructor(init: ConferenceInit) {
    super();
    this.id = init.id;
    this.createdTime = nowIso();
    this.appData = init.appData;
    this.#config = init.config;
    this.#channel = new ConferenceChannel(init.shard, init.id);
    this.#sounds = init.sounds;
    this.#engine = init.engine;
    this.#callback = { ...init.config.callback };
    this.#tag = init.config.tag;
    const conference = this;
    this.#playbacks = new PlaybackRegistry({
      channel: this.#channel,
      rate: init.config.mixer.rate,
      audioTimeoutMs: init.engine.audioTimeoutMs,
      speech: init.engine.speech,
      get completing() {
        return conference.#completing;
      },
      assertActive: (memberNumber) => {
        this.#assertOpen();
        if (memberNumber !== undefined) this.#findByNumber(memberNumber)?.assertActive();
      },
      memberIdOf: (memberNumber) => this.#findByNumber(memberNumber)?.id,
      reportPlayback: (kind, status, tag, memberNumber) => this.#reportPlayback(kind, status, tag, memberNumber),
    });
    this.#recordings = new RecordingRegistry({
      conferenceId: this.id,
      channel: this.#channel,
      context: (tag) => this.#context(tag ?? this.#tag),
      emitCallback: (payload) => this.#emitCallback(payload),
    });
    this.#backgrounds = new BackgroundSounds({
      channel: this.#channel,
      playbacks: this.#playbacks,
      sounds: init.sounds,
      get activeMembers() {
        return [...conference.#active.values()];
      },
      get hold() {
        return conference.#hold;
      },
      get completing() {
        return conference.#completing;
      },
      nextMemberNumber: () => this.#nextMemberNumber++,
    });
    this.#memberOwner = {
      conferenceId: this.id,
      get activeMembers() {
        return conference.#active.size;
      },
      playbacks: this.#playbacks,
      recordings: this.#recordings,
      muteSounds: { muted: init.sounds.named.mutedSound, unmuted: init.sounds.named.unmutedSound },
      context: () => this.#context(),
      emitCallback: (payload) => this.#emitCallback(payload),
      assertOpen: () => this.#assertOpen(),
      remove: (member, reason) => this.#removeMember(member, reason),
      holdChanged: () => this.#backgrounds.refresh(),
    };
  }

  /** 'created' until it completes, then 'completed'. */
  get state(): ConferenceState {
    return this.#state;
  }

  /** True once completed. */
  get closed(): boolean {
    return this.#state === 'completed';
  }

  /** When it completed (ISO 8601). */
  get completedTime(): string | undefined {
    return this.#completedTime;
  }

  /** Why it completed. */
  get completedReason(): ConferenceCompletedReason | undefined {
    return this.#completedReason;
  }

  /** Members currently in it. */
  get activeMembers(): number {
    return this.#active.size;
  }

  /** Conference-wide mute: nobody is heard. */
  get mute(): boolean {
    return this.#mute;
  }

  /** Conference-wide hold: nobody hears or is heard. */
  get hold(): boolean {
    return this.#hold;
  }

  /** A locked conference refuses joins. */
  get locked(): boolean {
    return this.#locked;
  }

  /** Included in its callback events. */
  get tag(): string | undefined {
    return this.#tag;
  }

  /** The number hosting it. */
  get from(): string | undefined {
    return this.#config.from;
  }

  /** DTMF profile. */
  get profile(): ConferenceConfig['profile'] {
    return this.#config.profile;
  }

  /** Where its callbacks go (for the HTTP layer). */
  get callbackSettings(): CallbackSettings {
    return { ...this.#callback };
  }

  /** Its complete configuration, normalised (a copy). */
  get config(): ConferenceConfig {
    return structuredClone({ ...this.#config, callback: this.#callback, tag: this.#tag });
  }

  /** Sample rate, Hz. */
  get rate(): number {
    return this.#config.mixer.rate;
  }

  /** Tick interval, ms. */
  get interval(): number {
    return this.#config.mixer.interval;
  }

  /** The shard it lives on. */
  get shardId(): number {
    return this.#channel.shard.id;
  }

  /** Members, active first then completed, in join order. */
  get members(): Member[] {
    const all = [...this.#members.values()];
    return [...all.filter((m) => !m.closed), ...all.filter((m) => m.closed)];
  }

  /** Every active member and the latest completed ones, up to the engine's completedHistory (the Conference API's member list). */
  listMembers(): Member[] {
    return this.members;
  }

  /** One member by id (recently completed ones too); NotFoundError when unknown or forgotten. */
  getMember(memberId: string): Member {
    const member = typeof memberId === 'string' ? this.#members.get(memberId) : undefined;
    if (!member) throw new NotFoundError(`conference ${this.id} has no member ${String(memberId)}`);
    return member;
  }

  /**
   * Adds a member: `leg` (an AppLeg, `{kind:'app', rate}`, an RTP spec or `{kind:'none'}`),
   * `callId`, `joinTone`, `leavingTone`, `mute`, `hold`, `deaf`, `role`, levels. Refuses with
   * JoinRefusedError when locked or full (playing locked-sound or max-members-sound on the leg).
   *
   * With `sdp` (a peer's offer) instead of `leg`, the member joins on an RTP leg the offer/answer
   * sets up, and it resolves to `{member, leg, sdp}` with our answer. With `offer: true` it resolves
   * to our offer; `leg.applyAnswer(answer)` completes the leg. `rtp` holds the leg's options. An SDP
   * that cannot work is an SdpError, and no member is added (no socket was opened).
   */
  addMember(options: WebrtcAnswerMemberOptions | WebrtcOfferMemberOptions): Promise<SdpJoin<WebrtcLeg>>;
  addMember(options: SdpAnswerMemberOptions | SdpOfferMemberOptions): Promise<SdpJoin>;
  addMember(options?: MemberOptions): Promise<Member>;
  async addMember(
    options: MemberOptions | SdpAnswerMemberOptions | SdpOfferMemberOptions | WebrtcAnswerMemberOptions | WebrtcOfferMemberOptions = {},
  ): Promise<Member | SdpJoin<RtpLeg | WebrtcLeg>> {
    this.#assertOpen();
    const fields = checkFields(options, 'member');
    if (SDP_JOIN_KEYS.some((key) => Object.hasOwn(fields, key))) {
      const { sdp, offer, rtp, leg, ...rest } = fields;
      checkSessionJoin({ sdp, offer });
      const add = normalizeMemberAdd(rest);
      const appData = checkAppData(rest.appData);
      const request = sessionLegRequest({ sdp, offer, rtp, leg }, { addresses: this.#engine.sdpAddresses, intervalMs: this.#config.mixer.interval });
      const member = await this.#addMember({ ...add, leg: request }, appData);
      return { member, leg: member.leg as RtpLeg | WebrtcLeg, sdp: request.localSdp ?? '' };
    }
    const add = normalizeMemberAdd(options);
    const appData = checkAppData((options as { appData?: unknown }).appData);
    return this.#addMember(add, appData);
  }

  /**
   * Bridges a mediasoup router (the optional `mediasoup` package; UnsupportedError without it):
   * `bridge.addProducer(producer, memberOptions)` makes a member of an audio producer and gives
   * back a producer of its own mix; `bridge.mixProducer` carries the whole mix for listeners.
   */
  async bridgeMediasoup(options: MediasoupBridgeOptions): Promise<MediasoupBridge<Member, Omit<MemberOptions, 'leg'>>> {
    this.#assertOpen();
    const host: BridgeHost<Member, Omit<MemberOptions, 'leg'>> = {
      join: async (memberOptions, leg) => {
        const member = await this.addMember({ ...memberOptions, leg });
        return {
          member,
          localPort: (member.leg as RtpLeg).localPort,
          remove: () => member.closeFor('mediasoup-closed'),
          onLeave: (listener) => (member.closed ? listener() : member.once('close', () => listener())),
        };
      },
      onClose: (listener) => (this.closed ? listener() : this.once('close', () => listener())),
    };
    return MediasoupBridge.create(host, options, { mute: true, joinTone: false, leavingTone: false });
  }

  /** Changes mute, hold, locked, callback settings or tag; `{state: 'completed'}` completes it. */
  async update(fields: ConferenceUpdateFields): Promise<void> {
    this.#assertOpen();
    const update = normalizeConferenceUpdate(fields);
    const mixer: { mute?: boolean; hold?: boolean } = {};
    if (update.state === undefined) {
      if (update.mute !== undefined && update.mute !== this.#mute) mixer.mute = update.mute;
      if (update.hold !== undefined && update.hold !== this.#hold) mixer.hold = update.hold;
    }
    if (mixer.mute !== undefined || mixer.hold !== undefined) {
      await this.#channel.request('updateConference', mixer);
      if (this.#completing) return;
    }
    if (mixer.mute !== undefined) this.#mute = mixer.mute;
    if (mixer.hold !== undefined) this.#hold = mixer.hold;
    if (update.locked !== undefined) this.#locked = update.locked;
    if (update.callbackUrl !== undefined) setOptional(this.#callback, 'callbackUrl', update.callbackUrl);
    if (update.callbackHttpMethod !== undefined) this.#callback.callbackHttpMethod = update.callbackHttpMethod;
    if (update.callbackTimeout !== undefined) setOptional(this.#callback, 'callbackTimeout', update.callbackTimeout);
    if (update.fallbackUrl !== undefined) setOptional(this.#callback, 'fallbackUrl', update.fallbackUrl);
    if (update.tag !== undefined) this.#tag = update.tag === null || update.tag === '' ? undefined : update.tag;
    this.observer.emit('update');
    // Members' own flags are unchanged, so this is one conference event, not one per member.
    if (mixer.mute !== undefined || mixer.hold !== undefined) {
      this.#emitCallback(conferenceUpdatedPayload(this.#context(), this.createdTime, { mute: this.#mute, hold: this.#hold }));
    }
    if (mixer.hold !== undefined) this.#backgrounds.refresh();
    if (update.state === 'completed') await this.#complete(this.#engine.closing ? 'engine-closed' : 'api');
  }

  /** Locks the conference: joins are refused (locked-sound plays to the refused leg). */
  lock(): Promise<void> {
    return this.update({ locked: true });
  }

  /** Unlocks the conference. */
  unlock(): Promise<void> {
    return this.update({ locked: false });
  }

  /** Plays a WAV to the whole conference (`{fileUrl, loopEnabled, tag}`); `fileUrl: ''` stops file playback. */
  async play(options: PlayOptions): Promise<Playback | null> {
    this.#assertOpen();
    return this.#playbacks.play(normalizePlay(options), undefined);
  }

  /** Speaks a sentence to the whole conference (`{sentence, voice, gender, locale, tag}`); `sentence: ''` stops speech. */
  async speak(options: SpeakOptions): Promise<Playback | null> {
    this.#assertOpen();
    return this.#playbacks.speak(normalizeSpeak(options), undefined);
  }

  /** The Conference API's audio resource: a play or a speak, by which field is given. */
  async audio(options: AudioOptions): Promise<Playback | null> {
    this.#assertOpen();
    const audio = normalizeAudio(options);
    return audio.kind === 'play' ? this.#playbacks.play(audio.request, undefined) : this.#playbacks.speak(audio.request, undefined);
  }

  /**
   * Records the conference's mix, as a listener who hears every member hears it, to `path` (WAV or
   * Ogg Opus); with `multitrack`, also what each member present now says, one file each, aligned
   * frame for frame. Resolves once the shard took it; `conference-recording` events follow.
   */
  async record(options: RecordOptions): Promise<Recording> {
    this.#assertOpen();
    const checked = checkRecordOptions(options);
    const multitrack = (options as { multitrack?: unknown }).multitrack;
    if (multitrack !== undefined && typeof multitrack !== 'boolean') throw new InvalidArgumentError('multitrack must be a boolean');
    const members = multitrack ? [...this.#active.values()].map((m) => ({ member: { number: m.memberRecord.number, id: m.id }, direction: 'says' as const })) : [];
    return this.#recordings.start({ ...checked, mix: true, members });
  }

  /** Its running and recently ended recordings (the conference's and its members'). */
  get recordings(): Recording[] {
    return this.#recordings.list();
  }

  /** One of its recordings by id. */
  getRecording(id: string): Recording | undefined {
    return this.#recordings.get(id);
  }

  /** Its media clock from the shard: ticks run, encodes and decodes in the last tick, Opus complexity shed, its own lateness. */
  async clockStats(): Promise<ConferenceClockStats> {
    this.#assertOpen();
    const { ticks, encodesPerTick, decodesPerTick, complexityShed, tickLateness, flushLateness } = await this.#channel.request('conferenceClock', {});
    return { ticks, encodesPerTick, decodesPerTick, complexityShed, tickLateness, flushLateness };
  }

  /** Completes the conference: every member leaves. Idempotent. */
  close(): void {
    if (this.#completing) return;
    void this.#complete(this.#engine.closing ? 'engine-closed' : 'api');
  }

  /** Its properties as plain data (the Conference API's conference resource). */
  toJSON(): ConferenceJson {
    const json: ConferenceJson = {
      id: this.id,
      state: this.#state,
      createdTime: this.createdTime,
      activeMembers: this.#active.size,
      hold: this.#hold,
      mute: this.#mute,
      locked: this.#locked,
      profile: this.#config.profile,
      callbackHttpMethod: this.#callback.callbackHttpMethod,
    };
    if (this.#config.from !== undefined) json.from = this.#config.from;
    if (this.#config.name !== undefined) json.name = this.#config.name;
    if (this.#completedTime !== undefined) json.completedTime = this.#completedTime;
    if (this.#callback.callbackUrl !== undefined) json.callbackUrl = this.#callback.callbackUrl;
    if (this.#callback.callbackTimeout !== undefined) json.callbackTimeout = this.#callback.callbackTimeout;
    if (this.#callback.fallbackUrl !== undefined) json.fallbackUrl = this.#callback.fallbackUrl;
    if (this.#tag !== undefined) json.tag = this.#tag;
    return json;
  }

  /** Internal, for the engine: emits the `created` event once the engine has registered it. */
  announceCreated(): void {
    this.#emitCallback(conferencePayload(this.#context(), 'created', this.createdTime));
  }

  /** Internal, for the engine: completes it without touching the shard, which died. */
  handleShardDeath(): void {
    void this.#complete('shard-died');
  }

  /** Internal, for the engine: completes it as the engine closes; resolves once the shard let it go. */
  closeForEngine(): Promise<void> {
    return this.#complete('engine-closed');
  }

  /** Internal, for the engine: one event from the shard about this conference. */
  handleShardEvent(event: ShardConferenceEvent): void {
    // A completing conference waits for its recordings to end before the shard lets it go.
    if (event.type === 'recording') {
      this.#recordings.handleEvent(event);
      return;
    }
    if (this.#state === 'completed') return;
    if (event.type === 'playback-done') {
      this.#playbacks.onDone(event.playback, event.reason);
      return;
    }
    const member = this.#active.get(event.member);
    if (!member) return;
    switch (event.type) {
      case 'leave':
        void this.#removeMember(member, 'dtmf-leave');
        return;
      case 'leg-timeout':
        void this.#removeMember(member, 'leg-timeout');
        return;
      case 'leg-ended':
        void this.#removeMember(member, legEndedReason(event.reason));
        return;
      default:
        member.handleShardEvent(event);
    }
  }

  async #addMember(add: MemberAdd, appData: Record<string, unknown>): Promise<Member> {
    const join = add.leg.join();
    const refusal = this.#locked ? 'locked' : this.#isFull() ? 'full' : null;
    if (refusal) {
      const sound = refusal === 'locked' ? this.#sounds.named.lockedSound : this.#sounds.named.maxMembersSound;
      if (sound && join.hearsRefusal) void this.#backgrounds.playRefusal(join, this.#config.mixer.interval, sound);
      const message =
        refusal === 'locked'
          ? `conference ${this.id} is locked`
          : `conference ${this.id} is full: it holds its maximum of ${String(this.#config.maxMembers)} members`;
      throw new JoinRefusedError(refusal, this.id, message, sound ? (join.createdLeg as never) : undefined);
    }

    const record = newMemberRecord(add, this.#config, this.#nextMemberNumber++, this.#hasModerator());
    const sdpFlags = { mute: join.flags !== undefined && join.flags.mute && !record.mute, deaf: join.flags !== undefined && join.flags.deaf && !record.deaf };
    if (sdpFlags.mute) record.mute = true;
    if (sdpFlags.deaf) record.deaf = true;
    const channel = this.#channel.member(record.number);
    const { spec, transfer } = join.wire(this.#config.mixer.interval);
    this.#pendingJoins++;
    let result: ShardResult<'addMember'>;
    try {
      result = await channel.request('addMember', { settings: memberWireSettings(record), leg: spec as never }, transfer);
    } catch (error) {
      join.abandon();
      throw error;
    } finally {
      this.#pendingJoins--;
    }
    if (this.#completing) {
      join.discard();
      throw new InvalidStateError(`conference ${this.id} completed while the member was joining`);
    }

    const member = new Member({ record, channel, owner: this.#memberOwner, appData, sdpFlags });
    let leg: MemberLeg;
    try {
      leg = join.open(result.leg as never, this.#legLink(member)) as MemberLeg;
    } catch (error) {
      void channel.request('removeMember', {}).catch(noop);
      throw error;
    }
    member.attachLeg(leg);
    // Sent before any later request of the member, so its first mixed frames are processed.
    if (this.#config.media.voiceProcessing) void member.setVoiceProcessing(true).catch(noop);
    record.addedTime = nowIso();
    this.#members.set(record.id, member);
    this.#active.set(record.number, member);
    leg.once('close', () => this.#onLegClosed(member));

    this.emit('newmember', member);
    this.observer.emit('newmember', member);
    member.emitState();
    if (record.role === 'moderator' || (record.waiting && this.#hasModerator())) this.#releaseWaiting();
    if (record.joinTone) void this.#playbacks.playInternal(this.#sounds.entry);
    this.#backgrounds.refresh();
    return member;
  }

  // How a member's leg reaches its member and the shard.
  #legLink(member: Member): LegLink {
    const channel = this.#channel.member(member.memberRecord.number);
    return {
      updateLeg: async (update) => {
        await channel.request('updateLeg', update);
      },
      stats: () => channel.request('memberStats', {}),
      applyDirection: (flags) => member.applyDirection(flags),
      assertActive: () => {
        member.assertActive();
        this.#assertOpen();
      },
    };
  }

  #assertOpen(): void {
    if (this.#completing) throw new InvalidStateError(`conference ${this.id} is completed`);
  }

  #context(tag: string | undefined = this.#tag): PayloadContext {
    const context: PayloadContext = { conferenceId: this.id };
    if (this.#engine.uriBase !== undefined) context.uriBase = this.#engine.uriBase;
    if (tag !== undefined) context.tag = tag;
    return context;
  }

  #emitCallback(payload: CallbackEventPayload): void {
    this.#engine.emitCallback(this, payload);
    (this.emit as (event: string, payload: CallbackEventPayload) => boolean)(payload.eventType, payload);
  }

  #reportPlayback(kind: PlaybackKind, status: 'started' | 'done', tag: string | undefined, memberNumber: number | undefined): void {
    const eventType = kind === 'speech' ? 'conference-speak' : 'conference-playback';
    const member = memberNumber === undefined ? undefined : this.#findByNumber(memberNumber);
    const payload = conferenceAudioPayload(this.#context(tag ?? this.#tag), eventType, status, member?.id);
    this.#emitCallback(payload);
    member?.emitAudio(payload);
  }

  #findByNumber(number: number): Member | undefined {
    const active = this.#active.get(number);
    if (active) return active;
    for (const member of this.#members.values()) if (member.memberRecord.number === number) return member;
    return undefined;
  }

  #isFull(): boolean {
    const max = this.#config.maxMembers;
    return max !== null && this.#active.size + this.#pendingJoins >= max;
  }

  #hasModerator(): boolean {
    for (const member of this.#active.values()) if (member.memberRecord.role === 'moderator') return true;
    return false;
  }

  #releaseWaiting(): void {
    let released = false;
    for (const member of this.#active.values()) {
      const { memberRecord: record } = member;
      if (!record.waiting) continue;
      record.waiting = false;
      released = true;
      void this.#channel.request('updateMember', { member: record.number, settings: { hold: record.hold } }).catch(noop);
    }
    if (released) this.#backgrounds.refresh();
  }

  // A leg closed under its member. A shard that dies closes its legs' channels (an app leg's) before
  // the engine hears of the death: one round trip tells the two apart, so the member leaves with
  // the death's reason ('shard-died', from the sharddied path) rather than 'leg-ended'.
  #onLegClosed(member: Member): void {
    if (!(member.leg as { closedByShard?: boolean }).closedByShard) {
      void this.#removeMember(member, 'leg-ended');
      return;
    }
    this.#channel.request('conferenceClock', {}).then(
      () => void this.#removeMember(member, 'leg-ended'),
      noop,
    );
  }

  // Removes a member at once (events, leg) and tells the shard in the background.
  #removeMember(member: Member, reason: MemberRemovedReason, tellShard = true): Promise<void> {
    const { memberRecord: record } = member;
    if (record.state === 'completed') return Promise.resolve();
    record.state = 'completed';
    record.removedTime = nowIso();
    record.removedReason = reason;
    record.talking = false;
    this.#active.delete(record.number);
    this.#completedMembers.push(record.id);
    while (this.#completedMembers.length > this.#engine.completedHistory) {
      const oldest = this.#completedMembers.shift();
      if (oldest !== undefined) this.#members.delete(oldest);
    }
    const removal = tellShard ? this.#channel.request('removeMember', { member: record.number }).then(noop, noop) : Promise.resolve();
    this.#playbacks.finishMember(record.number);
    this.#backgrounds.forget(member);
    member.emitState();
    member.leg.close();
    member.emit('close', reason);
    member.observer.emit('close');
    if (!this.#completing) {
      if (record.leavingTone && this.#active.size > 0) void this.#playbacks.playInternal(this.#sounds.exit);
      if (this.#active.size === 0 && this.#pendingJoins === 0) void this.#complete('last-member-left');
      else this.#backgrounds.refresh();
    }
    return removal;
  }

  #complete(reason: ConferenceCompletedReason): Promise<void> {
    if (this.#destroyed) return this.#destroyed;
    this.#completing = true;
    const memberReason: MemberRemovedReason =
      reason === 'shard-died' ? 'shard-died' : reason === 'engine-closed' ? 'engine-closed' : 'conference-completed';
    for (const member of [...this.#active.values()]) void this.#removeMember(member, memberReason, false);
    this.#playbacks.finishAll();
    this.#state = 'completed';
    this.#completedTime = nowIso();
    this.#completedReason = reason;
    if (reason === 'shard-died') this.#recordings.failAll('shard-died', 'the shard holding the conference died');
    const destroy =
      reason === 'shard-died'
        ? Promise.resolve()
        : this.#recordings.stopAll().then(() => this.#channel.request('destroyConference', {})).then(noop, noop);
    this.#destroyed = destroy.finally(() => this.#channel.shard.conferenceIds.delete(this.id));
    this.#emitCallback(conferencePayload(this.#context(), 'completed', this.createdTime, this.#completedTime));
    this.emit('close', reason);
    this.observer.emit('close');
    this.#engine.conferenceClosed(this);
    return this.#destroyed;
  }
}
