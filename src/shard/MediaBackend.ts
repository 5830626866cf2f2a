// What a shard's conference host needs from the media side: the native media thread in
// production. Every call is control-plane only; media never crosses it per packet.
import type {
  ShardConferenceEvent,
  ShardConferenceRequests,
  ShardConferenceSettings,
  ShardLegInfo,
  ShardLegSpec,
  ShardMemberSettings,
  ShardRtpCodec,
} from './conferenceProtocol.ts';

/** A leg spec as the backend sees it: app legs' ports stay with the host. */
export type BackendLegSpec = Exclude<ShardLegSpec, { kind: 'app' }> | { kind: 'app'; rate: number };

/** The media side of a shard. */
export interface MediaBackend {
  createConference(conferenceId: string, settings: ShardConferenceSettings): void;
  destroyConference(conferenceId: string): void;
  updateConference(conferenceId: string, flags: { mute?: boolean; hold?: boolean }): void;
  addMember(conferenceId: string, member: number, settings: ShardMemberSettings, leg: BackendLegSpec): ShardLegInfo;
  removeMember(conferenceId: string, member: number): void;
  updateMember(conferenceId: string, member: number, settings: ShardMemberSettings): void;
  updateLeg(conferenceId: string, member: number, update: { remoteAddress?: string; remotePort?: number; codec?: ShardRtpCodec; telephoneEventPayloadType?: number }): void;
  /** PCM from an app leg, at the leg's rate; any length, buffered until ticks consume it. */
  pushAppPcm(conferenceId: string, member: number, pcm: Int16Array): void;
  startPlayback(conferenceId: string, playback: number, pcm: Int16Array, loop: boolean, member?: number): void;
  stopPlayback(conferenceId: string, playback: number): void;
  pressKey(conferenceId: string, member: number, key: string): void;
  relate(conferenceId: string, member: number, other: number, relationship: 'deaf' | 'mute' | 'clear'): void;
  getMember(conferenceId: string, member: number): ShardConferenceRequests['getMember']['result'];
  memberStats(conferenceId: string, member: number): Record<string, number>;
  stats(): ShardConferenceRequests['stats']['result'];
  /** Starts the lateness percentiles afresh. */
  resetLateness(): void;
  conferenceClock(conferenceId: string): ShardConferenceRequests['conferenceClock']['result'];
  /** Called with each tick's events, batched (at most once per tick). */
  onEvents(listener: (events: ShardConferenceEvent[]) => void): void;
  /** Called with each tick's output frames for app legs (at the leg's rate). */
  onAppFrames(listener: (frames: Array<{ conferenceId: string; member: number; pcm: Int16Array }>) => void): void;
  /** Stops the media thread and frees every socket. */
  close(): void;
}
