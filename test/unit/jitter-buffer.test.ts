// Longer than 500 lines: one case per arrival pattern the buffer must absorb, each a few lines.
import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterBufferOptions, type JitterFrame } from '../../src/native/testing/rtp.ts';
import { RtpStreamBuilder, buildRtpPacket, payloadSequence, seededRandom, sequencePayload } from '../helpers/rtp.ts';

// Opus: 48 kHz RTP clock, 20 ms ticks.
const OPUS: JitterBufferOptions = { clockRate: 48000, frameSamples: 960 };
const TICK_MS = 20;

interface Arrival {
  at: number;
  bytes: Uint8Array;
  samples?: number;
}

/** One letter per frame: p<seq> packet, L lost (L+ with FEC payload), D dtx, U underrun. */
function symbol(frame: JitterFrame): string {
  switch (frame.kind) {
    case 'packet':
      return `p${payloadSequence(frame.payload)}`;
    case 'lost':
      return frame.nextPayload ? 'L+' : 'L';
    case 'dtx':
      return 'D';
    default:
      return 'U';
  }
}

interface Run {
  frames: JitterFrame[];
  symbols: string[];
  statuses: string[];
  /** bufferedMs just before each pop. */
  levels: number[];
  /** bufferedMs just after each pop. */
  levelsAfter: number[];
}

/** Ticks every 20 ms: pushes what has arrived by then (in arrival order), then pops once. */
function simulate(jb: JitterBuffer, arrivals: Arrival[], ticks: number): Run {
  const ordered = arrivals.map((a, i) => ({ ...a, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  const run: Run = { frames: [], symbols: [], statuses: [], levels: [], levelsAfter: [] };
  let next = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const now = tick * TICK_MS;
    while (next < ordered.length && ordered[next].at <= now) {
      const a = ordered[next++];
      run.statuses.push(jb.push(a.bytes, a.at, a.samples));
    }
    run.levels.push(jb.stats().bufferedMs);
    const frame = jb.pop();
    run.frames.push(frame);
    run.symbols.push(symbol(frame));
    run.levelsAfter.push(jb.stats().bufferedMs);
  }
  return run;
}

function opusStream(sequence = 1000, timestamp = 123456, ssrc = 0x5eed): RtpStreamBuilder {
  return new RtpStreamBuilder({ ssrc, payloadType: 111, samplesPerPacket: 960 }, { sequence, timestamp });
}

/** Packets p<first>..p<first+count-1>, wrapping at 65536. */
function packetRun(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `p${(first + i) & 0xffff}`);
}

function count(symbols: string[], wanted: string): number {
  return symbols.filter((s) => s === wanted).length;
}

describe('JitterBuffer: steady stream', () => {
  it('plays every packet in order, one per tick, from the first tick', () => {
    const jb = new JitterBuffer(OPUS);
    const stream = opusStream();
    const arrivals = Array.from({ length: 100 }, (_, n) => ({ at: n * TICK_MS, bytes: stream.packet().bytes }));
    const run = simulate(jb, arrivals, 100);
    expect(run.symbols).toEqual(packetRun(1000, 100));
    expect(run.frames.map((f) => f.timestamp)).toEqual(arrivals.map((_, n) => 123456 + n * 960));
    expect(run.frames.every((f) => f.samples === 960)).toBe(true);
    const stats = jb.stats();
    expect(stats).toMatchObject({ received: 100, queued: 100, lost: 0, late: 0, packetsPlayed: 100, targetDelayMs: 20 });
  });

  it('underruns with cause prefill before the first packet', () => {
    const jb = new JitterBuffer(OPUS);
    expect(jb.pop()).toEqual({ kind: 'underrun', cause: 'prefill', timestamp: 0, samples: 960 });
  });
});

describe('JitterBuffer: loss', () => {
  const total = 1000;
  const random = seededRandom(5);
  const lost = new Set<number>();
  for (let n = 2; n < total - 3; n++) if (random() < 0.05) lost.add(n);

  function lossyArrivals(): Arrival[] {
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < total; n++) {
      const { bytes } = stream.packet();
      if (!lost.has(n)) arrivals.push({ at: n * TICK_MS, bytes });
    }
    return arrivals;
  }

  it('with 60 ms of delay, reports lost frames exactly at the gaps, with FEC payloads when adjacent', () => {
    expect(lost.size).toBeGreaterThan(30);
    const jb = new JitterBuffer({ ...OPUS, minDelayMs: 60 });
    const run = simulate(jb, lossyArrivals(), total + 2);
    // Playout lags arrival by two ticks. A lost packet is reported as lost when a later
    // packet is already buffered (with that packet's payload if it is the very next one);
    // when the next two are lost as well, the buffer is starved and the tick underruns.
    const expected = ['U', 'U'];
    for (let n = 0; n < total; n++) {
      if (!lost.has(n)) expected.push(`p${n}`);
      else if (!lost.has(n + 1)) expected.push('L+');
      else if (!lost.has(n + 2)) expected.push('L');
      else expected.push('U');
    }
    expect(run.symbols).toEqual(expected);
    run.frames.forEach((frame, i) => {
      if (frame.kind === 'lost' && frame.nextPayload) {
        expect(frame.nextPayload).toEqual(sequencePayload(i - 2 + 1));
        expect(frame.timestamp).toBe((i - 2) * 960);
      }
    });
    const stats = jb.stats();
    expect(stats.lost).toBe(lost.size);
    expect(stats.late + stats.droppedDrift + stats.inserted + stats.resyncs).toBe(0);
  });

  it('at the one-frame minimum, underruns exactly at the gaps and loses nothing else', () => {
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, lossyArrivals(), total);
    const expected = Array.from({ length: total }, (_, n) => (lost.has(n) ? 'U' : `p${n}`));
    expect(run.symbols).toEqual(expected);
    expect(run.frames.filter((f) => f.kind === 'underrun').every((f) => f.cause === 'starved')).toBe(true);
    const stats = jb.stats();
    expect(stats.lost).toBe(lost.size);
    expect(stats.underruns).toBe(lost.size);
    expect(stats.late + stats.droppedDrift + stats.inserted).toBe(0);
  });
});

