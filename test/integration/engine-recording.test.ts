// Recording through real shards: the mix recorded frame for frame as a listening member heard it,
// across joins and leaves; a member's recording; multitrack files aligned with the mix; Ogg Opus
// decoded back by ffmpeg; a full disk (a tiny tmpfs) ends the recording, never the conference.
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '../../src/audio/wav.ts';
import { createEngine } from '../../src/index.ts';
import type { Conference, ConferenceRecordingEventPayload, Engine, Member, Recording } from '../../src/index.ts';
import { isSilent, seededRandom, whiteNoise } from '../helpers/audio.ts';
import { Talker, amplitudeAt, db } from './engineHelpers.ts';

const RATE = 16000;
const FRAME = 320;
const TONE_HZ = 1000;
const JOIN_HZ = 700;
const AMPLITUDE = 2000;

let engine: Engine;
let dir: string;

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24300, portMax: 24399 });
  dir = mkdtempSync(join(tmpdir(), 'confmix-recording-'));
});

afterAll(async () => {
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Room {
  conference: Conference;
  members: Member[];
  noisy: Talker;
  tone: Talker;
  listener: Talker;
  events: ConferenceRecordingEventPayload[];
}

async function addTalker(conference: Conference, callId: string, rate = RATE): Promise<{ member: Member; talker: Talker }> {
  const member = await conference.addMember({ leg: await engine.createAppLeg({ rate }), callId });
  return { member, talker: new Talker(member.leg as never) };
}

/** A says seeded noise (every frame different, so frames can be matched), B a 1000 Hz tone, C listens. */
async function room(rate = RATE): Promise<Room> {
  const conference = await engine.createConference({ rate });
  const events: ConferenceRecordingEventPayload[] = [];
  conference.on('conference-recording', (payload) => events.push(payload));
  const a = await addTalker(conference, 'a', rate);
  const b = await addTalker(conference, 'b', rate);
  const c = await addTalker(conference, 'c', rate);
  const random = seededRandom(7);
  a.talker.play({ next: (samples) => whiteNoise(samples, 3000, random) });
  b.talker.say(TONE_HZ, AMPLITUDE);
  return { conference, members: [a.member, b.member, c.member], noisy: a.talker, tone: b.talker, listener: c.talker, events };
}

/** The median of `freqHz`'s amplitude over each frame of `samples`. */
function medianFrameAmplitude(samples: Int16Array, freqHz: number): number {
  const levels = Array.from({ length: samples.length / FRAME }, (_, i) => amplitudeAt(samples.subarray(i * FRAME, (i + 1) * FRAME), freqHz, RATE));
  levels.sort((a, b) => a - b);
  return levels[Math.floor(levels.length / 2)];
}

function bytesOf(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Where `frame` is among the frames `talker` heard (exact samples), or -1. */
function frameIndex(talker: Talker, frame: Int16Array): number {
  const wanted = bytesOf(frame);
  return talker.heard.findIndex((heard) => bytesOf(heard).equals(wanted));
}

function readWavSamples(path: string): Int16Array {
  return parseWav(new Uint8Array(readFileSync(path)), path).samples;
}

/** Records while `listener` hears `frames` frames, stops, and checks the file is what it heard. */
async function recordAndMatch(recording: Recording, listener: Talker, during: () => Promise<void>): Promise<Int16Array> {
  if (recording.state === 'recording') await once(recording, 'started');
  await during();
  const json = await recording.stop();
  expect(json.state).toBe('done');
  const samples = readWavSamples(recording.path);
  expect(samples.length).toBe((json.durationMs! * RATE) / 1000);
  expect(json.size).toBe(statSync(recording.path).size);
  // The first recorded frame is one the listener heard; from there the two are the same samples.
  await listener.waitFrames(3);
  const start = frameIndex(listener, samples.subarray(0, FRAME));
  expect(start).toBeGreaterThanOrEqual(0);
  const heard = await listener.since(start, samples.length / FRAME);
  expect(bytesOf(heard).equals(bytesOf(samples))).toBe(true);
  return samples;
}

describe('recording a conference', () => {
  it('records the mix exactly as a listening member heard it, with started and done events', async () => {
    const { conference, listener, events } = await room();
    const engineEvents: ConferenceRecordingEventPayload[] = [];
    const onEngine = (payload: ConferenceRecordingEventPayload): void => void engineEvents.push(payload);
    engine.on('conference-recording', onEngine);
    const recording = await conference.record({ path: join(dir, 'mix.wav'), tag: 'minutes' });
    expect(recording.format).toBe('wav');
    const samples = await recordAndMatch(recording, listener, () => listener.waitFrames(50));
    expect(samples.length).toBeGreaterThanOrEqual(50 * FRAME);
    // Frame by frame, the median: a frame the tone's talker fed late (its JavaScript stalled on a
    // loaded machine) is silence in the mix, which is the talker's miss, not a level error.
    expect(Math.abs(db(medianFrameAmplitude(samples, TONE_HZ), AMPLITUDE))).toBeLessThan(0.5);
    expect(events.map((e) => e.status)).toEqual(['started', 'done']);
    const done = events[1];
    expect(done).toMatchObject({ recordingId: recording.id, path: recording.path, format: 'wav', tag: 'minutes', size: statSync(recording.path).size });
    expect(done.durationMs).toBe((samples.length / RATE) * 1000);
    expect(engineEvents).toEqual(events);
    expect(conference.recordings.map((r) => r.toJSON())).toEqual([recording.toJSON()]);
    engine.off('conference-recording', onEngine);
    await conference.update({ state: 'completed' });
  });

  it('keeps recording while members join and leave, and hears them come and go', async () => {
    const { conference, listener } = await room();
    const recording = await conference.record({ path: join(dir, 'joins.wav') });
    const samples = await recordAndMatch(recording, listener, async () => {
      await listener.waitFrames(20);
      const late = await addTalker(conference, 'd');
      late.talker.say(JOIN_HZ, AMPLITUDE);
      await listener.waitFrames(40);
      await late.member.update({ state: 'completed' });
      await listener.waitFrames(30);
    });
    const frames = samples.length / FRAME;
    const toneAt = (from: number, count: number): number => amplitudeAt(samples.subarray(from * FRAME, (from + count) * FRAME), JOIN_HZ, RATE);
    expect(toneAt(0, 10)).toBeLessThan(AMPLITUDE / 10); // before the join (the noise leaks ~2% into a bin)
    expect(toneAt(frames - 10, 10)).toBeLessThan(AMPLITUDE / 10); // after the leave
    expect(Math.max(...Array.from({ length: frames - 10 }, (_, i) => toneAt(i, 10)))).toBeGreaterThan(AMPLITUDE / 2);
    await conference.update({ state: 'completed' });
  });

  it("records what a member hears, and one file per member aligned with the mix", async () => {
    const { conference, members, noisy, listener } = await room();
    const [a, b, c] = members;
    const hears = await a.record({ path: join(dir, 'a-hears.wav') });
    expect(hears.memberId).toBe(a.id);
    await recordAndMatch(hears, noisy, () => noisy.waitFrames(25));

    const multitrack = await conference.record({ path: join(dir, 'all.wav'), multitrack: true });
    expect(multitrack.toJSON().tracks.map((t) => [t.source, t.memberId])).toEqual([['mix', undefined], ['says', a.id], ['says', b.id], ['says', c.id]]);
    await once(multitrack, 'started');
    await listener.waitFrames(30);
    const json = await multitrack.stop();
    const [mix, saysA, saysB, saysC] = json.tracks.map((track) => readWavSamples(track.path));
    for (const track of [saysA, saysB, saysC]) expect(track.length).toBe(mix.length);
    expect(json.size).toBe(json.tracks.reduce((sum, t) => sum + statSync(t.path).size, 0));
    expect(Math.abs(db(amplitudeAt(saysB, TONE_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    expect(amplitudeAt(saysA, TONE_HZ, RATE)).toBeLessThan(AMPLITUDE / 20);
    expect(isSilent(saysC)).toBe(true);
    // The mix is the sum of what everyone said, sample for sample (nobody is loud enough to limit).
    for (let i = 0; i < mix.length; i += 97) expect(mix[i]).toBe(saysA[i] + saysB[i] + saysC[i]);
    await conference.update({ state: 'completed' });
  });

  it('writes Ogg Opus with libopusenc that ffmpeg decodes back to the mix', async () => {
    const { conference, listener } = await room();
    const recording = await conference.record({ path: join(dir, 'mix.opus'), opusBitrate: 32000 });
    expect(recording.format).toBe('ogg-opus');
    await once(recording, 'started');
    await listener.waitFrames(50);
    const json = await recording.stop();
    expect(json.state).toBe('done');
    const bytes = readFileSync(recording.path);
    expect(bytes.subarray(0, 4).toString()).toBe('OggS');
    expect(bytes.subarray(28, 36).toString()).toBe('OpusHead');
    const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', recording.path, '-f', 's16le', '-ac', '1', '-ar', String(RATE), '-'], { maxBuffer: 1 << 24 });
    const pcm = new Int16Array(decoded.buffer, decoded.byteOffset, decoded.byteLength / 2);
    expect(Math.abs(pcm.length / RATE - json.durationMs! / 1000)).toBeLessThan(0.03);
    expect(Math.abs(db(amplitudeAt(pcm.subarray(RATE / 10), TONE_HZ, RATE), AMPLITUDE))).toBeLessThan(1);
    await conference.update({ state: 'completed' });
  });

  it('refuses bad requests with a typed error and starts nothing', async () => {
    const { conference, members } = await room();
    await expect(conference.record({ path: join(dir, 'missing', 'x.wav') })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(conference.record({ path: join(dir, 'x.wav'), format: 'mp3' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(conference.record({ path: join(dir, 'x.wav'), opusBitrate: 5 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(members[0].record({ path: join(dir, 'x.wav'), direction: 'sideways' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(conference.recordings).toEqual([]);
    await conference.update({ state: 'completed' });
  });

  it('ends the recording with disk-full when its disk fills, and the conference goes on', async () => {
    const mountPoint = join(dir, 'tiny');
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]);
    try {
      const { conference, listener, events } = await room();
      const recording = await conference.record({ path: join(mountPoint, 'full.wav') });
      const [json] = (await once(recording, 'end')) as [Awaited<Recording['ended']>];
      expect(json).toMatchObject({ state: 'failed', reason: 'disk-full' });
      expect(events.map((e) => e.status)).toEqual(['started', 'failed']);
      expect(events[1]).toMatchObject({ reason: 'disk-full', path: recording.path });
      // Everything that fitted was written, with a header that says so.
      expect(readWavSamples(recording.path).length).toBe((json.durationMs! * RATE) / 1000);
      expect(conference.state).toBe('created');
      const after = await listener.listen(25);
      expect(Math.abs(db(amplitudeAt(after, TONE_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
      await conference.update({ state: 'completed' });
    } finally {
      spawnSync('umount', [mountPoint]);
    }
  });
});
