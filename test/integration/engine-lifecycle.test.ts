// Real shards: every state transition and callback payload of a conference's life, talking
// events from real audio, and bad input, each a clear typed error that changes nothing; the
// `media` switches, resolved, refused when bad, and measured in the native conference's decodes.
import dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AudioSourceError,
  Engine,
  ErrorCode,
  InvalidArgumentError,
  InvalidStateError,
  NotFoundError,
  createEngine,
} from '../../src/index.ts';
import type { CallbackEventPayload, Conference, ConferenceMediaOptions, ConfmixError, TalkingEventPayload } from '../../src/index.ts';
import { CodecEncoder } from '../../src/native/testing/codecs.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import type { ShardConferenceRequests } from '../../src/shard/conferenceProtocol.ts';
import { seededRandom, whiteNoise } from '../helpers/audio.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';
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

type ConferenceClock = ShardConferenceRequests['conferenceClock']['result'];

const OPUS_FRAME = 960; // 20 ms at 48 kHz
const NOISE_PEAK = 57; // uniform noise of 57 / sqrt(3) = 32.9 RMS: -60 dBFS, under the default gate of 100

/** An Opus phone on loopback sending -60 dBFS white noise every 20 ms; emits 'sent' after each packet. */
class OpusNoisePhone extends EventEmitter<{ sent: [] }> {
  readonly socket = dgram.createSocket('udp4');
  readonly #encoder = new CodecEncoder({ codec: 'opus' });
  readonly #random = seededRandom(7);
  readonly #stream = new RtpStreamBuilder({ ssrc: 0x0905e001, payloadType: 111, samplesPerPacket: OPUS_FRAME }, { sequence: 100, timestamp: 96000 });
  #timer: NodeJS.Timeout | undefined;

  async bind(): Promise<number> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    return this.socket.address().port;
  }

  start(port: number): void {
    this.#timer = setInterval(() => {
      const payload = this.#encoder.encode(whiteNoise(OPUS_FRAME, NOISE_PEAK, this.#random));
      this.socket.send(this.#stream.packet({ payload }).bytes, port, '127.0.0.1');
      this.emit('sent');
    }, 20);
  }

  close(): void {
    clearInterval(this.#timer);
    this.socket.close();
  }
}