describe('JitterBuffer: reordering and duplicates', () => {
  it('puts a 3-packet reorder back in order and loses nothing', () => {
    // Each group of three is held by the network and delivered last-first.
    const stream = opusStream(500, 0);
    const arrivals: Arrival[] = [];
    for (let group = 0; group < 100; group++) {
      const packets = [stream.packet().bytes, stream.packet().bytes, stream.packet().bytes];
      const at = (group * 3 + 2) * TICK_MS;
      for (const bytes of packets.reverse()) arrivals.push({ at, bytes });
    }
    const jb = new JitterBuffer({ ...OPUS, minDelayMs: 60 });
    const run = simulate(jb, arrivals, 302);
    expect(run.symbols).toEqual(['U', 'U', ...packetRun(500, 300)]);
    const stats = jb.stats();
    expect(stats.reordered).toBe(200);
    expect(stats.lost + stats.late + stats.droppedDrift + stats.inserted).toBe(0);
  });

  it('learns a reorder it was not configured for, then keeps every packet in order', () => {
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    for (let group = 0; group < 500; group++) {
      const packets = [stream.packet().bytes, stream.packet().bytes, stream.packet().bytes];
      const at = (group * 3 + 2) * TICK_MS;
      for (const bytes of packets.reverse()) arrivals.push({ at, bytes });
    }
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 1500);
    const played = run.frames.filter((f) => f.kind === 'packet').map((f) => payloadSequence(f.payload));
    // Never out of order.
    for (let i = 1; i < played.length; i++) expect(played[i]).toBeGreaterThan(played[i - 1]);
    // Once the target has grown to cover the reorder (within 5 s), nothing is lost.
    const settled = run.symbols.slice(250);
    expect(settled.every((s) => s.startsWith('p'))).toBe(true);
    const firstSettled = payloadSequence(run.frames[250].payload);
    expect(settled).toEqual(packetRun(firstSettled, settled.length));
    expect(jb.stats().targetDelayMs).toBeGreaterThanOrEqual(60);
  });

  it('drops duplicates, however late, and plays each packet once', () => {
    const stream = opusStream(7, 0);
    const random = seededRandom(9);
    const arrivals: Arrival[] = [];
    let copies = 0;
    for (let n = 0; n < 200; n++) {
      const { bytes } = stream.packet();
      arrivals.push({ at: n * TICK_MS, bytes });
      arrivals.push({ at: n * TICK_MS, bytes }); // an immediate copy
      copies++;
      if (random() < 0.1) {
        arrivals.push({ at: n * TICK_MS + 100 + random() * 300, bytes }); // a late copy
        copies++;
      }
    }
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 200);
    expect(run.symbols).toEqual(packetRun(7, 200));
    // Every copy pushed within the run was refused as a duplicate.
    expect(count(run.statuses, 'queued')).toBe(200);
    expect(count(run.statuses, 'duplicate')).toBe(run.statuses.length - 200);
    expect(count(run.statuses, 'duplicate')).toBeGreaterThan(200);
    expect(copies).toBeGreaterThanOrEqual(count(run.statuses, 'duplicate'));
    expect(jb.stats().duplicates).toBe(count(run.statuses, 'duplicate'));
    expect(jb.stats()).toMatchObject({ lost: 0, late: 0 });
  });
});

