// WebRTC legs with a real WebRTC peer nobody here wrote the stack of: werift clients on loopback,
// joined through the engine's API and, WHIP-style, through the HTTP API beside an ffmpeg RTP
// member. Every audio assertion is Goertzel on what a client decoded; every bad input a typed error
// with nothing added.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { createEngine, SdpError } from '../../src/index.ts';
import type { Conference, Engine, MemberRemovedReason } from '../../src/index.ts';
import { median, toneLevelsDbfs } from '../helpers/audio.ts';
import { RtpPeer } from '../helpers/rtpPeer.ts';
import { WeriftClient } from '../helpers/weriftClient.ts';
import { FfmpegProcess, SenderRelay } from './ffmpeg.ts';

const TONE_AMPLITUDE = 8000;
// A tone at 8000/32768 of full scale: 20·log10(8000/32768).
const TONE_DBFS = -12.25;
// Two seconds of 20 ms frames.
const WINDOW_FRAMES = 100;

const clients: WeriftClient[] = [];
const cleanups: Array<() => void> = [];
let engine: Engine | undefined;
let server: ConfmixServer | undefined;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await engine?.close();
  engine = undefined;
  await server?.close();
  server = undefined;
});

function client(): WeriftClient {
  const made = new WeriftClient();
  clients.push(made);
  return made;
}

function removal(conference: Conference, memberId: string): Promise<MemberRemovedReason> {
  return new Promise((resolve) => {
    conference.getMember(memberId).once('close', (reason: MemberRemovedReason) => resolve(reason));
  });
}

// The level of `freq` in the client's next two seconds: the median of its 100 ms windows (a frame
// concealed on a busy machine shifts the tone's phase, which one long window would count as loss).
async function heardDbfs(peer: WeriftClient, freq: number): Promise<number> {
  const from = peer.received.length;
  await peer.waitForFrames(from + WINDOW_FRAMES);
  return median(toneLevelsDbfs(peer.audio(from).subarray(0, WINDOW_FRAMES * 160), freq, 8000));
}

