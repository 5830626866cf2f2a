// play() and speak() over a fake shard: decoded once at the conference rate, the right target,
// started and done events with the seed's fields and tag, stop, and clear errors.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioSourceError } from '../../src/audio/AudioSourceError.ts';
import { InvalidArgumentError, InvalidStateError, UnsupportedError } from '../../src/errors.ts';
import type { FakeShard } from './fakeShard.ts';
import { makeEngine, next } from './setup.ts';
import { expectSeedShaped } from './seedFields.ts';
import { tempDir, writeToneWav } from './wavFiles.ts';

let dir: string;
let tone44k: string;
let server: Server;
let silentUrl: string;

beforeAll(async () => {
  dir = tempDir();
  tone44k = writeToneWav(dir, 'tone44k.wav', { freqHz: 440, seconds: 0.5, rate: 44100, channels: 2 });
  // A server that accepts and never answers: a URL that times out.
  server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/never.wav`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function onlyPlaybackNumber(shard: FakeShard, conferenceId: string): number {
  const numbers = [...shard.conferences.get(conferenceId)!.playbacks.keys()];
  expect(numbers).toHaveLength(1);
  return numbers[0];
}

describe('play', () => {
  it('plays a WAV to the conference, decoded and resampled once, with started and done events', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference({ rate: 48000, tag: 'conf-tag' });
    await conference.addMember();
    const playback = await conference.play({ fileUrl: tone44k, tag: 'announce' });
    expect(playback).not.toBeNull();
    const [request] = shard.callsOf('startPlayback');
    // 0.5 s of 44.1 kHz stereo is 24000 mono samples at 48 kHz.
    expect((request.pcm as Int16Array).length).toBe(24000);
    expect(request).toMatchObject({ conferenceId: conference.id, loop: false });
    expect('member' in request).toBe(false);
    expect(playback!.durationMs).toBe(500);
    expect(playback!.status).toBe('playing');
    const started = eventsOf('conference-playback');
    expect(started).toEqual([{ eventType: 'conference-playback', conferenceId: conference.id, status: 'started', time: started[0].time, tag: 'announce' }]);
    const done = next(conference, 'conference-playback');
    shard.finishPlayback(conference.id, onlyPlaybackNumber(shard, conference.id));
    expect(await done).toMatchObject({ status: 'done', tag: 'announce' });
    expect(await playback!.done).toBe('finished');
    for (const payload of eventsOf('conference-playback')) expectSeedShaped({ ...payload });
  });

  it('plays to one member only, reporting on the member too, and uses the conference tag when it has none', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ tag: 'ct' });
    await conference.addMember();
    const member = await conference.addMember();
    const startedOnMember = next(member, 'conference-playback');
    const playback = await member.play({ fileUrl: tone44k, loopEnabled: true });
    expect(await startedOnMember).toMatchObject({ status: 'started', memberId: member.id, tag: 'ct' });
    expect(shard.callsOf('startPlayback')[0]).toMatchObject({ member: 2, loop: true });
    expect(playback!.memberId).toBe(member.id);
    expect(playback!.loop).toBe(true);
    // A member leaving ends what plays to it.
    const done = next(member, 'conference-playback');
    await member.update({ state: 'completed' });
    expect(await done).toMatchObject({ status: 'done', memberId: member.id });
    expect(playback!.doneReason).toBe('member-left');
  });

  it('stops with stop(), and with an empty fileUrl as the Conference API does', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference();
    await conference.addMember();
    const first = await conference.play({ fileUrl: tone44k, loopEnabled: true });
    await first!.stop();
    expect(first!.doneReason).toBe('stopped');
    const second = await conference.audio({ fileUrl: tone44k });
    expect(await conference.audio({ fileUrl: '' })).toBeNull();
    expect(second!.status).toBe('done');
    expect(shard.callsOf('stopPlayback').map((p) => p.playback)).toEqual([1, 2]);
    expect(eventsOf('conference-playback').map((e) => e.status)).toEqual(['started', 'done', 'started', 'done']);
    await first!.stop();
    expect(shard.callsOf('stopPlayback')).toHaveLength(2);
  });

  it('ends every playback, with done events, when the conference completes', async () => {
    const { engine, eventsOf } = makeEngine();
    const conference = await engine.createConference();
    await conference.addMember();
    const playback = await conference.play({ fileUrl: tone44k, loopEnabled: 'true' });
    await conference.update({ state: 'completed' });
    expect(playback!.doneReason).toBe('conference-completed');
    expect(eventsOf('conference-playback').map((e) => e.status)).toEqual(['started', 'done']);
  });

  it('refuses an unreadable file, a bad format and a URL that times out, changing nothing', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference();
    await conference.addMember();
    const missing = await conference.play({ fileUrl: `${dir}/nope.wav` }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AudioSourceError);
    expect((missing as AudioSourceError).reason).toBe('unreadable');
    expect((missing as AudioSourceError).code).toBe('ERR_AUDIO_SOURCE');
    const notWav = await conference.play({ fileUrl: import.meta.filename }).catch((e: unknown) => e);
    expect((notWav as AudioSourceError).reason).toBe('unsupported-format');
    const slow = await conference.play({ fileUrl: silentUrl, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(AudioSourceError);
    expect((slow as AudioSourceError).reason).toBe('timeout');
    await expect(conference.play({ fileUrl: 'ftp://x/y.wav' })).rejects.toThrow(UnsupportedError);
    await expect(conference.play({ fileUrl: tone44k, loopEnabled: 3 } as never)).rejects.toThrow(InvalidArgumentError);
    expect(shard.callsOf('startPlayback')).toEqual([]);
    expect(eventsOf('conference-playback')).toEqual([]);
  });

  it("times out with the engine's audioTimeoutMs when the call gives none", async () => {
    const { engine } = makeEngine({ audioTimeoutMs: 150 });
    const conference = await engine.createConference();
    await conference.addMember();
    await expect(conference.play({ fileUrl: silentUrl })).rejects.toThrow(/within 150 ms/);
  });

  it('refuses audio for a completed member', async () => {
    const { engine } = makeEngine();
    const conference = await engine.createConference();
    await conference.addMember();
    const member = await conference.addMember();
    member.close();
    await expect(member.play({ fileUrl: tone44k })).rejects.toThrow(InvalidStateError);
    await expect(member.speak({ sentence: 'hello' })).rejects.toThrow(InvalidStateError);
  });
});

describe('speak', () => {
  it('speaks a sentence with espeak-ng, with conference-speak started and done', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference({ rate: 16000 });
    await conference.addMember();
    const playback = await conference.speak({ sentence: 'Welcome to the conference', locale: 'en_US', gender: 'male', tag: 's1' });
    expect(playback!.kind).toBe('speech');
    const pcm = shard.callsOf('startPlayback')[0].pcm as Int16Array;
    // At least half a second of speech, and not silence.
    expect(pcm.length).toBeGreaterThan(8000);
    expect(pcm.some((v) => Math.abs(v) > 1000)).toBe(true);
    shard.finishPlayback(conference.id, onlyPlaybackNumber(shard, conference.id));
    await playback!.done;
    const speak = eventsOf('conference-speak');
    expect(speak.map((e) => [e.status, e.tag])).toEqual([['started', 's1'], ['done', 's1']]);
    for (const payload of speak) expectSeedShaped({ ...payload });
    expect(eventsOf('conference-playback')).toEqual([]);
  });

  it('is a clear UnsupportedError when espeak-ng is not installed', async () => {
    const { engine, shard } = makeEngine({ espeakPath: '/nonexistent/espeak-ng' });
    const conference = await engine.createConference();
    await conference.addMember();
    await expect(conference.speak({ sentence: 'hello' })).rejects.toThrow(UnsupportedError);
    expect(shard.callsOf('startPlayback')).toEqual([]);
  });
});
