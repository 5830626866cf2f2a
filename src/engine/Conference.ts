// A conference: its members, settings, audio and events. It lives on one shard; every media
// change is a request over the conference protocol, applied here only once the shard accepted it,
// so a refused request changes nothing.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { TransferListItem } from 'node:worker_threads';
import { InvalidArgumentError, InvalidStateError, NotFoundError, UnsupportedError } from '../errors.ts';
import { AppLeg } from '../legs/app/AppLeg.ts';
import { loadAudio } from '../legs/player/audioSource.ts';
import { synthesizeSpeech } from '../legs/player/speech.ts';
import type { SpeechOptions } from '../legs/player/speech.ts';
import { DTMF_KEYS } from '../native/mixer.ts';
import type { ShardConferenceEvent, ShardLegSpec, ShardMemberSettings } from '../shard/conferenceProtocol.ts';
import { ControlLeg } from './ControlLeg.ts';
import {
  conferenceAudioPayload,
  conferenceMemberPayload,
  conferencePayload,
  conferenceUpdatedPayload,
  dtmfPayload,
  nowIso,
  talkingPayload,
} from './events.ts';
import type { CallbackEventPayload, PayloadContext } from './events.ts';
import { JoinRefusedError } from './JoinRefusedError.ts';
import { Member } from './Member.ts';
import type { MemberOwner, MemberRecord } from './Member.ts';
import type {
  MemberChange,
  MemberLeg,
  MemberMixerState,
  MemberOptions,
  MemberRemovedReason,
  RtpLegStats,
  SdpAnswerMemberOptions,
  SdpJoin,
  SdpOfferMemberOptions,
} from './MemberTypes.ts';
import { Playback } from './Playback.ts';
import type { PlaybackDoneReason, PlaybackKind } from './PlaybackTypes.ts';
import {
  normalizeAudio,
  normalizeConferenceUpdate,
  normalizeMemberAdd,
  normalizeMemberUpdate,
  normalizePlay,
  normalizeRtpCodec,
  normalizeSpeak,
} from './profile.ts';
import type { CallbackSettings, ConferenceConfig, MemberAdd, MemberLegInput, PlayRequest, SoundName, SpeakRequest } from './profile.ts';
import { checkFields, refuseUnknownFields, toInteger } from './fields.ts';
import { RtpLeg } from './RtpLeg.ts';
import type { RtpLegSdpControl } from './RtpLeg.ts';
import { checkSdpLegOptions, SdpLegSession } from './sdpSession.ts';
import type { OpenedLeg, RtpLegChange, SdpAddresses } from './sdpSession.ts';
import type { SdpPtimeMs } from '../legs/rtp/sdpTypes.ts';
import { requestShard } from './shardLink.ts';
import type { ConferenceMethod, EngineShard, ParamsOf, ResultOf } from './shardLink.ts';
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
export interface ConferenceHost {
  /** Base URL of the REST resources, if served. */
  readonly uriBase: string | undefined;
  /** Default fetch timeout of play(), ms. */
  readonly audioTimeoutMs: number;
  /** How speech is synthesized. */
  readonly speech: SpeechOptions;
  /** True while the engine closes. */
  readonly closing: boolean;
  /** The addresses SDP names for our RTP legs (the engine's rtpAddress and rtpAddress6). */
  readonly sdpAddresses: SdpAddresses;
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
  host: ConferenceHost;
  appData: Record<string, unknown>;
}

interface PlaybackRecord {
  number: number;
  kind: PlaybackKind | 'internal';
  /** The member it plays to, by protocol number. */
  memberNumber?: number;
  handle?: Playback;
  tag?: string;
  started: boolean;
  /** A done that arrived before the start was confirmed. */
  earlyDone?: PlaybackDoneReason;
  finished: boolean;
  whenDone: Promise<PlaybackDoneReason>;
  resolveDone: (reason: PlaybackDoneReason) => void;
}

interface MemberEntry {
  member: Member;
  record: MemberRecord;
  background?: { sound: SoundName; playback: PlaybackRecord };
  reconciling: boolean;
  reconcileAgain: boolean;
  /** Muted because its SDP says the peer does not send (recvonly, inactive); undone when it sends again. */
  sdpMuted: boolean;
  /** Deaf because its SDP says the peer does not receive (sendonly, inactive, c=0.0.0.0). */
  sdpDeafened: boolean;
}

/** An SDP join on its way: the session, the flags its direction asks for, and how to finish its SDP. */
interface SdpJoinPlan {
  session: SdpLegSession;
  flags: { mute: boolean; deaf: boolean };
  complete: (opened: OpenedLeg) => string;
}

const SDP_JOIN_KEYS = ['sdp', 'offer', 'rtp'] as const;

