// A conference's playbacks: numbers them, starts and stops them on the shard, matches the shard's
// playback-done events to them, and reports the user's ones (`conference-playback`,
// `conference-speak`). Tones and profile sounds play here too, silently: a failure means silence.
import { loadAudio } from '../audio/audioSource.ts';
import { synthesizeSpeech } from '../audio/speech.ts';
import type { SpeechOptions } from '../audio/speech.ts';
import type { PlayRequest, SpeakRequest } from '../audio/requests.ts';
import { Playback } from './Playback.ts';
import type { PlaybackDoneReason, PlaybackKind } from './PlaybackTypes.ts';
import type { ConferenceChannel } from './shardLink.ts';

/** One playback on the shard. */
export interface PlaybackRecord {
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

/** What the registry needs from its conference. */
export interface PlaybackOwner {
  /** The conference's channel to its shard. */
  readonly channel: ConferenceChannel;
  /** Sample rate of the PCM it plays. */
  readonly rate: number;
  /** Default fetch timeout of play(), ms. */
  readonly audioTimeoutMs: number;
  /** How speech is synthesized. */
  readonly speech: SpeechOptions;
  /** True once the conference is completing: nothing new starts, nothing is sent. */
  readonly completing: boolean;
  /** Throws unless the conference and, if given, the member are still active. */
  assertActive(memberNumber?: number): void;
  /** The id of the member with this number (completed ones too). */
  memberIdOf(memberNumber: number): string | undefined;
  /** A user playback started or is done: the conference reports it. */
  reportPlayback(kind: PlaybackKind, status: 'started' | 'done', tag: string | undefined, memberNumber: number | undefined): void;
}

const noop = (): void => {};

/** Every playback of one conference. */
export class PlaybackRegistry {
  readonly #owner: PlaybackOwner;
  readonly #playbacks = new Map<number, PlaybackRecord>();
  #nextNumber = 1;

  /** A registry for one conference. */
  constructor(owner: PlaybackOwner) {
    this.#owner = owner;
  }