describe('JitterBuffer: stream changes', () => {
  it('crosses the sequence wrap at 65535 seamlessly', () => {
    const stream = opusStream(65500, 0xfffff000);
    const arrivals = Array.from({ length: 100 }, (_, n) => ({ at: n * TICK_MS, bytes: stream.packet().bytes }));
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 100);
    expect(run.symbols).toEqual(packetRun(65500, 100));
    expect(run.frames.map((f) => f.timestamp)).toEqual(arrivals.map((_, n) => (0xfffff000 + n * 960) >>> 0));
    expect(jb.stats()).toMatchObject({ lost: 0, late: 0, duplicates: 0, reordered: 0 });
  });

  it('resets to a new SSRC mid-call: no stale packets, no long gap', () => {
    const a = opusStream(100, 5000, 0xaaaa);
    const b = opusStream(40000, 0x70000000, 0xbbbb);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < 50; n++) arrivals.push({ at: n * TICK_MS, bytes: a.packet().bytes });
    for (let n = 50; n < 100; n++) arrivals.push({ at: n * TICK_MS, bytes: b.packet().bytes });
    // A straggler of the old stream after the switch.
    const straggler = a.packet().bytes;
    arrivals.push({ at: 55 * TICK_MS, bytes: straggler });

    const jb = new JitterBuffer({ ...OPUS, minDelayMs: 40 });
    const run = simulate(jb, arrivals, 101);
    // Two frames of delay: A49 is still buffered at the switch and is flushed; B fills
    // for one tick, then plays.
    expect(run.symbols).toEqual(['U', ...packetRun(100, 49), 'U', ...packetRun(40000, 50)]);
    expect(run.statuses.filter((s) => s !== 'queued')).toEqual(['stale-ssrc']);
    expect(jb.stats()).toMatchObject({ ssrcChanges: 1, flushed: 1, staleSsrc: 1, lost: 0 });

    // At the one-frame minimum the switch costs nothing.
    const c = opusStream(100, 5000, 0xaaaa);
    const d = opusStream(9, 77, 0xdddd);
    const quick: Arrival[] = [];
    for (let n = 0; n < 50; n++) quick.push({ at: n * TICK_MS, bytes: c.packet().bytes });
    for (let n = 50; n < 80; n++) quick.push({ at: n * TICK_MS, bytes: d.packet().bytes });
    expect(simulate(new JitterBuffer(OPUS), quick, 80).symbols).toEqual([...packetRun(100, 50), ...packetRun(9, 30)]);
  });

  for (const [name, jump] of [
    ['forward', 96000],
    ['backward', -96000],
  ] as const) {
    it(`rides a 2-second ${name} timestamp jump with continuous sequence`, () => {
      const stream = opusStream(300, 1_000_000);
      const arrivals: Arrival[] = [];
      for (let n = 0; n < 150; n++) {
        if (n === 60) stream.advanceTimestamp(jump);
        arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
      }
      const jb = new JitterBuffer(OPUS);
      const run = simulate(jb, arrivals, 150);
      expect(run.symbols).toEqual(packetRun(300, 150));
      expect(run.frames[60].timestamp).toBe(1_000_000 + 60 * 960 + jump);
      expect(jb.stats()).toMatchObject({ timestampJumps: 1, lost: 0, late: 0, lostFrames: 0, dtxFrames: 0 });
    });
  }

  it('does not restart on a burst of stale packets after a stall', () => {
    const stream = opusStream(1000, 0);
    const packets = Array.from({ length: 300 }, () => stream.packet().bytes);
    const arrivals: Arrival[] = packets.slice(0, 250).map((bytes, n) => ({ at: n * TICK_MS, bytes }));
    // Packets 50..59 were held for 4 s and arrive together, 150 sequence numbers behind.
    arrivals.splice(50, 10);
    for (let n = 50; n < 60; n++) arrivals.push({ at: 200 * TICK_MS, bytes: packets[n] });
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 250);
    const played = run.frames.filter((f) => f.kind === 'packet').map((f) => payloadSequence(f.payload));
    for (let i = 1; i < played.length; i++) expect(played[i]).toBeGreaterThan(played[i - 1]);
    expect(run.symbols.slice(60)).toEqual(packetRun(1060, 190));
    expect(jb.stats()).toMatchObject({ late: 10, flushed: 0 });
  });

  it('restarts after a confirmed sequence jump instead of counting 20,000 losses', () => {
    const stream = opusStream(10, 0);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < 40; n++) {
      if (n === 20) stream.sequence = 30000;
      arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
    }
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 40);
    // The new range counts as a restart once it has flowed for 60 ms.
    expect(run.symbols).toEqual([...packetRun(10, 20), 'U', 'U', 'U', ...packetRun(30003, 17)]);
    expect(jb.stats()).toMatchObject({ sequenceJumps: 3, lost: 0 });
  });
});

