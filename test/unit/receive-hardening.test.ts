// What a hostile or broken peer can make one member's receive path do. Time is simulated: packets
// are pushed with arrival times and the conference is ticked by hand, so every figure is exact.
import { describe, expect, it } from 'vitest';
import { NativeMediaConference } from '../../src/native/testing/mediaConference.ts';
import { CodecEncoder } from '../../src/native/testing/codecs.ts';
import { buildRtpPacket, seededRandom } from '../helpers/rtp.ts';
import { ToneGenerator } from '../helpers/audio.ts';

const INTERVAL = 20;
/** One per 2.5 ms of the tick plus four: the most frames of work a tick may cost (MaxPopsPerTick). */
const MAX_POPS_PER_TICK = (INTERVAL * 2) / 5 + 4;

// A payload libopus cannot read (TOC code 3 with 63 frames): no duration, every decode fails and is concealed.
const JUNK_OPUS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function opusMember(conference: NativeMediaConference, id: number): void {
  conference.addMember(id, {}, { receive: { codec: 'opus', payloadType: 111 }, send: { codec: 'opus', payloadType: 111 } });
}

/** A conference where member 1 is heard by member 2 (so member 1's audio is decoded). */
function heardOpusMember(rate: 16000 | 48000): NativeMediaConference {
  const conference = new NativeMediaConference({ rate, interval: INTERVAL, parallelCodecs: false, skipUnvoiced: false });
  opusMember(conference, 1);
  opusMember(conference, 2);
  return conference;
}

/** Ticks `ticks` times, pushing each tick's datagrams first; returns every tick's decoder calls. */
function runTicks(conference: NativeMediaConference, ticks: number, feed: (tick: number) => void): number[] {
  const decodes: number[] = [];
  for (let t = 0; t < ticks; t++) {
    feed(t);
    decodes.push(conference.tick().decodes);
  }
  return decodes;
}

describe('the Opus concealment attack', () => {
  // The probe: three packets a timestamp unit apart (a "packet time" of 1), then a gap the sequence
  // step predicts, at 50 packets/s. Before the fix each gap was concealed one unit per pop: up to
  // 960 libopus concealments in one tick.
  function attack(gapUnits: number, gapSequence: number): (t: number) => Uint8Array {
    let sequence = 1000;
    let timestamp = 77_000;
    return (t) => {
      if (t % 4 === 3) {
        sequence += gapSequence;
        timestamp += gapUnits;
      } else {
        sequence += 1;
        timestamp += 1;
      }
      return buildRtpPacket({ payloadType: 111, sequence, timestamp, ssrc: 0xbad, payload: JUNK_OPUS });
    };
  }

  it.each([
    ['a gap the sequence predicts at one unit a packet', 3000, 3000],
    ['a gap of a few frames', 2000, 2],
    ['a gap just over a tick', 1000, 1],
  ])('%s costs at most a bounded number of decoder calls a tick', (_name, gapUnits, gapSequence) => {
    const conference = heardOpusMember(16000);
    const next = attack(gapUnits, gapSequence);
    const ticks = 1000; // 20 s of simulated time
    const decodes = runTicks(conference, ticks, (t) => conference.pushRtp(1, next(t), t * INTERVAL));
    const stats = conference.memberStats(1).receive!;
    expect(stats.packets).toBe(ticks); // every datagram was taken as the peer's
    expect(Math.max(...decodes)).toBeLessThanOrEqual(MAX_POPS_PER_TICK);
    // Decoder calls (decodes and concealments) per tick on average: about one, as for an honest peer.
    const total = decodes.reduce((a, b) => a + b, 0);
    expect(total / ticks).toBeLessThanOrEqual(3);
    expect(stats.concealed).toBeLessThanOrEqual(3 * ticks);
  });

  it('a gap beyond what concealment serves is a resync, not concealed', () => {
    const conference = heardOpusMember(48000);
    const encoder = new CodecEncoder({ codec: 'opus', bitrate: 32000 });
    const tone = new ToneGenerator(440, 8000, 48000);
    let sequence = 10;
    let timestamp = 0;
    // 2 s of honest 20 ms packets, but every 25th packet the timestamp skips 300 ms of media
    // (sequence consecutive, so nothing is "lost" by number: a sender's jump).
    const decodes = runTicks(conference, 100, (t) => {
      sequence += 1;
      timestamp += t > 0 && t % 25 === 0 ? 960 + 14_400 : 960;
      conference.pushRtp(1, buildRtpPacket({ payloadType: 111, sequence, timestamp, ssrc: 7, payload: encoder.encode(tone.next(960)) }), t * INTERVAL);
    });
    expect(Math.max(...decodes)).toBeLessThanOrEqual(MAX_POPS_PER_TICK);
    const stats = conference.memberStats(1).receive!;
    expect(stats.concealed).toBeLessThan(20);
  });

  it('an honest stream with 10 % loss is concealed a frame at a time, as before', () => {
    const conference = heardOpusMember(48000);
    const encoder = new CodecEncoder({ codec: 'opus', bitrate: 32000 });
    const tone = new ToneGenerator(440, 8000, 48000);
    const random = seededRandom(17);
    let lost = 0;
    runTicks(conference, 500, (t) => {
      const packet = buildRtpPacket({ payloadType: 111, sequence: 5000 + t, timestamp: 960 * t, ssrc: 9, payload: encoder.encode(tone.next(960)) });
      // The first 10 packets prime the buffer; none of the last few is lost, so every loss plays out.
      if (t > 10 && t < 480 && random() < 0.1) lost++;
      else conference.pushRtp(1, packet, t * INTERVAL);
    });
    const stats = conference.memberStats(1).receive!;
    expect(lost).toBeGreaterThan(30);
    // Each lost 20 ms packet is one frame: concealed or recovered from the next packet's FEC.
    expect(stats.concealed + stats.fecRecovered).toBe(lost);
  });
});

