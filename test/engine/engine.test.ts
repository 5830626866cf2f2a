// The engine over a fake shard: creation checks, the event stream, close cascading down the
// tree with each `close` once, shard death, and refusing calls once closed.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/Engine.ts';
import { AudioSourceError } from '../../src/audio/AudioSourceError.ts';
import { InvalidArgumentError, InvalidStateError } from '../../src/errors.ts';
import type { EngineCallbackEvent } from '../../src/engine/EngineTypes.ts';
import { FakePool } from './fakeShard.ts';
import { makeEngine } from './setup.ts';
import { tempDir, writeToneWav } from './wavFiles.ts';

describe('engine', () => {
  it('refuses unknown or bad options', () => {
    const pool = new FakePool();
    expect(() => Engine.createWithPool(pool, { shardz: 2 } as never)).toThrow(/unknown engine option 'shardz'/);
    expect(() => Engine.createWithPool(pool, { audioTimeoutMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => Engine.createWithPool(pool, { defaults: { rate: 11025 } as never })).toThrow(/rate must be one of/);
    expect(() => Engine.createWithPool(pool, { resourceUriBase: 'nope' })).toThrow(/resourceUriBase/);
  });

  it('starts every conference from its defaults', async () => {
    const { engine, shard } = makeEngine({ defaults: { rate: 8000, 'energy-level': 400, profile: 'passthru_digits', member: { join_muted: true } } });
    const conference = await engine.createConference({ interval: 10 });
    expect(shard.callsOf('createConference')[0].settings).toMatchObject({ rate: 8000, interval: 10, energyLevel: 400, digits: 'passthru' });
    expect((await conference.addMember()).mute).toBe(true);
  });

  it('refuses a bad profile value or an unreadable profile sound, creating nothing', async () => {
    const { engine, shard, events } = makeEngine();
    await expect(engine.createConference({ 'energy-level': -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(engine.createConference({ callbackTimeout: 20000 })).rejects.toThrow(/callbackTimeout/);
    await expect(engine.createConference({ appData: 7 } as never)).rejects.toThrow(/appData must be an object/);
    const error = await engine.createConference({ 'moh-sound': '/definitely/not/here.wav' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioSourceError);
    expect((error as Error).message).toMatch(/^moh-sound: /);
    expect(shard.callsOf('createConference')).toEqual([]);
    expect(events).toEqual([]);
    expect(engine.conferences).toEqual([]);
  });

  it('loads profile sounds in any supported WAV format', async () => {
    const dir = tempDir();
    const { engine } = makeEngine();
    const conference = await engine.createConference({
      'moh-sound': writeToneWav(dir, 'moh8.wav', { freqHz: 300, seconds: 0.1, rate: 11025, bits: 8 }),
      'alone-sound': writeToneWav(dir, 'alone.wav', { freqHz: 300, seconds: 0.1, rate: 48000, channels: 2 }),
    });
    expect(conference.config.sounds).toHaveProperty('mohSound');
  });

  it('streams every callback event with its conference and callback settings, URIs when a base is set', async () => {
    const { engine } = makeEngine({ resourceUriBase: 'https://api.example.test/v1/' });
    const seen: EngineCallbackEvent[] = [];
    engine.on('event', (event) => seen.push(event));
    const conference = await engine.createConference({ callbackUrl: 'https://hooks.example.test/c', callbackHttpMethod: 'GET' });
    const member = await conference.addMember();
    expect(seen.map((e) => e.payload.eventType)).toEqual(['conference', 'conference-member']);
    expect(seen[0].conference).toBe(conference);
    expect(seen[0].callback).toEqual({ callbackUrl: 'https://hooks.example.test/c', callbackHttpMethod: 'GET' });
    expect(seen[0].payload).toMatchObject({ conferenceUri: `https://api.example.test/v1/conferences/${conference.id}` });
    expect(seen[1].payload).toMatchObject({ memberUri: `https://api.example.test/v1/conferences/${conference.id}/members/${member.id}` });
  });

  it('closes down the tree, each object emitting close once, then refuses calls', async () => {
    const { engine, pool } = makeEngine();
    const closes: string[] = [];
    engine.on('close', () => closes.push('engine'));
    engine.observer.on('close', () => closes.push('engine-observer'));
    const conference = await engine.createConference();
    conference.on('close', (reason) => closes.push(`conference:${reason}`));
    conference.observer.on('close', () => closes.push('conference-observer'));
    const leg = await engine.createAppLeg({ rate: 16000 });
    const member = await conference.addMember({ leg });
    member.on('close', (reason) => closes.push(`member:${reason}`));
    leg.on('close', () => closes.push('leg'));
    const spare = await engine.createAppLeg({ rate: 8000 });
    spare.on('close', () => closes.push('spare-leg'));
    await Promise.all([engine.close(), engine.close()]);
    expect(closes).toEqual(['leg', 'member:engine-closed', 'conference:engine-closed', 'conference-observer', 'spare-leg', 'engine', 'engine-observer']);
    expect(pool.closed).toBe(true);
    expect(engine.closed).toBe(true);
    await expect(engine.createConference()).rejects.toThrow(InvalidStateError);
    await expect(engine.createAppLeg({ rate: 8000 })).rejects.toThrow(/engine is closed/);
    await expect(conference.addMember()).rejects.toThrow(InvalidStateError);
    await expect(member.update({ mute: true })).rejects.toThrow(InvalidStateError);
    conference.close();
    member.close();
    expect(closes.filter((c) => c.startsWith('conference:'))).toHaveLength(1);
  });

  it('completes the conferences of a shard that died, without asking it', async () => {
    const { engine, pool, shard } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember();
    const died = new Promise((resolve) => engine.once('sharddied', resolve));
    pool.emit('sharddied', { shardId: 0, conferenceIds: [conference.id], error: new Error('boom') });
    await died;
    expect(conference.completedReason).toBe('shard-died');
    expect(member.removedReason).toBe('shard-died');
    expect(shard.callsOf('destroyConference')).toEqual([]);
  });

  it('ignores shard events for unknown conferences and members', async () => {
    const { engine, shard, events } = makeEngine();
    const conference = await engine.createConference();
    shard.push({ type: 'talking', conferenceId: 'conf-unknown', member: 1, status: 'start', energy: 500 });
    shard.push({ type: 'dtmf', conferenceId: conference.id, member: 42, key: '1', action: 'talk-down' });
    expect(events.map((e) => e.eventType)).toEqual(['conference']);
  });
});
