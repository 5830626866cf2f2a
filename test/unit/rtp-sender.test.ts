import { describe, expect, it } from 'vitest';
import { parseRtp, RtpSender, type RtpPacket } from '../../src/native/testing/rtp.ts';

function parsed(bytes: Uint8Array): RtpPacket {
  const result = parseRtp(bytes);
  if (!result.ok) throw new Error(`not RTP: ${result.reason}`);
  return result;
}

describe('RtpSender', () => {
  it('writes a 12-byte header before the payload', () => {
    const sender = new RtpSender(111, 48000, 0x01020304);
    const bytes = sender.write(new Uint8Array([0xaa, 0xbb]), 960);
    expect(bytes.length).toBe(14);
    expect(bytes[0]).toBe(0x80);
    expect(bytes[1] & 0x7f).toBe(111);
    expect(Array.from(bytes.subarray(8, 12))).toEqual([1, 2, 3, 4]);
    expect(Array.from(bytes.subarray(12))).toEqual([0xaa, 0xbb]);
    expect(sender.packetsSent).toBe(1);
    expect(sender.octetsSent).toBe(2);
  });

  it('gives each leg its own SSRC and random starting numbers', () => {
    const senders = Array.from({ length: 200 }, () => new RtpSender(0, 8000));
    expect(new Set(senders.map((s) => s.ssrc)).size).toBe(200);
    expect(new Set(senders.map((s) => s.sequence)).size).toBeGreaterThan(190);
    expect(new Set(senders.map((s) => s.timestamp)).size).toBeGreaterThan(190);
    const first = parsed(senders[0].write(new Uint8Array(1), 160));
    expect(first.ssrc).toBe(senders[0].ssrc);
  });

  it('marks the first packet and the first after a gap, and keeps the timestamp running', () => {
    const sender = new RtpSender(111, 48000);
    const start = { sequence: sender.sequence, timestamp: sender.timestamp };
    const packets: RtpPacket[] = [];
    // Ticks: send 3, skip 2, send 2, skip 1, send 1.
    const plan = ['send', 'send', 'send', 'skip', 'skip', 'send', 'send', 'skip', 'send'];
    for (const step of plan) {
      if (step === 'send') packets.push(parsed(sender.write(new Uint8Array([7]), 960)));
      else sender.skip(960);
    }
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, true, false, true]);
    expect(packets.map((p) => (p.sequence - start.sequence) & 0xffff)).toEqual([0, 1, 2, 3, 4, 5]);
    // Timestamps follow the ticks, sent or not.
    expect(packets.map((p) => (p.timestamp - start.timestamp) >>> 0)).toEqual(
      [0, 1, 2, 5, 6, 8].map((tick) => tick * 960),
    );
    expect(sender.timestamp).toBe((start.timestamp + 9 * 960) >>> 0);
  });

  it('sets the marker on request', () => {
    const sender = new RtpSender(0, 8000);
    sender.write(new Uint8Array(160), 160);
    expect(parsed(sender.write(new Uint8Array(160), 160)).marker).toBe(false);
    expect(parsed(sender.write(new Uint8Array(160), 160, { marker: true })).marker).toBe(true);
  });

  it('wraps sequence and timestamp without a break', () => {
    const sender = new RtpSender(0, 8000, 5);
    let previous = parsed(sender.write(new Uint8Array(0), 0x7fffffff));
    let breaks = 0;
    let wraps = 0;
    for (let i = 0; i < 70_000; i++) {
      const packet = parsed(sender.write(new Uint8Array(0), 0x7fffffff));
      if (packet.sequence !== ((previous.sequence + 1) & 0xffff)) breaks++;
      if (packet.timestamp !== ((previous.timestamp + 0x7fffffff) >>> 0)) breaks++;
      if (packet.sequence === 0) wraps++;
      previous = packet;
    }
    expect(breaks).toBe(0);
    expect(wraps).toBeGreaterThanOrEqual(1);
  });

  it('refuses bad arguments with ERR_INVALID_ARGUMENT and changes nothing', () => {
    const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => new RtpSender(128, 8000)).toThrow(invalid);
    expect(() => new RtpSender(0, 0)).toThrow(invalid);
    expect(() => new RtpSender(0, 8000, -1)).toThrow(invalid);
    expect(() => new RtpSender(0, 8000, 2 ** 32)).toThrow(invalid);
    const sender = new RtpSender(0, 8000);
    const before = { sequence: sender.sequence, timestamp: sender.timestamp };
    expect(() => sender.write([1, 2] as unknown as Uint8Array, 160)).toThrow(invalid);
    expect(() => sender.write(new Uint8Array(1), -1)).toThrow(invalid);
    expect(() => sender.write(new Uint8Array(1), 1.5)).toThrow(invalid);
    expect(() => sender.write(new Uint8Array(1), 160, { marker: 1 as unknown as boolean })).toThrow(invalid);
    expect(() => sender.skip(Number.NaN)).toThrow(invalid);
    expect({ sequence: sender.sequence, timestamp: sender.timestamp }).toEqual(before);
    expect(sender.packetsSent).toBe(0);
  });
});
