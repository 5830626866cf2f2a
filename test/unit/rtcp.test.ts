import { describe, expect, it } from 'vitest';
import {
  buildRtcpBye,
  buildRtcpReport,
  createRtcpReceiverStats,
  createRtcpReportTimer,
  parseRtcp,
  type RtcpPacket,
  type RtcpReportBlock,
} from '../../src/native/testing/rtcp.ts';

const block: RtcpReportBlock = {
  ssrc: 0x11223344,
  fractionLost: 25,
  cumulativeLost: -3,
  extendedHighestSequence: 0x0001_0005,
  jitter: 77,
  lsr: 0xdeadbeef,
  dlsr: 65536,
};

function parsed(bytes: Uint8Array): RtcpPacket[] {
  const result = parseRtcp(bytes);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.packets;
}

// A deterministic generator so a failing fuzz case can be replayed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('RTCP packets', () => {
  it('round-trips an SR with report blocks and SDES CNAME', () => {
    const ntpMs = 1_700_000_000_123.5;
    const bytes = buildRtcpReport({
      ssrc: 0xcafebabe,
      ntpMs,
      rtpTimestamp: 123456789,
      packetsSent: 1000,
      octetsSent: 160000,
      cname: 'leg-1@confmix',
      reportBlocks: [block, { ...block, ssrc: 5, cumulativeLost: 8388607, fractionLost: 255 }],
    });
    // SR: 8 header + 20 sender info + 2 * 24 blocks; SDES: 8 + roundup4(2 + 13 + 1).
    expect(bytes.length).toBe(76 + 24);
    expect(bytes[1]).toBe(200);
    const [sr, sdes] = parsed(bytes);
    expect(sr).toMatchObject({
      type: 'sr',
      ssrc: 0xcafebabe,
      rtpTimestamp: 123456789,
      packetsSent: 1000,
      octetsSent: 160000,
      reportBlocks: [block, { ...block, ssrc: 5, cumulativeLost: 8388607, fractionLost: 255 }],
    });
    if (sr.type !== 'sr') throw new Error('not an SR');
    expect(sr.ntpMs).toBeCloseTo(ntpMs, 4);
    // NTP seconds are counted from 1900.
    expect(sr.ntpMsw).toBe(Math.floor(ntpMs / 1000) + 2208988800);
    expect(sdes).toEqual({
      type: 'sdes',
      chunks: [{ ssrc: 0xcafebabe, cname: 'leg-1@confmix', items: [{ type: 1, text: 'leg-1@confmix' }] }],
    });
  });

  it('builds an RR when there is no sender info, with a UTF-8 CNAME', () => {
    const bytes = buildRtcpReport({ ssrc: 7, cname: 'тест', reportBlocks: [{ ...block, cumulativeLost: -8388608 }] });
    expect(bytes[1]).toBe(201);
    expect(bytes[0] & 0x1f).toBe(1);
    expect(parsed(bytes)).toEqual([
      { type: 'rr', ssrc: 7, reportBlocks: [{ ...block, cumulativeLost: -8388608 }] },
      { type: 'sdes', chunks: [{ ssrc: 7, cname: 'тест', items: [{ type: 1, text: 'тест' }] }] },
    ]);
  });

  it('round-trips BYE with and without a reason, after an empty RR', () => {
    expect(parsed(buildRtcpBye(0xffffffff, 'call ended'))).toEqual([
      { type: 'rr', ssrc: 0xffffffff, reportBlocks: [] },
      { type: 'bye', ssrcs: [0xffffffff], reason: 'call ended' },
    ]);
    const plain = buildRtcpBye(42);
    expect(plain.length).toBe(16);
    expect(parsed(plain)).toEqual([
      { type: 'rr', ssrc: 42, reportBlocks: [] },
      { type: 'bye', ssrcs: [42] },
    ]);
  });

  it('parses APP packets and skips unknown RTCP types', () => {
    const rr = buildRtcpReport({ ssrc: 9, cname: 'x' });
    const app = Uint8Array.from([0x83, 204, 0, 3, 0, 0, 0, 9, 0x54, 0x45, 0x53, 0x54, 1, 2, 3, 4]);
    const transportFeedback = Uint8Array.from([0x81, 205, 0, 2, 0, 0, 0, 9, 0, 0, 0, 1]);
    const result = parseRtcp(Uint8Array.from([...rr, ...transportFeedback, ...app]));
    expect(result).toMatchObject({ ok: true, skipped: 1 });
    if (!result.ok) return;
    expect(result.packets.map((p) => p.type)).toEqual(['rr', 'sdes', 'app']);
    expect(result.packets[2]).toEqual({ type: 'app', ssrc: 9, subtype: 3, name: 'TEST', data: Uint8Array.from([1, 2, 3, 4]) });
  });

  it('accepts padding on the last packet only', () => {
    // RR with no blocks, padded by 4 bytes: length 2 words + 1 pad word.
    const padded = Uint8Array.from([0xa0, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4]);
    expect(parsed(padded)).toEqual([{ type: 'rr', ssrc: 1, reportBlocks: [] }]);
    const bye = buildRtcpBye(1);
    expect(parseRtcp(Uint8Array.from([...padded, ...bye.subarray(8)]))).toEqual({ ok: false, reason: 'bad-padding' });
    expect(parseRtcp(Uint8Array.from([0xa0, 201, 0, 1, 0, 0, 0, 0]))).toEqual({ ok: false, reason: 'bad-padding' });
    expect(parseRtcp(Uint8Array.from([0xa0, 201, 0, 1, 0, 0, 0, 9]))).toEqual({ ok: false, reason: 'bad-padding' });
  });

  it('rejects malformed lengths with a reason', () => {
    const good = buildRtcpReport({ ssrc: 1, ntpMs: 1, rtpTimestamp: 2, packetsSent: 3, octetsSent: 4, cname: 'c', reportBlocks: [block] });
    const cases: Array<[number[] | Uint8Array, string]> = [
      [[], 'too-short'],
      [[0x80, 201], 'too-short'],
      [[0x80, 201, 0, 0], 'too-short'], // an RR without room for its SSRC
      [[0x40, 201, 0, 1, 0, 0, 0, 0], 'bad-version'],
      [[0x80, 0x60, 0, 1, 0, 0, 0, 0], 'bad-packet-type'], // an RTP packet (PT 96)
      [good.subarray(0, good.length - 4), 'bad-length'],
      [[...good, 0x80], 'too-short'],
      [[0x81, 201, 0, 1, 0, 0, 0, 0], 'bad-report-count'], // one block announced, none present
      [[0x81, 202, 0, 1, 0, 0, 0, 1], 'bad-sdes'], // chunk without an END item
      [[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 0x61, 0x62], 'bad-sdes'], // item longer than the packet
      [[0x82, 203, 0, 1, 0, 0, 0, 1], 'bad-bye'], // two sources announced, one present
      [[0x81, 203, 0, 2, 0, 0, 0, 1, 20, 0x61, 0x62, 0x63], 'bad-bye'], // reason runs past the end
      [[0x80, 204, 0, 1, 0, 0, 0, 1], 'bad-app'],
    ];
    for (const [bytes, reason] of cases) {
      expect(parseRtcp(Uint8Array.from(bytes)), `case ${reason}`).toEqual({ ok: false, reason });
    }
  });

  it('survives 10,000 random and 10,000 mutated datagrams', () => {
    const next = random(12345);
    const seen = new Set<string>();
    const track = (result: ReturnType<typeof parseRtcp>) => seen.add(result.ok ? 'ok' : result.reason);
    for (let i = 0; i < 10_000; i += 1) {
      const bytes = new Uint8Array(Math.floor(next() * 200));
      for (let j = 0; j < bytes.length; j += 1) bytes[j] = Math.floor(next() * 256);
      // Half of them look like RTCP in their first byte, to get past the version check.
      if (i % 2 === 0 && bytes.length > 0) bytes[0] = 0x80 | (bytes[0] & 0x3f);
      if (i % 4 === 0 && bytes.length > 1) bytes[1] = 200 + (bytes[1] % 5);
      track(parseRtcp(bytes));
    }
    const base = buildRtcpReport({ ssrc: 1, ntpMs: 5, rtpTimestamp: 2, packetsSent: 3, octetsSent: 4, cname: 'cname', reportBlocks: [block, block] });
    const bye = buildRtcpBye(1, 'bye');
    const template = Uint8Array.from([...base, ...bye]);
    for (let i = 0; i < 10_000; i += 1) {
      const bytes = template.slice(0, Math.floor(next() * (template.length + 1)));
      const flips = 1 + Math.floor(next() * 3);
      for (let f = 0; f < flips && bytes.length > 0; f += 1) {
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      }
      track(parseRtcp(bytes));
    }
    // Both accepted and several kinds of rejected datagrams came through.
    expect(seen.has('ok')).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(6);
  });

  it('refuses bad arguments with ERR_INVALID_ARGUMENT', () => {
    const bad: Array<() => unknown> = [
      () => buildRtcpReport({ ssrc: -1, cname: 'x' }),
      () => buildRtcpReport({ ssrc: 2 ** 32, cname: 'x' }),
      () => buildRtcpReport({ ssrc: 1, cname: '' }),
      () => buildRtcpReport({ ssrc: 1, cname: 'x'.repeat(256) }),
      () => buildRtcpReport({ ssrc: 1, cname: 'x', ntpMs: 5 } as never),
      () => buildRtcpReport({ ssrc: 1, cname: 'x', reportBlocks: Array.from({ length: 32 }, () => block) }),
      () => buildRtcpReport({ ssrc: 1, cname: 'x', reportBlocks: [{ ...block, fractionLost: 256 }] }),
      () => buildRtcpReport({ ssrc: 1, cname: 'x', reportBlocks: [{ ...block, cumulativeLost: 8388608 }] }),
      () => buildRtcpReport({ ssrc: 1, cname: 'x', reportBlocks: [{ ...block, jitter: 1.5 }] }),
      () => buildRtcpReport(null as never),
      () => buildRtcpBye(1, 'r'.repeat(256)),
      () => buildRtcpBye('1' as never),
      () => parseRtcp([1, 2, 3] as never),
      () => parseRtcp(new Uint16Array(4) as never),
      () => createRtcpReceiverStats(0),
      () => createRtcpReceiverStats(8000).onRtp(65536, 0, 0),
      () => createRtcpReceiverStats(8000).onRtp(1, 0, Number.NaN),
      () => createRtcpReceiverStats(8000).reportBlock(-1),
      () => createRtcpReportTimer(-1),
    ];
    for (const fn of bad) {
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});

describe('RTCP receiver statistics', () => {
  const clockRate = 8000;
  const frameUnits = 160; // 20 ms at 8 kHz

  it('counts known losses exactly: cumulative and fraction per interval', () => {
    const stats = createRtcpReceiverStats(clockRate);
    // Sequences 100..199 with 10 lost (every tenth from 105), then 200..299 with 25 lost.
    for (let seq = 100; seq < 200; seq += 1) {
      if ((seq - 105) % 10 === 0) continue;
      stats.onRtp(seq, seq * frameUnits, seq * 20);
    }
    const first = stats.reportBlock(10_000);
    expect(first).toMatchObject({ cumulativeLost: 10, extendedHighestSequence: 199, fractionLost: Math.floor((10 * 256) / 100) });
    for (let seq = 200; seq < 300; seq += 1) {
      if (seq % 4 === 1) continue;
      stats.onRtp(seq, seq * frameUnits, seq * 20);
    }
    const second = stats.reportBlock(20_000);
    expect(second).toMatchObject({ cumulativeLost: 35, extendedHighestSequence: 299, fractionLost: Math.floor((25 * 256) / 100) });
    // No packets since: nothing new lost.
    expect(stats.reportBlock(25_000).fractionLost).toBe(0);
    expect(stats.expected).toBe(200);
    expect(stats.received).toBe(165);
  });

  it('counts duplicates as negative loss, clamped to 24 bits only in the block', () => {
    const stats = createRtcpReceiverStats(clockRate);
    for (let seq = 0; seq < 10; seq += 1) {
      stats.onRtp(seq, seq * frameUnits, seq * 20);
      stats.onRtp(seq, seq * frameUnits, seq * 20 + 1);
    }
    const report = stats.reportBlock(1000);
    expect(report.cumulativeLost).toBe(-10);
    expect(report.fractionLost).toBe(0);
  });

  it('extends the sequence across wraps', () => {
    const stats = createRtcpReceiverStats(clockRate);
    let lost = 0;
    for (let i = 0; i < 3 * 65536 + 10; i += 1) {
      const seq = (65000 + i) & 0xffff;
      if (i % 1000 === 999) {
        lost += 1;
        continue;
      }
      stats.onRtp(seq, (i * frameUnits) >>> 0, i * 20);
    }
    const report = stats.reportBlock(1e7);
    const highest = 65000 + 3 * 65536 + 9;
    expect(report.extendedHighestSequence).toBe(highest);
    expect(report.extendedHighestSequence >>> 16).toBe(3);
    expect(report.cumulativeLost).toBe(lost);
    // A late packet from before the wrap does not move the highest sequence.
    stats.onRtp((highest - 20) & 0xffff, 0, 1e7);
    expect(stats.reportBlock(1e7 + 1).extendedHighestSequence).toBe(highest);
  });

  it('ignores one wild jump, and restarts on a second sequential one (A.1)', () => {
    const stats = createRtcpReceiverStats(clockRate);
    for (let seq = 0; seq < 10; seq += 1) stats.onRtp(seq, seq * frameUnits, seq * 20);
    stats.onRtp(20_000, 0, 300);
    expect([stats.received, stats.expected]).toEqual([10, 10]);
    stats.onRtp(20_001, frameUnits, 320);
    expect([stats.received, stats.expected, stats.cumulativeLost]).toEqual([1, 1, 0]);
    expect(stats.reportBlock(400).extendedHighestSequence).toBe(20_001);
  });

  it('has zero jitter for a constant transit time', () => {
    const stats = createRtcpReceiverStats(clockRate);
    for (let seq = 0; seq < 500; seq += 1) stats.onRtp(seq, 1000 + seq * frameUnits, 7 + seq * 20);
    expect(stats.reportBlock(20_000).jitter).toBe(0);
  });

  it("matches RFC 3550's jitter estimator on a known arrival pattern", () => {
    const stats = createRtcpReceiverStats(clockRate);
    // Arrival offsets in ms cycle through 0, 3, 9, 1, 12, 5: transit differences up to 11 ms.
    const offsetsMs = [0, 3, 9, 1, 12, 5];
    let jitterQ4 = 0; // A.8: jitter kept scaled by 16
    let previousTransit: number | null = null;
    for (let seq = 0; seq < 300; seq += 1) {
      const timestamp = seq * frameUnits;
      const arrivalMs = 1000 + seq * 20 + offsetsMs[seq % offsetsMs.length];
      stats.onRtp(seq, timestamp, arrivalMs);
      const transit = arrivalMs * (clockRate / 1000) - timestamp;
      if (previousTransit !== null) {
        const d = Math.abs(transit - previousTransit);
        jitterQ4 += d - ((jitterQ4 + 8) >> 4);
      }
      previousTransit = transit;
    }
    const expected = jitterQ4 >> 4;
    expect(expected).toBeGreaterThan(20); // the pattern is really jittery (units of 1/8 ms)
    expect(stats.reportBlock(10_000).jitter).toBe(expected);
    expect(stats.jitter).toBe(expected);
  });

  it('gives the round trip of a constructed SR / RR exchange', () => {
    // We send an SR at t0; it takes 37 ms to reach the peer, which holds it 250 ms before its
    // RR, which takes 43 ms to come back: RTT = 80 ms.
    const t0 = 1_700_000_000_000;
    const sr = parsed(buildRtcpReport({ ssrc: 1, ntpMs: t0, rtpTimestamp: 0, packetsSent: 1, octetsSent: 160, cname: 'us' }))[0];
    if (sr.type !== 'sr') throw new Error('not an SR');
    const peer = createRtcpReceiverStats(48000);
    peer.onRtp(0, 0, t0);
    peer.onSenderReport(sr.ntpMsw, sr.ntpLsw, t0 + 37);
    const fields = peer.reportBlock(t0 + 37 + 250);
    expect(fields.lsr).toBe(((sr.ntpMsw & 0xffff) * 65536 + (sr.ntpLsw >>> 16)) >>> 0);
    expect(fields.dlsr).toBe(Math.floor((250 / 1000) * 65536));
    const rr = parsed(buildRtcpReport({ ssrc: 2, cname: 'peer', reportBlocks: [{ ssrc: 1, ...fields }] }))[0];
    if (rr.type !== 'rr') throw new Error('not an RR');
    const us = createRtcpReceiverStats(48000);
    const rtt = us.rttFromReportBlock(rr.reportBlocks[0].lsr, rr.reportBlocks[0].dlsr, t0 + 37 + 250 + 43);
    // The fields are in 1/65536 s, so the result is within two of those units.
    expect(rtt).not.toBeNull();
    expect(Math.abs((rtt ?? 0) - 80)).toBeLessThan(2 * (1000 / 65536));
    // No SR seen yet: no LSR, no round trip.
    expect(createRtcpReceiverStats(8000).reportBlock(t0)).toMatchObject({ lsr: 0, dlsr: 0 });
    expect(us.rttFromReportBlock(0, 0, t0)).toBeNull();
  });
});

describe('RTCP report timer', () => {
  it('schedules the first report sooner and the next within [0.5, 1.5] of 5 s', () => {
    let firstSum = 0;
    let nextSum = 0;
    let firstMin = Infinity;
    let firstMax = 0;
    let nextMin = Infinity;
    let nextMax = 0;
    const runs = 2000;
    for (let seed = 1; seed <= runs; seed += 1) {
      const timer = createRtcpReportTimer(seed);
      expect(timer.isDue(0)).toBe(false);
      const first = timer.start(1000) - 1000;
      expect(timer.isDue(1000 + first - 1)).toBe(false);
      expect(timer.isDue(1000 + first)).toBe(true);
      const next = timer.onReportSent(50_000) - 50_000;
      expect(timer.nextDueMs).toBe(50_000 + next);
      firstSum += first;
      nextSum += next;
      firstMin = Math.min(firstMin, first);
      firstMax = Math.max(firstMax, first);
      nextMin = Math.min(nextMin, next);
      nextMax = Math.max(nextMax, next);
    }
    expect(firstMin).toBeGreaterThanOrEqual(1250);
    expect(firstMax).toBeLessThan(3750);
    expect(nextMin).toBeGreaterThanOrEqual(2500);
    expect(nextMax).toBeLessThan(7500);
    // Uniform: the means sit at the nominal values, and the range is really used.
    expect(Math.abs(firstSum / runs - 2500)).toBeLessThan(50);
    expect(Math.abs(nextSum / runs - 5000)).toBeLessThan(100);
    expect(nextMax - nextMin).toBeGreaterThan(4500);
    // Same seed, same schedule.
    expect(createRtcpReportTimer(7).start(0)).toBe(createRtcpReportTimer(7).start(0));
  });
});