  /** Plays a file (`fileUrl: ''` stops this target's file playbacks and resolves null). */
  async play(request: PlayRequest, memberNumber: number | undefined): Promise<Playback | null> {
    if (request.fileUrl === '') {
      await this.stopKind('file', memberNumber);
      return null;
    }
    const pcm = await loadAudio({ fileUrl: request.fileUrl }, this.#owner.rate, { timeoutMs: request.timeoutMs ?? this.#owner.audioTimeoutMs });
    return this.#startUser(pcm, 'file', request.loopEnabled, request.tag, memberNumber);
  }

  /** Speaks a sentence (`sentence: ''` stops this target's speech and resolves null). */
  async speak(request: SpeakRequest, memberNumber: number | undefined): Promise<Playback | null> {
    if (request.sentence === '') {
      await this.stopKind('speech', memberNumber);
      return null;
    }
    const speech: { sentence: string; voice?: string; gender: 'male' | 'female'; locale?: string } = {
      sentence: request.sentence,
      gender: request.gender ?? 'female',
    };
    if (request.voice !== undefined) speech.voice = request.voice;
    if (request.locale !== undefined) speech.locale = request.locale;
    const pcm = await synthesizeSpeech(speech, this.#owner.rate, this.#owner.speech);
    return this.#startUser(pcm, 'speech', false, request.tag, memberNumber);
  }

  /** A tone or profile sound: no events, and a failure only means silence (null). */
  async playInternal(pcm: Int16Array, memberNumber?: number, loop = false): Promise<PlaybackRecord | null> {
    if (this.#owner.completing) return null;
    try {
      return await this.start(pcm, { kind: 'internal', loop, memberNumber });
    } catch {
      return null;
    }
  }

  /** Starts a playback on the shard; rejects (registering nothing) when the shard refuses. */
  async start(
    pcm: Int16Array,
    options: { kind: PlaybackRecord['kind']; loop: boolean; tag?: string; memberNumber?: number; transferPcm?: boolean },
  ): Promise<PlaybackRecord> {
    let resolveDone!: (reason: PlaybackDoneReason) => void;
    const whenDone = new Promise<PlaybackDoneReason>((resolve) => (resolveDone = resolve));
    const playback: PlaybackRecord = { number: this.#nextNumber++, kind: options.kind, started: false, finished: false, whenDone, resolveDone };
    if (options.memberNumber !== undefined) playback.memberNumber = options.memberNumber;
    if (options.tag !== undefined) playback.tag = options.tag;
    this.#playbacks.set(playback.number, playback);
    const wholeBuffer = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength;
    const transfer = options.transferPcm && wholeBuffer ? [pcm.buffer as ArrayBuffer] : [];
    try {
      await this.#owner.channel.request(
        'startPlayback',
        { playback: playback.number, pcm, loop: options.loop, ...(options.memberNumber === undefined ? {} : { member: options.memberNumber }) },
        transfer,
      );
    } catch (error) {
      this.#playbacks.delete(playback.number);
      throw error;
    }
    playback.started = true;
    return playback;
  }

  /** Stops a playback; resolves once it is done. */
  async stop(playback: PlaybackRecord): Promise<void> {
    if (playback.finished) return;
    if (!this.#owner.completing) await this.#owner.channel.request('stopPlayback', { playback: playback.number }).catch(noop);
    this.#finish(playback, 'stopped');
  }

  /** Stops every playback of a kind playing to a target (a member, or the whole conference). */
  async stopKind(kind: PlaybackKind, memberNumber: number | undefined): Promise<void> {
    const matching = [...this.#playbacks.values()].filter((p) => p.kind === kind && p.memberNumber === memberNumber);
    await Promise.all(matching.map((p) => this.stop(p)));
  }

  /** The shard's playback-done event. */
  onDone(number: number, reason: PlaybackDoneReason): void {
    const playback = this.#playbacks.get(number);
    if (!playback) return;
    if (!playback.started || (playback.kind !== 'internal' && !playback.handle)) {
      playback.earlyDone = reason;
      return;
    }
    this.#finish(playback, reason);
  }

  /** A member left: its own playbacks are done. */
  finishMember(memberNumber: number): void {
    for (const playback of [...this.#playbacks.values()]) if (playback.memberNumber === memberNumber) this.#finish(playback, 'member-left');
  }

  /** The conference completed: every playback is done. */
  finishAll(): void {
    for (const playback of [...this.#playbacks.values()]) this.#finish(playback, 'conference-completed');
  }

  async #startUser(pcm: Int16Array, kind: PlaybackKind, loop: boolean, tag: string | undefined, memberNumber: number | undefined): Promise<Playback> {
    // The audio was fetched or synthesized meanwhile: check again.
    this.#owner.assertActive(memberNumber);
    const durationMs = Math.round((pcm.length * 1000) / this.#owner.rate);
    const playback = await this.start(pcm, { kind, loop, tag, memberNumber, transferPcm: true });
    const handle = new Playback({
      id: `playback-${playback.number}`,
      kind,
      tag,
      memberId: memberNumber === undefined ? undefined : this.#owner.memberIdOf(memberNumber),
      loop,
      durationMs,
      control: { stop: () => this.stop(playback) },
    });
    playback.handle = handle;
    this.#owner.reportPlayback(kind, 'started', tag, memberNumber);
    if (playback.earlyDone) this.#finish(playback, playback.earlyDone);
    return handle;
  }

  #finish(playback: PlaybackRecord, reason: PlaybackDoneReason): void {
    if (playback.finished) return;
    playback.finished = true;
    this.#playbacks.delete(playback.number);
    playback.resolveDone(reason);
    if (playback.handle) {
      playback.handle.finish(reason);
      this.#owner.reportPlayback(playback.handle.kind, 'done', playback.tag, playback.memberNumber);
    }
  }
}
