// The one error a playback source raises when its audio cannot be had.

import { ConfmixError } from '../errors.ts';

/** Stable code of every AudioSourceError. */
export const AUDIO_SOURCE_ERROR_CODE = 'ERR_AUDIO_SOURCE';

/** Why an audio source failed. */
export type AudioSourceFailure =
  | 'unreadable' // the file or URL could not be read (missing file, refused connection, DNS)
  | 'unsupported-format' // the bytes are not a WAV this player decodes
  | 'timeout' // the fetch or the synthesis took longer than allowed
  | 'http-status' // the server answered with a non-2xx status
  | 'too-large' // the body is bigger than the size cap
  | 'synthesis-failed'; // the speech synthesizer exited with an error

/** An audio file, URL or sentence that could not be turned into PCM. */
export class AudioSourceError extends ConfmixError {
  /** Machine-readable cause of the failure. */
  readonly reason: AudioSourceFailure;
  /** The source that failed (URL, path, or 'speech'). */
  readonly source: string;
  /** HTTP status when `reason` is 'http-status'. */
  readonly status: number | undefined;

  constructor(reason: AudioSourceFailure, source: string, message: string, options?: { status?: number; cause?: unknown }) {
    super(AUDIO_SOURCE_ERROR_CODE, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AudioSourceError';
    this.reason = reason;
    this.source = source;
    this.status = options?.status;
  }

  /** Plain data for a structured-clone boundary, with the reason (and status) kept. */
  override toJSON(): { name: string; code: string; message: string; reason: AudioSourceFailure; status?: number } {
    return { ...super.toJSON(), reason: this.reason, ...(this.status === undefined ? {} : { status: this.status }) };
  }
}
