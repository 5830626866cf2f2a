// The Kazoo conferences service: stored documents (through a DocumentStore) and the live
// conferences they start on the engine, scoped by account. The routes call it; it knows no HTTP
// beyond the KazooError it throws.
import type { Engine, Member, ConferenceOptions, SdpJoin } from '../../index.ts';
import { ConfmixError, JoinRefusedError } from '../../index.ts';
import type { DocumentStore, StoredDocument } from '../../store/DocumentStore.ts';
import { mergeDocument, validateConferenceDocument } from './conferenceDocument.ts';
import type { ValidationErrors } from './conferenceDocument.ts';
import { KazooError } from './envelope.ts';
import { act, LiveConference } from './liveConference.ts';
import type { KazooParticipant, LiveParticipant, ParticipantEvent } from './liveConference.ts';

/** The store collection of conference documents. */
export const CONFERENCES = 'conferences';

/** The relationships `relate` takes. */
export const RELATIONSHIPS = ['deaf', 'mute', 'clear'] as const;

/** A participant action on one or all participants. */
export type ParticipantAction = 'mute' | 'unmute' | 'deaf' | 'undeaf' | 'kick';

// Profile keys the engine runs with (the rest are this layer's: announce-count, the control maps).
const ENGINE_PROFILE_KEYS = ['rate', 'interval', 'energy-level', 'comfort-noise', 'max-members', 'max-members-sound', 'enter-sound', 'exit-sound', 'moh-sound', 'alone-sound', 'muted-sound', 'unmuted-sound', 'locked-sound'];
const ENGINE_TOP_KEYS = ['name', 'max_participants', 'wait_for_moderator', 'play_entry_tone', 'play_exit_tone', 'max_members_media'];

/** A join: media (an SDP offer or an RTP leg), an optional pin, an optional call id. */
export interface JoinRequest {
  sdp?: string;
  rtp?: Record<string, unknown>;
  pin?: string;
  moderator?: boolean;
  call_id?: string;
}

/** The engine options a document starts its conference with. */
export function engineOptionsOf(document: Record<string, unknown>, accountId: string, documentId: string): ConferenceOptions {
  const options: Record<string, unknown> = { appData: { kazooAccountId: accountId, kazooConferenceId: documentId } };
  for (const key of ENGINE_TOP_KEYS) if (document[key] !== undefined) options[key] = document[key];
  for (const role of ['member', 'moderator'] as const) {
    const r = document[role] as Record<string, unknown> | undefined;
    if (r) options[role] = { join_muted: r.join_muted, join_deaf: r.join_deaf };
  }
  const profile = document.profile as Record<string, unknown> | undefined;
  if (profile) {
    const engineProfile: Record<string, unknown> = {};
    for (const key of ENGINE_PROFILE_KEYS) if (profile[key] !== undefined) engineProfile[key] = profile[key];
    options.profile = engineProfile;
  }
  return options as ConferenceOptions;
}

/** Kazoo's conferences for every account, over one engine and one store. */
export class KazooConferences {
  readonly #engine: Engine;
  readonly #store: DocumentStore;
  readonly #live = new Map<string, LiveConference>();
  readonly #starting = new Map<string, Promise<LiveConference>>();
  readonly #listeners = new Set<(event: ParticipantEvent) => void>();
  readonly #recordings = new Set<Promise<void>>();

  constructor(engine: Engine, store: DocumentStore) {
    this.#engine = engine;
    this.#store = store;
  }

  /** Called at start: a live conference does not survive a restart, so any left 'live' is completed. */
  async recover(): Promise<number> {
    return this.#store.completeAllLive('restart', Date.now());
  }

