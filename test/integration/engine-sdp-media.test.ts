// A member joined by SDP, fed by a small RTP sender with real timing (a packet every 20 ms):
// RFC 4733 keys act as DESIGN.md says, measured in the audio; bad input (malformed packets,
// wrong payload type, a stranger, a 10,000-packet flood) is counted and changes nothing; an SSRC
// change is followed; a peer gone without BYE times out; an RTCP BYE ends the member.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.ts';
import type { Conference, Member } from '../../src/index.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import type { ShardConferenceRequests } from '../../src/shard/conferenceProtocol.ts';
import { g711Encode } from '../../src/native/testing/codecs.ts';
import { buildRtcpBye } from '../../src/native/testing/rtcp.ts';
import { buildRtpPacket } from '../helpers/rtp.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';
import { sine } from '../helpers/audio.ts';
import { Talker, amplitudeAt, db, pressAndWait } from './engineHelpers.ts';

const RATE = 8000;
const PEER_HZ = 400;
const APP_HZ = 1000;
const STRANGER_HZ = 1800;
const AMPLITUDE = 4000;
const WINDOW = 25;
const TELEPHONE_EVENT_PT = 101;

type ShardStats = ShardConferenceRequests['stats']['result'];

let pool: ShardPool;
let engine: Engine;
const peers: SdpPeer[] = [];
const sockets: dgram.Socket[] = [];

beforeAll(async () => {
  pool = await ShardPool.create({ shards: 1, portMin: 24900, portMax: 24999 });
  engine = Engine.createWithPool(pool);
});

afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
  for (const socket of sockets.splice(0)) socket.close();
});

afterAll(async () => {
  await engine?.close();
});

function shardStats(): Promise<ShardStats> {
  return pool.shards[0].request('stats', {});
}

/** The conference's tick count, and when it was read (monotonic ms, the media thread's clock). */
async function conferenceClock(conference: Conference): Promise<{ ticks: number; readAtMs: number }> {
  const clock = await pool.shards[0].request('conferenceClock', { conferenceId: conference.id });
  return { ticks: clock.ticks, readAtMs: Number(process.hrtime.bigint()) / 1e6 };
}

/** A conference with an app member saying APP_HZ and a phone joined by its SDP offer, streaming PEER_HZ. */
async function setUp(options: { timeoutMs?: number; rtcpMux?: boolean } = {}): Promise<{ conference: Conference; app: Talker; phone: SdpPeer; member: Member }> {
  const conference = await engine.createConference({ rate: RATE, hangoverMs: 0 });
  const appMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  const app = new Talker(appMember.leg as never);
  app.say(APP_HZ, AMPLITUDE);
  const phone = await SdpPeer.create(PEER_HZ, AMPLITUDE);
  peers.push(phone);
  const offer = phone.offer({ telephoneEvent: TELEPHONE_EVENT_PT, ...(options.rtcpMux ? { rtcpMux: true } : {}) });
  const { member, sdp } = await conference.addMember({ sdp: offer, ...(options.timeoutMs === undefined ? {} : { rtp: { timeoutMs: options.timeoutMs } }) });
  phone.follow(sdp);
  phone.start();
  return { conference, app, phone, member };
}

