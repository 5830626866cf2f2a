// Real shards, a plain RTP member (PCMU on loopback) and a PCM app member: every DTMF key sent
// as an RFC 4733 event, each retransmitted, changes the RTP member once, as DESIGN.md says,
// measured in the audio both ways. With passthru_digits the keys are only reported.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.ts';
import type { Conference, Engine, Member } from '../../src/index.ts';
import { g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';
import { ToneGenerator, concat, isSilent } from '../helpers/audio.ts';
import { buildRtpPacket, keyPackets } from '../helpers/rtp.ts';
import { Talker, amplitudeAt, db, pressAndWait } from './engineHelpers.ts';

const RATE = 8000;
const RTP_HZ = 400;
const APP_HZ = 1000;
const AMPLITUDE = 4000;
const TELEPHONE_EVENT_PT = 101;
const WINDOW = 25;

/** A PCMU peer sending a tone every 20 ms, with RFC 4733 events in place of audio when asked. */
class DtmfPeer {
  readonly socket = dgram.createSocket('udp4');
  readonly received: Int16Array[] = [];
  #tone = new ToneGenerator(RTP_HZ, AMPLITUDE, RATE);
  #sequence = 1;
  #timestamp = 8000;
  #pending: Uint8Array[] = [];
  #timer: NodeJS.Timeout | undefined;

  async bind(): Promise<number> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    this.socket.on('message', (bytes) => {
      const packet = parseRtp(new Uint8Array(bytes));
      if (packet.ok && packet.payloadType === 0) this.received.push(g711Decode('pcmu', packet.payload));
    });
    return this.socket.address().port;
  }

  /** Starts sending to the member's local port. */
  start(port: number): void {
    this.#timer = setInterval(() => {
      const event = this.#pending.shift();
      const bytes =
        event ?? buildRtpPacket({ payloadType: 0, sequence: this.#sequence, timestamp: this.#timestamp, ssrc: 0x5eed, payload: g711Encode('pcmu', this.#tone.next(160)) });
      if (event) new DataView(bytes.buffer).setUint16(2, this.#sequence);
      this.socket.send(bytes, port, '127.0.0.1');
      this.#sequence = (this.#sequence + 1) & 0xffff;
      this.#timestamp += 160;
    }, 20);
  }

  /** Sends a tone of this amplitude from now on. */
  amplitude(amplitude: number): void {
    this.#tone = new ToneGenerator(RTP_HZ, amplitude, RATE);
  }

  /** Queues one key: three updates and the end packet sent three times, all one event. */
  key(key: string): void {
    const timestamp = this.#timestamp + 160 * this.#pending.length;
    this.#pending.push(...keyPackets(key, { payloadType: TELEPHONE_EVENT_PT, ssrc: 0x5eed, timestamp, samplesPerFrame: 160 }));
  }

  /** Index of the next frame received. */
  mark(): number {
    return this.received.length;
  }

  /** The `frames` frames received from `index` on, once they have arrived. */
  async since(index: number, frames: number): Promise<Int16Array> {
    while (this.received.length < index + frames) await once(this.socket, 'message');
    return concat(this.received.slice(index, index + frames));
  }

  /** Skips `settle` frames, then returns the next `frames` received. */
  async listen(frames: number, settle = 8): Promise<Int16Array> {
    return this.since(this.mark() + settle, frames);
  }

  close(): void {
    clearInterval(this.#timer);
    this.socket.close();
  }
}

let engine: Engine;
const peers: DtmfPeer[] = [];

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24500, portMax: 24599 });
});

afterAll(async () => {
  for (const peer of peers) peer.close();
  await engine?.close();
});

async function setUp(options: Parameters<Engine['createConference']>[0] = {}): Promise<{ conference: Conference; rtp: Member; peer: DtmfPeer; app: Talker }> {
  const conference = await engine.createConference({ rate: RATE, hangoverMs: 0, ...options });
  const peer = new DtmfPeer();
  peers.push(peer);
  const peerPort = await peer.bind();
  const rtp = await conference.addMember({
    leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: peerPort, telephoneEventPayloadType: TELEPHONE_EVENT_PT },
  });
  expect(rtp.leg.kind).toBe('rtp');
  peer.start((rtp.leg as { localPort: number }).localPort);
  const appMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  const app = new Talker(appMember.leg as never);
  app.say(APP_HZ, AMPLITUDE);
  return { conference, rtp, peer, app };
}


