// The mediasoup bridge against a real mediasoup worker (built from source) and real RTP peers:
// two ffmpeg senders feed producers over PlainTransports; each bridged member's mix producer and
// the shared mix producer are consumed over PlainTransports into ffmpeg recorders, and Goertzel
// on the recordings shows who hears whom. DTMF travels as RFC 4733 through mediasoup's worker into
// the member's key map. Every closing case is checked against the router's own list of transports.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as Mediasoup from 'mediasoup';
import type { types as MediasoupTypes } from 'mediasoup';
import { createEngine } from '../../src/index.ts';
import type { Conference, Engine, Member, MemberRemovedReason, RtpLeg } from '../../src/index.ts';
import { parseWav } from '../../src/audio/wav.ts';
import { median, toneLevelsDbfs } from '../helpers/audio.ts';
import { FfmpegProcess, ffmpegAvailable, freePortPair } from './ffmpeg.ts';
import { MEDIA_CODECS, OpusKeySender, consumeInto, loadMediasoupWithWorker, peerProducer, transportIds } from './mediasoup.ts';
import { pressAndWait } from '../integration/engineHelpers.ts';

/**
 * Senders outlast the recordings however long a loaded machine takes to start the recorders and
 * for their RTP input to settle (a fixed 15 s once ended before the judged windows did); the test
 * stops them once the recordings are done.
 */
const SEND_SECONDS = 60;
/** Each recorder's length, from its first packet, once both members are talking. */
const RECORD_SECONDS = 6;
/** The recording judged: its last 3 s (ffmpeg's RTP input settles in its first second or two). */
const JUDGED_WINDOWS = 30;
// lavfi's sine is 1/8 of full scale: 20·log10(1/8).
const SINE_DBFS = -18.06;
const TONE_A = 500;
const TONE_B = 1300;
/** A frequency nobody sends: the codecs' own noise floor there. */
const CONTROL = 800;

let mediasoup: typeof Mediasoup;
let worker: MediasoupTypes.Worker;
let router: MediasoupTypes.Router;
let engine: Engine;
let conference: Conference;
let dir: string;
const ffmpegRuns: FfmpegProcess[] = [];

beforeAll(async () => {
  if (!ffmpegAvailable()) throw new Error('these tests need ffmpeg with libopus (scripts/system-packages.sh installs it)');
  // A first run builds the worker (minutes); later runs find it cached.
  mediasoup = await loadMediasoupWithWorker();
  worker = await mediasoup.createWorker({ logLevel: 'error' });
}, 1_800_000);

afterAll(() => worker?.close());

beforeEach(async () => {
  router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  engine = await createEngine({ shards: 1, portMin: 26400, portMax: 26499 });
  conference = await engine.createConference({ 'comfort-noise': false });
  dir = mkdtempSync(join(tmpdir(), 'confmix-mediasoup-'));
});

afterEach(async () => {
  for (const run of ffmpegRuns.splice(0)) run.kill();
  await engine.close();
  router.close();
  rmSync(dir, { recursive: true, force: true });
});

function ffmpeg(args: string[]): FfmpegProcess {
  const run = new FfmpegProcess(args, (SEND_SECONDS + 10) * 1000);
  ffmpegRuns.push(run);
  return run;
}

/** An ffmpeg sending a sine as Opus to a producer's PlainTransport (RTCP on its own port). */
function sendTone(freqHz: number, ssrc: number, port: number, rtcpPort: number): FfmpegProcess {
  return ffmpeg([
    '-re', '-f', 'lavfi', '-i', `sine=frequency=${freqHz}:sample_rate=48000:samples_per_frame=960`, '-t', String(SEND_SECONDS),
    '-c:a', 'libopus', '-b:a', '64k', '-payload_type', '101', '-ssrc', String(ssrc),
    '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}`,
  ]);
}

