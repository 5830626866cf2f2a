import { describe, expect, it } from 'vitest';
import {
  parseRtp,
  TelephoneEventDetector,
  telephoneEventPackets,
  type RtpPacket,
} from '../../src/native/testing/rtp.ts';
import { buildRtpPacket } from '../helpers/rtp.ts';

const PT = 101;

function parsed(bytes: Uint8Array): RtpPacket {
  const result = parseRtp(bytes);
  if (!result.ok) throw new Error(`not RTP: ${result.reason}`);
  return result;
}

function eventOf(packet: RtpPacket) {
  const p = packet.payload;
  return { event: p[0], end: (p[1] & 0x80) !== 0, volume: p[1] & 0x3f, duration: (p[2] << 8) | p[3] };
}

/** A hand-made telephone-event packet. */
function eventPacket(fields: { event: number; end?: boolean; duration: number; timestamp: number; sequence: number; ssrc?: number }) {
  return buildRtpPacket({
    payloadType: PT,
    sequence: fields.sequence,
    timestamp: fields.timestamp,
    ssrc: fields.ssrc ?? 42,
    payload: new Uint8Array([fields.event, (fields.end ? 0x80 : 0) | 10, fields.duration >> 8, fields.duration & 0xff]),
  });
}

function reports(detector: TelephoneEventDetector, packets: Uint8Array[]): string[] {
  return packets.map((p) => detector.push(p)).filter((k): k is NonNullable<typeof k> => k !== null);
}

for (const clockRate of [8000, 48000]) {
  describe(`telephone-events at ${clockRate} Hz`, () => {
    const unit = clockRate / 1000; // RTP units per ms

    it('builds start copies, updates and three end copies for one press', () => {
      const packets = telephoneEventPackets('5', {
        payloadType: PT,
        clockRate,
        ssrc: 0xabc,
        sequence: 65534,
        timestamp: 0xfffffff0,
        durationMs: 100,
      }).map(parsed);
      // 100 ms at 20 ms steps: 3 starts (20 ms), updates at 40/60/80 ms, 3 ends (100 ms).
      expect(packets.length).toBe(9);
      expect(packets.map((p) => p.sequence)).toEqual([65534, 65535, 0, 1, 2, 3, 4, 5, 6]);
      expect(packets.every((p) => p.timestamp === 0xfffffff0 && p.ssrc === 0xabc && p.payloadType === PT)).toBe(true);
      expect(packets.map((p) => p.marker)).toEqual([true, true, true, false, false, false, false, false, false]);
      const events = packets.map(eventOf);
      expect(events.map((e) => e.duration)).toEqual([20, 20, 20, 40, 60, 80, 100, 100, 100].map((ms) => ms * unit));
      expect(events.map((e) => e.end)).toEqual([false, false, false, false, false, false, true, true, true]);
      expect(events.every((e) => e.event === 5 && e.volume === 10)).toBe(true);
    });

    it('reports one press with 3 start and 3 end retransmissions once', () => {
      const detector = new TelephoneEventDetector(PT, clockRate);
      const packets = telephoneEventPackets('7', { payloadType: PT, clockRate, ssrc: 1, sequence: 10, timestamp: 5000, durationMs: 120 });
      const pushed = packets.map((p) => detector.push(p));
      expect(pushed).toEqual(['7', ...Array(packets.length - 1).fill(null)]);
      // Network duplicates of any of them add nothing.
      expect(reports(detector, [...packets, ...packets].reverse())).toEqual([]);
    });

    it('reports two presses of the same key twice', () => {
      const detector = new TelephoneEventDetector(PT, clockRate);
      const first = telephoneEventPackets('#', { payloadType: PT, clockRate, ssrc: 1, sequence: 100, timestamp: 10_000, durationMs: 80 });
      const second = telephoneEventPackets('#', {
        payloadType: PT,
        clockRate,
        ssrc: 1,
        sequence: 100 + first.length,
        timestamp: 10_000 + 300 * unit,
        durationMs: 80,
      });
      expect(reports(detector, [...first, ...second])).toEqual(['#', '#']);
      // A late end copy of the first press after the second began is not a third press.
      expect(detector.push(first[first.length - 1])).toBeNull();
    });

    it('reports a press whose start packets were lost, at its first packet', () => {
      const detector = new TelephoneEventDetector(PT, clockRate);
      const packets = telephoneEventPackets('A', { payloadType: PT, clockRate, ssrc: 1, sequence: 0, timestamp: 0, durationMs: 100 });
      expect(reports(detector, packets.slice(4))).toEqual(['A']);
    });

    it('reports every key of a dialled string in order', () => {
      const detector = new TelephoneEventDetector(PT, clockRate);
      const keys = '0123456789*#ABCD';
      const packets: Uint8Array[] = [];
      let sequence = 0;
      [...keys].forEach((key, i) => {
        const press = telephoneEventPackets(key, { payloadType: PT, clockRate, ssrc: 9, sequence, timestamp: i * 200 * unit, durationMs: 60 });
        sequence += press.length;
        packets.push(...press);
      });
      expect(reports(detector, packets).join('')).toBe(keys);
    });
  });
}