describe('JitterBuffer: sender clock drift', () => {
  for (const [name, ratio] of [
    ['1% fast', 0.99],
    ['1% slow', 1.01],
  ] as const) {
    it(`absorbs a sender clock ${name} over 60 s with a bounded level`, () => {
      const stream = opusStream(0, 0);
      const ticks = 3000;
      const arrivals: Arrival[] = [];
      for (let n = 0; n * TICK_MS * ratio <= ticks * TICK_MS; n++) {
        arrivals.push({ at: n * TICK_MS * ratio, bytes: stream.packet().bytes });
      }
      const jb = new JitterBuffer(OPUS);
      const run = simulate(jb, arrivals, ticks);
      const played = run.frames.filter((f) => f.kind === 'packet').map((f) => payloadSequence(f.payload));
      for (let i = 1; i < played.length; i++) expect(played[i]).toBeGreaterThan(played[i - 1]);
      const stats = jb.stats();
      expect(stats.lost + stats.late).toBe(0);
      expect(Math.max(...run.levels)).toBeLessThanOrEqual(60);
      // 60 s at 1% is 30 frames to drop (fast) or to fill (slow).
      const corrections = ratio < 1 ? stats.droppedDrift : stats.inserted + stats.underruns;
      expect(corrections).toBeGreaterThanOrEqual(27);
      expect(corrections).toBeLessThanOrEqual(33);
      expect(stats.packetsPlayed + stats.droppedDrift).toBe(stats.queued - (ratio < 1 ? Math.ceil(stats.bufferedMs / 20) : 0));
      // The level at the end is where it was after the first second.
      expect(Math.max(...run.levels.slice(-250))).toBeLessThanOrEqual(Math.max(...run.levels.slice(50, 300)) + 20);
    });
  }
});

