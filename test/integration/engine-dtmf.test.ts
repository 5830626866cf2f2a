// Real shards, PCM app legs: every DTMF key (pressed through the control plane, as SIP INFO
// would) changes the member as DESIGN.md says, measured in the audio; passthru_digits only reports.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.ts';
import type { Conference, DtmfEventPayload, Engine, Member, MemberChange } from '../../src/index.ts';
import { isSilent } from '../helpers/audio.ts';
import { Talker, amplitudeAt, db } from './engineHelpers.ts';

const RATE = 16000;
const A_HZ = 400;
const B_HZ = 1000;
const AMPLITUDE = 2000;
const WINDOW = 25;

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24100, portMax: 24199 });
});

afterAll(async () => {
  await engine?.close();
});

async function pair(options: Parameters<Engine['createConference']>[0] = {}): Promise<{ conference: Conference; aMember: Member; a: Talker; b: Talker }> {
  const conference = await engine.createConference({ rate: RATE, ...options });
  const aMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  const bMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  const a = new Talker(aMember.leg as never);
  const b = new Talker(bMember.leg as never);
  a.say(A_HZ, AMPLITUDE);
  b.say(B_HZ, AMPLITUDE);
  return { conference, aMember, a, b };
}

/** Presses a key and resolves with its dtmf event once the member reflects what it did. */
async function press(member: Member, key: string, changes: Array<keyof MemberChange> = []): Promise<DtmfEventPayload> {
  const dtmf = once(member, 'dtmf') as Promise<[DtmfEventPayload]>;
  const changed = changes.length === 0 ? Promise.resolve() : waitForChange(member, changes);
  await member.pressKey(key);
  const [event] = await dtmf;
  await changed;
  return event;
}

function waitForChange(member: Member, fields: Array<keyof MemberChange>): Promise<void> {
  const pending = new Set(fields);
  return new Promise((resolve) => {
    const listener = (change: MemberChange): void => {
      for (const field of Object.keys(change)) pending.delete(field as keyof MemberChange);
      if (pending.size > 0) return;
      member.off('change', listener);
      resolve();
    };
    member.on('change', listener);
  });
}

describe('DTMF keys with interpret_digits', () => {
  it('1/2/3 move talk volume 3 dB down, back, up, as the others hear it', async () => {
    const { conference, aMember, b } = await pair();
    const base = amplitudeAt(await b.listen(WINDOW), A_HZ, RATE);
    expect((await press(aMember, '3', ['talkLevel'])).action).toBe('talk-up');
    expect(aMember.talkLevel).toBe(1);
    expect(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), base)).toBeCloseTo(3, 1);
    await press(aMember, '1', ['talkLevel']);
    await press(aMember, '1', ['talkLevel']);
    expect(aMember.talkLevel).toBe(-1);
    expect(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), base)).toBeCloseTo(-3, 1);
    expect((await press(aMember, '2', ['talkLevel'])).action).toBe('talk-reset');
    expect(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), base)).toBeCloseTo(0, 1);
    await conference.update({ state: 'completed' });
  });

  it('4/5/6 move listen volume 3 dB down, back, up, as the member hears the others', async () => {
    const { conference, aMember, a } = await pair();
    const base = amplitudeAt(await a.listen(WINDOW), B_HZ, RATE);
    expect((await press(aMember, '6', ['listenLevel'])).action).toBe('listen-up');
    expect(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), base)).toBeCloseTo(3, 1);
    await press(aMember, '4', ['listenLevel']);
    await press(aMember, '4', ['listenLevel']);
    expect(aMember.listenLevel).toBe(-1);
    expect(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), base)).toBeCloseTo(-3, 1);
    expect((await press(aMember, '5', ['listenLevel'])).action).toBe('listen-reset');
    expect(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), base)).toBeCloseTo(0, 1);
    await conference.update({ state: 'completed' });
  });

  it('7/8/9 move the energy threshold along its steps, gating a quiet talker or letting it through', async () => {
    // A quiet tone scores 2·236/π ≈ 150: above thresholds 100 and 50, below 200.
    const { conference, aMember, a, b } = await pair({ 'energy-level': 100, hangoverMs: 0 });
    a.say(A_HZ, 236);
    const heard = (samples: Int16Array): boolean => amplitudeAt(samples, A_HZ, RATE) > 150;
    expect(heard(await b.listen(WINDOW))).toBe(true);
    expect((await press(aMember, '9', ['energyLevel'])).action).toBe('energy-up');
    expect(aMember.energyLevel).toBe(200);
    expect(heard(await b.listen(WINDOW))).toBe(false);
    expect((await press(aMember, '7', ['energyLevel'])).action).toBe('energy-down');
    expect(aMember.energyLevel).toBe(100);
    expect(heard(await b.listen(WINDOW))).toBe(true);
    await press(aMember, '9', ['energyLevel']);
    await press(aMember, '9', ['energyLevel']);
    expect(aMember.energyLevel).toBe(400);
    expect(heard(await b.listen(WINDOW))).toBe(false);
    expect((await press(aMember, '8', ['energyLevel'])).action).toBe('energy-reset');
    expect(aMember.energyLevel).toBe(100);
    expect(heard(await b.listen(WINDOW))).toBe(true);
    await conference.update({ state: 'completed' });
  });

  it('0 toggles mute, * toggles deaf and mute together', async () => {
    const { conference, aMember, a, b } = await pair();
    expect((await press(aMember, '0', ['mute'])).action).toBe('toggle-mute');
    expect(aMember.mute).toBe(true);
    expect(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE)).toBeLessThan(2);
    await press(aMember, '0', ['mute']);
    expect(Math.abs(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    expect((await press(aMember, '*', ['deaf', 'mute'])).action).toBe('toggle-deaf-mute');
    expect([aMember.deaf, aMember.mute]).toEqual([true, true]);
    expect(isSilent(await a.listen(WINDOW))).toBe(true);
    expect(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE)).toBeLessThan(2);
    await press(aMember, '*', ['deaf', 'mute']);
    expect(Math.abs(db(amplitudeAt(await a.listen(WINDOW), B_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });

  it('# leaves the conference with reason dtmf-leave, ending the leg', async () => {
    const { conference, aMember, a, b } = await pair();
    const closed = once(aMember, 'close');
    expect((await press(aMember, '#')).action).toBe('leave');
    expect(await closed).toEqual(['dtmf-leave']);
    await a.ended;
    expect(aMember.leg.closed).toBe(true);
    expect(conference.activeMembers).toBe(1);
    expect(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE)).toBeLessThan(2);
    await conference.update({ state: 'completed' });
  });
});

describe('DTMF keys with passthru_digits', () => {
  it('reports every key and changes nothing', async () => {
    const { conference, aMember, b } = await pair({ profile: 'passthru_digits' });
    const actions: string[] = [];
    for (const key of ['0', '3', '*', '9', '#']) actions.push(`${key}:${(await press(aMember, key)).action}`);
    expect(actions).toEqual(['0:none', '3:none', '*:none', '9:none', '#:none']);
    const live = await aMember.getMixerState();
    expect([live.mute, live.deaf, live.talkLevel, live.energyLevel]).toEqual([false, false, 0, 100]);
    expect(aMember.state).toBe('active');
    expect(Math.abs(db(amplitudeAt(await b.listen(WINDOW), A_HZ, RATE), AMPLITUDE))).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });
});
