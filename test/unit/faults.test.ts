// Faults of a peer, survived: a sender clock 2 % fast or slow for 10 minutes, a 20 s pause and
// resume, an SSRC change mid-call. Time is simulated (packets carry arrival times; ticks run by
// hand), so ten minutes take seconds and every figure is exact.
import { describe, expect, it } from 'vitest';
import { NativeMediaConference, framesByMember } from '../../src/native/testing/mediaConference.ts';
import { g711Encode } from '../../src/native/testing/codecs.ts';
import { ToneGenerator, rms } from '../helpers/audio.ts';
import { buildRtpPacket } from '../helpers/rtp.ts';

const INTERVAL = 20;
const RATE = 8000;
const TALKER = 1;
const LISTENER = 2;

/** PCMU payloads of a 440 Hz tone, one per 20 ms, reused in a cycle (encoding 30,000 is wasted work). */
const TONE = (() => {
  const tone = new ToneGenerator(440, 8000, RATE);
  return Array.from({ length: 50 }, () => g711Encode('pcmu', tone.next(160)));
})();

function room(): NativeMediaConference {
  const conference = new NativeMediaConference({ rate: RATE, interval: INTERVAL, hangoverMs: 0 });
  conference.addMember(TALKER, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
  conference.addMember(LISTENER, {}, { app: true });
  return conference;
}

/** A PCMU sender: its own SSRC, sequence and timestamp, one tone packet per call. */
class Sender {
  sequence = 100;
  timestamp = 1234;
  #frame = 0;
  constructor(public ssrc: number) {}
  next(): Uint8Array {
    const packet = buildRtpPacket({ payloadType: 0, sequence: this.sequence & 0xffff, timestamp: this.timestamp >>> 0, ssrc: this.ssrc, payload: TONE[this.#frame++ % TONE.length] });
    this.sequence++;
    this.timestamp += 160;
    return packet;
  }
}

/**
 * Runs `ticks` ticks from `startMs`; `arrivals(tickMs)` gives the arrival times (ms) of the
 * packets that arrive before the tick at `tickMs`. Returns, per tick, whether the listener heard
 * the tone, and the tick's decoder calls.
 */
function run(
  conference: NativeMediaConference,
  ticks: number,
  sender: () => Sender,
  arrivals: (tickMs: number) => number[],
  startMs = 0,
): { heard: boolean[]; decodes: number[] } {
  const heard: boolean[] = [];
  const decodes: number[] = [];
  for (let t = 0; t < ticks; t++) {
    for (const at of arrivals(startMs + t * INTERVAL)) conference.pushRtp(TALKER, sender().next(), at);
    const output = conference.tick();
    const frame = framesByMember(output).get(LISTENER);
    heard.push(frame !== undefined && rms(frame) > 1000);
    decodes.push(output.decodes);
  }
  return { heard, decodes };
}

/** Arrival times of a sender whose clock runs `ratio` times real time: packets every 20/ratio ms. */
function driftingArrivals(ratio: number): (tickMs: number) => number[] {
  let next = 0;
  return (tickMs) => {
    const due: number[] = [];
    while (next <= tickMs) {
      due.push(next);
      next += INTERVAL / ratio;
    }
    return due;
  };
}

const share = (flags: boolean[]): number => flags.filter(Boolean).length / flags.length;

describe('a sender clock 2 % off for 10 minutes of simulated time', () => {
  it.each([
    ['fast', 1.02],
    ['slow', 0.98],
  ])('%s: the level stays near its target and the listener keeps hearing it', (_name, ratio) => {
    const conference = room();
    const sender = new Sender(0xc10c);
    const ticks = (10 * 60 * 1000) / INTERVAL;
    const levels: number[] = [];
    const heard: boolean[] = [];
    const arrivals = driftingArrivals(ratio);
    for (let minute = 0; minute < 10; minute++) {
      heard.push(...run(conference, ticks / 10, () => sender, arrivals, minute * 60_000).heard);
      levels.push(conference.memberStats(TALKER).receive!.jitter.bufferedMs);
    }
    const stats = conference.memberStats(TALKER).receive!;
    // 2 % of 30,000 packets is 600: a fast sender's excess is dropped; a slow one leaves a tick
    // without its packet every second, which is concealed.
    if (ratio > 1) expect(stats.jitter.droppedDrift).toBeGreaterThan(400);
    else expect(stats.concealed).toBeGreaterThan(400);
    // The buffer never creeps: each minute it holds about a frame or two, not minutes of drift.
    for (const level of levels) expect(level).toBeLessThanOrEqual(100);
    // The tone is heard through all of it (a drop or stretch costs one frame now and then).
    expect(share(heard.slice(50))).toBeGreaterThan(0.95);
  });
});

describe('a peer that pauses for 20 s and resumes', () => {
  it('goes quiet without a burst of work, then is heard again at once', () => {
    const conference = room();
    const sender = new Sender(0x9a05e);
    const every = (tickMs: number): number[] => [tickMs];
    // 5 s of talk; then 20 s of nothing (its clock runs on: the timestamps jump by 20 s); then 5 s.
    const talk = run(conference, 250, () => sender, every, 0);
    const pause = run(conference, 1000, () => sender, () => [], 5000);
    sender.timestamp += 20 * RATE;
    const resumed = run(conference, 250, () => sender, every, 25_000);
    const stats = conference.memberStats(TALKER).receive!;
    expect(share(talk.heard.slice(10))).toBeGreaterThan(0.98);
    // The silence is not concealed for 20 s: a few frames at most, then no decoder work at all.
    expect(stats.concealed).toBeLessThanOrEqual(5);
    expect(pause.heard.slice(10)).not.toContain(true);
    expect(Math.max(...pause.decodes.slice(10))).toBe(0);
    // Heard again within 5 frames (100 ms) of the first packet after the pause, and then throughout.
    expect(resumed.heard.slice(0, 5)).toContain(true);
    expect(share(resumed.heard.slice(10))).toBeGreaterThan(0.98);
    expect(Math.max(...resumed.decodes)).toBeLessThanOrEqual(2);
  });
});

describe('an SSRC change mid-call', () => {
  it('is followed within a few frames, and counted', () => {
    const conference = room();
    let sender = new Sender(0x1111);
    const before = run(conference, 250, () => sender, (tickMs) => [tickMs]).heard;
    sender = new Sender(0x2222);
    sender.sequence = 40_000;
    sender.timestamp = 0x7fff0000;
    const after = run(conference, 250, () => sender, (tickMs) => [tickMs], 5000).heard;
    expect(share(before.slice(10))).toBeGreaterThan(0.98);
    expect(after.slice(0, 8)).toContain(true);
    expect(share(after.slice(10))).toBeGreaterThan(0.98);
    expect(conference.memberStats(TALKER).receive!.jitter.ssrcChanges).toBe(1);
  });
});
