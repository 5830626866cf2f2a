// RTP members joined by SDP offer/answer on real shards, with loopback G.711 peers: our answer
// and our offer carry the leg's real port, audio flows both ways, re-offers move, re-codec and
// hold the leg without dropping the member, and an SDP that cannot work adds nothing.
import { once } from 'node:events';
import { parse } from 'sdp-transform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfmixError, InvalidArgumentError, InvalidStateError, SdpError, UnsupportedError, answerOffer, createEngine } from '../../src/index.ts';
import type { Conference, Engine, Member, MemberChange, RtpLeg, SdpErrorReason } from '../../src/index.ts';
import { Talker, amplitudeAt, db } from './engineHelpers.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';
import { isSilent } from '../helpers/audio.ts';

const RATE = 8000;
const PEER_HZ = 400;
const APP_HZ = 1000;
const AMPLITUDE = 4000;
const WINDOW = 25;
const PORT_MIN = 24700;
const PORT_MAX = 24799;

let engine: Engine;
const peers: SdpPeer[] = [];

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: PORT_MIN, portMax: PORT_MAX });
});

afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});

afterAll(async () => {
  await engine?.close();
});

async function peer(freqHz: number | null = PEER_HZ): Promise<SdpPeer> {
  const created = await SdpPeer.create(freqHz, AMPLITUDE);
  peers.push(created);
  return created;
}

/** A conference with an app member saying APP_HZ. */
async function conferenceWithApp(): Promise<{ conference: Conference; app: Talker }> {
  const conference = await engine.createConference({ rate: RATE, hangoverMs: 0 });
  const appMember = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  const app = new Talker(appMember.leg as never);
  app.say(APP_HZ, AMPLITUDE);
  return { conference, app };
}

function audioLine(sdp: string) {
  const parsed = parse(sdp);
  const audio = parsed.media.find((media) => media.type === 'audio');
  if (!audio) throw new Error('no audio m= line');
  return { parsed, audio };
}

/** Resolves with the next change of the member that touches `field`. */
function nextChange(member: Member, field: keyof MemberChange): Promise<MemberChange> {
  return new Promise((resolve) => {
    const listener = (change: MemberChange): void => {
      if (change[field] === undefined) return;
      member.off('change', listener);
      resolve(change);
    };
    member.on('change', listener);
  });
}

