// A live conference run from a stored Kazoo document: the first participant joining starts it on
// the engine with the document's settings, the last one leaving completes it. Participants get
// Kazoo's integer ids (unique within the conference) and Kazoo's view (`speak`, `hear`,
// `is_moderator`, …); their changes become Kazoo's participant events.
import type { Conference, Member } from '../../index.ts';
import { KazooError } from './envelope.ts';

/** A participant as Kazoo shows it in `_read_only.participants` and in its events. */
export interface KazooParticipant {
  participant_id: number;
  call_id: string;
  conference_id: string;
  conference_name: string;
  conference_uuid: string;
  switch_hostname: string;
  is_moderator: boolean;
  speak: boolean;
  hear: boolean;
  talking: boolean;
  floor: boolean;
  mute_detect: boolean;
  video: boolean;
  energy_level: number;
  current_energy: number;
  /** Joined, seconds since the Unix epoch. */
  join_time: number;
  /** Seconds in the conference. */
  duration: number;
}

/** Kazoo's participant event names. */
export type ParticipantEventName = 'add-member' | 'del-member' | 'start-talking' | 'stop-talking' | 'mute-member' | 'unmute-member' | 'deaf-member' | 'undeaf-member';

/** One participant event, for the WebSocket subscribers of its conference. */
export interface ParticipantEvent {
  /** The account it belongs to. */
  accountId: string;
  /** The document's id. */
  conferenceId: string;
  /** Its name. */
  event: ParticipantEventName;
  /** The participant as it is after the event. */
  participant: KazooParticipant;
}

/** One participant of a live conference. */
export interface LiveParticipant {
  /** Kazoo's participant id. */
  readonly participantId: number;
  /** The engine member. */
  readonly member: Member;
  /** Joined with a moderator pin (or as the moderator of a conference without pins). */
  readonly isModerator: boolean;
  /** When it joined, ms since the epoch. */
  readonly joinedMs: number;
}

/** How long two presses of one key count as a double press of a moderator control, ms. */
export const DOUBLE_PRESS_MS = 2000;

/** A live conference of a document. */
export class LiveConference {
  /** The account. */
  readonly accountId: string;
  /** The document's id. */
  readonly documentId: string;
  /** The document's name. */
  readonly name: string;
  /** The engine conference. */
  readonly conference: Conference;
  /** When it started, ms since the epoch. */
  readonly startedMs: number;
  /** Why this layer completed it ('deleted', 'no-moderator', …), when it did. */
  endReason: string | undefined;
  /** Participants now in it, by participant id. */
  readonly participants = new Map<number, LiveParticipant>();
  readonly #publish: (event: ParticipantEvent) => void;
  #nextParticipantId = 1;
  #lastModeratorKey = new Map<number, { key: string; atMs: number }>();

  constructor(options: { accountId: string; documentId: string; name: string; conference: Conference; publish: (event: ParticipantEvent) => void }) {
    this.accountId = options.accountId;
    this.documentId = options.documentId;
    this.name = options.name;
    this.conference = options.conference;
    this.startedMs = Date.now();
    this.#publish = options.publish;
  }

  /** Moderators in it now. */
  get admins(): number {
    let n = 0;
    for (const p of this.participants.values()) if (p.isModerator) n++;
    return n;
  }

  /** Kazoo's `_read_only` figures (participants added by the caller when wanted). */
  figures(): { members: number; admins: number; duration: number; is_locked: boolean } {
    const admins = this.admins;
    return { members: this.participants.size - admins, admins, duration: Math.floor((Date.now() - this.startedMs) / 1000), is_locked: this.conference.locked };
  }