describe('TelephoneEventDetector', () => {
  it('treats a press longer than the 16-bit duration as one press across segments', () => {
    // At 48 kHz the duration field fills after 1.365 s; the sender starts a new segment
    // at timestamp + 65535 with the same event.
    const detector = new TelephoneEventDetector(PT, 48000);
    const packets = [
      eventPacket({ event: 3, duration: 960, timestamp: 1000, sequence: 1 }),
      eventPacket({ event: 3, duration: 65535, timestamp: 1000, sequence: 2 }),
      eventPacket({ event: 3, duration: 960, timestamp: 1000 + 65535, sequence: 3 }),
      eventPacket({ event: 3, duration: 4800, end: true, timestamp: 1000 + 65535, sequence: 4 }),
      // A new press of the same key after the end.
      eventPacket({ event: 3, duration: 960, timestamp: 1000 + 65535 + 9600, sequence: 5 }),
    ];
    expect(packets.map((p) => detector.push(p))).toEqual(['3', null, null, null, '3']);
  });

  it('ignores other payload types, short payloads and non-key events', () => {
    const detector = new TelephoneEventDetector(PT, 8000);
    expect(detector.push(buildRtpPacket({ payloadType: 0, payload: new Uint8Array([1, 0, 0, 160]) }))).toBeNull();
    expect(detector.push(buildRtpPacket({ payloadType: PT, payload: new Uint8Array([1, 0, 0]) }))).toBeNull();
    expect(detector.push(eventPacket({ event: 16, duration: 160, timestamp: 1, sequence: 1 }))).toBeNull(); // flash
    expect(detector.push(new Uint8Array(3))).toBeNull();
    expect(detector.push(eventPacket({ event: 1, duration: 160, timestamp: 2, sequence: 2 }))).toBe('1');
  });

  it('starts over for a new SSRC', () => {
    const detector = new TelephoneEventDetector(PT, 8000);
    expect(detector.push(eventPacket({ event: 9, duration: 160, timestamp: 500, sequence: 1, ssrc: 1 }))).toBe('9');
    // Same timestamp, other source: a different press.
    expect(detector.push(eventPacket({ event: 9, duration: 160, timestamp: 500, sequence: 1, ssrc: 2 }))).toBe('9');
  });

  it('refuses bad arguments with ERR_INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => new TelephoneEventDetector(128, 8000)).toThrow(invalid);
    expect(() => new TelephoneEventDetector(101, 0)).toThrow(invalid);
    expect(() => new TelephoneEventDetector(101, 8000).push('x' as unknown as Uint8Array)).toThrow(invalid);
    const options = { payloadType: PT, clockRate: 8000, ssrc: 1, sequence: 0, timestamp: 0, durationMs: 100 };
    expect(() => telephoneEventPackets('E', options)).toThrow(invalid);
    expect(() => telephoneEventPackets('12', options)).toThrow(invalid);
    expect(() => telephoneEventPackets('1', { ...options, sequence: 70000 })).toThrow(invalid);
    expect(() => telephoneEventPackets('1', { ...options, clockRate: 48000, durationMs: 2000 })).toThrow(invalid);
    expect(() => telephoneEventPackets('1', { ...options, endPackets: 0 })).toThrow(invalid);
  });

  it('accepts lower-case a-d and sends short presses as end packets only', () => {
    const packets = telephoneEventPackets('d', {
      payloadType: PT,
      clockRate: 8000,
      ssrc: 1,
      sequence: 0,
      timestamp: 0,
      durationMs: 10,
    }).map(parsed);
    expect(packets.map((p) => [eventOf(p).event, eventOf(p).end, eventOf(p).duration, p.marker])).toEqual([
      [15, true, 80, true],
      [15, true, 80, false],
      [15, true, 80, false],
    ]);
  });
});
