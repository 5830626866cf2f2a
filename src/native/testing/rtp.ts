// Typed view of the addon's RTP functions: parsing (RFC 3550), the sending side of a leg,
// the per-member jitter buffer, and RFC 4733 telephone-events. Samples and timestamps are
// in RTP clock units (48000 Hz for Opus whatever the conference rate). Arrival times are any
// monotonic milliseconds the caller keeps (performance.now(), a tick counter, a test clock).
import { addon } from './addon.ts';
import { callNative } from '../call.ts';

/** Why parseRtp refused a datagram. */
export type RtpRejectReason =
  | 'too-short'
  | 'bad-version'
  | 'csrc-overrun'
  | 'extension-overrun'
  | 'bad-padding'
  | 'not-rtp';

/** Every RtpRejectReason, in the addon's order. */
export const rtpRejectReasons: readonly RtpRejectReason[] = [
  'too-short',
  'bad-version',
  'csrc-overrun',
  'extension-overrun',
  'bad-padding',
  'not-rtp',
];

/** A parsed RTP packet; byte fields are copies. */
export interface RtpPacket {
  ok: true;
  /** Always 2. */
  version: number;
  /** P bit. */
  padding: boolean;
  /** X bit. */
  extension: boolean;
  /** Contributing sources. */
  csrcs: number[];
  /** M bit. */
  marker: boolean;
  /** 0..127. */
  payloadType: number;
  /** 0..65535. */
  sequence: number;
  /** RTP clock units. */
  timestamp: number;
  /** Synchronisation source. */
  ssrc: number;
  /** The extension's "defined by profile" word, when `extension`. */
  extensionProfile?: number;
  /** The extension body, when `extension`. */
  extensionData?: Uint8Array;
  /** Padding bytes removed from the end. */
  paddingSize: number;
  /** The payload, padding removed. */
  payload: Uint8Array;
}

/** What parseRtp returns. */
export type RtpParseResult = RtpPacket | { ok: false; reason: RtpRejectReason };

/** What JitterBuffer.push did with a packet. */
export type JitterPushStatus =
  | 'queued'
  | 'late'
  | 'duplicate'
  | 'too-big'
  | 'stale-ssrc'
  | 'sequence-jump'
  | 'invalid';

/** Why a pop underran. */
export type UnderrunCause = 'prefill' | 'starved' | 'stretch';

/** One pop: a packet to decode, lost media to conceal, DTX silence, or nothing this tick. */
export interface JitterFrame {
  /** packet: decode `payload`; lost: conceal (or FEC from `nextPayload`); dtx: comfort noise,
   *  no decode; underrun: nothing now, the playout clock did not move. */
  kind: 'packet' | 'lost' | 'dtx' | 'underrun';
  /** Sender's RTP timestamp where this media starts. */
  timestamp: number;
  /** Media duration, RTP units (for underrun: one frame, a suggested fill). */
  samples: number;
  /** Why it underran (underrun only). */
  cause?: UnderrunCause;
  /** Packet sequence number (packet, and dtx from a DTX packet). */
  sequence?: number;
  /** Packet M bit. */
  marker?: boolean;
  /** Packet payload type. */
  payloadType?: number;
  /** Packet payload (packet, and dtx from a DTX packet). */
  payload?: Uint8Array;
  /** lost: the payload right after the gap, whose in-band FEC covers it. */
  nextPayload?: Uint8Array;
}

/** Options of a jitter buffer. */
export interface JitterBufferOptions {
  /** RTP clock of the codec, Hz. */
  clockRate: number;
  /** One tick at the RTP clock (20 ms of Opus: 960). */
  frameSamples: number;
  /** Cap of the target delay, ms, at most 500 (the default). */
  maxDelayMs?: number;
  /** Floor of the target delay, ms (default one frame); 40 leaves room for Opus FEC. */
  minDelayMs?: number;
  /** Packet slots (default: max delay in 10 ms packets plus 16). */
  slots?: number;
  /** Largest payload accepted (default 1500). */
  maxPayloadBytes?: number;
}

