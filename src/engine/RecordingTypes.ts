// The public shape of a recording: what it records, into which files, and how it ends.

/** A recording's file format: WAV (PCM 16-bit mono at the conference rate) or Ogg Opus. */
export type RecordingFormat = 'wav' | 'ogg-opus';

/** 'recording' until it ends as 'done' (stopped, files complete) or 'failed' (see its reason). */
export type RecordingState = 'recording' | 'done' | 'failed';

/**
 * Why a recording failed: the disk filled ('disk-full'), another write error ('write-failed'),
 * the disk fell a whole buffer behind the conference ('too-slow'), the file could not be created
 * ('open-failed'), libopusenc refused ('encoder-failed'), its member had left before it started
 * ('refused'), or its conference ended on a dead shard ('shard-died').
 */
export type RecordingFailureReason = 'disk-full' | 'write-failed' | 'too-slow' | 'open-failed' | 'encoder-failed' | 'refused' | 'shard-died';

/** Fields of conference.record(). */
export interface RecordOptions {
  /** The file to write; its directory must exist. With multitrack, the mix's file; each member's is beside it, named `<name>-<memberId><ext>`. */
  path: string;
  /** 'wav' or 'ogg-opus'; default from the extension ('.opus' or '.ogg': Ogg Opus), else WAV. */
  format?: RecordingFormat;
  /** Also one file per member present at the start (what each says), aligned with the mix frame for frame. */
  multitrack?: boolean;
  /** Ogg Opus bitrate, bit/s (6000..510000; default libopus's choice for the rate). */
  opusBitrate?: number;
  /** How far the disk may fall behind before the recording fails as too slow, ms (200..60000, default 2000). */
  bufferMs?: number;
  /** Included in its events. */
  tag?: string;
}

/** Fields of member.record(). */
export interface MemberRecordOptions extends Omit<RecordOptions, 'multitrack'> {
  /** 'hears' (default): what the member hears; 'says': what it puts into the mix. */
  direction?: 'hears' | 'says';
}

/** One file of a recording. */
export interface RecordingTrackJson {
  /** Where it is written. */
  path: string;
  /** 'mix', or what a member hears or says. */
  source: 'mix' | 'hears' | 'says';
  /** The member it records (hears, says). */
  memberId?: string;
  /** Its size in bytes, once the recording ended. */
  size?: number;
}

/** A recording as plain data (the REST resource). */
export interface RecordingJson {
  id: string;
  conferenceId: string;
  /** Set for a member's recording. */
  memberId?: string;
  /** The first track's file. */
  path: string;
  format: RecordingFormat;
  state: RecordingState;
  startedTime: string;
  endedTime?: string;
  /** Audio written, ms (once ended). */
  durationMs?: number;
  /** Bytes written across its files (once ended). */
  size?: number;
  /** Why it failed. */
  reason?: RecordingFailureReason;
  /** What the system said when it failed. */
  message?: string;
  tracks: RecordingTrackJson[];
  tag?: string;
}

/** The events a Recording emits. */
export interface RecordingEvents {
  /** Its files are open and being written. */
  started: [];
  /** It ended: done or failed; emitted once. */
  end: [RecordingJson];
}
