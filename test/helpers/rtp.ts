// RTP packet building for tests: one packet with any header field (valid or not), a stream
// of packets with running sequence and timestamp, and a seeded random source.

/** Fields of a test RTP packet; anything unset gets a plain valid default. */
export interface RtpPacketFields {
  /** Version bits (default 2). */
  version?: number;
  /** Marker bit. */
  marker?: boolean;
  /** Payload type (default 0). */
  payloadType?: number;
  /** Sequence number, wrapped to 16 bits. */
  sequence?: number;
  /** Timestamp, wrapped to 32 bits. */
  timestamp?: number;
  /** SSRC (default 0x11223344). */
  ssrc?: number;
  /** CSRC list (up to 15). */
  csrcs?: number[];
  /** Header extension: profile word and body (a multiple of 4 bytes). */
  extension?: { profile: number; data: Uint8Array };
  /** Padding bytes to append (1..255); the last one holds the count. */
  paddingBytes?: number;
  /** Payload bytes. */
  payload?: Uint8Array;
  /** Overrides the CSRC count bits (to build malformed packets). */
  csrcCount?: number;
  /** Sets the P bit without appending padding (to build malformed packets). */
  forcePaddingBit?: boolean;
}

/** Builds one RTP datagram. */
export function buildRtpPacket(fields: RtpPacketFields = {}): Uint8Array {
  const csrcs = fields.csrcs ?? [];
  const payload = fields.payload ?? new Uint8Array(0);
  const ext = fields.extension;
  const padding = fields.paddingBytes ?? 0;
  const size = 12 + csrcs.length * 4 + (ext ? 4 + ext.data.length : 0) + payload.length + padding;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const version = fields.version ?? 2;
  const csrcCount = fields.csrcCount ?? csrcs.length;
  out[0] =
    ((version & 3) << 6) |
    (padding > 0 || fields.forcePaddingBit ? 0x20 : 0) |
    (ext ? 0x10 : 0) |
    (csrcCount & 0x0f);
  out[1] = (fields.marker ? 0x80 : 0) | ((fields.payloadType ?? 0) & 0x7f);
  view.setUint16(2, (fields.sequence ?? 0) & 0xffff);
  view.setUint32(4, (fields.timestamp ?? 0) >>> 0);
  view.setUint32(8, (fields.ssrc ?? 0x11223344) >>> 0);
  let offset = 12;
  for (const csrc of csrcs) {
    view.setUint32(offset, csrc >>> 0);
    offset += 4;
  }
  if (ext) {
    view.setUint16(offset, ext.profile & 0xffff);
    view.setUint16(offset + 2, Math.floor(ext.data.length / 4));
    out.set(ext.data, offset + 4);
    offset += 4 + ext.data.length;
  }
  out.set(payload, offset);
  offset += payload.length;
  if (padding > 0) out[offset + padding - 1] = padding;
  return out;
}

/** A sender's view of a stream: each packet() takes the next sequence and timestamp. */
export class RtpStreamBuilder {
  /** Next sequence number (wraps at 65536). */
  sequence: number;
  /** Next timestamp (wraps at 2^32). */
  timestamp: number;

  constructor(
    /** Fixed fields of every packet. */
    readonly base: { ssrc: number; payloadType: number; samplesPerPacket: number },
    start: { sequence: number; timestamp: number },
  ) {
    this.sequence = start.sequence & 0xffff;
    this.timestamp = start.timestamp >>> 0;
  }

  /** The next packet; its payload names its sequence number unless one is given. */
  packet(extra: Partial<RtpPacketFields> = {}): { bytes: Uint8Array; sequence: number; timestamp: number } {
    const sequence = this.sequence;
    const timestamp = this.timestamp;
    const bytes = buildRtpPacket({
      ssrc: this.base.ssrc,
      payloadType: this.base.payloadType,
      sequence,
      timestamp,
      payload: extra.payload ?? sequencePayload(sequence),
      ...extra,
    });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + this.base.samplesPerPacket) >>> 0;
    return { bytes, sequence, timestamp };
  }

  /** Moves the timestamp without sending (a silent tick, or a deliberate jump). */
  advanceTimestamp(samples: number): void {
    this.timestamp = (this.timestamp + samples) >>> 0;
  }
}

/** A 4-byte payload that identifies a packet by its sequence number. */
export function sequencePayload(sequence: number): Uint8Array {
  return new Uint8Array([0xa5, (sequence >> 8) & 0xff, sequence & 0xff, 0x5a]);
}

/** The sequence number sequencePayload wrote, or -1 if the payload is not one. */
export function payloadSequence(payload: Uint8Array | undefined): number {
  if (!payload || payload.length !== 4 || payload[0] !== 0xa5 || payload[3] !== 0x5a) return -1;
  return (payload[1] << 8) | payload[2];
}

/** RFC 4733 event codes of the dialpad's symbols (a digit is its own code). */
const KEY_EVENT_CODES: Record<string, number> = { '*': 10, '#': 11 };

/**
 * One dialpad key as RFC 4733 packets, to send one per frame in place of audio: three updates
 * (the first marked) and the end packet three times, all one event starting at `timestamp`.
 * Their sequence numbers are 0: the sender sets each as it sends it.
 */
export function keyPackets(key: string, stream: { payloadType: number; ssrc: number; timestamp: number; samplesPerFrame: number }): Uint8Array[] {
  const code = KEY_EVENT_CODES[key] ?? Number(key);
  const packet = (frames: number, end: boolean): Uint8Array => {
    const duration = frames * stream.samplesPerFrame;
    return buildRtpPacket({
      payloadType: stream.payloadType,
      marker: frames === 1,
      sequence: 0,
      timestamp: stream.timestamp,
      ssrc: stream.ssrc,
      payload: new Uint8Array([code, (end ? 0x80 : 0) | 10, (duration >> 8) & 0xff, duration & 0xff]),
    });
  };
  return [packet(1, false), packet(2, false), packet(3, false), packet(4, true), packet(4, true), packet(4, true)];
}

/** The seeded generator tests share (defined with the audio helpers). */
export { seededRandom } from './audio.ts';