describe('media switches', () => {
  const allOn = { adaptiveComplexity: true, parallelCodecs: true, skipUnvoiced: true, maxActiveTalkers: 4 };
  const allOff = { adaptiveComplexity: false, parallelCodecs: false, skipUnvoiced: false, maxActiveTalkers: 0 };
  let pool: ShardPool;
  let local: Engine;

  beforeAll(async () => {
    pool = await ShardPool.create({ shards: 1, portMin: 27300, portMax: 27349 });
    local = Engine.createWithPool(pool);
  });

  afterAll(async () => {
    await local?.close();
  });

  const clockOf = (conference: Conference): Promise<ConferenceClock> =>
    pool.shards[0].request('conferenceClock', { conferenceId: conference.id });
  const shardConferences = async (): Promise<number> =>
    (await pool.shards[0].request('stats', {})).conferences;

  it('resolves each switch (all on by default) into the config and the shard conference', async () => {
    const plain = await local.createConference({ rate: RATE });
    const off = await local.createConference({ rate: RATE, media: { skipUnvoiced: false, parallelCodecs: false, adaptiveComplexity: false, maxActiveTalkers: 0 } });
    const one = await local.createConference({ rate: RATE, media: { skipUnvoiced: false } });
    const empty = await local.createConference({ rate: RATE, media: {} });
    expect(plain.config.media).toEqual(allOn);
    expect(off.config.media).toEqual(allOff);
    expect(one.config.media).toEqual({ ...allOn, skipUnvoiced: false });
    expect(empty.config.media).toEqual(allOn);
    // The shard's backend holds what it gave the native conference.
    expect((await clockOf(plain)).media).toEqual(allOn);
    expect((await clockOf(off)).media).toEqual(allOff);
    expect((await clockOf(one)).media).toEqual({ ...allOn, skipUnvoiced: false });
    for (const conference of [plain, off, one, empty]) await conference.update({ state: 'completed' });
  });

  it('takes engine defaults for the switches a conference leaves out', async () => {
    const engineWithDefaults = Engine.createWithPool(pool, { defaults: { media: { parallelCodecs: false, adaptiveComplexity: false } } });
    const conference = await engineWithDefaults.createConference({ rate: RATE, media: { adaptiveComplexity: true } });
    expect(conference.config.media).toEqual({ adaptiveComplexity: true, parallelCodecs: false, skipUnvoiced: true, maxActiveTalkers: 4 });
    expect((await clockOf(conference)).media).toEqual({ adaptiveComplexity: true, parallelCodecs: false, skipUnvoiced: true, maxActiveTalkers: 4 });
    await conference.update({ state: 'completed' });
    expect(() => Engine.createWithPool(pool, { defaults: { media: { skipUnvoiced: 'no' } } } as never)).toThrow(/media\.skipUnvoiced must be a boolean/);
  });

  it.each([
    { media: 'x', message: /media must be an object/ },
    { media: null, message: /media must be an object/ },
    { media: [true], message: /media must be an object/ },
    { media: { skipUnvoiced: 1 }, message: /media\.skipUnvoiced must be a boolean, got 1/ },
    { media: { parallelCodecs: 'yes' }, message: /media\.parallelCodecs must be a boolean/ },
    { media: { bogus: true }, message: /unknown media field 'bogus'/ },
    { media: { maxActiveTalkers: 65 }, message: /media\.maxActiveTalkers must be an integer from 0 to 64/ },
    { media: { maxActiveTalkers: 1.5 }, message: /media\.maxActiveTalkers must be an integer/ },
    { media: { maxActiveTalkers: 'four' }, message: /media\.maxActiveTalkers must be an integer/ },
  ])('refuses media: $media with ERR_INVALID_ARGUMENT and creates nothing', async ({ media, message }) => {
    const conferencesBefore = local.conferences.length;
    const onShardBefore = await shardConferences();
    const error = await local.createConference({ rate: RATE, media: media as ConferenceMediaOptions }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as ConfmixError).code).toBe(ErrorCode.invalidArgument);
    expect((error as Error).message).toMatch(message);
    expect(local.conferences.length).toBe(conferencesBefore);
    expect(await shardConferences()).toBe(onShardBefore);
  });

  // The decodes of the conference's last tick, read after each of the phone's packets (once per
  // tick), past a warm-up while the jitter buffer fills.
  async function decodesPerTick(conference: Conference, phone: OpusNoisePhone, warmUp: number, count: number): Promise<number[]> {
    const samples: number[] = [];
    let lastTick = -1;
    let seen = 0;
    while (samples.length < count) {
      await once(phone, 'sent');
      const clock = await clockOf(conference);
      if (clock.ticks === lastTick) continue;
      lastTick = clock.ticks;
      if (++seen > warmUp) samples.push(clock.decodesPerTick);
    }
    return samples;
  }

  it.each([
    { label: 'by default, skips decoding unvoiced Opus frames under a closed gate (a probe every 200 ms)', media: undefined, skips: true },
    { label: 'with skipUnvoiced false, decodes every Opus frame', media: { skipUnvoiced: false }, skips: false },
  ])('$label', async ({ media, skips }) => {
    const conference = await local.createConference({ rate: RATE, ...(media ? { media } : {}) });
    const phone = new OpusNoisePhone();
    try {
      const phonePort = await phone.bind();
      const member = await conference.addMember({ leg: { kind: 'rtp', codec: 'opus', remoteAddress: '127.0.0.1', remotePort: phonePort } });
      phone.start((member.leg as { localPort: number }).localPort);
      const samples = await decodesPerTick(conference, phone, 15, 40);
      const decoding = samples.filter((decodes) => decodes > 0).length;
      // Skipping leaves only the probes (1 tick in 10) and the odd late read; decoding all leaves
      // only ticks the jitter buffer had nothing for.
      if (skips) expect(decoding).toBeLessThanOrEqual(12);
      else expect(decoding).toBeGreaterThanOrEqual(28);
      // The gate stayed closed throughout: nothing ever talked.
      expect((await member.getMixerState()).talking).toBe(false);
    } finally {
      phone.close();
      await conference.update({ state: 'completed' });
    }
  });
});