async function stranger(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

/** Sends `count` copies of `packet` to `port` as fast as possible from a worker thread; resolves with how many were sent. */
async function flood(packet: Uint8Array, port: number, count: number): Promise<number> {
  const worker = new Worker(
    `const dgram = require('node:dgram');
     const { parentPort, workerData } = require('node:worker_threads');
     const socket = dgram.createSocket('udp4');
     socket.bind(0, '127.0.0.1', async () => {
       let sent = 0;
       const one = () => new Promise((resolve) => socket.send(workerData.packet, workerData.port, '127.0.0.1', () => { sent++; resolve(); }));
       for (let i = 0; i < workerData.count; i += 100) await Promise.all(Array.from({ length: Math.min(100, workerData.count - i) }, one));
       socket.close(() => parentPort.postMessage(sent));
     });`,
    { eval: true, workerData: { packet, port, count } },
  );
  const [sent] = (await once(worker, 'message')) as [number];
  await worker.terminate();
  return sent;
}

function send(socket: dgram.Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
}


describe('RFC 4733 keys from a peer joined by SDP', () => {
  it('3 twice, 6, 0 and #: talk +2, listen +1, mute, leave, each heard in the audio', async () => {
    const { conference, app, phone, member } = await setUp();
    const keys: string[] = [];
    member.on('dtmf', (event) => keys.push(`${event.dtmfDigit}:${event.action}`));
    const talkBase = amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE);
    const listenBase = amplitudeAt(await phone.listen(WINDOW), APP_HZ, RATE);
    expect(talkBase).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(listenBase).toBeGreaterThan(AMPLITUDE * 0.8);

    await pressAndWait(phone, member, '3', ['talkLevel']);
    await pressAndWait(phone, member, '3', ['talkLevel']);
    expect(member.talkLevel).toBe(2);
    expect(db(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE), talkBase)).toBeCloseTo(6, 0);

    await pressAndWait(phone, member, '6', ['listenLevel']);
    expect(member.listenLevel).toBe(1);
    expect(db(amplitudeAt(await phone.listen(WINDOW), APP_HZ, RATE), listenBase)).toBeCloseTo(3, 0);

    await pressAndWait(phone, member, '0', ['mute']);
    expect(member.mute).toBe(true);
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeLessThan(5);

    const closed = once(member, 'close');
    await pressAndWait(phone, member, '#');
    expect(await closed).toEqual(['dtmf-leave']);
    // Every key acted once, though each end packet went three times.
    expect(keys).toEqual(['3:talk-up', '3:talk-up', '6:listen-up', '0:toggle-mute', '#:leave']);
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });
});