describe('RFC 4733 keys with interpret_digits', () => {
  it('acts once per event on talk and listen volume, heard in the audio', async () => {
    const { conference, rtp, peer, app } = await setUp();
    const talkBase = amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE);
    const listenBase = amplitudeAt(await peer.listen(WINDOW), APP_HZ, RATE);
    expect(talkBase).toBeGreaterThan(AMPLITUDE * 0.8);
    const talk = async (): Promise<number> => db(amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE), talkBase);
    const listen = async (): Promise<number> => db(amplitudeAt(await peer.listen(WINDOW), APP_HZ, RATE), listenBase);

    expect((await pressAndWait(peer, rtp, '3', ['talkLevel'])).action).toBe('talk-up');
    expect(rtp.talkLevel).toBe(1);
    expect(await talk()).toBeCloseTo(3, 0);
    await pressAndWait(peer, rtp, '1', ['talkLevel']);
    expect((await pressAndWait(peer, rtp, '1', ['talkLevel'])).action).toBe('talk-down');
    expect(rtp.talkLevel).toBe(-1);
    expect(await talk()).toBeCloseTo(-3, 0);
    expect((await pressAndWait(peer, rtp, '2', ['talkLevel'])).action).toBe('talk-reset');
    expect(await talk()).toBeCloseTo(0, 0);

    expect((await pressAndWait(peer, rtp, '4', ['listenLevel'])).action).toBe('listen-down');
    expect(rtp.listenLevel).toBe(-1);
    expect(await listen()).toBeCloseTo(-3, 0);
    expect((await pressAndWait(peer, rtp, '5', ['listenLevel'])).action).toBe('listen-reset');
    expect(await listen()).toBeCloseTo(0, 0);
    expect((await pressAndWait(peer, rtp, '6', ['listenLevel'])).action).toBe('listen-up');
    expect(rtp.listenLevel).toBe(1);
    expect(await listen()).toBeCloseTo(3, 0);
    await conference.update({ state: 'completed' });
  });

  it('moves sensitivity with 7/8/9, gating a quiet talker or letting it through', async () => {
    const { conference, rtp, peer, app } = await setUp({ 'energy-level': 100 });
    // A 236-peak tone scores about 150: above 100 and 50, below 200.
    peer.amplitude(236);
    const heard = async (): Promise<boolean> => amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE) > 150;
    expect(await heard()).toBe(true);
    expect((await pressAndWait(peer, rtp, '9', ['energyLevel'])).action).toBe('energy-up');
    expect(rtp.energyLevel).toBe(200);
    expect(await heard()).toBe(false);
    expect((await pressAndWait(peer, rtp, '7', ['energyLevel'])).action).toBe('energy-down');
    await pressAndWait(peer, rtp, '7', ['energyLevel']);
    expect(rtp.energyLevel).toBe(50);
    expect(await heard()).toBe(true);
    await pressAndWait(peer, rtp, '9', ['energyLevel']);
    await pressAndWait(peer, rtp, '9', ['energyLevel']);
    expect(rtp.energyLevel).toBe(200);
    expect(await heard()).toBe(false);
    expect((await pressAndWait(peer, rtp, '8', ['energyLevel'])).action).toBe('energy-reset');
    expect(rtp.energyLevel).toBe(100);
    expect(await heard()).toBe(true);
    await conference.update({ state: 'completed' });
  });

  it('toggles mute with 0, deaf and mute with *, and leaves with #', async () => {
    const { conference, rtp, peer, app } = await setUp();
    expect((await pressAndWait(peer, rtp, '0', ['mute'])).action).toBe('toggle-mute');
    expect(rtp.mute).toBe(true);
    expect(amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE)).toBeLessThan(5);
    await pressAndWait(peer, rtp, '0', ['mute']);
    expect(amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect((await pressAndWait(peer, rtp, '*', ['deaf', 'mute'])).action).toBe('toggle-deaf-mute');
    expect([rtp.deaf, rtp.mute]).toEqual([true, true]);
    expect(isSilent(await peer.listen(WINDOW))).toBe(true);
    expect(amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE)).toBeLessThan(5);
    await pressAndWait(peer, rtp, '*', ['deaf', 'mute']);
    expect(amplitudeAt(await peer.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    const closed = once(rtp, 'close');
    expect((await pressAndWait(peer, rtp, '#')).action).toBe('leave');
    expect(await closed).toEqual(['dtmf-leave']);
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });
});

describe('RFC 4733 keys with passthru_digits', () => {
  it('reports each key once and changes nothing', async () => {
    const { conference, rtp, peer, app } = await setUp({ profile: 'passthru_digits' });
    const base = amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE);
    const keys: string[] = [];
    rtp.on('dtmf', (e) => keys.push(`${e.dtmfDigit}:${e.action}`));
    for (const key of ['0', '3', '#']) await pressAndWait(peer, rtp, key);
    // One more frame window: a retransmitted end packet would have raised a second event by now.
    const after = amplitudeAt(await app.listen(WINDOW), RTP_HZ, RATE);
    expect(keys).toEqual(['0:none', '3:none', '#:none']);
    expect(Math.abs(db(after, base))).toBeLessThan(0.5);
    expect([rtp.state, rtp.mute, rtp.talkLevel]).toEqual(['active', false, 0]);
    await conference.update({ state: 'completed' });
  });
});

describe('RTP leg timeout', () => {
  it('removes an RTP member that receives nothing for timeoutMs, with reason leg-timeout', async () => {
    const conference = await engine.createConference({ rate: RATE });
    await conference.addMember({ leg: { kind: 'app', rate: RATE } });
    const silent = new DtmfPeer();
    peers.push(silent);
    const port = await silent.bind();
    const member = await conference.addMember({ leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: port, timeoutMs: 300 } });
    const [reason] = await once(member, 'close');
    expect(reason).toBe('leg-timeout');
    expect(member.removedReason).toBe('leg-timeout');
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });
});
