// Typed view of the addon's MediaConference: a conference whose members speak RTP (or app PCM),
// driven tick by tick. Shards run the same core on their media thread; this view serves tests
// and tools that drive the clock themselves.
import { addon } from './addon.ts';
import type { NativeMediaConferenceOptions, ReceiveOptions, RtpCodecOptions } from '../mediaTypes.ts';
import type { NativeMemberSettings, NativeMixerEvent } from '../mixer.ts';
import { callNative } from '../call.ts';

export type { NativeMediaConferenceOptions, ReceiveOptions, RtpCodecOptions };

/** What one tick is told about the thread that runs it. */
export interface MediaTickOptions {
  /** The media thread's busy share, 0..1 (default 0): drives complexity shedding. */
  threadLoad?: number;
}

/** A member's media: RTP in, RTP out, app PCM at the conference rate, or any mix. */
export interface MemberMediaOptions {
  receive?: ReceiveOptions;
  send?: RtpCodecOptions;
  /** PCM frames in (pushPcm) and out (tick's frames) at the conference rate. */
  app?: boolean;
}

/** What a datagram did. */
export interface PushRtpResult {
  /** A packet for this member (RTP or RTCP). */
  valid: boolean;
  /** The RFC 4733 key it started, if any. */
  key: string | null;
  /** Why it was not taken: 'malformed', 'wrong-payload-type', 'jitter-refused'. */
  reject: string | null;
}

/** One tick's output: every packet in one buffer, indexed by (member, offset, length) triples. */
export interface MediaTickOutput {
  packets: Uint8Array;
  packetIndex: Uint32Array;
  frames: Int16Array;
  frameIndex: Uint32Array;
  /** Encoder calls this tick. */
  encodes: number;
  /** Decoder calls this tick (probes and pre-rolls included). */
  decodes: number;
  /** Payloads not decoded this tick because the sender marked them unvoiced and the gate was closed. */
  unvoicedSkips: number;
  /** Payloads not decoded this tick because their RFC 6464 level missed the active talkers' cut. */
  levelSkips: number;
  /** Voiced payloads not decoded this tick because their member stayed well under what it takes to be heard. */
  quietSkips: number;
  /** Steps subtracted from each encoder's configured complexity this tick (0: full quality). */
  complexityShed: number;
}

/** A member's receive and send counters. */
export interface MediaMemberStats {
  receive?: {
    packets: number;
    bytes: number;
    rtcp: number;
    dtmfKeys: number;
    /** Key presses over the rate a keypad can make (a burst of 20, then 10 a second), not raised. */
    dtmfDropped: number;
    decodes: number;
    skippedDecodes: number;
    /** Payloads not decoded because the sender marked them unvoiced while the gate was closed. */
    unvoicedSkips: number;
    /** Payloads not decoded because their RFC 6464 level missed the active talkers' cut. */
    levelSkips: number;
    /** Voiced payloads not decoded because the member stayed well under what it takes to be heard. */
    quietSkips: number;
    concealed: number;
    fecRecovered: number;
    rejected: Record<string, number>;
    malformed: Record<string, number>;
    jitter: Record<string, number>;
  };
  send?: {
    ssrc: number;
    packets: number;
    bytes: number;
    /** The complexity the member's private encoder runs at; null for codecs without one. */
    complexity: number | null;
    /** The same for each shared encoder of the member's encoding, by output group. */
    sharedComplexities: Array<number | null>;
  };
}

interface RawMediaConference {
  addMember(id: number, settings?: NativeMemberSettings, media?: MemberMediaOptions): void;
  removeMember(id: number): void;
  setMember(id: number, settings: NativeMemberSettings): void;
  setConference(settings: { mute?: boolean; hold?: boolean }): void;
  pushRtp(id: number, packet: Uint8Array, arrivalMs?: number): PushRtpResult;
  pushPcm(id: number, pcm: Int16Array): void;
  tick(options?: MediaTickOptions): MediaTickOutput;
  drainEvents(): NativeMixerEvent[];
  setSharedEncodes(shared: boolean): void;
  memberStats(id: number): MediaMemberStats;
}