describe('bad input, counted and harmless', () => {
  it('drops malformed packets, a wrong payload type and a stranger, and the audio does not change', async () => {
    const { conference, app, phone, member } = await setUp();
    const base = amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE);
    const rejected: Array<{ reason: string; count: number }> = [];
    member.on('rtprejected', (event) => rejected.push(event));
    const port = phone.remote!.port;
    const before = await member.stats();

    // From the peer's own address: 30 malformed datagrams, then 40 packets of an unnegotiated type.
    const malformed = [
      new Uint8Array([0x80, 0x00, 0x00]), // shorter than a header
      buildRtpPacket({ version: 1, payload: new Uint8Array(160) }), // not version 2
      buildRtpPacket({ csrcCount: 15, payload: new Uint8Array(8) }), // CSRCs past the end
    ];
    for (let i = 0; i < 30; i++) phone.sendRaw(malformed[i % malformed.length]);
    const wrongType = sine(STRANGER_HZ, AMPLITUDE, RATE, 160);
    for (let i = 0; i < 40; i++) {
      phone.sendRaw(buildRtpPacket({ payloadType: 18, sequence: 60000 + i, timestamp: i * 160, ssrc: phone.ssrc, payload: g711Encode('pcmu', wrongType) }));
    }
    // From a stranger: 50 good PCMU packets of another tone.
    const other = await stranger();
    for (let i = 0; i < 50; i++) {
      await send(other, buildRtpPacket({ payloadType: 0, sequence: i, timestamp: i * 160, ssrc: 77, payload: g711Encode('pcmu', wrongType) }), port);
    }
    const during = await app.listen(WINDOW);
    const after = await member.stats();
    expect(after.droppedInvalid - before.droppedInvalid).toBe(70);
    expect(after.droppedStranger - before.droppedStranger).toBe(50);
    expect(Math.abs(db(amplitudeAt(during, PEER_HZ, RATE), base))).toBeLessThan(0.5);
    expect(amplitudeAt(during, STRANGER_HZ, RATE)).toBeLessThan(5);
    // The drops were reported as events too.
    await app.listen(WINDOW, 50);
    const reported = (reason: string): number => rejected.filter((event) => event.reason === reason).reduce((sum, event) => sum + event.count, 0);
    expect(reported('invalid')).toBe(70);
    expect(reported('stranger')).toBe(50);
    expect(member.state).toBe('active');
    await conference.update({ state: 'completed' });
  });

  it('survives a 10,000-packet flood from a stranger: the audio is unchanged and the clock keeps time', async () => {
    const { conference, app, phone, member } = await setUp();
    const base = amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE);
    const port = phone.remote!.port;
    const packet = buildRtpPacket({ payloadType: 0, sequence: 1, timestamp: 160, ssrc: 99, payload: g711Encode('pcmu', sine(STRANGER_HZ, AMPLITUDE, RATE, 160)) });
    const statsBefore = await shardStats();
    const clockBefore = await conferenceClock(conference);
    const memberBefore = await member.stats();
    const start = app.mark();

    // As fast as a socket takes them, from another thread so the phone keeps its own timing.
    const flooded = await flood(packet, port, 10_000);
    const during = await app.since(start, Math.max(WINDOW, app.mark() - start));
    expect(flooded).toBe(10_000);
    const after = await app.listen(WINDOW, 4);
    const statsAfter = await shardStats();
    const clockAfter = await conferenceClock(conference);
    const memberAfter = await member.stats();

    // Everything that reached the socket was refused as a stranger (the kernel may drop some
    // of the burst before the socket: those are not ours to count).
    const dropped = memberAfter.droppedStranger - memberBefore.droppedStranger;
    expect(dropped).toBeGreaterThan(1000);
    expect(dropped).toBeLessThanOrEqual(10_000);
    // The member's own stream went on, and the mix heard it at its level and nothing else.
    expect(Math.abs(db(amplitudeAt(during, PEER_HZ, RATE), base))).toBeLessThan(1);
    expect(Math.abs(db(amplitudeAt(after, PEER_HZ, RATE), base))).toBeLessThan(0.5);
    expect(amplitudeAt(during, STRANGER_HZ, RATE)).toBeLessThan(5);
    // The flood cost no ticks: at most one overran (a scheduler hiccup on a busy test machine),
    // and the clock kept its grid.
    expect(statsAfter.overruns - statsBefore.overruns).toBeLessThanOrEqual(1);
    const ticks = clockAfter.ticks - clockBefore.ticks;
    const intervals = Math.round((clockAfter.readAtMs - clockBefore.readAtMs) / 20);
    expect(Math.abs(ticks - intervals)).toBeLessThanOrEqual(2);
    expect(member.state).toBe('active');
    await conference.update({ state: 'completed' });
  });

  it('follows an SSRC change mid-call', async () => {
    const { conference, app, phone, member } = await setUp();
    const base = amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE);
    const before = await member.stats();
    // A new stream: new SSRC, sequence and timestamp (an endpoint restarted, a transfer behind an SBC).
    phone.ssrc = 0x0badcafe;
    phone.sequence = 40000;
    phone.timestamp = 123456789;
    phone.tone(700, AMPLITUDE);
    const heard = await app.listen(WINDOW, 10);
    expect(Math.abs(db(amplitudeAt(heard, 700, RATE), base))).toBeLessThan(0.5);
    expect(amplitudeAt(heard, PEER_HZ, RATE)).toBeLessThan(5);
    const after = await member.stats();
    expect(after.packetsIn - before.packetsIn).toBeGreaterThan(WINDOW);
    expect(after.droppedInvalid - before.droppedInvalid).toBe(0);
    await conference.update({ state: 'completed' });
  });

  it('removes a peer that goes away without BYE once timeoutMs passes', async () => {
    const { conference, app, phone, member } = await setUp({ timeoutMs: 400 });
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    const closed = once(member, 'close');
    phone.stop();
    expect(await closed).toEqual(['leg-timeout']);
    expect(member.removedReason).toBe('leg-timeout');
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });
});

describe('RTCP', () => {
  it("reports the peer's stream in member.stats(), and a BYE ends the member", async () => {
    const { conference, app, phone, member } = await setUp({ rtcpMux: true });
    await app.listen(50);
    // The phone's timer runs late on a loaded machine: count from what it has sent, less the
    // few still in flight to the media thread.
    await phone.waitSent(60);
    const stats = await member.stats();
    expect(stats.packetsIn).toBeGreaterThanOrEqual(50);
    expect(stats.packetsReceived).toBeGreaterThanOrEqual(40);
    expect(stats.cumulativeLost).toBe(0);
    expect(stats.packetsSent).toBeGreaterThanOrEqual(40);
    const closed = once(member, 'close');
    phone.sendRaw(buildRtcpBye(phone.ssrc, 'hanging up'));
    expect(await closed).toEqual(['rtcp-bye']);
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  });
});
