// Real shards, PCM app legs: who hears whom, mute, hold and deaf at member and conference level,
// and talk and listen levels, all measured in the audio the apps receive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.ts';
import type { Conference, Engine } from '../../src/index.ts';
import { isSilent } from '../helpers/audio.ts';
import { Talker, amplitudeAt, db } from './engineHelpers.ts';

const RATE = 16000;
const A_HZ = 400;
const B_HZ = 1000;
const AMPLITUDE = 2000;
const WINDOW = 25; // frames: 0.5 s, a whole number of cycles of both tones

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24000, portMax: 24099 });
});

afterAll(async () => {
  await engine?.close();
});

/** A conference with two talkers: A says 400 Hz, B says 1000 Hz. */
async function pair(options: Parameters<Engine['createConference']>[0] = {}, bRate = RATE): Promise<{ conference: Conference; a: Talker; b: Talker }> {
  const conference = await engine.createConference({ rate: RATE, ...options });
  const aMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }), callId: 'a' });
  const bMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: bRate }), callId: 'b' });
  const a = new Talker(aMember.leg as never);
  const b = new Talker(bMember.leg as never);
  a.say(A_HZ, AMPLITUDE);
  b.say(B_HZ, AMPLITUDE);
  return { conference, a, b };
}

describe('mixing through app legs', () => {
  it('lets each member hear the other and not itself, across rates', async () => {
    const { conference, a, b } = await pair({}, 8000);
    const atA = await a.listen(WINDOW);
    const atB = await b.listen(WINDOW);
    expect(Math.abs(db(amplitudeAt(atA, B_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    expect(amplitudeAt(atA, A_HZ, RATE)).toBeLessThan(AMPLITUDE / 1000);
    expect(Math.abs(db(amplitudeAt(atB, A_HZ, 8000), AMPLITUDE))).toBeLessThan(0.5);
    expect(amplitudeAt(atB, B_HZ, 8000)).toBeLessThan(AMPLITUDE / 1000);
    await conference.update({ state: 'completed' });
  });

  it('mutes one member: the other no longer hears it, and hears it again when unmuted', async () => {
    const { conference, a, b } = await pair();
    const [aMember] = conference.members;
    await aMember.update({ mute: true });
    const muted = await b.listen(WINDOW);
    expect(amplitudeAt(muted, A_HZ, RATE)).toBeLessThan(AMPLITUDE / 1000);
    // A, muted, still hears B.
    expect(Math.abs(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await aMember.update({ mute: false });
    expect(Math.abs(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });

  it('makes a deaf member hear exact zeros while still being heard', async () => {
    const { conference, a, b } = await pair();
    const [aMember] = conference.members;
    await aMember.update({ deaf: true });
    expect(isSilent(await a.listen(WINDOW))).toBe(true);
    expect(Math.abs(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });

  it('holds a member: it hears zeros and is not heard; unhold restores both', async () => {
    const { conference, a, b } = await pair();
    const [aMember] = conference.members;
    await aMember.update({ hold: true });
    expect(isSilent(await a.listen(WINDOW))).toBe(true);
    expect(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE)).toBeLessThan(AMPLITUDE / 1000);
    await aMember.update({ hold: false });
    expect(Math.abs(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });

  it('applies conference mute and hold on top of members, restoring each member as it was', async () => {
    const { conference, a, b } = await pair();
    const [aMember, bMember] = conference.members;
    await bMember.update({ mute: true });
    await conference.update({ mute: true });
    expect(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE)).toBeLessThan(AMPLITUDE / 1000);
    expect(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE)).toBeLessThan(AMPLITUDE / 1000);
    await conference.update({ mute: false });
    // A is heard again; B keeps its own mute.
    expect(Math.abs(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    expect(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE)).toBeLessThan(AMPLITUDE / 1000);
    await bMember.update({ mute: false });
    await conference.update({ hold: true });
    expect(isSilent(await a.listen(WINDOW))).toBe(true);
    expect(isSilent(await b.listen(WINDOW))).toBe(true);
    await conference.update({ hold: false });
    expect(Math.abs(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    expect(aMember.hold).toBe(false);
    await conference.update({ state: 'completed' });
  });

  it('applies talk and listen levels at 3 dB a step', async () => {
    const { conference, a, b } = await pair();
    const [aMember, bMember] = conference.members;
    const base = amplitudeAt(await b.listen(WINDOW), A_HZ, RATE);
    await aMember.update({ talkLevel: 2 });
    expect(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), base)).toBeCloseTo(6, 1);
    await aMember.update({ talkLevel: -3 });
    expect(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), base)).toBeCloseTo(-9, 1);
    await aMember.update({ talkLevel: 0 });
    await bMember.update({ listenLevel: -4 });
    expect(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), base)).toBeCloseTo(-12, 1);
    // B's listen level does not change what A hears.
    expect(Math.abs(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });
});