const Raw = (addon as { MediaConference: new (options: NativeMediaConferenceOptions) => RawMediaConference }).MediaConference;

/** A conference with RTP members, ticked by the caller. */
export class NativeMediaConference {
  readonly #raw: RawMediaConference;

  constructor(options: NativeMediaConferenceOptions) {
    this.#raw = callNative(() => new Raw(options));
  }

  /** Adds a member with its settings and media. */
  addMember(id: number, settings: NativeMemberSettings = {}, media: MemberMediaOptions = {}): void {
    callNative(() => this.#raw.addMember(id, settings, media));
  }

  /** Removes a member. */
  removeMember(id: number): void {
    callNative(() => this.#raw.removeMember(id));
  }

  /** Changes a member's settings. */
  setMember(id: number, settings: NativeMemberSettings): void {
    callNative(() => this.#raw.setMember(id, settings));
  }

  /** Conference-wide mute and hold. */
  setConference(settings: { mute?: boolean; hold?: boolean }): void {
    callNative(() => this.#raw.setConference(settings));
  }

  /** One received datagram for a member, at `arrivalMs` on the caller's monotonic clock. */
  pushRtp(id: number, packet: Uint8Array, arrivalMs = 0): PushRtpResult {
    return callNative(() => this.#raw.pushRtp(id, packet, arrivalMs));
  }

  /** App PCM at the conference rate. */
  pushPcm(id: number, pcm: Int16Array): void {
    callNative(() => this.#raw.pushPcm(id, pcm));
  }

  /** Runs one tick (as if on a media thread this loaded); returns every packet and app frame in one batch. */
  tick(options: MediaTickOptions = {}): MediaTickOutput {
    return callNative(() => this.#raw.tick(options));
  }

  /** The events raised since the last drain. */
  drainEvents(): NativeMixerEvent[] {
    return callNative(() => this.#raw.drainEvents());
  }

  /** With false, every listener gets its own encode (a baseline for measurements). */
  setSharedEncodes(shared: boolean): void {
    callNative(() => this.#raw.setSharedEncodes(shared));
  }

  /** A member's receive and send counters. */
  memberStats(id: number): MediaMemberStats {
    return callNative(() => this.#raw.memberStats(id));
  }
}

/** Splits a tick's packet batch into per-member packets (views, no copy). */
export function packetsByMember(output: MediaTickOutput): Map<number, Uint8Array> {
  const packets = new Map<number, Uint8Array>();
  for (let i = 0; i < output.packetIndex.length; i += 3) {
    const [member, offset, length] = [output.packetIndex[i], output.packetIndex[i + 1], output.packetIndex[i + 2]];
    packets.set(member, output.packets.subarray(offset, offset + length));
  }
  return packets;
}

/** Splits a tick's app frames into per-member frames (views, no copy). */
export function framesByMember(output: MediaTickOutput): Map<number, Int16Array> {
  const frames = new Map<number, Int16Array>();
  for (let i = 0; i < output.frameIndex.length; i += 3) {
    const [member, offset, length] = [output.frameIndex[i], output.frameIndex[i + 1], output.frameIndex[i + 2]];
    frames.set(member, output.frames.subarray(offset, offset + length));
  }
  return frames;
}

/** The process's codec helper threads (one per core beyond the first). */
export interface WorkerPoolStats {
  /** Helper threads. */
  workers: number;
  /** Decodes and encodes they took from media threads so far (the rest ran on the media thread). */
  helped: number;
  /** Their SCHED_FIFO priority, raised to a real-time media thread's (0: ordinary threads). */
  realtimePriority: number;
}

/** Reads the worker pool's counters. */
export function workerPoolStats(): WorkerPoolStats {
  return (addon as { workerPoolStats: () => WorkerPoolStats }).workerPoolStats();
}