  /** Listens to every participant event; returns the removal. */
  onEvent(listener: (event: ParticipantEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The live conference of a document, if it runs. */
  live(accountId: string, documentId: string): LiveConference | undefined {
    return this.#live.get(`${accountId}/${documentId}`);
  }

  /** Every document of an account with its `_read_only` figures. */
  async list(accountId: string): Promise<Record<string, unknown>[]> {
    const documents = await this.#store.list(accountId, CONFERENCES);
    return documents.map((d) => {
      const { member, moderator, name, owner_id: ownerId } = d.data;
      return { id: d.id, name, owner_id: ownerId, member, moderator, _read_only: this.#figures(accountId, d.id) };
    });
  }

  /** One document with `_read_only`, its live participants, and what became of its last live conference. */
  async read(accountId: string, id: string): Promise<{ document: Record<string, unknown>; revision: string }> {
    const stored = await this.#document(accountId, id);
    const live = this.live(accountId, id);
    const readOnly: Record<string, unknown> = { ...this.#figures(accountId, id), participants: live ? await live.views() : [] };
    const last = await this.#store.lastLive(accountId, id);
    if (last) {
      readOnly.conference = {
        state: last.state,
        started_time: Math.floor(last.startedMs / 1000),
        ...(last.completedMs !== undefined ? { completed_time: Math.floor(last.completedMs / 1000) } : {}),
        ...(last.reason !== undefined ? { reason: last.reason } : {}),
      };
    }
    return { document: { ...stored.data, id, _read_only: readOnly }, revision: stored.revision };
  }

  /** Creates a document (PUT /conferences). */
  async create(accountId: string, data: Record<string, unknown>): Promise<StoredDocument> {
    return this.#store.create(accountId, CONFERENCES, checked(data));
  }

  /** Replaces a document (POST /conferences/{id}); a live conference keeps the settings it started with. */
  async replace(accountId: string, id: string, data: Record<string, unknown>): Promise<StoredDocument> {
    await this.#document(accountId, id);
    const stored = await this.#store.replace(accountId, CONFERENCES, id, checked(data));
    if (!stored) throw KazooError.notFound('conference', id);
    return stored;
  }

  /** Merges fields into a document (PATCH /conferences/{id}). */
  async patch(accountId: string, id: string, data: Record<string, unknown>): Promise<StoredDocument> {
    const current = await this.#document(accountId, id);
    const stored = await this.#store.replace(accountId, CONFERENCES, id, checked(mergeDocument(current.data, data)));
    if (!stored) throw KazooError.notFound('conference', id);
    return stored;
  }

  /** Deletes a document; its live conference completes. */
  async delete(accountId: string, id: string): Promise<void> {
    await this.#document(accountId, id);
    const live = this.live(accountId, id);
    if (live) await this.#complete(live, 'deleted');
    await this.#store.delete(accountId, CONFERENCES, id);
  }

  /** Joins a participant: the pin picks the role; the first join starts the conference. */
  async join(accountId: string, id: string, request: JoinRequest): Promise<{ participant: KazooParticipant; sdp?: string }> {
    const stored = await this.#document(accountId, id);
    const document = stored.data;
    if (request.sdp === undefined && request.rtp === undefined) {
      throw KazooError.invalid({ sdp: { required: { message: 'a participant joins with media here: give sdp (an SDP offer) or rtp (a plain RTP leg)' } } });
    }
    const isModerator = roleOf(document, request);
    const live = await this.#start(accountId, id, document);
    if (document.require_moderator === true && !isModerator && live.admins === 0) {
      if (live.participants.size === 0) void this.#complete(live, 'no-moderator');
      throw new KazooError(409, 'ERR_KAZOO_MODERATOR_REQUIRED', 'moderator required', { message: 'this conference requires a moderator: members join once a moderator is in it' });
    }
    const fields: Record<string, unknown> = { role: isModerator ? 'moderator' : 'member', ...(request.call_id ? { callId: request.call_id } : {}) };
    let member: Member;
    let sdp: string | undefined;
    try {
      if (request.sdp !== undefined) {
        const joined = (await live.conference.addMember({ ...fields, sdp: request.sdp, ...(request.rtp ? { rtp: request.rtp } : {}) } as never)) as unknown as SdpJoin;
        member = joined.member;
        sdp = joined.sdp;
      } else {
        member = (await live.conference.addMember({ ...fields, leg: { ...request.rtp, kind: 'rtp' } } as never)) as unknown as Member;
      }
    } catch (error) {
      if (live.participants.size === 0 && !live.conference.closed) void this.#complete(live, 'join-failed');
      throw joinError(error);
    }
    // Every control map a document may name ('default', 'moderator-default') adds the moderator keys.
    const participant = live.adopt(member, isModerator, true);
    void this.#announceCount(live, document);
    return { participant: live.view(participant), ...(sdp !== undefined ? { sdp } : {}) };
  }

  /** The live participants of a document ([] when it is not running). */
  async participants(accountId: string, id: string): Promise<KazooParticipant[]> {
    await this.#document(accountId, id);
    return (await this.live(accountId, id)?.views()) ?? [];
  }

  /** One live participant. */
  async participant(accountId: string, id: string, participantId: string): Promise<KazooParticipant> {
    const { live, participant } = await this.#participant(accountId, id, participantId);
    const energy = await participant.member.getMixerState().then((s) => s.energy, () => participant.member.energy);
    return live.view(participant, energy);
  }

  /** A conference action: lock, unlock, play (media_id), dial (unsupported here). */
  async conferenceAction(accountId: string, id: string, action: unknown, data: Record<string, unknown>): Promise<string> {
    await this.#document(accountId, id);
    if (action === 'dial') {
      throw new KazooError(501, 'ERR_KAZOO_UNSUPPORTED', 'dial is not supported', { action: { enum: { message: 'confmix places no calls (it has no SIP): participants join by PUT /participants with an SDP offer or an RTP leg' } } });
    }
    if (action !== 'lock' && action !== 'unlock' && action !== 'play') throw KazooError.invalid({ action: { enum: { message: 'Value not found in enumerated list of values: lock, unlock, play, dial', target: ['lock', 'unlock', 'play', 'dial'] } } });
    const live = this.#running(accountId, id);
    if (action === 'lock') await live.conference.lock();
    else if (action === 'unlock') await live.conference.unlock();
    else await live.conference.play({ fileUrl: mediaOf(data) });
    return action === 'play' ? 'playing media' : `conference ${action}ed`;
  }

  /** An action on every participant: mute, unmute, deaf, undeaf (moderators skipped), kick (all), relate. */
  async participantsAction(accountId: string, id: string, action: unknown, data: Record<string, unknown>): Promise<string> {
    await this.#document(accountId, id);
    if (action === 'relate') return this.#relate(accountId, id, data);
    if (!isBulk(action)) throw KazooError.invalid({ action: { enum: { message: 'Value not found in enumerated list of values: mute, unmute, deaf, undeaf, kick, relate', target: ['mute', 'unmute', 'deaf', 'undeaf', 'kick', 'relate'] } } });
    const live = this.#running(accountId, id);
    const n = await live.bulk(action);
    return `${action} sent to ${n} participants`;
  }

  /** An action on one participant: mute, unmute, deaf, undeaf, kick, play. */
  async participantAction(accountId: string, id: string, participantId: string, action: unknown, data: Record<string, unknown>): Promise<string> {
    if (!isBulk(action) && action !== 'play') throw KazooError.invalid({ action: { enum: { message: 'Value not found in enumerated list of values: mute, unmute, deaf, undeaf, kick, play', target: ['mute', 'unmute', 'deaf', 'undeaf', 'kick', 'play'] } } });
    const { participant } = await this.#participant(accountId, id, participantId);
    if (action === 'play') await participant.member.play({ fileUrl: mediaOf(data) });
    else await act(participant.member, action);
    return action === 'play' ? 'playing media' : `${action} sent`;
  }

  /** Waits for the store writes of conferences that started or completed. */
  async settle(): Promise<void> {
    await Promise.all([...this.#recordings]);
  }

  async #relate(accountId: string, id: string, data: Record<string, unknown>): Promise<string> {
    const errors: ValidationErrors = {};
    for (const key of ['participant_id', 'other_participant']) {
      const v = data[key];
      if (v === undefined) errors[key] = { required: { message: 'Field is required but missing' } };
      else if (!(typeof v === 'number' && Number.isInteger(v)) && !(typeof v === 'string' && /^\d+$/.test(v))) errors[key] = { type: { message: 'Value is not of type string or integer', target: ['string', 'integer'] } };
    }
    const relationship = data.relationship ?? 'clear';
    if (!RELATIONSHIPS.includes(relationship as never)) errors.relationship = { enum: { message: 'Value not found in enumerated list of values: deaf, clear, mute', target: [...RELATIONSHIPS] } };
    if (Object.keys(errors).length > 0) throw KazooError.invalid(errors);
    const live = this.#running(accountId, id);
    const first = live.participant(String(data.participant_id));
    const other = live.participant(String(data.other_participant));
    if (first === other) throw KazooError.invalid({ other_participant: { unique: { message: 'a participant cannot be related to itself' } } });
    await first.member.relate(other.member, relationship as (typeof RELATIONSHIPS)[number]);
    return 'relating participants';
  }

  async #participant(accountId: string, id: string, participantId: string): Promise<{ live: LiveConference; participant: LiveParticipant }> {
    await this.#document(accountId, id);
    const live = this.live(accountId, id);
    if (!live) throw KazooError.notFound('participant', participantId);
    return { live, participant: live.participant(participantId) };
  }

  #running(accountId: string, id: string): LiveConference {
    const live = this.live(accountId, id);
    if (!live) throw new KazooError(409, 'ERR_KAZOO_NOT_RUNNING', 'conference not running', { message: `conference ${id} has no participants: it starts when the first one joins` });
    return live;
  }

  async #document(accountId: string, id: string): Promise<StoredDocument> {
    const stored = await this.#store.get(accountId, CONFERENCES, id);
    if (!stored) throw KazooError.notFound('conference', id);
    return stored;
  }

  #figures(accountId: string, id: string): { members: number; admins: number; duration: number; is_locked: boolean } {
    return this.live(accountId, id)?.figures() ?? { members: 0, admins: 0, duration: 0, is_locked: false };
  }

  // One live conference per document, even when joins race to start it.
  async #start(accountId: string, id: string, document: Record<string, unknown>): Promise<LiveConference> {
    const key = `${accountId}/${id}`;
    const running = this.#live.get(key);
    if (running && !running.conference.closed) return running;
    let starting = this.#starting.get(key);
    if (!starting) {
      starting = (async () => {
        let conference;
        try {
          conference = await this.#engine.createConference(engineOptionsOf(document, accountId, id));
        } catch (error) {
          throw joinError(error);
        }
        const live = new LiveConference({ accountId, documentId: id, name: typeof document.name === 'string' ? document.name : id, conference, publish: (event) => this.#publish(event) });
        this.#live.set(key, live);
        this.#record(this.#store.recordLive({ accountId, documentId: id, state: 'live', startedMs: live.startedMs }));
        conference.once('close', (reason) => {
          if (this.#live.get(key) === live) this.#live.delete(key);
          this.#record(this.#store.recordLive({ accountId, documentId: id, state: 'completed', startedMs: live.startedMs, completedMs: Date.now(), reason: live.endReason ?? reason }));
        });
        return live;
      })().finally(() => this.#starting.delete(key));
      this.#starting.set(key, starting);
    }
    return starting;
  }

  #record(write: Promise<void>): void {
    const tracked = write.catch(() => undefined).finally(() => this.#recordings.delete(tracked));
    this.#recordings.add(tracked);
  }

  async #complete(live: LiveConference, reason: string): Promise<void> {
    live.endReason = reason;
    await live.conference.update({ state: 'completed' }).catch(() => undefined);
  }

  #publish(event: ParticipantEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  // announce-count: past the threshold, every join speaks the new count to the conference.
  async #announceCount(live: LiveConference, document: Record<string, unknown>): Promise<void> {
    const threshold = (document.profile as Record<string, unknown> | undefined)?.['announce-count'];
    const count = live.participants.size;
    if (typeof threshold !== 'number' || threshold <= 0 || count <= threshold) return;
    await live.conference.speak({ sentence: `There are ${count} participants in the conference.`, tag: 'announce-count' }).catch(() => undefined);
  }
}

function checked(data: Record<string, unknown>): Record<string, unknown> {
  const result = validateConferenceDocument(data);
  if ('errors' in result) throw KazooError.invalid(result.errors);
  return result.document;
}

function isBulk(action: unknown): action is ParticipantAction {
  return action === 'mute' || action === 'unmute' || action === 'deaf' || action === 'undeaf' || action === 'kick';
}

function mediaOf(data: Record<string, unknown>): string {
  const media = data.media_id;
  if (typeof media !== 'string' || media === '') throw KazooError.invalid({ media_id: { required: { message: 'media_id (a WAV path or http(s)/file URL) is required' } } });
  return media;
}

// Pins pick the role: a moderator pin makes a moderator, a member pin a member, any other pin is
// refused; without pins on the document none is needed (and `moderator: true` names the role).
function roleOf(document: Record<string, unknown>, request: JoinRequest): boolean {
  const pinsOf = (role: 'member' | 'moderator'): string[] => ((document[role] as { pins?: string[] } | undefined)?.pins ?? []);
  const moderatorPins = pinsOf('moderator');
  const memberPins = pinsOf('member');
  if (request.pin !== undefined) {
    if (moderatorPins.includes(request.pin)) return true;
    if (memberPins.includes(request.pin)) return false;
    throw new KazooError(403, 'ERR_KAZOO_BAD_PIN', 'invalid pin', { pin: { invalid: { message: 'the pin matches neither a member nor a moderator pin of this conference' } } });
  }
  if (request.moderator === true) {
    if (moderatorPins.length > 0) throw new KazooError(403, 'ERR_KAZOO_BAD_PIN', 'pin required', { pin: { required: { message: 'this conference has moderator pins: a moderator joins with one' } } });
    return true;
  }
  if (memberPins.length > 0 || moderatorPins.length > 0) throw new KazooError(403, 'ERR_KAZOO_BAD_PIN', 'pin required', { pin: { required: { message: 'this conference has pins: join with one' } } });
  return false;
}

// Engine refusals keep their reason; bad media is the request's fault.
function joinError(error: unknown): unknown {
  if (error instanceof KazooError) return error;
  if (error instanceof JoinRefusedError) return new KazooError(409, error.code, `join refused: ${error.reason}`, { reason: error.reason, message: error.message });
  if (error instanceof ConfmixError && (error.code === 'ERR_INVALID_ARGUMENT' || error.code === 'ERR_SDP' || error.code === 'ERR_UNSUPPORTED' || error.code.startsWith('ERR_SDP'))) {
    return new KazooError(400, error.code, 'invalid data', { media: { invalid: { message: error.message } } });
  }
  return error;
}
