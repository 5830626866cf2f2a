// Real shards: every state transition and callback payload of a conference's life, talking
// events from real audio, and bad input, each a clear typed error that changes nothing.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AudioSourceError,
  InvalidArgumentError,
  InvalidStateError,
  NotFoundError,
  createEngine,
} from '../../src/index.ts';
import type { CallbackEventPayload, Engine, TalkingEventPayload } from '../../src/index.ts';
import { expectSeedShaped } from '../engine/seedFields.ts';
import { Talker } from './engineHelpers.ts';

const RATE = 16000;

let engine: Engine;
let server: Server;
let silentUrl: string;
const stream: CallbackEventPayload[] = [];

beforeAll(async () => {
  engine = await createEngine({ shards: 2, portMin: 24400, portMax: 24499 });
  engine.on('event', ({ payload }) => stream.push(payload));
  server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow.wav`;
});

afterAll(async () => {
  await engine?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('a conference from creation to completion', () => {
  it('reports each transition with the seed fields and its tag, and completes when the last member leaves', async () => {
    const conference = await engine.createConference({ from: '+15550001111', tag: 'life', rate: RATE });
    const mine = (): CallbackEventPayload[] => stream.filter((e) => e.conferenceId === conference.id);
    const aLeg = await engine.createAppLeg({ rate: RATE });
    const a = await conference.addMember({ leg: aLeg, callId: 'call-a' });
    const b = await conference.addMember({ leg: { kind: 'app', rate: 8000 }, callId: 'call-b' });
    await a.update({ mute: true });
    await b.update({ hold: true });
    await b.update({ hold: false, deaf: true });
    const talker = new Talker(aLeg);
    talker.say(400, 3000);
    const talking = await new Promise<TalkingEventPayload>((resolve) => a.once('talking', resolve));
    expect(talking).toMatchObject({ eventType: 'talking', status: 'start', memberId: a.id, callId: 'call-a', tag: 'life' });
    // The energy score of a 3000-peak sine: mean absolute value 2·3000/π ≈ 1910.
    expect(Math.abs(talking.energy - 1910)).toBeLessThan(20);
    talker.quiet();
    const stopped = await new Promise<TalkingEventPayload>((resolve) => a.once('talking', resolve));
    expect(stopped.status).toBe('stop');
    a.leg.close();
    await b.update({ state: 'completed' });
    expect(conference.state).toBe('completed');
    expect(conference.completedReason).toBe('last-member-left');
    const summary = mine().map((e) => {
      switch (e.eventType) {
        case 'conference':
          return `conference:${e.status}`;
        case 'conference-member':
          return `member:${e.callId}:${e.state}:mute=${e.mute}:hold=${e.hold}:active=${e.activeMembers}`;
        case 'talking':
          return `talking:${e.status}`;
        default:
          return e.eventType;
      }
    });
    expect(summary).toEqual([
      'conference:created',
      'member:call-a:active:mute=false:hold=false:active=1',
      'member:call-b:active:mute=false:hold=false:active=2',
      'member:call-a:active:mute=true:hold=false:active=2',
      'member:call-b:active:mute=false:hold=true:active=2',
      'member:call-b:active:mute=false:hold=false:active=2',
      'talking:start',
      'talking:stop',
      'member:call-a:completed:mute=true:hold=false:active=1',
      'member:call-b:completed:mute=false:hold=false:active=0',
      'conference:completed',
    ]);
    for (const payload of mine()) {
      expectSeedShaped({ ...payload });
      expect(payload.tag).toBe('life');
    }
    expect(a.removedReason).toBe('leg-ended');
    expect(b.removedReason).toBe('api');
    expect(conference.toJSON()).toMatchObject({ state: 'completed', activeMembers: 0, from: '+15550001111' });
  });
});

describe('bad input', () => {
  it('answers each bad call with a clear typed error and changes nothing', async () => {
    const conference = await engine.createConference({ rate: RATE, tag: 'bad' });
    const member = await conference.addMember({ leg: { kind: 'app', rate: RATE } });
    const before = { conference: conference.toJSON(), member: member.toJSON() };
    const eventsBefore = stream.length;

    expect(() => engine.getConference('conf-unknown')).toThrow(NotFoundError);
    expect(() => conference.getMember('member-unknown')).toThrow(NotFoundError);
    await expect(conference.update({ mute: 'loud' } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(conference.update({ hold: true, state: 'paused' } as never)).rejects.toThrow(/state must be one of/);
    await expect(member.update({ talkLevel: 9 })).rejects.toThrow(/talkLevel must be an integer from -4 to 4/);
    await expect(member.update({ energyLevel: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(member.update({ mute: 1 } as never)).rejects.toThrow(/mute must be a boolean/);
    await expect(engine.createConference({ interval: 30 } as never)).rejects.toThrow(/interval must be one of/);
    await expect(engine.createConference({ 'comfort-noise': 'loud' } as never)).rejects.toThrow(InvalidArgumentError);
    const unreadable = await conference.play({ fileUrl: '/no/such/file.wav' }).catch((e: unknown) => e);
    expect(unreadable).toBeInstanceOf(AudioSourceError);
    expect((unreadable as AudioSourceError).reason).toBe('unreadable');
    const slow = await member.play({ fileUrl: silentUrl, timeoutMs: 300 }).catch((e: unknown) => e);
    expect((slow as AudioSourceError).reason).toBe('timeout');

    expect({ conference: conference.toJSON(), member: member.toJSON() }).toEqual(before);
    expect(stream.length).toBe(eventsBefore);
    const live = await member.getMixerState();
    expect([live.mute, live.deaf, live.hold, live.talkLevel, live.energyLevel]).toEqual([false, false, false, 0, 100]);

    await conference.update({ state: 'completed' });
    await expect(conference.addMember()).rejects.toThrow(InvalidStateError);
    await expect(conference.update({ mute: true })).rejects.toThrow(/is completed/);
    await expect(member.update({ mute: true })).rejects.toThrow(/is completed/);
    await expect(member.pressKey('1')).rejects.toThrow(InvalidStateError);
    await expect(conference.speak({ sentence: 'late' })).rejects.toThrow(InvalidStateError);
  });
});