describe("a peer's junk telephone-events", () => {
  it('raise at most a burst of 20 keys and then 10 a second; the rest are counted as dropped', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL });
    conference.addMember(1, {}, { receive: { codec: 'pcmu', telephoneEventPayloadType: 101 }, send: { codec: 'pcmu' } });
    const random = seededRandom(4733);
    const seconds = 10;
    const perTick = 200; // 10,000 datagrams a second
    let keys = 0;
    for (let t = 0; t < (seconds * 1000) / INTERVAL; t++) {
      for (let i = 0; i < perTick; i++) {
        const payload = new Uint8Array([Math.floor(random() * 16), random() < 0.5 ? 0x80 : 0, 0, 160]);
        const packet = buildRtpPacket({ payloadType: 101, sequence: t * perTick + i, timestamp: Math.floor(random() * 2 ** 32), ssrc: 0xd7f, payload });
        if (conference.pushRtp(1, packet, t * INTERVAL + (i * INTERVAL) / perTick).key) keys++;
      }
      conference.tick();
    }
    const events = conference.drainEvents().filter((e) => e.type === 'dtmf').length;
    const stats = conference.memberStats(1).receive!;
    const bound = 20 + seconds * 10;
    expect(keys).toBeLessThanOrEqual(bound);
    expect(keys).toBeGreaterThan(bound - 5); // the limit, not something else, is what held them
    expect(stats.dtmfKeys).toBe(keys);
    expect(events).toBeLessThanOrEqual(keys);
    // Every new event the detector recognised is either raised or counted.
    expect(stats.dtmfDropped).toBeGreaterThan(10_000);
  });

  it('an honest caller dialling 10 keys a second is never limited', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL });
    conference.addMember(1, {}, { receive: { codec: 'pcmu', telephoneEventPayloadType: 101 }, send: { codec: 'pcmu' } });
    let keys = '';
    let sequence = 0;
    for (let press = 0; press < 100; press++) {
      const key = '0123456789'[press % 10];
      const event = '0123456789'.indexOf(key);
      // 5 packets of one event, 20 ms apart, then the next key 100 ms after the first.
      for (let i = 0; i < 5; i++) {
        const payload = new Uint8Array([event, i === 4 ? 0x80 : 0, 0, 160 * (i + 1)]);
        const result = conference.pushRtp(1, buildRtpPacket({ payloadType: 101, sequence: sequence++, timestamp: 800 * press, ssrc: 5, payload }), press * 100 + i * 20);
        if (result.key) keys += result.key;
      }
    }
    expect(keys.length).toBe(100);
    expect(conference.memberStats(1).receive!.dtmfDropped).toBe(0);
  });
});

describe('payloads larger than the leg carries', () => {
  it('are refused as too-big, counted, and never played', () => {
    const conference = new NativeMediaConference({ rate: 48000, interval: INTERVAL });
    conference.addMember(1, {}, { receive: { codec: 'l16', clockRate: 48000, payloadType: 96 }, send: { codec: 'pcmu' } });
    const payload = new Uint8Array(1920); // L16/48000 at 20 ms
    const result = conference.pushRtp(1, buildRtpPacket({ payloadType: 96, sequence: 1, timestamp: 0, ssrc: 3, payload }), 0);
    expect(result).toMatchObject({ valid: false, reject: 'too-big' });
    const stats = conference.memberStats(1).receive!;
    expect(stats.rejected['too-big']).toBe(1);
    expect(stats.packets).toBe(0);
  });
});
