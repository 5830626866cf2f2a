// Relate on the engine API, measured at real RTP peers: member.relate(other, …) takes exactly the
// other's voice out of what the member hears (Goertzel at each talker's tone), for three members
// and for a member related to two others, and listeners with the same exclusions share one encode
// (the conference's encodes per tick).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.ts';
import type { Conference, Member, SdpJoin } from '../../src/index.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';
import { goertzelAmplitude } from '../helpers/audio.ts';

const RATE = 8000;
const AMPLITUDE = 4000;
const WINDOW = 25; // frames (half a second) per measurement
const HEARD = AMPLITUDE * 0.5;
const ABSENT = AMPLITUDE * 0.02;
const TONES = { a: 400, b: 650, c: 900 } as const;

let pool: ShardPool;
let engine: Engine;
const peers: SdpPeer[] = [];

beforeAll(async () => {
  pool = await ShardPool.create({ shards: 1, portMin: 25400, portMax: 25499 });
  engine = Engine.createWithPool(pool);
});
afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});
afterAll(async () => {
  await engine?.close();
});

/** A phone joined by its SDP offer, sending `freqHz` (null: silence). */
async function phone(conference: Conference, freqHz: number | null): Promise<{ peer: SdpPeer; member: Member }> {
  const peer = await SdpPeer.create(freqHz, AMPLITUDE);
  peers.push(peer);
  const joined = (await conference.addMember({ sdp: peer.offer(), mute: false })) as SdpJoin;
  peer.follow(joined.sdp);
  peer.start();
  return { peer, member: joined.member };
}

/** The amplitude of each talker's tone in what a peer hears next. */
async function heardBy(peer: SdpPeer): Promise<Record<keyof typeof TONES, number>> {
  const audio = await peer.listen(WINDOW, 10);
  return { a: goertzelAmplitude(audio, TONES.a, RATE), b: goertzelAmplitude(audio, TONES.b, RATE), c: goertzelAmplitude(audio, TONES.c, RATE) };
}

/** Encodes per tick over ten reads: a late packet can take a talker out of one tick (fewer encodes), never add one. */
async function encodesPerTick(conference: Conference): Promise<number> {
  const reads: number[] = [];
  for (let i = 0; i < 10; i++) reads.push((await conference.clockStats()).encodesPerTick);
  return Math.max(...reads);
}

async function newConference(): Promise<Conference> {
  return engine.createConference({ profile: { rate: RATE, 'comfort-noise': false } as never });
}

describe('member.relate()', () => {
  it('three members: deaf, mute and clear, heard at the peers', async () => {
    const conference = await newConference();
    const a = await phone(conference, TONES.a);
    const b = await phone(conference, TONES.b);
    const c = await phone(conference, TONES.c);

    let heard = await heardBy(a.peer);
    expect(heard.b).toBeGreaterThan(HEARD);

    await a.member.relate(b.member, 'deaf');
    heard = await heardBy(a.peer);
    expect(heard.b).toBeLessThan(ABSENT);
    expect(heard.c).toBeGreaterThan(HEARD);
    expect((await heardBy(b.peer)).a).toBeGreaterThan(HEARD);

    await a.member.relate(b.member, 'mute');
    const atB = await heardBy(b.peer);
    expect(atB.a).toBeLessThan(ABSENT);
    expect(atB.c).toBeGreaterThan(HEARD);
    const atC = await heardBy(c.peer);
    expect(atC.a).toBeGreaterThan(HEARD);
    expect(atC.b).toBeGreaterThan(HEARD);

    await a.member.relate(b.member, 'clear');
    expect((await heardBy(a.peer)).b).toBeGreaterThan(HEARD);
    expect((await heardBy(b.peer)).a).toBeGreaterThan(HEARD);
    await conference.update({ state: 'completed' });
  });

  it('a member related to two others hears only the third; two such listeners share one encode', async () => {
    const conference = await newConference();
    const a = await phone(conference, TONES.a);
    const b = await phone(conference, TONES.b);
    await phone(conference, TONES.c);
    const first = await phone(conference, null);
    const second = await phone(conference, null);
    const plain = await phone(conference, null);

    // Three talkers (three N-1 encodes) and three silent listeners sharing one encode.
    await first.peer.listen(WINDOW, 10);
    expect(await encodesPerTick(conference)).toBe(4);

    for (const listener of [first, second]) {
      await listener.member.relate(a.member, 'deaf');
      await listener.member.relate(b.member, 'deaf');
    }
    for (const listener of [first, second]) {
      const heard = await heardBy(listener.peer);
      expect(heard.a).toBeLessThan(ABSENT);
      expect(heard.b).toBeLessThan(ABSENT);
      expect(heard.c).toBeGreaterThan(HEARD);
    }
    const atPlain = await heardBy(plain.peer);
    expect(atPlain.a).toBeGreaterThan(HEARD);
    expect(atPlain.b).toBeGreaterThan(HEARD);
    // Three N-1 encodes, one shared by both related listeners, one for the plain listener.
    expect(await encodesPerTick(conference)).toBe(5);

    await expect(first.member.relate(first.member, 'deaf')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(first.member.relate(a.member, 'loud' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await conference.update({ state: 'completed' });
  });
});
