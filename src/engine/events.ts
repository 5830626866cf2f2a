// The callback events of a conference, as plain JSON objects with the Conference API's field
// names (`eventType`, `conferenceId`, `memberId`, `activeMembers`, `status`, `time`, ...) plus
// `tag`. The HTTP layer sends exactly these; listeners on the engine, a conference or a member
// receive the same objects. Optional fields are left out rather than set to undefined, so a
// payload survives JSON.stringify unchanged.

/** Fields every payload of one conference shares. */
export interface PayloadContext {
  /** The conference's id. */
  conferenceId: string;
  /** Base URL of the REST resources, when an HTTP layer serves them (adds conferenceUri, memberUri). */
  uriBase?: string;
  /** The tag to include. */
  tag?: string;
}

/** `conference`: the conference was created or completed, or its own mute or hold changed ('updated'). */
export interface ConferenceEventPayload {
  eventType: 'conference';
  conferenceId: string;
  conferenceUri?: string;
  status: 'created' | 'completed' | 'updated';
  createdTime: string;
  completedTime?: string;
  /** 'updated': the conference-wide mute (on top of each member's own). */
  mute?: boolean;
  /** 'updated': the conference-wide hold. */
  hold?: boolean;
  tag?: string;
}

/** `conference-member`: a member joined or left, or its mute or hold changed. */
export interface ConferenceMemberEventPayload {
  eventType: 'conference-member';
  activeMembers: number;
  callId?: string;
  conferenceId: string;
  hold: boolean;
  memberId: string;
  memberUri?: string;
  mute: boolean;
  state: 'active' | 'completed';
  time: string;
  tag?: string;
}

/** `conference-playback` and `conference-speak`: a file or a sentence started or is done. */
export interface ConferenceAudioEventPayload<T extends 'conference-playback' | 'conference-speak'> {
  eventType: T;
  conferenceId: string;
  conferenceUri?: string;
  /** Set when the audio plays to one member only. */
  memberId?: string;
  status: 'started' | 'done';
  time: string;
  tag?: string;
}

/** `conference-playback`. */
export type ConferencePlaybackEventPayload = ConferenceAudioEventPayload<'conference-playback'>;
/** `conference-speak`. */
export type ConferenceSpeakEventPayload = ConferenceAudioEventPayload<'conference-speak'>;

/** `dtmf`: a member pressed a key, and what it did ('none' with passthru_digits). */
export interface DtmfEventPayload {
  eventType: 'dtmf';
  conferenceId: string;
  memberId: string;
  callId?: string;
  dtmfDigit: string;
  action: string;
  time: string;
  tag?: string;
}

/** `talking`: a member started or stopped talking, with the energy score of that frame. */
export interface TalkingEventPayload {
  eventType: 'talking';
  conferenceId: string;
  memberId: string;
  callId?: string;
  status: 'start' | 'stop';
  energy: number;
  time: string;
  tag?: string;
}

/** `conference-recording`: a recording started, is done (with its length and size) or failed (with a reason). */
export interface ConferenceRecordingEventPayload {
  eventType: 'conference-recording';
  conferenceId: string;
  conferenceUri?: string;
  recordingId: string;
  recordingUri?: string;
  /** Set for a member's recording. */
  memberId?: string;
  status: 'started' | 'done' | 'failed';
  /** The (first) file. */
  path: string;
  format: 'wav' | 'ogg-opus';
  /** done, failed: audio written, ms. */
  durationMs?: number;
  /** done, failed: bytes written across its files. */
  size?: number;
  /** failed: why (disk-full, too-slow, ...). */
  reason?: string;
  /** failed: what the system said. */
  message?: string;
  time: string;
  tag?: string;
}

/** Any callback event. */
export type CallbackEventPayload =
  | ConferenceEventPayload
  | ConferenceMemberEventPayload
  | ConferencePlaybackEventPayload
  | ConferenceSpeakEventPayload
  | DtmfEventPayload
  | TalkingEventPayload
  | ConferenceRecordingEventPayload;

/** The `eventType` values. */
export type CallbackEventType = CallbackEventPayload['eventType'];

/** What a payload says about a member. */
export interface MemberPayloadFacts {
  memberId: string;
  callId?: string;
}