/** Counters and delays of a jitter buffer. */
export interface JitterBufferStats {
  /** Packets pushed that parsed as RTP. */
  received: number;
  /** Packets stored. */
  queued: number;
  /** Sequence numbers playout passed without the packet. */
  lost: number;
  /** Packets refused because their playout time had passed. */
  late: number;
  /** Packets refused as duplicates. */
  duplicates: number;
  /** Packets stored behind a newer one. */
  reordered: number;
  /** Packets refused for size. */
  tooBig: number;
  /** Packets of a just-replaced SSRC refused. */
  staleSsrc: number;
  /** Packets held back by a sequence jump (RFC 3550 probation). */
  sequenceJumps: number;
  /** Packets dropped to lower the level to the target (a fast sender clock). */
  droppedDrift: number;
  /** Packets dropped by the hard cap or a full ring. */
  droppedOverflow: number;
  /** Frames the playout clock was held to raise the level (a slow sender clock, more jitter). */
  inserted: number;
  /** Pops that found nothing while playing. */
  underruns: number;
  /** Packets discarded by an SSRC change or sequence restart. */
  flushed: number;
  /** Times a new SSRC replaced the stream. */
  ssrcChanges: number;
  /** Timestamp discontinuities re-based. */
  timestampJumps: number;
  /** Gaps longer than the maximum delay, skipped rather than concealed. */
  resyncs: number;
  /** Packet frames popped. */
  packetsPlayed: number;
  /** Lost frames popped. */
  lostFrames: number;
  /** DTX frames popped. */
  dtxFrames: number;
  /** Smoothed level as if nothing were late, ms. */
  delayMs: number;
  /** Level the buffer steers to, ms. */
  targetDelayMs: number;
  /** Media buffered ahead of the playout point now, ms. */
  bufferedMs: number;
  /** RFC 3550 interarrival jitter, ms. */
  jitterMs: number;
  /** Datagrams push refused as not RTP, by reason. */
  rejected: Record<RtpRejectReason, number>;
}

/** Options of telephoneEventPackets. */
export interface TelephoneEventPacketOptions {
  /** Negotiated telephone-event payload type. */
  payloadType: number;
  /** Its RTP clock (8000 or 48000). */
  clockRate: number;
  /** Sender SSRC. */
  ssrc: number;
  /** Sequence number of the first packet. */
  sequence: number;
  /** The event's timestamp, shared by all its packets. */
  timestamp: number;
  /** How long the key is held, ms. */
  durationMs: number;
  /** Between updates, ms (default 20). */
  intervalMs?: number;
  /** -dBm0, 0..63 (default 10). */
  volume?: number;
  /** Copies of the first packet, marker set (default 3). */
  startPackets?: number;
  /** Copies of the final packet, E bit set (default 3). */
  endPackets?: number;
}

/** A DTMF key RFC 4733 carries. */
export type TelephoneEventKey =
  | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

interface NativeRtpSender {
  write(payload: Uint8Array, samples: number, options?: { marker?: boolean }): Uint8Array;
  skip(samples: number): void;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly packetsSent: number;
  readonly octetsSent: number;
}

interface NativeJitterBuffer {
  push(packet: Uint8Array, arrivalMs: number, samples?: number): JitterPushStatus;
  pop(): JitterFrame;
  stats(): JitterBufferStats;
  reset(): void;
}

interface NativeTelephoneEventDetector {
  push(packet: Uint8Array): TelephoneEventKey | null;
  reset(): void;
}

interface RtpAddon {
  parseRtp(bytes: Uint8Array): RtpParseResult;
  RtpSender: new (payloadType: number, clockRate: number, ssrc?: number) => NativeRtpSender;
  JitterBuffer: new (options: JitterBufferOptions) => NativeJitterBuffer;
  TelephoneEventDetector: new (payloadType: number, clockRate: number) => NativeTelephoneEventDetector;
  telephoneEventPackets(key: string, options: TelephoneEventPacketOptions): Uint8Array[];
}

