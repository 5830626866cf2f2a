// Real shards, PCM app legs: a WAV played to the conference or to one member is heard by the
// right members (Goertzel), a looping file loops until stopped, speech produces audio, and each
// playback raises started and done events.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.ts';
import type { Conference, ConferencePlaybackEventPayload, Engine } from '../../src/index.ts';
import { rms } from '../helpers/audio.ts';
import { tempDir, writeToneWav } from '../engine/wavFiles.ts';
import { Talker, amplitudeAt } from './engineHelpers.ts';

const RATE = 16000;
const FILE_HZ = 750;
const FILE_AMPLITUDE = 6000;
const WINDOW = 10;

let engine: Engine;
let longFile: string;
let shortFile: string;

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24300, portMax: 24399 });
  const dir = tempDir();
  longFile = writeToneWav(dir, 'long.wav', { freqHz: FILE_HZ, seconds: 1.5, rate: 44100, channels: 2, amplitude: FILE_AMPLITUDE });
  shortFile = writeToneWav(dir, 'short.wav', { freqHz: FILE_HZ, seconds: 0.3, rate: 8000, bits: 8, amplitude: FILE_AMPLITUDE });
});

afterAll(async () => {
  await engine?.close();
});

async function threeMembers(): Promise<{ conference: Conference; talkers: Talker[] }> {
  const conference = await engine.createConference({ rate: RATE, tag: 'room' });
  const talkers: Talker[] = [];
  for (let i = 0; i < 3; i++) {
    const member = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
    talkers.push(new Talker(member.leg as never));
  }
  return { conference, talkers };
}

function level(samples: Int16Array): number {
  return amplitudeAt(samples, FILE_HZ, RATE);
}

describe('play', () => {
  it('plays a WAV to the whole conference: every member hears it, then done is reported', async () => {
    const { conference, talkers } = await threeMembers();
    const events: ConferencePlaybackEventPayload[] = [];
    conference.on('conference-playback', (e) => events.push(e));
    const playback = await conference.play({ fileUrl: longFile, tag: 'welcome' });
    for (const talker of talkers) expect(Math.abs(level(await talker.listen(WINDOW, 5)) - FILE_AMPLITUDE)).toBeLessThan(FILE_AMPLITUDE * 0.06);
    expect(await playback!.done).toBe('finished');
    expect(events.map((e) => [e.eventType, e.status, e.tag])).toEqual([
      ['conference-playback', 'started', 'welcome'],
      ['conference-playback', 'done', 'welcome'],
    ]);
    expect(level(await talkers[0].listen(WINDOW, 2))).toBeLessThan(2);
    await conference.update({ state: 'completed' });
  });

  it('plays to one member: only that member hears it', async () => {
    const { conference, talkers } = await threeMembers();
    const target = conference.members[1];
    const started = once(target, 'conference-playback');
    const playback = await target.play({ fileUrl: longFile });
    expect((await started)[0]).toMatchObject({ status: 'started', memberId: target.id });
    const heard = await Promise.all(talkers.map((t) => t.listen(WINDOW, 5)));
    expect(level(heard[1])).toBeGreaterThan(FILE_AMPLITUDE * 0.9);
    expect(level(heard[0])).toBeLessThan(2);
    expect(level(heard[2])).toBeLessThan(2);
    await playback!.stop();
    expect(playback!.doneReason).toBe('stopped');
    await conference.update({ state: 'completed' });
  });

  it('loops a looping file past its length until stopped', async () => {
    const { conference, talkers } = await threeMembers();
    const from = talkers[0].mark();
    const playback = await conference.play({ fileUrl: shortFile, loopEnabled: true });
    // 0.3 s of file; at 1.0 to 1.5 s it is still heard.
    const late = (await talkers[0].since(from, 75)).subarray(50 * 320);
    expect(level(late)).toBeGreaterThan(FILE_AMPLITUDE * 0.8);
    expect(playback!.status).toBe('playing');
    await playback!.stop();
    expect(level(await talkers[0].listen(WINDOW, 5))).toBeLessThan(2);
    await conference.update({ state: 'completed' });
  });
});

describe('speak', () => {
  it('speaks a sentence into the conference with started and done events', async () => {
    const { conference, talkers } = await threeMembers();
    const events: string[] = [];
    conference.on('conference-speak', (e) => events.push(e.status));
    const from = talkers[2].mark();
    const playback = await conference.speak({ sentence: 'Hello, and welcome to the call.', voice: 'en-us' });
    expect(await playback!.done).toBe('finished');
    const heard = await talkers[2].since(from, Math.round(playback!.durationMs / 20));
    expect(rms(heard)).toBeGreaterThan(300);
    expect(events).toEqual(['started', 'done']);
    await conference.update({ state: 'completed' });
  });
});