describe('JitterBuffer: level steering only where the buffer agrees', () => {
  it('trims a burst that overfilled the prefill before anything plays, then drops nothing', () => {
    // Five packets arrive at once (a relay that connects while the sender already runs), then
    // the stream is steady: the excess goes before playout starts, never mid-stream.
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < 5; n++) arrivals.push({ at: 100, bytes: stream.packet().bytes });
    for (let n = 5; n < 200; n++) arrivals.push({ at: 100 + (n - 4) * TICK_MS, bytes: stream.packet().bytes });
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 220);
    const played = run.symbols.filter((s) => s.startsWith('p'));
    const first = Number(played[0].slice(1));
    expect(first).toBeGreaterThan(0);
    // From the first packet played on, every packet plays, in order, with nothing in between.
    expect(played).toEqual(packetRun(first, played.length));
    const start = run.symbols.indexOf(played[0]);
    expect(run.symbols.slice(start, start + played.length)).toEqual(played);
    expect(jb.stats()).toMatchObject({ droppedDrift: first, inserted: 0, lost: 0, late: 0 });
  });

  it('holds the playout clock only while the buffer itself is short of the target', () => {
    // A stall then a burst raises the target; the buffer already holds the burst, so no frame
    // is inserted on top of it.
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < 50; n++) arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
    for (let n = 50; n < 56; n++) arrivals.push({ at: 55 * TICK_MS + 1, bytes: stream.packet().bytes });
    for (let n = 56; n < 150; n++) arrivals.push({ at: n * TICK_MS + 1, bytes: stream.packet().bytes });
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 160);
    const stretchedWithMediaBuffered = run.frames
      .map((frame, i) => ({ frame, level: run.levels[i] }))
      .filter(({ frame, level }) => frame.kind === 'underrun' && frame.cause === 'stretch' && level >= jb.stats().targetDelayMs);
    expect(stretchedWithMediaBuffered).toEqual([]);
    expect(jb.stats().lost + jb.stats().late).toBe(0);
  });
});

describe('JitterBuffer: adaptive delay', () => {
  it('grows its target with arrival jitter, stays under 500 ms, and shrinks slowly when calm', () => {
    const random = seededRandom(77);
    const stream = opusStream(0, 0);
    const jitterTicks = 1500; // 30 s of 0..80 ms lateness, then 60 s of none
    const ticks = 4500;
    const arrivals: Arrival[] = [];
    for (let n = 0; n < ticks; n++) {
      const lateness = n < jitterTicks ? random() * 80 : 0;
      arrivals.push({ at: n * TICK_MS + lateness, bytes: stream.packet().bytes });
    }
    const jb = new JitterBuffer(OPUS);
    const targets: number[] = [];
    const late: number[] = [];
    const ordered = arrivals;
    let next = 0;
    for (let tick = 0; tick < ticks; tick++) {
      const sorted = ordered.slice(next).filter((a) => a.at <= tick * TICK_MS).sort((x, y) => x.at - y.at);
      for (const a of sorted) if (jb.push(a.bytes, a.at) === 'late') late.push(tick);
      while (next < ordered.length && ordered[next].at <= tick * TICK_MS) next++;
      // Arrivals are pushed in time order even when jitter reorders them.
      jb.pop();
      targets.push(jb.stats().targetDelayMs);
    }
    expect(targets[0]).toBe(20);
    const peak = Math.max(...targets);
    expect(targets[jitterTicks - 1]).toBeGreaterThanOrEqual(80);
    expect(peak).toBeLessThanOrEqual(120);
    // Covered: after the first 5 s, under 1% of packets late.
    expect(late.filter((t) => t >= 250 && t < jitterTicks).length).toBeLessThan(13);
    // Shrinks slowly: still high 2 s into the calm, back near one frame a minute later.
    expect(targets[jitterTicks + 100]).toBeGreaterThanOrEqual(targets[jitterTicks - 1] - 10);
    expect(targets[ticks - 1]).toBeLessThanOrEqual(30);
    expect(jb.stats().lost).toBe(late.length);
  });

  it('caps the target and the level at 500 ms under seconds of jitter', () => {
    const random = seededRandom(3);
    const stream = opusStream(0, 0);
    const arrivals = Array.from({ length: 1500 }, (_, n) => ({ at: n * TICK_MS + random() * 2000, bytes: stream.packet().bytes }));
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 1500);
    expect(jb.stats().targetDelayMs).toBe(500);
    // The cap is the maximum delay plus two packets; a pop never leaves more behind.
    expect(Math.max(...run.levelsAfter)).toBeLessThanOrEqual(540);
    expect(Math.max(...run.levelsAfter)).toBeGreaterThan(400);
  });

  it('honours maxDelayMs', () => {
    const random = seededRandom(4);
    const stream = opusStream(0, 0);
    const arrivals = Array.from({ length: 1000 }, (_, n) => ({ at: n * TICK_MS + random() * 400, bytes: stream.packet().bytes }));
    const jb = new JitterBuffer({ ...OPUS, maxDelayMs: 100 });
    const run = simulate(jb, arrivals, 1000);
    expect(jb.stats().targetDelayMs).toBe(100);
    expect(Math.max(...run.levelsAfter)).toBeLessThanOrEqual(140);
  });
});