/** The current time as the payloads carry it (ISO 8601, UTC). */
export function nowIso(): string {
  // A shard's drain raises many events in one millisecond: the string is made once per millisecond.
  const now = Date.now();
  if (now !== isoAtMs) {
    isoAtMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}
let isoAtMs = -1;
let isoText = '';

function conferenceUri(context: PayloadContext): string | undefined {
  return context.uriBase === undefined ? undefined : `${context.uriBase}/conferences/${context.conferenceId}`;
}

function withOptional<T extends object>(payload: T, optional: Record<string, unknown>): T {
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (payload as Record<string, unknown>)[key] = value;
  }
  return payload;
}

/** A `conference` payload. */
export function conferencePayload(
  context: PayloadContext,
  status: 'created' | 'completed',
  createdTime: string,
  completedTime?: string,
): ConferenceEventPayload {
  return withOptional(
    { eventType: 'conference', conferenceId: context.conferenceId, status, createdTime } as ConferenceEventPayload,
    { conferenceUri: conferenceUri(context), completedTime, tag: context.tag },
  );
}

/** A `conference` payload with status 'updated': the conference-wide mute and hold after a change. */
export function conferenceUpdatedPayload(context: PayloadContext, createdTime: string, flags: { mute: boolean; hold: boolean }): ConferenceEventPayload {
  return withOptional(
    { eventType: 'conference', conferenceId: context.conferenceId, status: 'updated', createdTime, mute: flags.mute, hold: flags.hold } as ConferenceEventPayload,
    { conferenceUri: conferenceUri(context), tag: context.tag },
  );
}

/** A `conference-member` payload. */
export function conferenceMemberPayload(
  context: PayloadContext,
  member: MemberPayloadFacts & { state: 'active' | 'completed'; mute: boolean; hold: boolean },
  activeMembers: number,
): ConferenceMemberEventPayload {
  const base = conferenceUri(context);
  return withOptional(
    {
      eventType: 'conference-member',
      activeMembers,
      conferenceId: context.conferenceId,
      hold: member.hold,
      memberId: member.memberId,
      mute: member.mute,
      state: member.state,
      time: nowIso(),
    } as ConferenceMemberEventPayload,
    { callId: member.callId, memberUri: base === undefined ? undefined : `${base}/members/${member.memberId}`, tag: context.tag },
  );
}

/** A `conference-playback` or `conference-speak` payload; `tag` is the playback's own, else the conference's. */
export function conferenceAudioPayload<T extends 'conference-playback' | 'conference-speak'>(
  context: PayloadContext,
  eventType: T,
  status: 'started' | 'done',
  memberId?: string,
): ConferenceAudioEventPayload<T> {
  return withOptional(
    { eventType, conferenceId: context.conferenceId, status, time: nowIso() } as ConferenceAudioEventPayload<T>,
    { conferenceUri: conferenceUri(context), memberId, tag: context.tag },
  );
}

/** A `dtmf` payload. */
export function dtmfPayload(context: PayloadContext, member: MemberPayloadFacts, digit: string, action: string): DtmfEventPayload {
  return withOptional(
    { eventType: 'dtmf', conferenceId: context.conferenceId, memberId: member.memberId, dtmfDigit: digit, action, time: nowIso() } as DtmfEventPayload,
    { callId: member.callId, tag: context.tag },
  );
}

/** A `talking` payload. */
export function talkingPayload(context: PayloadContext, member: MemberPayloadFacts, status: 'start' | 'stop', energy: number): TalkingEventPayload {
  return withOptional(
    { eventType: 'talking', conferenceId: context.conferenceId, memberId: member.memberId, status, energy, time: nowIso() } as TalkingEventPayload,
    { callId: member.callId, tag: context.tag },
  );
}

/** A `conference-recording` payload from the recording's plain data. */
export function conferenceRecordingPayload(
  context: PayloadContext,
  recording: { id: string; memberId?: string; path: string; format: 'wav' | 'ogg-opus'; durationMs?: number; size?: number; reason?: string; message?: string },
  status: 'started' | 'done' | 'failed',
): ConferenceRecordingEventPayload {
  const base = conferenceUri(context);
  const ended = status !== 'started';
  return withOptional(
    { eventType: 'conference-recording', conferenceId: context.conferenceId, recordingId: recording.id, status, path: recording.path, format: recording.format, time: nowIso() } as ConferenceRecordingEventPayload,
    {
      conferenceUri: base,
      recordingUri: base === undefined ? undefined : `${base}/recordings/${recording.id}`,
      memberId: recording.memberId,
      durationMs: ended ? recording.durationMs : undefined,
      size: ended ? recording.size : undefined,
      reason: recording.reason,
      message: recording.message,
      tag: context.tag,
    },
  );
}
