import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../src/native/testing/rtp.ts';
import { buildRtpPacket, payloadSequence, RtpStreamBuilder, seededRandom } from '../helpers/rtp.ts';

describe('JitterBuffer under chaotic input', () => {
  it('keeps its invariants through bursts, stalls, jumps, duplicates and garbage', () => {
    const random = seededRandom(2024);
    const jb = new JitterBuffer({ clockRate: 48000, frameSamples: 960, maxDelayMs: 200 });
    const stream = new RtpStreamBuilder({ ssrc: 7, payloadType: 111, samplesPerPacket: 960 }, { sequence: 65000, timestamp: 1 });
    const inFlight: { at: number; bytes: Uint8Array }[] = [];
    const sent: Uint8Array[] = [];
    let now = 0;
    let lastPlayed = -1;
    let orderBreaks = 0;
    let maxLevelAfterPop = 0;
    const kinds = new Map<string, number>();
    for (let tick = 0; tick < 6000; tick++) {
      now = tick * 20;
      // Every tick the sender sends a packet; the network delays it 0..150 ms or loses it.
      const { bytes } = stream.packet();
      sent.push(bytes);
      if (random() > 0.03) inFlight.push({ at: now + random() * 150, bytes });
      if (random() < 0.03) stream.advanceTimestamp(Math.floor(random() * 200_000) - 100_000); // timestamp jump
      if (random() < 0.02) inFlight.push({ at: now, bytes: sent[Math.floor(random() * sent.length)] }); // old copy
      if (random() < 0.01) {
        const garbage = new Uint8Array(Math.floor(random() * 30));
        for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
        inFlight.push({ at: now, bytes: garbage });
      }
      if (random() < 0.005) {
        // A 1 s stall, then everything at once.
        for (const packet of inFlight) packet.at = Math.max(packet.at, now + 1000);
      }
      if (random() < 0.002) stream.sequence = (stream.sequence + 20_000) & 0xffff; // sequence jump
      inFlight.sort((a, b) => a.at - b.at);
      while (inFlight.length > 0 && inFlight[0].at <= now) {
        const { at, bytes } = inFlight.shift()!;
        jb.push(bytes, at);
      }
      const frame = jb.pop();
      kinds.set(frame.kind, (kinds.get(frame.kind) ?? 0) + 1);
      expect(frame.samples).toBeGreaterThan(0);
      expect(frame.samples).toBeLessThanOrEqual(5760);
      if (frame.kind === 'packet') {
        const sequence = payloadSequence(frame.payload);
        // Nothing is played twice or after a newer packet. (A confirmed sequence restart
        // jumps by thousands; going back by less would be replaying old audio.)
        if (lastPlayed >= 0 && ((lastPlayed - sequence) & 0xffff) < 3000) orderBreaks++;
        lastPlayed = sequence;
      }
      maxLevelAfterPop = Math.max(maxLevelAfterPop, jb.stats().bufferedMs);
    }
    const stats = jb.stats();
    expect(orderBreaks).toBe(0);
    expect(maxLevelAfterPop).toBeLessThanOrEqual(240);
    expect(stats.targetDelayMs).toBeLessThanOrEqual(200);
    expect(kinds.get('packet') ?? 0).toBeGreaterThan(5000);
    expect(stats.received).toBe(stats.queued + stats.late + stats.duplicates + stats.tooBig + stats.staleSsrc + stats.sequenceJumps);
    expect(stats.timestampJumps).toBeGreaterThan(0);
  });

  it('survives a burst larger than its ring', () => {
    const jb = new JitterBuffer({ clockRate: 8000, frameSamples: 160, maxDelayMs: 100, slots: 8 });
    for (let n = 0; n < 100; n++) {
      expect(jb.push(buildRtpPacket({ sequence: n, timestamp: n * 160, payload: new Uint8Array(160) }), 0)).toBe('queued');
    }
    const frames = Array.from({ length: 20 }, () => jb.pop());
    expect(frames.every((f) => f.samples === 160)).toBe(true);
    expect(jb.stats().droppedOverflow).toBeGreaterThanOrEqual(92);
    expect(jb.stats().bufferedMs).toBeLessThanOrEqual(140);
  });
});