describe('JitterBuffer: packet time different from the tick', () => {
  /** A consumer that keeps decoded media in a FIFO and pops while it is short of a tick. */
  function consume(jb: JitterBuffer, arrivals: Arrival[], ticks: number): string[] {
    const out: string[] = [];
    let fifo = 0;
    let next = 0;
    for (let tick = 0; tick < ticks; tick++) {
      while (next < arrivals.length && arrivals[next].at <= tick * TICK_MS) {
        const a = arrivals[next++];
        jb.push(a.bytes, a.at, a.samples);
      }
      while (fifo < 960) {
        const frame = jb.pop();
        out.push(`${symbol(frame)}/${frame.samples}`);
        fifo += frame.samples;
        if (frame.kind === 'underrun') break;
      }
      fifo = Math.max(0, fifo - 960);
    }
    return out;
  }

  it('serves 60 ms packets to a 20 ms tick', () => {
    const stream = new RtpStreamBuilder({ ssrc: 1, payloadType: 111, samplesPerPacket: 2880 }, { sequence: 0, timestamp: 0 });
    const arrivals = Array.from({ length: 50 }, (_, n) => ({ at: n * 60, bytes: stream.packet().bytes, samples: 2880 }));
    const jb = new JitterBuffer(OPUS);
    expect(consume(jb, arrivals, 150)).toEqual(packetRun(0, 50).map((p) => `${p}/2880`));
    expect(jb.stats()).toMatchObject({ lost: 0, late: 0, droppedDrift: 0, inserted: 0, underruns: 0 });
  });

  it('serves 10 ms packets two per tick', () => {
    const stream = new RtpStreamBuilder({ ssrc: 1, payloadType: 111, samplesPerPacket: 480 }, { sequence: 0, timestamp: 0 });
    const arrivals = Array.from({ length: 200 }, (_, n) => ({ at: n * 10, bytes: stream.packet().bytes, samples: 480 }));
    const jb = new JitterBuffer(OPUS);
    // Two packets make a tick, so playout starts once the second is in.
    expect(consume(jb, arrivals, 100)).toEqual(['U/960', ...packetRun(0, 198).map((p) => `${p}/480`)]);
    expect(jb.stats()).toMatchObject({ lost: 0, late: 0, droppedDrift: 0, inserted: 0, underruns: 0 });
  });

  it('infers a packet length it was not told from the timestamps', () => {
    const stream = new RtpStreamBuilder({ ssrc: 1, payloadType: 111, samplesPerPacket: 480 }, { sequence: 0, timestamp: 0 });
    const arrivals = Array.from({ length: 200 }, (_, n) => ({ at: n * 10, bytes: stream.packet().bytes }));
    const jb = new JitterBuffer(OPUS);
    const out = consume(jb, arrivals, 100);
    // Only the first packet, alone in the buffer, is taken for a whole tick; its successor
    // still plays (the playout clock never runs backwards), and from then on lengths come
    // from the timestamps.
    expect(out[0]).toBe('p0/960');
    expect(out.slice(1)).toEqual(packetRun(1, out.length - 1).map((p) => `${p}/480`));
    expect(out.length).toBeGreaterThanOrEqual(195);
    expect(jb.stats()).toMatchObject({ late: 0, lost: 0 });
  });
});