/** Consumes a producer into an ffmpeg recorder; resolves with the WAV it writes and the recorder. */
async function record(name: string, producerId: string): Promise<{ wav: string; run: FfmpegProcess }> {
  const port = await freePortPair();
  const { payloadType } = await consumeInto(router, producerId, port);
  const sdpPath = join(dir, `${name}.sdp`);
  const wav = join(dir, `${name}.wav`);
  writeFileSync(sdpPath, ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=recorder', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} opus/48000/2`, 'a=recvonly', ''].join('\r\n'));
  const run = ffmpeg(['-protocol_whitelist', 'file,udp,rtp', '-i', sdpPath, '-t', String(RECORD_SECONDS), '-ac', '1', '-c:a', 'pcm_s16le', '-y', wav]);
  return { wav, run };
}

/** Per 100 ms window of a recording's judged end: the level of each tone, dBFS. */
function levels(wav: string): Record<number, number[]> {
  const parsed = parseWav(new Uint8Array(readFileSync(wav)), wav);
  return Object.fromEntries([TONE_A, TONE_B, CONTROL].map((f) => [f, toneLevelsDbfs(parsed.samples, f, parsed.sampleRate, 100).slice(-JUDGED_WINDOWS)]));
}

/** The windows in which `freqHz` is on (within 20 dB of what was sent). */
function onWindows(byTone: Record<number, number[]>, freqHz: number): number[] {
  return byTone[freqHz].flatMap((level, i) => (level > SINE_DBFS - 20 ? [i] : []));
}

/** Resolves with a member's removal reason once it left. */
function removal(member: Member): Promise<MemberRemovedReason> {
  return member.closed ? Promise.resolve(member.removedReason!) : (once(member, 'close') as Promise<[MemberRemovedReason]>).then(([reason]) => reason);
}

describe('mediasoup bridge', () => {
  it('gives each producer a member that hears the other and not itself, and the mix producer carries both', async () => {
    const bridge = await conference.bridgeMediasoup({ router });
    const a = await peerProducer(router, { ssrc: 0xa11ce, rtcpMux: false });
    const b = await peerProducer(router, { ssrc: 0xb0b, rtcpMux: false });
    const joinedA = await bridge.addProducer(a.producer, { callId: 'a' });
    const joinedB = await bridge.addProducer(b.producer, { callId: 'b' });
    expect(bridge.members).toEqual([joinedA.member, joinedB.member]);
    expect(joinedA.member.leg).toMatchObject({ kind: 'rtp', codec: { name: 'opus' } });

    // The senders first; the recorders once confmix hears both talking.
    const talking = (member: Member): Promise<unknown> => once(member, 'talking');
    const bothTalking = Promise.all([talking(joinedA.member), talking(joinedB.member)]);
    const senders = [sendTone(TONE_A, 0xa11ce, a.port, a.rtcpPort!), sendTone(TONE_B, 0xb0b, b.port, b.rtcpPort!)];
    await bothTalking;
    const heardByA = await record('a-hears', joinedA.producer.id);
    const heardByB = await record('b-hears', joinedB.producer.id);
    const heardByAll = await record('all-hear', bridge.mixProducer!.id);
    expect(await Promise.all([heardByA, heardByB, heardByAll].map(({ run }) => run.exited))).toEqual([0, 0, 0]);
    for (const run of senders) run.kill();

    // A hears B's tone for most of the recording; its own tone is no louder there than a
    // frequency nobody sends (the Opus coding noise around B's tone), far below a heard tone.
    const windows = JUDGED_WINDOWS;
    for (const [wav, heard, own] of [[heardByA.wav, TONE_B, TONE_A], [heardByB.wav, TONE_A, TONE_B]] as const) {
      const at = levels(wav);
      const on = onWindows(at, heard);
      expect(on.length).toBeGreaterThan(windows * 0.6);
      const ownLevel = median(on.map((i) => at[own][i]));
      expect(ownLevel).toBeLessThan(median(on.map((i) => at[heard][i])) - 25);
      expect(ownLevel).toBeLessThan(median(on.map((i) => at[CONTROL][i])) + 6);
    }
    // The shared mix: both at once.
    const atAll = levels(heardByAll.wav);
    const both = onWindows(atAll, TONE_A).filter((i) => onWindows(atAll, TONE_B).includes(i));
    expect(both.length).toBeGreaterThan(windows * 0.6);

    // What went through the legs, counted by mediasoup and by confmix.
    const statsA = await joinedA.member.stats();
    // At least the judged seconds of packets (50 a second) reached the leg.
    expect(statsA.packetsReceived).toBeGreaterThan((JUDGED_WINDOWS / 10) * 50);
    const producerStats = await (joinedA.producer as MediasoupTypes.Producer).getStats();
    expect(producerStats[0]?.packetCount).toBeGreaterThan(0);
  });

  it('DTMF through the bridge changes the member as the key map says', async () => {
    const bridge = await conference.bridgeMediasoup({ router, mixProducer: false });
    const withEvents = await peerProducer(router, { ssrc: 0xd7f, rtcpMux: true, telephoneEvent: true });
    const without = await peerProducer(router, { ssrc: 0xd80, rtcpMux: true });
    const routerEventPt = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/telephone-event')!.preferredPayloadType;
    const routerOpusPt = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/opus')!.preferredPayloadType;
    const a = await bridge.addProducer(withEvents.producer, { callId: 'keys' });
    const b = await bridge.addProducer(without.producer, { callId: 'other' });
    // The leg takes the payload types the consumer forwards: Opus, and telephone-event only where
    // the producer sends it. The mix producer sends Opus alone.
    expect((a.member.leg as RtpLeg).telephoneEventPayloadType).toBe(routerEventPt);
    expect((b.member.leg as RtpLeg).telephoneEventPayloadType).toBeUndefined();
    expect((a.member.leg as RtpLeg).codec).toMatchObject({ name: 'opus', payloadType: routerOpusPt, fec: true });
    expect(a.producer.rtpParameters.codecs).toEqual([expect.objectContaining({ mimeType: 'audio/opus', payloadType: routerOpusPt, parameters: { useinbandfec: 1 } })]);

    // A real stream into the app's PlainTransport: libopus frames, RFC 4733 keys in between. The
    // keys go through mediasoup's worker (producer, consumer) into the member's leg.
    const sender = await OpusKeySender.start({ port: withEvents.port, ssrc: 0xd7f, freqHz: 700 });
    try {
      await once(a.member, 'talking');
      const keys: string[] = [];
      a.member.on('dtmf', (event) => keys.push(`${event.dtmfDigit}:${event.action}`));
      expect((await pressAndWait(sender, a.member, '0', ['mute'])).action).toBe('toggle-mute');
      expect(a.member.mute).toBe(true);
      await pressAndWait(sender, a.member, '0', ['mute']);
      expect(a.member.mute).toBe(false);
      const before = await transportIds(router);
      const gone = removal(a.member);
      expect((await pressAndWait(sender, a.member, '#')).action).toBe('leave');
      expect(await gone).toBe('dtmf-leave');
      // Each key acted once (every end packet sent three times), on its own member only.
      expect(keys).toEqual(['0:toggle-mute', '0:toggle-mute', '#:leave']);
      expect([b.member.closed, b.member.mute]).toEqual([false, false]);
      expect(bridge.members).toEqual([b.member]);
      // Leaving closed the member's bridge transport (its consumer and mix producer), nothing else.
      expect(a.producer.closed).toBe(true);
      const after = await transportIds(router);
      expect(before.filter((id) => !after.includes(id))).toHaveLength(1);
      expect(withEvents.transport.closed).toBe(false);
    } finally {
      sender.close();
    }
  });

  describe('closings remove exactly what they should', () => {
    async function bridgeTwo(): Promise<{
      bridge: Awaited<ReturnType<Conference['bridgeMediasoup']>>;
      peers: Awaited<ReturnType<typeof peerProducer>>[];
      members: Member[];
      mixes: MediasoupTypes.Producer[];
      appTransports: string[];
    }> {
      const bridge = await conference.bridgeMediasoup({ router });
      const peers = [await peerProducer(router, { ssrc: 1, rtcpMux: true }), await peerProducer(router, { ssrc: 2, rtcpMux: true })];
      const appTransports = peers.map((peer) => peer.transport.id).sort();
      const joined = [await bridge.addProducer(peers[0].producer, {}), await bridge.addProducer(peers[1].producer, {})];
      // The app's two, one per bridged member, one for the mix producer.
      expect(await transportIds(router)).toHaveLength(5);
      return { bridge, peers, members: joined.map((j) => j.member), mixes: joined.map((j) => j.producer as MediasoupTypes.Producer), appTransports };
    }

    it('closing a producer removes its member and its mix producer, nothing else', async () => {
      const { bridge, peers, members, mixes } = await bridgeTwo();
      const before = await transportIds(router);
      const gone = removal(members[0]);
      peers[0].producer.close();
      expect(await gone).toBe('mediasoup-closed');
      expect(mixes[0].closed).toBe(true);
      expect(mixes[1].closed).toBe(false);
      expect(members[1].closed).toBe(false);
      expect(bridge.members).toEqual([members[1]]);
      // Only the member's own bridge transport went.
      const after = await transportIds(router);
      expect(after).toHaveLength(before.length - 1);
      expect(after.every((id) => before.includes(id))).toBe(true);
      expect(peers[0].transport.closed).toBe(false);
    });

    it("closing a producer's transport removes its member", async () => {
      const { peers, members, mixes } = await bridgeTwo();
      const gone = removal(members[1]);
      const before = await transportIds(router);
      peers[1].transport.close();
      expect(await gone).toBe('mediasoup-closed');
      expect(mixes[1].closed).toBe(true);
      expect(members[0].closed).toBe(false);
      // The app's transport it closed, and the member's bridge transport.
      expect(await transportIds(router)).toHaveLength(before.length - 2);
    });

    it('closing the router removes every bridged member and closes the bridge', async () => {
      const { bridge, members } = await bridgeTwo();
      const plain = await conference.addMember({});
      const gone = members.map(removal);
      const mixMember = bridge.mixMember!;
      const closed = once(bridge, 'close');
      router.close();
      expect(await Promise.all(gone)).toEqual(['mediasoup-closed', 'mediasoup-closed']);
      await closed;
      expect(bridge.closed).toBe(true);
      expect(await removal(mixMember)).toBe('mediasoup-closed');
      expect(plain.closed).toBe(false);
    });

    it('closing the bridge closes what it created and leaves the app its producers and transports', async () => {
      const { bridge, peers, members, mixes, appTransports } = await bridgeTwo();
      const plain = await conference.addMember({});
      const gone = members.map(removal);
      bridge.close();
      expect(await Promise.all(gone)).toEqual(['mediasoup-closed', 'mediasoup-closed']);
      expect(await transportIds(router)).toEqual(appTransports);
      expect(peers.map((peer) => peer.producer.closed)).toEqual([false, false]);
      expect(mixes.every((mix) => mix.closed)).toBe(true);
      expect(plain.closed).toBe(false);
      await expect(bridge.addProducer(peers[0].producer, {})).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    });

    it('closing the conference closes the bridge and what it created, nothing of the app', async () => {
      const { bridge, peers, appTransports } = await bridgeTwo();
      const closed = once(bridge, 'close');
      conference.close();
      await closed;
      expect(await transportIds(router)).toEqual(appTransports);
      expect(peers.map((peer) => peer.producer.closed)).toEqual([false, false]);
      expect(router.closed).toBe(false);
    });
  });

  it('refuses bad input with typed errors and changes nothing', async () => {
    await expect(conference.bridgeMediasoup({ router: {} as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(conference.bridgeMediasoup({ router, listenIp: 'localhost' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const videoless = await worker.createRouter({ mediaCodecs: [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }] });
    await expect(conference.bridgeMediasoup({ router: videoless })).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
    videoless.close();
    const bridge = await conference.bridgeMediasoup({ router, mixProducer: false });
    await expect(bridge.addProducer({ id: 'x', kind: 'video' } as never, {})).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await transportIds(router)).toEqual([]);
    expect(conference.listMembers()).toEqual([]);
  });
});
