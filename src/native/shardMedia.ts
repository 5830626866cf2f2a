// Typed view of the addon's ShardMedia: a shard's native media thread and its conferences.
import { addon } from './addon.ts';
import { toConfmixError } from '../errors.ts';
import type { NativeConferenceOptions, NativeMemberSettings, NativeMixerEvent } from './mixer.ts';
import type { ReceiveOptions, RtpCodecOptions } from './mediaConference.ts';

/** How a member's media reaches the media thread. */
export type ShardMediaLeg =
  | { kind: 'none' }
  | { kind: 'app' }
  | {
      kind: 'rtp';
      receive?: ReceiveOptions;
      send?: RtpCodecOptions;
      remoteAddress?: string;
      remotePort?: number;
      symmetricLatching?: boolean;
      timeoutMs?: number;
      ipv6?: boolean;
      localAddress?: string;
    };

/** A media-thread event about a leg. */
export type ShardMediaLegEvent =
  | { type: 'timeout'; leg: number; reason: string }
  | { type: 'latched'; leg: number; address: string; port: number }
  | { type: 'dropped'; leg: number; reason: string; count: number; total: number }
  | { type: 'leg-closed'; leg: number }
  | { type: 'job-removed'; leg: number }
  | { type: 'events-lost'; leg: number; count: number };

/** What drain() returns: mixer events by conference, app frames, leg events. */
export interface ShardMediaDrain {
  events: Array<NativeMixerEvent & { conference: number }>;
  frames: Int16Array;
  /** (conference, member, offset, samples) quadruples into `frames`. */
  frameIndex: Uint32Array;
  media: ShardMediaLegEvent[];
}

/** The media thread's counters. */
export interface ShardMediaStats {
  ticks: number;
  overruns: number;
  lateness: { p50Ms: number; p99Ms: number; maxMs: number };
  tickCpuMs: number;
  threadCpuMs: number;
  conferences: number;
  members: number;
  encodesPerTick: number;
  decodesPerTick: number;
  /** Each conference's clock: ticks run and the deadline of the last one (monotonic ms). */
  perConference: Array<{ handle: number; ticks: number; lastDeadlineMs: number; encodesPerTick: number; decodesPerTick: number }>;
  legs: Array<{
    legId: number;
    port: number;
    packetsIn: number;
    bytesIn: number;
    packetsOut: number;
    bytesOut: number;
    droppedStranger: number;
    droppedInvalid: number;
    latched: boolean;
    timedOut: boolean;
  }>;
}

interface RawShardMedia {
  start(): void;
  stop(): void;
  createConference(handle: number, options: NativeConferenceOptions): void;
  destroyConference(handle: number): void;
  setConference(handle: number, settings: { mute?: boolean; hold?: boolean }): void;
  addMember(handle: number, member: number, settings: NativeMemberSettings, leg: ShardMediaLeg): { legId?: number; port?: number };
  removeMember(handle: number, member: number): void;
  setMember(handle: number, member: number, settings: NativeMemberSettings): void;
  updateLeg(handle: number, member: number, update: { remoteAddress?: string; remotePort?: number; receive?: ReceiveOptions; send?: RtpCodecOptions; symmetricLatching?: boolean }): void;
  pushPcm(handle: number, member: number, pcm: Int16Array): void;
  startPlayback(handle: number, playback: number, pcm: Int16Array, options: { loop?: boolean; member?: number }): void;
  stopPlayback(handle: number, playback: number): void;
  pressKey(handle: number, member: number, key: string): void;
  drain(): ShardMediaDrain;
  stats(): ShardMediaStats;
}

const Raw = (addon as { ShardMedia: new (options: { portMin?: number; portMax?: number; onNotify: () => void }) => RawShardMedia }).ShardMedia;

/** Wraps every method so native errors surface as typed ConfmixErrors. */
function typed<T extends object>(raw: T): T {
  return new Proxy(raw, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw toConfmixError(error);
        }
      };
    },
  });
}

/** Creates a shard's media plane; `onNotify` fires (on this thread) when drain() has news. */
export function createShardMedia(options: { portMin?: number; portMax?: number; onNotify: () => void }): RawShardMedia {
  try {
    return typed(new Raw(options));
  } catch (error) {
    throw toConfmixError(error);
  }
}

export type ShardMedia = RawShardMedia;