describe('JitterBuffer: DTX and silence', () => {
  it('plays DTX as comfort frames while DTX packets keep coming, then talk resumes in time', () => {
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    let n = 0;
    for (; n < 50; n++) arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
    // DTX: a 1-byte packet every 400 ms for 2 s, sequence continuous.
    for (let k = 0; k < 5; k++) {
      arrivals.push({ at: n * TICK_MS, bytes: stream.packet({ payload: new Uint8Array([0xf8]) }).bytes });
      stream.advanceTimestamp(19 * 960);
      n += 20;
    }
    for (let k = 0; k < 50; k++, n++) arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, n);
    expect(run.symbols).toEqual([...packetRun(0, 50), ...Array(100).fill('D'), ...packetRun(55, 50)]);
    expect(run.frames.filter((f) => f.kind === 'dtx' && f.payload).length).toBe(5);
    expect(jb.stats()).toMatchObject({ lost: 0, underruns: 0, dtxFrames: 100 });
  });

  it('trusts DTX for a second only, then reports the silence as underruns', () => {
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < 10; n++) arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
    arrivals.push({ at: 200, bytes: stream.packet({ payload: new Uint8Array([0xf8]) }).bytes });
    const run = simulate(new JitterBuffer(OPUS), arrivals, 111);
    expect(run.symbols).toEqual([...packetRun(0, 10), ...Array(50).fill('D'), ...Array(51).fill('U')]);
  });

  it('bridges a silence-suppression pause without concealment or added delay', () => {
    const stream = opusStream(0, 0);
    const arrivals: Arrival[] = [];
    for (let n = 0; n < 30; n++) arrivals.push({ at: n * TICK_MS, bytes: stream.packet().bytes });
    stream.advanceTimestamp(50 * 960); // 1 s without packets, sequence continuous
    for (let n = 80; n < 120; n++) arrivals.push({ at: n * TICK_MS, bytes: stream.packet({ marker: n === 80 }).bytes });
    const jb = new JitterBuffer(OPUS);
    const run = simulate(jb, arrivals, 120);
    expect(run.symbols).toEqual([...packetRun(0, 30), ...Array(50).fill('U'), ...packetRun(30, 40)]);
    expect(run.frames[80].marker).toBe(true);
    expect(jb.stats()).toMatchObject({ lost: 0, lostFrames: 0, late: 0 });
  });
});

describe('JitterBuffer: input checks', () => {
  const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

  it('refuses bad options', () => {
    expect(() => new JitterBuffer({ clockRate: 0, frameSamples: 960 })).toThrow(invalid);
    expect(() => new JitterBuffer({ clockRate: 48000, frameSamples: 0 })).toThrow(invalid);
    expect(() => new JitterBuffer({ clockRate: 48000, frameSamples: 960, maxDelayMs: 501 })).toThrow(invalid);
    expect(() => new JitterBuffer({ clockRate: 48000, frameSamples: 960, maxDelayMs: 10 })).toThrow(invalid);
    expect(() => new JitterBuffer({ clockRate: 48000, frameSamples: 960, minDelayMs: 300, maxDelayMs: 200 })).toThrow(invalid);
    expect(() => new JitterBuffer(undefined as unknown as JitterBufferOptions)).toThrow(invalid);
  });

  it('refuses bad push arguments and changes nothing; reports bad packets by status', () => {
    const jb = new JitterBuffer(OPUS);
    expect(() => jb.push('x' as unknown as Uint8Array, 0)).toThrow(invalid);
    expect(() => jb.push(buildRtpPacket(), Number.NaN)).toThrow(invalid);
    expect(() => jb.push(buildRtpPacket(), 0, -5)).toThrow(invalid);
    expect(jb.stats().received).toBe(0);
    expect(jb.push(buildRtpPacket().subarray(0, 5), 0)).toBe('invalid');
    expect(jb.push(buildRtpPacket({ payload: new Uint8Array(1501) }), 0)).toBe('too-big');
    expect(jb.stats()).toMatchObject({ received: 1, tooBig: 1, queued: 0 });
    expect(jb.stats().rejected['too-short']).toBe(1);
  });
});
