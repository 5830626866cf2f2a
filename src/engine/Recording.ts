// A recording of a conference's mix, of what one member hears or says, or of every member
// (multitrack). The shard's native writer threads write the files; this object follows them.
import { EventEmitter } from 'node:events';
import type { RecordingEvents, RecordingFailureReason, RecordingFormat, RecordingJson, RecordingState, RecordingTrackJson } from './RecordingTypes.ts';
import { nowIso } from './events.ts';

/** Internal: how a recording is stopped. */
export interface RecordingControl {
  stop(): Promise<void>;
}

/** What the shard reported at a recording's end. */
export interface RecordingEnd {
  state: 'done' | 'failed';
  durationMs?: number;
  trackBytes?: number[];
  reason?: RecordingFailureReason;
  message?: string;
}

/** A recording running or ended. Returned by conference.record() and member.record(). */
export class Recording extends EventEmitter<RecordingEvents> {
  /** Unique id. */
  readonly id: string;
  /** Its number in the shard protocol. */
  readonly number: number;
  /** The conference it records. */
  readonly conferenceId: string;
  /** The member it records, for a member's recording. */
  readonly memberId: string | undefined;
  /** The file format. */
  readonly format: RecordingFormat;
  /** The tag its events carry. */
  readonly tag: string | undefined;
  /** When it was started (ISO 8601). */
  readonly startedTime = nowIso();
  /** Resolves with its plain data once it ends (never rejects). */
  readonly ended: Promise<RecordingJson>;

  readonly #tracks: RecordingTrackJson[];
  readonly #control: RecordingControl;
  #state: RecordingState = 'recording';
  #opened = false;
  #end: RecordingEnd | undefined;
  #endedTime: string | undefined;
  #resolveEnded!: (json: RecordingJson) => void;

  /** Built by the conference once the shard took it. */
  constructor(init: {
    id: string;
    number: number;
    conferenceId: string;
    memberId?: string;
    format: RecordingFormat;
    tag?: string;
    tracks: RecordingTrackJson[];
    control: RecordingControl;
  }) {
    super();
    this.id = init.id;
    this.number = init.number;
    this.conferenceId = init.conferenceId;
    this.memberId = init.memberId;
    this.format = init.format;
    this.tag = init.tag;
    this.#tracks = init.tracks.map((track) => ({ ...track }));
    this.#control = init.control;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
  }

  /** 'recording', 'done' or 'failed'. */
  get state(): RecordingState {
    return this.#state;
  }

  /** The first track's file. */
  get path(): string {
    return this.#tracks[0].path;
  }

  /** Stops it; resolves once its files are complete and it ended. Stopping an ended recording does nothing. */
  async stop(): Promise<RecordingJson> {
    if (this.#state === 'recording') await this.#control.stop();
    return this.ended;
  }

  /** Internal: its files are open; false when that was already known. */
  markStarted(): boolean {
    if (this.#opened || this.#state !== 'recording') return false;
    this.#opened = true;
    this.emit('started');
    return true;
  }

  /** Internal: it ended; emits `end` once. False when it had already ended. */
  finish(end: RecordingEnd): boolean {
    if (this.#state !== 'recording') return false;
    this.#state = end.state;
    this.#end = end;
    this.#endedTime = nowIso();
    end.trackBytes?.forEach((size, i) => {
      if (this.#tracks[i]) this.#tracks[i].size = size;
    });
    const json = this.toJSON();
    this.#resolveEnded(json);
    this.emit('end', json);
    return true;
  }

  /** Plain data. */
  toJSON(): RecordingJson {
    const json: RecordingJson = {
      id: this.id,
      conferenceId: this.conferenceId,
      path: this.path,
      format: this.format,
      state: this.#state,
      startedTime: this.startedTime,
      tracks: this.#tracks.map((track) => ({ ...track })),
    };
    if (this.memberId !== undefined) json.memberId = this.memberId;
    const end = this.#end;
    if (end) {
      json.endedTime = this.#endedTime;
      if (end.durationMs !== undefined) json.durationMs = end.durationMs;
      if (end.trackBytes) json.size = end.trackBytes.reduce((a, b) => a + b, 0);
      if (end.reason !== undefined) json.reason = end.reason;
      if (end.message !== undefined) json.message = end.message;
    }
    if (this.tag !== undefined) json.tag = this.tag;
    return json;
  }
}