describe('WebRTC legs joined through the engine', () => {
  it('two werift peers hear each other and not themselves; a peer that goes silent times out', async () => {
    engine = await createEngine({ shards: 1, portMin: 27000, portMax: 27099 });
    const conference = await engine.createConference({ 'comfort-noise': false });
    const a = client();
    const b = client();
    const joinedA = await conference.addMember({ leg: { kind: 'webrtc' }, sdp: await a.offer() });
    const joinedB = await conference.addMember({ leg: { kind: 'webrtc', timeoutMs: 5000 }, sdp: await b.offer() });
    expect(joinedA.leg.kind).toBe('webrtc');
    expect(joinedA.leg.codec).toBe('pcmu');
    expect(joinedA.leg.telephoneEventPayloadType).toBe(101);
    expect(joinedA.sdp).toMatch(/a=fingerprint:sha-256 /);
    expect(joinedA.sdp).toMatch(/^a=candidate:.* 127\.0\.0\.1 /m);
    await a.answer(joinedA.sdp);
    await b.answer(joinedB.sdp);
    await Promise.all([a.connected(), b.connected()]);
    a.sendTone(440, TONE_AMPLITUDE);
    b.sendTone(1000, TONE_AMPLITUDE);

    // Measured over two-second windows, once audio flows both ways.
    await Promise.all([a.waitForFrames(25), b.waitForFrames(25)]);
    const [aHears440, aHears1000, bHears440, bHears1000] = [await heardDbfs(a, 440), await heardDbfs(a, 1000), await heardDbfs(b, 440), await heardDbfs(b, 1000)];
    expect(aHears1000).toBeGreaterThan(TONE_DBFS - 3);
    expect(bHears440).toBeGreaterThan(TONE_DBFS - 3);
    expect(aHears440).toBeLessThan(TONE_DBFS - 40);
    expect(bHears1000).toBeLessThan(TONE_DBFS - 40);

    const stats = await joinedA.leg.stats();
    expect(stats.packetsReceived).toBeGreaterThan(WINDOW_FRAMES);
    expect(stats.cumulativeLost).toBe(0);

    const leftB = removal(conference, joinedB.member.id);
    await b.close();
    clients.splice(clients.indexOf(b), 1);
    // werift closes without a DTLS close_notify: the member goes when its packets stop.
    expect(await leftB).toBe('leg-timeout');
  }, 60_000);

  it('refuses what a WebRTC leg cannot take with an SdpError, adding nothing', async () => {
    engine = await createEngine({ shards: 1, portMin: 27100, portMax: 27199 });
    const conference = await engine.createConference({});
    const offer = await client().offer();
    const refused = async (sdp: string): Promise<string> => {
      const error = await conference.addMember({ leg: { kind: 'webrtc' }, sdp }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SdpError);
      return (error as SdpError).reason;
    };
    expect(await refused(offer.replace(/^a=fingerprint:.*\r\n/gm, ''))).toBe('no-fingerprint');
    expect(await refused(offer.replace(/UDP\/TLS\/RTP\/SAVPF/g, 'RTP/AVP'))).toBe('unsupported-transport');
    expect(await refused(offer.replace(/^m=audio /m, 'm=video '))).toBe('no-audio');
    expect(await refused(offer.replace(/PCMU\/8000/g, 'G729/8000'))).toBe('no-common-codec');
    expect(await refused('hello, this is not SDP')).toBe('malformed');
    await expect(conference.addMember({ leg: { kind: 'webrtc' } } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(conference.addMember({ leg: { kind: 'webrtc', iceServers: 'stun' }, sdp: offer } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(conference.activeMembers).toBe(0);
  }, 30_000);
});

const USER = { userId: 'rtc', token: 'rtc-token', secret: 'rtc-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;

describe('a WebRTC client joins through the HTTP API, WHIP-style', () => {
  it('POSTs an application/sdp offer, trickles its candidates by PATCH, exchanges audio with an ffmpeg RTP member, and leaves by DELETE', async () => {
    server = await createServer({
      config: { shards: 1, rtpPortMin: 27200, rtpPortMax: 27299, port: 0, users: [USER], logLevel: 'silent' },
      logger: pino({ level: 'silent' }),
    });
    const base = await server.listen();
    const api = (path: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${base}${path}`, { ...init, headers: { authorization: auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.headers as object) } });
    const created = await api('/v1/users/rtc/conferences', { method: 'POST', body: JSON.stringify({ from: '+15550100', 'comfort-noise': false }) });
    const conference = created.headers.get('location')!;

    // The RTP side: ffmpeg sends a 440 Hz tone as Opus (through a relay standing at the address its
    // SDP names); a PCMU peer listens.
    const listener = await RtpPeer.create();
    cleanups.push(() => listener.close());
    expect((await api(`${conference}/members`, { method: 'POST', body: JSON.stringify({ rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: listener.port } }) })).status).toBe(201);
    const relay = new SenderRelay();
    cleanups.push(() => relay.close());
    const relayPort = await relay.bind();
    const ffmpeg = new FfmpegProcess(
      ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:samples_per_frame=960', '-t', '20', '-c:a', 'libopus', '-b:a', '64k', '-f', 'rtp', `rtp://127.0.0.1:${relayPort}`],
      40_000,
    );
    cleanups.push(() => ffmpeg.kill());
    const ffmpegJoin = await api(`${conference}/members`, { method: 'POST', body: await ffmpeg.printedSdp(), headers: { 'content-type': 'application/sdp' } });
    expect(ffmpegJoin.status).toBe(201);
    relay.connect(Number(/m=audio (\d+) /.exec(await ffmpegJoin.text())![1]), listener.port + 2);

    // The WebRTC side: an offer without candidates, then its candidates by PATCH.
    const rtc = client();
    const joined = await api(`${conference}/members`, { method: 'POST', body: await rtc.offer(false), headers: { 'content-type': 'application/sdp' } });
    expect(joined.status).toBe(201);
    expect(joined.headers.get('content-type')).toMatch(/^application\/sdp/);
    const memberUrl = joined.headers.get('location')!;
    await rtc.answer(await joined.text());
    const patched = await api(memberUrl, { method: 'PATCH', body: rtc.candidateFragment(), headers: { 'content-type': 'application/trickle-ice-sdpfrag' } });
    expect(patched.status).toBe(204);
    await rtc.connected();
    rtc.sendTone(1000, TONE_AMPLITUDE);
    expect(await (await api(memberUrl)).json()).toMatchObject({ state: 'active', leg: { kind: 'webrtc' } });

    // Each side hears the other: the WebRTC client ffmpeg's 440 Hz, the RTP listener the client's 1000 Hz.
    await rtc.waitForFrames(25);
    expect(await heardDbfs(rtc, 440)).toBeGreaterThan(-18.06 - 6);
    const from = listener.received.length;
    await listener.waitForPackets(from + WINDOW_FRAMES);
    expect(median(toneLevelsDbfs(listener.audio(from).subarray(0, WINDOW_FRAMES * 160), 1000, 8000))).toBeGreaterThan(TONE_DBFS - 3);

    // A trickle fragment for an unknown member, and one that is not a fragment: clear errors.
    const unknown = await api(`${conference}/members/nope`, { method: 'PATCH', body: rtc.candidateFragment(), headers: { 'content-type': 'application/trickle-ice-sdpfrag' } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('ERR_NOT_FOUND');
    const garbage = await api(memberUrl, { method: 'PATCH', body: 'not a fragment', headers: { 'content-type': 'application/trickle-ice-sdpfrag' } });
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).code).toBe('ERR_SDP');

    // A WebRTC offer without DTLS through JSON: 400, nothing added.
    const before = (await (await api(conference)).json()).activeMembers;
    const plain = await api(`${conference}/members`, { method: 'POST', body: JSON.stringify({ leg: 'webrtc', sdp: (await client().offer()).replace(/UDP\/TLS\/RTP\/SAVPF/g, 'RTP/AVP') }) });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ code: 'ERR_SDP', details: { reason: 'unsupported-transport' } });
    expect((await (await api(conference)).json()).activeMembers).toBe(before);

    expect((await api(memberUrl, { method: 'DELETE' })).status).toBe(200);
    expect(await (await api(memberUrl)).json()).toMatchObject({ state: 'completed', removedReason: 'api' });
  }, 60_000);
});
