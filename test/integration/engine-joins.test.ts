// Real shards, PCM app legs: lock and max-members refusals with their sounds, wait_for_moderator
// with hold music, the alone sound and the entry and exit tones, heard in the audio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinRefusedError, createEngine } from '../../src/index.ts';
import type { Engine } from '../../src/index.ts';
import { tempDir, writeToneWav } from '../engine/wavFiles.ts';
import { Talker, amplitudeAt } from './engineHelpers.ts';

const RATE = 16000;
const WINDOW = 25;
const SOUND_AMPLITUDE = 6000;

let engine: Engine;
let sounds: Record<'locked' | 'full' | 'moh' | 'alone', string>;

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24200, portMax: 24299 });
  const dir = tempDir();
  const tone = (name: string, freqHz: number, seconds: number): string => writeToneWav(dir, name, { freqHz, seconds, amplitude: SOUND_AMPLITUDE, rate: 44100, channels: 2 });
  sounds = { locked: tone('locked.wav', 500, 0.4), full: tone('full.wav', 600, 0.4), moh: tone('moh.wav', 700, 0.3), alone: tone('alone.wav', 800, 0.3) };
});

afterAll(async () => {
  await engine?.close();
});

/** Whether the tone at `freqHz` is clearly in `samples` (more than a tenth of the sound's level). */
function hears(samples: Int16Array, freqHz: number): boolean {
  return amplitudeAt(samples, freqHz, RATE) > SOUND_AMPLITUDE / 10;
}

async function talker(conference: Awaited<ReturnType<Engine['createConference']>>, options: Parameters<typeof conference.addMember>[0] = {}): Promise<Talker> {
  const leg = await engine.createAppLeg({ rate: RATE });
  const t = new Talker(leg);
  await conference.addMember({ ...options, leg });
  return t;
}

describe('refused joins', () => {
  it('plays locked-sound to a leg refused by a locked conference, then closes it', async () => {
    const conference = await engine.createConference({ rate: RATE, 'locked-sound': sounds.locked });
    const inside = await talker(conference);
    await conference.lock();
    const leg = await engine.createAppLeg({ rate: RATE });
    const refused = new Talker(leg);
    const insideFrom = inside.mark();
    const error = await conference.addMember({ leg }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JoinRefusedError);
    expect((error as JoinRefusedError).reason).toBe('locked');
    const heard = await refused.untilClosed();
    // The 0.4 s sound (20 frames) is heard, most of it at least, before the leg closes.
    const frames = Array.from({ length: heard.length / 320 }, (_, i) => heard.subarray(i * 320, (i + 1) * 320));
    expect(frames.filter((frame) => hears(frame, 500)).length).toBeGreaterThanOrEqual(15);
    // Only the refused leg hears it.
    expect(hears(await inside.since(insideFrom, 20), 500)).toBe(false);
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });

  it('plays max-members-sound to a leg beyond max-members', async () => {
    const conference = await engine.createConference({ rate: RATE, 'max-members': 1, 'max-members-sound': sounds.full });
    await talker(conference);
    const error = (await conference.addMember({ leg: { kind: 'app', rate: RATE } }).catch((e: unknown) => e)) as JoinRefusedError;
    expect(error.reason).toBe('full');
    expect(error.leg).toBeDefined();
    const heard = await new Talker(error.leg!).untilClosed();
    expect(hears(heard, 600)).toBe(true);
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });
});

describe('wait_for_moderator', () => {
  it('keeps members out of the mix, hearing moh-sound, until a moderator joins', async () => {
    const conference = await engine.createConference({ rate: RATE, wait_for_moderator: true, 'moh-sound': sounds.moh });
    const a = await talker(conference);
    const b = await talker(conference);
    a.say(400, 2000);
    b.say(1000, 2000);
    const waiting = await a.listen(WINDOW);
    expect(hears(waiting, 700)).toBe(true);
    expect(amplitudeAt(waiting, 1000, RATE)).toBeLessThan(2);
    const moderator = await talker(conference, { role: 'moderator' });
    moderator.say(1500, 2000);
    const mixed = await a.listen(WINDOW);
    expect(hears(mixed, 700)).toBe(false);
    expect(amplitudeAt(mixed, 1000, RATE)).toBeGreaterThan(1500);
    expect(amplitudeAt(mixed, 1500, RATE)).toBeGreaterThan(1500);
    expect(amplitudeAt(await moderator.listen(WINDOW), 400, RATE)).toBeGreaterThan(1500);
    await conference.update({ state: 'completed' });
  });
});

describe('alone sound and tones', () => {
  it('plays alone-sound to a member alone, and stops it when another joins', async () => {
    const conference = await engine.createConference({ rate: RATE, 'alone-sound': sounds.alone });
    const a = await talker(conference);
    expect(hears(await a.listen(WINDOW), 800)).toBe(true);
    const b = await talker(conference);
    b.say(1000, 2000);
    const together = await a.listen(WINDOW);
    expect(hears(together, 800)).toBe(false);
    expect(amplitudeAt(together, 1000, RATE)).toBeGreaterThan(1500);
    await conference.update({ state: 'completed' });
  });

  it('plays the built-in entry tone when a member joins with joinTone, and the exit tone when it leaves with leavingTone', async () => {
    const conference = await engine.createConference({ rate: RATE });
    const a = await talker(conference);
    await a.listen(5, 0);
    const joinedAt = a.mark();
    const bLeg = await engine.createAppLeg({ rate: RATE });
    const b = new Talker(bLeg);
    const member = await conference.addMember({ leg: bLeg, joinTone: true, leavingTone: true });
    // The entry tone: 440 Hz then 660 Hz, 100 ms each, within the first half second.
    const entry = await a.since(joinedAt, WINDOW);
    expect(amplitudeAt(entry, 440, RATE)).toBeGreaterThan(100);
    expect(amplitudeAt(entry, 660, RATE)).toBeGreaterThan(100);
    await b.listen(2, 0);
    const leftAt = a.mark();
    await member.update({ state: 'completed' });
    const exit = await a.since(leftAt, WINDOW);
    expect(amplitudeAt(exit, 440, RATE)).toBeGreaterThan(100);
    expect(amplitudeAt(exit, 660, RATE)).toBeGreaterThan(100);
    await conference.update({ state: 'completed' });
  });
});
