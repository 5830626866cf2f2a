// A running playback: decoded once, mixed by the shard as a contributor nobody hears back, heard
// by the whole conference or by one member only.
import { EventEmitter } from 'node:events';
import type { PlaybackDoneReason, PlaybackEvents, PlaybackKind, PlaybackStatus } from './PlaybackTypes.ts';

/** Internal: how a playback is stopped. */
export interface PlaybackControl {
  stop(): Promise<void>;
}

/** A file or a sentence playing. Returned by play() and speak(). */
export class Playback extends EventEmitter<PlaybackEvents> {
  /** Unique id within the conference. */
  readonly id: string;
  /** 'file' or 'speech'. */
  readonly kind: PlaybackKind;
  /** The tag its events carry. */
  readonly tag: string | undefined;
  /** The member it plays to, or undefined for the whole conference. */
  readonly memberId: string | undefined;
  /** Whether it loops until stopped. */
  readonly loop: boolean;
  /** Length of one pass, ms. */
  readonly durationMs: number;
  /** Resolves with the reason when the playback ends (never rejects). */
  readonly done: Promise<PlaybackDoneReason>;

  readonly #control: PlaybackControl;
  #status: PlaybackStatus = 'playing';
  #doneReason: PlaybackDoneReason | undefined;
  #resolveDone!: (reason: PlaybackDoneReason) => void;

  /** Built by the conference once the shard plays it. */
  constructor(init: { id: string; kind: PlaybackKind; tag?: string; memberId?: string; loop: boolean; durationMs: number; control: PlaybackControl }) {
    super();
    this.id = init.id;
    this.kind = init.kind;
    this.tag = init.tag;
    this.memberId = init.memberId;
    this.loop = init.loop;
    this.durationMs = init.durationMs;
    this.#control = init.control;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** 'playing' or 'done'. */
  get status(): PlaybackStatus {
    return this.#status;
  }

  /** Why it ended, once done. */
  get doneReason(): PlaybackDoneReason | undefined {
    return this.#doneReason;
  }

  /** Stops it; resolves once it is done (its `done` event has fired). Stopping a done playback does nothing. */
  stop(): Promise<void> {
    if (this.#status === 'done') return Promise.resolve();
    return this.#control.stop();
  }

  /** Internal: marks the playback done and emits `done` once. */
  finish(reason: PlaybackDoneReason): void {
    if (this.#status === 'done') return;
    this.#status = 'done';
    this.#doneReason = reason;
    this.#resolveDone(reason);
    this.emit('done', reason);
  }

  /** Plain data. */
  toJSON(): { id: string; kind: PlaybackKind; status: PlaybackStatus; loop: boolean; durationMs: number; tag?: string; memberId?: string } {
    const json: ReturnType<Playback['toJSON']> = { id: this.id, kind: this.kind, status: this.#status, loop: this.loop, durationMs: this.durationMs };
    if (this.tag !== undefined) json.tag = this.tag;
    if (this.memberId !== undefined) json.memberId = this.memberId;
    return json;
  }
}
