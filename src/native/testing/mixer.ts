// Typed view of the testing addon's MixerConference: one conference's mixing core, driven tick by tick.
import { addon } from './addon.ts';
import type {
  NativeConferenceOptions,
  DtmfKey,
  NativeConferenceState,
  NativeMemberSettings,
  NativeMemberState,
  NativeMixerEvent,
  NativePlaybackOptions,
  NativeRelationship,
} from '../mixer.ts';
import { callNative } from '../call.ts';

export * from '../mixer.ts';

interface RawMixerConference {
  addMember(id: number, settings?: NativeMemberSettings): void;
  removeMember(id: number): void;
  setMember(id: number, settings: NativeMemberSettings): void;
  getMember(id: number): NativeMemberState;
  setConference(settings: { mute?: boolean; hold?: boolean }): void;
  getConference(): NativeConferenceState;
  pushFrame(id: number, frame: Int16Array): void;
  pressKey(id: number, key: string): void;
  relate(id: number, other: number, relationship: NativeRelationship): void;
  startPlayback(id: number, pcm: Int16Array, options?: NativePlaybackOptions): void;
  stopPlayback(id: number): void;
  tick(): void;
  readFrame(id: number): Int16Array;
  drainEvents(): NativeMixerEvent[];
}

const RawMixerConference = addon.MixerConference as new (options: NativeConferenceOptions) => RawMixerConference;

/**
 * One conference's native mixing core. Drive it one tick at a time: pushFrame() for each member
 * that has audio, tick(), then readFrame() for each member and drainEvents().
 */
export class NativeConference {
  readonly #raw: RawMixerConference;

  /** Builds the conference; throws InvalidArgumentError for a bad option. */
  constructor(options: NativeConferenceOptions) {
    this.#raw = callNative(() => new RawMixerConference(options));
  }

  /** Adds a member with a caller-chosen id (InvalidStateError if the id is taken). */
  addMember(id: number, settings?: NativeMemberSettings): void {
    callNative(() => this.#raw.addMember(id, settings));
  }

  /** Removes a member (NotFoundError if unknown). */
  removeMember(id: number): void {
    callNative(() => this.#raw.removeMember(id));
  }

  /** Changes some of a member's settings; a 'changed' event follows for each value that changed. */
  setMember(id: number, settings: NativeMemberSettings): void {
    callNative(() => this.#raw.setMember(id, settings));
  }

  /** A member's settings and last-tick state. */
  getMember(id: number): NativeMemberState {
    return callNative(() => this.#raw.getMember(id));
  }

  /** Conference-wide mute and hold, on top of each member's own flags. */
  setConference(settings: { mute?: boolean; hold?: boolean }): void {
    callNative(() => this.#raw.setConference(settings));
  }

  /** The conference's configuration and live state. */
  getConference(): NativeConferenceState {
    return callNative(() => this.#raw.getConference());
  }

  /** Queues a member's frame (Int16Array of one interval) for the next tick; one per tick. */
  pushFrame(id: number, frame: Int16Array): void {
    callNative(() => this.#raw.pushFrame(id, frame));
  }

  /** A DTMF key from a member. */
  pressKey(id: number, key: DtmfKey): void {
    callNative(() => this.#raw.pressKey(id, key));
  }

  /** Relates member `id` to `other`: its output (or the other's, for 'mute') leaves the other out from the next tick. */
  relate(id: number, other: number, relationship: NativeRelationship): void {
    callNative(() => this.#raw.relate(id, other, relationship));
  }

  /**
   * Plays `pcm` (mono at the conference rate; copied once) from the next tick, to the whole
   * conference or to `options.member` alone. A 'playback-done' event follows when it ends.
   * InvalidArgumentError for bad arguments or empty PCM, InvalidStateError for an id already
   * playing, NotFoundError for an unknown member.
   */
  startPlayback(id: number, pcm: Int16Array, options?: NativePlaybackOptions): void {
    callNative(() => this.#raw.startPlayback(id, pcm, options));
  }

  /** Stops a playing playback now; a 'playback-done' event with reason 'stopped' follows (NotFoundError if none). */
  stopPlayback(id: number): void {
    callNative(() => this.#raw.stopPlayback(id));
  }

  /** Mixes one tick from the queued frames. */
  tick(): void {
    callNative(() => this.#raw.tick());
  }

  /** A copy of what the member heard on the last tick. */
  readFrame(id: number): Int16Array {
    return callNative(() => this.#raw.readFrame(id));
  }

  /** Every event raised since the last drain, oldest first. */
  drainEvents(): NativeMixerEvent[] {
    return callNative(() => this.#raw.drainEvents());
  }
}