const MIXER_FIELDS = ['mute', 'deaf', 'talkLevel', 'listenLevel', 'energyLevel'] as const;
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
  readonly #shard: EngineShard;
  readonly #sounds: ConferenceSounds;
  readonly #host: ConferenceHost;
  readonly #owner: MemberOwner;
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
  readonly #members = new Map<string, MemberEntry>();
  /** Completed members' ids, oldest first, at most host.completedHistory. */
  readonly #completedMembers: string[] = [];
  /** Active members by protocol number. */
  readonly #active = new Map<number, MemberEntry>();
  readonly #playbacks = new Map<number, PlaybackRecord>();
  #nextMemberNumber = 1;
  #nextPlaybackNumber = 1;
  #pendingJoins = 0;
  #refreshing = false;
  #refreshAgain = false;

  /** Built by the engine once the shard holds the conference. */
  constructor(init: ConferenceInit) {
    super();
    this.id = init.id;
    this.createdTime = nowIso();
    this.appData = init.appData;
    this.#config = init.config;
    this.#shard = init.shard;
    this.#sounds = init.sounds;
    this.#host = init.host;
    this.#callback = { ...init.config.callback };
    this.#tag = init.config.tag;
    this.#owner = this.#makeMemberOwner();
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
    return this.#shard.id;
  }

  /** Members, active first then completed, in join order. */
  get members(): Member[] {
    const all = [...this.#members.values()].map((entry) => entry.member);
    return [...all.filter((m) => !m.closed), ...all.filter((m) => m.closed)];
  }

  /** Every active member and the latest completed ones, up to the engine's completedHistory (the Conference API's member list). */
  listMembers(): Member[] {
    return this.members;
  }

  /** One member by id (recently completed ones too); NotFoundError when unknown or forgotten. */
  getMember(memberId: string): Member {
    const entry = typeof memberId === 'string' ? this.#members.get(memberId) : undefined;
    if (!entry) throw new NotFoundError(`conference ${this.id} has no member ${String(memberId)}`);
    return entry.member;
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
  addMember(options: SdpAnswerMemberOptions | SdpOfferMemberOptions): Promise<SdpJoin>;
  addMember(options?: MemberOptions): Promise<Member>;
  async addMember(options: MemberOptions | SdpAnswerMemberOptions | SdpOfferMemberOptions = {}): Promise<Member | SdpJoin> {
    this.#assertOpen();
    const fields = checkFields(options, 'member');
    if (SDP_JOIN_KEYS.some((key) => Object.hasOwn(fields, key))) return this.#addSdpMember(fields);
    const add = normalizeMemberAdd(options);
    const appData = checkAppData((options as { appData?: unknown }).appData);
    return this.#addMember(add, appData, null);
  }

  async #addSdpMember(fields: Record<string, unknown>): Promise<SdpJoin> {
    const { sdp, offer, rtp, ...rest } = fields;
    if (rest.leg !== undefined) throw new InvalidArgumentError('a member joining by SDP gets its leg from the SDP: give sdp or offer, not leg');
    if (sdp !== undefined && offer !== undefined) throw new InvalidArgumentError("give sdp (the peer's offer) or offer: true (ours), not both");
    if (sdp === undefined && offer !== true) throw new InvalidArgumentError("offer must be true (or give sdp, the peer's offer)");
    const add = normalizeMemberAdd(rest);
    const appData = checkAppData(rest.appData);
    const settings = checkSdpLegOptions(rtp);
    const ptimeMs = this.#config.mixer.interval as SdpPtimeMs;
    let plan: SdpJoinPlan;
    let spec: Extract<ShardLegSpec, { kind: 'rtp' }>;
    if (sdp !== undefined) {
      // The offer is read before any socket opens: an SDP that cannot work costs nothing.
      const answering = SdpLegSession.answering(sdp, settings, this.#host.sdpAddresses, ptimeMs);
      const { negotiated } = answering.negotiation;
      spec = answering.spec;
      plan = {
        session: answering.session,
        flags: { mute: !negotiated.receive, deaf: !negotiated.send },
        complete: (opened) => answering.session.completeAnswer(answering.negotiation, opened),
      };
    } else {
      const offering = SdpLegSession.offering(settings, this.#host.sdpAddresses, ptimeMs);
      spec = offering.spec;
      plan = { session: offering.session, flags: { mute: false, deaf: false }, complete: (opened) => offering.session.completeOffer(opened) };
    }
    const member = await this.#addMember({ ...add, leg: { kind: 'rtp', spec } }, appData, plan);
    return { member, leg: member.leg as RtpLeg, sdp: plan.session.localSdp ?? '' };
  }

  async #addMember(add: MemberAdd, appData: Record<string, unknown>, sdp: SdpJoinPlan | null): Promise<Member> {
    let appLeg: AppLeg | undefined;
    let legCreatedHere = false;
    if (add.leg.kind === 'app') {
      appLeg = add.leg.appLeg;
      if (appLeg.state !== 'new') throw new InvalidStateError(`app leg ${appLeg.id} is ${appLeg.state}; a leg joins one conference once`);
    } else if (add.leg.kind === 'app-new') {
      appLeg = new AppLeg({ rate: add.leg.rate });
      legCreatedHere = true;
    }

    const refusal = this.#locked ? 'locked' : this.#isFull() ? 'full' : null;
    if (refusal) {
      const sound = refusal === 'locked' ? this.#sounds.named.lockedSound : this.#sounds.named.maxMembersSound;
      // An SDP peer refused never hears of our port, so nothing is played to it.
      if (sound && add.leg.kind !== 'none' && !sdp) void this.#playRefusal(add.leg, appLeg, sound);
      const message =
        refusal === 'locked'
          ? `conference ${this.id} is locked`
          : `conference ${this.id} is full: it holds its maximum of ${String(this.#config.maxMembers)} members`;
      throw new JoinRefusedError(refusal, this.id, message, legCreatedHere && sound ? appLeg : undefined);
    }

    const defaults = add.role === 'moderator' ? this.#config.moderator : this.#config.member;
    const record: MemberRecord = {
      id: `member-${randomUUID()}`,
      number: this.#nextMemberNumber++,
      role: add.role,
      state: 'active',
      addedTime: '',
      mute: add.mute ?? defaults.joinMuted,
      hold: add.hold ?? false,
      deaf: add.deaf ?? defaults.joinDeaf,
      talkLevel: add.talkLevel ?? 0,
      listenLevel: add.listenLevel ?? 0,
      energyLevel: add.energyLevel ?? this.#config.mixer.energyLevel,
      joinTone: add.joinTone ?? this.#config.playEntryTone !== false,
      leavingTone: add.leavingTone ?? this.#config.playExitTone !== false,
      talking: false,
      energy: 0,
      waiting: this.#config.waitForModerator && add.role === 'member' && !this.#hasModerator(),
    };
    if (add.callId !== undefined) record.callId = add.callId;
    // The SDP's direction: a peer that does not send is muted, one that does not receive is deaf.
    const sdpMuted = sdp !== null && sdp.flags.mute && !record.mute;
    const sdpDeafened = sdp !== null && sdp.flags.deaf && !record.deaf;
    if (sdpMuted) record.mute = true;
    if (sdpDeafened) record.deaf = true;

    const { spec, transfer } = this.#legSpec(add.leg, appLeg);
    this.#pendingJoins++;
    let result: ResultOf<'addMember'>;
    try {
      result = await this.#request('addMember', { conferenceId: this.id, member: record.number, settings: this.#shardSettings(record), leg: spec }, transfer);
    } catch (error) {
      appLeg?.detach();
      throw error;
    } finally {
      this.#pendingJoins--;
    }
    if (this.#completing) {
      appLeg?.close();
      throw new InvalidStateError(`conference ${this.id} completed while the member was joining`);
    }

    let leg: MemberLeg;
    let entry: MemberEntry | undefined;
    if (appLeg) leg = appLeg;
    else if (spec.kind === 'rtp' && result.leg.kind === 'rtp') {
      const opened: OpenedLeg = { localPort: result.leg.localPort };
      if (result.leg.rtcpPort !== undefined) opened.localRtcpPort = result.leg.rtcpPort;
      let control: RtpLegSdpControl | undefined;
      if (sdp) {
        try {
          sdp.complete(opened);
        } catch (error) {
          void this.#request('removeMember', { conferenceId: this.id, member: record.number }).catch(noop);
          throw error;
        }
        const session = sdp.session;
        const entryOf = (): MemberEntry => {
          if (!entry) throw new InvalidStateError('the member is still joining');
          return entry;
        };
        control = {
          applyAnswer: (_leg, answerSdp) => this.#sdpApplyAnswer(entryOf(), session, answerSdp),
          reoffer: (_leg, offerSdp) => this.#sdpReoffer(entryOf(), session, offerSdp),
        };
      }
      leg = new RtpLeg(spec, result.leg.localAddress, result.leg.localPort, {
        ...(opened.localRtcpPort === undefined ? {} : { localRtcpPort: opened.localRtcpPort }),
        ...(sdp && control ? { sdp: { session: sdp.session, control } } : {}),
      });
    } else leg = new ControlLeg();
    record.addedTime = nowIso();
    const member = new Member(record, leg, this.#owner, appData);
    entry = { member, record, reconciling: false, reconcileAgain: false, sdpMuted, sdpDeafened };
    const joined = entry;
    this.#members.set(record.id, joined);
    this.#active.set(record.number, joined);
    leg.once('close', () => this.#onLegClosed(joined));

    this.emit('newmember', member);
    this.observer.emit('newmember', member);
    this.#emitMemberState(joined);
    if (record.role === 'moderator' || (record.waiting && this.#hasModerator())) this.#releaseWaiting();
    if (record.joinTone) void this.#playInternal(this.#sounds.entry);
    this.#refreshBackgrounds();
    return member;
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
      await this.#request('updateConference', { conferenceId: this.id, ...mixer });
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
    if (mixer.hold !== undefined) this.#refreshBackgrounds();
    if (update.state === 'completed') await this.#complete(this.#host.closing ? 'engine-closed' : 'api');
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
    return this.#play(normalizePlay(options), undefined);
  }

  /** Speaks a sentence to the whole conference (`{sentence, voice, gender, locale, tag}`); `sentence: ''` stops speech. */
  async speak(options: SpeakOptions): Promise<Playback | null> {
    this.#assertOpen();
    return this.#speak(normalizeSpeak(options), undefined);
  }

  /** The Conference API's audio resource: a play or a speak, by which field is given. */
  async audio(options: AudioOptions): Promise<Playback | null> {
    this.#assertOpen();
    const audio = normalizeAudio(options);
    return audio.kind === 'play' ? this.#play(audio.request, undefined) : this.#speak(audio.request, undefined);
  }

  /** Its media clock from the shard: ticks run, encodes and decodes in the last tick, Opus complexity shed. */
  async clockStats(): Promise<ConferenceClockStats> {
    this.#assertOpen();
    const { ticks, encodesPerTick, decodesPerTick, complexityShed } = await this.#request('conferenceClock', { conferenceId: this.id });
    return { ticks, encodesPerTick, decodesPerTick, complexityShed };
  }

  /** Completes the conference: every member leaves. Idempotent. */
  close(): void {
    if (this.#completing) return;
    void this.#complete(this.#host.closing ? 'engine-closed' : 'api');
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
    if (this.#state === 'completed') return;
    if (event.type === 'playback-done') {
      this.#onPlaybackDone(event.playback, event.reason);
      return;
    }
    const entry = this.#active.get(event.member);
    if (!entry) return;
    const { member, record } = entry;
    switch (event.type) {
      case 'talking': {
        record.talking = event.status === 'start';
        record.energy = event.energy;
        const payload = talkingPayload(this.#context(), facts(record), event.status, event.energy);
        this.#emitCallback(payload);
        member.emit('talking', payload);
        return;
      }
      case 'dtmf': {
        const payload = dtmfPayload(this.#context(), facts(record), event.key, event.action);
        this.#emitCallback(payload);
        member.emit('dtmf', payload);
        return;
      }
      case 'changed':
        if (event.field !== 'hold') this.#reconcile(entry);
        return;
      case 'leave':
        void this.#removeMember(entry, 'dtmf-leave');
        return;
      case 'leg-timeout':
        void this.#removeMember(entry, 'leg-timeout');
        return;
      case 'leg-ended':
        void this.#removeMember(entry, event.reason.startsWith('rtcp-bye') ? 'rtcp-bye' : 'leg-ended');
        return;
      case 'rtp-rejected':
        member.emit('rtprejected', { reason: event.reason, count: event.count });
        return;
    }
  }

  #assertOpen(): void {
    if (this.#completing) throw new InvalidStateError(`conference ${this.id} is completed`);
  }

  #context(tag: string | undefined = this.#tag): PayloadContext {
    const context: PayloadContext = { conferenceId: this.id };
    if (this.#host.uriBase !== undefined) context.uriBase = this.#host.uriBase;
    if (tag !== undefined) context.tag = tag;
    return context;
  }

  #emitCallback(payload: CallbackEventPayload): void {
    this.#host.emitCallback(this, payload);
    (this.emit as (event: string, payload: CallbackEventPayload) => boolean)(payload.eventType, payload);
  }

  #emitMemberState(entry: MemberEntry): void {
    const { record } = entry;
    const payload = conferenceMemberPayload(this.#context(), { ...facts(record), state: record.state, mute: record.mute, hold: record.hold }, this.#active.size);
    this.#emitCallback(payload);
    entry.member.emit('conference-member', payload);
  }

  #request<M extends ConferenceMethod>(method: M, params: ParamsOf<M>, transfer: TransferListItem[] = []): Promise<ResultOf<M>> {
    return requestShard(this.#shard, method, params, transfer);
  }

  #isFull(): boolean {
    const max = this.#config.maxMembers;
    return max !== null && this.#active.size + this.#pendingJoins >= max;
  }

  #hasModerator(): boolean {
    for (const entry of this.#active.values()) if (entry.record.role === 'moderator') return true;
    return false;
  }

  #shardSettings(record: MemberRecord): ShardMemberSettings {
    return {
      mute: record.mute,
      deaf: record.deaf,
      hold: record.hold || record.waiting,
      talkLevel: record.talkLevel,
      listenLevel: record.listenLevel,
      energyLevel: record.energyLevel,
    };
  }

  #legSpec(leg: MemberLegInput, appLeg: AppLeg | undefined): { spec: ShardLegSpec; transfer: TransferListItem[] } {
    if (appLeg) {
      const port = appLeg.attach(this.#config.mixer.interval);
      return { spec: { kind: 'app', rate: appLeg.rate, port }, transfer: [port] };
    }
    if (leg.kind === 'rtp') return { spec: leg.spec, transfer: [] };
    return { spec: { kind: 'none' }, transfer: [] };
  }

  // The refused leg joins as a hidden, held member just long enough to hear the sound.
  async #playRefusal(leg: MemberLegInput, appLeg: AppLeg | undefined, sound: Int16Array): Promise<void> {
    const number = this.#nextMemberNumber++;
    let spec: ShardLegSpec;
    let transfer: TransferListItem[];
    try {
      ({ spec, transfer } = this.#legSpec(leg, appLeg));
      await this.#request('addMember', { conferenceId: this.id, member: number, settings: { hold: true, mute: true }, leg: spec }, transfer);
    } catch {
      appLeg?.detach();
      return;
    }
    try {
      const playback = await this.#startPlayback(sound, { kind: 'internal', memberNumber: number, loop: false });
      await playback.whenDone;
    } catch {
      // The conference may have completed meanwhile; the leg closes all the same.
    } finally {
      if (!this.#completing) await this.#request('removeMember', { conferenceId: this.id, member: number }).catch(noop);
      appLeg?.close();
    }
  }

  #releaseWaiting(): void {
    let released = false;
    for (const entry of this.#active.values()) {
      if (!entry.record.waiting) continue;
      entry.record.waiting = false;
      released = true;
      void this.#request('updateMember', { conferenceId: this.id, member: entry.record.number, settings: { hold: entry.record.hold } }).catch(noop);
    }
    if (released) this.#refreshBackgrounds();
  }

  // A leg closed under its member. A shard that dies closes its app legs' channels before the
  // engine hears of the death: one round trip tells the two apart, so the member leaves with the
  // death's reason ('shard-died', from the sharddied path) rather than 'leg-ended'.
  #onLegClosed(entry: MemberEntry): void {
    const leg = entry.member.leg;
    if (!(leg instanceof AppLeg && leg.closedByShard)) {
      void this.#removeMember(entry, 'leg-ended');
      return;
    }
    this.#request('conferenceClock', { conferenceId: this.id }).then(
      () => void this.#removeMember(entry, 'leg-ended'),
      noop,
    );
  }

  // Removes a member at once (events, leg) and tells the shard in the background.
  #removeMember(entry: MemberEntry, reason: MemberRemovedReason, tellShard = true): Promise<void> {
    const { record, member } = entry;
    if (record.state === 'completed') return Promise.resolve();
    record.state = 'completed';
    record.removedTime = nowIso();
    record.removedReason = reason;
    record.talking = false;
    this.#active.delete(record.number);
    this.#completedMembers.push(record.id);
    while (this.#completedMembers.length > this.#host.completedHistory) {
      const oldest = this.#completedMembers.shift();
      if (oldest !== undefined) this.#members.delete(oldest);
    }
    const removal = tellShard
      ? this.#request('removeMember', { conferenceId: this.id, member: record.number }).then(noop, noop)
      : Promise.resolve();
    for (const playback of [...this.#playbacks.values()]) {
      if (playback.memberNumber === record.number) this.#finishPlayback(playback, 'member-left');
    }
    entry.background = undefined;
    this.#emitMemberState(entry);
    member.leg.close();
    member.emit('close', reason);
    member.observer.emit('close');
    if (!this.#completing) {
      if (record.leavingTone && this.#active.size > 0) void this.#playInternal(this.#sounds.exit);
      if (this.#active.size === 0 && this.#pendingJoins === 0) void this.#complete('last-member-left');
      else this.#refreshBackgrounds();
    }
    return removal;
  }

  #complete(reason: ConferenceCompletedReason): Promise<void> {
    if (this.#destroyed) return this.#destroyed;
    this.#completing = true;
    const memberReason: MemberRemovedReason =
      reason === 'shard-died' ? 'shard-died' : reason === 'engine-closed' ? 'engine-closed' : 'conference-completed';
    for (const entry of [...this.#active.values()]) void this.#removeMember(entry, memberReason, false);
    for (const playback of [...this.#playbacks.values()]) this.#finishPlayback(playback, 'conference-completed');
    this.#state = 'completed';
    this.#completedTime = nowIso();
    this.#completedReason = reason;
    const destroy = reason === 'shard-died' ? Promise.resolve() : this.#request('destroyConference', { conferenceId: this.id }).then(noop, noop);
    this.#destroyed = destroy.finally(() => this.#shard.conferenceIds.delete(this.id));
    this.#emitCallback(conferencePayload(this.#context(), 'completed', this.createdTime, this.#completedTime));
    this.emit('close', reason);
    this.observer.emit('close');
    this.#host.conferenceClosed(this);
    return this.#destroyed;
  }

  async #updateMember(entry: MemberEntry, fields: unknown): Promise<void> {
    entry.member.assertActive();
    this.#assertOpen();
    const update = normalizeMemberUpdate(fields);
    const { record } = entry;
    if (update.state === 'completed') {
      if (update.leavingTone !== undefined) record.leavingTone = update.leavingTone;
      return this.#removeMember(entry, 'api');
    }
    const changes: Omit<MemberChange, 'cause'> = {};
    for (const key of [...MIXER_FIELDS, 'hold'] as const) {
      const value = update[key];
      if (value !== undefined && value !== record[key]) (changes as Record<string, unknown>)[key] = value;
    }
    const settings: ShardMemberSettings = {};
    for (const key of MIXER_FIELDS) if (changes[key] !== undefined) (settings as Record<string, unknown>)[key] = changes[key];
    if (changes.hold !== undefined) settings.hold = changes.hold || record.waiting;
    if (Object.keys(settings).length > 0) {
      await this.#request('updateMember', { conferenceId: this.id, member: record.number, settings });
      if (record.state === 'completed') return;
    }
    if (update.joinTone !== undefined) record.joinTone = update.joinTone;
    if (update.leavingTone !== undefined) record.leavingTone = update.leavingTone;
    // The caller set the flag: a later SDP resume leaves it as set.
    if (update.mute !== undefined) entry.sdpMuted = false;
    if (update.deaf !== undefined) entry.sdpDeafened = false;
    Object.assign(record, changes);
    if (Object.keys(changes).length > 0) this.#afterMemberChange(entry, { ...changes, cause: 'api' });
  }

  #afterMemberChange(entry: MemberEntry, change: MemberChange): void {
    // A key or an update call takes the flag over from the SDP direction.
    if (change.cause !== 'sdp') {
      if (change.mute !== undefined) entry.sdpMuted = false;
      if (change.deaf !== undefined) entry.sdpDeafened = false;
    }
    entry.member.emit('change', change);
    entry.member.observer.emit('change', change);
    if (change.mute !== undefined || change.hold !== undefined) this.#emitMemberState(entry);
    if (change.mute !== undefined && change.cause !== 'sdp') {
      const sound = change.mute ? this.#sounds.named.mutedSound : this.#sounds.named.unmutedSound;
      if (sound) void this.#playInternal(sound, entry.record.number);
    }
    if (change.hold !== undefined) this.#refreshBackgrounds();
  }

  // A key changed the member in the shard: read its state back and report what differs.
  // Coalesced: a change arriving during a read asks for one more read.
  #reconcile(entry: MemberEntry): void {
    entry.reconcileAgain = true;
    if (entry.reconciling) return;
    entry.reconciling = true;
    void (async () => {
      try {
        while (entry.reconcileAgain && entry.record.state === 'active') {
          entry.reconcileAgain = false;
          const live = await this.#request('getMember', { conferenceId: this.id, member: entry.record.number });
          if (entry.member.closed) return;
          const changes: Omit<MemberChange, 'cause'> = {};
          for (const key of MIXER_FIELDS) {
            if (live[key] !== entry.record[key]) (changes as Record<string, unknown>)[key] = live[key];
          }
          Object.assign(entry.record, changes);
          if (Object.keys(changes).length > 0) this.#afterMemberChange(entry, { ...changes, cause: 'dtmf' });
        }
      } catch {
        // The member or the conference went away meanwhile.
      } finally {
        entry.reconciling = false;
      }
    })();
  }

  async #play(request: PlayRequest, entry: MemberEntry | undefined): Promise<Playback | null> {
    if (request.fileUrl === '') {
      await this.#stopPlaybacks('file', entry);
      return null;
    }
    const pcm = await loadAudio({ fileUrl: request.fileUrl }, this.#config.mixer.rate, { timeoutMs: request.timeoutMs ?? this.#host.audioTimeoutMs });
    return this.#startUserPlayback(pcm, 'file', request.loopEnabled, request.tag, entry);
  }

  async #speak(request: SpeakRequest, entry: MemberEntry | undefined): Promise<Playback | null> {
    if (request.sentence === '') {
      await this.#stopPlaybacks('speech', entry);
      return null;
    }
    const speech: { sentence: string; voice?: string; gender: 'male' | 'female'; locale?: string } = {
      sentence: request.sentence,
      gender: request.gender ?? 'female',
    };
    if (request.voice !== undefined) speech.voice = request.voice;
    if (request.locale !== undefined) speech.locale = request.locale;
    const pcm = await synthesizeSpeech(speech, this.#config.mixer.rate, this.#host.speech);
    return this.#startUserPlayback(pcm, 'speech', false, request.tag, entry);
  }

  async #startUserPlayback(pcm: Int16Array, kind: PlaybackKind, loop: boolean, tag: string | undefined, entry: MemberEntry | undefined): Promise<Playback> {
    // The audio was fetched or synthesized meanwhile: check again.
    this.#assertOpen();
    entry?.member.assertActive();
    const durationMs = Math.round((pcm.length * 1000) / this.#config.mixer.rate);
    const playback = await this.#startPlayback(pcm, { kind, loop, tag, memberNumber: entry?.record.number, transferPcm: true });
    const handle = new Playback({
      id: `playback-${playback.number}`,
      kind,
      tag,
      memberId: entry?.record.id,
      loop,
      durationMs,
      control: { stop: () => this.#stopPlayback(playback) },
    });
    playback.handle = handle;
    this.#emitAudioEvent(playback, 'started');
    if (playback.earlyDone) this.#finishPlayback(playback, playback.earlyDone);
    return handle;
  }

  async #startPlayback(
    pcm: Int16Array,
    options: { kind: PlaybackRecord['kind']; loop: boolean; tag?: string; memberNumber?: number; transferPcm?: boolean },
  ): Promise<PlaybackRecord> {
    let resolveDone!: (reason: PlaybackDoneReason) => void;
    const whenDone = new Promise<PlaybackDoneReason>((resolve) => (resolveDone = resolve));
    const playback: PlaybackRecord = {
      number: this.#nextPlaybackNumber++,
      kind: options.kind,
      started: false,
      finished: false,
      whenDone,
      resolveDone,
    };
    if (options.memberNumber !== undefined) playback.memberNumber = options.memberNumber;
    if (options.tag !== undefined) playback.tag = options.tag;
    this.#playbacks.set(playback.number, playback);
    const wholeBuffer = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength;
    const transfer = options.transferPcm && wholeBuffer ? [pcm.buffer as ArrayBuffer] : [];
    const params: ParamsOf<'startPlayback'> = { conferenceId: this.id, playback: playback.number, pcm, loop: options.loop };
    if (options.memberNumber !== undefined) params.member = options.memberNumber;
    try {
      await this.#request('startPlayback', params, transfer);
    } catch (error) {
      this.#playbacks.delete(playback.number);
      throw error;
    }
    playback.started = true;
    return playback;
  }

  // Tones and profile sounds: no events, and a failure only means silence.
  async #playInternal(pcm: Int16Array, memberNumber?: number, loop = false): Promise<PlaybackRecord | null> {
    if (this.#completing) return null;
    try {
      return await this.#startPlayback(pcm, { kind: 'internal', loop, memberNumber });
    } catch {
      return null;
    }
  }

  async #stopPlayback(playback: PlaybackRecord): Promise<void> {
    if (playback.finished) return;
    if (!this.#completing) await this.#request('stopPlayback', { conferenceId: this.id, playback: playback.number }).catch(noop);
    this.#finishPlayback(playback, 'stopped');
  }

  async #stopPlaybacks(kind: PlaybackKind, entry: MemberEntry | undefined): Promise<void> {
    const matching = [...this.#playbacks.values()].filter((p) => p.kind === kind && p.memberNumber === entry?.record.number);
    await Promise.all(matching.map((p) => this.#stopPlayback(p)));
  }

  #onPlaybackDone(number: number, reason: PlaybackDoneReason): void {
    const playback = this.#playbacks.get(number);
    if (!playback) return;
    if (!playback.started) {
      playback.earlyDone = reason;
      return;
    }
    if (playback.kind !== 'internal' && !playback.handle) {
      playback.earlyDone = reason;
      return;
    }
    this.#finishPlayback(playback, reason);
  }

  #finishPlayback(playback: PlaybackRecord, reason: PlaybackDoneReason): void {
    if (playback.finished) return;
    playback.finished = true;
    this.#playbacks.delete(playback.number);
    playback.resolveDone(reason);
    if (playback.handle) {
      playback.handle.finish(reason);
      this.#emitAudioEvent(playback, 'done');
    }
  }

  #emitAudioEvent(playback: PlaybackRecord, status: 'started' | 'done'): void {
    const eventType = playback.kind === 'speech' ? 'conference-speak' : 'conference-playback';
    const entry = playback.memberNumber === undefined ? undefined : this.#findByNumber(playback.memberNumber);
    const payload = conferenceAudioPayload(this.#context(playback.tag ?? this.#tag), eventType, status, entry?.record.id);
    this.#emitCallback(payload);
    if (entry) (entry.member.emit as (event: string, payload: CallbackEventPayload) => boolean)(eventType, payload);
  }

  #findByNumber(number: number): MemberEntry | undefined {
    const active = this.#active.get(number);
    if (active) return active;
    for (const entry of this.#members.values()) if (entry.record.number === number) return entry;
    return undefined;
  }

  #backgroundFor(record: MemberRecord): SoundName | null {
    const named = this.#sounds.named;
    if (record.waiting || record.hold || this.#hold) return named.mohSound ? 'mohSound' : null;
    if (this.#active.size === 1) return named.aloneSound ? 'aloneSound' : named.mohSound ? 'mohSound' : null;
    return null;
  }

  // Starts and stops each member's looping moh/alone sound to match the conference. Coalesced:
  // a call during a pass asks for one more pass.
  #refreshBackgrounds(): void {
    this.#refreshAgain = true;
    if (this.#refreshing) return;
    this.#refreshing = true;
    void (async () => {
      try {
        while (this.#refreshAgain && !this.#completing) {
          this.#refreshAgain = false;
          await this.#refreshBackgroundsOnce();
        }
      } catch {
        // A failed start only means silence; the next change tries again.
      } finally {
        this.#refreshing = false;
      }
    })();
  }

  async #refreshBackgroundsOnce(): Promise<void> {
    for (const entry of [...this.#active.values()]) {
      if (this.#completing) return;
      const want = entry.record.state === 'active' ? this.#backgroundFor(entry.record) : null;
      const have = entry.background;
      if (have && have.sound === want && !have.playback.finished) continue;
      if (have) {
        entry.background = undefined;
        await this.#stopPlayback(have.playback);
      }
      if (!want) continue;
      const pcm = this.#sounds.named[want];
      const playback = pcm ? await this.#playInternal(pcm, entry.record.number, true) : null;
      if (!playback) continue;
      if (entry.record.state === 'active') entry.background = { sound: want, playback };
      else await this.#stopPlayback(playback);
    }
  }

  #entryOf(member: Member): MemberEntry {
    const entry = this.#members.get(member.id);
    if (!entry || entry.member !== member) throw new NotFoundError(`member ${member.id} is not in conference ${this.id}`);
    return entry;
  }

  #makeMemberOwner(): MemberOwner {
    const activeEntry = (member: Member): MemberEntry => {
      const entry = this.#entryOf(member);
      member.assertActive();
      this.#assertOpen();
      return entry;
    };
    return {
      conferenceId: this.id,
      update: async (member, fields) => this.#updateMember(this.#entryOf(member), fields),
      remove: async (member) => this.#removeMember(this.#entryOf(member), 'api'),
      play: async (member, options) => {
        const entry = activeEntry(member);
        return this.#play(normalizePlay(options), entry);
      },
      speak: async (member, options) => {
        const entry = activeEntry(member);
        return this.#speak(normalizeSpeak(options), entry);
      },
      audio: async (member, options) => {
        const entry = activeEntry(member);
        const audio = normalizeAudio(options);
        return audio.kind === 'play' ? this.#play(audio.request, entry) : this.#speak(audio.request, entry);
      },
      pressKey: async (member, key) => {
        const entry = activeEntry(member);
        if (typeof key !== 'string' || !(DTMF_KEYS as readonly string[]).includes(key)) {
          throw new InvalidArgumentError(`key must be one of ${DTMF_KEYS.join(' ')}, got ${JSON.stringify(key)}`);
        }
        await this.#request('pressKey', { conferenceId: this.id, member: entry.record.number, key });
      },
      relate: async (member, other, relationship) => {
        const entry = activeEntry(member);
        if (!(other instanceof Member) || other.conferenceId !== this.id) throw new InvalidArgumentError('other must be a member of the same conference');
        if (other === member) throw new InvalidArgumentError('a member cannot be related to itself');
        if (relationship !== 'deaf' && relationship !== 'mute' && relationship !== 'clear') {
          throw new InvalidArgumentError(`relationship must be 'deaf', 'mute' or 'clear', got ${JSON.stringify(relationship)}`);
        }
        const otherEntry = activeEntry(other);
        await this.#request('relate', { conferenceId: this.id, member: entry.record.number, other: otherEntry.record.number, relationship });
      },
      mixerState: async (member): Promise<MemberMixerState> => {
        const entry = activeEntry(member);
        return this.#request('getMember', { conferenceId: this.id, member: entry.record.number });
      },
      updateLeg: async (member, update) => {
        const entry = activeEntry(member);
        const leg = member.leg;
        if (!(leg instanceof RtpLeg)) throw new UnsupportedError(`member ${member.id} has a ${leg.kind} leg; only rtp legs can be updated`);
        const fields = checkFields(update, 'leg update');
        refuseUnknownFields(fields, new Set(['remoteAddress', 'remotePort', 'codec', 'telephoneEventPayloadType']), 'leg update');
        const change: RtpLegChange = {};
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
        await this.#changeRtpLeg(entry, leg, change);
      },
      stats: async (member) => {
        const entry = activeEntry(member);
        if (!(member.leg instanceof RtpLeg)) throw new UnsupportedError(`member ${member.id} has a ${member.leg.kind} leg; only rtp legs have media statistics`);
        return rtpLegStatsOf(await this.#request('memberStats', { conferenceId: this.id, member: entry.record.number }));
      },
    };
  }

  // Applies a peer or codec change to an RTP leg: the shard first, then the leg's record.
  async #changeRtpLeg(entry: MemberEntry, leg: RtpLeg, change: RtpLegChange): Promise<void> {
    if (Object.keys(change).length === 0) return;
    await this.#request('updateLeg', { conferenceId: this.id, member: entry.record.number, ...change });
    leg.applyUpdate(change);
  }

  #sdpLeg(entry: MemberEntry): RtpLeg {
    entry.member.assertActive();
    this.#assertOpen();
    const leg = entry.member.leg;
    if (!(leg instanceof RtpLeg)) throw new UnsupportedError(`member ${entry.member.id} has no RTP leg`);
    return leg;
  }

  #sdpApplyAnswer(entry: MemberEntry, session: SdpLegSession, answerSdp: unknown): Promise<void> {
    const leg = this.#sdpLeg(entry);
    return session.exclusive(async () => {
      // An answer that cannot work throws here, before anything changed.
      const { media, change } = session.readAnswer(answerSdp, leg.spec);
      await this.#changeRtpLeg(entry, leg, change);
      session.commitAnswer(answerSdp as string, media);
      await this.#applySdpFlags(entry, { mute: !media.receive, deaf: !media.send });
    });
  }

  #sdpReoffer(entry: MemberEntry, session: SdpLegSession, offerSdp: unknown): Promise<string> {
    const leg = this.#sdpLeg(entry);
    return session.exclusive(async () => {
      const { negotiation, change } = session.readReoffer(offerSdp, leg.spec);
      await this.#changeRtpLeg(entry, leg, change);
      const answer = session.commitReoffer(offerSdp as string, negotiation);
      const { negotiated } = negotiation;
      await this.#applySdpFlags(entry, { mute: !negotiated.receive, deaf: !negotiated.send });
      return answer;
    });
  }

  // Hold by SDP: mutes a peer that stopped sending, deafens one that stopped receiving, and undoes
  // only what it did itself (a flag the member or the app set stays).
  async #applySdpFlags(entry: MemberEntry, wanted: { mute: boolean; deaf: boolean }): Promise<void> {
    const { record } = entry;
    const changes: { mute?: boolean; deaf?: boolean } = {};
    if (wanted.mute && !record.mute) changes.mute = true;
    else if (!wanted.mute && entry.sdpMuted && record.mute) changes.mute = false;
    if (wanted.deaf && !record.deaf) changes.deaf = true;
    else if (!wanted.deaf && entry.sdpDeafened && record.deaf) changes.deaf = false;
    if (!wanted.mute) entry.sdpMuted = false;
    if (!wanted.deaf) entry.sdpDeafened = false;
    if (Object.keys(changes).length === 0) return;
    await this.#request('updateMember', { conferenceId: this.id, member: record.number, settings: changes });
    if (record.state === 'completed') return;
    if (changes.mute) entry.sdpMuted = true;
    if (changes.deaf) entry.sdpDeafened = true;
    Object.assign(record, changes);
    this.#afterMemberChange(entry, { ...changes, cause: 'sdp' });
  }
}

function facts(record: MemberRecord): { memberId: string; callId?: string } {
  return record.callId === undefined ? { memberId: record.id } : { memberId: record.id, callId: record.callId };
}

function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | null): void {
  if (value === null) delete target[key];
  else target[key] = value;
}

// The shard's flat figures, typed: RTCP ones only when present; a round trip of -1 is unknown.
function rtpLegStatsOf(raw: Record<string, number>): RtpLegStats {
  const stats: RtpLegStats = {
    localPort: raw.localPort ?? 0,
    packetsIn: raw.packetsIn ?? 0,
    bytesIn: raw.bytesIn ?? 0,
    packetsOut: raw.packetsOut ?? 0,
    bytesOut: raw.bytesOut ?? 0,
    droppedStranger: raw.droppedStranger ?? 0,
    droppedInvalid: raw.droppedInvalid ?? 0,
  };
  const optional = [
    'localRtcpPort', 'packetsReceived', 'bytesReceived', 'packetsSent', 'bytesSent', 'fractionLost', 'cumulativeLost', 'jitterMs',
    'reportsSent', 'reportsReceived', 'rtcpMalformed', 'remoteFractionLost', 'remoteCumulativeLost', 'remoteJitterMs',
  ] as const;
  for (const key of optional) if (typeof raw[key] === 'number') stats[key] = raw[key];
  if (typeof raw.rttMs === 'number') stats.rttMs = raw.rttMs < 0 ? null : raw.rttMs;
  return stats;
}

/** `appData` as given, or a fresh object; InvalidArgumentError when it is not an object. */
export function checkAppData(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError('appData must be an object');
  return value as Record<string, unknown>;
}
