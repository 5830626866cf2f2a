// Typed view of the addon's MediaConference: a conference whose members speak RTP (or app PCM),
// driven tick by tick. Shards run the same core on their media thread; this view serves tests
// and tools that drive the clock themselves.
import { addon } from './addon.ts';
import { toConfmixError } from '../errors.ts';
import type { CodecOptions } from './codecs.ts';
import type { NativeConferenceOptions, NativeMemberSettings, NativeMixerEvent } from './mixer.ts';

/** A media conference's options: the mixer's, plus how its encoders behave under load. */
export interface NativeMediaConferenceOptions extends NativeConferenceOptions {
  /** Shed Opus encoder complexity while the media thread is loaded, and restore it after (default true). */
  adaptiveComplexity?: boolean;
  /** Spread a tick's Opus decodes and encodes over the process's worker threads (default true). */
  parallelCodecs?: boolean;
  /**
   * While a member's gate is closed, skip decoding Opus payloads its sender's VAD marks unvoiced,
   * decoding one as a probe every 200 ms (default true).
   */
  skipUnvoiced?: boolean;
}

/** What one tick is told about the thread that runs it. */
export interface MediaTickOptions {
  /** The media thread's busy share, 0..1 (default 0): drives complexity shedding. */
  threadLoad?: number;
}

/** One direction's codec, with the payload type on the wire. */
export interface RtpCodecOptions extends CodecOptions {
  /** RTP payload type 0..127 (defaults: PCMU 0, PCMA 8, Opus 111, L16 96). */
  payloadType?: number;
}

/** What a member receives: its codec and, if negotiated, RFC 4733 telephone-events. */
export interface ReceiveOptions extends RtpCodecOptions {
  /** Payload type of telephone-event. */
  telephoneEventPayloadType?: number;
  /** Its clock: 8000 (default for G.711/L16) or 48000 (default for Opus). */
  telephoneEventClockRate?: number;
  /** The RFC 6464 ssrc-audio-level header extension's id (1..255), if negotiated: with a cap on
   *  active talkers, members whose level misses the cut are not decoded. */
  audioLevelExtensionId?: number;
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

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toConfmixError(error);
  }
}

/** A conference with RTP members, ticked by the caller. */
export class NativeMediaConference {
  readonly #raw: RawMediaConference;

  constructor(options: NativeMediaConferenceOptions) {
    this.#raw = call(() => new Raw(options));
  }

  /** Adds a member with its settings and media. */
  addMember(id: number, settings: NativeMemberSettings = {}, media: MemberMediaOptions = {}): void {
    call(() => this.#raw.addMember(id, settings, media));
  }

  /** Removes a member. */
  removeMember(id: number): void {
    call(() => this.#raw.removeMember(id));
  }

  /** Changes a member's settings. */
  setMember(id: number, settings: NativeMemberSettings): void {
    call(() => this.#raw.setMember(id, settings));
  }

  /** Conference-wide mute and hold. */
  setConference(settings: { mute?: boolean; hold?: boolean }): void {
    call(() => this.#raw.setConference(settings));
  }

  /** One received datagram for a member, at `arrivalMs` on the caller's monotonic clock. */
  pushRtp(id: number, packet: Uint8Array, arrivalMs = 0): PushRtpResult {
    return call(() => this.#raw.pushRtp(id, packet, arrivalMs));
  }

  /** App PCM at the conference rate. */
  pushPcm(id: number, pcm: Int16Array): void {
    call(() => this.#raw.pushPcm(id, pcm));
  }

  /** Runs one tick (as if on a media thread this loaded); returns every packet and app frame in one batch. */
  tick(options: MediaTickOptions = {}): MediaTickOutput {
    return call(() => this.#raw.tick(options));
  }

  /** The events raised since the last drain. */
  drainEvents(): NativeMixerEvent[] {
    return call(() => this.#raw.drainEvents());
  }

  /** With false, every listener gets its own encode (a baseline for measurements). */
  setSharedEncodes(shared: boolean): void {
    call(() => this.#raw.setSharedEncodes(shared));
  }

  /** A member's receive and send counters. */
  memberStats(id: number): MediaMemberStats {
    return call(() => this.#raw.memberStats(id));
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