const native = addon as unknown as RtpAddon;

/** Parses an RTP datagram; a malformed one (or muxed RTCP) gives { ok: false, reason }. */
export function parseRtp(bytes: Uint8Array): RtpParseResult {
  return callNative(() => native.parseRtp(bytes));
}

/** The sending side of one leg: its SSRC, sequence and timestamp (random unless given). */
export class RtpSender {
  readonly #native: NativeRtpSender;

  /** A sender of `payloadType` on a `clockRate` Hz RTP clock. */
  constructor(payloadType: number, clockRate: number, ssrc?: number) {
    this.#native = callNative(() => new native.RtpSender(payloadType, clockRate, ssrc));
  }

  /** Header + payload of the next packet, which carries `samples` of media (RTP units).
   *  The marker is set on the first packet, the first after skip(), or when asked. */
  write(payload: Uint8Array, samples: number, options?: { marker?: boolean }): Uint8Array {
    return callNative(() => this.#native.write(payload, samples, options));
  }

  /** A tick with nothing sent: the timestamp moves on by `samples`, the sequence does not. */
  skip(samples: number): void {
    callNative(() => this.#native.skip(samples));
  }

  /** This stream's SSRC. */
  get ssrc(): number {
    return this.#native.ssrc;
  }

  /** Payload type of every packet. */
  get payloadType(): number {
    return this.#native.payloadType;
  }

  /** RTP clock, Hz. */
  get clockRate(): number {
    return this.#native.clockRate;
  }

  /** Sequence number of the next packet. */
  get sequence(): number {
    return this.#native.sequence;
  }

  /** Timestamp of the next packet. */
  get timestamp(): number {
    return this.#native.timestamp;
  }

  /** Packets written (for an RTCP SR). */
  get packetsSent(): number {
    return this.#native.packetsSent;
  }

  /** Payload octets written (for an RTCP SR). */
  get octetsSent(): number {
    return this.#native.octetsSent;
  }
}

/** One member's adaptive jitter buffer. */
export class JitterBuffer {
  readonly #native: NativeJitterBuffer;

  /** A buffer for one codec's RTP clock and the conference tick. */
  constructor(options: JitterBufferOptions) {
    this.#native = callNative(() => new native.JitterBuffer(options));
  }

  /** Offers an RTP datagram that arrived at `arrivalMs`; `samples` is its duration when
   *  known (e.g. from the Opus TOC), otherwise inferred from its neighbours. */
  push(packet: Uint8Array, arrivalMs: number, samples?: number): JitterPushStatus {
    return callNative(() => this.#native.push(packet, arrivalMs, samples));
  }

  /** The media at the playout point. Pop again while the decoded audio is short of a tick. */
  pop(): JitterFrame {
    return this.#native.pop();
  }

  /** Counters and delays. */
  stats(): JitterBufferStats {
    return this.#native.stats();
  }

  /** Forgets the stream and everything buffered; keeps counters and the jitter history. */
  reset(): void {
    this.#native.reset();
  }
}

/** Reports each RFC 4733 key once, at its event's start. */
export class TelephoneEventDetector {
  readonly #native: NativeTelephoneEventDetector;

  /** A detector for the negotiated telephone-event payload type and its clock. */
  constructor(payloadType: number, clockRate: number) {
    this.#native = callNative(() => new native.TelephoneEventDetector(payloadType, clockRate));
  }

  /** Offers a datagram; the key when it starts a new event, otherwise null. */
  push(packet: Uint8Array): TelephoneEventKey | null {
    return callNative(() => this.#native.push(packet));
  }

  /** Forgets every event seen. */
  reset(): void {
    this.#native.reset();
  }
}

/** The packets of one key press: start copies, updates, then end copies (RFC 4733). */
export function telephoneEventPackets(key: string, options: TelephoneEventPacketOptions): Uint8Array[] {
  return callNative(() => native.telephoneEventPackets(key, options));
}
