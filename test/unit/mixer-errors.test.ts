// Bad input: each gets a typed error with a stable code, and nothing changes.
import { describe, expect, it } from 'vitest';
import { ConfmixError, InvalidArgumentError, InvalidStateError, NotFoundError } from '../../src/errors.ts';
import { NativeConference, type DtmfKey, type NativeConferenceOptions } from '../../src/native/testing/mixer.ts';
import { constantEnergyFrame, isSilent } from '../helpers/audio.ts';

const N = 320;

function setup(): NativeConference {
  const conf = new NativeConference({ rate: 16000, interval: 20, comfortNoiseDbfs: null });
  conf.addMember(1, { talkLevel: 2, listenLevel: -1, energyLevel: 200 });
  conf.addMember(2);
  conf.drainEvents();
  return conf;
}

type ErrorClass = new (message: string) => ConfmixError;

/** The call throws `type` with `code`, and neither member state, conference state nor events change. */
function expectRejected(conf: NativeConference, call: () => void, type: ErrorClass, code: string): void {
  const before = { m1: conf.getMember(1), m2: conf.getMember(2), conference: conf.getConference() };
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as ConfmixError).code).toBe(code);
  expect((thrown as Error).message.length).toBeGreaterThan(10);
  expect({ m1: conf.getMember(1), m2: conf.getMember(2), conference: conf.getConference() }).toEqual(before);
  expect(conf.drainEvents()).toEqual([]);
}