  /** Takes a member that just joined: gives it a participant id and follows its events. */
  adopt(member: Member, isModerator: boolean, moderatorControls: boolean): LiveParticipant {
    const participant: LiveParticipant = { participantId: this.#nextParticipantId++, member, isModerator, joinedMs: Date.now() };
    this.participants.set(participant.participantId, participant);
    member.on('talking', (payload) => this.#emit(participant, payload.status === 'start' ? 'start-talking' : 'stop-talking'));
    member.on('change', (change) => {
      if (change.mute !== undefined) this.#emit(participant, change.mute ? 'mute-member' : 'unmute-member');
      if (change.deaf !== undefined) this.#emit(participant, change.deaf ? 'deaf-member' : 'undeaf-member');
    });
    if (isModerator && moderatorControls) member.on('dtmf', (payload) => void this.#moderatorKey(participant, payload.dtmfDigit));
    member.once('close', () => {
      this.participants.delete(participant.participantId);
      this.#lastModeratorKey.delete(participant.participantId);
      this.#emit(participant, 'del-member');
    });
    this.#emit(participant, 'add-member');
    return participant;
  }

  /** A participant by Kazoo id, or 404. */
  participant(id: unknown): LiveParticipant {
    const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
    const participant = typeof n === 'number' ? this.participants.get(n) : undefined;
    if (!participant) throw KazooError.notFound('participant', String(id));
    return participant;
  }

  /** A participant as Kazoo shows it; `energy` is its live score when known. */
  view(participant: LiveParticipant, energy = participant.member.energy): KazooParticipant {
    const { member } = participant;
    return {
      participant_id: participant.participantId,
      call_id: member.callId ?? member.id,
      conference_id: this.documentId,
      conference_name: this.name,
      conference_uuid: this.conference.id,
      switch_hostname: 'confmix',
      is_moderator: participant.isModerator,
      speak: !member.mute && !member.hold,
      hear: !member.deaf && !member.hold,
      talking: member.talking,
      floor: false,
      mute_detect: false,
      video: false,
      energy_level: member.energyLevel,
      current_energy: energy,
      join_time: Math.floor(participant.joinedMs / 1000),
      duration: Math.floor((Date.now() - participant.joinedMs) / 1000),
    };
  }

  /** Every participant with its live energy from the mixer. */
  async views(): Promise<KazooParticipant[]> {
    const list = [...this.participants.values()];
    const energies = await Promise.all(list.map((p) => p.member.getMixerState().then((s) => s.energy, () => p.member.energy)));
    return list.map((p, i) => this.view(p, energies[i]));
  }

  /** `mute`, `unmute`, `deaf`, `undeaf` on every participant but moderators; `kick` on all. */
  async bulk(action: 'mute' | 'unmute' | 'deaf' | 'undeaf' | 'kick'): Promise<number> {
    const targets = [...this.participants.values()].filter((p) => action === 'kick' || !p.isModerator);
    await Promise.all(targets.map((p) => act(p.member, action)));
    return targets.length;
  }

  #emit(participant: LiveParticipant, event: ParticipantEventName): void {
    this.#publish({ accountId: this.accountId, conferenceId: this.documentId, event, participant: this.view(participant) });
  }

  // The moderator map: a double press of `*` toggles the lock, of `0` mutes (or unmutes) every
  // member. Each single press still does its member action, and the second undoes the first.
  async #moderatorKey(participant: LiveParticipant, key: string): Promise<void> {
    const last = this.#lastModeratorKey.get(participant.participantId);
    const now = Date.now();
    if (last && last.key === key && now - last.atMs <= DOUBLE_PRESS_MS && (key === '*' || key === '0')) {
      this.#lastModeratorKey.delete(participant.participantId);
      if (key === '*') await (this.conference.locked ? this.conference.unlock() : this.conference.lock()).catch(() => undefined);
      else {
        const members = [...this.participants.values()].filter((p) => !p.isModerator);
        const anyUnmuted = members.some((p) => !p.member.mute);
        await Promise.all(members.map((p) => act(p.member, anyUnmuted ? 'mute' : 'unmute')));
      }
      return;
    }
    this.#lastModeratorKey.set(participant.participantId, { key, atMs: now });
  }
}

/** One participant action on an engine member. */
export async function act(member: Member, action: 'mute' | 'unmute' | 'deaf' | 'undeaf' | 'kick'): Promise<void> {
  if (member.closed) return;
  switch (action) {
    case 'mute':
      return member.update({ mute: true }).catch(ignoreClosed);
    case 'unmute':
      return member.update({ mute: false }).catch(ignoreClosed);
    case 'deaf':
      return member.update({ deaf: true }).catch(ignoreClosed);
    case 'undeaf':
      return member.update({ deaf: false }).catch(ignoreClosed);
    case 'kick':
      return member.update({ state: 'completed' }).catch(ignoreClosed);
  }
}

// A member that left between the list and the call is already where the action would put it.
function ignoreClosed(error: unknown): void {
  if ((error as { code?: string }).code === 'ERR_INVALID_STATE') return;
  throw error;
}
