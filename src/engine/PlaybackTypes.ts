// The public shape of a playback: a file or a sentence playing to a conference or one member.

/** What plays. */
export type PlaybackKind = 'file' | 'speech';

/** Why a playback ended. */
export type PlaybackDoneReason = 'finished' | 'stopped' | 'member-left' | 'conference-completed';

/** 'playing' until it ends, then 'done'. */
export type PlaybackStatus = 'playing' | 'done';

/** The events a Playback emits. */
export interface PlaybackEvents {
  /** The playback ended; emitted once. */
  done: [reason: PlaybackDoneReason];
}