async function sdpErrorOf(promise: Promise<unknown>): Promise<SdpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SdpError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('answering a peer offer', () => {
  it("answers with the leg's real port and the offer's payload types, and the audio flows both ways", async () => {
    const { conference, app } = await conferenceWithApp();
    const phone = await peer();
    const { member, leg, sdp } = await conference.addMember({ sdp: phone.offer({ codecs: ['pcma', 'pcmu'], telephoneEvent: 96 }), callId: 'call-1' });
    expect(member.leg).toBe(leg);
    expect(member.callId).toBe('call-1');
    const { parsed, audio } = audioLine(sdp);
    expect(parsed.connection?.ip).toBe('127.0.0.1');
    expect(audio.port).toBe(leg.localPort);
    expect(String(audio.payloads)).toBe('8 96');
    expect(audio.direction).toBe('sendrecv');
    expect(audio.ptime).toBe(20);
    expect(leg.localSdp).toBe(sdp);
    expect(leg.signalingState).toBe('stable');
    expect(leg.codec).toMatchObject({ name: 'pcma', payloadType: 8 });
    expect(leg.telephoneEventPayloadType).toBe(96);
    expect([leg.remoteAddress, leg.remotePort]).toEqual(['127.0.0.1', phone.port]);
    expect(leg.negotiated).toMatchObject({ send: true, receive: true, direction: 'sendrecv' });

    phone.follow(sdp);
    expect(phone.codec).toBe('pcma');
    phone.start();
    const heardByApp = await app.listen(WINDOW);
    const heardByPhone = await phone.listen(WINDOW);
    expect(amplitudeAt(heardByApp, PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(amplitudeAt(heardByPhone, APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    // Its own tone never comes back.
    expect(amplitudeAt(heardByPhone, PEER_HZ, RATE)).toBeLessThan(AMPLITUDE * 0.01);

    const stats = await member.stats();
    expect(stats.localPort).toBe(leg.localPort);
    expect(stats.packetsIn).toBeGreaterThan(WINDOW);
    expect(stats.droppedStranger + stats.droppedInvalid).toBe(0);
    await conference.update({ state: 'completed' });
  });

  it('names the engine rtpAddress in the answer, and refuses addresses that cannot be one', async () => {
    const other = await createEngine({ shards: 1, portMin: 24800, portMax: 24809, rtpAddress: '192.0.2.44' });
    try {
      const conference = await other.createConference({ rate: RATE });
      const phone = await peer();
      const { sdp } = await conference.addMember({ sdp: phone.offer() });
      const { parsed } = audioLine(sdp);
      expect(parsed.connection?.ip).toBe('192.0.2.44');
      expect(parsed.origin?.address).toBe('192.0.2.44');
    } finally {
      await other.close();
    }
    for (const rtpAddress of ['0.0.0.0', 'pbx.example.com', '::1', 42]) {
      await expect(createEngine({ shards: 1, rtpAddress: rtpAddress as never })).rejects.toThrow(InvalidArgumentError);
    }
    await expect(createEngine({ shards: 1, rtpAddress6: '127.0.0.1' })).rejects.toThrow(InvalidArgumentError);
  });

  it('mutes a peer whose offer is recvonly and deafens one whose offer is sendonly', async () => {
    const { conference, app } = await conferenceWithApp();
    const listener = await peer();
    const talker = await peer(PEER_HZ);
    const joinedListener = await conference.addMember({ sdp: listener.offer({ direction: 'recvonly' }) });
    const joinedTalker = await conference.addMember({ sdp: talker.offer({ direction: 'sendonly' }) });
    expect(audioLine(joinedListener.sdp).audio.direction).toBe('sendonly');
    expect(audioLine(joinedTalker.sdp).audio.direction).toBe('recvonly');
    expect([joinedListener.member.mute, joinedListener.member.deaf]).toEqual([true, false]);
    expect([joinedTalker.member.mute, joinedTalker.member.deaf]).toEqual([false, true]);
    listener.follow(joinedListener.sdp);
    listener.tone(1800);
    listener.start();
    talker.follow(joinedTalker.sdp);
    talker.start();
    // The listener hears the app and the talker; nothing of what it sends reaches the app.
    const heardByListener = await listener.listen(WINDOW);
    expect(amplitudeAt(heardByListener, APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(amplitudeAt(heardByListener, PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    const heardByApp = await app.listen(WINDOW);
    expect(amplitudeAt(heardByApp, 1800, RATE)).toBeLessThan(5);
    expect(amplitudeAt(heardByApp, PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    // The talker is sent silence.
    expect(isSilent(await talker.listen(WINDOW))).toBe(true);
    await conference.update({ state: 'completed' });
  });
});

describe('making our offer', () => {
  it('opens the leg, offers its port, and the answer completes it', async () => {
    const { conference, app } = await conferenceWithApp();
    const phone = await peer();
    const { member, leg, sdp: offer } = await conference.addMember({ offer: true, rtp: { codecs: ['pcmu', 'pcma'] } });
    expect(leg.signalingState).toBe('have-local-offer');
    const { audio } = audioLine(offer);
    expect(audio.port).toBe(leg.localPort);
    expect(String(audio.payloads)).toBe('0 8 101');
    expect(audio.rtcpMux).toBe('rtcp-mux');
    expect(leg.remoteAddress).toBeUndefined();

    // The phone answers with PCMA only, from its own port.
    const answer = answerOffer(offer, { localAddress: '127.0.0.1', localPort: phone.port, preferredCodec: 'pcma' }).answerSdp;
    // An answer that picks nothing we offered changes nothing.
    const bad = answer.replace(/RTP\/AVP 8 101/, 'RTP/AVP 18').replace(/a=rtpmap:8 PCMA\/8000/, 'a=rtpmap:18 G729/8000');
    expect((await sdpErrorOf(leg.applyAnswer(bad))).reason).toBe('no-common-codec');
    expect(leg.signalingState).toBe('have-local-offer');

    await leg.applyAnswer(answer);
    expect(leg.signalingState).toBe('stable');
    expect(leg.remoteSdp).toBe(answer);
    expect(leg.codec).toMatchObject({ name: 'pcma', payloadType: 8 });
    expect([leg.remoteAddress, leg.remotePort]).toEqual(['127.0.0.1', phone.port]);
    await expect(leg.applyAnswer(answer)).rejects.toThrow(InvalidStateError);

    phone.follow(offer);
    phone.codec = 'pcma';
    phone.start();
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(amplitudeAt(await phone.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(member.state).toBe('active');
    await conference.update({ state: 'completed' });
  });
});

describe('re-offers on a live leg', () => {
  it('holds with sendonly and inactive, resumes with sendrecv, and keeps a mute the app set', async () => {
    const { conference, app } = await conferenceWithApp();
    const phone = await peer();
    const { member, leg, sdp } = await conference.addMember({ sdp: phone.offer() });
    phone.follow(sdp);
    phone.start();
    expect(amplitudeAt(await phone.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);

    // The phone holds us: it only sends (music), so the member hears nothing.
    const deafened = nextChange(member, 'deaf');
    const held = await leg.reoffer(phone.offer({ direction: 'sendonly', version: 2 }));
    expect(await deafened).toMatchObject({ deaf: true, cause: 'sdp' });
    const heldLine = audioLine(held);
    expect(heldLine.audio.direction).toBe('recvonly');
    expect(heldLine.audio.port).toBe(leg.localPort);
    expect(heldLine.parsed.origin?.sessionVersion).toBe(Number(audioLine(sdp).parsed.origin?.sessionVersion) + 1);
    expect([member.deaf, member.mute]).toEqual([true, false]);
    expect(isSilent(await phone.listen(WINDOW))).toBe(true);
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);

    // Inactive: neither way.
    const inactive = await leg.reoffer(phone.offer({ direction: 'inactive', version: 3 }));
    expect(audioLine(inactive).audio.direction).toBe('inactive');
    expect([member.deaf, member.mute]).toEqual([true, true]);
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeLessThan(5);

    // The app mutes it meanwhile; the resume then hands back only what the SDP took.
    await member.update({ mute: true });
    await leg.reoffer(phone.offer({ direction: 'sendrecv', version: 4 }));
    expect([member.deaf, member.mute]).toEqual([false, true]);
    expect(amplitudeAt(await phone.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    await member.update({ mute: false });
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(member.state).toBe('active');
    await conference.update({ state: 'completed' });
  });

  it('moves the leg to a new address and codec without dropping the member', async () => {
    const { conference, app } = await conferenceWithApp();
    const first = await peer();
    const { member, leg, sdp } = await conference.addMember({ sdp: first.offer({ telephoneEvent: 101 }) });
    first.follow(sdp);
    first.start();
    expect(amplitudeAt(await first.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);

    // The call moves to another endpoint that speaks PCMA (a transfer, a media server change).
    const second = await peer(700);
    const answer = await leg.reoffer(second.offer({ codecs: ['pcma'], telephoneEvent: 101, version: 2 }));
    expect(String(audioLine(answer).audio.payloads)).toBe('8 101');
    expect(leg.codec).toMatchObject({ name: 'pcma', payloadType: 8 });
    expect([leg.remoteAddress, leg.remotePort]).toEqual(['127.0.0.1', second.port]);
    first.stop();
    second.follow(answer);
    second.start();
    expect(amplitudeAt(await second.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(amplitudeAt(await app.listen(WINDOW), 700, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    // The old endpoint is now a stranger: what it sends is dropped and counted.
    const before = (await member.stats()).droppedStranger;
    first.start();
    await app.listen(WINDOW);
    expect((await member.stats()).droppedStranger).toBeGreaterThan(before + 10);
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeLessThan(5);
    expect(member.state).toBe('active');
    expect(conference.activeMembers).toBe(2);

    // A re-offer that cannot work changes nothing.
    const error = await sdpErrorOf(leg.reoffer(second.offer({ version: 3 }).replace('RTP/AVP 0', 'RTP/AVP 18')));
    expect(error.reason).toBe('no-common-codec');
    expect(leg.codec.name).toBe('pcma');
    expect(amplitudeAt(await app.listen(WINDOW), 700, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    await conference.update({ state: 'completed' });
  });
});

describe('symmetric RTP latching', () => {
  it('sends to where the peer sends from, not to the address its SDP names (NAT)', async () => {
    const { conference, app } = await conferenceWithApp();
    const phone = await peer();
    // Behind NAT the SDP names a private address and port the conference cannot reach.
    const natOffer = phone.offer({ address: '10.9.8.7', port: 4000 });
    const strict = await conference.addMember({ sdp: natOffer });
    const latched = await conference.addMember({ sdp: natOffer, rtp: { symmetricLatching: true } });
    phone.follow(latched.sdp);
    phone.start();
    expect(amplitudeAt(await phone.listen(WINDOW), APP_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    expect(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE)).toBeGreaterThan(AMPLITUDE * 0.8);
    // Without latching, the same packets are from a stranger.
    const strictPeer = await peer(1800);
    strictPeer.follow(strict.sdp);
    strictPeer.start();
    await app.listen(WINDOW);
    expect((await strict.member.stats()).droppedStranger).toBeGreaterThan(10);
    expect(amplitudeAt(await app.listen(WINDOW), 1800, RATE)).toBeLessThan(5);
    await conference.update({ state: 'completed' });
  });
});

describe('SDP that cannot work', () => {
  const offers: Array<[string, SdpErrorReason, (phone: SdpPeer) => string]> = [
    ['no common codec', 'no-common-codec', (p) => p.offer().replace('RTP/AVP 0', 'RTP/AVP 9').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000')],
    ['no audio m-line', 'no-audio', (p) => p.offer().replace('m=audio', 'm=video')],
    ['a bad connection line', 'bad-connection', (p) => p.offer().replace(/c=IN IP4 127\.0\.0\.1/, 'c=IN IP4 pbx.example.com')],
    ['port 0', 'port-zero', (p) => p.offer({ port: 0 })],
    ['garbage', 'malformed', () => 'this is not SDP at all'],
  ];

  it('is a typed error, adds no member and opens no socket', async () => {
    // Room for two legs only (even ports; a peer without rtcp-mux takes one for RTP and one for
    // RTCP): a leaked socket would make the last joins fail.
    const small = await createEngine({ shards: 1, portMin: 24810, portMax: 24817 });
    try {
      const conference = await small.createConference({ rate: RATE });
      await conference.addMember({ leg: { kind: 'none' } });
      const phone = await peer();
      const joins: string[] = [];
      conference.on('newmember', (member) => joins.push(member.id));
      for (let round = 0; round < 3; round++) {
        for (const [label, reason, make] of offers) {
          const error = await sdpErrorOf(conference.addMember({ sdp: make(phone) }));
          expect(error, label).toBeInstanceOf(ConfmixError);
          expect(error.code).toBe('ERR_SDP');
          expect(error.reason, label).toBe(reason);
        }
      }
      expect(joins).toEqual([]);
      expect(conference.activeMembers).toBe(1);
      // Both are still free.
      const a = await conference.addMember({ sdp: phone.offer() });
      const b = await conference.addMember({ sdp: phone.offer() });
      const ports = [a.leg.localPort, b.leg.localPort, a.leg.localRtcpPort, b.leg.localRtcpPort];
      expect(new Set(ports)).toEqual(new Set([24810, 24812, 24814, 24816]));
    } finally {
      await small.close();
    }
  });

  it('refuses bad options before reading the SDP', async () => {
    const conference = await engine.createConference({ rate: RATE });
    const phone = await peer();
    const bad: Array<[Record<string, unknown>, typeof InvalidArgumentError]> = [
      [{ sdp: 42 }, InvalidArgumentError],
      [{ sdp: phone.offer(), leg: { kind: 'none' } }, InvalidArgumentError],
      [{ sdp: phone.offer(), offer: true }, InvalidArgumentError],
      [{ offer: 'yes' }, InvalidArgumentError],
      [{ sdp: phone.offer(), rtp: { preferredCodec: 'g729' } }, InvalidArgumentError],
      [{ sdp: phone.offer(), rtp: { codecs: [] } }, InvalidArgumentError],
      [{ sdp: phone.offer(), rtp: { timeoutMs: -1 } }, InvalidArgumentError],
      [{ sdp: phone.offer(), rtp: { nat: true } }, InvalidArgumentError],
      [{ sdp: phone.offer(), talkLevel: 9 }, InvalidArgumentError],
    ];
    for (const [options, type] of bad) await expect(conference.addMember(options as never), JSON.stringify(options).slice(0, 60)).rejects.toThrow(type);
    expect(conference.activeMembers).toBe(0);
    // An RTP leg given by hand has no SDP to renegotiate.
    const plain = await conference.addMember({ leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: phone.port } });
    await expect((plain.leg as RtpLeg).reoffer(phone.offer())).rejects.toThrow(UnsupportedError);
    await expect(conference.addMember({ leg: { kind: 'none' } }).then((m) => m.stats())).rejects.toThrow(UnsupportedError);
    await conference.update({ state: 'completed' });
  });

  it('refuses a re-offer on a member that left', async () => {
    const conference = await engine.createConference({ rate: RATE });
    await conference.addMember({ leg: { kind: 'none' } });
    const phone = await peer();
    const { member, leg } = await conference.addMember({ sdp: phone.offer() });
    const closed = once(member, 'close');
    member.close();
    await closed;
    await expect(leg.reoffer(phone.offer({ version: 2 }))).rejects.toThrow(InvalidStateError);
    await conference.update({ state: 'completed' });
  });
});

describe('measured level', () => {
  it('passes G.711 through the mix at the level it was sent (within 0.5 dB)', async () => {
    const { conference, app } = await conferenceWithApp();
    const phone = await peer();
    const { sdp } = await conference.addMember({ sdp: phone.offer() });
    phone.follow(sdp);
    phone.start();
    const level = db(amplitudeAt(await app.listen(WINDOW), PEER_HZ, RATE), AMPLITUDE);
    expect(Math.abs(level)).toBeLessThan(0.5);
    await conference.update({ state: 'completed' });
  });
});
