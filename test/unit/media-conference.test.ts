// The media plane end to end in one conference: RTP in, decode, resample, mix, shared encodes,
// RTP out. Time is simulated: packets are pushed with arrival times, then the tick runs.
import { describe, expect, it } from 'vitest';
import { NativeMediaConference, packetsByMember, workerPoolStats, type MediaTickOutput } from '../../src/native/testing/mediaConference.ts';
import { CodecDecoder, CodecEncoder, g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { parseRtp, telephoneEventPackets } from '../../src/native/testing/rtp.ts';
import { concat, goertzelAmplitude, sine, toneDbfs, rms, rmsDbfs, ToneGenerator } from '../helpers/audio.ts';
import { buildRtpPacket, RtpStreamBuilder, seededRandom } from '../helpers/rtp.ts';

const INTERVAL = 20;

function payloadOf(packet: Uint8Array): Uint8Array {
  const parsed = parseRtp(packet);
  if (!parsed.ok) throw new Error(`bad packet out: ${parsed.reason}`);
  return parsed.payload;
}

/** A peer that sends a tone as RTP, one packet per tick. */
class TonePeer {
  readonly stream: RtpStreamBuilder;
  readonly #tone: ToneGenerator;
  readonly #encoder: CodecEncoder | null;
  constructor(
    readonly codec: 'pcmu' | 'opus',
    freq: number,
    amplitude: number,
    ssrc: number,
  ) {
    const rate = codec === 'pcmu' ? 8000 : 48000;
    this.stream = new RtpStreamBuilder({ ssrc, payloadType: codec === 'pcmu' ? 0 : 111, samplesPerPacket: (rate / 1000) * INTERVAL }, { sequence: 100, timestamp: 5000 });
    this.#tone = new ToneGenerator(freq, amplitude, rate);
    this.#encoder = codec === 'opus' ? new CodecEncoder({ codec: 'opus', bitrate: 64000 }) : null;
  }
  /** The next packet: the tone, or silence when not `talking`. */
  next(talking = true): Uint8Array {
    const rate = this.codec === 'pcmu' ? 8000 : 48000;
    const pcm = talking ? this.#tone.next((rate / 1000) * INTERVAL) : new Int16Array((rate / 1000) * INTERVAL);
    const payload = this.#encoder ? this.#encoder.encode(pcm) : g711Encode('pcmu', pcm);
    return this.stream.packet({ payload }).bytes;
  }
}

function run(conference: NativeMediaConference, ticks: number, feed: (tick: number) => void): MediaTickOutput[] {
  const outputs: MediaTickOutput[] = [];
  for (let t = 0; t < ticks; t++) {
    feed(t);
    outputs.push(conference.tick());
  }
  return outputs;
}

describe('media conference', () => {
  // A talker's stream comes from its group's shared encoder while it is quiet and from its own
  // while it talks; its own resampler and codec must go on from the shared stream, or the first
  // frame of each talk spurt replays what they held from its last one (another talker's tone).
  it.each(['pcmu', 'opus'] as const)('gives a %s talker silence, not a click, when it talks again after a shared spell', (codec) => {
    const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL, comfortNoiseDbfs: null, hangoverMs: 100 });
    const leg = codec === 'pcmu' ? { codec } : { codec, payloadType: 111, bitrate: 64000 };
    for (const member of [1, 2, 3]) conference.addMember(member, {}, { receive: leg, send: leg });
    const alice = new TonePeer(codec, 500, 8000, 0xa1);
    const carol = new TonePeer(codec, 700, 8000, 0xc3);
    const bob = new TonePeer(codec, 900, 8000, 0xb2);
    // Alice talks (ticks 10-14); Carol talks while Alice's gate is still open (ticks 16-19), so
    // Alice's own encoder last coded Carol's tone; both fall quiet; Alice talks again at 60.
    const aliceTalks = (t: number): boolean => (t >= 10 && t < 15) || (t >= 60 && t < 70);
    const carolTalks = (t: number): boolean => t >= 16 && t < 20;
    const outputs = run(conference, 80, (t) => {
      conference.pushRtp(1, alice.next(aliceTalks(t)), t * INTERVAL);
      conference.pushRtp(2, carol.next(carolTalks(t)), t * INTERVAL);
      conference.pushRtp(3, bob.next(false), t * INTERVAL);
    });
    const decoder = codec === 'opus' ? new CodecDecoder({ codec: 'opus' }) : null;
    const heard = outputs.map((o) => {
      const payload = payloadOf(packetsByMember(o).get(1)!);
      return decoder ? decoder.decode(payload) : g711Decode('pcmu', payload);
    });
    // From well after Carol's spurt (her gate closed) to the end of Alice's second one: nobody
    // else contributes, so Alice hears digital silence.
    const quiet = concat(heard.slice(40, 75));
    expect(Math.max(...Array.from(quiet, Math.abs))).toBeLessThanOrEqual(codec === 'pcmu' ? 0 : 2);
    // And Carol's spurt did reach her before that (the scenario happened).
    expect(goertzelAmplitude(concat(heard.slice(17, 22)), 700, codec === 'pcmu' ? 8000 : 48000)).toBeGreaterThan(1000);
  });

  it('carries a tone from an 8 kHz PCMU member through a 48 kHz conference to an Opus member', () => {
    const conference = new NativeMediaConference({ rate: 48000, interval: INTERVAL });
    conference.addMember(1, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
    conference.addMember(2, {}, { receive: { codec: 'opus', payloadType: 111 }, send: { codec: 'opus', payloadType: 111, bitrate: 64000 } });
    const amplitude = 0.25 * 32767;
    const peer = new TonePeer('pcmu', 1000, amplitude, 0x1111);
    const outputs = run(conference, 100, (t) => conference.pushRtp(1, peer.next(), t * INTERVAL));
    const decoder = new CodecDecoder({ codec: 'opus' });
    const heard = concat(outputs.map((o) => decoder.decode(payloadOf(packetsByMember(o).get(2)!))));
    const steady = heard.subarray(48000 * 0.6); // past the jitter buffer's prefill and codec delay
    const reference = sine(1000, amplitude, 48000, steady.length);
    expect(Math.abs(toneDbfs(steady, 1000, 48000) - toneDbfs(reference, 1000, 48000))).toBeLessThan(0.5);
    // Its frequency is kept: nothing comparable at neighbouring frequencies or the 8 kHz image.
    for (const other of [800, 1200, 7000, 9000]) {
      expect(goertzelAmplitude(steady, other, 48000)).toBeLessThan(goertzelAmplitude(steady, 1000, 48000) / 100);
    }
  });

  // 8, 16 and 24 kHz run libopus at the conference rate; 32 kHz (no libopus rate) resamples via 48 kHz.
  it.each([8000, 16000, 24000, 32000] as const)('carries an Opus talker to an Opus listener in a %i Hz conference, concealing a lost packet', (rate) => {
    const conference = new NativeMediaConference({ rate, interval: INTERVAL });
    conference.addMember(1, {}, { receive: { codec: 'opus', payloadType: 111 }, send: { codec: 'opus', payloadType: 111, bitrate: 64000 } });
    conference.addMember(2, {}, { receive: { codec: 'opus', payloadType: 111 }, send: { codec: 'opus', payloadType: 111, bitrate: 64000 } });
    const amplitude = 0.25 * 32767;
    const peer = new TonePeer('opus', 1000, amplitude, 0x2222);
    const outputs = run(conference, 120, (t) => {
      if (t === 91) return; // sent early, below
      const packet = peer.next();
      // Tick 60's packet is lost with nothing behind it yet: the starved receiver conceals.
      if (t === 60) return;
      // Tick 90's is lost with the next one already queued: recovered from its FEC (or concealed).
      if (t === 90) {
        conference.pushRtp(1, peer.next(), t * INTERVAL);
        return;
      }
      conference.pushRtp(1, packet, t * INTERVAL);
    });
    const decoder = new CodecDecoder({ codec: 'opus' });
    const heard = concat(outputs.map((o) => decoder.decode(payloadOf(packetsByMember(o).get(2)!))));
    const steady = heard.subarray(48000 * 0.6); // past the jitter buffer's prefill and codec delay
    const reference = sine(1000, amplitude, 48000, steady.length);
    expect(Math.abs(toneDbfs(steady, 1000, 48000) - toneDbfs(reference, 1000, 48000))).toBeLessThan(0.5);
    // Both losses were filled, never with silence: libopus's concealment fades the tone (by
    // up to ~25 dB at its deepest) but every millisecond (one period) still carries it.
    const receive = conference.memberStats(1).receive!;
    expect(receive.jitter.lost).toBe(2);
    expect(receive.concealed).toBeGreaterThanOrEqual(1);
    expect(receive.fecRecovered).toBe(1);
    const toneRms = amplitude / Math.SQRT2;
    let quietest = Infinity;
    for (let i = 0; i + 48 <= steady.length; i += 48) quietest = Math.min(quietest, rms(steady.subarray(i, i + 48)));
    expect(quietest).toBeGreaterThan(toneRms / 100);
  });

  it('gives 100 listeners and 2 talkers three encodes a tick, and every listener the same audio', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL });
    const listeners = Array.from({ length: 100 }, (_, i) => 100 + i);
    conference.addMember(1, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
    conference.addMember(2, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
    for (const id of listeners) conference.addMember(id, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
    const talkers = [new TonePeer('pcmu', 440, 8000, 1), new TonePeer('pcmu', 1000, 8000, 2)];
    const outputs = run(conference, 60, (t) => {
      conference.pushRtp(1, talkers[0].next(), t * INTERVAL);
      conference.pushRtp(2, talkers[1].next(), t * INTERVAL);
    });
    const steady = outputs.slice(20);
    for (const output of steady) {
      expect(output.encodes).toBe(3);
      const packets = packetsByMember(output);
      expect(packets.size).toBe(102);
      const first = payloadOf(packets.get(listeners[0])!);
      for (const id of listeners) expect(payloadOf(packets.get(id)!)).toEqual(first);
      // Headers stay per leg: 100 distinct SSRCs.
      expect(new Set(listeners.map((id) => (parseRtp(packets.get(id)!) as { ssrc: number }).ssrc)).size).toBe(100);
    }
    const decoder = new CodecDecoder({ codec: 'pcmu' });
    const heard = concat(steady.map((o) => decoder.decode(payloadOf(packetsByMember(o).get(listeners[7])!))));
    expect(toneDbfs(heard, 440, 8000)).toBeGreaterThan(-20);
    expect(toneDbfs(heard, 1000, 8000)).toBeGreaterThan(-20);
    // With sharing off, every listener is encoded on its own.
    conference.setSharedEncodes(false);
    expect(run(conference, 1, (t) => {
      conference.pushRtp(1, talkers[0].next(), (60 + t) * INTERVAL);
      conference.pushRtp(2, talkers[1].next(), (60 + t) * INTERVAL);
    })[0].encodes).toBe(102);
  });

  it('spreads an Opus room\'s decodes and encodes over the worker pool with the same result to the byte', () => {
    const rooms = [true, false].map((parallelCodecs) => new NativeMediaConference({ rate: 16000, interval: INTERVAL, parallelCodecs, maxActiveTalkers: 0 }));
    const opus = { codec: 'opus', payloadType: 111 } as const;
    const talkers = Array.from({ length: 12 }, (_, i) => i + 1);
    const listeners = Array.from({ length: 20 }, (_, i) => 100 + i);
    for (const room of rooms) {
      for (const id of [...talkers, ...listeners]) room.addMember(id, {}, { receive: opus, send: opus });
    }
    // One peer per talker, its packets pushed into both rooms.
    const peers = talkers.map((id) => new TonePeer('opus', 300 + 97 * id, 6000, id));
    const helpedBefore = workerPoolStats().helped;
    const outputs = rooms.map(() => [] as MediaTickOutput[]);
    for (let t = 0; t < 60; t++) {
      const packets = peers.map((peer) => peer.next());
      rooms.forEach((room, r) => {
        talkers.forEach((id, i) => room.pushRtp(id, packets[i], t * INTERVAL));
        outputs[r].push(room.tick());
      });
    }
    const [parallel, serial] = outputs;
    for (let t = 0; t < 60; t++) {
      expect(parallel[t].decodes).toBe(serial[t].decodes);
      expect(parallel[t].encodes).toBe(serial[t].encodes);
      const a = packetsByMember(parallel[t]);
      const b = packetsByMember(serial[t]);
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [id, packet] of a) expect(payloadOf(packet)).toEqual(payloadOf(b.get(id)!));
    }
    // Talkers each get a private encode, listeners one shared: 13 Opus encodes a tick.
    expect(serial[59].encodes).toBe(13);
    // On a machine with a second core, its helper took part of the work.
    const pool = workerPoolStats();
    if (pool.workers > 0) expect(pool.helped).toBeGreaterThan(helpedBefore);
    // A switch that is not a boolean is refused, and no conference is made.
    expect(() => new NativeMediaConference({ rate: 16000, interval: INTERVAL, parallelCodecs: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('spreads a big PCMU room\'s receive paths over the worker pool in blocks, with the same result to the byte', () => {
    // 600 members pass the size (512) above which a G.711 room spreads its decodes.
    const rooms = [true, false].map((parallelCodecs) => new NativeMediaConference({ rate: 8000, interval: INTERVAL, parallelCodecs, maxActiveTalkers: 0 }));
    const pcmu = { codec: 'pcmu' } as const;
    const members = Array.from({ length: 600 }, (_, i) => i + 1);
    const talkers = members.filter((id) => id % 40 === 0);
    for (const room of rooms) for (const id of members) room.addMember(id, {}, { receive: pcmu, send: pcmu });
    const peers = talkers.map((id) => new TonePeer('pcmu', 200 + 23 * id, 6000, id));
    const silence = members.map((id) => new TonePeer('pcmu', 300, 0, id));
    const helpedBefore = workerPoolStats().helped;
    const outputs = rooms.map(() => [] as MediaTickOutput[]);
    for (let t = 0; t < 30; t++) {
      const packets = members.map((id, i) => (id % 40 === 0 ? peers[talkers.indexOf(id)] : silence[i]).next());
      rooms.forEach((room, r) => {
        members.forEach((id, i) => room.pushRtp(id, packets[i], t * INTERVAL));
        outputs[r].push(room.tick());
      });
    }
    const [parallel, serial] = outputs;
    for (let t = 0; t < 30; t++) {
      expect(parallel[t].decodes).toBe(600);
      expect(serial[t].decodes).toBe(600);
      const a = packetsByMember(parallel[t]);
      const b = packetsByMember(serial[t]);
      expect(a.size).toBe(600);
      for (const [id, packet] of a) expect(payloadOf(packet)).toEqual(payloadOf(b.get(id)!));
    }
    // Every talker is heard: each has its own encode, the rest share one.
    expect(serial[29].encodes).toBe(talkers.length + 1);
    const pool = workerPoolStats();
    if (pool.workers > 0) expect(pool.helped).toBeGreaterThan(helpedBefore);
  });

  it('does not decode muted members or DTX frames', () => {
    const conference = new NativeMediaConference({ rate: 48000, interval: INTERVAL });
    conference.addMember(1, { mute: true }, { receive: { codec: 'opus', payloadType: 111 } });
    conference.addMember(2, {}, { receive: { codec: 'opus', payloadType: 111 } });
    conference.addMember(3, {}, { send: { codec: 'pcmu' } });
    const muted = new TonePeer('opus', 500, 8000, 7);
    const dtx = new RtpStreamBuilder({ ssrc: 8, payloadType: 111, samplesPerPacket: 960 }, { sequence: 1, timestamp: 1 });
    const dtxPayload = new CodecEncoder({ codec: 'opus', dtx: true }).encode(new Int16Array(960)); // first frame may be full
    const outputs = run(conference, 50, (t) => {
      conference.pushRtp(1, muted.next(), t * INTERVAL);
      conference.pushRtp(2, dtx.packet({ payload: t === 0 ? dtxPayload : new Uint8Array([0x08]) }).bytes, t * INTERVAL);
    });
    const mutedStats = conference.memberStats(1).receive!;
    const dtxStats = conference.memberStats(2).receive!;
    expect(mutedStats.packets).toBe(50);
    expect(mutedStats.decodes).toBe(0);
    expect(mutedStats.skippedDecodes).toBeGreaterThan(40);
    expect(dtxStats.decodes).toBeLessThanOrEqual(1);
    expect(dtxStats.skippedDecodes).toBeGreaterThan(40);
    expect(outputs.slice(10).every((o) => o.decodes <= 1)).toBe(true);
  });

  it('rejects malformed and stray packets, counted, with no change to anyone else', () => {
    const make = () => {
      const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL, comfortNoiseDbfs: null });
      conference.addMember(1, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
      conference.addMember(2, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
      conference.addMember(3, {}, { receive: { codec: 'pcmu' }, send: { codec: 'pcmu' } });
      return conference;
    };
    const clean = make();
    const attacked = make();
    const peerA = new TonePeer('pcmu', 600, 6000, 1);
    const peerB = new TonePeer('pcmu', 600, 6000, 1);
    const random = seededRandom(4733);
    const heard = (conference: NativeMediaConference, outputs: MediaTickOutput[]) =>
      outputs.map((o) => Array.from(payloadOf(packetsByMember(o).get(3)!)));
    const cleanOut = run(clean, 50, (t) => clean.pushRtp(1, peerA.next(), t * INTERVAL));
    let garbage = 0;
    const attackedOut = run(attacked, 50, (t) => {
      attacked.pushRtp(1, peerB.next(), t * INTERVAL);
      for (let i = 0; i < 200; i++) {
        const bytes = new Uint8Array(Math.floor(random() * 64));
        for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(random() * 256);
        if (bytes.length >= 2 && bytes[0] >> 6 === 2) bytes[0] = 0x40; // version 1: never valid RTP
        attacked.pushRtp(2, bytes, t * INTERVAL);
        garbage++;
      }
      attacked.pushRtp(2, buildRtpPacket({ payloadType: 99, sequence: t, payload: new Uint8Array(160) }), t * INTERVAL);
    });
    expect(garbage).toBe(10000);
    expect(heard(attacked, attackedOut)).toEqual(heard(clean, cleanOut));
    const stats = attacked.memberStats(2).receive!;
    expect(stats.rejected.malformed).toBe(10000);
    expect(stats.rejected['wrong-payload-type']).toBe(50);
    expect(stats.packets).toBe(0);
  });

  it('acts once on an RFC 4733 key sent with retransmissions, twice on two presses', () => {
    const conference = new NativeMediaConference({ rate: 8000, interval: INTERVAL });
    conference.addMember(1, {}, { receive: { codec: 'pcmu', telephoneEventPayloadType: 101 } });
    let sequence = 10;
    let timestamp = 1000;
    const press = (key: string) => {
      const packets = telephoneEventPackets(key, { payloadType: 101, clockRate: 8000, ssrc: 5, sequence, timestamp, durationMs: 100 });
      sequence += packets.length;
      timestamp += 8000;
      // Every packet twice more, as a lossy path's retransmissions would.
      for (const packet of [...packets, ...packets, ...packets]) conference.pushRtp(1, packet, 0);
      conference.tick();
    };
    press('3');
    let events = conference.drainEvents().filter((e) => e.type === 'dtmf');
    expect(events).toEqual([expect.objectContaining({ member: 1, key: '3', action: 'talk-up' })]);
    press('3');
    events = conference.drainEvents().filter((e) => e.type === 'dtmf');
    expect(events).toHaveLength(1);
    expect(conference.memberStats(1).receive!.dtmfKeys).toBe(2);
  });
});