const invalid = (conf: NativeConference, call: () => void): void =>
  expectRejected(conf, call, InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
const notFound = (conf: NativeConference, call: () => void): void =>
  expectRejected(conf, call, NotFoundError, 'ERR_NOT_FOUND');

describe('constructor options', () => {
  const bad: Array<[string, unknown]> = [
    ['rate 44100', { rate: 44100, interval: 20 }],
    ['rate as a string', { rate: '16000', interval: 20 }],
    ['missing rate', { interval: 20 }],
    ['interval 30', { rate: 16000, interval: 30 }],
    ['interval 20.5', { rate: 16000, interval: 20.5 }],
    ['energyLevel -1', { rate: 16000, interval: 20, energyLevel: -1 }],
    ['energyLevel 32768', { rate: 16000, interval: 20, energyLevel: 32768 }],
    ['energyLevel 1.5', { rate: 16000, interval: 20, energyLevel: 1.5 }],
    ['hangoverMs -20', { rate: 16000, interval: 20, hangoverMs: -20 }],
    ['comfortNoiseDbfs +6', { rate: 16000, interval: 20, comfortNoiseDbfs: 6 }],
    ['comfortNoiseDbfs NaN', { rate: 16000, interval: 20, comfortNoiseDbfs: NaN }],
    ['comfortNoiseDbfs a string', { rate: 16000, interval: 20, comfortNoiseDbfs: '-60' }],
    ['digits unknown', { rate: 16000, interval: 20, digits: 'ignore' }],
    ['not an object', 16000],
  ];
  it.each(bad)('rejects %s', (_, options) => {
    expect(() => new NativeConference(options as NativeConferenceOptions)).toThrow(InvalidArgumentError);
  });

  it('accepts every supported rate and interval', () => {
    for (const rate of [8000, 16000, 24000, 32000, 48000] as const) {
      for (const interval of [10, 20, 40, 60] as const) {
        expect(new NativeConference({ rate, interval }).getConference().frameSamples).toBe((rate / 1000) * interval);
      }
    }
  });
});

describe('members', () => {
  it('rejects a duplicate id and keeps the first member as it was', () => {
    const conf = setup();
    expectRejected(conf, () => conf.addMember(1, { talkLevel: -4 }), InvalidStateError, 'ERR_INVALID_STATE');
    expect(conf.getConference().members).toBe(2);
  });

  it.each([
    ['talkLevel 5', { talkLevel: 5 }],
    ['talkLevel -5', { talkLevel: -5 }],
    ['listenLevel 1.5', { listenLevel: 1.5 }],
    ['listenLevel as a string', { listenLevel: '1' }],
    ['energyLevel 40000', { energyLevel: 40000 }],
    ['mute as a number', { mute: 1 }],
  ])('rejects settings with %s, on add and on set', (_, settings) => {
    const conf = setup();
    invalid(conf, () => conf.addMember(3, settings as object));
    notFound(conf, () => conf.getMember(3));
    invalid(conf, () => conf.setMember(1, settings as object));
    // A valid field beside the bad one is not applied either.
    invalid(conf, () => conf.setMember(1, { ...(settings as object), deaf: true }));
  });

  it.each([
    ['-1', -1],
    ['1.5', 1.5],
    ['2^32', 2 ** 32],
    ['a string', '1'],
  ])('rejects member id %s', (_, id) => {
    const conf = setup();
    invalid(conf, () => conf.addMember(id as number));
    invalid(conf, () => conf.getMember(id as number));
  });

  it('reports unknown members as not found', () => {
    const conf = setup();
    notFound(conf, () => conf.getMember(9));
    notFound(conf, () => conf.setMember(9, { mute: true }));
    notFound(conf, () => conf.removeMember(9));
    notFound(conf, () => conf.pushFrame(9, new Int16Array(N)));
    notFound(conf, () => conf.pressKey(9, '1'));
    notFound(conf, () => conf.readFrame(9));
  });

  it('removes a member, after which it is unknown', () => {
    const conf = setup();
    conf.removeMember(1);
    expect(() => conf.getMember(1)).toThrow(NotFoundError);
    expect(conf.getConference().members).toBe(1);
    conf.addMember(1);
    expect(conf.getMember(1).talkLevel).toBe(0);
  });

  it('rejects bad conference settings', () => {
    const conf = setup();
    invalid(conf, () => conf.setConference({ mute: 1 as unknown as boolean }));
    invalid(conf, () => conf.setConference(null as unknown as object));
  });
});

describe('frames', () => {
  it.each([
    ['one sample short', new Int16Array(N - 1)],
    ['one sample long', new Int16Array(N + 1)],
    ['a Float32Array', new Float32Array(N)],
    ['a Uint16Array', new Uint16Array(N)],
    ['a plain array', Array.from({ length: N }, () => 0)],
    ['a Buffer of the right byte length', Buffer.alloc(N * 2)],
  ])('rejects %s and mixes nothing', (_, frame) => {
    const conf = setup();
    invalid(conf, () => conf.pushFrame(2, frame as Int16Array));
    conf.tick();
    expect(conf.getMember(2).contributed).toBe(false);
    expect(isSilent(conf.readFrame(1))).toBe(true);
  });

  it('rejects a second frame in one tick and keeps the first', () => {
    const conf = setup();
    const first = constantEnergyFrame(1000, N);
    conf.pushFrame(2, first);
    expectRejected(conf, () => conf.pushFrame(2, constantEnergyFrame(3000, N)), InvalidStateError, 'ERR_INVALID_STATE');
    conf.tick();
    const atListenMinusOne = Math.round(1000 * 10 ** (-3 / 20));
    expect(Array.from(conf.readFrame(1))).toEqual(Array.from(constantEnergyFrame(atListenMinusOne, N)));
    conf.pushFrame(2, first); // the next tick takes a frame again
  });

  it('accepts an Int16Array view at an offset into a larger buffer', () => {
    const conf = setup();
    const backing = new Int16Array(N + 8);
    const view = backing.subarray(8);
    view.set(constantEnergyFrame(1000, N));
    conf.setMember(1, { listenLevel: 0 });
    conf.pushFrame(2, view);
    conf.tick();
    expect(Array.from(conf.readFrame(1))).toEqual(Array.from(view));
  });
});

describe('keys', () => {
  it.each([['A'], ['a'], [''], ['12'], ['é'], [5]])('rejects key %s', (key) => {
    const conf = setup();
    invalid(conf, () => conf.pressKey(1, key as DtmfKey));
  });
});
