// A conference's background sounds: hold music for held members and for members waiting for a
// moderator, the alone sound for a member on its own, and the locked and full sounds a refused
// leg hears. Each active member has at most one looping background sound, kept in step with the
// conference by refresh().
import type { LegJoin } from '../legs/LegKind.ts';
import type { ConferenceSounds } from './sounds.ts';
import type { Member } from './Member.ts';
import type { PlaybackRecord, PlaybackRegistry } from './PlaybackRegistry.ts';
import type { ConferenceChannel } from './shardLink.ts';
import type { SoundName } from './conferenceFields.ts';

/** What the background sounds need from their conference. */
export interface BackgroundOwner {
  /** The conference's channel to its shard. */
  readonly channel: ConferenceChannel;
  /** The conference's playbacks. */
  readonly playbacks: PlaybackRegistry;
  /** Its sounds. */
  readonly sounds: ConferenceSounds;
  /** Its members now in it. */
  readonly activeMembers: readonly Member[];
  /** Conference-wide hold. */
  readonly hold: boolean;
  /** True once the conference is completing. */
  readonly completing: boolean;
  /** A number for a hidden member (a refused leg hearing its refusal sound). */
  nextMemberNumber(): number;
}

const noop = (): void => {};

/** The looping sound of each member, and the refusal sounds. */
export class BackgroundSounds {
  readonly #owner: BackgroundOwner;
  readonly #playing = new Map<Member, { sound: SoundName; playback: PlaybackRecord }>();
  #refreshing = false;
  #refreshAgain = false;

  /** The background sounds of one conference. */
  constructor(owner: BackgroundOwner) {
    this.#owner = owner;
  }

  /** The member left: its sound is over (its playbacks are finished by the registry). */
  forget(member: Member): void {
    this.#playing.delete(member);
  }

  /**
   * Starts and stops each member's looping moh/alone sound to match the conference. Coalesced:
   * a call during a pass asks for one more pass.
   */
  refresh(): void {
    this.#refreshAgain = true;
    if (this.#refreshing) return;
    this.#refreshing = true;
    void (async () => {
      try {
        while (this.#refreshAgain && !this.#owner.completing) {
          this.#refreshAgain = false;
          await this.#refreshOnce();
        }
      } catch {
        // A failed start only means silence; the next change tries again.
      } finally {
        this.#refreshing = false;
      }
    })();
  }

  /** The refused leg joins as a hidden, held member just long enough to hear the sound. */
  async playRefusal(join: LegJoin, intervalMs: number, sound: Int16Array): Promise<void> {
    const { channel, playbacks } = this.#owner;
    const number = this.#owner.nextMemberNumber();
    try {
      const { spec, transfer } = join.wire(intervalMs);
      await channel.request('addMember', { member: number, settings: { hold: true, mute: true }, leg: spec as never }, transfer);
    } catch {
      join.abandon();
      return;
    }
    try {
      const playback = await playbacks.start(sound, { kind: 'internal', memberNumber: number, loop: false });
      await playback.whenDone;
    } catch {
      // The conference may have completed meanwhile; the leg closes all the same.
    } finally {
      if (!this.#owner.completing) await channel.request('removeMember', { member: number }).catch(noop);
      join.discard();
    }
  }

  #soundFor(member: Member): SoundName | null {
    const named = this.#owner.sounds.named;
    const { memberRecord: record } = member;
    if (record.waiting || record.hold || this.#owner.hold) return named.mohSound ? 'mohSound' : null;
    if (this.#owner.activeMembers.length === 1) return named.aloneSound ? 'aloneSound' : named.mohSound ? 'mohSound' : null;
    return null;
  }

  async #refreshOnce(): Promise<void> {
    const { playbacks } = this.#owner;
    for (const member of [...this.#owner.activeMembers]) {
      if (this.#owner.completing) return;
      const want = member.closed ? null : this.#soundFor(member);
      const have = this.#playing.get(member);
      if (have && have.sound === want && !have.playback.finished) continue;
      if (have) {
        this.#playing.delete(member);
        await playbacks.stop(have.playback);
      }
      if (!want) continue;
      const pcm = this.#owner.sounds.named[want];
      const playback = pcm ? await playbacks.playInternal(pcm, member.memberRecord.number, true) : null;
      if (!playback) continue;
      if (!member.closed) this.#playing.set(member, { sound: want, playback });
      else await playbacks.stop(playback);
    }
  }
}
